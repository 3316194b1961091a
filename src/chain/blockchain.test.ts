import { describe, expect, it } from "vitest";
import { type Address, bytesToBigInt, bytesToHex, hexToBytes } from "../primitives/hex.js";
import { privateKeyToAddress } from "../primitives/secp256k1.js";
import { MemoryState, StateDB } from "../state/statedb.js";
import { EMPTY_TRIE_ROOT } from "../state/trie.js";
import { BalanceChangeReason, type Hooks } from "../tracing/hooks.js";
import { signTransaction } from "../tx/sender.js";
import type { FeeMarketTransaction, LegacyTransaction } from "../tx/types.js";
import { type Block, EMPTY_UNCLE_HASH, type Header, headerHash, transactionsRoot } from "./block.js";
import { Blockchain } from "./blockchain.js";
import { FORK_BLOCKS_TO_LONDON } from "./config.js";
import { DAO_DRAIN_LIST, DAO_FORK_EXTRA_DATA, DAO_REFUND_CONTRACT } from "./dao.js";
import { BlockValidationError, type ChainSpec, parseChainSpec } from "./validate.js";

const KEY = hexToBytes("0x45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8");
const SENDER = privateKeyToAddress(KEY);
const ETH = 10n ** 18n;
const BOB: Address = "0x00000000000000000000000000000000000000bb";
const COINBASE: Address = "0x00000000000000000000000000000000000000cc";
const VALIDATOR: Address = "0x00000000000000000000000000000000000000dd";
/** Stores BLOCKHASH(NUMBER - 1) at slot 0. */
const BLOCKHASH_PROBE: Address = "0x00000000000000000000000000000000000000ee";
const PROBE_CODE = hexToBytes("0x4360019003406000555b00");

/** Every block-numbered fork through London from genesis. */
const TO_LONDON = {
  chainId: 1,
  ...FORK_BLOCKS_TO_LONDON,
};
const CANCUN = parseChainSpec({ ...TO_LONDON, terminalTotalDifficulty: 0, shanghaiTime: 0, cancunTime: 0 });

function alloc(): MemoryState {
  const s = new MemoryState();
  s.accounts.set(SENDER, { nonce: 0n, balance: 10n * ETH, code: new Uint8Array(0), storage: new Map() });
  s.accounts.set(BLOCKHASH_PROBE, { nonce: 1n, balance: 0n, code: PROBE_CODE, storage: new Map() });
  return s;
}

function genesis(spec: ChainSpec, state: MemoryState, over: Partial<Header> = {}): Block {
  const pos = spec.config.terminalTotalDifficulty === 0n;
  const header: Header = {
    parentHash: new Uint8Array(32),
    uncleHash: EMPTY_UNCLE_HASH,
    coinbase: "0x0000000000000000000000000000000000000000",
    stateRoot: new StateDB(state).stateRoot(),
    transactionsRoot: EMPTY_TRIE_ROOT,
    receiptsRoot: EMPTY_TRIE_ROOT,
    logsBloom: new Uint8Array(256),
    difficulty: pos ? 0n : 1_000_000n,
    number: 0n,
    gasLimit: 30_000_000n,
    gasUsed: 0n,
    timestamp: 1000n,
    extraData: new Uint8Array(0),
    mixHash: new Uint8Array(32),
    nonce: new Uint8Array(8),
    ...over,
  };
  if (pos) {
    header.baseFeePerGas = 1_000_000_000n;
    header.withdrawalsRoot = EMPTY_TRIE_ROOT;
    header.blobGasUsed = 0n;
    header.excessBlobGas = 0n;
    header.parentBeaconBlockRoot = new Uint8Array(32);
  }
  const block: Block = { header, transactions: [], uncles: [] };
  if (pos) block.withdrawals = [];
  return block;
}

function transfer(nonce: bigint, to: Address, value: bigint, data = new Uint8Array(0)): FeeMarketTransaction {
  return signTransaction(
    {
      type: 2,
      chainId: 1n,
      nonce,
      maxPriorityFeePerGas: 1_000_000_000n,
      maxFeePerGas: 2_000_000_000n,
      gasLimit: 100_000n,
      to,
      value,
      data,
      accessList: [],
      yParity: 0,
      r: 0n,
      s: 0n,
    },
    KEY,
  );
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof BlockValidationError) return err.code;
    throw err;
  }
  return "valid";
}

