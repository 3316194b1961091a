/**
 * eth_simulateV1 (execution-apis `eth_simulateV1`): runs batches of calls as a chain of
 * simulated blocks on top of a chosen block, following go-ethereum's simulator
 * (internal/ethapi/simulate.go) and its rules:
 *
 * - Each entry of `blockStateCalls` is one block. Without a number override a block is
 *   the previous number + 1; without a time override its timestamp is the previous + 12.
 *   Numbers and timestamps must increase (-38020, -38021); a gap in the numbers is filled
 *   with empty blocks, each 12 seconds after the one before. At most 256 blocks past the
 *   base block (-38026).
 * - Header fields: coinbase, gas limit and difficulty carry over from the block before
 *   (difficulty is 0 after the merge), mix hash from `prevRandao`, the parent beacon root
 *   from `beaconRoot` (zero by default), withdrawals from `withdrawals` (none by default).
 *   The base fee is the override, else the EIP-1559 value when `validation` is set, else
 *   0. The blob base fee override only changes what the EVM sees.
 * - State overrides are applied at the start of their block; `movePrecompileToAddress`
 *   moves a precompile for that block (any override of a precompile's address removes
 *   it). Then come the block's system calls, the calls, the EIP-7685 requests and the
 *   withdrawals, and the roots and hash of the block are computed as for a real block.
 * - Calls become unsigned transactions (type 2 by default, legacy when `gasPrice` is
 *   given, 4 with an authorization list, 3 with blob hashes). The nonce defaults to the
 *   sender's; gas to what is left in the block, then clamped by the RPC gas cap that all
 *   calls of the request share. The sender may hold code. Without `validation` nonces are
 *   not checked and a call with no fees skips the base-fee check. A call that cannot run
 *   fails the whole request with go-ethereum's code (-38010 nonce too low, -38011 too
 *   high, -38012 fee cap below base fee, -38013 intrinsic gas, -38014 funds, -38015 block
 *   gas limit reached, -38024 sender not an EOA, -38025 init code too large, -32602,
 *   -32603); a call that reverts or fails in the EVM is reported in its `calls` entry.
 * - Each call's `logs` are those of its frames that did not revert; with `traceTransfers`
 *   every value transfer (not by DELEGATECALL/CALLCODE) adds an ERC-7528 Transfer log
 *   from 0xeeee…eeee. Log indexes count every log of the block seen during execution.
 */
import { applyTransaction, type TxResult } from "../block/apply.js";
import { blobBaseFee } from "../block/blobs.js";
import { processBeaconBlockRoot, processParentBlockHash, processRequestContracts } from "../block/system.js";
import {
  type Block,
  EMPTY_UNCLE_HASH,
  type Header,
  headerHash,
  mergeBlooms,
  type Receipt,
  receiptsRoot,
  requestsHash,
  transactionsRoot,
  type Withdrawal,
  withdrawalsRoot,
} from "../chain/block.js";
import type { StoredBlock } from "../chain/blockchain.js";
import { blobScheduleAt, nextExcessBlobGas } from "../chain/config.js";
import { depositRequest, receiptBloom } from "../chain/process.js";
import { calcBaseFee, headerFork } from "../chain/validate.js";
import type { BlockContext } from "../evm/context.js";
import { Fork } from "../evm/forks.js";
import { type Precompile, precompilesFor } from "../evm/precompiles/index.js";
import { checksumAddress } from "../node/checksum.js";
import {
  type Address,
  bigintToHex,
  bytesToBigInt,
  bytesToHex,
  hexToBytes,
  wordToBytes,
} from "../primitives/hex.js";
import { StateDB } from "../state/statedb.js";
import {
  BalanceChangeReason,
  CallKind,
  CodeChangeReason,
  type Hooks,
  type LogRecord,
  NonceChangeReason,
} from "../tracing/hooks.js";
import { txHash } from "../tx/decode.js";
import type { Transaction } from "../tx/types.js";
import {
  FeeCapTooLowError,
  FloorDataGasTooLowError,
  InitcodeSizeExceededError,
  InsufficientFundsError,
  IntrinsicGasTooLowError,
  PriorityFeeGreaterThanMaxFeeError,
  SenderNotEOAError,
  TxValidationError,
} from "../tx/validate.js";
import { INTERNAL_ERROR, INVALID_PARAMS, RpcError, revertReason, serverError } from "./errors.js";
import { gethTxError, resolveBlock, stateOf } from "./exec.js";
import { formatBlock } from "./format.js";
import {
  args,
  type BlockOverrides,
  type BlockRef,
  type CallArgs,
  optParam,
  ParamError,
  param,
  readAddress,
  readBlockOverrides,
  readBlockRef,
  readBool,
  readCallArgs,
  readData,
  readHash,
  readQuantity,
} from "./params.js";
import type { RpcEnv } from "./types.js";

