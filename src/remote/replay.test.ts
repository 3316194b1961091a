import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyTransaction, type TxResult } from "../block/apply.js";
import { processBeaconBlockRoot } from "../block/system.js";
import type { BlockContext } from "../evm/context.js";
import { Fork } from "../evm/forks.js";
import { type Address, bytesToHex, hexToBytes } from "../primitives/hex.js";
import { keccak256 } from "../primitives/keccak.js";
import { privateKeyToAddress } from "../primitives/secp256k1.js";
import { formatTransaction } from "../rpc/format.js";
import { MemoryState, StateDB, storageRoot } from "../state/statedb.js";
import { runTrace, type TraceConfig } from "../tracers/index.js";
import { encodeTransaction, txHash } from "../tx/decode.js";
import { signAuthorization, signTransaction } from "../tx/sender.js";
import type { Transaction } from "../tx/types.js";
import { replayBlock, replayTransaction, transactionFromJson } from "./replay.js";
import { RpcClient } from "./rpc-client.js";

type Json = Record<string, unknown>;
const q = (n: bigint | number) => `0x${n.toString(16)}`;
const GWEI = 10n ** 9n;
const ETHER = 10n ** 18n;
const CHAIN_ID = 1337n;

// ---------------------------------------------------------------- a hand-made chain

const K1 = new Uint8Array(32).fill(0x11);
const K2 = new Uint8Array(32).fill(0x22);
const S1 = privateKeyToAddress(K1);
const S2 = privateKeyToAddress(K2);
const C: Address = "0x000000000000000000000000000000000000c0c0";
const D: Address = "0x000000000000000000000000000000000000d0d0";
const GONE: Address = "0x000000000000000000000000000000000000dead";
const COINBASE: Address = "0x000000000000000000000000000000000000c01b";
const HASHES = [`0x${"10".repeat(32)}`, `0x${"11".repeat(32)}`, `0x${"12".repeat(32)}`];

// C: slot0 += 1, then CALL D.
const CODE_C = hexToBytes(`0x600054600101600055600060006000600060007${`3${D.slice(2)}`}5af15000`);
// D: BLOCKHASH(0) ^ BLOCKHASH(1) to memory, LOG1(topic SLOAD(5)), BALANCE(GONE), STOP.
const CODE_D = hexToBytes(`0x60004060014018600052600554602060${"00"}a17${`3${GONE.slice(2)}`}315000`);

interface Acc {
  nonce: bigint;
  balance: bigint;
  code: Uint8Array;
  storage: Map<bigint, bigint>;
}
/** The state after block 1 (the replayed block's parent). */
const PARENT_STATE: Record<Address, Acc> = {
  [S1]: { nonce: 0n, balance: 10n * ETHER, code: new Uint8Array(0), storage: new Map() },
  [C]: { nonce: 1n, balance: 0n, code: CODE_C, storage: new Map([[0n, 7n]]) },
  [D]: { nonce: 1n, balance: 0n, code: CODE_D, storage: new Map([[5n, 0xabcn]]) },
};

const fees = { maxFeePerGas: 10n * GWEI, maxPriorityFeePerGas: GWEI };
const TXS: Transaction[] = [
  signTransaction(
    {
      type: 0,
      chainId: CHAIN_ID,
      nonce: 0n,
      gasPrice: 10n * GWEI,
      gasLimit: 21_000n,
      to: S2,
      value: ETHER,
      data: new Uint8Array(0),
      v: 0n,
      r: 0n,
      s: 0n,
    },
    K1,
  ),
  signTransaction(
    {
      type: 2,
      chainId: CHAIN_ID,
      nonce: 1n,
      ...fees,
      gasLimit: 200_000n,
      to: C,
      value: 0n,
      data: new Uint8Array([1, 2]),
      accessList: [],
      yParity: 0,
      r: 0n,
      s: 0n,
    },
    K1,
  ),
  // From an account that only exists thanks to transaction 0.
  signTransaction(
    {
      type: 2,
      chainId: CHAIN_ID,
      nonce: 0n,
      ...fees,
      gasLimit: 200_000n,
      to: C,
      value: 5n,
      data: new Uint8Array(0),
      accessList: [],
      yParity: 0,
      r: 0n,
      s: 0n,
    },
    K2,
  ),
];
const TX_HASHES = TXS.map((t) => bytesToHex(txHash(t)));
const SENDERS = [S1, S1, S2];