const hashOf = (b: Block) => bytesToHex(headerHash(b.header));

describe("a proof-of-stake chain", () => {
  it("imports blocks with transactions and withdrawals and keeps the post state", () => {
    const state = alloc();
    const chain = new Blockchain(CANCUN, genesis(CANCUN, state), state);
    const b1 = chain.buildBlock({
      transactions: [transfer(0n, BOB, 1000n)],
      coinbase: COINBASE,
      withdrawals: [{ index: 0n, validatorIndex: 5n, address: VALIDATOR, amount: 2n }],
    });
    expect(b1.header.baseFeePerGas).toBe(875_000_000n);
    expect(b1.header.gasUsed).toBe(21000n);
    expect(chain.insertBlock(b1).status).toBe("head");
    expect(chain.head.hash).toBe(hashOf(b1));
    expect(chain.account(BOB)?.balance).toBe(1000n);
    // Withdrawals are in Gwei.
    expect(chain.account(VALIDATOR)?.balance).toBe(2_000_000_000n);
    // Effective gas price: base fee 0.875 gwei + tip 1 gwei; the coinbase gets the tip only.
    expect(chain.account(SENDER)?.balance).toBe(10n * ETH - 1000n - 21000n * 1_875_000_000n);
    expect(chain.account(COINBASE)?.balance).toBe(21000n * 1_000_000_000n);
    expect(chain.head.receipts.map((r) => [r.status, r.cumulativeGasUsed])).toEqual([[true, 21000n]]);

    const b2 = chain.buildBlock({ transactions: [transfer(1n, BOB, 1n), transfer(2n, BOB, 1n)] });
    expect(chain.insertBlock(b2).status).toBe("head");
    expect(chain.head.block.header.number).toBe(2n);
    expect(chain.head.receipts.map((r) => r.cumulativeGasUsed)).toEqual([21000n, 42000n]);
    expect(chain.account(SENDER)?.nonce).toBe(3n);
    // Each block's state is kept: block 1's still shows one transfer.
    expect(chain.stateAt(hashOf(b1))?.getAccount(BOB)?.balance).toBe(1000n);
  });

  it("rejects blocks whose results disagree with the header, leaving the chain as it was", () => {
    const state = alloc();
    const chain = new Blockchain(CANCUN, genesis(CANCUN, state), state);
    const good = chain.buildBlock({ transactions: [transfer(0n, BOB, 1n)] });
    const tamper = (over: Partial<Header>) => ({ ...good, header: { ...good.header, ...over } });
    expect(codeOf(() => chain.insertBlock(tamper({ stateRoot: new Uint8Array(32) })))).toBe(
      "INVALID_STATE_ROOT",
    );
    expect(codeOf(() => chain.insertBlock(tamper({ gasUsed: 21001n })))).toBe("INVALID_GAS_USED");
    expect(codeOf(() => chain.insertBlock(tamper({ receiptsRoot: new Uint8Array(32) })))).toBe(
      "INVALID_RECEIPTS_ROOT",
    );
    expect(codeOf(() => chain.insertBlock(tamper({ logsBloom: new Uint8Array(256).fill(1) })))).toBe(
      "INVALID_LOG_BLOOM",
    );
    expect(codeOf(() => chain.insertBlock(tamper({ parentHash: new Uint8Array(32).fill(7) })))).toBe(
      "UNKNOWN_PARENT",
    );
    // A transaction the state cannot take (nonce 5 for a fresh sender), with a consistent transactions root.
    const bad = { ...good, transactions: [transfer(5n, BOB, 1n)] };
    bad.header = { ...good.header, transactionsRoot: transactionsRoot(bad.transactions) };
    const err = (() => {
      try {
        chain.insertBlock(bad);
      } catch (e) {
        return e as BlockValidationError;
      }
      return undefined;
    })();
    expect(err?.code).toBe("NONCE_MISMATCH_TOO_HIGH");
    expect(err?.message).toMatch(/^transaction 0: nonce too high/);
    expect(chain.head).toBe(chain.genesis);
    expect(chain.insertBlock(good).status).toBe("head");
  });

  it("follows the last imported block across side chains, and BLOCKHASH sees the block's own branch", () => {
    const state = alloc();
    const chain = new Blockchain(CANCUN, genesis(CANCUN, state), state);
    const a1 = chain.buildBlock({ timestamp: 1012n });
    const b1 = chain.buildBlock({ timestamp: 1013n });
    expect(chain.insertBlock(a1).status).toBe("head");
    expect(chain.insertBlock(b1).status).toBe("head");
    expect(chain.head.hash).toBe(hashOf(b1));
    const a2 = chain.buildBlock({ parent: hashOf(a1), transactions: [transfer(0n, BLOCKHASH_PROBE, 0n)] });
    expect(chain.insertBlock(a2).status).toBe("head");
    expect(chain.canonicalAt(1n)?.hash).toBe(hashOf(a1));
    expect(chain.account(BLOCKHASH_PROBE)?.storage.get(0n)).toBe(bytesToBigInt(headerHash(a1.header)));
    // A stored canonical block below the head is ignored; a stored side block becomes the head again.
    expect(chain.insertBlock(a1).status).toBe("known");
    expect(chain.head.hash).toBe(hashOf(a2));
    expect(chain.insertBlock(b1).status).toBe("head");
    expect(chain.head.hash).toBe(hashOf(b1));
    expect(chain.canonicalAt(2n)).toBeUndefined();
  });
});

