/**
 * 0x02 SHA256 and 0x03 RIPEMD160 (Frontier). The digests come from @noble/hashes: audited,
 * pure JavaScript, already a dependency of the project for keccak.
 */
import { ripemd160 as ripemd160Digest } from "@noble/hashes/legacy.js";
import { sha256 as sha256Digest } from "@noble/hashes/sha2.js";
import { outOfGas, success, words } from "./common.js";
import type { Precompile } from "./types.js";

export const SHA256_BASE_GAS = 60;
export const SHA256_WORD_GAS = 12;
export const RIPEMD160_BASE_GAS = 600;
export const RIPEMD160_WORD_GAS = 120;

export const sha256: Precompile = (input, gas) => {
  const cost = SHA256_BASE_GAS + SHA256_WORD_GAS * words(input.length);
  if (gas < cost) return outOfGas(gas);
  return success(cost, sha256Digest(input));
};

/** The 20-byte digest is returned left-padded to a 32-byte word. */
export const ripemd160: Precompile = (input, gas) => {
  const cost = RIPEMD160_BASE_GAS + RIPEMD160_WORD_GAS * words(input.length);
  if (gas < cost) return outOfGas(gas);
  const out = new Uint8Array(32);
  out.set(ripemd160Digest(input), 12);
  return success(cost, out);
};
