/** Helpers shared by the instruction families: memory-expansion gas and range checks. */
import type { Frame } from "../frame.js";
import { MAX_MEMORY, memoryCost } from "../gas.js";

/**
 * A cost no frame can pay: makes the interpreter halt with "out of gas". It is 2^53, one
 * more than the most a frame's number part holds (Frame.refill never pays it either).
 */
export const UNPAYABLE = 2 ** 53;

/**
 * Errors raised while computing an instruction's gas, as go-ethereum (HEAD) reports them.
 * Its interpreter wraps an error returned by a dynamic gas function as
 * "out of gas: <reason>" (core/vm/interpreter.go); a memory range whose end does not fit
 * in 64 bits is rejected before the gas function runs, without the wrapping.
 */
export const GAS_UINT64_OVERFLOW = "gas uint64 overflow";
export const OOG_GAS_UINT64_OVERFLOW = "out of gas: gas uint64 overflow";
export const OOG_WRITE_PROTECTION = "out of gas: write protection";
/** go-ethereum's gas function ran out of gas itself (e.g. a cold-access surcharge). */
export const OOG_OUT_OF_GAS = "out of gas: out of gas";
export const OOG_SSTORE_SENTRY = "out of gas: not enough gas for reentrancy sentry";

/**
 * Fails the instruction from its dynamic gas function with `error` (one of the texts
 * above): records it on the frame and returns UNPAYABLE, so that the interpreter halts
 * with that error. Tracers see the step with this error and only its static cost.
 */
export function gasFailure(f: Frame, error: string): number {
  f.gasError = error;
  return UNPAYABLE;
}

/** Memory ends above which go-ethereum reports an overflow (see memoryGas). */
const MAX_MEMORY_END_UINT64 = (1n << 64n) - 32n;
const MAX_MEMORY_END_GAS = 0x1f_ffff_ffe0n;

/**
 * Gas to expand memory to cover [offset, offset+size) given as stack words. A size of
 * zero never expands memory, whatever the offset. Beyond MAX_MEMORY the cost is
 * UNPAYABLE; where go-ethereum fails with an overflow instead of plain "out of gas" (an
 * end that does not fit in 64 bits once rounded up to words, or one above 0x1fffffffe0
 * bytes, the most its memory cost formula takes), that error is recorded on the frame.
 */
export function memoryGas(f: Frame, offset: bigint, size: bigint): number {
  if (size === 0n) return 0;
  const end = offset + size;
  if (end > BigInt(MAX_MEMORY)) {
    if (end > MAX_MEMORY_END_UINT64) f.gasError = GAS_UINT64_OVERFLOW;
    else if (end > MAX_MEMORY_END_GAS) f.gasError = OOG_GAS_UINT64_OVERFLOW;
    return UNPAYABLE;
  }
  const endN = Number(end);
  if (endN <= f.memSize) return 0;
  const words = Math.ceil(endN / 32);
  return memoryCost(words) - memoryCost(f.memSize / 32);
}

/** Like memoryGas for two ranges (calls: input and output), expanding to the larger end. */
export function memoryGas2(f: Frame, o1: bigint, s1: bigint, o2: bigint, s2: bigint): number {
  const e1 = s1 === 0n ? 0n : o1 + s1;
  const e2 = s2 === 0n ? 0n : o2 + s2;
  const end = e1 > e2 ? e1 : e2;
  if (end === 0n) return 0;
  return memoryGas(f, 0n, end);
}

/** Copy cost: `perWord` per 32-byte word of `size`. */
export function wordGas(size: bigint, perWord: number): number {
  if (size > BigInt(MAX_MEMORY)) return UNPAYABLE;
  return Math.ceil(Number(size) / 32) * perWord;
}

/** Copies `size` bytes of `src` from `srcOffset` into memory, zero-filling past its end. */
export function copyToMemory(
  f: Frame,
  memOffset: number,
  src: Uint8Array,
  srcOffset: bigint,
  size: number,
): void {
  if (size === 0) return;
  f.expand(memOffset, size);
  const mem = f.memory;
  const start = srcOffset > BigInt(src.length) ? src.length : Number(srcOffset);
  const avail = Math.min(size, src.length - start);
  if (avail > 0) mem.set(src.subarray(start, start + avail), memOffset);
  if (avail < size) mem.fill(0, memOffset + Math.max(avail, 0), memOffset + size);
}