describe("a proof-of-work chain", () => {
  const BYZANTIUM = parseChainSpec({
    chainId: 1,
    homesteadBlock: 0,
    eip150Block: 0,
    eip158Block: 0,
    byzantiumBlock: 0,
  });
  const MINER_A: Address = "0x000000000000000000000000000000000000000a";
  const MINER_B: Address = "0x000000000000000000000000000000000000000b";

  function legacy(nonce: bigint): LegacyTransaction {
    return signTransaction(
      {
        type: 0,
        chainId: 1n,
        nonce,
        gasPrice: 10n,
        gasLimit: 21000n,
        to: BOB,
        value: 7n,
        data: new Uint8Array(0),
        v: 0n,
        r: 0n,
        s: 0n,
      },
      KEY,
    );
  }

  it("pays block rewards, picks the heaviest branch and rewards uncles", () => {
    const state = alloc();
    const chain = new Blockchain(BYZANTIUM, genesis(BYZANTIUM, state), state);
    // A fast block raises the difficulty, a slow one lowers it.
    const a1 = chain.buildBlock({ timestamp: 1001n, coinbase: MINER_A, transactions: [legacy(0n)] });
    const b1 = chain.buildBlock({ timestamp: 1100n, coinbase: MINER_B });
    expect(a1.header.difficulty).toBe(1_000_488n);
    expect(b1.header.difficulty).toBe(995_120n);
    expect(chain.insertBlock(a1).status).toBe("head");
    expect(chain.account(MINER_A)?.balance).toBe(3n * ETH + 21000n * 10n);
    expect(chain.insertBlock(b1).status).toBe("side");
    expect(chain.head.hash).toBe(hashOf(a1));
    const b2 = chain.buildBlock({ parent: hashOf(b1), timestamp: 1101n, coinbase: MINER_B });
    expect(chain.insertBlock(b2).status).toBe("head");
    expect(chain.head.td).toBe(1_000_000n + 995_120n + b2.header.difficulty);
    // The reorg drops a1's transfer.
    expect(chain.account(BOB)).toBeUndefined();
    expect(chain.account(MINER_A)).toBeUndefined();

    // a1 is a valid uncle for block 3 on the b branch: its parent is an ancestor other than b2.
    const b3 = chain.buildBlock({ timestamp: 1102n, coinbase: MINER_B, uncles: [a1.header] });
    expect(chain.insertBlock(b3).status).toBe("head");
    expect(chain.account(MINER_A)?.balance).toBe(((1n + 8n - 3n) * 3n * ETH) / 8n);
    expect(chain.account(MINER_B)?.balance).toBe(3n * 3n * ETH + (3n * ETH) / 32n);

    // Uncle rules.
    const withUncles = (uncles: Header[]) => chain.buildBlock({ timestamp: 1103n, uncles });
    expect(codeOf(() => chain.insertBlock(withUncles([b1.header])))).toBe("UNCLE_IS_ANCESTOR");
    expect(codeOf(() => chain.insertBlock(withUncles([a1.header])))).toBe("DUPLICATE_UNCLE");
    const tooMany = [
      a1.header,
      { ...a1.header, extraData: new Uint8Array(1) },
      { ...a1.header, extraData: new Uint8Array(2) },
    ];
    expect(codeOf(() => chain.insertBlock(withUncles(tooMany)))).toBe("TOO_MANY_UNCLES");
    // An uncle with a wrong difficulty fails its header check.
    const c1 = chain.buildBlock({ parent: chain.genesis.hash, timestamp: 1050n });
    expect(codeOf(() => chain.insertBlock(withUncles([{ ...c1.header, difficulty: 5n }])))).toBe(
      "INVALID_DIFFICULTY",
    );
    expect(codeOf(() => chain.insertBlock(withUncles([c1.header])))).toBe("valid");
  });

  it("merges by terminal total difficulty: proof-of-stake from the block after it is reached, never before", () => {
    const LONDON_TTD = parseChainSpec({ ...TO_LONDON, terminalTotalDifficulty: 1_500_000 });
    const state = alloc();
    const chain = new Blockchain(
      LONDON_TTD,
      genesis(LONDON_TTD, state, { baseFeePerGas: 1_000_000_000n }),
      state,
    );
    // Genesis (1,000,000) has not reached it: a proof-of-stake child is refused.
    const early = chain.buildBlock({ timestamp: 1012n });
    expect(early.header.difficulty).toBeGreaterThan(0n);
    expect(codeOf(() => chain.insertBlock({ ...early, header: { ...early.header, difficulty: 0n } }))).toBe(
      "INVALID_DIFFICULTY",
    );
    expect(chain.insertBlock(early).status).toBe("head");
    expect(chain.head.td).toBeGreaterThanOrEqual(1_500_000n);
    // Reached at the parent: the next block is built proof-of-stake, and a proof-of-work one is refused.
    const powAfter = {
      ...early,
      header: { ...early.header, number: 2n, parentHash: headerHash(early.header) },
    };
    expect(codeOf(() => chain.insertBlock(powAfter))).toBe("IMPORT_IMPOSSIBLE_DIFFICULTY_OVER_PARIS");
    const pos = chain.buildBlock({ timestamp: 1024n });
    expect(pos.header.difficulty).toBe(0n);
    expect(chain.insertBlock(pos).status).toBe("head");
  });

  it("writes intermediate state roots into receipts before Byzantium", () => {
    const frontier = parseChainSpec({ chainId: 1 });
    const state = alloc();
    const chain = new Blockchain(frontier, genesis(frontier, state), state);
    const tx = signTransaction({ ...legacy(0n), chainId: undefined }, KEY);
    const b1 = chain.buildBlock({ timestamp: 1001n, transactions: [tx] });
    chain.insertBlock(b1);
    const receipt = chain.head.receipts[0]!;
    expect(receipt.status).toBeUndefined();
    expect(receipt.postState?.length).toBe(32);
    // Before the block reward, so it is not the block's state root.
    expect(bytesToHex(receipt.postState!)).not.toBe(bytesToHex(b1.header.stateRoot));
  });
});

