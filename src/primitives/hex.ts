/**
 * Hex and byte helpers. Parsing functions take a `what` label so that a bad value in a
 * fixture or an option produces an error naming it.
 */
import { InvalidInputError } from "../errors.js";

const HEX_CHARS = "0123456789abcdef";
const BYTE_TO_HEX: string[] = [];
for (let i = 0; i < 256; i++) BYTE_TO_HEX.push(HEX_CHARS[i >> 4]! + HEX_CHARS[i & 15]!);

export const EMPTY_BYTES = new Uint8Array(0);

export function bytesToHex(bytes: Uint8Array): string {
  let out = "0x";
  for (let i = 0; i < bytes.length; i++) out += BYTE_TO_HEX[bytes[i]!];
  return out;
}

/** Unprefixed lowercase hex. */
export function bytesToHexRaw(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += BYTE_TO_HEX[bytes[i]!];
  return out;
}

function nibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Parses hex with or without 0x; odd lengths are left-padded with a zero nibble. */
export function hexToBytes(hex: string, what = "hex string"): Uint8Array {
  if (typeof hex !== "string")
    throw new InvalidInputError(`${what}: expected a hex string, got ${typeof hex}`);
  let start = hex.startsWith("0x") || hex.startsWith("0X") ? 2 : 0;
  let len = hex.length - start;
  const out = new Uint8Array((len + 1) >> 1);
  let o = 0;
  if (len & 1) {
    const n = nibble(hex.charCodeAt(start));
    if (n < 0) throw badHex(hex, what);
    out[o++] = n;
    start++;
    len--;
  }
  for (let i = start; i < hex.length; i += 2) {
    const hi = nibble(hex.charCodeAt(i));
    const lo = nibble(hex.charCodeAt(i + 1));
    if (hi < 0 || lo < 0) throw badHex(hex, what);
    out[o++] = (hi << 4) | lo;
  }
  return out;
}

function badHex(hex: string, what: string): InvalidInputError {
  const shown = hex.length > 80 ? `${hex.slice(0, 80)}…` : hex;
  return new InvalidInputError(`${what}: not valid hex: "${shown}"`);
}

/** Parses a quantity given as 0x-hex or decimal (fixtures use both). */
export function parseBigInt(value: unknown, what = "number"): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  if (typeof value !== "string")
    throw new InvalidInputError(`${what}: expected a number, got ${JSON.stringify(value)}`);
  const s = value.trim();
  // ethereum/tests write numbers beyond 256 bits as "0x:bigint 0x…".
  if (s.startsWith("0x:bigint ")) return parseBigInt(s.slice(10), what);
  try {
    if (s.startsWith("0x") || s.startsWith("0X")) return s.length === 2 ? 0n : BigInt(s);
    if (/^[0-9]+$/.test(s)) return BigInt(s);
  } catch {
    /* fall through */
  }
  throw new InvalidInputError(`${what}: not a number: "${s.length > 80 ? `${s.slice(0, 80)}…` : s}"`);
}

export function bigintToBytes(value: bigint, length?: number): Uint8Array {
  if (value < 0n) throw new RangeError("negative value");
  let hex = value.toString(16);
  if (hex.length & 1) hex = `0${hex}`;
  const minimal = hex === "00" ? 0 : hex.length >> 1;
  const len = length ?? minimal;
  if (minimal > len) throw new RangeError(`value does not fit in ${len} bytes`);
  const out = new Uint8Array(len);
  for (let i = 0; i < minimal; i++) {
    out[len - minimal + i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  }
  return out;
}

export function bytesToBigInt(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  return BigInt(bytesToHex(bytes));
}

/** Big-endian 32-byte word. */
export function wordToBytes(value: bigint): Uint8Array {
  return bigintToBytes(value, 32);
}

export function bigintToHex(value: bigint): string {
  return `0x${value.toString(16)}`;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** An address as lowercase 0x-prefixed hex, 20 bytes. */
export type Address = string;

export function addressFromBigInt(value: bigint): Address {
  return `0x${value.toString(16).padStart(40, "0")}`;
}

export function parseAddress(value: unknown, what = "address"): Address {
  if (typeof value !== "string") throw new InvalidInputError(`${what}: expected an address string`);
  const bytes = hexToBytes(value, what);
  if (bytes.length > 20) throw new InvalidInputError(`${what}: longer than 20 bytes: ${value}`);
  const padded = new Uint8Array(20);
  padded.set(bytes, 20 - bytes.length);
  return bytesToHex(padded);
}
