/**
 * The EVM: message calls and contract creation over a StateDB, and the interpreter loop.
 *
 * Two loops run the same instruction tables: `runPlain` has no tracing code at all and
 * is used when no `onOpcode` hook is attached; `runTraced` reports every step. Choosing
 * once per frame keeps untraced execution free of tracing cost (bench/hooks-overhead.js).
 *
 * Halts are values on the frame (`status`, `error`), never exceptions.
 *
 * An execution can be given a deadline (`EVM.deadline`, on the performance.now() clock;
 * go-ethereum's eth_call timeout): it is checked when a frame starts and every 4096 taken
 * jumps (where the plain loop already does periodic work) or 4096 steps (traced loop),
 * and once passed the execution is abandoned by throwing ExecutionAbortedError. The
 * state it ran on is then unusable; callers run such executions on throwaway states.
 */
import { create2Address, createAddress } from "../primitives/address.js";
import type { Address } from "../primitives/hex.js";
import { keccak256 } from "../primitives/keccak.js";
import type { StateDB } from "../state/statedb.js";
import {
  BalanceChangeReason,
  CallKind,
  CodeChangeReason,
  type Hooks,
  NonceChangeReason,
} from "../tracing/hooks.js";
import type { BlockContext, TxContext } from "./context.js";
import { parseDelegation } from "./delegation.js";
import { Fork } from "./forks.js";
import {
  FAILED,
  Frame,
  jumpdestsOf,
  MAX_GAS_NUMBER,
  pushCacheOf,
  pushValue,
  REVERTED,
  RUNNING,
  STOPPED,
} from "./frame.js";
import { G, memoryCost } from "./gas.js";
import { loadWord, smallToIndex, storeWord } from "./instructions/common.js";
import type { CallOutcome } from "./instructions/system.js";
import { MASK256, MOD256, sdiv, slt, smod } from "./instructions/u256.js";
import { type JumpTable, jumpTableFor } from "./jumptable.js";
import { precompilesFor } from "./precompiles/index.js";
import type { Precompile } from "./precompiles/types.js";

export const MAX_CALL_DEPTH = 1024;
export const MAX_CODE_SIZE = 24576; // EIP-170
const EMPTY = new Uint8Array(0);
const NO_DEADLINE = Number.POSITIVE_INFINITY;

/** Thrown through the EVM when its deadline has passed (see the module comment). */
export class ExecutionAbortedError extends Error {
  override name = "ExecutionAbortedError";
  constructor() {
    super("execution aborted: deadline passed");
  }
}

function checkDeadline(deadline: number): void {
  if (performance.now() > deadline) throw new ExecutionAbortedError();
}
const MAX_NONCE = (1n << 64n) - 1n;

export interface CallResult extends CallOutcome {
  error: string | null;
  reverted: boolean;
}

export interface CreateResult {
  /** The new contract's address, or null when creation failed. */
  address: Address | null;
  gasLeft: number;
  /** Gas left beyond `gasLeft` (see Frame.excess); zero unless more than 2^53-1 gas is left. */
  gasLeftExcess: bigint;
  /** Revert data when the init code reverted. */
  output: Uint8Array;
  reverted: boolean;
  error: string | null;
  /** Address the contract would have had (set even when creation failed). */
  target: Address | null;
}

export class EVM {
  readonly table: JumpTable;
  readonly precompiles: ReadonlyMap<string, Precompile>;
  readonly hooks: Hooks | null;
  private readonly traced: boolean;
  /** performance.now() time after which execution is abandoned (ExecutionAbortedError); Infinity: never. */
  deadline = NO_DEADLINE;

  constructor(
    readonly state: StateDB,
    readonly block: BlockContext,
    public tx: TxContext,
    readonly fork: Fork,
    hooks: Hooks | null = null,
  ) {
    this.table = block.jumpTable ?? jumpTableFor(fork);
    this.precompiles = block.precompiles ?? precompilesFor(fork);
    this.hooks = hooks;
    this.traced = hooks?.onOpcode !== undefined;
  }

  /**
   * A message call. `to` is the account whose storage and balance the callee uses;
   * `codeAddress` the account whose code runs (they differ for CALLCODE/DELEGATECALL).
   * `depth` is the caller's depth (0 for a transaction). The call's gas is `gas + excess`
   * (`excess`: gas beyond 2^53-1, see Frame.excess); hooks are shown the number part.
   */
  call(
    kind: CallKind,
    caller: Address,
    to: Address,
    codeAddress: Address,
    input: Uint8Array,
    gas: number,
    value: bigint,
    isStatic: boolean,
    depth: number,
    excess = 0n,
  ): CallResult {
    const hooks = this.hooks;
    if (hooks?.onEnter) {
      const shown = kind === CallKind.CALL || kind === CallKind.STATICCALL ? to : codeAddress;
      // go-ethereum reports a DELEGATECALL as coming from the contract that makes it.
      const from = kind === CallKind.DELEGATECALL ? to : caller;
      hooks.onEnter(depth, kind, from, shown, input, gas, value);
    }
    const r = this.callInner(kind, caller, to, codeAddress, input, gas, value, isStatic, depth, excess);
    if (hooks?.onExit) {
      hooks.onExit(depth, r.output, gasUsedOf(gas, excess, r), r.error, r.error !== null);
    }
    return r;
  }

