/**
 * 0x0a POINT_EVALUATION (Cancun, EIP-4844): checks a KZG proof that the blob committed
 * to by `commitment` evaluates to `y` at `z`.
 *
 * Input (exactly 192 bytes): versioned_hash (32), z (32), y (32), commitment (48),
 * proof (48). The versioned hash must be 0x01 ++ sha256(commitment)[1:]. Output:
 * FIELD_ELEMENTS_PER_BLOB and BLS_MODULUS as two 32-byte words.
 *
 * Verification uses `c-kzg` (the reference C library of the KZG ceremony, with the
 * mainnet trusted setup bundled); its setup is loaded once, on first use.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import kzg from "c-kzg";
import { failure, outOfGas, success, writeBigInt } from "./common.js";
import type { Precompile } from "./types.js";

export const POINT_EVALUATION_GAS = 50000;
export const POINT_EVALUATION_INPUT_LENGTH = 192;
export const FIELD_ELEMENTS_PER_BLOB = 4096n;
export const BLS_MODULUS = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001n;
const VERSIONED_HASH_VERSION_KZG = 0x01;

const RETURN_VALUE: Uint8Array = (() => {
  const out = new Uint8Array(64);
  writeBigInt(out, 0, 32, FIELD_ELEMENTS_PER_BLOB);
  writeBigInt(out, 32, 32, BLS_MODULUS);
  return out;
})();

let setupLoaded = false;

/** Loads c-kzg's bundled mainnet trusted setup once (another module may have done so). */
function ensureTrustedSetup(): void {
  if (setupLoaded) return;
  try {
    kzg.loadTrustedSetup(0);
  } catch (e) {
    if (!(e instanceof Error && /already loaded/i.test(e.message))) throw e;
  }
  setupLoaded = true;
}

export const pointEvaluation: Precompile = (input, gas) => {
  if (gas < POINT_EVALUATION_GAS) return outOfGas(gas);
  if (input.length !== POINT_EVALUATION_INPUT_LENGTH) return failure(gas, "invalid input length");
  const commitment = input.subarray(96, 144);
  const hash = sha256(commitment);
  hash[0] = VERSIONED_HASH_VERSION_KZG;
  for (let i = 0; i < 32; i++) if (hash[i] !== input[i]) return failure(gas, "mismatched versioned hash");
  ensureTrustedSetup();
  let valid: boolean;
  try {
    valid = kzg.verifyKzgProof(
      commitment,
      input.subarray(32, 64),
      input.subarray(64, 96),
      input.subarray(144, 192),
    );
  } catch {
    return failure(gas, "invalid kzg input"); // a non-canonical field element or point
  }
  if (!valid) return failure(gas, "kzg proof verification failed");
  return success(POINT_EVALUATION_GAS, RETURN_VALUE.slice());
};
