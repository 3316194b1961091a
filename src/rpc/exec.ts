/**
 * Executing messages for the RPC API: block resolution, state and block overrides,
 * eth_call (go-ethereum's DoCall), eth_estimateGas (go-ethereum's gasestimator: a binary
 * search between the gas the first run used and the cap) and re-executing a block's
 * transactions up to one of them (debug_traceTransaction).
 *
 * A call is run as an unsigned transaction through applyTransaction with the sender's
 * current nonce. As in go-ethereum, when no gas price is given the block context's base
 * fee (and blob base fee) is lowered to 0 so that a free call is valid; gas defaults to
 * the RPC gas cap (50M), is capped by it, and under Osaka (EIP-7825) execution gets at
 * most 2^24 gas. Validation failures read as go-ethereum's ("err: insufficient funds for
 * gas * price + value: address X have A want B (supplied gas N)"), reverts become code 3
 * with the revert data. As go-ethereum's TransactionArgs.ToMessage (SkipNonceChecks and
 * SkipTransactionChecks), a call is not a transaction: it runs with the sender's current
 * nonce whatever `nonce` says, and its sender may hold code (no EIP-3607 check), so a
 * contract can be the `from` of eth_call, eth_estimateGas, eth_createAccessList and
 * debug_traceCall. A gas cap of 0 means no cap (go-ethereum: gas defaults to 2^63-1).
 *
 * The EVM timeout (go-ethereum's --rpc.evmtimeout, default 5 s, 0 for none): eth_call
 * gives up with "execution aborted (timeout = 5s)" once its execution has run that long.
 * Execution is synchronous, so the timeout is a deadline the interpreter checks now and
 * then (src/evm/evm.ts), not a timer. Sonde applies the same deadline to a whole
 * eth_estimateGas (go-ethereum bounds it only by the request's context).
 */
import { applyTransaction, type TxResult } from "../block/apply.js";
import { GAS_PER_BLOB } from "../block/blobs.js";
import type { StoredBlock } from "../chain/blockchain.js";
import { applyBlockStart, blockContextFor } from "../chain/process.js";
import { headerFork } from "../chain/validate.js";
import type { BlockContext } from "../evm/context.js";
import { ExecutionAbortedError } from "../evm/evm.js";
import { Fork } from "../evm/forks.js";
import { checksumAddress } from "../node/checksum.js";
import type { DevNode } from "../node/node.js";
import { type Address, bytesToHex } from "../primitives/hex.js";
import { type AccountData, StateDB, type StateReader } from "../state/statedb.js";
import type { Hooks } from "../tracing/hooks.js";
import { intrinsicGas } from "../tx/intrinsic.js";
import { type Transaction, txFeeCap } from "../tx/types.js";
import {
  BlobFeeCapTooLowError,
  FeeCapTooLowError,
  FloorDataGasTooLowError,
  InsufficientFundsError,
  IntrinsicGasTooLowError,
  PriorityFeeGreaterThanMaxFeeError,
  SenderNotEOAError,
  TX_GAS_LIMIT_CAP,
  TxValidationError,
} from "../tx/validate.js";
import { type RpcError, revertError, serverError } from "./errors.js";
import type { BlockOverrides, BlockRef, CallArgs, StateOverrides } from "./params.js";

/** go-ethereum's default --rpc.gascap. */
export const DEFAULT_GAS_CAP = 50_000_000n;
/** go-ethereum's default --rpc.evmtimeout, in milliseconds. */
export const DEFAULT_EVM_TIMEOUT_MS = 5000;
/** Gas of a call when the gas cap is 0 (no cap) and none is given: go-ethereum's MaxUint64 / 2. */
const UNCAPPED_CALL_GAS = (1n << 63n) - 1n;
/** go-ethereum's estimateGasErrorRatio. */
const ESTIMATE_ERROR_RATIO = 0.015;
const TX_GAS = 21000n;
const CALL_STIPEND = 2300n;
const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

/** The block a reference names, or undefined (eth_getBlockBy* answer null then). */
export function findBlock(node: DevNode, ref: BlockRef): StoredBlock | undefined {
  const chain = node.chain;
  if ("tag" in ref) {
    // A dev chain finalises every block: safe and finalized are the head. Pending is the head too.
    return ref.tag === "earliest" ? chain.canonicalAt(0n) : chain.head;
  }
  if ("number" in ref) return chain.canonicalAt(ref.number);
  const b = chain.get(ref.hash);
  if (b === undefined) return undefined;
  if (ref.requireCanonical && chain.canonicalAt(b.block.header.number)?.hash !== b.hash) return undefined;
  return b;
}

