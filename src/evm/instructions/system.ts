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
import {
  copyToMemory,
  GAS_UINT64_OVERFLOW,
  gasFailure,
  memoryGas,
  memoryGas2,
  OOG_GAS_UINT64_OVERFLOW,
  OOG_OUT_OF_GAS,
  OOG_WRITE_PROTECTION,
  UNPAYABLE,
  wordGas,
} from "./common.js";
import { ADDRESS_MASK } from "./u256.js";

export const MAX_INITCODE_SIZE = 49152;

// ---------------------------------------------------------------- creates

/**
 * CREATE/CREATE2 gas, with go-ethereum's failures in its order: a memory range beyond 64
 * bits, a create in a static context ("out of gas: write protection"), memory beyond its
 * cost formula, then (EIP-3860) initcode above the limit.
 */
function createGasCommon(f: Frame, hashWords: boolean): number {
  const s = f.stack;
  const size = s[f.sp - 3]!;
  const mem = memoryGas(f, s[f.sp - 2]!, size);
  if (f.gasError === GAS_UINT64_OVERFLOW) return UNPAYABLE;
  if (f.isStatic) return gasFailure(f, OOG_WRITE_PROTECTION);
  if (f.gasError !== null) return UNPAYABLE;
  let cost = mem;
  if (f.evm.fork >= Fork.Shanghai) {
    if (size > BigInt(MAX_INITCODE_SIZE)) {
      return gasFailure(
        f,
        `out of gas: max initcode size exceeded: code size ${size} limit ${MAX_INITCODE_SIZE}`,
      );
    }
    if (mem >= UNPAYABLE) return mem;
    cost += wordGas(size, G.INITCODE_WORD);
  } else if (mem >= UNPAYABLE) {
    return mem;
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

const MAX_UINT64 = (1n << 64n) - 1n;

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
 * Gas of the CALL family: memory, the EIP-2929 cold surcharge (Berlin), value transfer,
 * a new account, the EIP-7702 delegation (Prague), and the gas forwarded. Where
 * go-ethereum's gas function fails rather than its interpreter, the error says so, as
 * there: a value transfer in a static context is "out of gas: write protection" (Prague:
 * before the cold surcharge; Berlin to Cancun: after it); a surcharge, or a CALL's memory
 * and value transfer gas, that cannot be paid is "out of gas: out of gas", and from
 * Prague any part of the cost is.
 */
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
    if (f.gasError === GAS_UINT64_OVERFLOW) return UNPAYABLE;
    const evm = f.evm;
    const fork = evm.fork;
    const state = evm.state;
    const writes = kind === CallKind.CALL && value !== 0n && f.isStatic;
    // The static part was already taken from f.gas by the interpreter. With gas beyond
    // 2^53-1 (Frame.excess) the number part is filled first: only unpayable costs fail.
    if (f.excess !== 0n) f.topUp();
    let cost = 0;
    if (fork >= Fork.Berlin) {
      if (writes && fork >= Fork.Prague) return gasFailure(f, OOG_WRITE_PROTECTION);
      if (state.warmAddress(address)) {
        cost = G.COLD_ACCOUNT_ACCESS - G.WARM_STORAGE_READ;
        if (cost > f.gas) return gasFailure(f, OOG_OUT_OF_GAS);
      }
    }
    if (writes) return gasFailure(f, OOG_WRITE_PROTECTION);
    if (f.gasError !== null) return UNPAYABLE; // memory beyond go-ethereum's cost formula
    cost += mem;
    if (value !== 0n) cost += G.CALL_VALUE;
    if (cost > f.gas)
      return kind === CallKind.CALL || fork >= Fork.Prague ? gasFailure(f, OOG_OUT_OF_GAS) : UNPAYABLE;
    if (kind === CallKind.CALL) {
      const newAccount =
        value !== 0n
          ? fork >= Fork.SpuriousDragon
            ? state.isEmpty(address)
            : !state.exists(address)
          : fork < Fork.SpuriousDragon && !state.exists(address);
      if (newAccount) cost += G.CALL_NEW_ACCOUNT;
    }
    if (fork >= Fork.Prague) {
      const target = parseDelegation(state.getCode(address));
      if (target !== null) cost += state.warmAddress(target) ? G.COLD_ACCOUNT_ACCESS : G.WARM_STORAGE_READ;
    }
    // Before EIP-150 the requested gas is taken as it is: go-ethereum's sum of it and the
    // rest of the cost overflows 64 bits ("out of gas: gas uint64 overflow").
    if (fork < Fork.TangerineWhistle && requested + BigInt(cost) > MAX_UINT64) {
      return gasFailure(f, OOG_GAS_UINT64_OVERFLOW);
    }
    if (f.excess !== 0n) return callGasFromExcess(f, cost, requested);
    if (cost > f.gas) return fork >= Fork.Prague ? gasFailure(f, OOG_OUT_OF_GAS) : UNPAYABLE;
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

/**
 * SELFDESTRUCT gas. As go-ethereum's gas functions: in a static context it fails with
 * "out of gas: write protection" (every fork), and from Berlin a cold beneficiary whose
 * surcharge cannot be paid with "out of gas: out of gas".
 */
export function selfdestructGas(f: Frame): number {
  if (f.isStatic) return gasFailure(f, OOG_WRITE_PROTECTION);
  const evm = f.evm;
  const state = evm.state;
  const beneficiary = addressFromBigInt(f.stack[f.sp - 1]! & ADDRESS_MASK);
  let cost = 0;
  if (evm.fork >= Fork.Berlin && state.warmAddress(beneficiary)) {
    cost += G.COLD_ACCOUNT_ACCESS;
    if (cost > f.gas && f.excess === 0n) return gasFailure(f, OOG_OUT_OF_GAS);
  }
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
