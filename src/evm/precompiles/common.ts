/**
 * Helpers shared by the precompile families: the three result shapes (success, out of
 * gas, failure), zero-padded reads of the input and word counting for per-word prices.
 */
import type { PrecompileResult } from "./types.js";

export const EMPTY_OUTPUT: Uint8Array = new Uint8Array(0);

/** The gas given was below the required cost: all of it is consumed. */
export function outOfGas(gas: number): PrecompileResult {
  return { gasUsed: gas, output: EMPTY_OUTPUT, error: "out of gas" };
}

/** Any other failure: all the gas given is consumed. */
export function failure(gas: number, reason = "invalid input"): PrecompileResult {
  return { gasUsed: gas, output: EMPTY_OUTPUT, error: reason };
}

export function success(cost: number, output: Uint8Array): PrecompileResult {
  return { gasUsed: cost, output };
}

/** Number of 32-byte words covering `length` bytes. */
export function words(length: number): number {
  return Math.ceil(length / 32);
}

/**
 * `length` bytes of `input` from `offset`, right-padded with zeros where the input ends
 * (what the yellow paper's precompiles mean by reading past the call data). Always a
 * fresh array.
 */
export function readPadded(input: Uint8Array, offset: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  if (offset < input.length) out.set(input.subarray(offset, Math.min(input.length, offset + length)));
  return out;
}

/** `value` as `length` big-endian bytes into `out` at `offset` (already zeroed); value must fit. */
export function writeBigInt(out: Uint8Array, offset: number, length: number, value: bigint): void {
  if (value === 0n) return;
  // Through a hex string: linear in the size, where repeated BigInt shifts are quadratic.
  let hex = value.toString(16);
  if (hex.length & 1) hex = `0${hex}`;
  const n = hex.length >> 1;
  if (n > length) throw new RangeError("value does not fit");
  const start = offset + length - n;
  for (let i = 0; i < n; i++) out[start + i] = Number.parseInt(hex.substr(i * 2, 2), 16);
}

/** True when every byte of bytes[start, end) is zero. */
export function allZero(bytes: Uint8Array, start = 0, end = bytes.length): boolean {
  for (let i = start; i < end; i++) if (bytes[i] !== 0) return false;
  return true;
}
