/**
 * go-ethereum tracer fixtures (eth/tracers/internal/tracetest/testdata): a genesis with
 * its chain config and alloc, the block context, one signed raw transaction, an optional
 * tracerConfig and the tracer's expected result.
 *
 * The transaction runs as go-ethereum's tracetest runs it: the block context built from
 * `context` (PREVRANDAO from the genesis mixHash once merged, the blob base fee from the
 * genesis excess blob gas), the gas pool equal to the transaction's gas, and the tracer's
 * result compared as JSON values (key order ignored).
 */

import { applyTransaction } from "../block/apply.js";
import { blobBaseFee } from "../block/blobs.js";
import {
  blobScheduleAt,
  type ChainConfig,
  forkAt,
  nextExcessBlobGas,
  parseChainConfig,
} from "../chain/config.js";
import { InvalidInputError } from "../errors.js";
import type { BlockContext } from "../evm/context.js";
import { Fork, forkName } from "../evm/forks.js";
import { hexToBytes, parseAddress, parseBigInt } from "../primitives/hex.js";
import { StateDB } from "../state/statedb.js";
import { runTrace } from "../tracers/index.js";
import { callTraceExpected } from "../tracers/native/call.js";
import { flatTraceComparable } from "../tracers/native/flat-call.js";
import { type TraceConfig, TracerError } from "../tracers/types.js";
import { decodeTransaction } from "../tx/decode.js";
import { recoverSender } from "../tx/sender.js";
import { parseAlloc } from "./statetest.js";

type Json = Record<string, unknown>;

/** The tracer and its config that each fixture folder stands for (see ../shared/fixtures/README.md). */
export const FOLDER_TRACERS: Record<string, { tracer: string; tracerConfig?: Json }> = {
  call_tracer: { tracer: "callTracer" },
  call_tracer_withLog: { tracer: "callTracer", tracerConfig: { withLog: true } },
  call_tracer_flat: { tracer: "flatCallTracer" },
  call_tracer_legacy: { tracer: "callTracerLegacy" },
  prestate_tracer: { tracer: "prestateTracer" },
  prestate_tracer_with_diff_mode: { tracer: "prestateTracer", tracerConfig: { diffMode: true } },
  prestate_tracer_legacy: { tracer: "prestateTracerLegacy" },
  erc7562_tracer: { tracer: "erc7562Tracer" },
  four_byte_tracer: { tracer: "4byteTracer" },
  mux_tracer: { tracer: "muxTracer" },
};

export interface TraceTestOutcome {
  ok: boolean;
  tracer: string;
  fork: Fork;
  /** Why it failed: a message and, for result mismatches, the differing paths. */
  message?: string;
  differences?: string[];
  actual?: unknown;
}

function obj(v: unknown, what: string): Json {
  if (typeof v !== "object" || v === null || Array.isArray(v))
    throw new InvalidInputError(`${what}: expected an object`);
  return v as Json;
}

function num(o: Json, key: string, what: string, dflt?: bigint): bigint {
  const v = o[key];
  if (v === undefined || v === null) {
    if (dflt !== undefined) return dflt;
    throw new InvalidInputError(`${what}.${key} is missing`);
  }
  return parseBigInt(v, `${what}.${key}`);
}

/** The block context go-ethereum's tracetest builds from `context` and `genesis`. */
export function fixtureBlockContext(
  genesis: Json,
  context: Json,
  config: ChainConfig,
  fork: Fork,
): BlockContext {
  const merged = config.terminalTotalDifficulty === 0n;
  const mix = genesis.mixHash === undefined ? 0n : parseBigInt(genesis.mixHash, "genesis.mixHash");
  let blobFee = 1n;
  if (genesis.excessBlobGas !== undefined && genesis.blobGasUsed !== undefined && fork >= Fork.Cancun) {
    const time = num(context, "timestamp", "context");
    const schedule = blobScheduleAt(config, fork, time);
    const excess = nextExcessBlobGas(
      fork,
      schedule,
      num(genesis, "excessBlobGas", "genesis"),
      num(genesis, "blobGasUsed", "genesis"),
      num(genesis, "baseFeePerGas", "genesis", 0n),
    );
    blobFee = blobBaseFee(excess, schedule);
  }
  return {
    coinbase: parseAddress(context.miner ?? "0x0000000000000000000000000000000000000000", "context.miner"),
    number: num(context, "number", "context"),
    timestamp: num(context, "timestamp", "context"),
    gasLimit: num(context, "gasLimit", "context"),
    difficulty: num(context, "difficulty", "context", 0n),
    prevRandao: merged ? mix : 0n,
    baseFee: fork >= Fork.London ? num(context, "baseFeePerGas", "context", 0n) : 0n,
    blobBaseFee: blobFee,
    chainId: config.chainId,
    // go-ethereum's tracetest gives no block hashes; no fixture uses BLOCKHASH.
    getBlockHash: () => 0n,
  };
}