/** The block a reference names; an error as go-ethereum's when there is none. */
export function resolveBlock(node: DevNode, ref: BlockRef): StoredBlock {
  const b = findBlock(node, ref);
  if (b !== undefined) return b;
  if ("hash" in ref) {
    if (ref.requireCanonical && node.chain.get(ref.hash) !== undefined) {
      throw serverError("hash is not currently canonical");
    }
    throw serverError("header for hash not found");
  }
  throw serverError("header not found");
}

export function stateOf(node: DevNode, b: StoredBlock): StateReader {
  const s = node.chain.stateAt(b.hash);
  if (s === undefined) throw serverError(`missing state for block ${b.hash}`);
  return s;
}

/** A reader that applies account overrides on top of `base` (the base is never mutated). */
export function overlayReader(base: StateReader, overrides: StateOverrides | undefined): StateReader {
  if (overrides === undefined || overrides.size === 0) return base;
  const cache = new Map<Address, AccountData | undefined>();
  return {
    getAccount(address: Address): AccountData | undefined {
      const o = overrides.get(address);
      if (o === undefined) return base.getAccount(address);
      if (cache.has(address)) return cache.get(address);
      const acc = base.getAccount(address);
      let storage = acc?.storage ?? new Map<bigint, bigint>();
      if (o.state !== undefined) storage = new Map([...o.state].filter(([, v]) => v !== 0n));
      else if (o.stateDiff !== undefined) {
        storage = new Map(storage);
        for (const [k, v] of o.stateDiff) {
          if (v === 0n) storage.delete(k);
          else storage.set(k, v);
        }
      }
      const out: AccountData = {
        nonce: o.nonce ?? acc?.nonce ?? 0n,
        balance: o.balance ?? acc?.balance ?? 0n,
        code: o.code ?? acc?.code ?? new Uint8Array(0),
        storage,
      };
      cache.set(address, out);
      return out;
    },
  };
}

export interface ExecEnv {
  ctx: BlockContext;
  fork: Fork;
}

/** The EVM block context of `b` (as eth_call sees it), with block overrides applied. */
export function blockEnv(node: DevNode, b: StoredBlock, overrides?: BlockOverrides): ExecEnv {
  const spec = node.genesis.spec;
  const h = b.block.header;
  const chain = node.chain;
  const getBlockHash = (n: bigint) => {
    const s = chain.canonicalAt(n);
    return s === undefined ? 0n : BigInt(s.hash);
  };
  const number = overrides?.number ?? h.number;
  const timestamp = overrides?.time ?? h.timestamp;
  const fork = headerFork(spec, { ...h, number, timestamp });
  const ctx = blockContextFor(spec, b.block, fork, getBlockHash);
  if (overrides !== undefined) {
    ctx.number = number;
    ctx.timestamp = timestamp;
    if (overrides.difficulty !== undefined) ctx.difficulty = overrides.difficulty;
    if (overrides.gasLimit !== undefined) ctx.gasLimit = overrides.gasLimit;
    if (overrides.feeRecipient !== undefined) ctx.coinbase = overrides.feeRecipient;
    if (overrides.prevRandao !== undefined) ctx.prevRandao = overrides.prevRandao;
    if (overrides.baseFeePerGas !== undefined) ctx.baseFee = overrides.baseFeePerGas;
    if (overrides.blobBaseFee !== undefined) ctx.blobBaseFee = overrides.blobBaseFee;
  }
  return { ctx, fork };
}

export interface Message {
  tx: Transaction;
  from: Address;
  /** The gas price is zero: the base fee is lowered to 0 for the call. */
  free: boolean;
  freeBlobs: boolean;
}

/**
 * go-ethereum's CallDefaults + ToMessage: the unsigned transaction a call runs as.
 * `gas` is the gas limit to use, `nonce` the sender's.
 */