/*
 * Word <-> bytes conversion, on the hot path of MLOAD/MSTORE. Memory is read and written
 * through a big-endian DataView in 32-bit pieces (V8 inlines DataView accesses; byte
 * loops cost several times more). Most words in memory are small (pointers, lengths,
 * counters) or small negatives: those go through one 64-bit limb of a BigUint64Array
 * (one bigint allocation) instead of four limbs and six shifts/ors.
 */
const limbs = new BigUint64Array(4); // limbs[0] is the lowest 64 bits
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
// 32-bit halves of the limbs, most significant first: half(i) = limbHalves[HALF[i]].
const limbHalves = new Uint32Array(limbs.buffer);
const HALF = LITTLE_ENDIAN ? [7, 6, 5, 4, 3, 2, 1, 0] : [6, 7, 4, 5, 2, 3, 0, 1];
const [H0, H1, H2, H3, H4, H5, H6, H7] = HALF as [
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
];
const TWO64 = 1n << 64n;
/** 2^256 - 2^64: words at or above it are small negatives (top 24 bytes all 0xff). */
const NEG64 = (1n << 256n) - TWO64;

/** Writes x as 32 big-endian bytes at `offset` of the view. */
export function storeWord(view: DataView, offset: number, x: bigint): void {
  limbs[0] = x; // truncates to the low 64 bits
  if (x < TWO64) {
    for (let i = 0; i < 24; i += 4) view.setUint32(offset + i, 0);
  } else if (x >= NEG64) {
    for (let i = 0; i < 24; i += 4) view.setInt32(offset + i, -1);
  } else {
    limbs[1] = x >> 64n;
    limbs[2] = x >> 128n;
    limbs[3] = x >> 192n;
    view.setUint32(offset, limbHalves[H0]!);
    view.setUint32(offset + 4, limbHalves[H1]!);
    view.setUint32(offset + 8, limbHalves[H2]!);
    view.setUint32(offset + 12, limbHalves[H3]!);
    view.setUint32(offset + 16, limbHalves[H4]!);
    view.setUint32(offset + 20, limbHalves[H5]!);
  }
  view.setUint32(offset + 24, limbHalves[H6]!);
  view.setUint32(offset + 28, limbHalves[H7]!);
}

/** Reads the 32 big-endian bytes at `offset` of the view (which must hold them). */
export function loadWord(view: DataView, offset: number): bigint {
  const a = view.getInt32(offset);
  const b = view.getInt32(offset + 4);
  const c = view.getInt32(offset + 8);
  const d = view.getInt32(offset + 12);
  const e = view.getInt32(offset + 16);
  const g = view.getInt32(offset + 20);
  limbHalves[H6] = view.getUint32(offset + 24);
  limbHalves[H7] = view.getUint32(offset + 28);
  if ((a | b | c | d | e | g) === 0) return limbs[0]!;
  if ((a & b & c & d & e & g) === -1) return NEG64 | limbs[0]!;
  limbHalves[H0] = a;
  limbHalves[H1] = b;
  limbHalves[H2] = c;
  limbHalves[H3] = d;
  limbHalves[H4] = e;
  limbHalves[H5] = g;
  return (limbs[3]! << 192n) | (limbs[2]! << 128n) | (limbs[1]! << 64n) | limbs[0]!;
}

/** Writes x as 32 big-endian bytes at out[offset]. */
export function wordToBytes32(x: bigint, out: Uint8Array, offset: number): void {
  storeWord(new DataView(out.buffer, out.byteOffset, out.byteLength), offset, x);
}

/** Reads 32 big-endian bytes at buf[offset] (bytes past the end read as zero). */
export function bytes32ToWord(buf: Uint8Array, offset: number): bigint {
  if (offset + 32 <= buf.length)
    return loadWord(new DataView(buf.buffer, buf.byteOffset, buf.byteLength), offset);
  const padded = new Uint8Array(32);
  padded.set(buf.subarray(offset, offset + 32));
  return loadWord(new DataView(padded.buffer), 0);
}

const indexLimb = new BigUint64Array(1);
const indexInt = new Int32Array(indexLimb.buffer, LITTLE_ENDIAN ? 0 : 4, 1);

/**
 * x as a number, for 0 <= x < 2^31 (the caller checks): several times cheaper than
 * Number(x), which V8 does not inline. Used for jump destinations and memory offsets.
 */
export function smallToIndex(x: bigint): number {
  indexLimb[0] = x;
  return indexInt[0]!;
}

/** Word from up to 32 bytes at `offset` of `data`, right-padded with zeros (CALLDATALOAD). */
export function loadPadded(data: Uint8Array, offset: bigint): bigint {
  if (offset >= BigInt(data.length)) return 0n;
  return bytes32ToWord(data, Number(offset));
}
