/**
 * Block processing: runs a block on its parent's state and checks the result against the
 * header, as go-ethereum's core/state_processor.go and BlockValidator.ValidateState.
 *
 * Order: at the DAO fork block of a chain supporting it, the fork's balance drain to the
 * refund contract (dao.ts); the EIP-4788 beacon-root system call (when the header
 * carries a parent beacon root) and the EIP-2935 parent-hash system call (Prague); each
 * transaction through applyTransaction with the block's remaining gas and blob limit,
 * giving a receipt (status from Byzantium, the intermediate state root before it); the
 * EIP-7685 requests (Prague: EIP-6110 deposits from the deposit contract's logs, then
 * the EIP-7002 and EIP-7251 queues); then withdrawals (Shanghai, Gwei credited as wei)
 * for proof-of-stake blocks, or the ethash block and uncle rewards for proof-of-work
 * blocks. Then gas used, logs bloom, receipts root, requests hash and state root are
 * compared with the header.
 *
 * Header and body checks (validate.ts) are the caller's job and come first. Any failure
 * throws a BlockValidationError naming the check, with expected and actual values where
 * there are two.
 */
import { applyTransaction } from "../block/apply.js";
import { blobBaseFee, GAS_PER_BLOB } from "../block/blobs.js";
import {
  processBeaconBlockRoot,
  processParentBlockHash,
  processRequestContracts,
  RequestType,
} from "../block/system.js";
import { blobScheduleAt, type ChainConfig } from "../chain/config.js";
import type { BlockContext } from "../evm/context.js";
import { Fork } from "../evm/forks.js";
import { logsBloom } from "../primitives/bloom.js";
import {
  type Address,
  bytesEqual,
  bytesToBigInt,
  bytesToHex,
  concatBytes,
  hexToBytes,
  wordToBytes,
} from "../primitives/hex.js";
import { keccak256 } from "../primitives/keccak.js";
import { StateDB, type StateReader } from "../state/statedb.js";
import { BalanceChangeReason, type Hooks, type LogRecord } from "../tracing/hooks.js";
import { recoverSender } from "../tx/sender.js";
import { TxValidationError } from "../tx/validate.js";
import { type Block, type Header, mergeBlooms, type Receipt, receiptsRoot, requestsHash } from "./block.js";
import { applyDaoHardFork, isDaoForkBlock } from "./dao.js";
import { BlockValidationError, type ChainSpec, headerFork, isPoSHeader } from "./validate.js";

export interface ProcessResult {
  fork: Fork;
  /** The state after the block (already finalised). */
  state: StateDB;
  receipts: Receipt[];
  gasUsed: bigint;
  blobGasUsed: bigint;
  /** EIP-7685 requests (type byte ++ data), Prague on; undefined before. */
  requests: Uint8Array[] | undefined;
  stateRoot: Uint8Array;
}

export interface ProcessOptions {
  hooks?: Hooks | null;
  /** Skip the checks against the header's roots (for building blocks). */
  skipChecks?: boolean;
}

const FRONTIER_REWARD = 5_000_000_000_000_000_000n;
const BYZANTIUM_REWARD = 3_000_000_000_000_000_000n;
const CONSTANTINOPLE_REWARD = 2_000_000_000_000_000_000n;
const GWEI = 1_000_000_000n;
/** keccak("DepositEvent(bytes,bytes,bytes,bytes,bytes)"), the EIP-6110 deposit log topic. */
export const DEPOSIT_TOPIC = bytesToBigInt(
  keccak256(new TextEncoder().encode("DepositEvent(bytes,bytes,bytes,bytes,bytes)")),
);

/** The block context the EVM sees for `block`; `getBlockHash` answers BLOCKHASH. */
export function blockContextFor(
  spec: ChainSpec,
  block: Block,
  fork: Fork,
  getBlockHash: (n: bigint) => bigint,
): BlockContext {
  const h = block.header;
  let blobFee = 0n;
  if (fork >= Fork.Cancun) {
    blobFee = blobBaseFee(h.excessBlobGas ?? 0n, blobScheduleAt(spec.config, fork, h.timestamp));
  }
  const engine = spec.engine;
  return {
    ...(engine === undefined
      ? {}
      : { jumpTable: engine.jumpTable(fork), precompiles: engine.precompiles(fork) }),
    coinbase: h.coinbase,
    number: h.number,
    timestamp: h.timestamp,
    gasLimit: h.gasLimit,
    difficulty: h.difficulty,
    prevRandao: bytesToBigInt(h.mixHash),
    baseFee: h.baseFeePerGas ?? 0n,
    blobBaseFee: blobFee,
    chainId: spec.config.chainId,
    getBlockHash,
  };
}