const HEADER: Json = {
  number: "0x2",
  hash: HASHES[2],
  parentHash: HASHES[1],
  sha3Uncles: `0x${"00".repeat(32)}`,
  miner: COINBASE,
  stateRoot: `0x${"00".repeat(32)}`,
  transactionsRoot: `0x${"00".repeat(32)}`,
  receiptsRoot: `0x${"00".repeat(32)}`,
  logsBloom: `0x${"00".repeat(256)}`,
  difficulty: "0x0",
  gasLimit: q(30_000_000),
  gasUsed: "0x0",
  timestamp: q(1000),
  extraData: "0x",
  mixHash: `0x${"42".repeat(32)}`,
  nonce: "0x0000000000000000",
  baseFeePerGas: q(GWEI),
  withdrawalsRoot: `0x${"00".repeat(32)}`,
  blobGasUsed: "0x0",
  excessBlobGas: "0x0",
  parentBeaconBlockRoot: `0x${"be".repeat(32)}`,
};

function blockContext(): BlockContext {
  return {
    coinbase: COINBASE,
    number: 2n,
    timestamp: 1000n,
    gasLimit: 30_000_000n,
    difficulty: 0n,
    prevRandao: BigInt(`0x${"42".repeat(32)}`),
    baseFee: GWEI,
    blobBaseFee: 1n,
    chainId: CHAIN_ID,
    getBlockHash: (n) => BigInt(HASHES[Number(n)]!),
  };
}

/** Sonde on the whole parent state in memory: the results a lazy replay must reproduce. */
function reference(config: TraceConfig | null): { results: unknown[]; receipts: TxResult[] } {
  const mem = new MemoryState();
  for (const [a, acc] of Object.entries(PARENT_STATE))
    mem.accounts.set(a, { ...acc, storage: new Map(acc.storage) });
  const db = new StateDB(mem);
  const ctx = blockContext();
  processBeaconBlockRoot(db, ctx, Fork.Cancun, BigInt(HEADER.parentBeaconBlockRoot as string));
  const results: unknown[] = [];
  const receipts: TxResult[] = [];
  let used = 0n;
  TXS.forEach((tx, i) => {
    const opts = { blockGasAvailable: 30_000_000n - used, maxBlobsPerBlock: 6 };
    if (config === null) {
      receipts.push(applyTransaction(db, ctx, tx, SENDERS[i]!, Fork.Cancun, null, opts));
    } else {
      const run = runTrace(config, { fork: Fork.Cancun }, (hooks) =>
        applyTransaction(db, ctx, tx, SENDERS[i]!, Fork.Cancun, hooks, opts),
      );
      receipts.push(run.value!);
      results.push(JSON.parse(JSON.stringify(run.tracer.getResult())));
    }
    used += receipts[i]!.gasUsed;
  });
  return { results, receipts };
}

// ---------------------------------------------------------------- the fake endpoint

interface FakeOptions {
  proof?: boolean;
  accessList?: boolean;
  auth?: string;
  /** Added to every receipt's gasUsed (a chain that disagrees with the replay). */
  receiptGasDelta?: bigint;
  /** Breaks the JSON input field of transaction 1 (so only its raw bytes hash right). */
  tamperInput?: boolean;
}

interface Fake {
  url: string;
  calls: string[];
  server: Server;
}

const RECEIPTS = reference(null).receipts;

