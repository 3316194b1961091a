import { describe, expect, it } from "vitest";
import { byteAt, clz, expMod256, MASK256, sar, signExtend, toSigned } from "./u256.js";

describe("u256 helpers", () => {
  it("exponentiates mod 2^256", () => {
    expect(expMod256(2n, 255n)).toBe(1n << 255n);
    expect(expMod256(2n, 256n)).toBe(0n);
    expect(expMod256(3n, 0n)).toBe(1n);
    expect(expMod256(MASK256, 2n)).toBe(1n);
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