describe("the DAO hard fork", () => {
  const HOMESTEAD_DAO = parseChainSpec({
    chainId: 1,
    homesteadBlock: 0,
    daoForkBlock: 2,
    daoForkSupport: true,
  });
  const FIRST = DAO_DRAIN_LIST[0]!;
  const LAST = DAO_DRAIN_LIST[DAO_DRAIN_LIST.length - 1]!;
  /** A drain-list account holding code and storage besides its balance. */
  const WITH_CODE = DAO_DRAIN_LIST[7]!;
  const ABSENT = DAO_DRAIN_LIST[50]!;

  function daoAlloc(): MemoryState {
    const s = alloc();
    const eoa = (balance: bigint) => ({ nonce: 0n, balance, code: new Uint8Array(0), storage: new Map() });
    s.accounts.set(FIRST, eoa(3n * ETH));
    s.accounts.set(LAST, eoa(5n));
    s.accounts.set(WITH_CODE, {
      nonce: 1n,
      balance: 7n,
      code: hexToBytes("0x00"),
      storage: new Map([[1n, 2n]]),
    });
    return s;
  }

  it("checks the drain list and refund contract against go-ethereum's", () => {
    expect(DAO_DRAIN_LIST).toHaveLength(116);
    expect(new Set(DAO_DRAIN_LIST).size).toBe(116);
    expect(FIRST).toBe("0xd4fe7bc31cedb7bfb8a345f31e668033056b2728");
    expect(LAST).toBe("0x807640a13483f8ac783c557fcdf27be11ea4ac7a");
    expect(DAO_REFUND_CONTRACT).toBe("0xbf4ed7b27f1d666546e30d74d50d173d20bca754");
    expect(bytesToHex(DAO_FORK_EXTRA_DATA)).toBe("0x64616f2d686172642d666f726b");
  });

  it("moves every drain-list balance to the refund contract at the fork block, seen by the hooks", () => {
    const state = daoAlloc();
    const chain = new Blockchain(HOMESTEAD_DAO, genesis(HOMESTEAD_DAO, state), state);
    const b1 = chain.buildBlock({ timestamp: 1010n });
    expect(b1.header.extraData.length).toBe(0);
    chain.insertBlock(b1);
    expect(chain.account(DAO_REFUND_CONTRACT)).toBeUndefined();
    expect(chain.account(FIRST)?.balance).toBe(3n * ETH);

    // The fork block: built with the fork's extraData, drained before its transactions.
    const spend = signTransaction(
      {
        type: 0,
        chainId: undefined,
        nonce: 0n,
        gasPrice: 10n,
        gasLimit: 21000n,
        to: BOB,
        value: 1n,
        data: new Uint8Array(0),
        v: 0n,
        r: 0n,
        s: 0n,
      },
      KEY,
    );
    const b2 = chain.buildBlock({ timestamp: 1020n, coinbase: COINBASE, transactions: [spend] });
    expect(bytesToHex(b2.header.extraData)).toBe(bytesToHex(DAO_FORK_EXTRA_DATA));
    const changes: [Address, bigint, bigint, number][] = [];
    const hooks: Hooks = {
      onBalanceChange: (address, prev, next, reason) => changes.push([address, prev, next, reason]),
    };
    expect(chain.insertBlock(b2, hooks).status).toBe("head");
    const total = 3n * ETH + 5n + 7n;
    expect(chain.account(DAO_REFUND_CONTRACT)?.balance).toBe(total);
    expect(chain.account(FIRST)?.balance).toBe(0n);
    expect(chain.account(LAST)?.balance).toBe(0n);
    // Only the balance moves: code, nonce and storage stay.
    const withCode = chain.account(WITH_CODE)!;
    expect(withCode.balance).toBe(0n);
    expect(withCode.nonce).toBe(1n);
    expect(withCode.storage.get(1n)).toBe(2n);
    // Before EIP-158 the zero-balance moves leave absent drain accounts as empty accounts (as go-ethereum).
    expect(chain.account(ABSENT)).toEqual(expect.objectContaining({ balance: 0n, nonce: 0n }));
    // The drain comes first, in list order, before the transaction's own balance changes.
    expect(changes.slice(0, 2)).toEqual([
      [DAO_REFUND_CONTRACT, 0n, 3n * ETH, BalanceChangeReason.DaoRefundContract],
      [FIRST, 3n * ETH, 0n, BalanceChangeReason.DaoDrainAccount],
    ]);
    const drained = changes.filter(([, , , r]) => r === BalanceChangeReason.DaoDrainAccount);
    expect(drained.map(([a]) => a)).toEqual([FIRST, WITH_CODE, LAST]);
    expect(changes.findIndex(([a]) => a === SENDER)).toBeGreaterThan(changes.findIndex(([a]) => a === LAST));

    // Only at the fork block: the refund contract keeps what it got.
    const b3 = chain.buildBlock({ timestamp: 1030n });
    expect(bytesToHex(b3.header.extraData)).toBe(bytesToHex(DAO_FORK_EXTRA_DATA));
    chain.insertBlock(b3);
    expect(chain.account(DAO_REFUND_CONTRACT)?.balance).toBe(total);
  });

  it("refuses blocks and uncles in the range without the fork's extraData, and builds the range with it", () => {
    const state = daoAlloc();
    const chain = new Blockchain(HOMESTEAD_DAO, genesis(HOMESTEAD_DAO, state), state);
    chain.insertBlock(chain.buildBlock({ timestamp: 1010n }));
    const bare = chain.buildBlock({ timestamp: 1020n, extraData: new Uint8Array(0) });
    expect(codeOf(() => chain.insertBlock(bare))).toBe("EXTRA_DATA_INVALID_DAO");
    expect(chain.head.block.header.number).toBe(1n);
    const b2 = chain.buildBlock({ timestamp: 1020n });
    chain.insertBlock(b2);
    // An uncle at block 3 (in the range) must carry it too.
    const unmarked = chain.buildBlock({ timestamp: 1031n, extraData: new Uint8Array(0) });
    const marked = chain.buildBlock({ timestamp: 1032n });
    chain.insertBlock(chain.buildBlock({ timestamp: 1030n }));
    const withUncle = (u: Header) => chain.buildBlock({ timestamp: 1040n, uncles: [u] });
    expect(codeOf(() => chain.insertBlock(withUncle(unmarked.header)))).toBe("EXTRA_DATA_INVALID_DAO");
    expect(codeOf(() => chain.insertBlock(withUncle(marked.header)))).toBe("valid");
    // Past the range (blocks 2..11) the default extraData is empty again.
    while (chain.head.block.header.number < 11n) {
      chain.insertBlock(chain.buildBlock({ timestamp: chain.head.block.header.timestamp + 10n }));
    }
    expect(bytesToHex(chain.head.block.header.extraData)).toBe(bytesToHex(DAO_FORK_EXTRA_DATA));
    expect(chain.buildBlock().header.extraData.length).toBe(0);
  });

  it("drains and deletes emptied accounts after EIP-158; an opposing chain neither drains nor marks", () => {
    const eip158 = parseChainSpec({
      chainId: 1,
      homesteadBlock: 0,
      eip150Block: 0,
      eip158Block: 0,
      daoForkBlock: 1,
      daoForkSupport: true,
    });
    let state = daoAlloc();
    let chain = new Blockchain(eip158, genesis(eip158, state), state);
    chain.insertBlock(chain.buildBlock({ timestamp: 1010n }));
    expect(chain.account(DAO_REFUND_CONTRACT)?.balance).toBe(3n * ETH + 12n);
    expect(chain.account(FIRST)).toBeUndefined();
    expect(chain.account(ABSENT)).toBeUndefined();
    expect(chain.account(WITH_CODE)?.balance).toBe(0n);

    const opposed = parseChainSpec({ chainId: 1, homesteadBlock: 0, daoForkBlock: 1, daoForkSupport: false });
    state = daoAlloc();
    chain = new Blockchain(opposed, genesis(opposed, state), state);
    const b1 = chain.buildBlock({ timestamp: 1010n });
    expect(b1.header.extraData.length).toBe(0);
    chain.insertBlock(b1);
    expect(chain.account(DAO_REFUND_CONTRACT)).toBeUndefined();
    expect(chain.account(FIRST)?.balance).toBe(3n * ETH);
    const marked = chain.buildBlock({ timestamp: 1020n, extraData: DAO_FORK_EXTRA_DATA });
    expect(codeOf(() => chain.insertBlock(marked))).toBe("EXTRA_DATA_INVALID_DAO");
  });
});