function startFake(opts: FakeOptions = {}): Promise<Fake> {
  const calls: string[] = [];
  const place = (i: number) => ({
    blockHash: HASHES[2]!,
    blockNumber: 2n,
    index: i,
    baseFee: GWEI,
    fork: Fork.Cancun,
  });
  const txJson = (i: number) => {
    const j = formatTransaction(TXS[i]!, SENDERS[i]!, place(i), TX_HASHES[i]);
    if (opts.tamperInput && i === 1) j.input = "0x0103";
    return j;
  };
  const receipt = (i: number) => ({
    transactionHash: TX_HASHES[i],
    blockNumber: "0x2",
    gasUsed: q(RECEIPTS[i]!.gasUsed + (opts.receiptGasDelta ?? 0n)),
    status: RECEIPTS[i]!.success ? "0x1" : "0x0",
  });
  const account = (a: string) =>
    PARENT_STATE[a] ?? {
      nonce: 0n,
      balance: 0n,
      code: new Uint8Array(0),
      storage: new Map<bigint, bigint>(),
    };
  const answer = (c: { id: number; method: string; params: unknown[] }): Json => {
    const ok = (result: unknown) => ({ jsonrpc: "2.0", id: c.id, result });
    const fail = (code: number, message: string) => ({ jsonrpc: "2.0", id: c.id, error: { code, message } });
    const p = c.params as string[];
    calls.push(`${c.method}${c.method.startsWith("eth_get") && typeof p[0] === "string" ? `:${p[0]}` : ""}`);
    const stateAt = (tag: unknown) => {
      if (tag !== "0x1") throw new Error(`state asked at ${String(tag)}, not at the parent block 0x1`);
    };
    switch (c.method) {
      case "eth_chainId":
        return ok(q(CHAIN_ID));
      case "eth_getBlockByNumber": {
        const n = Number(BigInt(p[0]!));
        if (n === 2) return ok({ ...HEADER, transactions: p[1] ? TXS.map((_, i) => txJson(i)) : TX_HASHES });
        if (n < 2) return ok({ number: q(n), hash: HASHES[n] });
        return ok(null);
      }
      case "eth_getTransactionByHash": {
        const i = TX_HASHES.indexOf(p[0]!);
        return ok(i < 0 ? null : txJson(i));
      }
      case "eth_getTransactionReceipt": {
        const i = TX_HASHES.indexOf(p[0]!);
        return ok(i < 0 ? null : receipt(i));
      }
      case "eth_getBlockReceipts":
        return ok(TXS.map((_, i) => receipt(i)));
      case "eth_getRawTransactionByHash":
        return ok(bytesToHex(encodeTransaction(TXS[TX_HASHES.indexOf(p[0]!)]!)));
      case "eth_createAccessList":
        if (!opts.accessList) return fail(-32601, "the method eth_createAccessList does not exist");
        stateAt(p[1]);
        return ok({
          accessList: (c.params[0] as Json).to === C ? [{ address: D, storageKeys: [q(5)] }] : [],
          gasUsed: "0x0",
        });
      case "eth_getProof": {
        if (opts.proof === false) return fail(-32601, "the method eth_getProof does not exist");
        stateAt(p[2]);
        const acc = account(p[0]!);
        return ok({
          nonce: q(acc.nonce),
          balance: q(acc.balance),
          codeHash: bytesToHex(keccak256(acc.code)),
          storageHash: bytesToHex(storageRoot(acc.storage)),
          storageProof: (c.params[1] as string[]).map((k) => ({
            key: k,
            value: q(acc.storage.get(BigInt(k)) ?? 0n),
          })),
        });
      }
      case "eth_getBalance":
        stateAt(p[1]);
        return ok(q(account(p[0]!).balance));
      case "eth_getTransactionCount":
        stateAt(p[1]);
        return ok(q(account(p[0]!).nonce));
      case "eth_getCode":
        stateAt(p[1]);
        return ok(bytesToHex(account(p[0]!).code));
      case "eth_getStorageAt":
        stateAt(p[2]);
        return ok(q(account(p[0]!).storage.get(BigInt(p[1]!)) ?? 0n));
      default:
        return fail(-32601, `the method ${c.method} does not exist`);
    }
  };
  const server = createServer((req, res) => {
    let text = "";
    req.on("data", (d) => {
      text += String(d);
    });
    req.on("end", () => {
      if (opts.auth !== undefined && req.headers.authorization !== opts.auth) {
        res.writeHead(401, { "content-type": "text/plain" });
        res.end("bad token");
        return;
      }
      let out: unknown;
      try {
        const body = JSON.parse(text);
        out = Array.isArray(body) ? body.map(answer) : answer(body);
      } catch (e) {
        res.writeHead(500, { "content-type": "text/plain" });
        res.end(String(e));
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(out));
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls, server }),
    ),
  );
}

const fakes: Fake[] = [];
async function fake(opts: FakeOptions = {}): Promise<Fake> {
  const f = await startFake(opts);
  fakes.push(f);
  return f;
}
afterAll(async () => {
  for (const f of fakes) {
    f.server.closeAllConnections();
    await new Promise((r) => f.server.close(r));
  }
});

const CALL_WITH_LOG: TraceConfig = { tracer: "callTracer", tracerConfig: { withLog: true } };
const PRESTATE_DIFF: TraceConfig = { tracer: "prestateTracer", tracerConfig: { diffMode: true } };
let expectedCalls: unknown[];
let expectedPrestate: unknown[];
beforeAll(() => {
  expectedCalls = reference(CALL_WITH_LOG).results;
  expectedPrestate = reference(PRESTATE_DIFF).results;
});

// ---------------------------------------------------------------- tests

