/** EIP-55 mixed-case checksum addresses, as go-ethereum's Address.Hex() prints them in error messages. */
import { type Address, bytesToHexRaw } from "../primitives/hex.js";
import { keccak256 } from "../primitives/keccak.js";

export function checksumAddress(address: Address): string {
  const lower = address.toLowerCase().replace(/^0x/, "");
  const hash = bytesToHexRaw(keccak256(new TextEncoder().encode(lower)));
  let out = "0x";
  for (let i = 0; i < lower.length; i++) {
    const c = lower[i]!;
    out += Number.parseInt(hash[i]!, 16) >= 8 ? c.toUpperCase() : c;
  }
  return out;
}
