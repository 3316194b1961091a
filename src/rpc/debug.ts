/**
 * The `debug` namespace's tracing methods, as go-ethereum's eth/tracers/api.go:
 * debug_traceTransaction (the block's pre-transaction system calls and earlier
 * transactions re-executed on the parent's state, then the target traced),
 * debug_traceCall (a call traced on a block's state, or with `txIndex` on the state before
 * that transaction of the block, with state and block overrides),
 * debug_traceBlockByNumber / debug_traceBlockByHash / debug_traceBlock (an RLP block) /
 * debug_traceBadBlock (each transaction traced with a fresh tracer, [{txHash, result}],
 * the block re-executed once on its parent's state), debug_traceChain (a subscription,
 * debug_subscribe("traceChain", start, end, config): one notification {block, hash,
 * traces} per block after `start` up to `end` that has transactions, and one for `end`),
 * debug_intermediateRoots, debug_standardTraceBlockToFile and
 * debug_standardTraceBadBlockToFile (EIP-3155 JSON lines per transaction, written to new
 * files in the OS temp dir, whose names are returned).
 *
 * And, as go-ethereum's eth/api_debug.go and internal/ethapi: debug_getBadBlocks
 * ({hash, block, rlp}), debug_storageRangeAt (the storage of an account before a
 * transaction, in hashed-key order: {storage: {hashedKey: {key, value}}, nextKey}),
 * debug_getAccessibleState (the first block between two whose state can be read),
 * debug_getRawHeader / debug_getRawBlock / debug_getRawReceipts / debug_getRawTransaction.
 *
 * Historical states come from Blockchain.stateAt: a pruned state (gcmode full) is
 * regenerated or refused with "required historical state unavailable (reexec=N)", which
 * answers -32000. The tracer timeout applies to each transaction's trace.
 *
 * Tracers come from src/tracers (struct logger by default, native and JavaScript
 * tracers by name, JavaScript code). The result is produced as one complete JSON text
 * (streaming tracers write into a buffer through their sink) and spliced into the
 * response without re-parsing; it is not streamed to the socket in this version.
 * Tracer failures (timeout, tracer exceptions, unknown tracer) are -32000 errors with
 * go-ethereum's text.
 */
import { randomBytes } from "node:crypto";
import { closeSync, openSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyTransaction, type TxResult } from "../block/apply.js";
import {
  type Block,
  decodeBlock,
  encodeBlock,
  encodeHeader,
  encodeReceipt,
  headerHash,
} from "../chain/block.js";
import type { StoredBlock } from "../chain/blockchain.js";
import type { BlockContext } from "../evm/context.js";
import type { Fork } from "../evm/forks.js";
import type { DevNode } from "../node/node.js";
import { type Address, bytesToHex, wordToBytes } from "../primitives/hex.js";
import { keccak256 } from "../primitives/keccak.js";
import type { StateDB } from "../state/statedb.js";
import { StateUnavailableError } from "../store/lmdb-store.js";
import { runTrace, type TraceConfig, type TracerContext, TracerError } from "../tracers/index.js";
import type { OutputBudget } from "../tracers/types.js";
import type { Hooks } from "../tracing/hooks.js";
import { encodeTransaction, txHash } from "../tx/decode.js";
import type { Transaction } from "../tx/types.js";
import { TxValidationError } from "../tx/validate.js";
import { INVALID_PARAMS, RpcError, serverError } from "./errors.js";
import {
  callGas,
  findBlock,
  prepareCall,
  resolveBlock,
  runPrepared,
  stateAtTransaction,
  stateBeforeTx,
} from "./exec.js";
import { formatBlock } from "./format.js";
import {
  args,
  type BlockOverrides,
  type BlockRef,
  optParam,
  ParamError,
  param,
  readAddress,
  readBlockNumber,
  readBlockOverrides,
  readBlockRef,
  readCallArgs,
  readData,
  readHash,
  readStateOverrides,
  type StateOverrides,
} from "./params.js";
import { type CallContext, type Namespace, RawJson, type RpcEnv, traceBudget } from "./types.js";

