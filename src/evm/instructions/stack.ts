/** Stack manipulation: POP, PUSH0–PUSH32, DUP1–16, SWAP1–16. */
import type { Frame } from "../frame.js";

export function opPop(f: Frame): void {
  f.sp--;
}

export function opPush0(f: Frame): void {
  f.stack[f.sp++] = 0n;
}

export function opPush1(f: Frame): void {
  const pc = f.pc;
  f.stack[f.sp++] = BigInt(f.code[pc] ?? 0);
  f.pc = pc + 1;
}

export function opPush2(f: Frame): void {
  const pc = f.pc;
  const c = f.code;
  f.stack[f.sp++] = BigInt(((c[pc] ?? 0) << 8) | (c[pc + 1] ?? 0));
  f.pc = pc + 2;
}

/** PUSH3..PUSH32: reads n immediate bytes (zero-padded past the end of code). */
export function makePush(n: number): (f: Frame) => void {
  if (n <= 6) {
    return (f: Frame) => {
      const pc = f.pc;
      const c = f.code;
      let v = 0;
      for (let i = 0; i < n; i++) v = v * 256 + (c[pc + i] ?? 0);
      f.stack[f.sp++] = BigInt(v);
      f.pc = pc + n;
    };
  }
  return (f: Frame) => {
    const pc = f.pc;
    const c = f.code;
    let v = 0n;
    let i = 0;
    // 6-byte chunks keep most of the work in small-integer arithmetic.
    for (; i + 6 <= n; i += 6) {
      let chunk = 0;
      for (let j = 0; j < 6; j++) chunk = chunk * 256 + (c[pc + i + j] ?? 0);
      v = (v << 48n) | BigInt(chunk);
    }
    if (i < n) {
      let chunk = 0;
      const rest = n - i;
      for (let j = 0; j < rest; j++) chunk = chunk * 256 + (c[pc + i + j] ?? 0);
      v = (v << BigInt(rest * 8)) | BigInt(chunk);
    }
    f.stack[f.sp++] = v;
    f.pc = pc + n;
  };
}

export function makeDup(n: number): (f: Frame) => void {
  return (f: Frame) => {
    const s = f.stack;
    s[f.sp] = s[f.sp - n]!;
    f.sp++;
  };
}

export function makeSwap(n: number): (f: Frame) => void {
  return (f: Frame) => {
    const s = f.stack;
    const top = f.sp - 1;
    const other = top - n;
    const t = s[top]!;
    s[top] = s[other]!;
    s[other] = t;
  };
}
