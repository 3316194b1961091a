/**
 * Execution environment: ADDRESS, BALANCE, ORIGIN, CALLER, CALLVALUE, CALLDATA*, CODE*,
 * GASPRICE, EXTCODE*, RETURNDATA*, SELFBALANCE, CHAINID, with their dynamic gas
 * (EIP-2929 cold account access).
 */
import { addressFromBigInt } from "../../primitives/hex.js";
import type { Frame } from "../frame.js";
import { G } from "../gas.js";
import { bytes32ToWord, copyToMemory, loadPadded, memoryGas, UNPAYABLE, wordGas } from "./common.js";
import { ADDRESS_MASK } from "./u256.js";

const addrWord = (a: string): bigint => BigInt(a);

/** EIP-2929: extra cost of a cold account on top of the warm cost in the static table. */
export function coldAccountSurcharge(f: Frame, address: string): number {
  return f.evm.state.warmAddress(address) ? G.COLD_ACCOUNT_ACCESS - G.WARM_STORAGE_READ : 0;
}

export function accountAccessGasEip2929(f: Frame): number {
  return coldAccountSurcharge(f, addressFromBigInt(f.stack[f.sp - 1]! & ADDRESS_MASK));
}

export function opAddress(f: Frame): void {
  f.stack[f.sp++] = addrWord(f.address);
}

export function opBalance(f: Frame): void {
  const s = f.stack;
  s[f.sp - 1] = f.evm.state.getBalance(addressFromBigInt(s[f.sp - 1]! & ADDRESS_MASK));
}

export function opOrigin(f: Frame): void {
  f.stack[f.sp++] = addrWord(f.evm.tx.origin);
}

export function opCaller(f: Frame): void {
  f.stack[f.sp++] = addrWord(f.caller);
}

export function opCallvalue(f: Frame): void {
  f.stack[f.sp++] = f.value;
}

export function opCalldataload(f: Frame): void {
  const s = f.stack;
  s[f.sp - 1] = loadPadded(f.input, s[f.sp - 1]!);
}

export function opCalldatasize(f: Frame): void {
  f.stack[f.sp++] = BigInt(f.input.length);
}

/** CALLDATACOPY, CODECOPY, RETURNDATACOPY: memory + 3 per word. */
export function copyGas(f: Frame): number {
  const size = f.stack[f.sp - 3]!;
  return memoryGas(f, f.stack[f.sp - 1]!, size) + wordGas(size, G.COPY_WORD);
}

export function opCalldatacopy(f: Frame): void {
  const s = f.stack;
  const sp = (f.sp -= 3);
  const size = Number(s[sp]!);
  if (size === 0) return;
  copyToMemory(f, Number(s[sp + 2]!), f.input, s[sp + 1]!, size);
}

export function opCodesize(f: Frame): void {
  f.stack[f.sp++] = BigInt(f.code.length);
}

export function opCodecopy(f: Frame): void {
  const s = f.stack;
  const sp = (f.sp -= 3);
  const size = Number(s[sp]!);
  if (size === 0) return;
  copyToMemory(f, Number(s[sp + 2]!), f.code, s[sp + 1]!, size);
}

export function opGasprice(f: Frame): void {
  f.stack[f.sp++] = f.evm.tx.gasPrice;
}

export function opExtcodesize(f: Frame): void {
  const s = f.stack;
  s[f.sp - 1] = BigInt(f.evm.state.getCode(addressFromBigInt(s[f.sp - 1]! & ADDRESS_MASK)).length);
}

export function extcodecopyGas(f: Frame): number {
  const s = f.stack;
  const size = s[f.sp - 4]!;
  return memoryGas(f, s[f.sp - 2]!, size) + wordGas(size, G.COPY_WORD);
}

export function extcodecopyGasEip2929(f: Frame): number {
  const g = extcodecopyGas(f);
  if (g >= UNPAYABLE) return g;
  return g + accountAccessGasEip2929(f);
}

export function opExtcodecopy(f: Frame): void {
  const s = f.stack;
  const sp = (f.sp -= 4);
  const address = addressFromBigInt(s[sp + 3]! & ADDRESS_MASK);
  const size = Number(s[sp]!);
  if (size === 0) return;
  copyToMemory(f, Number(s[sp + 2]!), f.evm.state.getCode(address), s[sp + 1]!, size);
}

export function opReturndatasize(f: Frame): void {
  f.stack[f.sp++] = BigInt(f.returnData.length);
}

export function opReturndatacopy(f: Frame): void {
  const s = f.stack;
  const sp = (f.sp -= 3);
  const memOff = s[sp + 2]!;
  const dataOff = s[sp + 1]!;
  const size = s[sp]!;
  if (dataOff + size > BigInt(f.returnData.length)) {
    f.fail("return data out of bounds");
    return;
  }
  if (size === 0n) return;
  copyToMemory(f, Number(memOff), f.returnData, dataOff, Number(size));
}

export function opExtcodehash(f: Frame): void {
  const s = f.stack;
  const address = addressFromBigInt(s[f.sp - 1]! & ADDRESS_MASK);
  const state = f.evm.state;
  // EIP-1052 / EIP-161: 0 for accounts that do not exist or are empty.
  if (state.isEmpty(address)) s[f.sp - 1] = 0n;
  else s[f.sp - 1] = bytes32ToWord(state.getCodeHash(address)!, 0);
}

export function opSelfbalance(f: Frame): void {
  f.stack[f.sp++] = f.evm.state.getBalance(f.address);
}

export function opChainid(f: Frame): void {
  f.stack[f.sp++] = f.evm.block.chainId;
}