type Json = Record<string, unknown>;

interface TraceCallConfig {
  trace: TraceConfig;
  stateOverrides?: StateOverrides;
  blockOverrides?: BlockOverrides;
  /** The call runs on the state before this transaction of the block. */
  txIndex?: number;
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
    // go-ethereum's TxIndex is a hex quantity; a JSON number is accepted too.
    if (o.txIndex !== undefined && o.txIndex !== null) out.txIndex = readInt(o.txIndex, w("txIndex"));
  }
  return out;
}

/** Spends `bytes` of the response's trace budget; past it, the request fails with its message. */
function spendOrFail(budget: OutputBudget, bytes: number): void {
  try {
    budget.spend(bytes);
  } catch (err) {
    if (err instanceof TracerError) throw serverError(err.message);
    throw err;
  }
}

/** Runs `exec` under the configured tracer; returns its result as raw JSON. */
export function traceToJson(
  config: TraceConfig,
  ctx: Omit<TracerContext, "sink">,
  exec: (hooks: Hooks, deadline: number | undefined) => unknown,
): RawJson {
  const parts: string[] = [];
  const budget = ctx.outputBudget;
  const sink = (chunk: string) => {
    budget?.spend(chunk.length);
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

function traceTx(
  node: DevNode,
  b: StoredBlock,
  index: number,
  config: TraceConfig,
  budget: OutputBudget,
): RawJson {
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
      outputBudget: budget,
    },
    (hooks, deadline) =>
      applyTransaction(state, ctx, tx, sender, fork, hooks, {
        blockGasAvailable: b.block.header.gasLimit - gasUsed,
        deadline,
      }),
  );
}

/** A block that may not be stored (an RLP-given or bad block), in the shape the executors take. */
export function looseBlock(block: Block, hash?: string): StoredBlock {
  return { block, hash: hash ?? bytesToHex(headerHash(block.header)), td: 0n, receipts: [], fork: undefined };
}

/** One transaction of a block being re-executed (see `replayBlock`). */
export interface TxStep {
  index: number;
  tx: Transaction;
  hash: string;
  fork: Fork;
  ctx: BlockContext;
  /** The state the transaction runs on (after `run`: the state after it). */
  state: StateDB;
  /** Runs the transaction on `state` with `hooks`, abandoned past `deadline` (see runTrace). */
  run(hooks: Hooks | null, deadline?: number): TxResult;
}

/**
 * Re-executes the transactions of `b` in order on its parent's post state (after the
 * block's pre-transaction system calls), as go-ethereum's traceBlock: `visit` runs each
 * one (traced or not) with `step.run`. When it did not run it to the end (a trace
 * stopped part way, leaving the state unusable), the state before the next transaction
 * is rebuilt. `visit` returns false to stop early.
 */
export function replayBlock(
  node: DevNode,
  b: StoredBlock,
  visit: (step: TxStep) => boolean | undefined,
): void {
  const txs = b.block.transactions;
  if (txs.length === 0) return;
  let base = stateBeforeTx(node, b, 0);
  const gasLimit = b.block.header.gasLimit;
  for (let i = 0; i < txs.length; i++) {
    const tx = txs[i]!;
    const hash = node.hashOf(tx);
    const sender = node.sender(tx, hash);
    const cur = base;
    let done = false;
    const step: TxStep = {
      index: i,
      tx,
      hash,
      fork: cur.fork,
      ctx: cur.ctx,
      state: cur.state,
      run: (hooks, deadline) => {
        const r = applyTransaction(cur.state, cur.ctx, tx, sender, cur.fork, hooks, {
          blockGasAvailable: gasLimit - cur.gasUsed,
          deadline,
        });
        cur.gasUsed += r.gasUsed;
        done = true;
        return r;
      },
    };
    if (visit(step) === false) return;
    if (!done && i + 1 < txs.length) base = stateBeforeTx(node, b, i + 1);
  }
}

