/** RLP, from @ethereumjs/rlp (well kept, small, strict about non-canonical input). */
import { RLP } from "@ethereumjs/rlp";

export type RlpInput = Uint8Array | RlpInput[];
export type RlpDecoded = Uint8Array | RlpDecoded[];

export function rlpEncode(value: RlpInput): Uint8Array {
  return RLP.encode(value);
}

/** Throws an Error with a message describing the malformation on invalid input. */
export function rlpDecode(data: Uint8Array): RlpDecoded {
  return RLP.decode(data) as RlpDecoded;
}
