/**
 * Storage: SLOAD, SSTORE and their gas per fork (legacy, EIP-1283, EIP-2200, EIP-2929,
 * EIP-3529), and transient storage TLOAD/TSTORE (EIP-1153).
 */
import type { Frame } from "../frame.js";
import { G } from "../gas.js";
import { gasFailure, OOG_SSTORE_SENTRY, OOG_WRITE_PROTECTION } from "./common.js";

export function opSload(f: Frame): void {
  const s = f.stack;
  s[f.sp - 1] = f.evm.state.getStorage(f.address, s[f.sp - 1]!);
}

export function sloadGasEip2929(f: Frame): number {
  return f.evm.state.warmSlot(f.address, f.stack[f.sp - 1]!) ? G.COLD_SLOAD : G.WARM_STORAGE_READ;
}

/** SSTORE. A write in a static context is refused by the gas function already (below). */
export function opSstore(f: Frame): void {
  if (f.isStatic) {
    f.fail("write protection");
    return;
  }
  const s = f.stack;
  const sp = (f.sp -= 2);
  f.evm.state.setStorage(f.address, s[sp + 1]!, s[sp]!);
}

/**
 * Frontier to Byzantium, and Petersburg: 20000 to set, 5000 otherwise, 15000 refund to clear.
 * Every fork's SSTORE gas function refuses a write in a static context first, as
 * go-ethereum's do since #33281: "out of gas: write protection".
 */
export function sstoreGasLegacy(f: Frame): number {
  if (f.isStatic) return gasFailure(f, OOG_WRITE_PROTECTION);
  const slot = f.stack[f.sp - 1]!;
  const value = f.stack[f.sp - 2]!;
  const current = f.evm.state.getStorage(f.address, slot);
  if (current === 0n && value !== 0n) return G.SSTORE_SET;
  if (current !== 0n && value === 0n) f.evm.state.addRefund(G.SSTORE_CLEAR_REFUND);
  return G.SSTORE_RESET;
}

/**
 * Net gas metering with original values: EIP-1283 (Constantinople), EIP-2200
 * (Istanbul), and with EIP-2929 cold slots and EIP-3529 refunds. The parameters differ
 * by fork; the logic is the same.
 */
interface NetMeteringParams {
  sentry: boolean;
  noop: number; // current == new
  set: number; // original == current == 0
  reset: number; // original == current != 0
  clearRefund: number;
  coldSload: boolean;
}

function makeSstoreNetGas(p: NetMeteringParams): (f: Frame) => number {
  return (f: Frame) => {
    if (f.isStatic) return gasFailure(f, OOG_WRITE_PROTECTION);
    // EIP-2200: fail when no more than the call stipend is left.
    if (p.sentry && f.gas <= G.SSTORE_SENTRY_EIP2200 && f.excess === 0n)
      return gasFailure(f, OOG_SSTORE_SENTRY);
    const state = f.evm.state;
    const slot = f.stack[f.sp - 1]!;
    const value = f.stack[f.sp - 2]!;
    let cold = 0;
    if (p.coldSload && state.warmSlot(f.address, slot)) cold = G.COLD_SLOAD;
    const current = state.getStorage(f.address, slot);
    if (current === value) return cold + p.noop;
    const original = state.getCommittedStorage(f.address, slot);
    if (original === current) {
      if (original === 0n) return cold + p.set;
      if (value === 0n) state.addRefund(p.clearRefund);
      return cold + p.reset;
    }
    if (original !== 0n) {
      if (current === 0n) state.subRefund(p.clearRefund);
      else if (value === 0n) state.addRefund(p.clearRefund);
    }
    if (original === value) {
      if (original === 0n) state.addRefund(p.set - p.noop);
      else state.addRefund(p.reset - p.noop);
    }
    return cold + p.noop;
  };
}

export const sstoreGasEip1283 = makeSstoreNetGas({
  sentry: false,
  noop: G.SSTORE_NOOP_EIP1283,
  set: G.SSTORE_SET,
  reset: G.SSTORE_RESET,
  clearRefund: G.SSTORE_CLEAR_REFUND,
  coldSload: false,
});

export const sstoreGasEip2200 = makeSstoreNetGas({
  sentry: true,
  noop: G.SLOAD_EIP1884,
  set: G.SSTORE_SET,
  reset: G.SSTORE_RESET,
  clearRefund: G.SSTORE_CLEAR_REFUND,
  coldSload: false,
});

const EIP2929_PARAMS: NetMeteringParams = {
  sentry: true,
  noop: G.WARM_STORAGE_READ,
  set: G.SSTORE_SET,
  reset: G.SSTORE_RESET - G.COLD_SLOAD,
  clearRefund: G.SSTORE_CLEAR_REFUND,
  coldSload: true,
};

export const sstoreGasEip2929 = makeSstoreNetGas(EIP2929_PARAMS);

/** EIP-3529 changes only the clearing refund. */
export const sstoreGasEip3529 = makeSstoreNetGas({
  ...EIP2929_PARAMS,
  clearRefund: G.SSTORE_CLEARS_SCHEDULE_EIP3529,
});

export function opTload(f: Frame): void {
  const s = f.stack;
  s[f.sp - 1] = f.evm.state.getTransient(f.address, s[f.sp - 1]!);
}

export function opTstore(f: Frame): void {
  if (f.isStatic) {
    f.fail("write protection");
    return;
  }
  const s = f.stack;
  const sp = (f.sp -= 2);
  f.evm.state.setTransient(f.address, s[sp + 1]!, s[sp]!);
}