function tracerContext(
  node: DevNode,
  b: StoredBlock,
  step: TxStep,
  budget?: OutputBudget,
): Omit<TracerContext, "sink"> {
  return {
    outputBudget: budget,
    fork: step.fork,
    chainConfig: node.genesis.spec.config,
    blockHash: b.hash,
    blockNumber: b.block.header.number,
    txIndex: step.index,
    txHash: step.hash,
  };
}

/**
 * Every transaction of `b` traced: `{txHash, result}` entries as JSON texts, or
 * `{txHash, error}` when the tracer failed (timeout, tracer exception). A transaction
 * the state refuses (a bad block) fails the whole request, as in go-ethereum, and so
 * does output past `budget` (the transactions share it: they make one response).
 */
function traceBlockEntries(
  node: DevNode,
  b: StoredBlock,
  config: TraceConfig,
  budget: OutputBudget,
): string[] {
  if (b.block.header.number === 0n) throw serverError("genesis is not traceable");
  const parts: string[] = [];
  replayBlock(node, b, (step) => {
    let entry: string;
    let spent = 0;
    try {
      const out = traceToJson(config, tracerContext(node, b, step, budget), (hooks, deadline) =>
        step.run(hooks, deadline),
      );
      entry = `{"txHash":"${step.hash}","result":${out.json}}`;
      spent = out.json.length;
    } catch (err) {
      if (!(err instanceof RpcError) || budget.exhausted) throw err;
      entry = `{"txHash":"${step.hash}","error":${JSON.stringify(err.message)}}`;
    }
    spendOrFail(budget, entry.length - spent + 1);
    parts.push(entry);
    return true;
  });
  return parts;
}

function traceBlock(node: DevNode, b: StoredBlock, config: TraceConfig, budget: OutputBudget): RawJson {
  return new RawJson(`[${traceBlockEntries(node, b, config, budget).join(",")}]`);
}

function badBlock(node: DevNode, hash: string): StoredBlock | undefined {
  const bad = node.chain.badBlocks().find((x) => x.hash === hash);
  return bad === undefined ? undefined : looseBlock(bad.block, bad.hash);
}

/** go-ethereum's IntermediateRoots: the state root after each transaction. */
function intermediateRoots(node: DevNode, b: StoredBlock): string[] {
  if (b.block.header.number === 0n) throw serverError("genesis is not traceable");
  const roots: string[] = [];
  replayBlock(node, b, (step) => {
    try {
      step.run(null);
    } catch (err) {
      // A transaction the state refuses (bad blocks): the roots up to it, as go-ethereum.
      if (err instanceof TxValidationError) return false;
      throw err;
    }
    roots.push(bytesToHex(step.state.stateRoot()));
    return true;
  });
  return roots;
}

interface StdTraceConfig {
  txHash?: string;
  enableMemory?: boolean;
  disableStack?: boolean;
  enableReturnData?: boolean;
  timeout?: string;
}

function readStdTraceConfig(v: unknown, what: string): StdTraceConfig {
  const { trace } = readTraceConfig(v, what);
  const o = v as Record<string, unknown>;
  const out: StdTraceConfig = {};
  if (o.txHash !== undefined && o.txHash !== null) {
    out.txHash = readHash(o.txHash, what === "" ? "txHash" : `${what}.txHash`);
  }
  if (trace.enableMemory !== undefined) out.enableMemory = trace.enableMemory;
  if (trace.disableStack !== undefined) out.disableStack = trace.disableStack;
  if (trace.enableReturnData !== undefined) out.enableReturnData = trace.enableReturnData;
  if (trace.timeout !== undefined) out.timeout = trace.timeout;
  return out;
}

