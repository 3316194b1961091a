import { describe, expect, it } from "vitest";
import { type Block, EMPTY_UNCLE_HASH, encodeBlock, type Header, headerHash } from "../chain/block.js";
import { Blockchain } from "../chain/blockchain.js";
import { forkAt } from "../chain/config.js";
import { Fork } from "../evm/forks.js";
import { bigintToHex, bytesToHex, hexToBytes } from "../primitives/hex.js";
import { privateKeyToAddress } from "../primitives/secp256k1.js";
import { MemoryState, StateDB } from "../state/statedb.js";
import { EMPTY_TRIE_ROOT } from "../state/trie.js";
import { signTransaction } from "../tx/sender.js";
import { headerFromJson, networkSpec, runBlockTestFile } from "./blocktest.js";

describe("networks", () => {
  it("maps fork names and transitions to chain configs", () => {
    const cancun = networkSpec("Cancun");
    expect(forkAt(cancun.config, 1n, 1n)).toBe(Fork.Cancun);
    expect(cancun.config.blobSchedule.get("cancun")?.max).toBe(6);
    expect(networkSpec("Prague").depositContractAddress).toBe("0x00000000219ab540356cbb839cbe05303d7705fa");
    const trans = networkSpec("ShanghaiToCancunAtTime15k");
    expect(forkAt(trans.config, 1n, 14_999n)).toBe(Fork.Shanghai);
    expect(forkAt(trans.config, 1n, 15_000n)).toBe(Fork.Cancun);
    const london = networkSpec("BerlinToLondonAt5");
    expect(forkAt(london.config, 4n, 0n)).toBe(Fork.Berlin);
    expect(forkAt(london.config, 5n, 0n)).toBe(Fork.London);
    expect(forkAt(networkSpec("EIP158").config, 1n, 0n)).toBe(Fork.SpuriousDragon);
    expect(networkSpec("EIP158").config.terminalTotalDifficulty).toBeUndefined();
    // go-ethereum's "Constantinople" keeps EIP-1283 (Petersburg far off); the merge by difficulty.
    expect(forkAt(networkSpec("Constantinople").config, 1n, 0n)).toBe(Fork.Constantinople);
    expect(forkAt(networkSpec("ConstantinopleFix").config, 1n, 0n)).toBe(Fork.Petersburg);
    const merge = networkSpec("ArrowGlacierToParisAtDiffC0000").config;
    expect(merge.terminalTotalDifficulty).toBe(0xc0000n);
    expect(forkAt(merge, 1n, 0n, false)).toBe(Fork.London);
    expect(() => networkSpec("Atlantis")).toThrow(/unsupported network "Atlantis"/);
  });

  it("maps HomesteadToDaoAt5 to Homestead rules with the DAO fork supported at block 5", () => {
    const dao = networkSpec("HomesteadToDaoAt5").config;
    expect(dao.daoForkBlock).toBe(5n);
    expect(dao.daoForkSupport).toBe(true);
    expect(dao.terminalTotalDifficulty).toBeUndefined();
    expect(forkAt(dao, 0n, 0n)).toBe(Fork.Homestead);
    expect(forkAt(dao, 5n, 0n)).toBe(Fork.Homestead);
    expect(forkAt(dao, 100n, 0n)).toBe(Fork.Homestead);
    expect(networkSpec("Homestead").config.daoForkBlock).toBeUndefined();
    expect(() => networkSpec("HomesteadToDaoAtTime5")).toThrow(/unsupported network/);
    expect(() => networkSpec("CancunToDaoAt5")).toThrow(/unsupported network/);
  });
});

function headerJson(h: Header): Record<string, string> {
  const j: Record<string, string> = {
    parentHash: bytesToHex(h.parentHash),
    uncleHash: bytesToHex(h.uncleHash),
    coinbase: h.coinbase,
    stateRoot: bytesToHex(h.stateRoot),
    transactionsTrie: bytesToHex(h.transactionsRoot),
    receiptTrie: bytesToHex(h.receiptsRoot),
    bloom: bytesToHex(h.logsBloom),
    difficulty: bigintToHex(h.difficulty),
    number: bigintToHex(h.number),
    gasLimit: bigintToHex(h.gasLimit),
    gasUsed: bigintToHex(h.gasUsed),
    timestamp: bigintToHex(h.timestamp),
    extraData: bytesToHex(h.extraData),
    mixHash: bytesToHex(h.mixHash),
    nonce: bytesToHex(h.nonce),
    baseFeePerGas: bigintToHex(h.baseFeePerGas!),
    withdrawalsRoot: bytesToHex(h.withdrawalsRoot!),
    blobGasUsed: bigintToHex(h.blobGasUsed!),
    excessBlobGas: bigintToHex(h.excessBlobGas!),
    parentBeaconBlockRoot: bytesToHex(h.parentBeaconBlockRoot!),
    hash: bytesToHex(headerHash(h)),
  };
  return j;
}

