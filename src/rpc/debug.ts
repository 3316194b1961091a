/**
 * The `debug` namespace's tracing methods, as go-ethereum's eth/tracers/api.go:
 * debug_traceTransaction (the block's pre-transaction system calls and earlier
 * transactions re-executed on the parent's state, then the target traced),
 * debug_traceCall (a call traced on a block's state, with state and block overrides),
 * and debug_traceBlockByNumber / debug_traceBlockByHash (each transaction traced with a
 * fresh tracer, [{txHash, result}]).
 *
 * Tracers come from src/tracers (struct logger by default, native and JavaScript
 * tracers by name, JavaScript code). The result is produced as one complete JSON text
 * (streaming tracers write into a buffer through their sink) and spliced into the
 * response without re-parsing; it is not streamed to the socket in this version.
 * Tracer failures (timeout, tracer exceptions, unknown tracer) are -32000 errors with
 * go-ethereum's text.
 */
import { applyTransaction } from "../block/apply.js";
import type { StoredBlock } from "../chain/blockchain.js";
import type { DevNode } from "../node/node.js";
import { bytesToHex } from "../primitives/hex.js";
import { runTrace, type TraceConfig, type TracerContext, TracerError } from "../tracers/index.js";
import type { Hooks } from "../tracing/hooks.js";
import { txHash } from "../tx/decode.js";
import { methodNotFound, serverError } from "./errors.js";
import { prepareCall, resolveBlock, runPrepared, stateBeforeTx } from "./exec.js";
import {
  args,
  type BlockOverrides,
  optParam,
  ParamError,
  param,
  readBlockNumber,
  readBlockOverrides,
  readBlockRef,
  readCallArgs,
  readHash,
  readStateOverrides,
  type StateOverrides,
} from "./params.js";
import { type Namespace, RawJson, type RpcEnv } from "./types.js";

type Json = Record<string, unknown>;

interface TraceCallConfig {
  trace: TraceConfig;
  stateOverrides?: StateOverrides;
  blockOverrides?: BlockOverrides;
}

/** go-ethereum's TraceConfig (and TraceCallConfig's overrides when `call`). */
export function readTraceConfig(v: unknown, what: string, call = false): TraceCallConfig {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new ParamError(`${what}: expected a trace config object`);
  }
  const o = v as Json;
  const trace: TraceConfig = {};
  const w = (k: string) => (what === "" ? k : `${what}.${k}`);
  const str = (k: string) => {
    const x = o[k];
    if (x === undefined || x === null) return undefined;
    if (typeof x !== "string") throw new ParamError(`${w(k)}: expected a string`);
    return x;
  };
  const bool = (k: string) => {
    const x = o[k];
    if (x === undefined || x === null) return undefined;
    if (typeof x !== "boolean") throw new ParamError(`${w(k)}: expected a boolean`);
    return x;
  };
  const tracer = str("tracer");
  if (tracer !== undefined && tracer !== "") trace.tracer = tracer;
  if (o.tracerConfig !== undefined && o.tracerConfig !== null) trace.tracerConfig = o.tracerConfig;
  const timeout = str("timeout");
  if (timeout !== undefined) trace.timeout = timeout;
  for (const k of ["enableMemory", "disableStack", "disableStorage", "enableReturnData"] as const) {
    const b = bool(k);
    if (b !== undefined) trace[k] = b;
  }
  if (o.limit !== undefined && o.limit !== null) {
    if (typeof o.limit !== "number" || !Number.isSafeInteger(o.limit) || o.limit < 0) {
      throw new ParamError(`${w("limit")}: expected a non-negative integer`);
    }
    trace.limit = o.limit;
  }
  const out: TraceCallConfig = { trace };
  if (call) {
    if (o.stateOverrides !== undefined && o.stateOverrides !== null) {
      out.stateOverrides = readStateOverrides(o.stateOverrides, w("stateOverrides"));
    }
    if (o.blockOverrides !== undefined && o.blockOverrides !== null) {
      out.blockOverrides = readBlockOverrides(o.blockOverrides, w("blockOverrides"));
    }
  }
  return out;
}