/**
 * go-ethereum's standardTraceBlockToFile: each transaction (or only `txHash`) traced with
 * the EIP-3155 JSON logger into a new file in the OS temp dir named
 * block_<4 bytes of the block hash>-<index>-<4 bytes of the tx hash>-<random>.
 */
function standardTraceBlockToFile(node: DevNode, b: StoredBlock, config: StdTraceConfig): string[] {
  const only = config.txHash;
  if (only !== undefined && !b.block.transactions.some((tx) => bytesToHex(txHash(tx)) === only)) {
    throw serverError(`transaction ${only} not found in block`);
  }
  if (b.block.header.number === 0n) throw serverError("genesis is not traceable");
  const files: string[] = [];
  const tracerConfig = {
    enableMemory: config.enableMemory ?? false,
    disableStack: config.disableStack ?? false,
    enableReturnData: config.enableReturnData ?? false,
  };
  replayBlock(node, b, (step) => {
    if (only !== undefined && step.hash !== only) {
      step.run(null);
      return true;
    }
    const prefix = `block_${b.hash.slice(0, 10)}-${step.index}-${step.hash.slice(0, 10)}-`;
    let fd = -1;
    let path = "";
    for (let attempt = 0; fd < 0; attempt++) {
      path = join(tmpdir(), `${prefix}${randomBytes(5).readUInt32BE(0)}`);
      try {
        fd = openSync(path, "wx");
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 10) throw err;
      }
    }
    files.push(path);
    const sink = (chunk: string) => {
      writeSync(fd, chunk);
    };
    const trace: TraceConfig = { tracer: "eip3155", tracerConfig };
    if (config.timeout !== undefined) trace.timeout = config.timeout;
    try {
      let run: ReturnType<typeof runTrace<TxResult>>;
      try {
        run = runTrace(trace, { ...tracerContext(node, b, step), sink }, (hooks, deadline) =>
          step.run(hooks, deadline),
        );
      } catch (err) {
        if (err instanceof TracerError) throw serverError(err.message);
        throw err;
      }
      try {
        if (run.error !== null) throw serverError(run.error.message);
        run.tracer.writeResult(sink);
      } finally {
        run.tracer.dispose?.();
      }
    } finally {
      closeSync(fd);
    }
    return only === undefined;
  });
  return files;
}

/** go-ethereum's BadBlockArgs for debug_getBadBlocks. */
function badBlocksJson(node: DevNode): unknown[] {
  const spec = node.genesis.spec;
  const senderOf = (tx: Transaction, hash: string): Address => {
    try {
      return node.sender(tx, hash);
    } catch {
      return "0x0000000000000000000000000000000000000000";
    }
  };
  return node.chain.badBlocks().map((bad) => ({
    hash: bad.hash,
    block: formatBlock(spec, looseBlock(bad.block, bad.hash), true, senderOf),
    rlp: bytesToHex(encodeBlock(bad.block)),
  }));
}

/** A Go `int` argument: a JSON number (a hex quantity is accepted too). */
function readInt(v: unknown, what: string): number {
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return v;
  if (typeof v === "string" && /^0x[0-9a-fA-F]+$/.test(v)) {
    const n = Number.parseInt(v.slice(2), 16);
    if (Number.isSafeInteger(n)) return n;
  }
  throw new ParamError(`${what}: expected a non-negative integer, got ${JSON.stringify(v)}`);
}

/**
 * The storage of `address` in the state just before transaction `txIndex` of `b`, as
 * go-ethereum's stateAtTransaction gives it.
 */
function storageBeforeTx(
  node: DevNode,
  b: StoredBlock,
  txIndex: number,
  address: Address,
): Map<bigint, bigint> {
  return new Map(stateAtTransaction(node, b, txIndex).getAccount(address)?.storage ?? []);
}

