/**
 * The Parity/OpenEthereum-style `trace` namespace, with the shapes OpenEthereum
 * documented and Erigon and reth serve:
 *
 * - trace_replayTransaction(hash, types), trace_replayBlockTransactions(block, types),
 *   trace_call(args, types, block), trace_callMany([[args, types], ...], block) (each
 *   call runs on the state the previous one left), trace_rawTransaction(raw, types):
 *   `{output, stateDiff, trace, vmTrace}` (plus `transactionHash` per block entry), each
 *   of the three null unless asked for in `types` ("trace", "vmTrace", "stateDiff").
 * - trace_transaction(hash), trace_block(block), trace_filter(filter): "localized"
 *   flat traces (with blockHash, blockNumber, transactionHash, transactionPosition).
 *   trace_get(hash, indices): the one trace of trace_transaction(hash) whose
 *   traceAddress is `indices` (OpenEthereum's lookup: [] is the top call, [0] its first
 *   subcall, [0, 1] the second subcall of that), or null when there is none. Erigon and
 *   Nethermind take only a single index i and answer the (i+1)th flat trace, reth the
 *   ith; for [0], and for any [i] when no subcall makes calls, Erigon and Nethermind
 *   agree with this lookup.
 *   trace_filter takes {fromBlock, toBlock, fromAddress, toAddress, after, count}; a
 *   trace matches when its sender is in fromAddress and its receiver in toAddress (an
 *   absent or empty list matches any), and at most MAX_FILTER_BLOCKS blocks are
 *   scanned per request.
 *
 * `trace` comes from the flatCallTracer with Parity's error texts; as in OpenEthereum the
 * top call's `gas` is the gas left after the intrinsic cost and its `gasUsed` what
 * execution used before refunds. `stateDiff` is the prestateTracer's diff mode turned
 * into Parity's form: per account `balance`, `code`, `nonce` and per slot of `storage`
 * either "=" (unchanged), {"+": new} (account created), {"-": old} (account removed) or
 * {"*": {from, to}}. `vmTrace` is the parityVmTrace tracer (src/tracers/native/vm-trace.ts).
 * Every execution is traced with go-ethereum's default 5 s tracer timeout.
 *
 * Not served: block reward traces (a proof-of-stake chain has none; proof-of-work blocks
 * get none either) and the `pending` state for trace_rawTransaction (it runs
 * on the latest block's state and context).
 */
import { applyTransaction, type TxResult } from "../block/apply.js";
import type { StoredBlock } from "../chain/blockchain.js";
import { Fork } from "../evm/forks.js";
import type { DevNode } from "../node/node.js";
import { type Address, bytesToHex } from "../primitives/hex.js";
import { StateDB } from "../state/statedb.js";
import { runTrace, type TracerContext, TracerError } from "../tracers/index.js";
import type { OutputBudget } from "../tracers/types.js";
import type { Hooks } from "../tracing/hooks.js";
import { decodeTransaction, txHash } from "../tx/decode.js";
import { recoverSender } from "../tx/sender.js";
import type { Transaction } from "../tx/types.js";
import { TX_GAS_LIMIT_CAP, TxValidationError } from "../tx/validate.js";
import { replayBlock } from "./debug.js";
import { serverError } from "./errors.js";
import {
  blockEnv,
  callGas,
  callMessage,
  type ExecEnv,
  findBlock,
  gethTxError,
  stateBeforeTx,
  stateOf,
} from "./exec.js";
import {
  args,
  type BlockRef,
  type CallArgs,
  optParam,
  ParamError,
  param,
  readAddress,
  readBlockNumber,
  readBlockRef,
  readCallArgs,
  readData,
  readHash,
  readQuantity,
} from "./params.js";
import { type Namespace, type RpcEnv, traceBudget } from "./types.js";

/** Most blocks trace_filter scans in one request. */
export const MAX_FILTER_BLOCKS = 100;

