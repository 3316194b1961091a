import { describe, expect, it } from "vitest";
import { bytesToHex } from "../primitives/hex.js";
import { DEV_MNEMONIC, deriveKey, devAccounts, mnemonicToSeed } from "./devchain.js";

describe("development accounts", () => {
  it("derives the well-known keys of the test mnemonic (m/44'/60'/0'/0/i)", () => {
    const a = devAccounts();
    expect(a).toHaveLength(10);
    expect(a[0]!.address).toBe("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266");
    expect(bytesToHex(a[0]!.key)).toBe("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
    expect(a[1]!.address).toBe("0x70997970c51812dc3a010c7d01b50e0d17dc79c8");
    expect(a[9]!.address).toBe("0xa0ee7a142d267c1f36714e4a8f75612f20a79720");
  });

  it("rejects malformed derivation paths", () => {
    const seed = mnemonicToSeed(DEV_MNEMONIC);
    expect(() => deriveKey(seed, "44'/60'")).toThrow(/must start with m/);
    expect(() => deriveKey(seed, "m/x")).toThrow(/bad index/);
  });
});
