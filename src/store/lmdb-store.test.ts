import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type Block, encodeBlock, headerHash, type Receipt } from "../chain/block.js";
import { Blockchain, type GcMode } from "../chain/blockchain.js";
import { Fork } from "../evm/forks.js";
import { type Address, bytesToHex } from "../primitives/hex.js";
import { StateDB } from "../state/statedb.js";
import { txHash } from "../tx/decode.js";
import {
  decodeBadBlocks,
  decodeDiff,
  decodeOptAccount,
  decodeReceipts,
  decodeTxLocation,
  encodeBadBlocks,
  encodeDiff,
  encodeOptAccount,
  encodeReceipts,
  encodeTxLocation,
} from "./codec.js";
import type { LmdbChainStore } from "./lmdb-store.js";
import { alloc, genesisBlock, KILL, SENDER, SPEC, STORE, storeTx, tx } from "./testkit.js";

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "sonde-store-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const open = (datadir: string, gcmode?: GcMode, reexec?: number) => {
  const opts: { datadir: string; gcmode?: GcMode; reexec?: number } = { datadir };
  if (gcmode !== undefined) opts.gcmode = gcmode;
  if (reexec !== undefined) opts.reexec = reexec;
  return Blockchain.open(SPEC, genesisBlock(), alloc(), opts);
};
const hashOf = (b: Block) => bytesToHex(headerHash(b.header));
const BOB: Address = "0x00000000000000000000000000000000000000bb";
const VAL: Address = "0x00000000000000000000000000000000000000dd";

/** The state root recomputed from what stateAt(hash) reads. */
function rootAt(chain: Blockchain, hash: string): string {
  return bytesToHex(new StateDB(chain.stateAt(hash)!).stateRoot());
}

function nonceAt(chain: Blockchain, hash: string): bigint {
  return chain.stateAt(hash)?.getAccount(SENDER)?.nonce ?? 0n;
}

/** Builds and imports a block on `parent` (default head) with a storage write, a transfer and a withdrawal. */
function addBlock(chain: Blockchain, i: number, parent?: string): Block {
  const p = parent ?? chain.head.hash;
  const nonce = nonceAt(chain, p);
  const opts: Parameters<Blockchain["buildBlock"]>[0] = {
    parent: p,
    transactions: [storeTx(nonce, BigInt(i % 3), BigInt(i)), tx(nonce + 1n, BOB, BigInt(i))],
    withdrawals: [{ index: BigInt(i), validatorIndex: 0n, address: VAL, amount: BigInt(i) }],
    timestamp: chain.get(p)!.block.header.timestamp + 12n + BigInt(i % 2),
  };
  const b = chain.buildBlock(opts);
  chain.insertBlock(b);
  return b;
}

/** A cheap block: one withdrawal, no transactions. */
function addEmpty(chain: Blockchain, i: number): Block {
  const b = chain.buildBlock({
    withdrawals: [{ index: BigInt(i), validatorIndex: 0n, address: VAL, amount: 1n }],
  });
  chain.insertBlock(b);
  return b;
}