  private callInner(
    kind: CallKind,
    caller: Address,
    to: Address,
    codeAddress: Address,
    input: Uint8Array,
    gas: number,
    value: bigint,
    isStatic: boolean,
    depth: number,
    excess: bigint,
  ): CallResult {
    if (depth > MAX_CALL_DEPTH) return fail(gas, excess, "max call depth exceeded");
    const state = this.state;
    const transfers = kind === CallKind.CALL || kind === CallKind.CALLCODE;
    if (transfers && value !== 0n && state.getBalance(caller) < value) {
      return fail(gas, excess, "insufficient balance for transfer");
    }
    const snapshot = state.snapshot();
    const precompile = this.precompiles.get(codeAddress);
    if (kind === CallKind.CALL) {
      if (!state.exists(to)) {
        if (precompile === undefined && this.fork >= Fork.SpuriousDragon && value === 0n) {
          return succeed(gas, excess);
        }
      }
      this.transfer(caller, to, value);
    } else if (kind === CallKind.CALLCODE) {
      // Value "moves" from the caller to itself: touches it, changes nothing.
      this.transfer(caller, caller, value);
    } else if (kind === CallKind.STATICCALL) {
      // go-ethereum adds a zero balance to the target, which touches it: an empty
      // account reached only by STATICCALL is then removed under EIP-161.
      state.touch(to);
    }

    let result: CallResult;
    if (precompile !== undefined) {
      // The number part is full whenever there is an excess, and no precompile costs more.
      const p = precompile(input, gas);
      result =
        p.error === undefined
          ? {
              success: true,
              gasLeft: gas - p.gasUsed,
              gasLeftExcess: excess,
              output: p.output,
              error: null,
              reverted: false,
            }
          : { success: false, gasLeft: 0, gasLeftExcess: 0n, output: EMPTY, error: p.error, reverted: true };
    } else {
      let code = state.getCode(codeAddress);
      if (this.fork >= Fork.Prague) {
        const target = parseDelegation(code);
        if (target !== null) code = state.getCode(target);
      }
      if (code.length === 0) return succeed(gas, excess);
      const frame = new Frame(
        this,
        code,
        jumpdestsOf(code),
        to,
        caller,
        value,
        input,
        gas,
        isStatic,
        depth + 1,
      );
      if (excess !== 0n) frame.excess = excess;
      this.run(frame);
      result = frameResult(frame);
    }
    if (result.error !== null) state.revert(snapshot);
    return result;
  }

  /** CREATE (salt null) or CREATE2. `depth` is the creator's depth (0 for a transaction). */
  create(
    caller: Address,
    initcode: Uint8Array,
    gas: number,
    value: bigint,
    salt: bigint | null,
    depth: number,
    excess = 0n,
  ): CreateResult {
    const state = this.state;
    const hooks = this.hooks;
    const kind = salt === null ? CallKind.CREATE : CallKind.CREATE2;
    let target: Address | null = null;
    const nonce = state.getNonce(caller);
    if (depth <= MAX_CALL_DEPTH && (value === 0n || state.getBalance(caller) >= value) && nonce < MAX_NONCE) {
      target =
        salt === null ? createAddress(caller, nonce) : create2Address(caller, salt, keccak256(initcode));
    }
    if (hooks?.onEnter) hooks.onEnter(depth, kind, caller, target ?? ZERO_ADDRESS, initcode, gas, value);
    const r = this.createInner(caller, initcode, gas, excess, value, depth, target, nonce);
    if (hooks?.onExit) {
      hooks.onExit(
        depth,
        r.reverted ? r.output : r.error === null ? state.getCode(target!) : EMPTY,
        gasUsedOf(gas, excess, r),
        r.error,
        r.error !== null,
      );
    }
    return r;
  }

