/**
 * System operations: CREATE, CREATE2, CALL, CALLCODE, DELEGATECALL, STATICCALL,
 * SELFDESTRUCT, with their dynamic gas per fork (EIP-150 63/64 rule, EIP-161 new
 * accounts, EIP-2929 cold access, EIP-3860 initcode, EIP-7702 delegation resolution).
 */
import { addressFromBigInt } from "../../primitives/hex.js";
import { BalanceChangeReason, CallKind } from "../../tracing/hooks.js";
import { parseDelegation } from "../delegation.js";
import { Fork } from "../forks.js";
import { type Frame, MAX_GAS_NUMBER, STOPPED, splitGas } from "../frame.js";
import { G } from "../gas.js";
import { copyToMemory, memoryGas, memoryGas2, UNPAYABLE, wordGas } from "./common.js";
import { ADDRESS_MASK } from "./u256.js";

export const MAX_INITCODE_SIZE = 49152;

// ---------------------------------------------------------------- creates

function createGasCommon(f: Frame, hashWords: boolean): number {
  const s = f.stack;
  const size = s[f.sp - 3]!;
  const mem = memoryGas(f, s[f.sp - 2]!, size);
  if (mem >= UNPAYABLE) return mem;
  let cost = mem;
  if (f.evm.fork >= Fork.Shanghai) {
    if (size > BigInt(MAX_INITCODE_SIZE)) return UNPAYABLE;
    cost += wordGas(size, G.INITCODE_WORD);
  }
  if (hashWords) cost += wordGas(size, G.KECCAK_WORD);
  return cost;
}

export function createGas(f: Frame): number {
  return createGasCommon(f, false);
}

export function create2Gas(f: Frame): number {
  return createGasCommon(f, true);
}

export function opCreate(f: Frame): void {
  doCreateOrdered(f, CallKind.CREATE);
}

export function opCreate2(f: Frame): void {
  doCreateOrdered(f, CallKind.CREATE2);
}

function doCreateOrdered(f: Frame, kind: CallKind): void {
  if (f.isStatic) {
    f.fail("write protection");
    return;
  }
  const s = f.stack;
  const top = f.sp - 1;
  const value = s[top]!;
  const offset = s[top - 1]!;
  const sizeW = s[top - 2]!;
  const isCreate2 = kind === CallKind.CREATE2;
  const salt = isCreate2 ? s[top - 3]! : null;
  const n = isCreate2 ? 4 : 3;
  f.sp -= n - 1;
  const resultIndex = f.sp - 1;
  const size = Number(sizeW);
  const off = size === 0 ? 0 : Number(offset);
  f.expand(off, size);
  const initcode = f.readMemory(off, size);
  const allButOne64th = f.evm.fork >= Fork.TangerineWhistle;
  let gas: number;
  let gasExcess = 0n;
  if (f.excess === 0n) {
    gas = f.gas;
    if (allButOne64th) gas -= Math.floor(gas / 64);
    f.gas -= gas;
  } else {
    // More than 2^53-1 gas (Frame.excess): the same rule in bigint arithmetic.
    const total = BigInt(f.gas) + f.excess;
    const forwarded = allButOne64th ? total - total / 64n : total;
    [gas, gasExcess] = splitGas(forwarded);
    [f.gas, f.excess] = splitGas(total - forwarded);
  }
  const r = f.evm.create(f.address, initcode, gas, value, salt, f.depth, gasExcess);
  giveBack(f, r.gasLeft, r.gasLeftExcess);
  f.returnData = r.reverted ? r.output : EMPTY;
  s[resultIndex] = r.address === null ? 0n : BigInt(r.address);
}

const EMPTY = new Uint8Array(0);

/** Adds the gas a call or create returned to the caller's gas, exactly. */
function giveBack(f: Frame, gasLeft: number, gasLeftExcess: bigint): void {
  if (gasLeftExcess === 0n && f.gas + gasLeft <= MAX_GAS_NUMBER) f.gas += gasLeft;
  else [f.gas, f.excess] = splitGas(BigInt(f.gas) + f.excess + BigInt(gasLeft) + gasLeftExcess);
}

// ---------------------------------------------------------------- calls

/** EIP-150: all but one 64th of what is left; before it, the requested amount. */
function callGasAmount(f: Frame, available: number, requested: bigint): number {
  if (f.evm.fork >= Fork.TangerineWhistle) {
    const cap = available - Math.floor(available / 64);
    return requested < BigInt(cap) ? Number(requested) : cap;
  }
  return requested > BigInt(UNPAYABLE) ? UNPAYABLE : Number(requested);
}

