import { keccak_256 } from "@noble/hashes/sha3.js";
import { describe, expect, it } from "vitest";
import { bytesToHex } from "./hex.js";
import { KECCAK_EMPTY, keccak256 } from "./keccak.js";

describe("keccak256", () => {
  it("hashes the empty string", () => {
    expect(bytesToHex(KECCAK_EMPTY)).toBe(
      "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470",
    );
  });

  it("agrees with @noble/hashes on every length across several blocks", () => {
    let seed = 1;
    for (let n = 0; n <= 700; n++) {
      const data = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        data[i] = seed >>> 24;
      }
      expect(bytesToHex(keccak256(data)), `length ${n}`).toBe(bytesToHex(keccak_256(data)));
    }
  });

  it("agrees on a large input and on a subarray view", () => {
    const big = new Uint8Array(100_003).map((_, i) => (i * 31) & 0xff);
    expect(bytesToHex(keccak256(big))).toBe(bytesToHex(keccak_256(big)));
    const view = big.subarray(17, 17 + 300);
    expect(bytesToHex(keccak256(view))).toBe(bytesToHex(keccak_256(view)));
  });
});
