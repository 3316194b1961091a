/** Comparison and bitwise logic: LT … SAR, CLZ (EIP-7939). */
import type { Frame } from "../frame.js";
import { byteAt, clz, MASK256, sar, slt } from "./u256.js";

export function opLt(f: Frame): void {
  const s = f.stack;
  const sp = --f.sp;
  s[sp - 1] = s[sp]! < s[sp - 1]! ? 1n : 0n;
}

export function opGt(f: Frame): void {
  const s = f.stack;
  const sp = --f.sp;
  s[sp - 1] = s[sp]! > s[sp - 1]! ? 1n : 0n;
}

export function opSlt(f: Frame): void {
  const s = f.stack;
  const sp = --f.sp;
  s[sp - 1] = slt(s[sp]!, s[sp - 1]!) ? 1n : 0n;
}

export function opSgt(f: Frame): void {
  const s = f.stack;
  const sp = --f.sp;
  s[sp - 1] = slt(s[sp - 1]!, s[sp]!) ? 1n : 0n;
}

export function opEq(f: Frame): void {
  const s = f.stack;
  const sp = --f.sp;
  s[sp - 1] = s[sp] === s[sp - 1] ? 1n : 0n;
}

export function opIszero(f: Frame): void {
  const s = f.stack;
  s[f.sp - 1] = s[f.sp - 1] === 0n ? 1n : 0n;
}

export function opAnd(f: Frame): void {
  const s = f.stack;
  const sp = --f.sp;
  s[sp - 1] = s[sp]! & s[sp - 1]!;
}

export function opOr(f: Frame): void {
  const s = f.stack;
  const sp = --f.sp;
  s[sp - 1] = s[sp]! | s[sp - 1]!;
}

export function opXor(f: Frame): void {
  const s = f.stack;
  const sp = --f.sp;
  s[sp - 1] = s[sp]! ^ s[sp - 1]!;
}

export function opNot(f: Frame): void {
  const s = f.stack;
  s[f.sp - 1] = MASK256 ^ s[f.sp - 1]!;
}

export function opByte(f: Frame): void {
  const s = f.stack;
  const sp = --f.sp;
  s[sp - 1] = byteAt(s[sp]!, s[sp - 1]!);
}

export function opShl(f: Frame): void {
  const s = f.stack;
  const sp = --f.sp;
  const shift = s[sp]!;
  s[sp - 1] = shift >= 256n ? 0n : (s[sp - 1]! << shift) & MASK256;
}

export function opShr(f: Frame): void {
  const s = f.stack;
  const sp = --f.sp;
  const shift = s[sp]!;
  s[sp - 1] = shift >= 256n ? 0n : s[sp - 1]! >> shift;
}

export function opSar(f: Frame): void {
  const s = f.stack;
  const sp = --f.sp;
  s[sp - 1] = sar(s[sp]!, s[sp - 1]!);
}

export function opClz(f: Frame): void {
  const s = f.stack;
  s[f.sp - 1] = clz(s[f.sp - 1]!);
}