/** go-ethereum's storageRangeAt: slots in the order of their hashed keys, from `start`. */
function storageRange(storage: Map<bigint, bigint>, start: Uint8Array, max: number): unknown {
  if (storage.size === 0) return { storage: null, nextKey: null };
  const word = (v: bigint) => bytesToHex(wordToBytes(v));
  const entries = [...storage]
    .filter(([, v]) => v !== 0n)
    .map(([k, v]) => ({ hashed: bytesToHex(keccak256(wordToBytes(k))), key: word(k), value: word(v) }))
    .sort((a, b) => (a.hashed < b.hashed ? -1 : a.hashed > b.hashed ? 1 : 0));
  const from = bytesToHex(start);
  const rest = entries.filter((e) => e.hashed >= from);
  const out: Record<string, { key: string; value: string }> = {};
  for (const e of rest.slice(0, max)) out[e.hashed] = { key: e.key, value: e.value };
  return { storage: out, nextKey: rest.length > max ? rest[max]!.hashed : null };
}

/** go-ethereum's GetAccessibleState: the first block from `from` towards `to` whose state is readable. */
function accessibleState(node: DevNode, from: BlockRef, to: BlockRef): number {
  const head = node.chain.head.block.header.number;
  const num = (r: BlockRef): bigint => {
    if ("number" in r) return r.number;
    if ("tag" in r) return r.tag === "earliest" ? 0n : head;
    return resolveBlock(node, r).block.header.number;
  };
  const start = num(from);
  const end = num(to);
  if (start === end) throw serverError("from and to needs to be different");
  const delta = start > end ? -1n : 1n;
  for (let i = start; i !== end; i += delta) {
    const b = node.chain.canonicalAt(i);
    if (b === undefined) throw serverError(`missing header ${i}`);
    try {
      const s = node.chain.stateAt(b.hash);
      s?.getAccount("0x0000000000000000000000000000000000000000");
      if (s !== undefined) return Number(i);
    } catch (err) {
      if (!(err instanceof StateUnavailableError)) throw err;
    }
  }
  throw serverError("no state found");
}

/** The block a getRaw* reference names: undefined (a null result) for an unknown number. */
function rawBlock(node: DevNode, ref: BlockRef, what: "header" | "block"): StoredBlock | undefined {
  if ("hash" in ref) {
    const b = node.chain.get(ref.hash);
    if (b === undefined) throw serverError(`${what} ${ref.hash} not found`);
    return b;
  }
  return findBlock(node, ref);
}

/**
 * debug_subscribe("traceChain", start, end, config): each block after `start` up to
 * `end` traced as debug_traceBlockByNumber, one block per turn of the event loop, and
 * notified as {block, hash, traces} when it has transactions (and always for `end`).
 * Unsubscribing stops it; a block that cannot be traced (its state unavailable) ends it.
 * Each block's traces have the request's output budget; a block that cannot be traced
 * for a reason the node can name (the budget, unavailable state) is notified as
 * {block, hash, traces: [], error} before the end. Tracing waits while the client has
 * more than TRACE_CHAIN_BACKLOG bytes unread. Notifications are written as raw JSON.
 */
