/**
 * Executes code as a single message call on a fresh state, as go-ethereum's `evm run`
 * does: the code is placed at a receiver account and called by a sender account with
 * the given input, gas and value; no transaction validation, no intrinsic gas.
 */

import { blobBaseFee, blobScheduleFor } from "../block/blobs.js";
import type { BlockContext } from "../evm/context.js";
import { EVM } from "../evm/evm.js";
import { Fork, LATEST_FORK } from "../evm/forks.js";
import { splitGas } from "../evm/frame.js";
import { type Address, addressFromBigInt } from "../primitives/hex.js";
import { type AccountData, MemoryState, StateDB } from "../state/statedb.js";
import { CallKind, type Hooks } from "../tracing/hooks.js";

/** "sender" and "receiver" in ASCII, as go-ethereum's runtime uses. */
export const DEFAULT_SENDER: Address = addressFromBigInt(0x73656e646572n);
export const DEFAULT_RECEIVER: Address = addressFromBigInt(0x7265636569766572n);

export interface CallOptions {
  code: Uint8Array;
  input?: Uint8Array;
  gas?: bigint;
  value?: bigint;
  fork?: Fork;
  /** Accounts to start from (a genesis-style alloc, already parsed). */
  prestate?: MemoryState;
  sender?: Address;
  receiver?: Address;
  hooks?: Hooks | null;
  /** Block context (default: block 1, timestamp 1, zero coinbase and fees). */
  block?: BlockContext;
  /** performance.now() time past which the EVM abandons the call (ExecutionAbortedError). */
  deadline?: number | undefined;
}

export interface CallOutput {
  returnData: Uint8Array;
  gasUsed: bigint;
  error: string | null;
  /** The state after the call (for inspection or dumps). */
  state: StateDB;
}

export const DEFAULT_GAS = 10_000_000_000n;

export function defaultBlock(fork: Fork): BlockContext {
  return {
    coinbase: "0x0000000000000000000000000000000000000000",
    number: 1n,
    timestamp: 1n,
    gasLimit: 30_000_000n,
    difficulty: 0n,
    prevRandao: 0n,
    baseFee: 0n,
    blobBaseFee: blobBaseFee(0n, blobScheduleFor(fork)),
    chainId: 1n,
    getBlockHash: () => 0n,
  };
}

export function executeCall(opts: CallOptions): CallOutput {
  const fork = opts.fork ?? LATEST_FORK;
  const base = opts.prestate ?? new MemoryState();
  const sender = opts.sender ?? DEFAULT_SENDER;
  const receiver = opts.receiver ?? DEFAULT_RECEIVER;
  const value = opts.value ?? 0n;
  const gas = opts.gas ?? DEFAULT_GAS;
  // The receiver gets the code on top of whatever the prestate says about it.
  const backend = new MemoryState();
  for (const [a, d] of base.accounts) backend.accounts.set(a, d);
  const prev: AccountData | undefined = backend.accounts.get(receiver);
  backend.accounts.set(receiver, {
    nonce: prev?.nonce ?? 0n,
    balance: prev?.balance ?? 0n,
    code: opts.code,
    storage: prev?.storage ?? new Map(),
  });
  if (value > 0n) {
    const s = backend.accounts.get(sender);
    const needed = value;
    backend.accounts.set(sender, {
      nonce: s?.nonce ?? 0n,
      balance: (s?.balance ?? 0n) < needed ? needed : s!.balance,
      code: s?.code ?? new Uint8Array(0),
      storage: s?.storage ?? new Map(),
    });
  }
  const state = new StateDB(backend);
  const hooks = opts.hooks ?? null;
  state.hooks = hooks;
  state.beginTransaction();
  const block = opts.block ?? defaultBlock(fork);
  const evm = new EVM(state, block, { origin: sender, gasPrice: 0n, blobHashes: [] }, fork, hooks);
  if (opts.deadline !== undefined) evm.deadline = opts.deadline;
  if (fork >= Fork.Berlin) {
    state.warmAddress(sender);
    state.warmAddress(receiver);
    for (const p of evm.precompiles.keys()) state.warmAddress(p);
  }
  // Gas beyond 2^53-1 travels as a bigint excess (Frame.excess).
  const [gasNum, gasExcess] = splitGas(gas);
  const input = opts.input ?? new Uint8Array(0);
  // Reported as go-ethereum's runtime.Call does: a legacy transaction around the call.
  hooks?.onTxStart?.(
    {
      from: sender,
      to: receiver,
      value,
      input,
      gasLimit: gas,
      gasPrice: 0n,
      type: 0,
      nonce: state.getNonce(sender),
    },
    { state, block, fork },
  );
  const r = evm.call(CallKind.CALL, sender, receiver, receiver, input, gasNum, value, false, 0, gasExcess);
  const gasUsed = gas - BigInt(r.gasLeft) - r.gasLeftExcess;
  hooks?.onTxEnd?.({ gasUsed, success: r.error === null, returnData: r.output });
  return { returnData: r.output, gasUsed, error: r.error, state };
}
