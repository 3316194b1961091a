/** Arithmetic: ADD … SIGNEXTEND, and EXP's dynamic gas (EIP-160 repriced its byte cost). */
import type { Frame } from "../frame.js";
import { G } from "../gas.js";
import { byteLength, expMod256, MASK256, MOD256, sdiv, signExtend, smod } from "./u256.js";

export function opAdd(f: Frame): void {
  const s = f.stack;
  const sp = --f.sp;
  const r = s[sp]! + s[sp - 1]!;
  s[sp - 1] = r >= MOD256 ? r - MOD256 : r;
}

export function opMul(f: Frame): void {
  const s = f.stack;
  const sp = --f.sp;
  s[sp - 1] = (s[sp]! * s[sp - 1]!) & MASK256;
}

export function opSub(f: Frame): void {
  const s = f.stack;
  const sp = --f.sp;
  const r = s[sp]! - s[sp - 1]!;
  s[sp - 1] = r < 0n ? r + MOD256 : r;
}

export function opDiv(f: Frame): void {
  const s = f.stack;
  const sp = --f.sp;
  const d = s[sp - 1]!;
  s[sp - 1] = d === 0n ? 0n : s[sp]! / d;
}

export function opSdiv(f: Frame): void {
  const s = f.stack;
  const sp = --f.sp;
  s[sp - 1] = sdiv(s[sp]!, s[sp - 1]!);
}

export function opMod(f: Frame): void {
  const s = f.stack;
  const sp = --f.sp;
  const d = s[sp - 1]!;
  s[sp - 1] = d === 0n ? 0n : s[sp]! % d;
}

export function opSmod(f: Frame): void {
  const s = f.stack;
  const sp = --f.sp;
  s[sp - 1] = smod(s[sp]!, s[sp - 1]!);
}

export function opAddmod(f: Frame): void {
  const s = f.stack;
  const sp = (f.sp -= 2);
  const n = s[sp - 1]!;
  s[sp - 1] = n === 0n ? 0n : (s[sp + 1]! + s[sp]!) % n;
}

export function opMulmod(f: Frame): void {
  const s = f.stack;
  const sp = (f.sp -= 2);
  const n = s[sp - 1]!;
  s[sp - 1] = n === 0n ? 0n : (s[sp + 1]! * s[sp]!) % n;
}

export function opExp(f: Frame): void {
  const s = f.stack;
  const sp = --f.sp;
  s[sp - 1] = expMod256(s[sp]!, s[sp - 1]!);
}

export function expGasFrontier(f: Frame): number {
  return byteLength(f.stack[f.sp - 2]!) * G.EXP_BYTE_FRONTIER;
}

export function expGasEip160(f: Frame): number {
  return byteLength(f.stack[f.sp - 2]!) * G.EXP_BYTE_EIP160;
}

export function opSignextend(f: Frame): void {
  const s = f.stack;
  const sp = --f.sp;
  s[sp - 1] = signExtend(s[sp]!, s[sp - 1]!);
}