describe("store codecs", () => {
  it("round-trip receipts, diffs, accounts, tx locations and bad blocks", () => {
    const receipts: Receipt[] = [
      {
        type: 2,
        status: true,
        cumulativeGasUsed: 21000n,
        logs: [{ address: STORE, topics: [1n, 2n ** 255n], data: new Uint8Array([1, 2]) }],
        bloom: new Uint8Array(256).fill(3),
      },
      { type: 0, status: false, cumulativeGasUsed: 50000n, logs: [], bloom: new Uint8Array(256) },
      {
        type: 0,
        postState: new Uint8Array(32).fill(9),
        cumulativeGasUsed: 1n,
        logs: [],
        bloom: new Uint8Array(256),
      },
    ];
    expect(decodeReceipts(encodeReceipts(Fork.Cancun, receipts))).toEqual({ fork: Fork.Cancun, receipts });
    expect(decodeReceipts(encodeReceipts(undefined, []))).toEqual({ fork: undefined, receipts: [] });

    const diff = [
      {
        address: STORE,
        account: { nonce: 1n, balance: 0n, codeHash: new Uint8Array(32).fill(1) },
        storageReset: false,
        storage: new Map([
          [0n, 5n],
          [2n ** 256n - 1n, 0n],
        ]),
      },
      { address: KILL, account: undefined, storageReset: true, storage: new Map() },
    ];
    expect(decodeDiff(encodeDiff(diff))).toEqual(diff);
    expect(decodeOptAccount(encodeOptAccount(undefined))).toBeUndefined();
    const acc = { nonce: 3n, balance: 10n ** 20n, codeHash: new Uint8Array(0) };
    expect(decodeOptAccount(encodeOptAccount(acc))).toEqual(acc);
    const h = `0x${"ab".repeat(32)}`;
    expect(decodeTxLocation(encodeTxLocation(h, 70000))).toEqual({ blockHash: h, index: 70000 });
    const bad = [{ rlp: encodeBlock(genesisBlock()), number: 4n, hash: h, reason: "state root mismatch" }];
    expect(decodeBadBlocks(encodeBadBlocks(bad))).toEqual(bad);
  });
});

