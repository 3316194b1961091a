/**
 * 0x05 MODEXP (Byzantium, EIP-198): base^exp mod mod over big-endian integers of any
 * length. Three gas schedules: EIP-198 (Byzantium), EIP-2565 (Berlin) and EIP-7883
 * (Osaka, which also brings EIP-7823's 1024-byte cap on each length).
 *
 * The three lengths are 32-byte words and may be astronomically large, so the cost is
 * computed with BigInt from the header and the exponent's first word only, and capped
 * at Number.MAX_SAFE_INTEGER; nothing is allocated before the cost has been paid.
 * The arithmetic is BigInt (V8's multiplication and division measured faster here than
 * a Barrett reduction written over BigInt).
 */
import { bytesToBigInt } from "../../primitives/hex.js";
import { EMPTY_OUTPUT, failure, outOfGas, readPadded, success, writeBigInt } from "./common.js";
import type { Precompile } from "./types.js";

export type ModexpSchedule = "eip198" | "eip2565" | "eip7883";

/** EIP-7823: from Osaka each of the three lengths is at most this many bytes. */
export const MODEXP_MAX_LENGTH = 1024n;

/** The EIP-7823 failure, worded as go-ethereum's bigModExp.Run (core/vm/contracts.go). */
export const MODEXP_ERR_LENGTH_LIMIT = "one or more of base/exponent/modulus length exceeded 1024 bytes";

const MAX_GAS = BigInt(Number.MAX_SAFE_INTEGER);

interface ModexpHeader {
  baseLen: bigint;
  expLen: bigint;
  modLen: bigint;
}

function readHeader(input: Uint8Array): ModexpHeader {
  return {
    baseLen: bytesToBigInt(readPadded(input, 0, 32)),
    expLen: bytesToBigInt(readPadded(input, 32, 32)),
    modLen: bytesToBigInt(readPadded(input, 64, 32)),
  };
}

/** Bit length minus one of the exponent's first 32 bytes (0 when they are zero). */
function expHeadLog2(input: Uint8Array, h: ModexpHeader): bigint {
  const data = input.length - 96;
  // The exponent starts at 96 + baseLen; when the input ends before it, its head is zero.
  if (data <= 0 || BigInt(data) <= h.baseLen) return 0n;
  const headLen = h.expLen > 32n ? 32 : Number(h.expLen);
  const head = bytesToBigInt(readPadded(input, 96 + Number(h.baseLen), headLen));
  return head === 0n ? 0n : BigInt(head.toString(2).length - 1);
}

function maxBig(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

/** EIP-198's mult_complexity(x). */
function multComplexityEip198(x: bigint): bigint {
  if (x <= 64n) return x * x;
  if (x <= 1024n) return (x * x) / 4n + 96n * x - 3072n;
  return (x * x) / 16n + 480n * x - 199680n;
}

/** The required gas, as a BigInt (uncapped). */
export function modexpGasBig(input: Uint8Array, schedule: ModexpSchedule): bigint {
  const h = readHeader(input);
  const maxLen = maxBig(h.baseLen, h.modLen);
  const multiplier = schedule === "eip7883" ? 16n : 8n;
  let iterations = h.expLen > 32n ? (h.expLen - 32n) * multiplier : 0n;
  iterations += expHeadLog2(input, h);
  if (iterations < 1n) iterations = 1n;
  switch (schedule) {
    case "eip198":
      return (multComplexityEip198(maxLen) * iterations) / 20n;
    case "eip2565": {
      const w = (maxLen + 7n) / 8n;
      const gas = (w * w * iterations) / 3n;
      return gas < 200n ? 200n : gas;
    }
    case "eip7883": {
      const w = (maxLen + 7n) / 8n;
      const mult = maxLen <= 32n ? 16n : 2n * w * w;
      const gas = mult * iterations;
      return gas < 500n ? 500n : gas;
    }
  }
}

/** The required gas, capped at Number.MAX_SAFE_INTEGER. */
export function modexpGas(input: Uint8Array, schedule: ModexpSchedule): number {
  const gas = modexpGasBig(input, schedule);
  return Number(gas > MAX_GAS ? MAX_GAS : gas);
}

/**
 * base^exp mod m for m > 1, the exponent given as big-endian bytes (4-bit fixed window).
 */
export function modPow(base: bigint, exp: Uint8Array, m: bigint): bigint {
  base %= m;
  const table: bigint[] = [1n, base];
  for (let i = 2; i < 16; i++) table.push((table[i - 1]! * base) % m);
  let acc = 1n;
  let started = false;
  for (let i = 0; i < exp.length; i++) {
    const byte = exp[i]!;
    for (let shift = 4; shift >= 0; shift -= 4) {
      const d = (byte >> shift) & 15;
      if (!started) {
        if (d === 0) continue;
        acc = table[d]!;
        started = true;
        continue;
      }
      acc = (acc * acc) % m;
      acc = (acc * acc) % m;
      acc = (acc * acc) % m;
      acc = (acc * acc) % m;
      if (d !== 0) acc = (acc * table[d]!) % m;
    }
  }
  return started ? acc : 1n;
}

/** Lengths above this are refused even when paid for (only reachable with absurd gas). */
const MAX_OPERAND_BYTES = 2 ** 31;

function makeModexp(schedule: ModexpSchedule): Precompile {
  const capped = schedule === "eip7883";
  return (input, gas) => {
    const costBig = modexpGasBig(input, schedule);
    if (costBig > BigInt(gas)) return outOfGas(gas);
    const cost = Number(costBig);
    const h = readHeader(input);
    if (
      capped &&
      (h.baseLen > MODEXP_MAX_LENGTH || h.expLen > MODEXP_MAX_LENGTH || h.modLen > MODEXP_MAX_LENGTH)
    ) {
      return failure(gas, MODEXP_ERR_LENGTH_LIMIT);
    }
    if (h.baseLen === 0n && h.modLen === 0n) return success(cost, EMPTY_OUTPUT);
    // The cost grows with the square of max(baseLen, modLen), so paying it bounds both.
    if (h.baseLen > BigInt(MAX_OPERAND_BYTES) || h.modLen > BigInt(MAX_OPERAND_BYTES)) return failure(gas);
    const baseLen = Number(h.baseLen);
    const modLen = Number(h.modLen);
    const out = new Uint8Array(modLen);
    // The modulus starts after the exponent; when that lies past the input it reads as 0.
    const modOffset = 96n + h.baseLen + h.expLen;
    if (modOffset >= BigInt(input.length)) return success(cost, out);
    const expOffset = 96 + baseLen;
    const expLen = Number(h.expLen); // < input.length here
    const mod = bytesToBigInt(readPadded(input, Number(modOffset), modLen));
    if (mod <= 1n) return success(cost, out); // x mod 0 is defined as 0 here; x mod 1 is 0
    const base = bytesToBigInt(readPadded(input, 96, baseLen));
    const exp = readPadded(input, expOffset, expLen);
    writeBigInt(out, 0, modLen, modPow(base, exp, mod));
    return success(cost, out);
  };
}

export const modexpEip198: Precompile = makeModexp("eip198");
export const modexpEip2565: Precompile = makeModexp("eip2565");
export const modexpEip7883: Precompile = makeModexp("eip7883");
