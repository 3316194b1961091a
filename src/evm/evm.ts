/**
 * The EVM: message calls and contract creation over a StateDB, and the interpreter loop.
 *
 * Two loops run the same instruction tables: `runPlain` has no tracing code at all and
 * is used when no `onOpcode` hook is attached; `runTraced` reports every step. Choosing
 * once per frame keeps untraced execution free of tracing cost (bench/hooks-overhead.ts).
 *
 * Halts are values on the frame (`status`, `error`), never exceptions.
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
import { FAILED, Frame, jumpdestsOf, REVERTED, RUNNING } from "./frame.js";
import { G } from "./gas.js";
import type { CallOutcome } from "./instructions/system.js";
import { type JumpTable, jumpTableFor } from "./jumptable.js";
import { precompilesFor } from "./precompiles/index.js";
import type { Precompile } from "./precompiles/types.js";

export const MAX_CALL_DEPTH = 1024;
export const MAX_CODE_SIZE = 24576; // EIP-170
const EMPTY = new Uint8Array(0);
const MAX_NONCE = (1n << 64n) - 1n;

export interface CallResult extends CallOutcome {
  error: string | null;
  reverted: boolean;
}

export interface CreateResult {
  /** The new contract's address, or null when creation failed. */
  address: Address | null;
  gasLeft: number;
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

  constructor(
    readonly state: StateDB,
    readonly block: BlockContext,
    public tx: TxContext,
    readonly fork: Fork,
    hooks: Hooks | null = null,
  ) {
    this.table = jumpTableFor(fork);
    this.precompiles = precompilesFor(fork);
    this.hooks = hooks;
    this.traced = hooks?.onOpcode !== undefined;
  }

  /**
   * A message call. `to` is the account whose storage and balance the callee uses;
   * `codeAddress` the account whose code runs (they differ for CALLCODE/DELEGATECALL).
   * `depth` is the caller's depth (0 for a transaction).
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
  ): CallResult {
    const hooks = this.hooks;
    if (hooks?.onEnter) {
      const shown = kind === CallKind.CALL || kind === CallKind.STATICCALL ? to : codeAddress;
      hooks.onEnter(depth, kind, caller, shown, input, gas, value);
    }
    const r = this.callInner(kind, caller, to, codeAddress, input, gas, value, isStatic, depth);
    if (hooks?.onExit) hooks.onExit(depth, r.output, gas - r.gasLeft, r.error, r.error !== null);
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
  ): CallResult {
    if (depth > MAX_CALL_DEPTH) return fail(gas, "max call depth exceeded");
    const state = this.state;
    const transfers = kind === CallKind.CALL || kind === CallKind.CALLCODE;
    if (transfers && value !== 0n && state.getBalance(caller) < value) {
      return fail(gas, "insufficient balance for transfer");
    }
    const snapshot = state.snapshot();
    const precompile = this.precompiles.get(codeAddress);
    if (kind === CallKind.CALL) {
      if (!state.exists(to)) {
        if (precompile === undefined && this.fork >= Fork.SpuriousDragon && value === 0n) {
          return { success: true, gasLeft: gas, output: EMPTY, error: null, reverted: false };
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
      const p = precompile(input, gas);
      result =
        p.error === undefined
          ? { success: true, gasLeft: gas - p.gasUsed, output: p.output, error: null, reverted: false }
          : { success: false, gasLeft: 0, output: EMPTY, error: p.error, reverted: true };
    } else {
      let code = state.getCode(codeAddress);
      if (this.fork >= Fork.Prague) {
        const target = parseDelegation(code);
        if (target !== null) code = state.getCode(target);
      }
      if (code.length === 0) {
        return { success: true, gasLeft: gas, output: EMPTY, error: null, reverted: false };
      }
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
    const r = this.createInner(caller, initcode, gas, value, depth, target, nonce);
    if (hooks?.onExit) {
      hooks.onExit(
        depth,
        r.reverted ? r.output : r.error === null ? state.getCode(target!) : EMPTY,
        gas - r.gasLeft,
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
    value: bigint,
    depth: number,
    target: Address | null,
    nonce: bigint,
  ): CreateResult {
    const state = this.state;
    const early = (error: string): CreateResult => ({
      address: null,
      gasLeft: gas,
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
    if (initcode.length > 0) this.run(frame);
    let error = frame.status === RUNNING ? null : frame.error;
    let gasLeft = frame.status === FAILED ? 0 : frame.gas;
    const output = frame.output;
    if (frame.status === REVERTED) {
      state.revert(snapshot);
      return { address: null, gasLeft, output, reverted: true, error: "execution reverted", target };
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
        return { address, gasLeft, output: EMPTY, reverted: false, error: null, target };
      }
      state.revert(snapshot);
      return { address: null, gasLeft: 0, output: EMPTY, reverted: false, error, target };
    }
    return { address, gasLeft, output: EMPTY, reverted: false, error: null, target };
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
    if (this.traced) runTraced(f, this.table, this.hooks!);
    else runPlain(f, this.table);
  }
}

const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

function fail(gas: number, error: string): CallResult {
  return { success: false, gasLeft: gas, output: EMPTY, error, reverted: false };
}

function frameResult(f: Frame): CallResult {
  switch (f.status) {
    case REVERTED:
      return {
        success: false,
        gasLeft: f.gas,
        output: f.output,
        error: "execution reverted",
        reverted: true,
      };
    case FAILED:
      return { success: false, gasLeft: 0, output: EMPTY, error: f.error, reverted: true };
    default:
      return { success: true, gasLeft: f.gas, output: f.output, error: null, reverted: false };
  }
}

const OOG = "out of gas";

function stackError(f: Frame, op: number, t: JumpTable): string {
  if (f.sp < t.minStack[op]!) return `stack underflow (${f.sp} <=> ${t.minStack[op]})`;
  return `stack limit reached ${f.sp} (${t.maxStack[op]})`;
}

/** The interpreter loop without any tracing code. */
function runPlain(f: Frame, t: JumpTable): void {
  const code = f.code;
  const len = code.length;
  const handlers = t.handlers;
  const staticGas = t.staticGas;
  const dynamicGas = t.dynamicGas;
  const minStack = t.minStack;
  const maxStack = t.maxStack;
  while (f.status === RUNNING) {
    const pc = f.pc;
    const op = pc < len ? code[pc]! : 0;
    const sp = f.sp;
    if (sp < minStack[op]! || sp > maxStack[op]!) {
      f.fail(stackError(f, op, t));
      return;
    }
    const cost = staticGas[op]!;
    if (f.gas < cost) {
      f.fail(OOG);
      return;
    }
    f.gas -= cost;
    const dyn = dynamicGas[op];
    if (dyn !== null) {
      const d = dyn!(f);
      if (f.gas < d) {
        f.fail(OOG);
        return;
      }
      f.gas -= d;
    }
    f.pc = pc + 1;
    handlers[op]!(f);
  }
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
  while (f.status === RUNNING) {
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
    if (f.gas < cost) {
      onOpcode(pc, op, gasBefore, cost, f, depth, OOG);
      f.fail(OOG);
      return;
    }
    f.gas -= cost;
    const dyn = dynamicGas[op];
    if (dyn !== null) {
      const d = dyn!(f);
      cost += d;
      if (f.gas < d) {
        onOpcode(pc, op, gasBefore, cost, f, depth, OOG);
        f.fail(OOG);
        return;
      }
      f.gas -= d;
    }
    onOpcode(pc, op, gasBefore, cost, f, depth, null);
    f.pc = pc + 1;
    handlers[op]!(f);
    if (f.status > 1 && hooks.onFault) hooks.onFault(pc, op, gasBefore, cost, f, depth, f.error ?? "");
  }
}