type Json = Record<string, unknown>;

/** go-ethereum's limits and defaults (internal/ethapi/simulate.go). */
export const MAX_SIMULATE_BLOCKS = 256n;
const MAX_CALLS_PER_BLOCK = 5000;
const MAX_TOTAL_CALLS = 10000;
const TIMESTAMP_INCREMENT = 12n;

/** go-ethereum's eth_simulateV1 error codes. */
export const SimErrorCode = {
  NonceTooHigh: -38011,
  NonceTooLow: -38010,
  BaseFeeTooLow: -38012,
  IntrinsicGas: -38013,
  InsufficientFunds: -38014,
  BlockGasLimitReached: -38015,
  BlockNumberInvalid: -38020,
  BlockTimestampInvalid: -38021,
  SenderIsNotEOA: -38024,
  MaxInitCodeSizeExceeded: -38025,
  ClientLimitExceeded: -38026,
  VMError: -32015,
} as const;

/** ERC-7528's pseudo-address for native ETH and the ERC-20 Transfer topic. */
const TRANSFER_ADDRESS: Address = "0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";
const TRANSFER_TOPIC = 0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3efn;
const ZERO_ADDRESS: Address = "0x0000000000000000000000000000000000000000";
const ZERO_HASH = new Uint8Array(32);
const GWEI = 1_000_000_000n;
const MAX_NONCE = (1n << 64n) - 1n;

// ---------------------------------------------------------------------------
// Parameters

export interface SimAccountOverride {
  nonce?: bigint;
  balance?: bigint;
  code?: Uint8Array;
  state?: Map<bigint, bigint>;
  stateDiff?: Map<bigint, bigint>;
  movePrecompileToAddress?: Address;
}

export interface SimBlockOverrides extends BlockOverrides {
  beaconRoot?: Uint8Array;
  withdrawals?: Withdrawal[];
}

export interface SimBlock {
  blockOverrides: SimBlockOverrides;
  stateOverrides: Map<Address, SimAccountOverride>;
  calls: CallArgs[];
}

export interface SimOptions {
  blocks: SimBlock[];
  traceTransfers: boolean;
  validation: boolean;
  returnFullTransactions: boolean;
}

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const present = (v: unknown) => v !== undefined && v !== null;

function readSlots(v: unknown, what: string): Map<bigint, bigint> {
  if (!isObject(v)) throw new ParamError(`${what}: expected an object of slot to value`);
  const out = new Map<bigint, bigint>();
  for (const [k, val] of Object.entries(v)) {
    out.set(BigInt(readHash(k, `${what} key`)), BigInt(readHash(val, `${what}[${k}]`)));
  }
  return out;
}

/** go-ethereum's StateOverride, with movePrecompileToAddress. */
export function readSimStateOverrides(v: unknown, what: string): Map<Address, SimAccountOverride> {
  if (!isObject(v)) throw new ParamError(`${what}: expected an object of account overrides`);
  const out = new Map<Address, SimAccountOverride>();
  for (const [addr, o] of Object.entries(v)) {
    const address = readAddress(addr, `${what} address`);
    const w = `${what}[${addr}]`;
    if (!isObject(o)) throw new ParamError(`${w}: expected an object`);
    const acc: SimAccountOverride = {};
    if (present(o.nonce)) acc.nonce = readQuantity(o.nonce, `${w}.nonce`, 64);
    if (present(o.balance)) acc.balance = readQuantity(o.balance, `${w}.balance`);
    if (present(o.code)) acc.code = readData(o.code, `${w}.code`);
    if (present(o.state)) acc.state = readSlots(o.state, `${w}.state`);
    if (present(o.stateDiff)) acc.stateDiff = readSlots(o.stateDiff, `${w}.stateDiff`);
    if (present(o.movePrecompileToAddress)) {
      acc.movePrecompileToAddress = readAddress(o.movePrecompileToAddress, `${w}.movePrecompileToAddress`);
    }
    out.set(address, acc);
  }
  return out;
}

