import { describe, expect, it } from "vitest";
import { bytesToHex, hexToBytes } from "../primitives/hex.js";
import { keccak256 } from "../primitives/keccak.js";
import { StateDB, storageRoot } from "../state/statedb.js";
import { CodeChangeReason, NonceChangeReason } from "../tracing/hooks.js";
import {
  MissingState,
  OverlayState,
  RemoteState,
  RemoteStorage,
  RemoteStorageError,
} from "./remote-state.js";
import { RpcClient } from "./rpc-client.js";

type Json = Record<string, unknown>;
interface Acc {
  nonce: bigint;
  balance: bigint;
  code: string;
  storage: Record<string, bigint>;
}

const A = "0x00000000000000000000000000000000000000aa";
const B = "0x00000000000000000000000000000000000000bb";
const GONE = "0x00000000000000000000000000000000000000cc";
const EOA = "0x00000000000000000000000000000000000000dd";

/** The state at block 7 (the only block this fake endpoint answers for). */
const STATE: Record<string, Acc> = {
  [A]: { nonce: 1n, balance: 10n, code: "0x6001", storage: { "0x1": 0x11n, "0x2": 0x22n } },
  [B]: { nonce: 0n, balance: 5n, code: "0x", storage: {} },
  [EOA]: { nonce: 3n, balance: 0n, code: "0x", storage: {} },
};

const q = (n: bigint) => `0x${n.toString(16)}`;

/** A fetch that answers JSON-RPC from STATE and logs every call as "method:address". */
function fakeFetch(opts: { proof?: boolean } = {}) {
  const log: string[] = [];
  const answer = (c: { id: number; method: string; params: unknown[] }): Json => {
    const ok = (result: unknown) => ({ jsonrpc: "2.0", id: c.id, result });
    const [addr, x, y] = c.params as string[];
    log.push(`${c.method}:${addr}`);
    const tag = c.method === "eth_getProof" || c.method === "eth_getStorageAt" ? y : x;
    if (c.method !== "eth_getBlockByNumber" && tag !== "0x7") {
      return { jsonrpc: "2.0", id: c.id, error: { code: -32000, message: `state of ${tag} not available` } };
    }
    const acc = STATE[addr!] ?? { nonce: 0n, balance: 0n, code: "0x", storage: {} };
    const slot = (k: string) => acc.storage[q(BigInt(k))] ?? 0n;
    switch (c.method) {
      case "eth_getBalance":
        return ok(q(acc.balance));
      case "eth_getTransactionCount":
        return ok(q(acc.nonce));
      case "eth_getCode":
        return ok(acc.code);
      case "eth_getStorageAt":
        return ok(q(slot(x!)));
      case "eth_getBlockByNumber":
        return ok({
          number: addr,
          hash: `0x${"ab".repeat(31)}${BigInt(addr!).toString(16).padStart(2, "0")}`,
        });
      case "eth_getProof": {
        if (opts.proof === false)
          return { jsonrpc: "2.0", id: c.id, error: { code: -32601, message: "method not found" } };
        const storage = new Map(Object.entries(acc.storage).map(([k, v]) => [BigInt(k), v]));
        return ok({
          nonce: q(acc.nonce),
          balance: q(acc.balance),
          codeHash: bytesToHex(keccak256(hexToBytes(acc.code))),
          storageHash: bytesToHex(storageRoot(storage)),
          storageProof: (x as unknown as string[]).map((k) => ({ key: k, value: q(slot(k)), proof: [] })),
        });
      }
      default:
        return { jsonrpc: "2.0", id: c.id, error: { code: -32601, message: "method not found" } };
    }
  };
  const fetchFn = (async (_url: string, init: { body: string }) => {
    const body = JSON.parse(init.body);
    const out = Array.isArray(body) ? body.map(answer) : answer(body);
    return new Response(JSON.stringify(out), { status: 200 });
  }) as unknown as typeof fetch;
  return { fetchFn, log };
}