function traceChain(env: RpcEnv, p: unknown[], ctx: CallContext): string {
  const node = env.node;
  const subs = ctx.subscriptions;
  if (subs === undefined) throw new RpcError(-32601, "notifications not supported");
  args(p, 4, 3);
  const start = resolveBlock(node, param(p, 1, readBlockNumber));
  const end = resolveBlock(node, param(p, 2, readBlockNumber));
  const config = optParam(p, 3, (v, w) => readTraceConfig(v, w), { trace: {} }).trace;
  const from = start.block.header.number;
  const to = end.block.header.number;
  if (from >= to) throw serverError(`end block (#${to}) needs to come after start block (#${from})`);
  return subs.subscribe((notify, backlog) => {
    let stopped = false;
    let n = from + 1n;
    const next = () => {
      if (stopped || n > to) return;
      // Trace ahead of a slow reader only as far as TRACE_CHAIN_BACKLOG: the rest waits.
      if (backlog() > TRACE_CHAIN_BACKLOG) {
        setTimeout(next, 20);
        return;
      }
      const b = node.chain.canonicalAt(n);
      if (b === undefined) return;
      const head = `{"block":"0x${n.toString(16)}","hash":"${b.hash}"`;
      let traces: string[];
      try {
        traces = traceBlockEntries(node, b, config, traceBudget(env));
      } catch (err) {
        // As go-ethereum, the chain trace ends where a block cannot be traced; a block whose
        // traces pass the output budget is notified with the error first, so the end is seen.
        if (err instanceof RpcError)
          notify(new RawJson(`${head},"traces":[],"error":${JSON.stringify(err.message)}}`));
        return;
      }
      if (traces.length > 0 || n === to) notify(new RawJson(`${head},"traces":[${traces.join(",")}]}`));
      n++;
      setImmediate(next);
    };
    setImmediate(next);
    return () => {
      stopped = true;
    };
  }, "debug");
}

/** Unread notification bytes past which traceChain waits before tracing the next block. */
export const TRACE_CHAIN_BACKLOG = 16 * 1024 * 1024;

