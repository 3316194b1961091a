import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseAddress } from "../primitives/hex.js";
import { signTransaction } from "../tx/sender.js";
import type { FeeMarketTransaction } from "../tx/types.js";
import { devAccounts, devGenesisJson } from "./devchain.js";
import { parseGenesis } from "./genesis.js";
import { DevNode } from "./node.js";

const BOB = parseAddress("0x00000000000000000000000000000000000000b0");
const GWEI = 10n ** 9n;
const alice = devAccounts()[0]!;

function transfer(nonce: bigint): FeeMarketTransaction {
  return signTransaction(
    {
      type: 2,
      chainId: 1337n,
      nonce,
      maxPriorityFeePerGas: GWEI,
      maxFeePerGas: 10n * GWEI,
      gasLimit: 21000n,
      to: BOB,
      value: 5n,
      data: new Uint8Array(0),
      accessList: [],
      yParity: 0,
      r: 0n,
      s: 0n,
    },
    alice.key,
  );
}

async function sealed(node: DevNode): Promise<void> {
  for (let i = 0; i < 100 && node.pool.size > 0; i++) await new Promise((r) => setImmediate(r));
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("DevNode with a datadir", () => {
  it("keeps its blocks, state and transaction index across a restart", async () => {
    const datadir = mkdtempSync(join(tmpdir(), "sonde-node-"));
    dirs.push(datadir);
    const genesis = parseGenesis(devGenesisJson({ timestamp: 1_700_000_000n }));
    const first = new DevNode({ genesis, store: { datadir, gcmode: "archive" } });
    const hashes: string[] = [];
    const txs: string[] = [];
    for (let n = 0n; n < 3n; n++) {
      txs.push(first.submit(transfer(n)).hash);
      await sealed(first);
    }
    const head = first.chain.head;
    expect(head.block.header.number).toBe(3n);
    for (const b of [1n, 2n, 3n]) hashes.push(first.chain.canonicalAt(b)!.hash);
    first.close();

    const second = new DevNode({ genesis, store: { datadir, gcmode: "archive" } });
    try {
      expect(second.chain.head.hash).toBe(head.hash);
      expect(second.headState().getAccount(BOB)?.balance).toBe(15n);
      expect(second.locate(txs[1]!)).toEqual({ blockHash: hashes[1], index: 0 });
      expect(second.receipts(second.chain.get(hashes[2]!)!)).toHaveLength(1);
      // An old state is still readable (archive mode).
      const at1 = second.chain.stateAt(hashes[0]!);
      expect(at1?.getAccount(BOB)?.balance).toBe(5n);
      // The chain goes on from where it was.
      second.submit(transfer(3n));
      await sealed(second);
      expect(second.chain.head.block.header.number).toBe(4n);
    } finally {
      second.close();
    }
  });

  it("refuses a datadir that holds another genesis, naming both", () => {
    const datadir = mkdtempSync(join(tmpdir(), "sonde-node-"));
    dirs.push(datadir);
    new DevNode({ genesis: parseGenesis(devGenesisJson({ timestamp: 1n })), store: { datadir } }).close();
    expect(
      () => new DevNode({ genesis: parseGenesis(devGenesisJson({ timestamp: 2n })), store: { datadir } }),
    ).toThrow(/holds a chain with genesis 0x[0-9a-f]{64}, but the given genesis is 0x[0-9a-f]{64}/);
  });
});

describe("DevNode without mining", () => {
  it("keeps sent transactions in the pool until a block is sealed explicitly", async () => {
    const node = new DevNode({ genesis: parseGenesis(devGenesisJson({ timestamp: 1n })), mining: false });
    try {
      node.submit(transfer(0n));
      node.submit(transfer(1n));
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      expect(node.chain.head.block.header.number).toBe(0n);
      expect(node.pool.status()).toEqual({ pending: 2, queued: 0 });
      const b = node.seal();
      expect(b?.block.transactions).toHaveLength(2);
      expect(node.pool.size).toBe(0);
    } finally {
      node.close();
    }
  });
});

describe("engine variants", () => {
  it("a node with --engine-variant log-topic mines the same transaction with a different log and state root", async () => {
    // Runtime: LOG1(0, 0, topic 7); STOP — deployed by init code that returns it.
    const runtime = "60075f5fa100";
    const init = `0x6006600a5f3960065ff3${runtime}`; // CODECOPY(0, 10, 6); RETURN(0, 6)
    const json = devGenesisJson({ timestamp: 1_000n });
    const good = new DevNode({ genesis: parseGenesis(json), prevRandao: "derived" });
    const bad = new DevNode({ genesis: parseGenesis(json), prevRandao: "derived" });
    bad.genesis.spec.engine = (await import("../evm/variants.js")).engineVariant("log-topic");
    try {
      expect(bad.chain.genesis.hash).toBe(good.chain.genesis.hash);
      const deploy = signTransaction(
        { ...transfer(0n), to: null, gasLimit: 100_000n, value: 0n, data: Buffer.from(init.slice(2), "hex") },
        alice.key,
      );
      const call = (to: string) =>
        signTransaction({ ...transfer(1n), to: parseAddress(to), gasLimit: 50_000n, value: 0n }, alice.key);
      const topics: bigint[][] = [];
      for (const node of [good, bad]) {
        node.setNextBlockTimestamp(2_000n);
        node.submit(deploy);
        await sealed(node);
        const created = node.head.receipts[0]!;
        expect(created.status).toBe(true);
        const address = (await import("../primitives/address.js")).createAddress(alice.address, 0n);
        node.setNextBlockTimestamp(2_012n);
        node.submit(call(address));
        await sealed(node);
        topics.push(node.head.receipts[0]!.logs.map((l) => l.topics[0]!));
      }
      expect(topics).toEqual([[7n], [6n]]);
      // Block 1 (the deploy) is identical; block 2 differs only in its receipts.
      expect(bad.chain.canonicalAt(1n)!.hash).toBe(good.chain.canonicalAt(1n)!.hash);
      expect(bad.head.block.header.stateRoot).toEqual(good.head.block.header.stateRoot);
      expect(bad.head.block.header.receiptsRoot).not.toEqual(good.head.block.header.receiptsRoot);
    } finally {
      good.close();
      bad.close();
    }
  });
});