describe("LMDB chain store, archive mode", () => {
  it("reads the state of every canonical block, and everything survives a reopen", async () => {
    const dir = tempDir();
    let chain = await open(dir);
    const blocks: Block[] = [];
    for (let i = 1; i <= 6; i++) blocks.push(addBlock(chain, i));
    // Block 3 also destroys KILL (storage 1, 2) before Cancun, so it is deleted.
    const kill = chain.buildBlock({ transactions: [tx(nonceAt(chain, chain.head.hash), KILL, 0n)] });
    chain.insertBlock(kill);
    blocks.push(kill);
    expect(chain.account(KILL)).toBeUndefined();
    expect(chain.head.block.header.number).toBe(7n);

    const check = (c: Blockchain) => {
      expect(rootAt(c, c.genesis.hash)).toBe(bytesToHex(c.genesis.block.header.stateRoot));
      for (const b of blocks) expect(rootAt(c, hashOf(b))).toBe(bytesToHex(b.header.stateRoot));
      // Slot i % 3 holds i after block i.
      expect(c.stateAt(hashOf(blocks[3]!))?.getAccount(STORE)?.storage).toEqual(
        new Map([
          [7n, 7n],
          [1n, 4n],
          [2n, 2n],
          [0n, 3n],
        ]),
      );
      expect(c.stateAt(hashOf(blocks[0]!))?.getAccount(BOB)?.balance).toBe(1n);
      expect(c.stateAt(c.genesis.hash)?.getAccount(BOB)).toBeUndefined();
      expect(c.stateAt(hashOf(blocks[5]!))?.getAccount(KILL)?.storage).toEqual(
        new Map([
          [1n, 1n],
          [2n, 2n],
        ]),
      );
      expect(c.account(SENDER)?.nonce).toBe(13n);
    };
    check(chain);
    const head = chain.head.hash;
    const receipts = chain.head.receipts;
    const t = txHash(blocks[2]!.transactions[1]!);
    chain.close();

    chain = await open(dir);
    expect(chain.head.hash).toBe(head);
    expect(chain.head.receipts).toEqual(receipts);
    expect(chain.canonicalAt(3n)?.hash).toBe(hashOf(blocks[2]!));
    expect(chain.canonicalAt(3n)?.block).toEqual(blocks[2]);
    expect(chain.txLocation(bytesToHex(t))).toEqual({ blockHash: hashOf(blocks[2]!), index: 1 });
    expect(chain.canonicalAt(8n)).toBeUndefined();
    check(chain);
    expect((chain.store as LmdbChainStore).checkIntegrity()).toEqual([]);
    // It keeps importing after the reopen.
    addBlock(chain, 8);
    expect(chain.head.block.header.number).toBe(8n);
    chain.close();
  });

  it("refuses a datadir of another chain, naming both genesis hashes", async () => {
    const dir = tempDir();
    const chain = await open(dir);
    const ours = chain.genesis.hash;
    chain.close();
    const other = genesisBlock(1);
    const otherHash = hashOf(other);
    await expect(Blockchain.open(SPEC, other, alloc(), { datadir: dir })).rejects.toThrow(
      `datadir ${dir} holds a chain with genesis ${ours}, but the given genesis is ${otherHash}`,
    );
    await expect(open(dir, "full")).rejects.toThrow("was created with --gcmode archive, not full");
  });

  it("unwinds and re-applies the flat state on reorgs, and reads side-branch states", async () => {
    const dir = tempDir();
    const chain = await open(dir);
    const a: Block[] = [];
    for (let i = 1; i <= 4; i++) a.push(addBlock(chain, i));
    const store = chain.store as LmdbChainStore;
    const aTx = bytesToHex(txHash(a[3]!.transactions[0]!));
    expect(chain.txLocation(aTx)?.blockHash).toBe(hashOf(a[3]!));

    // A branch from block 2: B3 destroys KILL, B4 writes other slots. Proof of stake: each import becomes the head.
    const b3 = chain.buildBlock({
      parent: hashOf(a[1]!),
      transactions: [tx(nonceAt(chain, hashOf(a[1]!)), KILL, 0n)],
      timestamp: a[1]!.header.timestamp + 5n,
    });
    expect(chain.insertBlock(b3).status).toBe("head");
    expect(chain.head.hash).toBe(hashOf(b3));
    expect(chain.canonicalAt(4n)).toBeUndefined();
    expect(chain.account(KILL)).toBeUndefined();
    expect(store.checkIntegrity()).toEqual([]);
    expect(chain.txLocation(aTx)).toBeUndefined();
    const b4 = addBlock(chain, 40);
    expect(chain.head.block.header.number).toBe(4n);
    expect(store.checkIntegrity()).toEqual([]);

    // The A branch is now a side branch: its states come from its stored diffs.
    expect(rootAt(chain, hashOf(a[3]!))).toBe(bytesToHex(a[3]!.header.stateRoot));
    expect(rootAt(chain, hashOf(a[2]!))).toBe(bytesToHex(a[2]!.header.stateRoot));
    expect(chain.stateAt(hashOf(a[3]!))?.getAccount(KILL)?.storage.get(2n)).toBe(2n);

    // Back to A, one block longer: unwind B4, B3 (restoring KILL and its storage), apply A3..A5.
    const a5 = addBlock(chain, 5, hashOf(a[3]!));
    expect(chain.head.hash).toBe(hashOf(a5));
    expect(chain.account(KILL)?.storage).toEqual(
      new Map([
        [1n, 1n],
        [2n, 2n],
      ]),
    );
    expect(store.checkIntegrity()).toEqual([]);
    expect(chain.txLocation(aTx)?.blockHash).toBe(hashOf(a[3]!));
    for (const b of [...a, a5, b3, b4]) expect(rootAt(chain, hashOf(b))).toBe(bytesToHex(b.header.stateRoot));
    // Re-importing B4 makes it the head again (no re-execution: its diff is stored).
    expect(chain.insertBlock(b4).status).toBe("head");
    expect(chain.head.hash).toBe(hashOf(b4));
    expect(store.checkIntegrity()).toEqual([]);
    chain.close();
  });

  it("keeps the 10 highest bad blocks, across a reopen", async () => {
    const dir = tempDir();
    let chain = await open(dir);
    addEmpty(chain, 0);
    const bad: string[] = [];
    for (let i = 0; i < 12; i++) {
      const b = chain.buildBlock({ extraData: new Uint8Array([i]) });
      const broken = { ...b, header: { ...b.header, stateRoot: new Uint8Array(32).fill(i + 1) } };
      expect(() => chain.insertBlock(broken)).toThrow("state root mismatch");
      bad.push(hashOf(broken));
      if (i === 5) addEmpty(chain, 1); // later bad blocks are one higher
    }
    chain.close();
    chain = await open(dir);
    const kept = chain.badBlocks();
    expect(kept).toHaveLength(10);
    // Six at number 3 first (highest number first), then four of the six at number 2.
    expect(kept.slice(0, 6).map((b) => b.hash)).toEqual(bad.slice(6));
    expect(kept.every((b) => b.reason.startsWith("state root mismatch (expected 0x"))).toBe(true);
    expect(kept[0]!.block.header.number).toBe(3n);
    expect(kept[9]!.block.header.number).toBe(2n);
    chain.close();

    // The in-memory store keeps the same bound.
    const mem = new Blockchain(SPEC, genesisBlock(), alloc());
    for (let i = 0; i < 12; i++) {
      const b = mem.buildBlock({ extraData: new Uint8Array([i]) });
      expect(() => mem.insertBlock({ ...b, header: { ...b.header, gasUsed: 1n } })).toThrow();
    }
    expect(mem.badBlocks()).toHaveLength(10);
  });
});