function readWithdrawals(v: unknown, what: string): Withdrawal[] {
  if (!Array.isArray(v)) throw new ParamError(`${what}: expected an array of withdrawals`);
  return v.map((e, i) => {
    const w = `${what}[${i}]`;
    if (!isObject(e)) throw new ParamError(`${w}: expected an object`);
    return {
      index: readQuantity(e.index, `${w}.index`, 64),
      validatorIndex: readQuantity(e.validatorIndex, `${w}.validatorIndex`, 64),
      address: readAddress(e.address, `${w}.address`),
      amount: readQuantity(e.amount, `${w}.amount`, 64),
    };
  });
}

function readSimBlockOverrides(v: unknown, what: string): SimBlockOverrides {
  const out: SimBlockOverrides = readBlockOverrides(v, what);
  const o = v as Json;
  if (present(o.beaconRoot)) out.beaconRoot = hexToBytes(readHash(o.beaconRoot, `${what}.beaconRoot`));
  if (present(o.withdrawals)) out.withdrawals = readWithdrawals(o.withdrawals, `${what}.withdrawals`);
  return out;
}

/** The first argument of eth_simulateV1 (unknown fields are ignored, as Go's decoder does). */
export function readSimOptions(v: unknown, what: string): SimOptions {
  if (!isObject(v)) throw new ParamError(`${what}: expected a simulation object`);
  const raw = v.blockStateCalls;
  const blocks: SimBlock[] = [];
  if (present(raw)) {
    if (!Array.isArray(raw)) throw new ParamError(`${what}blockStateCalls: expected an array`);
    raw.forEach((b, i) => {
      const w = `blockStateCalls[${i}]`;
      if (!isObject(b)) throw new ParamError(`${w}: expected an object`);
      const calls = b.calls;
      if (present(calls) && !Array.isArray(calls)) throw new ParamError(`${w}.calls: expected an array`);
      blocks.push({
        blockOverrides: present(b.blockOverrides)
          ? readSimBlockOverrides(b.blockOverrides, `${w}.blockOverrides`)
          : {},
        stateOverrides: present(b.stateOverrides)
          ? readSimStateOverrides(b.stateOverrides, `${w}.stateOverrides`)
          : new Map(),
        calls: ((calls as unknown[] | undefined | null) ?? []).map((c, j) =>
          readCallArgs(c, `${w}.calls[${j}]`),
        ),
      });
    });
  }
  const flag = (k: string) => (present(v[k]) ? readBool(v[k], k) : false);
  return {
    blocks,
    traceTransfers: flag("traceTransfers"),
    validation: flag("validation"),
    returnFullTransactions: flag("returnFullTransactions"),
  };
}

// ---------------------------------------------------------------------------
// The call log tracer

interface CapturedLog {
  log: LogRecord;
  index: number;
}

/**
 * Collects the logs of one transaction per open frame, dropping those of frames that
 * revert; with `traceTransfers` also synthesises ERC-7528 transfer logs (go-ethereum's
 * internal/ethapi/logtracer.go).
 */
class CallLogTracer {
  private frames: CapturedLog[][] = [];
  private count = 0;
  readonly hooks: Hooks;

  constructor(private readonly traceTransfers: boolean) {
    this.hooks = {
      onEnter: (_depth, kind, from, to, _input, _gas, value) => {
        this.frames.push([]);
        if (kind !== CallKind.DELEGATECALL && kind !== CallKind.CALLCODE && value > 0n) {
          if (this.traceTransfers) {
            this.capture({
              address: TRANSFER_ADDRESS,
              topics: [TRANSFER_TOPIC, BigInt(from), BigInt(to)],
              data: wordToBytes(value),
            });
          }
        }
      },
      onExit: (depth, _output, _gasUsed, _error, reverted) => {
        if (depth === 0) {
          if (reverted && this.frames.length > 0) this.frames[0] = [];
          return;
        }
        if (this.frames.length <= 1) return;
        const frame = this.frames.pop()!;
        if (!reverted) this.frames[this.frames.length - 1]!.push(...frame);
      },
      onLog: (log) => this.capture(log),
    };
  }

