/**
 * 0x02 SHA256 and 0x03 RIPEMD160 (Frontier). SHA256 comes from node:crypto (OpenSSL):
 * about 4 times faster than JavaScript on large inputs, and some state tests hash
 * gigabytes through it (stQuadraticComplexityTest, Call50000_sha256). RIPEMD160 comes
 * from @noble/hashes (audited, pure JavaScript; OpenSSL 3 builds may lack RIPEMD160).
 */
import { createHash } from "node:crypto";
import { ripemd160 as ripemd160Digest } from "@noble/hashes/legacy.js";
import { outOfGas, success, words } from "./common.js";
import type { Precompile } from "./types.js";

export const SHA256_BASE_GAS = 60;
export const SHA256_WORD_GAS = 12;
export const RIPEMD160_BASE_GAS = 600;
export const RIPEMD160_WORD_GAS = 120;

export const sha256: Precompile = (input, gas) => {
  const cost = SHA256_BASE_GAS + SHA256_WORD_GAS * words(input.length);
  if (gas < cost) return outOfGas(gas);
  return success(cost, new Uint8Array(createHash("sha256").update(input).digest()));
};

/** The 20-byte digest is returned left-padded to a 32-byte word. */
export const ripemd160: Precompile = (input, gas) => {
  const cost = RIPEMD160_BASE_GAS + RIPEMD160_WORD_GAS * words(input.length);
  if (gas < cost) return outOfGas(gas);
  const out = new Uint8Array(32);
  out.set(ripemd160Digest(input), 12);
  return success(cost, out);
};
