/** EIP-7702 delegation designators: code 0xef0100 ++ address makes an EOA run another account's code. */
import { type Address, bytesToHex, hexToBytes } from "../primitives/hex.js";

export const DELEGATION_PREFIX = new Uint8Array([0xef, 0x01, 0x00]);

/** The delegate address when `code` is a delegation designator, else null. */
export function parseDelegation(code: Uint8Array): Address | null {
  if (code.length !== 23 || code[0] !== 0xef || code[1] !== 0x01 || code[2] !== 0x00) return null;
  return bytesToHex(code.subarray(3));
}

export function delegationCode(target: Address): Uint8Array {
  const out = new Uint8Array(23);
  out.set(DELEGATION_PREFIX, 0);
  out.set(hexToBytes(target), 3);
  return out;
}
