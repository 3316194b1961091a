/**
 * 0x09 BLAKE2F (Istanbul, EIP-152): the BLAKE2b compression function F with a caller
 * chosen number of rounds, 1 gas per round.
 *
 * Input (exactly 213 bytes): rounds (4 bytes, big-endian), h (8 × 8 bytes), m (16 × 8
 * bytes), t (2 × 8 bytes; all little-endian 64-bit words) and the final-block flag (1
 * byte, 0 or 1). Output: the new h, 64 bytes.
 *
 * 64-bit words are kept as (low, high) pairs of 32-bit integers in a Uint32Array: a
 * BigInt per word would allocate on every operation of a loop that runs 96 × rounds
 * times.
 */
import { failure, outOfGas, success } from "./common.js";
import type { Precompile } from "./types.js";

export const BLAKE2F_INPUT_LENGTH = 213;

/** BLAKE2b initialisation vector as (low, high) 32-bit pairs. */
const IV = new Uint32Array([
  0xf3bcc908, 0x6a09e667, 0x84caa73b, 0xbb67ae85, 0xfe94f82b, 0x3c6ef372, 0x5f1d36f1, 0xa54ff53a, 0xade682d1,
  0x510e527f, 0x2b3e6c1f, 0x9b05688c, 0xfb41bd6b, 0x1f83d9ab, 0x137e2179, 0x5be0cd19,
]);

/** Message word schedule, one row per round (mod 10). */
const SIGMA: readonly (readonly number[])[] = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
  [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
  [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
  [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
  [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
  [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
  [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
  [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
  [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
];

/** Schedule rows pre-multiplied by 2: indices into the (low, high) message array. */
const SIGMA2: readonly Uint8Array[] = SIGMA.map((row) => Uint8Array.from(row, (i) => i * 2));

// Working state, reused across calls (the interpreter is synchronous).
const v = new Uint32Array(32);
const m = new Uint32Array(32);

/**
 * The mixing function G on words a, b, c, d of v (indices are word numbers × 2) with
 * message words at x and y of m. The eight halves are kept in locals: loads and stores
 * of the typed array cost more than the arithmetic.
 */
function mix(a: number, b: number, c: number, d: number, x: number, y: number): void {
  let al = v[a]!;
  let ah = v[a + 1]!;
  let bl = v[b]!;
  let bh = v[b + 1]!;
  let cl = v[c]!;
  let ch = v[c + 1]!;
  let dl = v[d]!;
  let dh = v[d + 1]!;
  let t: number;
  // a = a + b + m[x]
  t = al + bl;
  ah = (ah + bh + ((t / 0x100000000) | 0)) >>> 0;
  al = t >>> 0;
  t = al + m[x]!;
  ah = (ah + m[x + 1]! + ((t / 0x100000000) | 0)) >>> 0;
  al = t >>> 0;
  // d = (d ^ a) rotr 32
  t = dl ^ al;
  dl = (dh ^ ah) >>> 0;
  dh = t >>> 0;
  // c = c + d
  t = cl + dl;
  ch = (ch + dh + ((t / 0x100000000) | 0)) >>> 0;
  cl = t >>> 0;
  // b = (b ^ c) rotr 24
  t = bl ^ cl;
  bh ^= ch;
  bl = ((t >>> 24) | (bh << 8)) >>> 0;
  bh = ((bh >>> 24) | (t << 8)) >>> 0;
  // a = a + b + m[y]
  t = al + bl;
  ah = (ah + bh + ((t / 0x100000000) | 0)) >>> 0;
  al = t >>> 0;
  t = al + m[y]!;
  ah = (ah + m[y + 1]! + ((t / 0x100000000) | 0)) >>> 0;
  al = t >>> 0;
  // d = (d ^ a) rotr 16
  t = dl ^ al;
  dh ^= ah;
  dl = ((t >>> 16) | (dh << 16)) >>> 0;
  dh = ((dh >>> 16) | (t << 16)) >>> 0;
  // c = c + d
  t = cl + dl;
  ch = (ch + dh + ((t / 0x100000000) | 0)) >>> 0;
  cl = t >>> 0;
  // b = (b ^ c) rotr 63, i.e. rotl 1
  t = bl ^ cl;
  bh ^= ch;
  bl = ((t << 1) | (bh >>> 31)) >>> 0;
  bh = ((bh << 1) | (t >>> 31)) >>> 0;
  v[a] = al;
  v[a + 1] = ah;
  v[b] = bl;
  v[b + 1] = bh;
  v[c] = cl;
  v[c + 1] = ch;
  v[d] = dl;
  v[d + 1] = dh;
}

function readU32LE(bytes: Uint8Array, offset: number): number {
  return (
    (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24)) >>>
    0
  );
}

function writeU32LE(out: Uint8Array, offset: number, value: number): void {
  out[offset] = value & 0xff;
  out[offset + 1] = (value >>> 8) & 0xff;
  out[offset + 2] = (value >>> 16) & 0xff;
  out[offset + 3] = value >>> 24;
}

/**
 * BLAKE2b F: compresses the 128-byte block `m` (16 little-endian words at `mOffset` of
 * `bytes`) into the state `h` (8 words at `hOffset`), counter words at `tOffset`.
 * Returns the new state as 64 bytes.
 */
export function blake2bCompress(
  rounds: number,
  bytes: Uint8Array,
  hOffset: number,
  mOffset: number,
  tOffset: number,
  final: boolean,
): Uint8Array {
  for (let i = 0; i < 16; i++) v[i] = readU32LE(bytes, hOffset + i * 4);
  v.set(IV, 16);
  for (let i = 0; i < 32; i++) m[i] = readU32LE(bytes, mOffset + i * 4);
  // v[12] ^= t0, v[13] ^= t1 (words 12 and 13 are at indices 24..27)
  for (let i = 0; i < 4; i++) v[24 + i] = v[24 + i]! ^ readU32LE(bytes, tOffset + i * 4);
  if (final) {
    v[28] = ~v[28]!;
    v[29] = ~v[29]!;
  }
  for (let r = 0; r < rounds; r++) {
    const s = SIGMA2[r % 10]!;
    mix(0, 8, 16, 24, s[0]!, s[1]!);
    mix(2, 10, 18, 26, s[2]!, s[3]!);
    mix(4, 12, 20, 28, s[4]!, s[5]!);
    mix(6, 14, 22, 30, s[6]!, s[7]!);
    mix(0, 10, 20, 30, s[8]!, s[9]!);
    mix(2, 12, 22, 24, s[10]!, s[11]!);
    mix(4, 14, 16, 26, s[12]!, s[13]!);
    mix(6, 8, 18, 28, s[14]!, s[15]!);
  }
  const out = new Uint8Array(64);
  for (let i = 0; i < 16; i++) {
    writeU32LE(out, i * 4, (readU32LE(bytes, hOffset + i * 4) ^ v[i]! ^ v[i + 16]!) >>> 0);
  }
  return out;
}

export const blake2f: Precompile = (input, gas) => {
  if (input.length !== BLAKE2F_INPUT_LENGTH) return failure(gas, "invalid input length");
  const rounds = ((input[0]! << 24) | (input[1]! << 16) | (input[2]! << 8) | input[3]!) >>> 0;
  if (gas < rounds) return outOfGas(gas);
  const flag = input[212]!;
  if (flag !== 0 && flag !== 1) return failure(gas, "invalid final flag");
  return success(rounds, blake2bCompress(rounds, input, 4, 68, 196, flag === 1));
};