describe("replayTransaction", () => {
  it("replays a transaction after the ones before it, as Sonde does on the full state", async () => {
    const f = await fake({ accessList: true });
    const report = await replayTransaction(new RpcClient(f.url), TX_HASHES[2]!, { tracer: CALL_WITH_LOG });
    expect(report.txs).toHaveLength(1);
    const t = report.txs[0]!;
    expect(t).toMatchObject({ index: 2, hash: TX_HASHES[2], from: S2, to: C, success: true });
    expect(t.gasUsed).toBe(RECEIPTS[2]!.gasUsed);
    expect(t.divergence).toBeUndefined();
    expect(t.result).toEqual(expectedCalls[2]);
    // The call tree really went through C and D, with D's log.
    expect(JSON.stringify(t.result)).toContain(D);
    expect(report.fork).toBe(Fork.Cancun);
    expect(report.forkSource).toBe("header fields");
    expect(report.notes).toEqual([
      "fork Cancun inferred from the block header (unknown chain 1337, no usable eth_config)",
    ]);
    // Prefetch (with the access-list hint) found all but GONE and block 0's hash: one re-run.
    expect(report.stats).toMatchObject({ reruns: 1, fetchRounds: 2, blockHashes: 1, accessLists: 3 });
    // GONE does not exist: fetched once although D reads it in transactions 1 and 2.
    expect(f.calls.filter((c) => c === `eth_getProof:${GONE}`)).toHaveLength(1);
  });

  it("gives prestateTracer's diff like the full-state run", async () => {
    const f = await fake({ accessList: true });
    const report = await replayTransaction(new RpcClient(f.url), TX_HASHES[2]!, { tracer: PRESTATE_DIFF });
    expect(report.txs[0]!.result).toEqual(expectedPrestate[2]);
  });

  it("gets the same results without proofs or hints, a miss throwing, after more re-runs", async () => {
    const f = await fake({ proof: false });
    const report = await replayTransaction(new RpcClient(f.url), TX_HASHES[2]!, {
      tracer: CALL_WITH_LOG,
      useProof: false,
      missMode: "throw",
    });
    expect(report.txs[0]!.result).toEqual(expectedCalls[2]);
    expect(f.calls.some((c) => c.startsWith("eth_getProof"))).toBe(false);
    expect(f.calls.some((c) => c.startsWith("eth_getStorageAt"))).toBe(true);
    // C's slot, D, D's slot, block 0's hash, GONE: found one at a time.
    expect(report.stats.reruns).toBeGreaterThanOrEqual(4);
    expect(report.stats.accessLists).toBe(0);
  });

  it("falls back from a refused eth_getProof and notes it", async () => {
    const f = await fake({ proof: false, accessList: true });
    const report = await replayTransaction(new RpcClient(f.url), TX_HASHES[1]!, { tracer: CALL_WITH_LOG });
    expect(report.txs[0]!.result).toEqual(expectedCalls[1]);
    expect(report.notes.some((n) => n.startsWith("eth_getProof is not usable"))).toBe(true);
  });

  it("sends the endpoint's auth header, and names the endpoint when it is missing", async () => {
    const f = await fake({ auth: "Bearer t0k3n" });
    const port = new URL(f.url).port;
    await expect(replayTransaction(new RpcClient(f.url), TX_HASHES[0]!)).rejects.toThrow(
      `http://127.0.0.1:${port} batch of 2 calls (eth_getTransactionByHash, eth_getTransactionReceipt): HTTP 401 Unauthorized: bad token`,
    );
    const report = await replayTransaction(
      new RpcClient(f.url, { headers: { Authorization: "Bearer t0k3n" } }),
      TX_HASHES[0]!,
    );
    expect(report.txs[0]!.result).toMatchObject({ type: "CALL", from: S1, to: S2, value: q(ETHER) });
  });

  it("warns when the replay disagrees with the receipt", async () => {
    const f = await fake({ receiptGasDelta: 1n });
    const report = await replayTransaction(new RpcClient(f.url), TX_HASHES[0]!, { tracer: null });
    expect(report.txs[0]!.divergence).toBe(
      "replayed gasUsed 21000, status success but the endpoint's receipt says gasUsed 21001, status success: " +
        "the replay diverged from the chain (wrong fork rules, or a state read went wrong)",
    );
  });

  it("uses the raw bytes when the JSON fields do not reproduce the hash", async () => {
    const f = await fake({ tamperInput: true });
    const report = await replayTransaction(new RpcClient(f.url), TX_HASHES[1]!, { tracer: CALL_WITH_LOG });
    expect(report.txs[0]!.result).toEqual(expectedCalls[1]);
    expect(f.calls).toContain(`eth_getRawTransactionByHash:${TX_HASHES[1]}`);
    await expect(
      replayTransaction(new RpcClient(f.url), TX_HASHES[1]!, { transactions: "fields" }),
    ).rejects.toThrow(`transaction ${TX_HASHES[1]}: its JSON fields do not reproduce its hash`);
  });

  it("runs under a forced fork", async () => {
    const f = await fake();
    const report = await replayTransaction(new RpcClient(f.url), TX_HASHES[0]!, {
      fork: Fork.Prague,
      tracer: null,
    });
    expect(report.fork).toBe(Fork.Prague);
    expect(report.forkSource).toBe("--fork");
    expect(report.notes).toEqual([]);
  });

  it("says so when the transaction is unknown", async () => {
    const f = await fake();
    const hash = `0x${"99".repeat(32)}`;
    await expect(replayTransaction(new RpcClient(f.url), hash)).rejects.toThrow(
      `transaction ${hash} not found at ${f.url}`,
    );
    await expect(replayTransaction(new RpcClient(f.url), "0x12")).rejects.toThrow(
      'not a transaction hash: "0x12"',
    );
  });
});

