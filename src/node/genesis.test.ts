import { describe, expect, it } from "vitest";
import { CONSOLIDATION_REQUEST_ADDRESS, HISTORY_STORAGE_ADDRESS } from "../block/system.js";
import { headerHash } from "../chain/block.js";
import { Blockchain } from "../chain/blockchain.js";
import { bytesToHex } from "../primitives/hex.js";
import { devAccounts, devGenesisJson } from "./devchain.js";
import { parseGenesis } from "./genesis.js";

describe("parseGenesis", () => {
  it("gives go-ethereum's hash for a small proof-of-work genesis", () => {
    // go-ethereum's core/genesis_test.go "customg": Homestead at block 3, ethash, one
    // account 0x01000…00 with balance 1 and slot 0x01000…00 = 0x01000…00. Its hash there
    // is 0x89c99d90…bd50 (gas limit 4712388 and difficulty 131072 by default).
    const word = `0x01${"00".repeat(31)}`;
    const g = parseGenesis({
      config: { homesteadBlock: 3, ethash: {} },
      alloc: { [`0x01${"00".repeat(19)}`]: { balance: "0x1", storage: { [word]: word } } },
    });
    expect(g.block.header.gasLimit).toBe(4712388n);
    expect(g.block.header.difficulty).toBe(131072n);
    expect(g.block.header.baseFeePerGas).toBeUndefined();
    expect(bytesToHex(headerHash(g.block.header))).toBe(
      "0x89c99d90b79719238d2645c7642f2c9295246e80775b38cfd162b696817fbd50",
    );
  });

  it("adds the header fields of the forks active at genesis", () => {
    const g = parseGenesis(devGenesisJson({ timestamp: 0n }));
    const h = g.block.header;
    expect(h.difficulty).toBe(0n);
    expect(h.baseFeePerGas).toBe(1_000_000_000n);
    expect(bytesToHex(h.withdrawalsRoot!)).toBe(
      "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421",
    );
    expect(h.blobGasUsed).toBe(0n);
    expect(h.excessBlobGas).toBe(0n);
    expect(bytesToHex(h.parentBeaconBlockRoot!)).toBe(`0x${"00".repeat(32)}`);
    // sha256 of nothing: the requests hash of a block without requests.
    expect(bytesToHex(h.requestsHash!)).toBe(
      "0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
    expect(g.block.withdrawals).toEqual([]);
    expect(g.spec.config.chainId).toBe(1337n);
    // Prefunded accounts and system contracts.
    expect(g.state.getAccount(devAccounts()[0]!.address)?.balance).toBe(10_000n * 10n ** 18n);
    expect(g.state.getAccount(HISTORY_STORAGE_ADDRESS)?.nonce).toBe(1n);
    expect(g.state.getAccount(CONSOLIDATION_REQUEST_ADDRESS)?.code.length).toBeGreaterThan(100);
    // A Blockchain accepts it (state root consistent).
    expect(new Blockchain(g.spec, g.block, g.state).head.block.header.number).toBe(0n);
  });

  it("stops at the fork not yet active at the genesis timestamp", () => {
    const g = parseGenesis({
      config: { chainId: 5, londonBlock: 0, terminalTotalDifficulty: 0, shanghaiTime: 0, cancunTime: 100 },
      alloc: {},
      baseFeePerGas: "0x7",
      gasLimit: "0x1000000",
    });
    expect(g.block.header.baseFeePerGas).toBe(7n);
    expect(g.block.header.gasLimit).toBe(0x1000000n);
    expect(g.block.header.withdrawalsRoot).toBeDefined();
    expect(g.block.header.excessBlobGas).toBeUndefined();
    expect(g.block.header.requestsHash).toBeUndefined();
  });

  it("reads alloc addresses without 0x and names bad fields", () => {
    const g = parseGenesis({
      config: {},
      alloc: { "00000000000000000000000000000000000000aa": { balance: "100" } },
    });
    expect(g.state.getAccount("0x00000000000000000000000000000000000000aa")?.balance).toBe(100n);
    expect(() => parseGenesis({ config: {}, alloc: { "0xaa": { nonce: "0x1" } } })).toThrow(
      /missing balance/,
    );
    expect(() => parseGenesis({ alloc: {} })).toThrow(/genesis config/);
    expect(() => parseGenesis({ config: {}, number: "0x1" })).toThrow(/number: must be 0/);
  });
});