/**
 * callGasAmount for a frame with more than 2^53-1 gas (Frame.excess, after topUp, so the
 * number part is full and covers `cost`): the forwarded gas is computed in bigint and
 * split into f.callGas and f.callGasExcess. The forwarded gas is paid from the excess
 * first; `cost` and the rest of it come from the number part, through the amount returned
 * here, which the interpreter charges as usual.
 */
function callGasFromExcess(f: Frame, cost: number, requested: bigint): number {
  const available = BigInt(f.gas - cost) + f.excess;
  let forwarded: bigint;
  if (f.evm.fork >= Fork.TangerineWhistle) {
    const cap = available - available / 64n;
    forwarded = requested < cap ? requested : cap;
  } else {
    if (requested > available) return UNPAYABLE;
    forwarded = requested;
  }
  const fromExcess = forwarded < f.excess ? forwarded : f.excess;
  f.excess -= fromExcess;
  [f.callGas, f.callGasExcess] = splitGas(forwarded);
  return cost + Number(forwarded - fromExcess);
}

/**
 * Account-access part of a call's gas from Berlin: the cold surcharge for the target
 * and, from Prague, the cost of resolving an EIP-7702 delegation. Returns the extra gas.
 */
function callAccessGas(f: Frame, address: string): number {
  const evm = f.evm;
  if (evm.fork < Fork.Berlin) return 0;
  let extra = evm.state.warmAddress(address) ? G.COLD_ACCOUNT_ACCESS - G.WARM_STORAGE_READ : 0;
  if (evm.fork >= Fork.Prague) {
    const target = parseDelegation(evm.state.getCode(address));
    if (target !== null) extra += evm.state.warmAddress(target) ? G.COLD_ACCOUNT_ACCESS : G.WARM_STORAGE_READ;
  }
  return extra;
}

function makeCallGas(kind: CallKind): (f: Frame) => number {
  const hasValue = kind === CallKind.CALL || kind === CallKind.CALLCODE;
  return (f: Frame) => {
    const s = f.stack;
    const top = f.sp - 1;
    const requested = s[top]!;
    const address = addressFromBigInt(s[top - 1]! & ADDRESS_MASK);
    const value = hasValue ? s[top - 2]! : 0n;
    const a = hasValue ? top - 3 : top - 2;
    const mem = memoryGas2(f, s[a]!, s[a - 1]!, s[a - 2]!, s[a - 3]!);
    if (mem >= UNPAYABLE) return mem;
    const evm = f.evm;
    let cost = mem + callAccessGas(f, address);
    if (value !== 0n) {
      cost += G.CALL_VALUE;
      if (kind === CallKind.CALL) {
        const newAccount =
          evm.fork >= Fork.SpuriousDragon ? evm.state.isEmpty(address) : !evm.state.exists(address);
        if (newAccount) cost += G.CALL_NEW_ACCOUNT;
      }
    } else if (kind === CallKind.CALL && evm.fork < Fork.SpuriousDragon && !evm.state.exists(address)) {
      cost += G.CALL_NEW_ACCOUNT;
    }
    // The static part was already taken from f.gas by the interpreter.
    if (f.excess !== 0n) {
      f.topUp();
      if (f.excess !== 0n) return callGasFromExcess(f, cost, requested);
    }
    if (cost > f.gas) return UNPAYABLE;
    f.callGas = callGasAmount(f, f.gas - cost, requested);
    return cost + f.callGas;
  };
}

export const callGas = makeCallGas(CallKind.CALL);
export const callcodeGas = makeCallGas(CallKind.CALLCODE);
export const delegatecallGas = makeCallGas(CallKind.DELEGATECALL);
export const staticcallGas = makeCallGas(CallKind.STATICCALL);