describe("replayBlock", () => {
  it("traces every transaction of the block in order", async () => {
    const f = await fake({ accessList: true });
    const seen: number[] = [];
    const report = await replayBlock(new RpcClient(f.url), 2n, {
      tracer: CALL_WITH_LOG,
      onProgress: (d) => seen.push(d),
    });
    expect(report.txs.map((t) => t.hash)).toEqual(TX_HASHES);
    expect(report.txs.map((t) => t.result)).toEqual(expectedCalls);
    expect(report.txs.every((t) => t.divergence === undefined && t.receipt !== undefined)).toBe(true);
    expect(seen).toEqual([1, 2, 3]);
    expect(f.calls).toContain("eth_getBlockReceipts:0x2");
  });

  it("refuses the genesis block and a block the endpoint does not have", async () => {
    const f = await fake();
    await expect(replayBlock(new RpcClient(f.url), 0n)).rejects.toThrow(
      "block 0 (genesis) has no transactions to replay",
    );
    await expect(replayBlock(new RpcClient(f.url), 9n)).rejects.toThrow(`block 9 not found at ${f.url}`);
  });
});

describe("transactionFromJson", () => {
  it("rebuilds every transaction type from its JSON form, hash for hash", () => {
    const base = {
      chainId: CHAIN_ID,
      nonce: 3n,
      gasLimit: 90_000n,
      to: C,
      value: 9n,
      data: new Uint8Array([0xaa]),
    };
    const accessList = [{ address: D, storageKeys: [1n, 2n] }];
    const auth = signAuthorization({ chainId: CHAIN_ID, address: D, nonce: 4n }, K2);
    const txs: Transaction[] = [
      { type: 0, ...base, chainId: undefined, gasPrice: 7n, v: 0n, r: 0n, s: 0n },
      { type: 1, ...base, gasPrice: 7n, accessList, yParity: 0, r: 0n, s: 0n },
      { type: 2, ...base, ...fees, accessList, yParity: 0, r: 0n, s: 0n },
      {
        type: 3,
        ...base,
        ...fees,
        maxFeePerBlobGas: 3n,
        blobVersionedHashes: [hexToBytes(`0x01${"ab".repeat(31)}`)],
        accessList,
        yParity: 0,
        r: 0n,
        s: 0n,
      },
      { type: 4, ...base, ...fees, accessList: [], authorizationList: [auth], yParity: 0, r: 0n, s: 0n },
    ].map((t) => signTransaction(t as Transaction, K1));
    for (const tx of txs) {
      const json = formatTransaction(tx, S1, {
        blockHash: HASHES[2]!,
        blockNumber: 2n,
        index: 0,
        baseFee: GWEI,
        fork: Fork.Prague,
      });
      const back = transactionFromJson(json);
      expect(bytesToHex(txHash(back))).toBe(json.hash);
    }
  });

  it("names a transaction type it cannot run", () => {
    expect(() =>
      transactionFromJson({ hash: "0x01", type: "0x7e", nonce: "0x0", gas: "0x0", r: "0x0", s: "0x0" }),
    ).toThrow(
      "transaction 0x01: transaction type 0x7e is not an Ethereum transaction type Sonde can run (an OP-stack deposit transaction)",
    );
  });
});