  private createInner(
    caller: Address,
    initcode: Uint8Array,
    gas: number,
    excess: bigint,
    value: bigint,
    depth: number,
    target: Address | null,
    nonce: bigint,
  ): CreateResult {
    const state = this.state;
    const early = (error: string): CreateResult => ({
      address: null,
      gasLeft: gas,
      gasLeftExcess: excess,
      output: EMPTY,
      reverted: false,
      error,
      target,
    });
    if (depth > MAX_CALL_DEPTH) return early("max call depth exceeded");
    if (value !== 0n && state.getBalance(caller) < value) return early("insufficient balance for transfer");
    if (nonce >= MAX_NONCE) return early("nonce uint64 overflow");
    state.setNonce(caller, nonce + 1n, NonceChangeReason.ContractCreator);
    const address = target!;
    if (this.fork >= Fork.Berlin) state.warmAddress(address);
    // Collision: an account with code or a nonce (EIP-684) or storage (EIP-7610).
    const codeHash = state.getCodeHash(address);
    if (
      state.getNonce(address) !== 0n ||
      (codeHash !== null && state.getCode(address).length !== 0) ||
      state.hasStorage(address)
    ) {
      return {
        address: null,
        gasLeft: 0,
        gasLeftExcess: 0n,
        output: EMPTY,
        reverted: false,
        error: "contract address collision",
        target,
      };
    }
    const snapshot = state.snapshot();
    state.createAccount(address);
    if (this.fork >= Fork.SpuriousDragon) state.setNonce(address, 1n, NonceChangeReason.NewContract);
    this.transfer(caller, address, value);

    const frame = new Frame(
      this,
      initcode,
      jumpdestsOf(initcode),
      address,
      caller,
      value,
      EMPTY,
      gas,
      false,
      depth + 1,
    );
    if (excess !== 0n) frame.excess = excess;
    if (initcode.length > 0) this.run(frame);
    let error = frame.status === RUNNING ? null : frame.error;
    // With an excess, the number part is filled first, so that it covers the code deposit.
    if (frame.excess !== 0n) frame.topUp();
    let gasLeft = frame.status === FAILED ? 0 : frame.gas;
    const gasLeftExcess = frame.status === FAILED ? 0n : frame.excess;
    const output = frame.output;
    if (frame.status === REVERTED) {
      state.revert(snapshot);
      return {
        address: null,
        gasLeft,
        gasLeftExcess,
        output,
        reverted: true,
        error: "execution reverted",
        target,
      };
    }
    if (error === null) {
      // Deploy the returned code.
      if (this.fork >= Fork.SpuriousDragon && output.length > MAX_CODE_SIZE) error = "max code size exceeded";
      else if (this.fork >= Fork.London && output.length > 0 && output[0] === 0xef) {
        error = "invalid code: must not begin with 0xef";
      } else {
        const deposit = output.length * G.CODE_DEPOSIT;
        if (gasLeft < deposit) {
          error = "contract creation code storage out of gas";
        } else {
          gasLeft -= deposit;
          if (output.length > 0) state.setCode(address, output, CodeChangeReason.ContractCreation);
        }
      }
    }
    if (error !== null) {
      if (this.fork < Fork.Homestead && error === "contract creation code storage out of gas") {
        // Frontier: the contract exists with empty code; the remaining gas is kept.
        return { address, gasLeft, gasLeftExcess, output: EMPTY, reverted: false, error: null, target };
      }
      state.revert(snapshot);
      return { address: null, gasLeft: 0, gasLeftExcess: 0n, output: EMPTY, reverted: false, error, target };
    }
    return { address, gasLeft, gasLeftExcess, output: EMPTY, reverted: false, error: null, target };
  }

  private transfer(from: Address, to: Address, value: bigint): void {
    const state = this.state;
    if (value === 0n) {
      // Zero-value transfers still touch both accounts (EIP-161 cleanup relies on it).
      state.touch(from);
      state.touch(to);
      return;
    }
    state.subBalance(from, value, BalanceChangeReason.Transfer);
    state.addBalance(to, value, BalanceChangeReason.Transfer);
  }

  private run(f: Frame): void {
    if (this.deadline !== NO_DEADLINE) checkDeadline(this.deadline);
    if (this.traced) runTraced(f, this.table, this.hooks!);
    else if (this.table.tableOnly === true) runTraced(f, this.table, TABLE_ONLY);
    else runPlain(f, this.table);
  }
}

const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";
/** Hooks for running a patched table through the generic loop with nothing attached. */
const TABLE_ONLY: Hooks = { onOpcode: () => {} };

function fail(gas: number, excess: bigint, error: string): CallResult {
  return { success: false, gasLeft: gas, gasLeftExcess: excess, output: EMPTY, error, reverted: false };
}

function succeed(gas: number, excess: bigint): CallResult {
  return { success: true, gasLeft: gas, gasLeftExcess: excess, output: EMPTY, error: null, reverted: false };
}

function frameResult(f: Frame): CallResult {
  switch (f.status) {
    case REVERTED:
      return {
        success: false,
        gasLeft: f.gas,
        gasLeftExcess: f.excess,
        output: f.output,
        error: "execution reverted",
        reverted: true,
      };
    case FAILED:
      return { success: false, gasLeft: 0, gasLeftExcess: 0n, output: EMPTY, error: f.error, reverted: true };
    default:
      return {
        success: true,
        gasLeft: f.gas,
        gasLeftExcess: f.excess,
        output: f.output,
        error: null,
        reverted: false,
      };
  }
}