export function callMessage(
  args: CallArgs,
  env: ExecEnv,
  chainId: bigint,
  nonce: bigint,
  gas: bigint,
): Message {
  if (
    args.gasPrice !== undefined &&
    (args.maxFeePerGas !== undefined || args.maxPriorityFeePerGas !== undefined)
  ) {
    throw serverError("both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified");
  }
  if (args.chainId !== undefined && args.chainId !== chainId) {
    throw serverError(`chainId does not match node's (have=${args.chainId}, want=${chainId})`);
  }
  const from = args.from ?? ZERO_ADDRESS;
  const base = {
    nonce,
    gasLimit: gas,
    to: args.to ?? null,
    value: args.value ?? 0n,
    data: args.data ?? new Uint8Array(0),
    r: 0n,
    s: 0n,
  };
  const accessList = args.accessList ?? [];
  const london = env.fork >= Fork.London;
  let tx: Transaction;
  let price: bigint;
  if (args.gasPrice !== undefined || !london) {
    const gasPrice = args.gasPrice ?? 0n;
    price = gasPrice;
    tx =
      args.accessList !== undefined && env.fork >= Fork.Berlin
        ? { ...base, type: 1, chainId, accessList, yParity: 0, gasPrice }
        : { ...base, type: 0, chainId: undefined, gasPrice, v: 27n };
  } else {
    const maxFeePerGas = args.maxFeePerGas ?? 0n;
    const maxPriorityFeePerGas = args.maxPriorityFeePerGas ?? 0n;
    price = maxFeePerGas;
    const fee = { ...base, chainId, accessList, yParity: 0, maxFeePerGas, maxPriorityFeePerGas };
    if (args.authorizationList !== undefined)
      tx = { ...fee, type: 4, authorizationList: args.authorizationList };
    else if (args.blobVersionedHashes !== undefined) {
      tx = {
        ...fee,
        type: 3,
        maxFeePerBlobGas: args.maxFeePerBlobGas ?? 0n,
        blobVersionedHashes: args.blobVersionedHashes,
      };
    } else tx = { ...fee, type: 2 };
  }
  return { tx, from, free: price === 0n, freeBlobs: (args.maxFeePerBlobGas ?? 0n) === 0n };
}

/** go-ethereum's wording of a transaction the state transition refuses. */
export function gethTxError(
  err: TxValidationError,
  m: Message,
  state: StateDB,
  ctx: BlockContext,
  fork: Fork,
): string {
  const tx = m.tx;
  const who = checksumAddress(m.from);
  if (err instanceof InsufficientFundsError) {
    let want = tx.gasLimit * txFeeCap(tx) + tx.value;
    if (tx.type === 3) want += GAS_PER_BLOB * BigInt(tx.blobVersionedHashes.length) * tx.maxFeePerBlobGas;
    return `insufficient funds for gas * price + value: address ${who} have ${state.getBalance(m.from)} want ${want}`;
  }
  if (err instanceof FeeCapTooLowError) {
    return `max fee per gas less than block base fee: address ${who}, maxFeePerGas: ${txFeeCap(tx)}, baseFee: ${ctx.baseFee}`;
  }
  if (err instanceof IntrinsicGasTooLowError) {
    return `intrinsic gas too low: have ${tx.gasLimit}, want ${intrinsicGas(tx, fork).gas}`;
  }
  if (err instanceof FloorDataGasTooLowError) {
    return `insufficient gas for floor data gas cost: have ${tx.gasLimit}, want ${intrinsicGas(tx, fork).floor}`;
  }
  if (err instanceof PriorityFeeGreaterThanMaxFeeError && tx.type >= 2) {
    const t = tx as Extract<Transaction, { maxFeePerGas: bigint }>;
    return `max priority fee per gas higher than max fee per gas: address ${who}, maxPriorityFeePerGas: ${t.maxPriorityFeePerGas}, maxFeePerGas: ${t.maxFeePerGas}`;
  }
  if (err instanceof SenderNotEOAError) {
    return `sender not an eoa: address ${who}, len(code): ${state.getCode(m.from).length}`;
  }
  if (err instanceof BlobFeeCapTooLowError && tx.type === 3) {
    return `max fee per blob gas less than block blob gas fee: address ${who} blobGasFeeCap: ${tx.maxFeePerBlobGas}, blobBaseFee: ${ctx.blobBaseFee}`;
  }
  return err.message;
}

export interface CallRequest {
  args: CallArgs;
  block: StoredBlock;
  stateOverrides?: StateOverrides | undefined;
  blockOverrides?: BlockOverrides | undefined;
  gasCap: bigint;
  /** The EVM timeout in milliseconds (0 or absent: none). */
  timeoutMs?: number | undefined;
  /**
   * Run on the state just before this transaction of `block` (go-ethereum's
   * TraceCallConfig.TxIndex, debug_traceCall) instead of the block's post state.
   */
  txIndex?: number | undefined;
}