/** Structural comparison: a list of "path: expected X, got Y" lines (empty when equal). */
export function jsonDifferences(
  expected: unknown,
  actual: unknown,
  path = "result",
  out: string[] = [],
  max = 20,
): string[] {
  if (out.length >= max) return out;
  const show = (v: unknown) => {
    const s = JSON.stringify(v);
    return s === undefined ? "(absent)" : s.length > 120 ? `${s.slice(0, 117)}...` : s;
  };
  if (Array.isArray(expected) && Array.isArray(actual)) {
    if (expected.length !== actual.length)
      out.push(`${path}: expected ${expected.length} items, got ${actual.length}`);
    const n = Math.min(expected.length, actual.length);
    for (let i = 0; i < n && out.length < max; i++)
      jsonDifferences(expected[i], actual[i], `${path}[${i}]`, out, max);
    return out;
  }
  if (
    typeof expected === "object" &&
    expected !== null &&
    !Array.isArray(expected) &&
    typeof actual === "object" &&
    actual !== null &&
    !Array.isArray(actual)
  ) {
    const e = expected as Json;
    const a = actual as Json;
    for (const k of new Set([...Object.keys(e), ...Object.keys(a)])) {
      if (out.length >= max) break;
      if (!(k in a)) out.push(`${path}.${k}: expected ${show(e[k])}, missing`);
      else if (!(k in e)) out.push(`${path}.${k}: unexpected ${show(a[k])}`);
      else jsonDifferences(e[k], a[k], `${path}.${k}`, out, max);
    }
    return out;
  }
  if (expected !== actual) out.push(`${path}: expected ${show(expected)}, got ${show(actual)}`);
  return out;
}

/**
 * Runs one fixture. `folder` picks the tracer (FOLDER_TRACERS); `tracerOverride`
 * replaces it. Throws InvalidInputError for a malformed fixture.
 */
export function runTraceTest(content: unknown, folder: string, tracerOverride?: string): TraceTestOutcome {
  const f = obj(content, "fixture");
  const genesis = obj(f.genesis, "genesis");
  const context = obj(f.context, "context");
  if (typeof f.input !== "string")
    throw new InvalidInputError("input: expected the signed transaction as hex");
  if (!("result" in f)) throw new InvalidInputError("result is missing");
  const config = parseChainConfig(genesis.config);
  const defaults = FOLDER_TRACERS[folder];
  const tracer = tracerOverride ?? defaults?.tracer;
  if (tracer === undefined) {
    throw new InvalidInputError(
      `cannot tell the tracer from folder "${folder}" (known: ${Object.keys(FOLDER_TRACERS).join(", ")}); pass --tracer`,
    );
  }
  let tracerConfig: unknown = defaults?.tracerConfig;
  if (f.tracerConfig !== undefined) {
    const own = f.tracerConfig;
    tracerConfig =
      typeof own === "object" && own !== null && !Array.isArray(own)
        ? { ...(defaults?.tracerConfig ?? {}), ...own }
        : own;
  }
  const number = num(context, "number", "context");
  const time = num(context, "timestamp", "context");
  const fork = forkAt(config, number, time);
  const block = fixtureBlockContext(genesis, context, config, fork);
  const tx = decodeTransaction(hexToBytes(f.input, "input"));
  const sender = recoverSender(tx, fork);
  const state = new StateDB(parseAlloc(genesis.alloc, "genesis.alloc"));
  const traceConfig: TraceConfig = { tracer, timeout: "60s" };
  if (tracerConfig !== undefined) traceConfig.tracerConfig = tracerConfig;
  const run = runTrace(traceConfig, { fork, chainConfig: config }, (hooks) => {
    state.hooks = hooks;
    return applyTransaction(state, block, tx, sender, fork, hooks, {
      blockGasAvailable: tx.gasLimit,
      // go-ethereum's tracetest calls OnTxEnd right after ApplyMessage, without Finalise.
      txEndBeforeFinalize: true,
    });
  });
  try {
    if (run.error !== null)
      return { ok: false, tracer, fork, message: `trace stopped: ${run.error.message}` };
    let actual: unknown;
    try {
      actual = run.tracer.getResult();
    } catch (e) {
      if (e instanceof TracerError)
        return { ok: false, tracer, fork, message: `tracer failed: ${e.message}` };
      throw e;
    }
    // Compare as JSON values (what a client would receive).
    actual = JSON.parse(JSON.stringify(actual));
    // go-ethereum's flat tracer test compares through its own structs (jsonEqualFlat):
    // block and transaction fields are ignored (its tracer Context is empty, as ours is)
    // and absent fields equal zero values. Compare the same reductions.
    // Its call tracer test re-encodes the expected result through its own struct first.
    const differences =
      tracer === "flatCallTracer"
        ? jsonDifferences(flatTraceComparable(f.result), flatTraceComparable(actual))
        : tracer === "callTracer"
          ? jsonDifferences(callTraceExpected(f.result), actual)
          : tracer === "callTracerLegacy"
            ? // The legacy tracer's JSON is built in JavaScript; go-ethereum's test passes
              // both sides through its call-frame struct (empty output omitted, etc.).
              jsonDifferences(callTraceExpected(f.result), callTraceExpected(actual))
            : jsonDifferences(f.result, actual);
    if (differences.length === 0) return { ok: true, tracer, fork };
    return { ok: false, tracer, fork, message: `result differs (${forkName(fork)})`, differences, actual };
  } finally {
    run.tracer.dispose?.();
  }
}
