import { describe, expect, it } from "vitest";
import { byteAt, clz, expMod256, MASK256, sar, signExtend, toSigned } from "./u256.js";

describe("u256 helpers", () => {
  it("exponentiates mod 2^256", () => {
    expect(expMod256(2n, 255n)).toBe(1n << 255n);
    expect(expMod256(2n, 256n)).toBe(0n);
    expect(expMod256(3n, 0n)).toBe(1n);
    expect(expMod256(MASK256, 2n)).toBe(1n);
    expect(expMod256(3n, 1n << 32n)).toBe(expMod256(expMod256(3n, 1n << 16n), 1n << 16n));
    expect(expMod256(2n, MASK256)).toBe(0n);
    expect(expMod256(MASK256, MASK256)).toBe(MASK256); // (-1)^odd
    expect(expMod256(0n, 1n << 200n)).toBe(0n);
  });
  it("gives the bit-by-bit result on every exponent size", () => {
    // Plain right-to-left square-and-multiply as the reference.
    const reference = (b: bigint, e: bigint): bigint => {
      let r = 1n;
      for (; e > 0n; e >>= 1n, b = (b * b) & MASK256) if (e & 1n) r = (r * b) & MASK256;
      return r;
    };
    let x = 0x5851f42d4c957f2dn;
    const next = () => {
      x = (x * 6364136223846793005n + 1442695040888963407n) & MASK256;
      return x;
    };
    for (const bits of [1, 8, 31, 32, 33, 64, 65, 128, 255, 256]) {
      for (let i = 0; i < 20; i++) {
        const base = next();
        const exp = next() >> BigInt(256 - bits);
        expect(expMod256(base, exp)).toBe(reference(base, exp));
      }
    }
  });
  it("sign-extends", () => {
    expect(signExtend(0n, 0xffn)).toBe(MASK256);
    expect(signExtend(0n, 0x7fn)).toBe(0x7fn);
    expect(signExtend(1n, 0x12_8000n)).toBe(MASK256 - 0x7fffn);
    expect(signExtend(31n, 5n)).toBe(5n);
  });
  it("reads bytes and shifts arithmetically", () => {
    expect(byteAt(31n, 0x1234n)).toBe(0x34n);
    expect(byteAt(30n, 0x1234n)).toBe(0x12n);
    expect(byteAt(32n, 0x1234n)).toBe(0n);
    expect(sar(4n, MASK256 - 15n)).toBe(MASK256);
    expect(sar(300n, 1n << 255n)).toBe(MASK256);
    expect(sar(1n, 4n)).toBe(2n);
    expect(toSigned(MASK256)).toBe(-1n);
  });
  it("counts leading zeros", () => {
    expect(clz(0n)).toBe(256n);
    expect(clz(1n)).toBe(255n);
    expect(clz(MASK256)).toBe(0n);
  });
});