/**
 * Go's time.Duration.String() of `ms` milliseconds ("5s", "1m30s", "250ms", "1.5s"),
 * for go-ethereum's timeout messages.
 */
export function goDuration(ms: number): string {
  let ns = BigInt(Math.round(ms * 1e6));
  if (ns === 0n) return "0s";
  const neg = ns < 0n;
  if (neg) ns = -ns;
  const frac = (v: bigint, unit: bigint): string => {
    const whole = v / unit;
    const rest = v % unit;
    if (rest === 0n) return `${whole}`;
    const digits = rest
      .toString()
      .padStart(unit.toString().length - 1, "0")
      .replace(/0+$/, "");
    return `${whole}.${digits}`;
  };
  let out: string;
  if (ns < 1000n) out = `${ns}ns`;
  else if (ns < 1_000_000n) out = `${frac(ns, 1000n)}µs`;
  else if (ns < 1_000_000_000n) out = `${frac(ns, 1_000_000n)}ms`;
  else {
    const h = ns / 3_600_000_000_000n;
    const m = (ns / 60_000_000_000n) % 60n;
    const sec = `${frac(ns % 60_000_000_000n, 1_000_000_000n)}s`;
    out = h > 0n ? `${h}h${m}m${sec}` : m > 0n ? `${m}m${sec}` : sec;
  }
  return neg ? `-${out}` : out;
}

/** The deadline (performance.now() time) of a timeout in milliseconds; undefined for none. */
export function deadlineAfter(timeoutMs: number | undefined): number | undefined {
  return timeoutMs === undefined || timeoutMs <= 0 ? undefined : performance.now() + timeoutMs;
}

/** go-ethereum's error for a call stopped by the EVM timeout. */
export function timeoutError(timeoutMs: number): RpcError {
  return serverError(`execution aborted (timeout = ${goDuration(timeoutMs)})`);
}

/** Everything needed to run a call at several gas limits (eth_estimateGas re-runs it). */
export interface PreparedCall {
  reader: StateReader;
  env: ExecEnv;
  args: CallArgs;
  from: Address;
  nonce: bigint;
  chainId: bigint;
}

export function prepareCall(node: DevNode, req: CallRequest): PreparedCall {
  const base =
    req.txIndex === undefined ? stateOf(node, req.block) : stateAtTransaction(node, req.block, req.txIndex);
  const reader = overlayReader(base, req.stateOverrides);
  const env = blockEnv(node, req.block, req.blockOverrides);
  const from = req.args.from ?? ZERO_ADDRESS;
  return {
    reader,
    env,
    args: req.args,
    from,
    nonce: reader.getAccount(from)?.nonce ?? 0n,
    chainId: node.chainId,
  };
}

/** Outcome of one run: a result, or the validation error text (go-ethereum's). */
export type RunOutcome =
  | { result: TxResult; error?: undefined }
  | { result?: undefined; error: string; intrinsic: boolean };

/**
 * Runs a prepared call with gas limit `gas` on a fresh state. Past `deadline` (a
 * performance.now() time) the EVM throws ExecutionAbortedError.
 */
export function runPrepared(
  p: PreparedCall,
  gas: bigint,
  hooks: Hooks | null = null,
  deadline?: number,
): RunOutcome {
  const m = callMessage(p.args, p.env, p.chainId, p.nonce, gas);
  const ctx: BlockContext = { ...p.env.ctx };
  if (m.free) ctx.baseFee = 0n;
  if (m.freeBlobs) ctx.blobBaseFee = 0n;
  const state = new StateDB(p.reader);
  // EIP-7825: a call may ask for more, but execution gets at most the transaction cap.
  // The balance check still covers the gas asked for, as in go-ethereum.
  if (p.env.fork >= Fork.Osaka && m.tx.gasLimit > TX_GAS_LIMIT_CAP) {
    let want = m.tx.gasLimit * txFeeCap(m.tx) + m.tx.value;
    if (m.tx.type === 3)
      want += GAS_PER_BLOB * BigInt(m.tx.blobVersionedHashes.length) * m.tx.maxFeePerBlobGas;
    const have = state.getBalance(m.from);
    // (The base-fee check comes first in go-ethereum; applyTransaction reports that one.)
    if (have < want && txFeeCap(m.tx) >= ctx.baseFee) {
      const who = checksumAddress(m.from);
      return {
        error: `insufficient funds for gas * price + value: address ${who} have ${have} want ${want}`,
        intrinsic: false,
      };
    }
    m.tx.gasLimit = TX_GAS_LIMIT_CAP;
  }
  try {
    const opts: Parameters<typeof applyTransaction>[6] = {
      blockGasAvailable: m.tx.gasLimit,
      // A call is not a transaction: its sender may hold code (go-ethereum's SkipTransactionChecks).
      skipTransactionChecks: true,
    };
    if (deadline !== undefined) opts.deadline = deadline;
    const result = applyTransaction(state, ctx, m.tx, m.from, p.env.fork, hooks, opts);
    return { result };
  } catch (err) {
    if (err instanceof TxValidationError) {
      return {
        error: gethTxError(err, m, state, ctx, p.env.fork),
        intrinsic: err instanceof IntrinsicGasTooLowError || err instanceof FloorDataGasTooLowError,
      };
    }
    throw err;
  }
}

