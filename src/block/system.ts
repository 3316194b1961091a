/**
 * Block-level system calls: messages the protocol sends to system contracts before
 * (EIP-4788 beacon roots, EIP-2935 parent hash) or after (EIP-7002 withdrawal requests,
 * EIP-7251 consolidation requests) the block's transactions.
 *
 * Semantics follow go-ethereum's core/state_processor.go: the caller is SYSTEM_ADDRESS,
 * the message gets 30,000,000 gas that is neither bought nor counted against the block,
 * gas price and value are zero, the target is warmed, nothing increments a nonce, and
 * the state is finalised with EIP-161 deletion afterwards. Logs are discarded.
 */
import type { BlockContext } from "../evm/context.js";
import { EVM } from "../evm/evm.js";
import { Fork } from "../evm/forks.js";
import { type Address, wordToBytes } from "../primitives/hex.js";
import type { StateDB } from "../state/statedb.js";
import { CallKind, type Hooks } from "../tracing/hooks.js";

export const SYSTEM_ADDRESS: Address = "0xfffffffffffffffffffffffffffffffffffffffe";
/** EIP-4788 beacon block root contract. */
export const BEACON_ROOTS_ADDRESS: Address = "0x000f3df6d732807ef1319fb7b8bb8522d0beac02";
/** EIP-2935 block hash history contract. */
export const HISTORY_STORAGE_ADDRESS: Address = "0x0000f90827f1c53a10cb7a02335b175320002935";
/** EIP-7002 withdrawal request contract. */
export const WITHDRAWAL_REQUEST_ADDRESS: Address = "0x00000961ef480eb55e80d19ad83579a64c007002";
/** EIP-7251 consolidation request contract. */
export const CONSOLIDATION_REQUEST_ADDRESS: Address = "0x0000bbddc7ce488642fb579f8b00f3a590007251";
/** Gas given to every system call. */
export const SYSTEM_CALL_GAS = 30_000_000;

/** EIP-7685 request types. */
export const RequestType = { Deposit: 0, Withdrawal: 1, Consolidation: 2 } as const;

export interface SystemCallResult {
  output: Uint8Array;
  /** null on success, else the EVM's error text. */
  error: string | null;
  gasUsed: number;
}

/** A system contract required by the fork has no code: the block is invalid. */
export class MissingSystemContractError extends Error {
  constructor(readonly address: Address) {
    super(`system contract ${address} has no code`);
    this.name = "MissingSystemContractError";
  }
}

/** A request-producing system call failed: the block is invalid. */
export class SystemCallFailedError extends Error {
  constructor(
    readonly address: Address,
    readonly reason: string,
  ) {
    super(`system call to ${address} failed to execute: ${reason}`);
    this.name = "SystemCallFailedError";
  }
}

/**
 * Sends one system message to `to` and finalises the state. Hooks see
 * onSystemCallStart, the frame (depth 0, CALL from SYSTEM_ADDRESS), then onSystemCallEnd.
 */
export function systemCall(
  state: StateDB,
  block: BlockContext,
  fork: Fork,
  to: Address,
  input: Uint8Array,
  hooks: Hooks | null = null,
): SystemCallResult {
  hooks?.onSystemCallStart?.({ state, block, fork });
  try {
    state.beginTransaction();
    const evm = new EVM(state, block, { origin: SYSTEM_ADDRESS, gasPrice: 0n, blobHashes: [] }, fork, hooks);
    state.warmAddress(to);
    const r = evm.call(CallKind.CALL, SYSTEM_ADDRESS, to, to, input, SYSTEM_CALL_GAS, 0n, false, 0);
    state.finalizeTransaction(true);
    return { output: r.output, error: r.error, gasUsed: SYSTEM_CALL_GAS - r.gasLeft };
  } finally {
    hooks?.onSystemCallEnd?.();
  }
}

/** EIP-4788 (Cancun+): stores the parent beacon block root, keyed by the block's timestamp. */
export function processBeaconBlockRoot(
  state: StateDB,
  block: BlockContext,
  fork: Fork,
  parentBeaconBlockRoot: bigint,
  hooks: Hooks | null = null,
): SystemCallResult | null {
  if (fork < Fork.Cancun) return null;
  return systemCall(state, block, fork, BEACON_ROOTS_ADDRESS, wordToBytes(parentBeaconBlockRoot), hooks);
}

/** EIP-2935 (Prague+): stores the parent block's hash, keyed by its number. */
export function processParentBlockHash(
  state: StateDB,
  block: BlockContext,
  fork: Fork,
  parentHash: bigint,
  hooks: Hooks | null = null,
): SystemCallResult | null {
  if (fork < Fork.Prague) return null;
  return systemCall(state, block, fork, HISTORY_STORAGE_ADDRESS, wordToBytes(parentHash), hooks);
}

/**
 * EIP-7002 and EIP-7251 (Prague+): dequeues the block's withdrawal and consolidation
 * requests. Returns the EIP-7685 request entries (type byte followed by the contract's
 * output), omitting empty ones. Throws when a contract is missing or its call fails,
 * both of which make the block invalid.
 */
export function processRequestContracts(
  state: StateDB,
  block: BlockContext,
  fork: Fork,
  hooks: Hooks | null = null,
): Uint8Array[] {
  if (fork < Fork.Prague) return [];
  const out: Uint8Array[] = [];
  for (const [type, address] of [
    [RequestType.Withdrawal, WITHDRAWAL_REQUEST_ADDRESS],
    [RequestType.Consolidation, CONSOLIDATION_REQUEST_ADDRESS],
  ] as const) {
    if (state.getCode(address).length === 0) throw new MissingSystemContractError(address);
    const r = systemCall(state, block, fork, address, new Uint8Array(0), hooks);
    if (r.error !== null) throw new SystemCallFailedError(address, r.error);
    if (r.output.length > 0) {
      const entry = new Uint8Array(1 + r.output.length);
      entry[0] = type;
      entry.set(r.output, 1);
      out.push(entry);
    }
  }
  return out;
}
