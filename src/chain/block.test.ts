import { describe, expect, it } from "vitest";
import { bytesToHex, hexToBytes } from "../primitives/hex.js";
import { keccak256 } from "../primitives/keccak.js";
import { rlpDecode, rlpEncode } from "../primitives/rlp.js";
import { EMPTY_TRIE_ROOT } from "../state/trie.js";
import { signTransaction } from "../tx/sender.js";
import type { FeeMarketTransaction, LegacyTransaction } from "../tx/types.js";
import {
  type Block,
  BlockDecodeError,
  decodeBlock,
  decodeHeader,
  EMPTY_UNCLE_HASH,
  encodeBlock,
  encodeHeader,
  encodeReceipt,
  type Header,
  headerHash,
  receiptsRoot,
  requestsHash,
  transactionsRoot,
  uncleHash,
  withdrawalsRoot,
} from "./block.js";

const KEY = hexToBytes("0x45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8");

/** Ethereum mainnet's genesis header (a public constant). */
function mainnetGenesis(): Header {
  return {
    parentHash: new Uint8Array(32),
    uncleHash: EMPTY_UNCLE_HASH,
    coinbase: "0x0000000000000000000000000000000000000000",
    stateRoot: hexToBytes("0xd7f8974fb5ac78d9ac099b9ad5018bedc2ce0a72dad1827a1709da30580f0544"),
    transactionsRoot: EMPTY_TRIE_ROOT,
    receiptsRoot: EMPTY_TRIE_ROOT,
    logsBloom: new Uint8Array(256),
    difficulty: 17179869184n,
    number: 0n,
    gasLimit: 5000n,
    gasUsed: 0n,
    timestamp: 0n,
    extraData: hexToBytes("0x11bbe8db4e347b4e8c937c1c8370e4b5ed33adb3db69cbdb7a38e1e50b1b82fa"),
    mixHash: new Uint8Array(32),
    nonce: hexToBytes("0x0000000000000042"),
  };
}

function cancunHeader(): Header {
  return {
    ...mainnetGenesis(),
    difficulty: 0n,
    number: 7n,
    gasLimit: 30_000_000n,
    timestamp: 1_700_000_000n,
    nonce: new Uint8Array(8),
    baseFeePerGas: 7n,
    withdrawalsRoot: EMPTY_TRIE_ROOT,
    blobGasUsed: 131072n,
    excessBlobGas: 0n,
    parentBeaconBlockRoot: new Uint8Array(32).fill(9),
  };
}

function legacyTx(): LegacyTransaction {
  return signTransaction(
    {
      type: 0,
      chainId: 1n,
      nonce: 0n,
      gasPrice: 10n,
      gasLimit: 21000n,
      to: "0x00000000000000000000000000000000000000bb",
      value: 5n,
      data: new Uint8Array(0),
      v: 0n,
      r: 0n,
      s: 0n,
    },
    KEY,
  );
}

function dynamicTx(): FeeMarketTransaction {
  return signTransaction(
    {
      type: 2,
      chainId: 1n,
      nonce: 1n,
      maxPriorityFeePerGas: 1n,
      maxFeePerGas: 100n,
      gasLimit: 50000n,
      to: null,
      value: 0n,
      data: hexToBytes("0x6000"),
      accessList: [],
      yParity: 0,
      r: 0n,
      s: 0n,
    },
    KEY,
  );
}

describe("headers", () => {
  it("hashes mainnet's genesis header to its known hash", () => {
    expect(bytesToHex(headerHash(mainnetGenesis()))).toBe(
      "0xd4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3",
    );
  });

  it("round-trips a Cancun header with its trailing fields", () => {
    const h = cancunHeader();
    const enc = encodeHeader(h);
    expect((rlpDecode(enc) as unknown[]).length).toBe(20);
    const back = decodeHeader(enc);
    expect(back).toEqual(h);
    expect(bytesToHex(encodeHeader(back))).toBe(bytesToHex(enc));
  });

  it("stops the optional fields at the first absent one", () => {
    const h = { ...mainnetGenesis(), baseFeePerGas: 1n };
    expect((rlpDecode(encodeHeader(h)) as unknown[]).length).toBe(16);
  });

  it("rejects malformed fields, naming them", () => {
    const items = rlpDecode(encodeHeader(cancunHeader())) as Uint8Array[];
    const bad = (i: number, v: Uint8Array) => {
      const copy = [...items];
      copy[i] = v;
      return rlpEncode(copy);
    };
    expect(() => decodeHeader(bad(9, new Uint8Array(9).fill(1)))).toThrow(
      /header\.gasLimit: integer wider than 64 bits/,
    );
    expect(() => decodeHeader(bad(2, new Uint8Array(19)))).toThrow(
      /header\.coinbase: expected 20 bytes, got 19/,
    );
    expect(() => decodeHeader(bad(14, new Uint8Array(7)))).toThrow(/header\.nonce: expected 8 bytes/);
    expect(() => decodeHeader(bad(8, new Uint8Array([0, 1])))).toThrow(
      /header\.number: integer has leading zero/,
    );
    expect(() => decodeHeader(rlpEncode(items.slice(0, 14)))).toThrow(/expected 15 to 21 fields, got 14/);
    expect(() => decodeHeader(rlpEncode([...items, new Uint8Array(32), new Uint8Array(1)]))).toThrow(
      BlockDecodeError,
    );
  });
});

