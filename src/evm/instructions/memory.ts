/** Memory: MLOAD, MSTORE, MSTORE8, MSIZE, MCOPY (EIP-5656), with their expansion gas. */
import type { Frame } from "../frame.js";
import { G } from "../gas.js";
import { loadWord, memoryGas, storeWord, wordGas } from "./common.js";

export function mloadGas(f: Frame): number {
  return memoryGas(f, f.stack[f.sp - 1]!, 32n);
}

export function opMload(f: Frame): void {
  const s = f.stack;
  const off = Number(s[f.sp - 1]!);
  f.expand(off, 32);
  s[f.sp - 1] = loadWord(f.memView, off);
}

export function mstoreGas(f: Frame): number {
  return memoryGas(f, f.stack[f.sp - 1]!, 32n);
}

export function opMstore(f: Frame): void {
  const s = f.stack;
  const sp = (f.sp -= 2);
  const off = Number(s[sp + 1]!);
  f.expand(off, 32);
  storeWord(f.memView, off, s[sp]!);
}

export function mstore8Gas(f: Frame): number {
  return memoryGas(f, f.stack[f.sp - 1]!, 1n);
}

export function opMstore8(f: Frame): void {
  const s = f.stack;
  const sp = (f.sp -= 2);
  const off = Number(s[sp + 1]!);
  f.expand(off, 1);
  f.memory[off] = Number(s[sp]! & 0xffn);
}

export function opMsize(f: Frame): void {
  f.stack[f.sp++] = BigInt(f.memSize);
}

export function mcopyGas(f: Frame): number {
  const s = f.stack;
  const dst = s[f.sp - 1]!;
  const src = s[f.sp - 2]!;
  const size = s[f.sp - 3]!;
  const mem = memoryGas(f, dst > src ? dst : src, size);
  return mem + wordGas(size, G.COPY_WORD);
}

export function opMcopy(f: Frame): void {
  const s = f.stack;
  const sp = (f.sp -= 3);
  const size = Number(s[sp]!);
  if (size === 0) return;
  const dst = Number(s[sp + 2]!);
  const src = Number(s[sp + 1]!);
  f.expand(Math.max(dst, src), size);
  f.memory.copyWithin(dst, src, src + size);
}
