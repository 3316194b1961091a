/** Contract addresses (CREATE, CREATE2). */
import { type Address, bigintToBytes, bytesToHex, concatBytes, hexToBytes } from "./hex.js";
import { keccak256 } from "./keccak.js";
import { rlpEncode } from "./rlp.js";

/** CREATE: keccak256(rlp([sender, nonce]))[12:]. */
export function createAddress(sender: Address, nonce: bigint): Address {
  const enc = rlpEncode([hexToBytes(sender), bigintToBytes(nonce)]);
  return bytesToHex(keccak256(enc).subarray(12));
}

/** CREATE2 (EIP-1014): keccak256(0xff ++ sender ++ salt ++ keccak256(initcode))[12:]. */
export function create2Address(sender: Address, salt: bigint, initCodeHash: Uint8Array): Address {
  const buf = concatBytes(new Uint8Array([0xff]), hexToBytes(sender), bigintToBytes(salt, 32), initCodeHash);
  return bytesToHex(keccak256(buf).subarray(12));
}
