/** Intrinsic gas and the EIP-7623 floor across forks. */
import { describe, expect, it } from "vitest";
import { Fork } from "../evm/forks.js";
import { intrinsicGas } from "./intrinsic.js";
import type { AccessListTransaction, LegacyTransaction, SetCodeTransaction } from "./types.js";

const TO = "0x4000000000000000000000000000000000000004";

function legacy(data: number[], to: string | null = TO): LegacyTransaction {
  return {
    type: 0,
    chainId: undefined,
    nonce: 0n,
    gasPrice: 1n,
    gasLimit: 1_000_000n,
    to,
    value: 0n,
    data: new Uint8Array(data),
    v: 27n,
    r: 1n,
    s: 1n,
  };
}

describe("intrinsicGas", () => {
  it("plain transfer costs 21000 in every fork, with no floor before Prague", () => {
    for (let f = Fork.Frontier; f <= Fork.Cancun; f++) {
      expect(intrinsicGas(legacy([]), f as Fork)).toEqual({ gas: 21000n, floor: 0n });
    }
    expect(intrinsicGas(legacy([]), Fork.Prague)).toEqual({ gas: 21000n, floor: 21000n });
  });

  it("contract creation costs 32000 more from Homestead", () => {
    expect(intrinsicGas(legacy([], null), Fork.Frontier).gas).toBe(21000n);
    expect(intrinsicGas(legacy([], null), Fork.Homestead).gas).toBe(53000n);
  });

  it("calldata: 4 per zero byte, 68 per non-zero byte, 16 from Istanbul (EIP-2028)", () => {
    const tx = legacy([0, 1, 0, 2]);
    expect(intrinsicGas(tx, Fork.Petersburg).gas).toBe(21000n + 8n + 136n);
    expect(intrinsicGas(tx, Fork.Istanbul).gas).toBe(21000n + 8n + 32n);
  });

  it("initcode costs 2 per word from Shanghai (EIP-3860), creation only", () => {
    const data = new Array(33).fill(1);
    const base = 53000n + 33n * 16n;
    expect(intrinsicGas(legacy(data, null), Fork.Paris).gas).toBe(base);
    expect(intrinsicGas(legacy(data, null), Fork.Shanghai).gas).toBe(base + 4n);
    expect(intrinsicGas(legacy(data), Fork.Shanghai).gas).toBe(21000n + 33n * 16n);
  });

  it("access list: 2400 per address, 1900 per storage key (EIP-2930)", () => {
    const tx: AccessListTransaction = {
      ...legacy([]),
      type: 1,
      chainId: 1n,
      yParity: 0,
      accessList: [
        { address: TO, storageKeys: [1n, 2n] },
        { address: TO, storageKeys: [3n] },
      ],
    };
    expect(intrinsicGas(tx, Fork.Berlin).gas).toBe(21000n + 2n * 2400n + 3n * 1900n);
  });

  it("authorizations cost 25000 each (EIP-7702)", () => {
    const auth = { chainId: 1n, address: TO, nonce: 0n, yParity: 0, r: 1n, s: 1n };
    const tx: SetCodeTransaction = {
      ...legacy([]),
      type: 4,
      chainId: 1n,
      maxPriorityFeePerGas: 0n,
      maxFeePerGas: 1n,
      accessList: [],
      yParity: 0,
      authorizationList: [auth, auth],
    };
    expect(intrinsicGas(tx, Fork.Prague).gas).toBe(21000n + 50000n);
  });

  it("EIP-7623 floor: 21000 + 10 per token, a non-zero byte = 4 tokens (Prague)", () => {
    const data = [0, 0, 0, 7, 7];
    expect(intrinsicGas(legacy(data), Fork.Prague)).toEqual({
      gas: 21000n + 3n * 4n + 2n * 16n,
      floor: 21000n + 10n * (3n + 2n * 4n),
    });
    // The floor ignores the creation surcharge.
    expect(intrinsicGas(legacy(data, null), Fork.Prague).floor).toBe(21000n + 110n);
    expect(intrinsicGas(legacy(data), Fork.Cancun).floor).toBe(0n);
  });
});