/** go-ethereum's CallDefaults gas: the given gas capped by `cap`, or the cap; a cap of 0 is none. */
export function callGas(args: CallArgs, cap: bigint): bigint {
  if (args.gas === undefined) return cap === 0n ? UNCAPPED_CALL_GAS : cap;
  return cap !== 0n && args.gas > cap ? cap : args.gas;
}

/** eth_call: the return data, or the error go-ethereum would give. */
export function doCall(node: DevNode, req: CallRequest, hooks: Hooks | null = null): TxResult {
  const p = prepareCall(node, req);
  const gas = callGas(req.args, req.gasCap);
  let out: RunOutcome;
  try {
    out = runPrepared(p, gas, hooks, deadlineAfter(req.timeoutMs));
  } catch (err) {
    if (err instanceof ExecutionAbortedError) throw timeoutError(req.timeoutMs ?? 0);
    throw err;
  }
  if (out.error !== undefined) throw serverError(`err: ${out.error} (supplied gas ${gas})`);
  return out.result;
}

/** Turns a failed call result into go-ethereum's RPC error. */
export function callFailure(r: TxResult): RpcError {
  if (r.error === "execution reverted") return revertError(r.returnData);
  return serverError(r.error ?? "execution failed");
}

/** eth_estimateGas, following go-ethereum's gasestimator.Estimate (the EVM timeout bounds all its runs). */
export function estimateGas(node: DevNode, req: CallRequest): bigint {
  const deadline = deadlineAfter(req.timeoutMs);
  try {
    return estimateWithin(node, req, deadline);
  } catch (err) {
    if (err instanceof ExecutionAbortedError) throw timeoutError(req.timeoutMs ?? 0);
    throw err;
  }
}

function estimateWithin(node: DevNode, req: CallRequest, deadline: number | undefined): bigint {
  const p = prepareCall(node, req);
  const header = req.block.block.header;
  let hi =
    req.args.gas !== undefined && req.args.gas >= TX_GAS
      ? req.args.gas
      : (req.blockOverrides?.gasLimit ?? header.gasLimit);
  if (p.env.fork >= Fork.Osaka && hi > TX_GAS_LIMIT_CAP) hi = TX_GAS_LIMIT_CAP;
  const a = req.args;
  const feeCap = a.maxFeePerGas ?? a.gasPrice ?? 0n;
  if (feeCap > 0n) {
    let available = p.reader.getAccount(p.from)?.balance ?? 0n;
    const value = a.value ?? 0n;
    if (value >= available && value > 0n) throw serverError("insufficient funds for transfer");
    available -= value;
    if (
      a.blobVersionedHashes !== undefined &&
      a.blobVersionedHashes.length > 0 &&
      p.env.fork >= Fork.Cancun
    ) {
      const blobCost = BigInt(a.blobVersionedHashes.length) * GAS_PER_BLOB * (a.maxFeePerBlobGas ?? 0n);
      if (blobCost >= available) throw serverError("insufficient funds for gas * price + value");
      available -= blobCost;
    }
    const allowance = available / feeCap;
    if (hi > allowance) hi = allowance;
  }
  if (req.gasCap !== 0n && hi > req.gasCap) hi = req.gasCap;
  const run = (gas: bigint): { failed: boolean; result?: TxResult } => {
    const out = runPrepared(p, gas, null, deadline);
    if (out.error !== undefined) {
      if (out.intrinsic) return { failed: true };
      throw serverError(out.error);
    }
    return { failed: !out.result.success, result: out.result };
  };
  // A plain transfer to an account without code: try 21000 first.
  const to = a.to ?? null;
  if ((a.data === undefined || a.data.length === 0) && to !== null) {
    const code = p.reader.getAccount(to)?.code;
    if (code === undefined || code.length === 0) {
      try {
        if (!run(TX_GAS).failed) return TX_GAS;
      } catch (err) {
        if (err instanceof ExecutionAbortedError) throw err;
        /* fall through to the full estimation */
      }
    }
  }
  const first = run(hi);
  if (first.failed) {
    // As go-ethereum's errors.Is(err, vm.ErrOutOfGas): gas-function errors ("out of gas: …") count too.
    const error = first.result?.error;
    if (first.result !== undefined && error !== "out of gas" && !error?.startsWith("out of gas: ")) {
      throw callFailure(first.result);
    }
    throw serverError(`gas required exceeds allowance (${hi})`);
  }
  let lo = first.result!.gasUsed - 1n;
  const optimistic = ((first.result!.gasUsedBeforeRefund + CALL_STIPEND) * 64n) / 63n;
  if (optimistic < hi) {
    if (run(optimistic).failed) lo = optimistic;
    else hi = optimistic;
  }
  while (lo + 1n < hi) {
    if (Number(hi - lo) / Number(hi) < ESTIMATE_ERROR_RATIO) break;
    let mid = lo + (hi - lo) / 2n;
    if (mid > lo * 2n) mid = lo * 2n;
    if (run(mid).failed) lo = mid;
    else hi = mid;
  }
  return hi;
}