describe("LMDB chain store, gcmode full", () => {
  it("prunes history past 128 blocks, regenerates from a checkpoint within reexec, else fails", async () => {
    const dir = tempDir();
    let chain = await open(dir, "full");
    const store = () => chain.store as LmdbChainStore;
    const blocks: Block[] = [];
    for (let i = 1; i <= 200; i++) blocks.push(i % 50 === 0 ? addBlock(chain, i) : addEmpty(chain, i));
    expect(store().historyStart).toBe(73n);
    // Recent states: read from history.
    for (const n of [200, 150, 72]) {
      expect(rootAt(chain, hashOf(blocks[n - 1]!))).toBe(bytesToHex(blocks[n - 1]!.header.stateRoot));
    }
    // Older: re-executed from the genesis checkpoint (at most 128 blocks).
    expect(rootAt(chain, hashOf(blocks[49]!))).toBe(bytesToHex(blocks[49]!.header.stateRoot));
    expect(chain.stateAt(hashOf(blocks[49]!))?.getAccount(STORE)?.storage.get(2n)).toBe(50n);
    expect(store().checkIntegrity()).toEqual([]);
    chain.close();

    // With a smaller reexec, block 50 is too far from the checkpoint; block 20 is not.
    chain = await open(dir, "full", 32);
    expect(store().historyStart).toBe(73n);
    expect(() => chain.stateAt(hashOf(blocks[49]!))).toThrow(
      "required historical state unavailable (reexec=32)",
    );
    expect(rootAt(chain, hashOf(blocks[19]!))).toBe(bytesToHex(blocks[19]!.header.stateRoot));
    // Pruned: no history and no diffs below block 73 (block 50 changed STORE's slot 2).
    const diffs = (store() as unknown as { db: { diffs: { doesExist(k: Uint8Array): boolean } } }).db.diffs;
    expect(diffs.doesExist(headerHash(blocks[49]!.header))).toBe(false);
    expect(diffs.doesExist(headerHash(blocks[99]!.header))).toBe(true);
    // A reorg deeper than the kept history is refused and changes nothing.
    const deep = chain.buildBlock({
      parent: hashOf(blocks[9]!),
      timestamp: blocks[9]!.header.timestamp + 1n,
    });
    expect(() => chain.insertBlock(deep)).toThrow(/older than the kept state history/);
    expect(chain.head.hash).toBe(hashOf(blocks[199]!));
    expect(chain.get(hashOf(deep))).toBeUndefined();
    expect(store().checkIntegrity()).toEqual([]);
    chain.close();
  }, 60_000);
});