  private capture(log: LogRecord): void {
    if (this.frames.length === 0) this.frames.push([]);
    this.frames[this.frames.length - 1]!.push({ log, index: this.count++ });
  }

  reset(): void {
    this.frames = [];
  }

  logs(): CapturedLog[] {
    return this.frames[0] ?? [];
  }
}

// ---------------------------------------------------------------------------
// The simulator

interface PlannedBlock {
  number: bigint;
  time: bigint;
  overrides: SimBlockOverrides;
  stateOverrides: Map<Address, SimAccountOverride>;
  calls: CallArgs[];
}

interface CallResult {
  returnData: Uint8Array;
  logs: CapturedLog[];
  gasUsed: bigint;
  maxUsedGas: bigint;
  status: boolean;
  error?: { code: number; message: string; data?: string };
  txHash: string;
  txIndex: number;
}

function simError(code: number, message: string): RpcError {
  return new RpcError(code, message);
}

/** go-ethereum's sanitizeChain: numbers and times filled in and checked, gaps filled. */
function planChain(base: Header, blocks: SimBlock[]): PlannedBlock[] {
  const out: PlannedBlock[] = [];
  let prevNumber = base.number;
  let prevTime = base.timestamp;
  for (const b of blocks) {
    const o = b.blockOverrides;
    const number = o.number ?? prevNumber + 1n;
    if (number <= prevNumber) {
      throw simError(
        SimErrorCode.BlockNumberInvalid,
        `block numbers must be in order: ${number} <= ${prevNumber}`,
      );
    }
    if (number - base.number > MAX_SIMULATE_BLOCKS) {
      throw simError(SimErrorCode.ClientLimitExceeded, "too many blocks");
    }
    for (let n = prevNumber + 1n; n < number; n++) {
      prevTime += TIMESTAMP_INCREMENT;
      out.push({ number: n, time: prevTime, overrides: {}, stateOverrides: new Map(), calls: [] });
    }
    prevNumber = number;
    let time: bigint;
    if (o.time === undefined) time = prevTime + TIMESTAMP_INCREMENT;
    else {
      time = o.time;
      if (time <= prevTime) {
        throw simError(
          SimErrorCode.BlockTimestampInvalid,
          `block timestamps must be in order: ${time} <= ${prevTime}`,
        );
      }
    }
    prevTime = time;
    out.push({ number, time, overrides: o, stateOverrides: b.stateOverrides, calls: b.calls });
  }
  return out;
}

const cmpAddress = (a: Address, b: Address) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * go-ethereum's StateOverride.Apply: writes the overrides into `state` (sorted by
 * address) and updates `precompiles` for moves. Throws as go-ethereum words it.
 */
function applyStateOverrides(
  state: StateDB,
  overrides: Map<Address, SimAccountOverride>,
  precompiles: Map<string, Precompile>,
): void {
  if (overrides.size === 0) return;
  const moved = new Set<Address>();
  state.beginTransaction();
  for (const address of [...overrides.keys()].sort(cmpAddress)) {
    const o = overrides.get(address)!;
    if (moved.has(address)) {
      throw serverError(`account ${checksumAddress(address)} has already been overridden by a precompile`);
    }
    const p = precompiles.get(address);
    if (o.movePrecompileToAddress !== undefined) {
      if (p === undefined) throw serverError(`account ${checksumAddress(address)} is not a precompile`);
      const to = o.movePrecompileToAddress;
      if (overrides.has(to)) throw serverError(`account ${checksumAddress(to)} is already overridden`);
      precompiles.set(to, p);
      moved.add(to);
    }
    if (p !== undefined) precompiles.delete(address);
    if (o.state !== undefined && o.stateDiff !== undefined) {
      throw serverError(`account ${checksumAddress(address)} has both 'state' and 'stateDiff'`);
    }
    if (o.state !== undefined) {
      // Replace all storage: a fresh account keeping nonce, balance and code.
      const nonce = state.getNonce(address);
      const code = state.getCode(address);
      state.createAccount(address);
      if (nonce !== 0n) state.setNonce(address, nonce, NonceChangeReason.Unspecified);
      if (code.length > 0) state.setCode(address, code, CodeChangeReason.Unspecified);
    }
    if (o.nonce !== undefined) state.setNonce(address, o.nonce, NonceChangeReason.Unspecified);
    if (o.code !== undefined) state.setCode(address, o.code, CodeChangeReason.Unspecified);
    if (o.balance !== undefined) state.setBalance(address, o.balance, BalanceChangeReason.Unspecified);
    for (const [k, v] of o.state ?? o.stateDiff ?? []) state.setStorage(address, k, v);
  }
  state.finalizeTransaction(false);
}