/** A two-block Cancun test (the second block invalid), built with Sonde's own chain. */
function makeTest(): Record<string, unknown> {
  const key = hexToBytes("0x45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8");
  const sender = privateKeyToAddress(key);
  const pre = { [sender]: { balance: "0x0de0b6b3a7640000", nonce: "0x00", code: "0x", storage: {} } };
  const state = new MemoryState();
  state.accounts.set(sender, { nonce: 0n, balance: 10n ** 18n, code: new Uint8Array(0), storage: new Map() });
  const header: Header = {
    parentHash: new Uint8Array(32),
    uncleHash: EMPTY_UNCLE_HASH,
    coinbase: "0x0000000000000000000000000000000000000000",
    stateRoot: new StateDB(state).stateRoot(),
    transactionsRoot: EMPTY_TRIE_ROOT,
    receiptsRoot: EMPTY_TRIE_ROOT,
    logsBloom: new Uint8Array(256),
    difficulty: 0n,
    number: 0n,
    gasLimit: 30_000_000n,
    gasUsed: 0n,
    timestamp: 1000n,
    extraData: new Uint8Array(0),
    mixHash: new Uint8Array(32),
    nonce: new Uint8Array(8),
    baseFeePerGas: 1_000_000_000n,
    withdrawalsRoot: EMPTY_TRIE_ROOT,
    blobGasUsed: 0n,
    excessBlobGas: 0n,
    parentBeaconBlockRoot: new Uint8Array(32),
  };
  const genesis: Block = { header, transactions: [], uncles: [], withdrawals: [] };
  const chain = new Blockchain(networkSpec("Cancun"), genesis, state);
  const tx = signTransaction(
    {
      type: 0,
      chainId: 1n,
      nonce: 0n,
      gasPrice: 1_000_000_000n,
      gasLimit: 21000n,
      to: "0x00000000000000000000000000000000000000bb",
      value: 5n,
      data: new Uint8Array(0),
      v: 0n,
      r: 0n,
      s: 0n,
    },
    key,
  );
  const b1 = chain.buildBlock({ transactions: [tx] });
  chain.insertBlock(b1);
  const b2 = chain.buildBlock({});
  const bad = { ...b2, header: { ...b2.header, stateRoot: new Uint8Array(32) } };
  const post: Record<string, unknown> = {};
  for (const [address, a] of chain.stateAt(chain.head.hash)!.entries!()) {
    post[address] = {
      balance: bigintToHex(a.balance),
      nonce: bigintToHex(a.nonce),
      code: bytesToHex(a.code),
      storage: {},
    };
  }
  return {
    network: "Cancun",
    sealEngine: "NoProof",
    pre,
    genesisBlockHeader: headerJson(header),
    genesisRLP: bytesToHex(encodeBlock(genesis)),
    blocks: [
      { rlp: bytesToHex(encodeBlock(b1)), blockHeader: headerJson(b1.header) },
      { rlp: bytesToHex(encodeBlock(bad)), expectException: "BlockException.INVALID_STATE_ROOT" },
      { rlp: "0xc0", expectException: "BlockException.RLP_STRUCTURES_ENCODING" },
    ],
    lastblockhash: bytesToHex(headerHash(b1.header)).slice(2),
    postState: post,
  };
}

describe("runBlockTestFile", () => {
  it("passes a consistent test and reads its headers", () => {
    const t = makeTest();
    expect(runBlockTestFile({ ok: t })).toEqual([{ test: "ok", passed: true }]);
    const h = headerFromJson(t.genesisBlockHeader, "genesisBlockHeader");
    expect(bytesToHex(headerHash(h))).toBe((t.genesisBlockHeader as Record<string, string>).hash);
  });

  it("fails on a wrong head, a wrong post state, an accepted invalid block and a bad genesis", () => {
    const t = makeTest();
    const post = t.postState as Record<string, Record<string, unknown>>;
    const [first] = Object.keys(post);
    const tests = {
      head: { ...t, lastblockhash: "11".repeat(32) },
      balance: { ...t, postState: { ...post, [first!]: { ...post[first!], balance: "0x01" } } },
      extra: { ...t, postState: {} },
      missing: {
        ...t,
        postState: { ...post, "0x00000000000000000000000000000000000000ff": { balance: "0x01" } },
      },
      accepted: { ...t, blocks: [{ ...(t.blocks as object[])[0], expectException: "X" }] },
      rejected: {
        ...t,
        blocks: [
          (t.blocks as object[])[0],
          { rlp: ((t.blocks as object[])[1] as { rlp: string }).rlp, blockHeader: {} },
        ],
      },
      genesis: {
        ...t,
        genesisBlockHeader: { ...(t.genesisBlockHeader as object), hash: `0x${"22".repeat(32)}` },
      },
      network: { ...t, network: "Atlantis" },
    };
    const results = runBlockTestFile(tests);
    expect(results.map((r) => r.passed)).toEqual(Array(8).fill(false));
    const byName = Object.fromEntries(results.map((r) => [r.test, r]));
    expect(byName.head?.message).toBe("last block hash mismatch");
    expect(byName.head?.expected).toBe(`0x${"11".repeat(32)}`);
    expect(byName.balance?.message).toMatch(/balance expected 1, got/);
    expect(byName.extra?.message).toMatch(/unexpected account/);
    expect(byName.missing?.message).toMatch(/0x00000000000000000000000000000000000000ff: missing/);
    expect(byName.accepted?.message).toMatch(/block 0: accepted but should have been rejected/);
    expect(byName.rejected?.message).toMatch(/block 1: valid block rejected/);
    expect(byName.rejected?.actual).toMatch(/state root mismatch/);
    expect(byName.genesis?.message).toBe("genesis block hash mismatch");
    expect(byName.network?.message).toMatch(/unsupported network/);
  });
});