/** Gas used by a call or create for onExit: exact below 2^53, capped at 2^53-1 above. */
function gasUsedOf(gas: number, excess: bigint, r: { gasLeft: number; gasLeftExcess: bigint }): number {
  if (excess === 0n && r.gasLeftExcess === 0n) return gas - r.gasLeft;
  const used = BigInt(gas) + excess - BigInt(r.gasLeft) - r.gasLeftExcess;
  return used > BigInt(MAX_GAS_NUMBER) ? MAX_GAS_NUMBER : Number(used);
}

const OOG = "out of gas";

function stackError(f: Frame, op: number, t: JumpTable): string {
  if (f.sp < t.minStack[op]!) return `stack underflow (${f.sp} <=> ${t.minStack[op]})`;
  return `stack limit reached ${f.sp} (${t.maxStack[op]})`;
}

/**
 * The interpreter loop without any tracing code.
 *
 * Hot-path exception (DESIGN "hot paths may trade style for speed"): pc, sp and gas live
 * in locals, and the hottest opcodes (stack, arithmetic, comparison, jumps, memory words)
 * are executed inline in a `switch` instead of through the handler table; every other
 * opcode takes the generic path after the switch, which syncs the locals to the frame
 * and calls the table's dynamic gas function and handler. Inline cases use the same
 * semantics helpers as the handlers (u256.ts, common.ts), the static gas those opcodes
 * have in every fork, and the same error strings. PUSH1/PUSH2 + JUMP/JUMPI run as one
 * step, and a jump also runs the JUMPDEST it lands on; nothing can observe the difference
 * without a tracer. runTraced still runs every opcode through the table, and
 * interpreter.test.ts runs both loops on the same programs on every fork.
 */
