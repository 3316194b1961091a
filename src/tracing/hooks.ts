/**
 * The tracing-hook contract: what every tracer sees of execution.
 *
 * A `Hooks` object is a set of optional callbacks. The EVM resolves it once per
 * transaction: with no hooks attached, it runs an interpreter loop that contains no
 * tracing code at all (see `bench/hooks-overhead.js`), so an untraced run pays nothing.
 *
 * Levels (after go-ethereum's core/tracing/hooks.go):
 *  - transaction: onTxStart / onTxEnd; onSystemCallStart / onSystemCallEnd bracket a
 *                 protocol system call (its frame is reported with onEnter/onExit as usual)
 *  - frame:       onEnter / onExit (every call, create and precompile call, depth 0 included)
 *  - step:        onOpcode before each instruction executes; onFault when an instruction fails
 *  - state:       onBalanceChange, onNonceChange, onCodeChange, onStorageChange with reasons; onLog
 *
 * Ordering guarantees: onTxStart precedes everything of its transaction and onTxEnd follows
 * it; onEnter/onExit nest properly; an opcode's onOpcode precedes the state changes and
 * frames it causes. The step scope passed to onOpcode is only valid during the callback:
 * copy what you keep (stack words are immutable bigints and may be kept as they are).
 *
 * Changelog
 *  - v1 (2026-11): first version: tx, frame, opcode, fault, balance/nonce/code/storage, log.
 *  - v1.1 (2026-11): onSystemCallStart / onSystemCallEnd around block-level system calls
 *    (EIP-4788, 2935, 7002, 7251). onTxStart and onSystemCallStart receive an `ExecEnv`
 *    (a read view of the state, the block context, the fork). Additive: tracers written
 *    for v1 are unaffected.
 *  - v1.2 (2026-11): TxStartInfo.authorizationList (EIP-7702 transactions, for
 *    prestateTracer). ApplyOptions.txEndBeforeFinalize (src/block/apply.ts) moves onTxEnd
 *    before the end-of-transaction cleanup, as go-ethereum's tracer tests call it; the
 *    default stays after it (go-ethereum's RPC path). Additive.
 *  - v1.3 (2026-12): BalanceChangeReason.DaoRefundContract and DaoDrainAccount for the
 *    DAO hard fork's balance moves (reported as Unspecified before). Additive.
 */
import type { BlockContext } from "../evm/context.js";
import type { Fork } from "../evm/forks.js";
import type { Address } from "../primitives/hex.js";
import type { Authorization } from "../tx/types.js";

/** Call kinds as the opcode that made the frame (the top frame uses CALL or CREATE). */
export const CallKind = {
  CALL: 0xf1,
  CALLCODE: 0xf2,
  DELEGATECALL: 0xf4,
  STATICCALL: 0xfa,
  CREATE: 0xf0,
  CREATE2: 0xf5,
  /** A SELFDESTRUCT's transfer, reported as a frame like go-ethereum does. */
  SELFDESTRUCT: 0xff,
} as const;
export type CallKind = (typeof CallKind)[keyof typeof CallKind];

/** Why a balance changed. Values are stable: tracers may store them. */
export const BalanceChangeReason = {
  Unspecified: 0,
  /** Block reward to the miner (not used by state tests). */
  RewardMineBlock: 1,
  /** Withdrawal credited (EIP-4895). */
  Withdrawal: 3,
  /** Genesis allocation. */
  GenesisBalance: 4,
  /** Gas bought up front: gasLimit × gas price (and blob gas) taken from the sender. */
  GasBuy: 5,
  /** Unused gas returned to the sender. */
  GasReturn: 6,
  /** Priority fee paid to the coinbase. */
  RewardTransactionFee: 7,
  /** Value moved by a call, create or the transaction itself. */
  Transfer: 8,
  /** Balance kept by a contract that was created at an address already holding ether. */
  TouchAccount: 9,
  /** Value sent by SELFDESTRUCT to its beneficiary. */
  SelfDestructBeneficiary: 10,
  /** Balance zeroed by SELFDESTRUCT. */
  SelfDestruct: 11,
  /** Balance burnt at the end of a transaction by an account that self-destructed. */
  Burn: 12,
  /** The DAO hard fork's refund contract credited with a drained balance. */
  DaoRefundContract: 13,
  /** A DAO drain-list account's balance taken at the DAO hard fork. */
  DaoDrainAccount: 14,
} as const;
export type BalanceChangeReason = (typeof BalanceChangeReason)[keyof typeof BalanceChangeReason];

export const NonceChangeReason = {
  Unspecified: 0,
  Genesis: 1,
  /** The sender's nonce, incremented by its transaction. */
  EoaTransaction: 2,
  /** A contract's nonce, incremented when it creates another. */
  ContractCreator: 3,
  /** A new contract's nonce set to 1 (EIP-161). */
  NewContract: 4,
  /** An EIP-7702 authority's nonce, incremented by its authorization. */
  Authorization: 5,
} as const;
export type NonceChangeReason = (typeof NonceChangeReason)[keyof typeof NonceChangeReason];

export const CodeChangeReason = {
  Unspecified: 0,
  Genesis: 1,
  /** Code deployed by CREATE, CREATE2 or a creation transaction. */
  ContractCreation: 2,
  /** An EIP-7702 delegation set or cleared. */
  Authorization: 3,
  /** Code removed by SELFDESTRUCT at the end of the transaction. */
  SelfDestruct: 4,
} as const;
export type CodeChangeReason = (typeof CodeChangeReason)[keyof typeof CodeChangeReason];