/** The transaction a call is shown as (go-ethereum's ToTransaction with type 2 by default). */
function callTransaction(
  a: CallArgs,
  nonce: bigint,
  gas: bigint,
  chainId: bigint,
  london: boolean,
): Transaction {
  const base = {
    nonce,
    gasLimit: gas,
    to: a.to ?? null,
    value: a.value ?? 0n,
    data: a.data ?? new Uint8Array(0),
    r: 0n,
    s: 0n,
  };
  const gasPrice = a.gasPrice ?? (london ? undefined : 0n);
  if (gasPrice !== undefined) return { ...base, type: 0, chainId: undefined, gasPrice, v: 0n };
  const fee = {
    ...base,
    chainId,
    accessList: a.accessList ?? [],
    yParity: 0,
    maxFeePerGas: a.maxFeePerGas ?? 0n,
    maxPriorityFeePerGas: a.maxPriorityFeePerGas ?? 0n,
  };
  if (a.authorizationList !== undefined) return { ...fee, type: 4, authorizationList: a.authorizationList };
  if (a.blobVersionedHashes !== undefined) {
    return {
      ...fee,
      type: 3,
      maxFeePerBlobGas: a.maxFeePerBlobGas ?? 0n,
      blobVersionedHashes: a.blobVersionedHashes,
    };
  }
  return { ...fee, type: 2 };
}

function validationCode(err: TxValidationError): number {
  if (err instanceof FeeCapTooLowError) return SimErrorCode.BaseFeeTooLow;
  if (err instanceof InsufficientFundsError) return SimErrorCode.InsufficientFunds;
  if (err instanceof IntrinsicGasTooLowError) return SimErrorCode.IntrinsicGas;
  if (err instanceof SenderNotEOAError) return SimErrorCode.SenderIsNotEOA;
  if (err instanceof InitcodeSizeExceededError) return SimErrorCode.MaxInitCodeSizeExceeded;
  if (err instanceof PriorityFeeGreaterThanMaxFeeError) return INVALID_PARAMS;
  if (err instanceof FloorDataGasTooLowError) return INTERNAL_ERROR;
  return INTERNAL_ERROR;
}

/** The ethash block reward (no uncles in a simulated block). */
function blockReward(fork: Fork): bigint {
  if (fork >= Fork.Constantinople) return 2_000_000_000_000_000_000n;
  if (fork >= Fork.Byzantium) return 3_000_000_000_000_000_000n;
  return 5_000_000_000_000_000_000n;
}