describe("LMDB chain store, checkpoints", () => {
  it("writes checkpoints every interval, replaces them on reorgs and regenerates from the nearest", async () => {
    const dir = tempDir();
    let chain = await Blockchain.open(SPEC, genesisBlock(), alloc(), {
      datadir: dir,
      gcmode: "full",
      checkpointInterval: 16,
      reexec: 10,
    });
    const store = () => chain.store as LmdbChainStore;
    for (let i = 1; i <= 140; i++) (i % 7 === 0 ? addBlock : addEmpty)(chain, i);
    // Reorg across the checkpoint at 144: a branch from 142 to 146.
    for (let i = 0; i < 4; i++) addBlock(chain, 1000 + i);
    const old144 = chain.canonicalAt(144n)!.hash;
    const from = chain.canonicalAt(142n)!.hash;
    const side: Block[] = [addBlock(chain, 2000, from)];
    for (let i = 1; i < 4; i++) side.push(addBlock(chain, 2000 + i));
    expect(chain.head.block.header.number).toBe(146n);
    expect(chain.canonicalAt(144n)?.hash).toBe(hashOf(side[1]!));
    expect(hashOf(side[1]!)).not.toBe(old144);
    expect(store().checkIntegrity()).toEqual([]);
    for (let i = 147; i <= 290; i++) addEmpty(chain, i);
    chain.close();

    chain = await Blockchain.open(SPEC, genesisBlock(), alloc(), { datadir: dir, reexec: 10 });
    expect(store().historyStart).toBe(163n);
    // 144 and 154 regenerate from checkpoint 144 (the new branch's block); 155 is 11 past it.
    for (const n of [144n, 150n, 154n, 112n, 16n]) {
      const b = chain.canonicalAt(n)!;
      expect(rootAt(chain, b.hash)).toBe(bytesToHex(b.block.header.stateRoot));
    }
    expect(() => chain.stateAt(chain.canonicalAt(155n)!.hash)).toThrow(
      "required historical state unavailable (reexec=10)",
    );
    expect(store().checkIntegrity()).toEqual([]);
    chain.close();
  }, 60_000);
});

describe("crash safety", () => {
  it("keeps every acknowledged block and a consistent head across SIGKILLs", async () => {
    const dir = tempDir();
    const child = join(import.meta.dirname, "crash-child.ts");
    const acked: string[] = [];
    let kills = 0;
    for (let round = 0; round < 5; round++) {
      const lines = await new Promise<string[]>((resolve, reject) => {
        const p = spawn(process.execPath, ["--import", "tsx", child, dir], {
          stdio: ["ignore", "pipe", "pipe"],
        });
        let out = "";
        let err = "";
        let timer: NodeJS.Timeout | undefined;
        p.stdout.on("data", (d: Buffer) => {
          out += d.toString();
          // Kill at a random moment once this round has committed a block.
          if (timer === undefined && out.includes("ack ")) {
            timer = setTimeout(() => p.kill("SIGKILL"), 100 + Math.floor(Math.random() * 700));
          }
        });
        p.stderr.on("data", (d: Buffer) => {
          err += d.toString();
        });
        p.on("exit", (_code, signal) => {
          if (signal !== "SIGKILL") reject(new Error(`child exited without being killed: ${err}`));
          else resolve(out.split("\n").filter((l) => l.length > 0));
        });
      });
      kills++;
      const roundAcks = lines.filter((l) => l.startsWith("ack ")).map((l) => l.slice(4));
      const tries = lines.filter((l) => l.startsWith("try ")).map((l) => l.slice(4));
      expect(roundAcks.length).toBeGreaterThan(0);
      acked.push(...roundAcks);

      const chain = await open(dir);
      const store = chain.store as LmdbChainStore;
      for (const h of acked) expect(chain.get(h)?.hash).toBe(h);
      // The head is the last acknowledged block, or the one being imported when killed.
      const last = roundAcks.at(-1)!;
      const pending = tries.at(-1)!;
      expect([last, pending]).toContain(chain.head.hash);
      if (process.env.SONDE_CRASH_LOG) {
        const state = chain.head.hash === last ? "last acknowledged" : "committed, not yet acknowledged";
        console.log(
          `round ${round}: ${roundAcks.length} acks, head ${chain.head.block.header.number} (${state})`,
        );
      }
      // Complete blocks only, canonical index and flat state consistent with the head.
      expect(store.checkIntegrity()).toEqual([]);
      expect(rootAt(chain, chain.head.hash)).toBe(bytesToHex(chain.head.block.header.stateRoot));
      chain.close();
    }
    expect(kills).toBe(5);
  }, 60_000);
});
