/**
 * secp256k1 public-key recovery and signing, from @noble/curves (audited, pure JS).
 * Recovery costs about 1 ms here; the sender of a state-test transaction is derived
 * from its secret key instead, so this is on the path of ecrecover and txtest only.
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { type Address, bytesToHex } from "./hex.js";
import { keccak256 } from "./keccak.js";

export const SECP256K1_N = secp256k1.Point.CURVE().n;
export const SECP256K1_HALF_N = SECP256K1_N >> 1n;

/** Address of an uncompressed public key (65 bytes, 0x04 prefix). */
export function publicKeyToAddress(pub: Uint8Array): Address {
  return bytesToHex(keccak256(pub.subarray(1)).subarray(12));
}

/**
 * Recovers the signer's address of a 32-byte message hash, or null when the signature
 * does not recover (r or s out of range, no point for r). `recovery` is 0 or 1.
 */
export function recoverAddress(hash: Uint8Array, recovery: number, r: bigint, s: bigint): Address | null {
  if (r <= 0n || r >= SECP256K1_N || s <= 0n || s >= SECP256K1_N) return null;
  if (recovery !== 0 && recovery !== 1) return null;
  try {
    const sig = new secp256k1.Signature(r, s, recovery);
    const point = sig.recoverPublicKey(hash);
    return publicKeyToAddress(point.toBytes(false));
  } catch {
    return null;
  }
}

export function privateKeyToAddress(key: Uint8Array): Address {
  return publicKeyToAddress(secp256k1.getPublicKey(key, false));
}

/** Signs a 32-byte hash; returns r, s (low-s) and the recovery bit. */
export function signHash(hash: Uint8Array, key: Uint8Array): { r: bigint; s: bigint; recovery: number } {
  const bytes = secp256k1.sign(hash, key, { prehash: false, format: "recovered" });
  const sig = secp256k1.Signature.fromBytes(bytes, "recovered");
  return { r: sig.r, s: sig.s, recovery: sig.recovery ?? 0 };
}