/** The view of the executing frame given to onOpcode and onFault. */
export interface StepScope {
  /** Stack, bottom first. Valid only during the callback (copy it to keep it). */
  readonly stack: readonly bigint[];
  /** Number of items on the stack (the array may be longer). */
  readonly stackSize: number;
  /** Memory bytes; the buffer may be longer than `memorySize`. */
  readonly memory: Uint8Array;
  readonly memorySize: number;
  /** The executing contract's address (its storage), the caller and the call value. */
  readonly address: Address;
  readonly caller: Address;
  readonly value: bigint;
  readonly input: Uint8Array;
  readonly code: Uint8Array;
  /** Return data of the last call made by this frame. */
  readonly returnData: Uint8Array;
  /** The refund counter of the transaction. */
  readonly refund: number;
}

export interface TxStartInfo {
  from: Address;
  /** null for contract creation. */
  to: Address | null;
  value: bigint;
  input: Uint8Array;
  gasLimit: bigint;
  gasPrice: bigint;
  type: number;
  nonce: bigint;
  /** The authorizations of an EIP-7702 (type 4) transaction, as signed (not yet checked). */
  authorizationList?: readonly Authorization[];
}

/**
 * Read access to the state as execution changes it, for tracers that look state up
 * (prestate, JavaScript `db`). Reads have no side effects: no warming, no touching.
 */
export interface StateView {
  exists(address: Address): boolean;
  getBalance(address: Address): bigint;
  getNonce(address: Address): bigint;
  getCode(address: Address): Uint8Array;
  /** keccak256 of the code; null when the account does not exist. */
  getCodeHash(address: Address): Uint8Array | null;
  getStorage(address: Address, slot: bigint): bigint;
  /** True when SELFDESTRUCT ran for the account in this transaction. */
  hasSelfDestructed(address: Address): boolean;
}

/** What a transaction or system call executes against (go-ethereum's VMContext). */
export interface ExecEnv {
  state: StateView;
  block: BlockContext;
  fork: Fork;
}

export interface TxEndInfo {
  gasUsed: bigint;
  /** True when execution succeeded (receipt status 1). */
  success: boolean;
  /** Set when the transaction was invalid and did not execute at all. */
  invalid?: Error;
  /** Address of a contract created by the transaction. */
  contractAddress?: Address;
  returnData: Uint8Array;
}

export interface LogRecord {
  address: Address;
  topics: bigint[];
  data: Uint8Array;
}

export interface Hooks {
  onTxStart?(tx: TxStartInfo, env: ExecEnv): void;
  onTxEnd?(result: TxEndInfo): void;
  /** A block-level system call (EIP-4788, 2935, 7002, 7251) begins; its frames follow. */
  onSystemCallStart?(env: ExecEnv): void;
  /** The system call begun by the last onSystemCallStart has ended. */
  onSystemCallEnd?(): void;
  /**
   * A frame begins. As go-ethereum: `from` is the caller, except for DELEGATECALL where
   * it is the contract making the call; `to` is the callee for CALL/STATICCALL, the code
   * address for CALLCODE/DELEGATECALL, the new address for creates.
   */
  onEnter?(
    depth: number,
    kind: CallKind,
    from: Address,
    to: Address,
    input: Uint8Array,
    gas: number,
    value: bigint,
  ): void;
  /**
   * A frame ends. `gasUsed` is what the frame consumed of the gas it was given;
   * `error` is null on success, else go-ethereum's text ("execution reverted", "out of
   * gas", "write protection", ...; an error raised while computing an instruction's gas
   * is wrapped as go-ethereum's interpreter does: "out of gas: write protection", "out of
   * gas: not enough gas for reentrancy sentry", "out of gas: out of gas", "out of gas:
   * gas uint64 overflow", "out of gas: max initcode size exceeded: ..."); `reverted` is
   * true when state changes were undone (revert or any error).
   */
  onExit?(depth: number, output: Uint8Array, gasUsed: number, error: string | null, reverted: boolean): void;
  /**
   * Before an instruction executes. `gas` is the gas left before it, `cost` what it
   * costs (static plus dynamic, including gas forwarded to a call), `error` set when
   * the instruction cannot start (out of gas, stack error, invalid opcode). When its gas
   * computation itself fails (the wrapped "out of gas: ..." errors above, or "gas uint64
   * overflow" for a memory range beyond 64 bits) `cost` is the static cost only, as
   * go-ethereum reports it.
   */
  onOpcode?(
    pc: number,
    op: number,
    gas: number,
    cost: number,
    scope: StepScope,
    depth: number,
    error: string | null,
  ): void;
  /** An instruction failed after onOpcode reported it (e.g. revert inside, bad jump). */
  onFault?(
    pc: number,
    op: number,
    gas: number,
    cost: number,
    scope: StepScope,
    depth: number,
    error: string,
  ): void;
  onBalanceChange?(address: Address, prev: bigint, next: bigint, reason: BalanceChangeReason): void;
  onNonceChange?(address: Address, prev: bigint, next: bigint, reason: NonceChangeReason): void;
  onCodeChange?(
    address: Address,
    prevCodeHash: Uint8Array,
    prevCode: Uint8Array,
    codeHash: Uint8Array,
    code: Uint8Array,
    reason: CodeChangeReason,
  ): void;
  onStorageChange?(address: Address, slot: bigint, prev: bigint, next: bigint): void;
  onLog?(log: LogRecord): void;
}
