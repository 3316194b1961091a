import { describe, expect, it } from "vitest";
import { create2Address } from "../primitives/address.js";
import { addressFromBigInt, bytesToHex, hexToBytes } from "../primitives/hex.js";
import { KECCAK_EMPTY } from "../primitives/keccak.js";
import { DEFAULT_RECEIVER, defaultBlock, executeCall } from "../runners/call.js";
import { MemoryState } from "../state/statedb.js";
import { Fork } from "./forks.js";
import { engineVariant, VARIANT_NAMES } from "./variants.js";

const FORK = Fork.Prague;

function run(code: string, variant?: string, prestate?: MemoryState) {
  const block = defaultBlock(FORK);
  if (variant !== undefined) {
    const v = engineVariant(variant);
    block.jumpTable = v.jumpTable(FORK);
    block.precompiles = v.precompiles(FORK);
  }
  return executeCall({ code: hexToBytes(code), fork: FORK, block, ...(prestate ? { prestate } : {}) });
}

describe("engine variants", () => {
  it("lists its variants and rejects unknown names by listing them", () => {
    expect(VARIANT_NAMES).toEqual([
      "sstore-gas",
      "sha256-result",
      "memory-boundary",
      "refund",
      "create2-address",
      "log-topic",
    ]);
    expect(() => engineVariant("nope")).toThrow(/unknown engine variant "nope" \(known: sstore-gas, /);
  });

  it("sstore-gas: setting a fresh slot costs one more gas, resetting does not", () => {
    const set = "0x60015f5500"; // SSTORE(0, 1)
    expect(run(set, "sstore-gas").gasUsed - run(set).gasUsed).toBe(1n);
    const clear = "0x5f5f5500"; // SSTORE(0, 0) on an empty slot
    expect(run(clear, "sstore-gas").gasUsed).toBe(run(clear).gasUsed);
  });

  it("sha256-result: the precompile's digest has its first byte flipped", () => {
    // STATICCALL(gas, 0x02, 0, 0, 0, 32); RETURN(0, 32)
    const code = "0x60205f5f5f60025afa5060205ff3";
    const good = run(code).returnData;
    const bad = run(code, "sha256-result").returnData;
    expect(bytesToHex(good)).toBe("0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(bad[0]).toBe(good[0]! ^ 0xff);
    expect(bytesToHex(bad.slice(1))).toBe(bytesToHex(good.slice(1)));
  });

  it("memory-boundary: only an MSTORE growing memory past 1024 bytes costs 3 more", () => {
    const past = "0x600161040052"; // MSTORE(0x400, 1): memory to 1056 bytes
    const upTo = "0x60016103e052"; // MSTORE(0x3e0, 1): memory to 1024 bytes
    expect(run(past, "memory-boundary").gasUsed - run(past).gasUsed).toBe(3n);
    expect(run(upTo, "memory-boundary").gasUsed).toBe(run(upTo).gasUsed);
  });

  it("refund: clearing a slot refunds one more gas", () => {
    const pre = () => {
      const m = new MemoryState();
      m.accounts.set(DEFAULT_RECEIVER, {
        nonce: 0n,
        balance: 0n,
        code: new Uint8Array(),
        storage: new Map([[0n, 1n]]),
      });
      return m;
    };
    const clear = "0x5f5f5500";
    const good = run(clear, undefined, pre()).state.refund;
    expect(good).toBe(4800);
    expect(run(clear, "refund", pre()).state.refund).toBe(good + 1);
  });

  it("create2-address: the contract lands at the address of salt + 1", () => {
    // CREATE2(value 0, offset 0, size 0, salt 0); MSTORE(0, address); RETURN(0, 32)
    const code = "0x5f5f5f5ff55f5260205ff3";
    const at = (r: ReturnType<typeof run>) => addressFromBigInt(BigInt(bytesToHex(r.returnData)));
    expect(at(run(code))).toBe(create2Address(DEFAULT_RECEIVER, 0n, KECCAK_EMPTY));
    expect(at(run(code, "create2-address"))).toBe(create2Address(DEFAULT_RECEIVER, 1n, KECCAK_EMPTY));
  });

  it("log-topic: topic0 has its lowest bit flipped", () => {
    const code = "0x60075f5fa1"; // LOG1(0, 0, topic 7)
    expect(run(code).state.logs[0]!.topics).toEqual([7n]);
    expect(run(code, "log-topic").state.logs[0]!.topics).toEqual([6n]);
  });
});
