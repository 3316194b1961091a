/** 256-bit word helpers over bigint (EVM words are unsigned; signed ops use two's complement). */
export const MOD256 = 1n << 256n;
export const MASK256 = MOD256 - 1n;
export const SIGN_BIT = 1n << 255n;
export const ADDRESS_MASK = (1n << 160n) - 1n;

export function toSigned(x: bigint): bigint {
  return x >= SIGN_BIT ? x - MOD256 : x;
}

export function fromSigned(x: bigint): bigint {
  return x < 0n ? x + MOD256 : x;
}

/**
 * SDIV: signed division truncating toward zero, on magnitudes so that non-negative
 * operands (the common case) need no conversion; -2^255 / -1 gives 2^255 (= -2^255).
 */
export function sdiv(a: bigint, b: bigint): bigint {
  if (b === 0n) return 0n;
  const an = a >= SIGN_BIT;
  const bn = b >= SIGN_BIT;
  if (!an && !bn) return a / b;
  const q = (an ? MOD256 - a : a) / (bn ? MOD256 - b : b);
  return an === bn || q === 0n ? q : MOD256 - q;
}

/** SMOD: the remainder takes the sign of the dividend. */
export function smod(a: bigint, b: bigint): bigint {
  if (b === 0n) return 0n;
  const an = a >= SIGN_BIT;
  const bn = b >= SIGN_BIT;
  if (!an && !bn) return a % b;
  const r = (an ? MOD256 - a : a) % (bn ? MOD256 - b : b);
  return !an || r === 0n ? r : MOD256 - r;
}

/** SLT: a < b as signed words, without converting them. */
export function slt(a: bigint, b: bigint): boolean {
  const an = a >= SIGN_BIT;
  return an === b >= SIGN_BIT ? a < b : an;
}

/**
 * Modular exponentiation base^exp mod 2^256 (exp < 2^256). Exponents below 2^32: right
 * to left square-and-multiply with the exponent as a JS number. Larger ones: left to right
 * over the exponent's hex digits (4-bit windows: four squarings per digit and at most one
 * multiplication by a precomputed power), several times faster than bit by bit with
 * bigint shifts of the exponent on 256-bit exponents (VMTests/vmPerformance/loopExp).
 */
export function expMod256(base: bigint, exp: bigint): bigint {
  const mask = MASK256;
  base &= mask;
  if (exp <= 0xffff_ffffn) {
    let e = Number(exp);
    let result = 1n;
    while (e !== 0) {
      if (e & 1) result = (result * base) & mask;
      e >>>= 1;
      if (e !== 0) base = (base * base) & mask;
    }
    return result;
  }
  const powers: bigint[] = [1n, base];
  for (let i = 2; i < 16; i++) powers.push((powers[i - 1]! * base) & mask);
  const hex = exp.toString(16);
  let result = powers[hexDigit(hex.charCodeAt(0))]!;
  for (let i = 1; i < hex.length; i++) {
    result = (result * result) & mask;
    result = (result * result) & mask;
    result = (result * result) & mask;
    result = (result * result) & mask;
    const d = hexDigit(hex.charCodeAt(i));
    if (d !== 0) result = (result * powers[d]!) & mask;
  }
  return result;
}

/** The value of a lowercase hex digit's character code. */
function hexDigit(c: number): number {
  return c <= 57 ? c - 48 : c - 87;
}

/** Number of bytes needed to represent x (0 for 0). */
export function byteLength(x: bigint): number {
  if (x === 0n) return 0;
  return (x.toString(16).length + 1) >> 1;
}

export function signExtend(byteIndex: bigint, x: bigint): bigint {
  if (byteIndex >= 31n) return x;
  const bit = Number(byteIndex) * 8 + 7;
  const mask = (1n << BigInt(bit + 1)) - 1n;
  const v = x & mask;
  return (v >> BigInt(bit)) & 1n ? v | (MASK256 ^ mask) : v;
}

export function byteAt(index: bigint, x: bigint): bigint {
  if (index >= 32n) return 0n;
  return (x >> BigInt(248 - Number(index) * 8)) & 0xffn;
}

export function sar(shift: bigint, x: bigint): bigint {
  const neg = x >= SIGN_BIT;
  if (shift >= 256n) return neg ? MASK256 : 0n;
  return fromSigned(toSigned(x) >> shift);
}

/** Count of leading zero bits (EIP-7939 CLZ); 256 for 0. */
export function clz(x: bigint): bigint {
  if (x === 0n) return 256n;
  return BigInt(256 - x.toString(2).length);
}