export function debugNamespace(env: RpcEnv): Namespace {
  const node = env.node;
  const cfg = (p: unknown[], i: number, call = false): TraceCallConfig =>
    optParam(p, i, (v, w) => readTraceConfig(v, w, call), { trace: {} });
  const blockByHash = (hash: string): StoredBlock => resolveBlock(node, { hash, requireCanonical: false });
  return {
    debug_traceTransaction: (p) => {
      args(p, 2, 1);
      const hash = param(p, 0, readHash);
      const config = cfg(p, 1).trace;
      const loc = node.locate(hash);
      if (loc === undefined) throw serverError("transaction not found");
      return traceTx(node, node.chain.get(loc.blockHash)!, loc.index, config, traceBudget(env));
    },
    debug_traceCall: (p) => {
      args(p, 3, 1);
      const a = param(p, 0, readCallArgs);
      const ref = optParam(p, 1, readBlockRef, { tag: "latest" });
      // As go-ethereum's TraceCall: calls on top of the next block are traced with block and
      // state overrides instead.
      if ("tag" in ref && ref.tag === "pending")
        throw serverError("tracing on top of pending is not supported");
      const block = resolveBlock(node, ref);
      const c = cfg(p, 2, true);
      const prepared = prepareCall(node, {
        args: a,
        block,
        stateOverrides: c.stateOverrides,
        blockOverrides: c.blockOverrides,
        gasCap: env.gasCap,
        txIndex: c.txIndex,
      });
      const gas = callGas(a, env.gasCap);
      let failure: string | undefined;
      // As go-ethereum: the tracer's timeout (default 5 s) bounds the call. The tracer
      // checks it in its hooks; the EVM checks it too (runTrace hands it the deadline),
      // for tracers without step hooks.
      const out = traceToJson(
        c.trace,
        {
          fork: prepared.env.fork,
          chainConfig: node.genesis.spec.config,
          blockNumber: prepared.env.ctx.number,
          outputBudget: traceBudget(env),
        },
        (hooks, deadline) => {
          const r = runPrepared(prepared, gas, hooks, deadline);
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
      return traceBlock(node, b, cfg(p, 1).trace, traceBudget(env));
    },
    debug_traceBlockByHash: (p) => {
      args(p, 2, 1);
      return traceBlock(node, blockByHash(param(p, 0, readHash)), cfg(p, 1).trace, traceBudget(env));
    },
    debug_traceBlock: (p) => {
      args(p, 2, 1);
      const raw = param(p, 0, readData);
      let block: Block;
      try {
        block = decodeBlock(raw);
      } catch (err) {
        throw serverError(`could not decode block: ${(err as Error).message}`);
      }
      return traceBlock(node, looseBlock(block), cfg(p, 1).trace, traceBudget(env));
    },
    debug_traceBadBlock: (p) => {
      args(p, 2, 1);
      const hash = param(p, 0, readHash);
      const b = badBlock(node, hash);
      if (b === undefined) throw serverError(`bad block ${hash} not found`);
      return traceBlock(node, b, cfg(p, 1).trace, traceBudget(env));
    },
    debug_subscribe: (p, ctx) => {
      if (ctx.subscriptions === undefined) throw new RpcError(-32601, "notifications not supported");
      if (p[0] === "traceChain") return traceChain(env, p, ctx);
      throw serverError(`no "${String(p[0])}" subscription in debug namespace`);
    },
    debug_unsubscribe: (p, ctx) => {
      if (ctx.subscriptions === undefined) throw new RpcError(-32601, "notifications not supported");
      args(p, 1, 1);
      if (typeof p[0] !== "string")
        throw new RpcError(INVALID_PARAMS, "invalid argument 0: expected a subscription id");
      return ctx.subscriptions.unsubscribe(p[0]);
    },
    debug_intermediateRoots: (p) => {
      args(p, 2, 1);
      const hash = param(p, 0, readHash);
      cfg(p, 1);
      const b = node.chain.get(hash) ?? badBlock(node, hash);
      if (b === undefined) throw serverError(`block ${hash} not found`);
      return intermediateRoots(node, b);
    },
    debug_standardTraceBlockToFile: (p) => {
      args(p, 2, 1);
      const b = blockByHash(param(p, 0, readHash));
      return standardTraceBlockToFile(node, b, optParam(p, 1, readStdTraceConfig, {}));
    },
    debug_standardTraceBadBlockToFile: (p) => {
      args(p, 2, 1);
      const hash = param(p, 0, readHash);
      const b = badBlock(node, hash);
      if (b === undefined) throw serverError(`bad block ${hash} not found`);
      return standardTraceBlockToFile(node, b, optParam(p, 1, readStdTraceConfig, {}));
    },
    debug_getBadBlocks: (p) => {
      args(p, 0, 0);
      return badBlocksJson(node);
    },
    debug_storageRangeAt: (p) => {
      args(p, 5, 5);
      const b = resolveBlock(node, param(p, 0, readBlockRef));
      const txIndex = param(p, 1, readInt);
      const address = param(p, 2, readAddress);
      const start = param(p, 3, readData);
      const max = param(p, 4, readInt);
      return storageRange(storageBeforeTx(node, b, txIndex, address), start, max);
    },
    debug_getAccessibleState: (p) => {
      args(p, 2, 2);
      return accessibleState(node, param(p, 0, readBlockNumber), param(p, 1, readBlockNumber));
    },
    debug_getRawHeader: (p) => {
      args(p, 1, 1);
      const b = rawBlock(node, param(p, 0, readBlockRef), "header");
      return b === undefined ? null : bytesToHex(encodeHeader(b.block.header));
    },
    debug_getRawBlock: (p) => {
      args(p, 1, 1);
      const b = rawBlock(node, param(p, 0, readBlockRef), "block");
      return b === undefined ? null : bytesToHex(encodeBlock(b.block));
    },
    debug_getRawReceipts: (p) => {
      args(p, 1, 1);
      const b = rawBlock(node, param(p, 0, readBlockRef), "block");
      return b === undefined ? null : node.receipts(b).map((r) => bytesToHex(encodeReceipt(r)));
    },
    debug_getRawTransaction: (p) => {
      args(p, 1, 1);
      const hash = param(p, 0, readHash);
      const loc = node.locate(hash);
      if (loc !== undefined) {
        const tx = node.chain.get(loc.blockHash)!.block.transactions[loc.index]!;
        return bytesToHex(encodeTransaction(tx));
      }
      const pooled = node.pool.get(hash);
      return pooled === undefined ? null : bytesToHex(encodeTransaction(pooled.tx));
    },
  };
}
