/** Helpers shared by the instruction families: memory-expansion gas and range checks. */
import type { Frame } from "../frame.js";
import { MAX_MEMORY, memoryCost } from "../gas.js";

/** A cost no frame can pay: makes the interpreter halt with "out of gas". */
export const UNPAYABLE = Number.MAX_SAFE_INTEGER;

/**
 * Gas to expand memory to cover [offset, offset+size) given as stack words. A size of
 * zero never expands memory, whatever the offset.
 */
export function memoryGas(f: Frame, offset: bigint, size: bigint): number {
  if (size === 0n) return 0;
  const end = offset + size;
  if (end > BigInt(MAX_MEMORY)) return UNPAYABLE;
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

const scratch = new Uint8Array(32);
const scratchView = new DataView(scratch.buffer);

/** Writes x as 32 big-endian bytes at out[offset]. */
export function wordToBytes32(x: bigint, out: Uint8Array, offset: number): void {
  scratchView.setBigUint64(0, x >> 192n);
  scratchView.setBigUint64(8, BigInt.asUintN(64, x >> 128n));
  scratchView.setBigUint64(16, BigInt.asUintN(64, x >> 64n));
  scratchView.setBigUint64(24, BigInt.asUintN(64, x));
  out.set(scratch, offset);
}

/** Reads 32 big-endian bytes at buf[offset] (bytes past the end read as zero). */
export function bytes32ToWord(buf: Uint8Array, offset: number): bigint {
  if (offset + 32 <= buf.length) {
    for (let i = 0; i < 32; i++) scratch[i] = buf[offset + i]!;
  } else {
    for (let i = 0; i < 32; i++) scratch[i] = buf[offset + i] ?? 0;
  }
  return (
    (scratchView.getBigUint64(0) << 192n) |
    (scratchView.getBigUint64(8) << 128n) |
    (scratchView.getBigUint64(16) << 64n) |
    scratchView.getBigUint64(24)
  );
}

/** Word from up to 32 bytes at `offset` of `data`, right-padded with zeros (CALLDATALOAD). */
export function loadPadded(data: Uint8Array, offset: bigint): bigint {
  if (offset >= BigInt(data.length)) return 0n;
  return bytes32ToWord(data, Number(offset));
}