/**
 * EIP-6110: the deposit request (type 0) built from the deposit contract's DepositEvent
 * logs, or null when there are none. The event's ABI data must be the 576-byte layout
 * of five dynamic byte arrays (pubkey 48, withdrawal credentials 32, amount 8,
 * signature 96, index 8); anything else makes the block invalid.
 */
export function depositRequest(logs: readonly LogRecord[], depositContract: Address): Uint8Array | null {
  const parts: Uint8Array[] = [];
  for (const [i, log] of logs.entries()) {
    if (log.address !== depositContract || log.topics[0] !== DEPOSIT_TOPIC) continue;
    const d = log.data;
    if (d.length !== 576) {
      throw new BlockValidationError(
        "INVALID_DEPOSIT_EVENT_LAYOUT",
        `deposit log ${i}: data is ${d.length} bytes, expected 576`,
      );
    }
    // After the five offset words, each field is a length word followed by its padded bytes.
    let at = 5 * 32;
    const take = (size: number, padded: number) => {
      const v = d.subarray(at + 32, at + 32 + size);
      at += 32 + padded;
      return v;
    };
    parts.push(take(48, 64), take(32, 32), take(8, 32), take(96, 96), take(8, 32));
  }
  if (parts.length === 0) return null;
  return concatBytes(new Uint8Array([RequestType.Deposit]), ...parts);
}

/** The logs bloom of a receipt with these logs. */
export function receiptBloom(logs: readonly LogRecord[]): Uint8Array {
  return logsBloom(logs.map((l) => ({ address: hexToBytes(l.address), topics: l.topics.map(wordToBytes) })));
}

function txError(i: number, err: TxValidationError): BlockValidationError {
  return new BlockValidationError(err.code, `transaction ${i}: ${err.message}`, { cause: err });
}

/**
 * What a block does before its transactions, as go-ethereum's state processor runs it:
 * the DAO hard fork's balance drain (at its block, on a supporting chain), then the
 * EIP-4788 beacon-root system call (Cancun, when the header carries the root) and the
 * EIP-2935 parent-hash system call (Prague). Block processing, transaction tracing and
 * remote replay all start a block here, so they see the same state. Without a chain
 * config (a replay under a fork named by hand) there is no DAO fork to apply.
 */
export function applyBlockStart(
  config: ChainConfig | undefined,
  state: StateDB,
  ctx: BlockContext,
  fork: Fork,
  h: Header,
  hooks: Hooks | null = null,
): void {
  if (config !== undefined && isDaoForkBlock(config, h.number)) {
    state.beginTransaction();
    state.hooks = hooks;
    applyDaoHardFork(state);
    state.finalizeTransaction(fork >= Fork.SpuriousDragon);
    state.hooks = null;
  }
  if (h.parentBeaconBlockRoot !== undefined && fork >= Fork.Cancun) {
    processBeaconBlockRoot(state, ctx, fork, bytesToBigInt(h.parentBeaconBlockRoot), hooks);
  }
  processParentBlockHash(state, ctx, fork, bytesToBigInt(h.parentHash), hooks);
}

/**
 * Runs `block` on `parentState` (a reader of the parent's post state). Throws a
 * BlockValidationError when a transaction is invalid or the result disagrees with the
 * header.
 */