function makeCall(kind: CallKind): (f: Frame) => void {
  const hasValue = kind === CallKind.CALL || kind === CallKind.CALLCODE;
  const nargs = hasValue ? 7 : 6;
  return (f: Frame) => {
    const s = f.stack;
    const top = f.sp - 1;
    const target = addressFromBigInt(s[top - 1]! & ADDRESS_MASK);
    let value = hasValue ? s[top - 2]! : 0n;
    const a = hasValue ? top - 3 : top - 2;
    const inOff = s[a]!;
    const inSize = Number(s[a - 1]!);
    const outOff = s[a - 2]!;
    const outSize = Number(s[a - 3]!);
    f.sp -= nargs - 1;
    const resultIndex = f.sp - 1;
    if (kind === CallKind.CALL && value !== 0n && f.isStatic) {
      f.fail("write protection");
      return;
    }
    const inStart = inSize === 0 ? 0 : Number(inOff);
    f.expand(inStart, inSize);
    const outStart = outSize === 0 ? 0 : Number(outOff);
    f.expand(outStart, outSize);
    const input = f.readMemory(inStart, inSize);
    let gas = f.callGas;
    let gasExcess = f.callGasExcess;
    if (gasExcess !== 0n) f.callGasExcess = 0n;
    if (value !== 0n) {
      gas += G.CALL_STIPEND;
      if (gas > MAX_GAS_NUMBER)
        [gas, gasExcess] = splitGas(BigInt(f.callGas) + gasExcess + BigInt(G.CALL_STIPEND));
    }
    const evm = f.evm;
    let r: CallOutcome;
    switch (kind) {
      case CallKind.CALL:
        r = evm.call(kind, f.address, target, target, input, gas, value, f.isStatic, f.depth, gasExcess);
        break;
      case CallKind.CALLCODE:
        r = evm.call(kind, f.address, f.address, target, input, gas, value, f.isStatic, f.depth, gasExcess);
        break;
      case CallKind.DELEGATECALL:
        // The callee sees the caller's caller and value; no value moves.
        value = f.value;
        r = evm.call(kind, f.caller, f.address, target, input, gas, value, f.isStatic, f.depth, gasExcess);
        break;
      default:
        r = evm.call(kind, f.address, target, target, input, gas, 0n, true, f.depth, gasExcess);
        break;
    }
    giveBack(f, r.gasLeft, r.gasLeftExcess);
    f.returnData = r.output;
    if (outSize > 0 && r.output.length > 0) {
      copyToMemory(f, outStart, r.output, 0n, Math.min(outSize, r.output.length));
    }
    s[resultIndex] = r.success ? 1n : 0n;
  };
}

export interface CallOutcome {
  success: boolean;
  gasLeft: number;
  /** Gas left beyond `gasLeft` (see Frame.excess); zero unless more than 2^53-1 gas is left. */
  gasLeftExcess: bigint;
  output: Uint8Array;
}

export const opCall = makeCall(CallKind.CALL);
export const opCallcode = makeCall(CallKind.CALLCODE);
export const opDelegatecall = makeCall(CallKind.DELEGATECALL);
export const opStaticcall = makeCall(CallKind.STATICCALL);

// ---------------------------------------------------------------- selfdestruct

export function selfdestructGas(f: Frame): number {
  const evm = f.evm;
  const state = evm.state;
  const beneficiary = addressFromBigInt(f.stack[f.sp - 1]! & ADDRESS_MASK);
  let cost = 0;
  if (evm.fork >= Fork.Berlin && state.warmAddress(beneficiary)) cost += G.COLD_ACCOUNT_ACCESS;
  if (evm.fork >= Fork.SpuriousDragon) {
    if (state.isEmpty(beneficiary) && state.getBalance(f.address) !== 0n) cost += G.CALL_NEW_ACCOUNT;
  } else if (evm.fork >= Fork.TangerineWhistle && !state.exists(beneficiary)) {
    cost += G.CALL_NEW_ACCOUNT;
  }
  if (evm.fork < Fork.London && !state.hasSelfDestructed(f.address)) state.addRefund(G.SELFDESTRUCT_REFUND);
  return cost;
}

export function opSelfdestruct(f: Frame): void {
  if (f.isStatic) {
    f.fail("write protection");
    return;
  }
  const evm = f.evm;
  const state = evm.state;
  const beneficiary = addressFromBigInt(f.stack[--f.sp]! & ADDRESS_MASK);
  const balance = state.getBalance(f.address);
  const hooks = evm.hooks;
  if (hooks?.onEnter)
    hooks.onEnter(f.depth, CallKind.SELFDESTRUCT, f.address, beneficiary, EMPTY, 0, balance);
  if (evm.fork >= Fork.Cancun) {
    // EIP-6780: only a contract created in this transaction is deleted.
    state.subBalance(f.address, balance, BalanceChangeReason.Transfer);
    state.addBalance(beneficiary, balance, BalanceChangeReason.SelfDestructBeneficiary);
    if (state.isNewInTx(f.address)) state.selfDestruct(f.address);
  } else {
    state.addBalance(beneficiary, balance, BalanceChangeReason.SelfDestructBeneficiary);
    state.selfDestruct(f.address);
  }
  if (hooks?.onExit) hooks.onExit(f.depth, EMPTY, 0, null, false);
  f.status = STOPPED;
}
