/**
 * keccak-256. @noble/hashes is used as is: it is audited, pure JavaScript and close
 * enough in speed on the short inputs the EVM hashes most.
 */
import { keccak_256 } from "@noble/hashes/sha3.js";

export function keccak256(data: Uint8Array): Uint8Array {
  return keccak_256(data);
}

/** keccak-256 of the empty string. */
export const KECCAK_EMPTY = keccak256(new Uint8Array(0));