function remoteAt7(opts: { proof?: boolean; missMode?: "record" | "throw" } = {}) {
  const { fetchFn, log } = fakeFetch(opts);
  const client = new RpcClient("http://fake.invalid/", { fetch: fetchFn });
  const remote = new RemoteState(client, 7n, {
    ...(opts.missMode === undefined ? {} : { missMode: opts.missMode }),
    ...(opts.proof === undefined ? {} : { useProof: opts.proof }),
  });
  return { remote, log, client };
}

describe("RemoteState", () => {
  it("records a missed account, fetches it with a proof and the code, then answers from the cache", async () => {
    const { remote, log } = remoteAt7();
    expect(remote.getAccount(A)).toBeUndefined();
    expect(remote.hasMisses()).toBe(true);
    await remote.fetchMisses();
    expect(remote.hasMisses()).toBe(false);
    expect(log).toEqual([`eth_getProof:${A}`, `eth_getCode:${A}`]);
    const acc = remote.getAccount(A)!;
    expect([acc.nonce, acc.balance, bytesToHex(acc.code)]).toEqual([1n, 10n, "0x6001"]);
    expect(acc.storage).toBeInstanceOf(RemoteStorage);
    expect(remote.hasMisses()).toBe(false);
  });

  it("reads slots lazily: a miss, then the value; a slot never written reads as 0", async () => {
    const { remote, log } = remoteAt7();
    await remote.fetch({ accounts: new Set([A]), slots: new Map(), blockHashes: new Set() });
    const storage = remote.getAccount(A)!.storage;
    expect(storage.get(2n)).toBeUndefined();
    expect(storage.get(9n)).toBeUndefined();
    await remote.fetchMisses();
    expect(log.slice(2)).toEqual([`eth_getProof:${A}`]);
    expect(storage.get(2n)).toBe(0x22n);
    expect(storage.get(9n)).toBe(0n);
    expect(storage.has(9n)).toBe(false);
    expect(remote.stats.slots).toBe(2);
  });

  it("caches an account that does not exist as absent and never asks again", async () => {
    const { remote, log } = remoteAt7();
    remote.getAccount(GONE);
    await remote.fetchMisses();
    expect(remote.getAccount(GONE)).toBeUndefined();
    expect(remote.hasMisses()).toBe(false);
    await remote.fetch({
      accounts: new Set([GONE]),
      slots: new Map([[GONE, new Set([1n])]]),
      blockHashes: new Set(),
    });
    expect(log).toEqual([`eth_getProof:${GONE}`, `eth_getCode:${GONE}`]);
    expect(remote.stats).toMatchObject({ accounts: 1, absentAccounts: 1, fetchRounds: 1 });
  });

  it("keeps an account with a nonce but nothing else (it exists)", async () => {
    const { remote } = remoteAt7();
    await remote.fetch({ accounts: new Set([EOA]), slots: new Map(), blockHashes: new Set() });
    expect(remote.getAccount(EOA)?.nonce).toBe(3n);
  });

  it("throws MissingState naming what is missing in throw mode", () => {
    const { remote } = remoteAt7({ missMode: "throw" });
    let err: unknown;
    try {
      remote.getAccount(A);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MissingState);
    expect((err as MissingState).missing).toEqual({ kind: "account", address: A });
    expect((err as Error).message).toBe(`state not fetched yet: account ${A}`);
    // The miss is recorded as well, so the driver fetches it even if something swallowed the throw.
    expect(remote.takeMisses().accounts).toEqual(new Set([A]));
    expect(() => remote.blockHash(3n)).toThrow("state not fetched yet: hash of block 3");
  });

  it("falls back to plain reads when eth_getProof is refused, and says so", async () => {
    const { remote, log } = remoteAt7();
    const { fetchFn, log: log2 } = fakeFetch({ proof: false });
    const noProof = new RemoteState(new RpcClient("http://fake.invalid/", { fetch: fetchFn }), 7n);
    await noProof.fetch({
      accounts: new Set([A]),
      slots: new Map([[A, new Set([1n])]]),
      blockHashes: new Set(),
    });
    expect(log2).toEqual([
      `eth_getProof:${A}`,
      `eth_getCode:${A}`,
      `eth_getBalance:${A}`,
      `eth_getTransactionCount:${A}`,
      `eth_getCode:${A}`,
      `eth_getStorageAt:${A}`,
    ]);
    expect(noProof.notes[0]).toMatch(
      /^eth_getProof is not usable \(.*method not found.*\); reading accounts with eth_getBalance/,
    );
    expect(noProof.getAccount(A)!.storage.get(1n)).toBe(0x11n);
    // Later reads go straight to the plain methods.
    noProof.getAccount(A)!.storage.get(2n);
    await noProof.fetchMisses();
    expect(log2.slice(6)).toEqual([`eth_getStorageAt:${A}`]);
    expect(log).toEqual([]);
    void remote;
  });

  it("fetches block hashes for BLOCKHASH and knows the parent's without asking", async () => {
    const { remote, log } = remoteAt7();
    remote.knowBlockHash(7n, 0x77n);
    expect(remote.blockHash(7n)).toBe(0x77n);
    expect(remote.blockHash(3n)).toBe(0n);
    await remote.fetchMisses();
    expect(log).toEqual(["eth_getBlockByNumber:0x3"]);
    expect(remote.blockHash(3n)).toBe(BigInt(`0x${"ab".repeat(31)}03`));
  });
});