function runPlain(f: Frame, t: JumpTable): void {
  // Constants as locals: V8 reads a module binding (imported, or declared below) through
  // a cell with an initialisation check on every use.
  const MOD = MOD256;
  const MASK = MASK256;
  /** Words whose sums and differences fit in V8's inline 64-bit bigint arithmetic. */
  const SMALL = 0x3fff_ffff_ffff_ffffn;
  /** Words whose products do. */
  const SMALL_FACTOR = 0x7fff_ffffn;
  /** Largest part of the frame's gas kept in the small-integer local `gas`. */
  const GAS_CHUNK = 0x3fff_ffff;
  /** Memory offsets handled inline (larger ones cost more gas than exists). */
  const MEMORY_FAST_MAX = 0x7fff_0000n;
  /**
   * Taken jumps between copies of the stack array. The stack is written on most steps;
   * once V8 has moved the array to the old generation, every store of a new bigint into
   * it goes through the generational write barrier's slow path. A fresh copy is young.
   */
  const STACK_REFRESH = 4096;
  const code = f.code;
  const len = code.length;
  const lenBig = BigInt(len);
  const deadline = f.evm.deadline;
  let stack = f.stack;
  let refresh = STACK_REFRESH;
  const jumpdests = f.jumpdests;
  const pushes = pushCacheOf(code);
  const handlers = t.handlers;
  const staticGas = t.staticGas;
  const dynamicGas = t.dynamicGas;
  const minStack = t.minStack;
  const maxStack = t.maxStack;
  const hasShifts = t.fork >= Fork.Constantinople;
  const hasPush0 = t.fork >= Fork.Shanghai;
  // Locals, not frame fields: V8 keeps them in registers. Gas is split so that the hot
  // part stays a small integer (a double local is boxed on every loop back-edge in
  // on-stack-replaced code): `gas` is at most GAS_CHUNK, `reserve` holds the rest and
  // refills `gas` when an instruction would run out. The frame sees `gas + reserve`.
  let pc = f.pc | 0; // | 0 (here and below): tells V8 these are small integers
  let sp = f.sp | 0;
  let reserve = f.gas > GAS_CHUNK ? f.gas - GAS_CHUNK : 0;
  let gas = (f.gas - reserve) | 0; // | 0: tells V8 it is a small integer
  let op = 0;
  // Set when the loop is left with `break loop`: out of gas; otherwise a stack error.
  let outOfGas = false;
  for (;;) {
    loop: for (;;) {
      op = pc < len ? code[pc]! : 0;
      // Each inline case checks the stack, charges gas and executes, then `continue`s; a
      // case that meets an input it does not handle inline `break`s to the generic path
      // below before changing anything.
      switch (op) {
        case 0x00: // STOP
          f.pc = pc + 1;
          f.sp = sp;
          f.gas = gas + reserve;
          f.status = STOPPED;
          return;
        case 0x01: {
          // ADD
          if (sp < 2) break loop;
          if (gas < 3) {
            outOfGas = true;
            break loop;
          }
          gas -= 3;
          const a = stack[--sp]!;
          const b = stack[sp - 1]!;
          // Small operands get an addition of their own: V8 compiles a bigint operation
          // to inline 64-bit arithmetic only while every value it has seen fits in 64
          // bits, and a single shared site would lose that after the first large word.
          if (a <= SMALL && b <= SMALL) stack[sp - 1] = a + b;
          else {
            const r = a + b;
            stack[sp - 1] = r < MOD ? r : r - MOD;
          }
          pc++;
          continue;
        }
        case 0x02: {
          // MUL
          if (sp < 2) break loop;
          if (gas < 5) {
            outOfGas = true;
            break loop;
          }
          gas -= 5;
          const a = stack[--sp]!;
          const b = stack[sp - 1]!;
          // As for ADD: a product of two words below 2^31 fits in 64 bits.
          if (a <= SMALL_FACTOR && b <= SMALL_FACTOR) stack[sp - 1] = a * b;
          else {
            const r = a * b;
            stack[sp - 1] = r <= MASK ? r : r & MASK;
          }
          pc++;
          continue;
        }
        case 0x03: {
          // SUB
          if (sp < 2) break loop;
          if (gas < 3) {
            outOfGas = true;
            break loop;
          }
          gas -= 3;
          const a = stack[--sp]!;
          const b = stack[sp - 1]!;
          // As for ADD: the two branches are the same code on purpose, as two sites.
          if (a <= SMALL && b <= SMALL) {
            const r = a - b;
            stack[sp - 1] = r < 0n ? r + MOD : r;
          } else {
            const r = a - b;
            stack[sp - 1] = r < 0n ? r + MOD : r;
          }
          pc++;
          continue;
        }
        case 0x04: {
          // DIV
          if (sp < 2) break loop;
          if (gas < 5) {
            outOfGas = true;
            break loop;
          }
          gas -= 5;
          const d = stack[--sp - 1]!;
          stack[sp - 1] = d === 0n ? 0n : stack[sp]! / d;
          pc++;
          continue;
        }
        case 0x05: // SDIV
          if (sp < 2) break loop;
          if (gas < 5) {
            outOfGas = true;
            break loop;
          }
          gas -= 5;
          sp--;
          stack[sp - 1] = sdiv(stack[sp]!, stack[sp - 1]!);
          pc++;
          continue;
        case 0x06: {
          // MOD
          if (sp < 2) break loop;
          if (gas < 5) {
            outOfGas = true;
            break loop;
          }
          gas -= 5;
          const d = stack[--sp - 1]!;
          stack[sp - 1] = d === 0n ? 0n : stack[sp]! % d;
          pc++;
          continue;
        }
        case 0x07: // SMOD
          if (sp < 2) break loop;
          if (gas < 5) {
            outOfGas = true;
            break loop;
          }
          gas -= 5;
          sp--;
          stack[sp - 1] = smod(stack[sp]!, stack[sp - 1]!);
          pc++;
          continue;
        case 0x10: // LT
          if (sp < 2) break loop;
          if (gas < 3) {
            outOfGas = true;
            break loop;
          }
          gas -= 3;
          sp--;
          stack[sp - 1] = stack[sp]! < stack[sp - 1]! ? 1n : 0n;
          pc++;
          continue;
        case 0x11: // GT
          if (sp < 2) break loop;
          if (gas < 3) {
            outOfGas = true;
            break loop;
          }
          gas -= 3;
          sp--;
          stack[sp - 1] = stack[sp]! > stack[sp - 1]! ? 1n : 0n;
          pc++;
          continue;
        case 0x12: // SLT
          if (sp < 2) break loop;
          if (gas < 3) {
            outOfGas = true;
            break loop;
          }
          gas -= 3;
          sp--;
          stack[sp - 1] = slt(stack[sp]!, stack[sp - 1]!) ? 1n : 0n;
          pc++;
          continue;
        case 0x13: // SGT
          if (sp < 2) break loop;
          if (gas < 3) {
            outOfGas = true;
            break loop;
          }
          gas -= 3;
          sp--;
          stack[sp - 1] = slt(stack[sp - 1]!, stack[sp]!) ? 1n : 0n;
          pc++;
          continue;
        case 0x14: // EQ
          if (sp < 2) break loop;
          if (gas < 3) {
            outOfGas = true;
            break loop;
          }
          gas -= 3;
          sp--;
          stack[sp - 1] = stack[sp] === stack[sp - 1] ? 1n : 0n;
          pc++;
          continue;
        case 0x15: // ISZERO
          if (sp < 1) break loop;
          if (gas < 3) {
            outOfGas = true;
            break loop;
          }
          gas -= 3;
          stack[sp - 1] = stack[sp - 1] === 0n ? 1n : 0n;
          pc++;
          continue;
        case 0x16: // AND
          if (sp < 2) break loop;
          if (gas < 3) {
            outOfGas = true;
            break loop;
          }
          gas -= 3;
          sp--;
          stack[sp - 1] = stack[sp]! & stack[sp - 1]!;
          pc++;
          continue;
        case 0x17: // OR
          if (sp < 2) break loop;
          if (gas < 3) {
            outOfGas = true;
            break loop;
          }
          gas -= 3;
          sp--;
          stack[sp - 1] = stack[sp]! | stack[sp - 1]!;
          pc++;
          continue;
        case 0x18: // XOR
          if (sp < 2) break loop;
          if (gas < 3) {
            outOfGas = true;
            break loop;
          }
          gas -= 3;
          sp--;
          stack[sp - 1] = stack[sp]! ^ stack[sp - 1]!;
          pc++;
          continue;
        case 0x19: // NOT
          if (sp < 1) break loop;
          if (gas < 3) {
            outOfGas = true;
            break loop;
          }
          gas -= 3;
          stack[sp - 1] = MASK ^ stack[sp - 1]!;
          pc++;
          continue;
        case 0x1b: {
          // SHL (Constantinople)
          if (!hasShifts) break;
          if (sp < 2) break loop;
          if (gas < 3) {
            outOfGas = true;
            break loop;
          }
          gas -= 3;
          const shift = stack[--sp]!;
          if (shift >= 256n) stack[sp - 1] = 0n;
          else {
            const r = stack[sp - 1]! << shift;
            stack[sp - 1] = r > MASK ? r & MASK : r;
          }
          pc++;
          continue;
        }
        case 0x1c: {
          // SHR (Constantinople)
          if (!hasShifts) break;
          if (sp < 2) break loop;
          if (gas < 3) {
            outOfGas = true;
            break loop;
          }
          gas -= 3;
          const shift = stack[--sp]!;
          stack[sp - 1] = shift >= 256n ? 0n : stack[sp - 1]! >> shift;
          pc++;
          continue;
        }
        case 0x50: // POP
          if (sp < 1) break loop;
          if (gas < 2) {
            outOfGas = true;
            break loop;
          }
          gas -= 2;
          sp--;
          pc++;
          continue;
        case 0x51: {
          // MLOAD: offsets that need more than the fast index take the generic path.
          if (sp < 1) break loop;
          const offset = stack[sp - 1]!;
          if (offset > MEMORY_FAST_MAX) break;
          const off = smallToIndex(offset);
          const memSize = f.memSize;
          const cost = off + 32 > memSize ? 3 + memoryExpansionCost(memSize, off + 32) : 3;
          if (gas < cost) {
            // With gas in reserve the generic path decides (the cost may exceed GAS_CHUNK).
            if (reserve > 0) break;
            outOfGas = true;
            break loop;
          }
          gas -= cost;
          if (off + 32 > memSize) f.expand(off, 32);
          stack[sp - 1] = loadWord(f.memView, off);
          pc++;
          continue;
        }
        case 0x52: {
          // MSTORE
          if (sp < 2) break loop;
          const offset = stack[sp - 1]!;
          if (offset > MEMORY_FAST_MAX) break;
          const off = smallToIndex(offset);
          const memSize = f.memSize;
          const cost = off + 32 > memSize ? 3 + memoryExpansionCost(memSize, off + 32) : 3;
          if (gas < cost) {
            // With gas in reserve the generic path decides (the cost may exceed GAS_CHUNK).
            if (reserve > 0) break;
            outOfGas = true;
            break loop;
          }
          gas -= cost;
          if (off + 32 > memSize) f.expand(off, 32);
          storeWord(f.memView, off, stack[sp - 2]!);
          sp -= 2;
          pc++;
          continue;
        }
        case 0x56: {
          // JUMP
          if (sp < 1) break loop;
          if (gas < 8) {
            outOfGas = true;
            break loop;
          }
          gas -= 8;
          const dest = stack[--sp]!;
          const d = dest < lenBig ? smallToIndex(dest) : -1;
          if (d < 0 || jumpdests[d] !== 1) {
            f.pc = pc + 1;
            f.sp = sp;
            f.gas = gas + reserve;
            f.fail("invalid jump destination");
            return;
          }
          // The destination is a JUMPDEST: run it here too (1 gas) when gas allows.
          if (gas >= 1) {
            gas -= 1;
            pc = (d + 1) | 0;
          } else pc = d;
          if (--refresh === 0) {
            refresh = STACK_REFRESH;
            stack = f.stack = stack.slice();
            if (deadline !== NO_DEADLINE) checkDeadline(deadline);
          }
          continue;
        }
        case 0x57: {
          // JUMPI
          if (sp < 2) break loop;
          if (gas < 10) {
            outOfGas = true;
            break loop;
          }
          gas -= 10;
          sp -= 2;
          if (stack[sp] === 0n) {
            pc++;
            continue;
          }
          const dest = stack[sp + 1]!;
          const d = dest < lenBig ? smallToIndex(dest) : -1;
          if (d < 0 || jumpdests[d] !== 1) {
            f.pc = pc + 1;
            f.sp = sp;
            f.gas = gas + reserve;
            f.fail("invalid jump destination");
            return;
          }
          // The destination is a JUMPDEST: run it here too (1 gas) when gas allows.
          if (gas >= 1) {
            gas -= 1;
            pc = (d + 1) | 0;
          } else pc = d;
          if (--refresh === 0) {
            refresh = STACK_REFRESH;
            stack = f.stack = stack.slice();
            if (deadline !== NO_DEADLINE) checkDeadline(deadline);
          }
          continue;
        }
        case 0x5b: // JUMPDEST
          if (gas < 1) {
            outOfGas = true;
            break loop;
          }
          gas -= 1;
          pc++;
          continue;
        case 0x5f: // PUSH0 (Shanghai)
          if (!hasPush0) break;
          if (sp >= 1024) break loop;
          if (gas < 2) {
            outOfGas = true;
            break loop;
          }
          gas -= 2;
          stack[sp++] = 0n;
          pc++;
          continue;
        case 0x60:
        case 0x61:
        case 0x62:
        case 0x63:
        case 0x64:
        case 0x65:
        case 0x66:
        case 0x67:
        case 0x68:
        case 0x69:
        case 0x6a:
        case 0x6b:
        case 0x6c:
        case 0x6d:
        case 0x6e:
        case 0x6f:
        case 0x70:
        case 0x71:
        case 0x72:
        case 0x73:
        case 0x74:
        case 0x75:
        case 0x76:
        case 0x77:
        case 0x78:
        case 0x79:
        case 0x7a:
        case 0x7b:
        case 0x7c:
        case 0x7d:
        case 0x7e:
        case 0x7f: {
          // PUSH1..PUSH32: the immediate's value is computed once per code position.
          // (1024 is STACK_LIMIT, written out: V8 does not fold an imported constant.)
          if (sp >= 1024) break loop;
          if (op <= 0x61) {
            // PUSH1/PUSH2 directly followed by JUMP or JUMPI (how compilers write jumps)
            // run as one step: the destination is the immediate; no word is pushed or
            // converted. Gas, checks and failures are those of the two instructions;
            // tight gas or a short stack runs them one at a time.
            const next = pc + op - 0x5e;
            const jumpOp = next < len ? code[next]! : 0;
            if (jumpOp === 0x56 ? gas >= 11 : jumpOp === 0x57 && gas >= 13 && sp >= 1) {
              if (jumpOp === 0x56) gas -= 11;
              else {
                gas -= 13;
                if (stack[--sp] === 0n) {
                  pc = (next + 1) | 0;
                  continue;
                }
              }
              const d = op === 0x60 ? code[pc + 1]! | 0 : (code[pc + 1]! << 8) | code[pc + 2]!;
              if (d >= len || jumpdests[d] !== 1) {
                f.pc = next + 1;
                f.sp = sp;
                f.gas = gas + reserve;
                f.fail("invalid jump destination");
                return;
              }
              if (gas >= 1) {
                gas -= 1;
                pc = (d + 1) | 0;
              } else pc = d;
              if (--refresh === 0) {
                refresh = STACK_REFRESH;
                stack = f.stack = stack.slice();
                if (deadline !== NO_DEADLINE) checkDeadline(deadline);
              }
              continue;
            }
          }
          if (gas < 3) {
            outOfGas = true;
            break loop;
          }
          gas -= 3;
          let v = pushes[pc];
          if (v === undefined) v = pushValue(code, pc, pushes);
          stack[sp++] = v;
          pc += op - 0x5e;
          continue;
        }
        case 0x80:
        case 0x81:
        case 0x82:
        case 0x83:
        case 0x84:
        case 0x85:
        case 0x86:
        case 0x87:
        case 0x88:
        case 0x89:
        case 0x8a:
        case 0x8b:
        case 0x8c:
        case 0x8d:
        case 0x8e:
        case 0x8f: {
          // DUP1..DUP16
          const n = op - 0x7f;
          if (sp < n || sp >= 1024) break loop;
          if (gas < 3) {
            outOfGas = true;
            break loop;
          }
          gas -= 3;
          stack[sp] = stack[sp - n]!;
          sp++;
          pc++;
          continue;
        }
        case 0x90:
        case 0x91:
        case 0x92:
        case 0x93:
        case 0x94:
        case 0x95:
        case 0x96:
        case 0x97:
        case 0x98:
        case 0x99:
        case 0x9a:
        case 0x9b:
        case 0x9c:
        case 0x9d:
        case 0x9e:
        case 0x9f: {
          // SWAP1..SWAP16
          const other = sp - 2 - (op - 0x90);
          if (other < 0) break loop;
          if (gas < 3) {
            outOfGas = true;
            break loop;
          }
          gas -= 3;
          const top = stack[sp - 1]!;
          stack[sp - 1] = stack[other]!;
          stack[other] = top;
          pc++;
          continue;
        }
      }
      // The generic path: through the fork's table, with the frame in sync.
      if (sp < minStack[op]! || sp > maxStack[op]!) break;
      const cost = staticGas[op]!;
      if (gas < cost) {
        outOfGas = true;
        break;
      }
      gas -= cost;
      f.pc = pc;
      f.sp = sp;
      f.gas = gas + reserve;
      const dyn = dynamicGas[op];
      if (dyn !== null) {
        const d = dyn!(f);
        if (f.gas < d && !f.refill(d)) {
          // A gas function that failed for a reason of its own recorded its error.
          f.fail(f.gasError ?? OOG);
          return;
        }
        f.gas -= d;
      }
      f.pc = pc + 1;
      handlers[op]!(f);
      if (f.status !== RUNNING) return;
      pc = f.pc | 0;
      sp = f.sp | 0;
      reserve = f.gas > GAS_CHUNK ? f.gas - GAS_CHUNK : 0;
      gas = (f.gas - reserve) | 0;
    }
    if (outOfGas && reserve === 0 && f.excess !== 0n) {
      // Gas beyond 2^53-1 (Frame.excess): move what the number part can hold into reserve.
      f.gas = gas;
      f.topUp();
      reserve = f.gas - gas;
    }
    if (outOfGas && reserve > 0) {
      // Refill and retry the instruction: inline cases check gas before changing anything.
      const take = Math.min(reserve, GAS_CHUNK - gas);
      reserve -= take;
      gas = (gas + take) | 0;
      outOfGas = false;
      continue;
    }
    break;
  }
  // Out of gas or a stack error, before the instruction at pc ran.
  f.pc = pc;
  f.sp = sp;
  f.gas = gas + reserve;
  f.fail(outOfGas ? OOG : stackError(f, op, t));
}