export function simulateV1(env: RpcEnv, params: unknown[]): Json[] {
  args(params, 2, 1);
  const opts = param(params, 0, readSimOptions);
  const ref = optParam<BlockRef>(params, 1, readBlockRef, { tag: "latest" });
  if (opts.blocks.length === 0) throw new RpcError(INVALID_PARAMS, "empty input");
  if (opts.blocks.length > Number(MAX_SIMULATE_BLOCKS)) {
    throw simError(SimErrorCode.ClientLimitExceeded, "too many blocks");
  }
  let total = 0;
  for (const b of opts.blocks) {
    if (b.calls.length > MAX_CALLS_PER_BLOCK) {
      throw simError(
        SimErrorCode.ClientLimitExceeded,
        `too many calls in block: ${b.calls.length} > ${MAX_CALLS_PER_BLOCK}`,
      );
    }
    total += b.calls.length;
    if (total > MAX_TOTAL_CALLS) {
      throw simError(SimErrorCode.ClientLimitExceeded, `too many calls: ${total} > ${MAX_TOTAL_CALLS}`);
    }
  }
  const node = env.node;
  const spec = node.genesis.spec;
  const baseBlock = resolveBlock(node, ref);
  const base = baseBlock.block.header;
  const state = new StateDB(stateOf(node, baseBlock));
  const planned = planChain(base, opts.blocks);
  let budget = env.gasCap === 0n ? (1n << 64n) - 1n : env.gasCap;

  const simulatedHashes = new Map<bigint, bigint>();
  const getBlockHash = (n: bigint): bigint => {
    if (n === base.number) return BigInt(baseBlock.hash);
    if (n < base.number) {
      const b = node.chain.canonicalAt(n);
      return b === undefined ? 0n : BigInt(b.hash);
    }
    return simulatedHashes.get(n) ?? 0n;
  };

  const results: Json[] = [];
  let parent: Header = base;
  let parentHash = hexToBytes(baseBlock.hash);
  // Fields that carry over from one simulated header to the next (go-ethereum's makeHeaders).
  let coinbase = base.coinbase;
  let gasLimit = base.gasLimit;
  let difficulty = base.difficulty;

  for (const pb of planned) {
    const o = pb.overrides;
    const shanghai = spec.config.times.shanghai;
    const postMerge = base.difficulty === 0n || (shanghai !== undefined && pb.time >= shanghai);
    difficulty = o.difficulty ?? (postMerge ? 0n : difficulty);
    coinbase = o.feeRecipient ?? coinbase;
    gasLimit = o.gasLimit ?? gasLimit;
    const header: Header = {
      parentHash,
      uncleHash: EMPTY_UNCLE_HASH,
      coinbase,
      stateRoot: ZERO_HASH,
      transactionsRoot: ZERO_HASH,
      receiptsRoot: ZERO_HASH,
      logsBloom: new Uint8Array(256),
      difficulty,
      number: pb.number,
      gasLimit,
      gasUsed: 0n,
      timestamp: pb.time,
      extraData: new Uint8Array(0),
      mixHash: o.prevRandao === undefined ? ZERO_HASH : wordToBytes(o.prevRandao),
      nonce: new Uint8Array(8),
    };
    const fork = headerFork(spec, header);
    if (fork >= Fork.London) {
      header.baseFeePerGas = o.baseFeePerGas ?? (opts.validation ? calcBaseFee(spec, parent) : 0n);
    }
    const withdrawals = fork >= Fork.Shanghai ? (o.withdrawals ?? []) : undefined;
    if (withdrawals !== undefined) header.withdrawalsRoot = withdrawalsRoot(withdrawals);
    let blobFee = 0n;
    if (fork >= Fork.Cancun) {
      const schedule = blobScheduleAt(spec.config, fork, header.timestamp);
      const parentFork = headerFork(spec, parent);
      header.excessBlobGas =
        parentFork >= Fork.Cancun
          ? nextExcessBlobGas(
              fork,
              schedule,
              parent.excessBlobGas ?? 0n,
              parent.blobGasUsed ?? 0n,
              parent.baseFeePerGas ?? 0n,
            )
          : 0n;
      header.parentBeaconBlockRoot = o.beaconRoot ?? ZERO_HASH;
      blobFee = blobBaseFee(header.excessBlobGas, schedule);
    }
    const precompiles = new Map(precompilesFor(fork));
    const ctx: BlockContext = {
      coinbase,
      number: header.number,
      timestamp: header.timestamp,
      gasLimit: header.gasLimit,
      difficulty: header.difficulty,
      prevRandao: bytesToBigInt(header.mixHash),
      baseFee: header.baseFeePerGas ?? 0n,
      blobBaseFee: o.blobBaseFee ?? blobFee,
      chainId: node.chainId,
      getBlockHash,
      precompiles,
    };

    applyStateOverrides(state, pb.stateOverrides, precompiles);
    if (fork >= Fork.Cancun && header.parentBeaconBlockRoot !== undefined) {
      processBeaconBlockRoot(state, ctx, fork, bytesToBigInt(header.parentBeaconBlockRoot));
    }
    processParentBlockHash(state, ctx, fork, bytesToBigInt(parentHash));

    const tracer = new CallLogTracer(opts.traceTransfers);
    const txs: Transaction[] = [];
    const senders: Address[] = [];
    const receipts: Receipt[] = [];
    const calls: CallResult[] = [];
    const okLogs: LogRecord[] = [];
    let gasUsed = 0n;
    let blobGasUsed = 0n;
    for (const [i, a] of pb.calls.entries()) {
      const from = a.from ?? ZERO_ADDRESS;
      const stateNonce = state.getNonce(from);
      const nonce = a.nonce ?? stateNonce;
      const remaining = header.gasLimit - gasUsed;
      const asked = a.gas ?? remaining;
      if (remaining < asked) {
        throw simError(
          SimErrorCode.BlockGasLimitReached,
          `block gas limit reached: remaining: ${remaining}, required: ${asked}`,
        );
      }
      const gas = asked > budget ? budget : asked;
      const gasCapped = gas < asked;
      if (
        a.gasPrice !== undefined &&
        (a.maxFeePerGas !== undefined || a.maxPriorityFeePerGas !== undefined)
      ) {
        throw serverError("both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified");
      }
      if (a.chainId !== undefined && a.chainId !== node.chainId) {
        throw serverError(`chainId does not match node's (have=${a.chainId}, want=${node.chainId})`);
      }
      const tx = callTransaction(a, nonce, gas, node.chainId, fork >= Fork.London);
      const hash = bytesToHex(txHash(tx));
      if (opts.validation) {
        const who = checksumAddress(from);
        if (stateNonce === MAX_NONCE) {
          throw new RpcError(INTERNAL_ERROR, `nonce has max value: address ${who}, nonce: ${stateNonce}`);
        }
        if (nonce > stateNonce) {
          throw simError(
            SimErrorCode.NonceTooHigh,
            `nonce too high: address ${who}, tx: ${nonce} state: ${stateNonce}`,
          );
        }
        if (nonce < stateNonce) {
          throw simError(
            SimErrorCode.NonceTooLow,
            `nonce too low: address ${who}, tx: ${nonce} state: ${stateNonce}`,
          );
        }
      }
      // Without validation the nonce is not checked: run with the sender's. A sender at
      // nonce 2^64-1 then wraps to 0, as go-ethereum's uint64 does.
      const wraps = !opts.validation && stateNonce === MAX_NONCE;
      if (wraps) state.setNonce(from, 0n, NonceChangeReason.Unspecified);
      const runNonce = wraps ? 0n : stateNonce;
      const run: Transaction = nonce === runNonce ? tx : { ...tx, nonce: runNonce };
      tracer.reset();
      let r: TxResult;
      try {
        r = applyTransaction(state, ctx, run, from, fork, tracer.hooks, {
          blockGasAvailable: remaining,
          skipTransactionChecks: true,
          noBaseFee: !opts.validation,
        });
      } catch (err) {
        if (err instanceof TxValidationError) {
          const m = { tx: run, from, free: false, freeBlobs: false };
          throw simError(validationCode(err), gethTxError(err, m, state, ctx, fork));
        }
        throw err;
      }
      if (wraps) state.setNonce(from, state.getNonce(from) - 1n, NonceChangeReason.Unspecified);
      gasUsed += r.gasUsed;
      blobGasUsed += r.blobGasUsed;
      if (r.gasUsed > budget)
        throw serverError(`RPC gas cap exhausted: need ${r.gasUsed}, remaining ${budget}`);
      budget -= r.gasUsed;
      txs.push(tx);
      senders.push(from);
      const receipt: Receipt = {
        type: tx.type,
        cumulativeGasUsed: gasUsed,
        logs: r.logs,
        bloom: receiptBloom(r.logs),
      };
      if (fork >= Fork.Byzantium) receipt.status = r.success;
      else receipt.postState = state.stateRoot();
      receipts.push(receipt);
      // go-ethereum reports no return data for a failed call, and the deployed code for a creation.
      let returnData = r.success ? r.returnData : new Uint8Array(0);
      if (r.success && r.contractAddress !== null) returnData = state.getCode(r.contractAddress);
      const res: CallResult = {
        returnData,
        logs: tracer.logs(),
        gasUsed: r.gasUsed,
        maxUsedGas: r.gasUsedBeforeRefund > r.gasUsed ? r.gasUsedBeforeRefund : r.gasUsed,
        status: r.success,
        txHash: hash,
        txIndex: i,
      };
      if (!r.success) {
        if (r.error === "execution reverted") {
          const reason = revertReason(r.returnData);
          res.error = {
            code: 3,
            message: reason === undefined ? "execution reverted" : `execution reverted: ${reason}`,
            data: bytesToHex(r.returnData),
          };
        } else {
          let message = r.error ?? "execution failed";
          if (gasCapped) message += " (gas limit was capped by the RPC server's global gas cap)";
          res.error = { code: SimErrorCode.VMError, message };
        }
      } else okLogs.push(...res.logs.map((l) => l.log));
      calls.push(res);
    }
    header.gasUsed = gasUsed;
    if (fork >= Fork.Cancun) header.blobGasUsed = blobGasUsed;

    if (fork >= Fork.Prague) {
      const requests: Uint8Array[] = [];
      if (spec.depositContractAddress !== undefined) {
        const dep = depositRequest(okLogs, spec.depositContractAddress);
        if (dep !== null) requests.push(dep);
      }
      try {
        requests.push(...processRequestContracts(state, ctx, fork));
      } catch (err) {
        throw new RpcError(INTERNAL_ERROR, (err as Error).message);
      }
      header.requestsHash = requestsHash(requests);
    }
    // The consensus engine's finalisation: withdrawals after the merge, the ethash block
    // reward before it.
    if (header.difficulty === 0n) {
      if (withdrawals !== undefined && withdrawals.length > 0) {
        state.beginTransaction();
        for (const w of withdrawals)
          state.addBalance(w.address, w.amount * GWEI, BalanceChangeReason.Withdrawal);
        state.finalizeTransaction(true);
      }
    } else {
      state.beginTransaction();
      state.addBalance(coinbase, blockReward(fork), BalanceChangeReason.RewardMineBlock);
      state.finalizeTransaction(fork >= Fork.SpuriousDragon);
    }
    header.stateRoot = state.stateRoot();
    header.transactionsRoot = transactionsRoot(txs);
    header.receiptsRoot = receiptsRoot(receipts);
    header.logsBloom = mergeBlooms(receipts);
    const block: Block = { header, transactions: txs, uncles: [] };
    if (withdrawals !== undefined) block.withdrawals = withdrawals;
    const hash = bytesToHex(headerHash(header));
    simulatedHashes.set(header.number, BigInt(hash));

    const stored: StoredBlock = { block, hash, td: 0n, receipts, fork };
    // Senders by position (two calls may share a hash).
    const out = formatBlock(spec, stored, opts.returnFullTransactions, () => ZERO_ADDRESS);
    if (opts.returnFullTransactions) {
      (out.transactions as Json[]).forEach((t, i) => {
        t.from = senders[i];
      });
    }
    out.calls = calls.map((c) => {
      const j: Json = {
        returnData: bytesToHex(c.returnData),
        logs: c.logs.map((l) => ({
          address: l.log.address,
          topics: l.log.topics.map((t) => bytesToHex(wordToBytes(t))),
          data: bytesToHex(l.log.data),
          blockNumber: bigintToHex(header.number),
          transactionHash: c.txHash,
          transactionIndex: `0x${c.txIndex.toString(16)}`,
          blockHash: hash,
          blockTimestamp: bigintToHex(header.timestamp),
          logIndex: `0x${l.index.toString(16)}`,
          removed: false,
        })),
        gasUsed: bigintToHex(c.gasUsed),
        maxUsedGas: bigintToHex(c.maxUsedGas),
        status: c.status ? "0x1" : "0x0",
      };
      if (c.error !== undefined) j.error = c.error;
      return j;
    });
    results.push(out);
    parent = header;
    parentHash = hexToBytes(hash);
  }
  return results;
}
