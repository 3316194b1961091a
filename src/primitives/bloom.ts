/** The 2048-bit logs bloom of the yellow paper (M3:2048). */
import { keccak256 } from "./keccak.js";

export function bloomAdd(bloom: Uint8Array, item: Uint8Array): void {
  const h = keccak256(item);
  for (let i = 0; i < 6; i += 2) {
    const bit = ((h[i]! << 8) | h[i + 1]!) & 2047;
    bloom[255 - (bit >> 3)] |= 1 << (bit & 7);
  }
}

export function logsBloom(
  logs: readonly { address: Uint8Array; topics: readonly Uint8Array[] }[],
): Uint8Array {
  const bloom = new Uint8Array(256);
  for (const log of logs) {
    bloomAdd(bloom, log.address);
    for (const t of log.topics) bloomAdd(bloom, t);
  }
  return bloom;
}