describe("blocks", () => {
  it("round-trips a block with legacy and typed transactions, an uncle-free body and withdrawals", () => {
    const block: Block = {
      header: cancunHeader(),
      transactions: [legacyTx(), dynamicTx()],
      uncles: [],
      withdrawals: [
        { index: 1n, validatorIndex: 2n, address: "0x00000000000000000000000000000000000000cc", amount: 3n },
      ],
    };
    const raw = encodeBlock(block);
    const items = rlpDecode(raw) as unknown[];
    // The legacy transaction is a list, the typed one a byte string starting with its type.
    const txs = items[1] as unknown[];
    expect(Array.isArray(txs[0])).toBe(true);
    expect((txs[1] as Uint8Array)[0]).toBe(2);
    const back = decodeBlock(raw);
    expect(back.transactions).toEqual(block.transactions);
    expect(back.withdrawals).toEqual(block.withdrawals);
    expect(bytesToHex(encodeBlock(back))).toBe(bytesToHex(raw));
  });

  it("tells a pre-Shanghai body (3 items) from an empty withdrawals list", () => {
    const pre = decodeBlock(encodeBlock({ header: mainnetGenesis(), transactions: [], uncles: [] }));
    expect(pre.withdrawals).toBeUndefined();
    const post = decodeBlock(
      encodeBlock({ header: cancunHeader(), transactions: [], uncles: [], withdrawals: [] }),
    );
    expect(post.withdrawals).toEqual([]);
  });

  it("rejects bad bodies, naming the item", () => {
    const header = rlpDecode(encodeHeader(cancunHeader()));
    const enc = (txs: unknown[], ws: unknown[] = []) =>
      rlpEncode([header, txs, [], ws] as Parameters<typeof rlpEncode>[0]);
    expect(() => decodeBlock(enc([new Uint8Array([2])]))).toThrow(
      /transactions\[0\]: typed transaction too short/,
    );
    // A legacy transaction wrapped in a byte string is not a typed transaction.
    const legacyBytes = rlpEncode(
      (
        rlpDecode(
          encodeBlock({ header: cancunHeader(), transactions: [legacyTx()], uncles: [] }),
        ) as unknown[][]
      )[1]![0] as Parameters<typeof rlpEncode>[0],
    );
    expect(() => decodeBlock(enc([legacyBytes]))).toThrow(
      /transactions\[0\]: byte string starting 0xf8 is not a typed transaction/,
    );
    expect(() => decodeBlock(enc([], [[new Uint8Array([1]), new Uint8Array([2])]]))).toThrow(
      /withdrawals\[0\]: expected 4 fields/,
    );
    expect(() =>
      decodeBlock(
        enc([], [[new Uint8Array([1]), new Uint8Array([2]), new Uint8Array(19), new Uint8Array([1])]]),
      ),
    ).toThrow(/withdrawals\[0\]\.address: expected 20 bytes/);
    expect(() => decodeBlock(new Uint8Array([0xc1]))).toThrow(/block: invalid RLP/);
  });
});

describe("roots and receipts", () => {
  it("has the well-known empty roots", () => {
    expect(bytesToHex(uncleHash([]))).toBe(
      "0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347",
    );
    expect(bytesToHex(transactionsRoot([]))).toBe(
      "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421",
    );
    expect(bytesToHex(withdrawalsRoot([]))).toBe(bytesToHex(EMPTY_TRIE_ROOT));
    // EIP-7685: the hash of no requests is sha256 of nothing.
    expect(bytesToHex(requestsHash([]))).toBe(
      "0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
    // Requests with only a type byte are skipped.
    expect(bytesToHex(requestsHash([new Uint8Array([1])]))).toBe(bytesToHex(requestsHash([])));
  });

  it("roots a single transaction at key rlp(0) = 0x80", () => {
    const tx = legacyTx();
    const raw = encodeBlock({ header: mainnetGenesis(), transactions: [tx], uncles: [] });
    const txEnc = rlpEncode((rlpDecode(raw) as unknown[][])[1]![0] as Parameters<typeof rlpEncode>[0]);
    // A one-leaf trie: the leaf node [0x20 ++ key nibbles(0x80), value].
    const leaf = rlpEncode([new Uint8Array([0x20, 0x80]), txEnc]);
    expect(bytesToHex(transactionsRoot([tx]))).toBe(bytesToHex(keccak256(leaf)));
  });

  it("encodes receipts by type and era", () => {
    const base = { cumulativeGasUsed: 21000n, logs: [], bloom: new Uint8Array(256) };
    const legacy = encodeReceipt({ ...base, type: 0, status: true });
    expect(rlpDecode(legacy)).toEqual([new Uint8Array([1]), hexToBytes("0x5208"), new Uint8Array(256), []]);
    const failed = encodeReceipt({ ...base, type: 2, status: false });
    expect(failed[0]).toBe(2);
    expect(rlpDecode(failed.subarray(1))).toEqual([
      new Uint8Array(0),
      hexToBytes("0x5208"),
      new Uint8Array(256),
      [],
    ]);
    const root = new Uint8Array(32).fill(5);
    const frontier = encodeReceipt({ ...base, type: 0, postState: root });
    expect((rlpDecode(frontier) as Uint8Array[])[0]).toEqual(root);
    expect(receiptsRoot([])).toEqual(EMPTY_TRIE_ROOT);
  });
});