type Json = Record<string, unknown>;
export type TraceType = "trace" | "vmTrace" | "stateDiff";
const TRACE_TYPES: readonly TraceType[] = ["trace", "vmTrace", "stateDiff"];
const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";
const ZERO_WORD = `0x${"0".repeat(64)}`;
const hexQ = (v: number | bigint) => `0x${v.toString(16)}`;

export function readTraceTypes(v: unknown, what: string): Set<TraceType> {
  if (!Array.isArray(v)) throw new ParamError(`${what}: expected an array of trace types`);
  const out = new Set<TraceType>();
  for (const t of v) {
    if (typeof t !== "string" || !(TRACE_TYPES as readonly string[]).includes(t)) {
      throw new ParamError(
        `${what}: unknown trace type ${JSON.stringify(t)}, expected "trace", "vmTrace" or "stateDiff"`,
      );
    }
    out.add(t as TraceType);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Running an execution under the Parity tracers

interface ParityRun {
  result: TxResult;
  /** Flat traces (localized: with the block and transaction fields). */
  trace?: Json[];
  vmTrace?: unknown;
  stateDiff?: Json;
}

/** Runs `exec` under the tracers `types` need (all through one muxTracer, with the timeout). */
function runParity(
  types: ReadonlySet<TraceType>,
  ctx: Omit<TracerContext, "sink">,
  exec: (hooks: Hooks, deadline: number | undefined) => TxResult,
  budget?: OutputBudget,
): ParityRun {
  const sub: Json = {};
  if (types.has("trace")) sub.flatCallTracer = { convertParityErrors: true };
  if (types.has("vmTrace")) sub.parityVmTrace = {};
  if (types.has("stateDiff")) sub.prestateTracer = { diffMode: true };
  const top = { gas: -1, gasUsed: -1 };
  let run: ReturnType<typeof runTrace<TxResult>>;
  try {
    run = runTrace(
      { tracer: "muxTracer", tracerConfig: sub },
      { ...ctx, outputBudget: budget },
      (hooks, deadline) => {
        const wrapped: Hooks = {
          ...hooks,
          onEnter: (depth, kind, from, to, input, gas, value) => {
            if (depth === 0) top.gas = gas;
            hooks.onEnter?.(depth, kind, from, to, input, gas, value);
          },
          onExit: (depth, output, gasUsed, error, reverted) => {
            if (depth === 0) top.gasUsed = gasUsed;
            hooks.onExit?.(depth, output, gasUsed, error, reverted);
          },
        };
        return exec(wrapped, deadline);
      },
    );
  } catch (err) {
    if (err instanceof TracerError) throw serverError(err.message);
    throw err;
  }
  let results: Json;
  try {
    if (run.error !== null || run.value === undefined)
      throw serverError(run.error?.message ?? "trace stopped");
    results = run.tracer.getResult() as Json;
  } catch (err) {
    if (err instanceof TracerError) throw serverError(err.message);
    throw err;
  } finally {
    run.tracer.dispose?.();
  }
  const out: ParityRun = { result: run.value };
  if (types.has("trace")) out.trace = parityTopGas(results.flatCallTracer as Json[], top);
  if (types.has("vmTrace")) out.vmTrace = results.parityVmTrace ?? null;
  if (types.has("stateDiff")) out.stateDiff = parityStateDiff(results.prestateTracer as PrestateDiff);
  return out;
}

/** OpenEthereum's top call: gas after the intrinsic cost, gas used before refunds. */
function parityTopGas(traces: Json[], top: { gas: number; gasUsed: number }): Json[] {
  const first = traces[0];
  if (first === undefined || top.gas < 0) return traces;
  (first.action as Json).gas = hexQ(top.gas);
  const result = first.result as Json | undefined;
  if (result !== undefined && top.gasUsed >= 0) result.gasUsed = hexQ(top.gasUsed);
  return traces;
}

/** Drops the block/transaction fields: replayed traces are not localized. */
function unlocalized(traces: Json[]): Json[] {
  return traces.map((t) => {
    const { blockHash: _h, blockNumber: _n, transactionHash: _t, transactionPosition: _p, ...rest } = t;
    return rest;
  });
}

interface PrestateAccount {
  balance?: string;
  code?: string;
  codeHash?: string;
  nonce?: number;
  storage?: Record<string, string>;
}
interface PrestateDiff {
  pre: Record<string, PrestateAccount>;
  post: Record<string, PrestateAccount>;
}

/** The prestateTracer's {pre, post} diff in Parity's stateDiff form. */
export function parityStateDiff(diff: PrestateDiff): Json {
  const out: Json = {};
  const addrs = [...new Set([...Object.keys(diff.pre), ...Object.keys(diff.post)])].sort();
  const nonce = (n: number | undefined) => hexQ(BigInt(n ?? 0));
  for (const addr of addrs) {
    const pre = diff.pre[addr];
    const post = diff.post[addr];
    if (pre === undefined && post !== undefined) {
      // Only a code hash "changed": an empty account touched and removed, not a creation.
      if (
        post.balance === undefined &&
        post.nonce === undefined &&
        post.code === undefined &&
        post.storage === undefined
      ) {
        continue;
      }
      out[addr] = {
        balance: { "+": post.balance ?? "0x0" },
        code: { "+": post.code ?? "0x" },
        nonce: { "+": nonce(post.nonce) },
        storage: Object.fromEntries(Object.entries(post.storage ?? {}).map(([k, v]) => [k, { "+": v }])),
      };
    } else if (pre !== undefined && post === undefined) {
      out[addr] = {
        balance: { "-": pre.balance ?? "0x0" },
        code: { "-": pre.code ?? "0x" },
        nonce: { "-": nonce(pre.nonce) },
        storage: Object.fromEntries(Object.entries(pre.storage ?? {}).map(([k, v]) => [k, { "-": v }])),
      };
    } else if (pre !== undefined && post !== undefined) {
      const changed = (from: string, to: string | undefined) =>
        to === undefined || to === from ? "=" : { "*": { from, to } };
      const storage: Json = {};
      const slots = [
        ...new Set([...Object.keys(pre.storage ?? {}), ...Object.keys(post.storage ?? {})]),
      ].sort();
      for (const k of slots) {
        const from = pre.storage?.[k] ?? ZERO_WORD;
        const to = post.storage?.[k] ?? ZERO_WORD;
        if (from !== to) storage[k] = { "*": { from, to } };
      }
      out[addr] = {
        balance: changed(pre.balance ?? "0x0", post.balance),
        code: changed(pre.code ?? "0x", post.code),
        nonce: changed(nonce(pre.nonce), post.nonce === undefined ? undefined : nonce(post.nonce)),
        storage,
      };
    }
  }
  return out;
}

function replayJson(r: ParityRun): Json {
  return {
    output: bytesToHex(r.result.returnData),
    stateDiff: r.stateDiff ?? null,
    trace: r.trace === undefined ? [] : unlocalized(r.trace),
    vmTrace: r.vmTrace ?? null,
  };
}

// ---------------------------------------------------------------------------
// Transactions of stored blocks

function txContext(node: DevNode, b: StoredBlock, index: number, hash: string, fork: Fork) {
  return {
    fork,
    chainConfig: node.genesis.spec.config,
    blockHash: b.hash,
    blockNumber: b.block.header.number,
    txIndex: index,
    txHash: hash,
  };
}

function replayOne(
  node: DevNode,
  hash: string,
  types: ReadonlySet<TraceType>,
  budget?: OutputBudget,
): ParityRun {
  const loc = node.locate(hash);
  if (loc === undefined) throw serverError(`transaction ${hash} not found`);
  const b = node.chain.get(loc.blockHash)!;
  const { state, ctx, fork, gasUsed } = stateBeforeTx(node, b, loc.index);
  const tx = b.block.transactions[loc.index]!;
  const sender = node.sender(tx, hash);
  return runParity(
    types,
    txContext(node, b, loc.index, hash, fork),
    (hooks, deadline) =>
      applyTransaction(state, ctx, tx, sender, fork, hooks, {
        blockGasAvailable: b.block.header.gasLimit - gasUsed,
        deadline,
      }),
    budget,
  );
}

/** Every transaction of `b` replayed under the tracers `types` need. */
function replayBlockRuns(
  node: DevNode,
  b: StoredBlock,
  types: ReadonlySet<TraceType>,
  budget?: OutputBudget,
): { hash: string; run: ParityRun }[] {
  const out: { hash: string; run: ParityRun }[] = [];
  if (b.block.header.number === 0n) return out;
  replayBlock(node, b, (step) => {
    const run = runParity(
      types,
      txContext(node, b, step.index, step.hash, step.fork),
      (hooks, deadline) => step.run(hooks, deadline),
      budget,
    );
    out.push({ hash: step.hash, run });
    return true;
  });
  return out;
}

function blockTraces(node: DevNode, b: StoredBlock): Json[] {
  const traceOnly = new Set<TraceType>(["trace"]);
  return replayBlockRuns(node, b, traceOnly).flatMap((r) => r.run.trace ?? []);
}

// ---------------------------------------------------------------------------
// Calls

/** Runs a call as eth_call does, on `state` (which it changes), with `hooks`. */
function runCallOn(
  state: StateDB,
  env: ExecEnv,
  a: CallArgs,
  chainId: bigint,
  gasCap: bigint,
  hooks: Hooks | null,
  deadline?: number,
): TxResult {
  const gas = callGas(a, gasCap);
  const from = a.from ?? ZERO_ADDRESS;
  const m = callMessage(a, env, chainId, state.getNonce(from), gas);
  const ctx = { ...env.ctx };
  if (m.free) ctx.baseFee = 0n;
  if (m.freeBlobs) ctx.blobBaseFee = 0n;
  if (env.fork >= Fork.Osaka && m.tx.gasLimit > TX_GAS_LIMIT_CAP) m.tx.gasLimit = TX_GAS_LIMIT_CAP;
  try {
    // As eth_call: the sender may hold code (go-ethereum's SkipTransactionChecks).
    return applyTransaction(state, ctx, m.tx, m.from, env.fork, hooks, {
      blockGasAvailable: m.tx.gasLimit,
      skipTransactionChecks: true,
      deadline,
    });
  } catch (err) {
    if (err instanceof TxValidationError) {
      throw serverError(`err: ${gethTxError(err, m, state, ctx, env.fork)} (supplied gas ${gas})`);
    }
    throw err;
  }
}

function callBlock(node: DevNode, ref: BlockRef): StoredBlock {
  const b = findBlock(node, ref);
  if (b === undefined) throw serverError("header not found");
  return b;
}

function callContext(node: DevNode, env: ExecEnv): Omit<TracerContext, "sink"> {
  return { fork: env.fork, chainConfig: node.genesis.spec.config, blockNumber: env.ctx.number };
}

// ---------------------------------------------------------------------------
// trace_filter

interface TraceFilter {
  fromBlock: BlockRef;
  toBlock: BlockRef;
  fromAddress: Set<Address> | null;
  toAddress: Set<Address> | null;
  after: number;
  count: number;
}

/** trace_get's index path: hex quantities or JSON numbers. */
export function readTraceIndices(v: unknown, what: string): number[] {
  if (!Array.isArray(v)) throw new ParamError(`${what}: expected an array of trace indices`);
  return v.map((x, i) => {
    if (typeof x === "number" && Number.isSafeInteger(x) && x >= 0) return x;
    if (typeof x === "string") return Number(readQuantity(x, `${what}[${i}]`, 53));
    throw new ParamError(`${what}[${i}]: expected a non-negative index, got ${JSON.stringify(x)}`);
  });
}

/** The trace whose traceAddress is `path` (OpenEthereum's trace_get lookup). */
export function traceAt(traces: readonly Json[], path: readonly number[]): Json | null {
  const found = traces.find((t) => {
    const address = t.traceAddress;
    return Array.isArray(address) && address.length === path.length && address.every((x, i) => x === path[i]);
  });
  return found ?? null;
}

function readCount(v: unknown, what: string): number {
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return v;
  if (typeof v === "string") return Number(readQuantity(v, what, 53));
  throw new ParamError(`${what}: expected a non-negative integer`);
}

function readTraceFilter(v: unknown, what: string): TraceFilter {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new ParamError(`${what}: expected a filter object`);
  }
  const o = v as Json;
  const w = (k: string) => (what === "" ? k : `${what}.${k}`);
  const has = (k: string) => o[k] !== undefined && o[k] !== null;
  const addrs = (k: string): Set<Address> | null => {
    if (!has(k)) return null;
    const x = o[k];
    const list = Array.isArray(x) ? x : [x];
    if (list.length === 0) return null;
    return new Set(list.map((a, i) => readAddress(a, `${w(k)}[${i}]`)));
  };
  return {
    fromBlock: has("fromBlock") ? readBlockNumber(o.fromBlock, w("fromBlock")) : { number: 0n },
    toBlock: has("toBlock") ? readBlockNumber(o.toBlock, w("toBlock")) : { tag: "latest" },
    fromAddress: addrs("fromAddress"),
    toAddress: addrs("toAddress"),
    after: has("after") ? readCount(o.after, w("after")) : 0,
    count: has("count") ? readCount(o.count, w("count")) : Number.MAX_SAFE_INTEGER,
  };
}

/** OpenEthereum's filter matching: sender and receiver of a trace by its type. */
function traceMatches(t: Json, f: TraceFilter): boolean {
  const action = (t.action ?? {}) as Json;
  const result = (t.result ?? {}) as Json;
  let from: unknown;
  let to: unknown;
  switch (t.type) {
    case "call":
      from = action.from;
      to = action.to;
      break;
    case "create":
      from = action.from;
      to = result.address;
      break;
    case "suicide":
      from = action.address;
      to = action.refundAddress;
      break;
    default:
      from = action.author;
      to = action.author;
  }
  const ok = (set: Set<Address> | null, a: unknown) => set === null || (typeof a === "string" && set.has(a));
  return ok(f.fromAddress, from) && ok(f.toAddress, to);
}

function traceFilter(node: DevNode, f: TraceFilter): Json[] {
  // Numbers are taken as given (the range is checked before the blocks are looked up).
  const num = (r: BlockRef): bigint => {
    if ("number" in r) return r.number;
    const b = findBlock(node, r);
    if (b === undefined) throw serverError(`block ${"tag" in r ? r.tag : r.hash} not found`);
    return b.block.header.number;
  };
  const from = num(f.fromBlock);
  const to = num(f.toBlock);
  if (from > to) throw serverError(`invalid block range: fromBlock ${from} is after toBlock ${to}`);
  const span = to - from + 1n;
  if (span > BigInt(MAX_FILTER_BLOCKS)) {
    throw serverError(
      `block range too large: ${span} blocks (${from} to ${to}), at most ${MAX_FILTER_BLOCKS} per trace_filter request`,
    );
  }
  const out: Json[] = [];
  let skip = f.after;
  for (let n = from; n <= to && out.length < f.count; n++) {
    const b = node.chain.canonicalAt(n);
    if (b === undefined) throw serverError(`block ${n} not found`);
    for (const t of blockTraces(node, b)) {
      if (!traceMatches(t, f)) continue;
      if (skip > 0) {
        skip--;
        continue;
      }
      out.push(t);
      if (out.length >= f.count) break;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------

export function traceNamespace(env: RpcEnv): Namespace {
  const node = env.node;
  const blockOf = (ref: BlockRef) => findBlock(node, ref);
  return {
    trace_replayTransaction: (p) => {
      args(p, 2, 2);
      const hash = param(p, 0, readHash);
      const types = param(p, 1, readTraceTypes);
      return replayJson(replayOne(node, hash, types, traceBudget(env)));
    },
    trace_replayBlockTransactions: (p) => {
      args(p, 2, 2);
      const b = blockOf(param(p, 0, readBlockRef));
      const types = param(p, 1, readTraceTypes);
      if (b === undefined) return null;
      return replayBlockRuns(node, b, types, traceBudget(env)).map(({ hash, run }) => ({
        ...replayJson(run),
        transactionHash: hash,
      }));
    },
    trace_transaction: (p) => {
      args(p, 1, 1);
      const hash = param(p, 0, readHash);
      if (node.locate(hash) === undefined) return null;
      return replayOne(node, hash, new Set(["trace"])).trace ?? [];
    },
    trace_get: (p) => {
      args(p, 2, 2);
      const hash = param(p, 0, readHash);
      const path = param(p, 1, readTraceIndices);
      if (node.locate(hash) === undefined) return null;
      return traceAt(replayOne(node, hash, new Set(["trace"])).trace ?? [], path);
    },
    trace_block: (p) => {
      args(p, 1, 1);
      const b = blockOf(param(p, 0, readBlockRef));
      return b === undefined ? null : blockTraces(node, b);
    },
    trace_filter: (p) => {
      args(p, 1, 1);
      return traceFilter(node, param(p, 0, readTraceFilter));
    },
    trace_call: (p) => {
      args(p, 3, 2);
      const a = param(p, 0, readCallArgs);
      const types = param(p, 1, readTraceTypes);
      const b = callBlock(node, optParam(p, 2, readBlockRef, { tag: "latest" }));
      const state = new StateDB(stateOf(node, b));
      const e = blockEnv(node, b);
      const run = runParity(
        types,
        callContext(node, e),
        (hooks, deadline) => runCallOn(state, e, a, node.chainId, env.gasCap, hooks, deadline),
        traceBudget(env),
      );
      return replayJson(run);
    },
    trace_callMany: (p) => {
      args(p, 2, 1);
      const calls = param(p, 0, (v, what) => {
        if (!Array.isArray(v)) throw new ParamError(`${what}: expected an array of [call, traceTypes] pairs`);
        return v.map((pair, i) => {
          const w = `${what}[${i}]`;
          if (!Array.isArray(pair) || pair.length !== 2) {
            throw new ParamError(`${w}: expected a [call, traceTypes] pair`);
          }
          return { args: readCallArgs(pair[0], `${w}[0]`), types: readTraceTypes(pair[1], `${w}[1]`) };
        });
      });
      const b = callBlock(node, optParam(p, 1, readBlockRef, { tag: "latest" }));
      const state = new StateDB(stateOf(node, b));
      const e = blockEnv(node, b);
      const budget = traceBudget(env);
      return calls.map((c) =>
        replayJson(
          runParity(
            c.types,
            callContext(node, e),
            (hooks, deadline) => runCallOn(state, e, c.args, node.chainId, env.gasCap, hooks, deadline),
            budget,
          ),
        ),
      );
    },
    trace_rawTransaction: (p) => {
      args(p, 2, 2);
      const raw = param(p, 0, readData);
      const types = param(p, 1, readTraceTypes);
      let tx: Transaction;
      let sender: Address;
      try {
        tx = decodeTransaction(raw);
        sender = recoverSender(tx);
      } catch (err) {
        throw serverError(`invalid transaction: ${(err as Error).message}`);
      }
      const b = node.chain.head;
      const state = new StateDB(stateOf(node, b));
      const e = blockEnv(node, b);
      const hash = bytesToHex(txHash(tx));
      const run = runParity(
        types,
        { ...callContext(node, e), txHash: hash },
        (hooks, deadline) => {
          try {
            return applyTransaction(state, e.ctx, tx, sender, e.fork, hooks, {
              blockGasAvailable: b.block.header.gasLimit,
              deadline,
            });
          } catch (err) {
            if (err instanceof TxValidationError) throw serverError(err.message);
            throw err;
          }
        },
        traceBudget(env),
      );
      return replayJson(run);
    },
  };
}