describe("RemoteStorage", () => {
  it("cannot be listed unless known to be empty", async () => {
    const { remote } = remoteAt7();
    await remote.fetch({ accounts: new Set([A, B]), slots: new Map(), blockHashes: new Set() });
    const a = remote.getAccount(A)!.storage as RemoteStorage;
    const b = remote.getAccount(B)!.storage as RemoteStorage;
    expect(a.knownEmpty).toBe(false);
    expect(() => [...a]).toThrow(RemoteStorageError);
    expect(() => a.size).toThrow(`the whole storage of ${A} would have to be listed`);
    expect(b.knownEmpty).toBe(true);
    expect([...b]).toEqual([]);
    expect(b.size).toBe(0);
    const b2 = b.withOverrides(
      new Map([
        [4n, 9n],
        [5n, 0n],
      ]),
    );
    expect([...b2]).toEqual([[4n, 9n]]);
    expect(b2.get(4n)).toBe(9n);
    expect(() => b.set()).toThrow("read-only");
  });

  it("answers StateDB's EIP-7610 storage check for a known-empty account, and refuses for an unknown one", async () => {
    const { remote } = remoteAt7();
    await remote.fetch({ accounts: new Set([A, B]), slots: new Map(), blockHashes: new Set() });
    const db = new StateDB(remote);
    expect(db.hasStorage(B)).toBe(false);
    expect(() => db.hasStorage(A)).toThrow(RemoteStorageError);
  });
});

describe("OverlayState", () => {
  it("carries one StateDB's changes to the next, storage layered on the remote slots", async () => {
    const { remote } = remoteAt7();
    await remote.fetch({
      accounts: new Set([A, B, GONE]),
      slots: new Map([[A, new Set([1n, 2n, 3n])]]),
      blockHashes: new Set(),
    });
    const overlay = new OverlayState(remote);
    const db1 = new StateDB(overlay);
    db1.setStorage(A, 1n, 0n);
    db1.setStorage(A, 3n, 0x33n);
    db1.setNonce(GONE, 1n, NonceChangeReason.EoaTransaction);
    db1.setCode(GONE, new Uint8Array([0x60]), CodeChangeReason.ContractCreation);
    db1.setStorage(GONE, 1n, 5n);
    db1.finalizeTransaction(true);
    overlay.commit(db1);

    const db2 = new StateDB(overlay);
    expect(db2.getStorage(A, 1n)).toBe(0n);
    expect(db2.getStorage(A, 2n)).toBe(0x22n);
    expect(db2.getStorage(A, 3n)).toBe(0x33n);
    expect(db2.getNonce(GONE)).toBe(1n);
    expect(db2.getStorage(GONE, 1n)).toBe(5n);
    expect(db2.getStorage(GONE, 2n)).toBe(0n);
    // The remote cache itself is unchanged.
    expect(remote.getAccount(A)!.storage.get(1n)).toBe(0x11n);
    expect(remote.getAccount(GONE)).toBeUndefined();
    expect(remote.hasMisses()).toBe(false);
  });
});