/**
 * A read-only view of `state`'s current contents: its backend with the changes it holds
 * (finalised transactions) applied. The StateDB must not change afterwards.
 */
export function stateReaderOf(state: StateDB): StateReader {
  const changes = new Map(state.changedAccounts().map((c) => [c.address, c]));
  const base = state.reader;
  return {
    getAccount(address: Address): AccountData | undefined {
      const acc = base.getAccount(address);
      const c = changes.get(address);
      if (c === undefined) return acc;
      if (c.account === undefined) return undefined;
      const storage = new Map(c.storageReset || acc === undefined ? [] : acc.storage);
      for (const [k, v] of c.storage) {
        if (v === 0n) storage.delete(k);
        else storage.set(k, v);
      }
      return { nonce: c.account.nonce, balance: c.account.balance, code: c.account.code, storage };
    },
  };
}

/**
 * The state just before transaction `txIndex` of `b`, as go-ethereum's
 * stateAtTransaction: the parent's post state after the block's pre-transaction system
 * calls and its transactions before `txIndex`. Index 0 of a block without transactions
 * is the state after the system calls; any other index past the last transaction, or the
 * genesis block, is an error with go-ethereum's text.
 */
export function stateAtTransaction(node: DevNode, b: StoredBlock, txIndex: number): StateReader {
  if (b.block.header.number === 0n) throw serverError("no transaction in genesis");
  const n = b.block.transactions.length;
  if (txIndex >= n && !(txIndex === 0 && n === 0)) {
    throw serverError(`transaction index ${txIndex} out of range for block ${b.hash}`);
  }
  return stateReaderOf(stateBeforeTx(node, b, txIndex).state);
}

/**
 * The state just before transaction `index` of block `b`, with the block's context:
 * the parent's post state, what the block does before its transactions (applyBlockStart:
 * the DAO drain, the EIP-4788 and EIP-2935 system calls) and the transactions before
 * `index`, as go-ethereum's stateAtTransaction.
 */
export function stateBeforeTx(
  node: DevNode,
  b: StoredBlock,
  index: number,
): { state: StateDB; ctx: BlockContext; fork: Fork; gasUsed: bigint } {
  const spec = node.genesis.spec;
  const h = b.block.header;
  const parent = node.chain.get(bytesToHex(h.parentHash));
  if (parent === undefined) throw serverError(`parent of block ${b.hash} not found`);
  const state = new StateDB(stateOf(node, parent));
  const fork = headerFork(spec, h);
  const chain = node.chain;
  const ctx = blockContextFor(spec, b.block, fork, (n) => {
    const s = chain.canonicalAt(n);
    return s === undefined ? 0n : BigInt(s.hash);
  });
  applyBlockStart(spec.config, state, ctx, fork, h);
  let gasUsed = 0n;
  for (let i = 0; i < index; i++) {
    const tx = b.block.transactions[i]!;
    const r = applyTransaction(state, ctx, tx, node.sender(tx), fork, null, {
      blockGasAvailable: h.gasLimit - gasUsed,
    });
    gasUsed += r.gasUsed;
  }
  return { state, ctx, fork, gasUsed };
}