/** Runs `exec` under the configured tracer; returns its result as raw JSON. */
export function traceToJson(
  config: TraceConfig,
  ctx: Omit<TracerContext, "sink">,
  exec: (hooks: Hooks) => unknown,
): RawJson {
  const parts: string[] = [];
  const sink = (chunk: string) => {
    parts.push(chunk);
  };
  let run: ReturnType<typeof runTrace<unknown>>;
  try {
    run = runTrace(config, { ...ctx, sink }, exec);
  } catch (err) {
    if (err instanceof TracerError) throw serverError(err.message);
    throw err;
  }
  try {
    if (run.error !== null) throw serverError(run.error.message);
    run.tracer.writeResult(sink);
  } catch (err) {
    if (err instanceof TracerError) throw serverError(err.message);
    throw err;
  } finally {
    run.tracer.dispose?.();
  }
  return new RawJson(parts.join(""));
}

function traceTx(node: DevNode, b: StoredBlock, index: number, config: TraceConfig): RawJson {
  const { state, ctx, fork, gasUsed } = stateBeforeTx(node, b, index);
  const tx = b.block.transactions[index]!;
  const hash = bytesToHex(txHash(tx));
  const sender = node.sender(tx, hash);
  return traceToJson(
    config,
    {
      fork,
      chainConfig: node.genesis.spec.config,
      blockHash: b.hash,
      blockNumber: b.block.header.number,
      txIndex: index,
      txHash: hash,
    },
    (hooks) =>
      applyTransaction(state, ctx, tx, sender, fork, hooks, {
        blockGasAvailable: b.block.header.gasLimit - gasUsed,
      }),
  );
}

function traceBlock(node: DevNode, b: StoredBlock, config: TraceConfig): RawJson {
  if (b.block.header.number === 0n) throw serverError("genesis is not traceable");
  const parts = b.block.transactions.map((tx, i) => {
    const hash = bytesToHex(txHash(tx));
    try {
      return `{"txHash":"${hash}","result":${traceTx(node, b, i, config).json}}`;
    } catch (err) {
      return `{"txHash":"${hash}","error":${JSON.stringify((err as Error).message)}}`;
    }
  });
  return new RawJson(`[${parts.join(",")}]`);
}

export function debugNamespace(env: RpcEnv): Namespace {
  const node = env.node;
  const cfg = (p: unknown[], i: number, call = false): TraceCallConfig =>
    optParam(p, i, (v, w) => readTraceConfig(v, w, call), { trace: {} });
  return {
    debug_traceTransaction: (p) => {
      args(p, 2, 1);
      const hash = param(p, 0, readHash);
      const config = cfg(p, 1).trace;
      const loc = node.locate(hash);
      if (loc === undefined) throw serverError("transaction not found");
      return traceTx(node, node.chain.get(loc.blockHash)!, loc.index, config);
    },
    debug_traceCall: (p) => {
      args(p, 3, 1);
      const a = param(p, 0, readCallArgs);
      const block = resolveBlock(node, optParam(p, 1, readBlockRef, { tag: "latest" }));
      const c = cfg(p, 2, true);
      const prepared = prepareCall(node, {
        args: a,
        block,
        stateOverrides: c.stateOverrides,
        blockOverrides: c.blockOverrides,
        gasCap: env.gasCap,
      });
      const gas = a.gas === undefined || a.gas > env.gasCap ? env.gasCap : a.gas;
      let failure: string | undefined;
      const out = traceToJson(
        c.trace,
        {
          fork: prepared.env.fork,
          chainConfig: node.genesis.spec.config,
          blockNumber: prepared.env.ctx.number,
        },
        (hooks) => {
          const r = runPrepared(prepared, gas, hooks);
          if (r.error !== undefined) failure = r.error;
          return r;
        },
      );
      if (failure !== undefined) throw serverError(`err: ${failure} (supplied gas ${gas})`);
      return out;
    },
    debug_traceBlockByNumber: (p) => {
      args(p, 2, 1);
      const b = resolveBlock(node, param(p, 0, readBlockNumber));
      return traceBlock(node, b, cfg(p, 1).trace);
    },
    debug_traceBlockByHash: (p) => {
      args(p, 2, 1);
      const b = resolveBlock(node, { hash: param(p, 0, readHash), requireCanonical: false });
      return traceBlock(node, b, cfg(p, 1).trace);
    },
    debug_traceBlock: () => {
      throw methodNotFound("debug_traceBlock", "not implemented in Sonde yet");
    },
    debug_traceChain: () => {
      throw methodNotFound("debug_traceChain", "not implemented in Sonde yet");
    },
    debug_storageRangeAt: () => {
      throw methodNotFound("debug_storageRangeAt", "not implemented in Sonde yet");
    },
  };
}