export function processBlock(
  spec: ChainSpec,
  parentState: StateReader,
  block: Block,
  getBlockHash: (n: bigint) => bigint,
  opts: ProcessOptions = {},
): ProcessResult {
  const h = block.header;
  const hooks = opts.hooks ?? null;
  const fork = headerFork(spec, h);
  const pos = isPoSHeader(h) && spec.config.terminalTotalDifficulty !== undefined;
  const ctx = blockContextFor(spec, block, fork, getBlockHash);
  const state = new StateDB(parentState);
  const schedule = blobScheduleAt(spec.config, fork, h.timestamp);

  applyBlockStart(spec.config, state, ctx, fork, h, hooks);

  const receipts: Receipt[] = [];
  const allLogs: LogRecord[] = [];
  let gasUsed = 0n;
  let blobGasUsed = 0n;
  for (const [i, tx] of block.transactions.entries()) {
    let r: ReturnType<typeof applyTransaction>;
    try {
      const sender = recoverSender(tx, fork);
      const applyOpts: Parameters<typeof applyTransaction>[6] = {
        blockGasAvailable: h.gasLimit - gasUsed,
      };
      if (fork >= Fork.Cancun) applyOpts.maxBlobsPerBlock = schedule.max;
      r = applyTransaction(state, ctx, tx, sender, fork, hooks, applyOpts);
    } catch (err) {
      if (err instanceof TxValidationError) throw txError(i, err);
      throw err;
    }
    gasUsed += r.gasUsed;
    blobGasUsed += r.blobGasUsed;
    const receipt: Receipt = {
      type: tx.type,
      cumulativeGasUsed: gasUsed,
      logs: r.logs,
      bloom: receiptBloom(r.logs),
    };
    if (fork >= Fork.Byzantium) receipt.status = r.success;
    else receipt.postState = state.stateRoot();
    receipts.push(receipt);
    allLogs.push(...r.logs);
  }
  if (fork >= Fork.Cancun && blobGasUsed > BigInt(schedule.max) * GAS_PER_BLOB) {
    throw new BlockValidationError(
      "BLOB_GAS_USED_ABOVE_LIMIT",
      `transactions use ${blobGasUsed} blob gas, more than the maximum ${BigInt(schedule.max) * GAS_PER_BLOB}`,
    );
  }

  let requests: Uint8Array[] | undefined;
  if (fork >= Fork.Prague) {
    requests = [];
    if (spec.depositContractAddress !== undefined) {
      const dep = depositRequest(allLogs, spec.depositContractAddress);
      if (dep !== null) requests.push(dep);
    }
    try {
      requests.push(...processRequestContracts(state, ctx, fork, hooks));
    } catch (err) {
      throw new BlockValidationError("SYSTEM_CONTRACT_CALL_FAILED", (err as Error).message, { cause: err });
    }
  }

  // Block-level balance changes: withdrawals after the merge, mining rewards before.
  state.beginTransaction();
  state.hooks = hooks;
  if (pos) {
    for (const w of block.withdrawals ?? []) {
      state.addBalance(w.address, w.amount * GWEI, BalanceChangeReason.Withdrawal);
    }
  } else {
    let reward = FRONTIER_REWARD;
    if (fork >= Fork.Byzantium) reward = BYZANTIUM_REWARD;
    if (fork >= Fork.Constantinople) reward = CONSTANTINOPLE_REWARD;
    let minerReward = reward;
    for (const u of block.uncles) {
      const uncleReward = ((u.number + 8n - h.number) * reward) >> 3n;
      state.addBalance(u.coinbase, uncleReward, BalanceChangeReason.RewardMineBlock);
      minerReward += reward >> 5n;
    }
    state.addBalance(h.coinbase, minerReward, BalanceChangeReason.RewardMineBlock);
  }
  state.finalizeTransaction(fork >= Fork.SpuriousDragon);
  state.hooks = null;

  const stateRoot = state.stateRoot();
  const result: ProcessResult = { fork, state, receipts, gasUsed, blobGasUsed, requests, stateRoot };
  if (!opts.skipChecks) checkResult(block, result);
  return result;
}

/** go-ethereum's ValidateState: gas used, bloom, receipts root, requests hash, state root. */
export function checkResult(block: Block, r: ProcessResult): void {
  const h = block.header;
  if (h.gasUsed !== r.gasUsed) {
    throw new BlockValidationError("INVALID_GAS_USED", "gas used mismatch", {
      expected: String(h.gasUsed),
      actual: String(r.gasUsed),
    });
  }
  const bloom = mergeBlooms(r.receipts);
  if (!bytesEqual(bloom, h.logsBloom)) {
    throw new BlockValidationError("INVALID_LOG_BLOOM", "logs bloom mismatch", {
      expected: bytesToHex(h.logsBloom),
      actual: bytesToHex(bloom),
    });
  }
  const rr = receiptsRoot(r.receipts);
  if (!bytesEqual(rr, h.receiptsRoot)) {
    throw new BlockValidationError("INVALID_RECEIPTS_ROOT", "receipts root mismatch", {
      expected: bytesToHex(h.receiptsRoot),
      actual: bytesToHex(rr),
    });
  }
  if (h.requestsHash !== undefined) {
    const got = requestsHash(r.requests ?? []);
    if (!bytesEqual(got, h.requestsHash)) {
      throw new BlockValidationError("INVALID_REQUESTS", "requests hash mismatch", {
        expected: bytesToHex(h.requestsHash),
        actual: bytesToHex(got),
      });
    }
  } else if (r.requests !== undefined) {
    throw new BlockValidationError(
      "INVALID_REQUESTS",
      "block has requests but its header has no requests hash",
    );
  }
  if (!bytesEqual(r.stateRoot, h.stateRoot)) {
    throw new BlockValidationError("INVALID_STATE_ROOT", "state root mismatch", {
      expected: bytesToHex(h.stateRoot),
      actual: bytesToHex(r.stateRoot),
    });
  }
}