/** Gas to grow memory from `memSize` bytes to cover `end` bytes (end > memSize). */
function memoryExpansionCost(memSize: number, end: number): number {
  return memoryCost(Math.ceil(end / 32)) - memoryCost(memSize / 32);
}

/** The same loop, reporting each step to `hooks.onOpcode` and failures to `onFault`. */
function runTraced(f: Frame, t: JumpTable, hooks: Hooks): void {
  const code = f.code;
  const len = code.length;
  const handlers = t.handlers;
  const staticGas = t.staticGas;
  const dynamicGas = t.dynamicGas;
  const minStack = t.minStack;
  const maxStack = t.maxStack;
  const onOpcode = hooks.onOpcode!;
  const depth = f.depth;
  const deadline = f.evm.deadline;
  let budget = 4096;
  while (f.status === RUNNING) {
    if (--budget === 0) {
      budget = 4096;
      if (deadline !== NO_DEADLINE) checkDeadline(deadline);
    }
    const pc = f.pc;
    const op = pc < len ? code[pc]! : 0;
    const gasBefore = f.gas;
    let cost = staticGas[op]!;
    const sp = f.sp;
    if (sp < minStack[op]! || sp > maxStack[op]!) {
      const err = stackError(f, op, t);
      onOpcode(pc, op, gasBefore, cost, f, depth, err);
      f.fail(err);
      return;
    }
    if (f.gas < cost && !f.refill(cost)) {
      onOpcode(pc, op, gasBefore, cost, f, depth, OOG);
      f.fail(OOG);
      return;
    }
    f.gas -= cost;
    const dyn = dynamicGas[op];
    if (dyn !== null) {
      const d = dyn!(f);
      if (f.gas < d && !f.refill(d)) {
        // As go-ethereum: an error of the gas function itself (Frame.gasError) is reported
        // with the static cost only; plain out of gas with the full cost.
        const error = f.gasError;
        if (error === null) onOpcode(pc, op, gasBefore, cost + d, f, depth, OOG);
        else onOpcode(pc, op, gasBefore, cost, f, depth, error);
        f.fail(error ?? OOG);
        return;
      }
      cost += d;
      f.gas -= d;
    }
    onOpcode(pc, op, gasBefore, cost, f, depth, null);
    f.pc = pc + 1;
    handlers[op]!(f);
    if (f.status > 1 && hooks.onFault) hooks.onFault(pc, op, gasBefore, cost, f, depth, f.error ?? "");
  }
}
