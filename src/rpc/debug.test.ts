// Handler-level tests of the debug namespace on a development node whose blocks are sealed
// by hand: block 1 deploys three contracts, block 2 holds a call through a contract that
// writes storage, a value transfer, a call that reverts and a call that creates a contract.
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeBlock, headerHash } from "../chain/block.js";
import { devAccounts } from "../node/devchain.js";
import { DevNode } from "../node/node.js";
import { createAddress } from "../primitives/address.js";
import { type Address, bytesToHex, hexToBytes } from "../primitives/hex.js";
import { keccak256 } from "../primitives/keccak.js";
import { signTransaction } from "../tx/sender.js";
import type { FeeMarketTransaction } from "../tx/types.js";
import { TRACE_CHAIN_BACKLOG } from "./debug.js";
import { RpcError } from "./errors.js";
import { DEFAULT_GAS_CAP } from "./exec.js";
import { RpcHandler } from "./server.js";
import { type CallContext, RawJson } from "./types.js";

const TOPIC = bytesToHex(keccak256(new TextEncoder().encode("Stored(uint256)")));
// STORE: no calldata → returns slot 0; a non-zero word → stores it in slot 0 and logs it;
// zero → revert Error("zero").
const STORE_RUNTIME = `36600c575f545f5260205ff35b5f358015603f57805f555f527f${TOPIC.slice(2)}60205fa1005b6308c379a060e01b5f5260206004526004602452637a65726f60e01b60445260645ffd`;
const deployer = (runtime: string) => {
  const n = runtime.length / 2;
  return `0x60${n.toString(16).padStart(2, "0")}8060095f395ff3${runtime}`;
};
// CALLER(target): forwards its calldata to target, returns what it returns, reverts as it reverts.
const callerRuntime = (target: Address) =>
  `365f5f37 5f5f365f5f 73${target.slice(2)} 5af1 3d5f5f3e 602a57 3d5ffd 5b3d5ff3`.replace(/\s+/g, "");
// CHILD init: stores 42 in slot 0 and deploys the one-byte code 0x00.
const CHILD_INIT = "602a5f5560005f5360015ff3";
// CREATOR: CREATE(CHILD_INIT), stores the new address in slot 0.
const CREATOR_RUNTIME = `6b${CHILD_INIT}5f52600c60145ff05f5500`;

const word = (n: bigint) => `0x${n.toString(16).padStart(64, "0")}`;
const [alice, bob] = devAccounts();
const ALICE = alice!.address;
const BOB = bob!.address;
const GWEI = 1_000_000_000n;
const STORE = createAddress(ALICE, 0n);
const CALLER = createAddress(ALICE, 1n);
const CREATOR = createAddress(ALICE, 2n);

let node: DevNode;
let rpc: RpcHandler;
const call = (method: string, ...params: unknown[]) => rpc.call(method, params);
const hashes: string[] = [];

async function rpcError(method: string, ...params: unknown[]): Promise<RpcError> {
  try {
    await call(method, ...params);
  } catch (err) {
    if (err instanceof RpcError) return err;
    throw err;
  }
  throw new Error(`${method} did not fail`);
}

function signed(nonce: bigint, to: Address | null, data: string, value = 0n): FeeMarketTransaction {
  const tx: FeeMarketTransaction = {
    type: 2,
    chainId: 1337n,
    nonce,
    maxPriorityFeePerGas: GWEI,
    maxFeePerGas: 10n * GWEI,
    gasLimit: 300_000n,
    to,
    value,
    data: hexToBytes(data),
    accessList: [],
    yParity: 0,
    r: 0n,
    s: 0n,
  };
  return signTransaction(tx, alice!.key);
}

function submit(nonce: bigint, to: Address | null, data: string, value = 0n): string {
  const e = node.submit(signed(nonce, to, data, value));
  hashes.push(e.hash);
  return e.hash;
}

beforeAll(async () => {
  await (await import("../tracers/js/index.js")).initJsTracers();
  node = new DevNode({ blockTime: 3600 });
  rpc = new RpcHandler({ node, gasCap: DEFAULT_GAS_CAP, clientVersion: "Sonde/test" });
  submit(0n, null, deployer(STORE_RUNTIME));
  submit(1n, null, deployer(callerRuntime(STORE)));
  submit(2n, null, deployer(CREATOR_RUNTIME));
  expect(node.seal()?.block.transactions.length).toBe(3);
  submit(3n, CALLER, word(7n)); // a: CALLER → STORE, writes slot 0
  submit(4n, BOB, "0x", 10n ** 18n); // b: value transfer
  submit(5n, CALLER, word(0n)); // c: reverts in STORE
  submit(6n, CREATOR, "0x"); // d: creates a contract
  expect(node.seal()?.block.transactions.length).toBe(4);
});
afterAll(() => node.close());

describe("debug block tracing", () => {
  it("traces every transaction of a block by number, hash and RLP", async () => {
    const byNumber = (await call("debug_traceBlockByNumber", "0x2", { tracer: "callTracer" })) as {
      txHash: string;
      result: Record<string, unknown>;
    }[];
    expect(byNumber.map((e) => e.txHash)).toEqual(hashes.slice(3));
    const [a, b, c, d] = byNumber.map((e) => e.result);
    expect(a).toMatchObject({ type: "CALL", from: ALICE, to: CALLER, input: word(7n) });
    expect((a!.calls as Record<string, unknown>[])[0]).toMatchObject({
      type: "CALL",
      from: CALLER,
      to: STORE,
    });
    expect(b).toMatchObject({ type: "CALL", to: BOB, value: "0xde0b6b3a7640000" });
    expect(c!.error).toBe("execution reverted");
    const created = (d!.calls as Record<string, unknown>[])[0]!;
    expect(created).toMatchObject({ type: "CREATE", from: CREATOR, to: createAddress(CREATOR, 1n) });

    const b2 = node.chain.canonicalAt(2n)!;
    const byHash = await call("debug_traceBlockByHash", b2.hash, { tracer: "callTracer" });
    expect(byHash).toEqual(byNumber);
    const raw = (await call("debug_getRawBlock", "0x2")) as string;
    expect(await call("debug_traceBlock", raw, { tracer: "callTracer" })).toEqual(byNumber);
  });

  it("reports tracer failures per transaction and keeps replaying the block", async () => {
    const timedOut = (await call("debug_traceBlockByNumber", "0x2", {
      tracer: "callTracer",
      timeout: "1ns",
    })) as { txHash: string; error?: string }[];
    expect(timedOut).toEqual(hashes.slice(3).map((txHash) => ({ txHash, error: "execution timeout" })));
    // A tracer that fails on SSTORE (transactions a and d) and otherwise reports STORE's slot
    // 0 after the transaction: c must see the 7 written by a, whose trace was stopped.
    const tracer = `{step: function(log) { if (log.op.toString() === "SSTORE") throw new Error("no stores"); },
      fault: function() {},
      result: function(ctx, db) { return toHex(db.getState(toAddress("${STORE}"), toWord("0x00"))); }}`;
    const mixed = (await call("debug_traceBlockByNumber", "0x2", { tracer })) as {
      txHash: string;
      result?: string;
      error?: string;
    }[];
    expect(mixed.map((e) => e.txHash)).toEqual(hashes.slice(3));
    expect(mixed[0]!.error).toMatch(/no stores/);
    expect(mixed[1]!.result).toBe(word(7n));
    expect(mixed[2]!.result).toBe(word(7n));
    expect(mixed[3]!.error).toMatch(/no stores/);
  });

  it("refuses what cannot be traced", async () => {
    expect((await rpcError("debug_traceBlockByNumber", "0x0")).message).toBe("genesis is not traceable");
    const bad = await rpcError("debug_traceBlock", "0xc0");
    expect(bad.code).toBe(-32000);
    expect(bad.message).toMatch(/^could not decode block: /);
    expect((await rpcError("debug_traceBlock", "0x12345")).code).toBe(-32602);
    expect((await rpcError("debug_traceBlockByHash", word(5n))).message).toBe("header for hash not found");
  });

  it("gives the state root after each transaction", async () => {
    const b2 = node.chain.canonicalAt(2n)!;
    const roots = (await call("debug_intermediateRoots", b2.hash)) as string[];
    expect(roots).toHaveLength(4);
    expect(new Set(roots).size).toBe(4);
    expect(roots[3]).toBe(bytesToHex(b2.block.header.stateRoot));
    expect((await rpcError("debug_intermediateRoots", word(9n))).message).toBe(`block ${word(9n)} not found`);
  });
});

describe("debug_traceCall txIndex", () => {
  it("runs the call on the state before that transaction of the block, as go-ethereum's stateAtTransaction", async () => {
    const trace = async (block: string, config: Record<string, unknown>) =>
      (
        (await call("debug_traceCall", { to: STORE }, block, { tracer: "callTracer", ...config })) as {
          output?: string;
        }
      ).output;
    // Block 2: a (stores 7 through CALLER), b, c (reverts), d.
    expect(await trace("0x2", {})).toBe(word(7n));
    expect(await trace("0x2", { txIndex: 0 })).toBe(word(0n));
    expect(await trace("0x2", { txIndex: 1 })).toBe(word(7n));
    expect(await trace("0x2", { txIndex: "0x3" })).toBe(word(7n));
    // Block 1 deploys STORE in its first transaction: before it there is no code.
    expect(await trace("0x1", { txIndex: 0 })).toBeUndefined();
    expect(await trace("0x1", { txIndex: 1 })).toBe(word(0n));
    const b2 = node.chain.canonicalAt(2n)!;
    expect((await rpcError("debug_traceCall", { to: STORE }, "0x2", { txIndex: 4 })).message).toBe(
      `transaction index 4 out of range for block ${b2.hash}`,
    );
    expect((await rpcError("debug_traceCall", { to: STORE }, "0x0", { txIndex: 0 })).message).toBe(
      "no transaction in genesis",
    );
    expect((await rpcError("debug_traceCall", { to: STORE }, "0x2", { txIndex: -1 })).code).toBe(-32602);
  });
});

describe("debug_traceCall block", () => {
  it("refuses pending, as go-ethereum's TraceCall (block and state overrides serve future transactions)", async () => {
    for (const block of ["pending", { blockNumber: "pending" }]) {
      const err = await rpcError("debug_traceCall", { to: STORE }, block);
      expect(err).toMatchObject({ code: -32000, message: "tracing on top of pending is not supported" });
    }
    expect(await call("debug_traceCall", { to: STORE }, "latest", { tracer: "callTracer" })).toMatchObject({
      to: STORE.toLowerCase(),
    });
  });
});

describe("debug_traceChain", () => {
  it("needs a transport with notifications", async () => {
    const err = await rpcError("debug_subscribe", "traceChain", "0x0", "0x2");
    expect(err.code).toBe(-32601);
    expect(err.message).toBe("notifications not supported");
  });

  it("notifies one result per block with transactions, in order", async () => {
    const notes: unknown[] = [];
    let namespace: string | undefined;
    let cleanup: (() => void) | undefined;
    const ctx: CallContext = {
      transport: "ws",
      subscriptions: {
        subscribe: (start, ns) => {
          namespace = ns;
          cleanup = start(
            (r) => notes.push(r instanceof RawJson ? JSON.parse(r.json) : r),
            () => 0,
          );
          return "0x01";
        },
        unsubscribe: () => true,
      },
    };
    const id = await rpc.call("debug_subscribe", ["traceChain", "0x0", "0x2", { tracer: "callTracer" }], ctx);
    expect(id).toBe("0x01");
    expect(namespace).toBe("debug");
    for (let i = 0; i < 20 && notes.length < 2; i++) await new Promise((r) => setImmediate(r));
    expect(notes).toHaveLength(2);
    const [n1, n2] = notes as { block: string; hash: string; traces: { txHash: string }[] }[];
    expect(n1!.block).toBe("0x1");
    expect(n1!.hash).toBe(node.chain.canonicalAt(1n)!.hash);
    expect(n1!.traces.map((t) => t.txHash)).toEqual(hashes.slice(0, 3));
    expect(n2!.block).toBe("0x2");
    expect(n2!.traces).toHaveLength(4);
    cleanup?.();
    const back = await rpc.call("debug_subscribe", ["traceChain", "0x2", "0x1"], ctx).catch((e) => e);
    expect((back as RpcError).message).toBe("end block (#1) needs to come after start block (#2)");
  });

  it("waits while the client has more than TRACE_CHAIN_BACKLOG bytes unread", async () => {
    const notes: unknown[] = [];
    let unread = TRACE_CHAIN_BACKLOG + 1;
    let cleanup: (() => void) | undefined;
    const ctx: CallContext = {
      transport: "ws",
      subscriptions: {
        subscribe: (start) => {
          cleanup = start(
            (r) => notes.push(r),
            () => unread,
          );
          return "0x02";
        },
        unsubscribe: () => true,
      },
    };
    await rpc.call("debug_subscribe", ["traceChain", "0x0", "0x2", { tracer: "callTracer" }], ctx);
    await new Promise((r) => setTimeout(r, 200));
    expect(notes).toHaveLength(0);
    unread = 0;
    for (let i = 0; i < 100 && notes.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(notes).toHaveLength(2);
    cleanup?.();
  });
});

describe("debug_standardTraceBlockToFile", () => {
  it("writes EIP-3155 lines per transaction into temp files", async () => {
    const b2 = node.chain.canonicalAt(2n)!;
    const files = (await call("debug_standardTraceBlockToFile", b2.hash)) as string[];
    try {
      expect(files).toHaveLength(4);
      files.forEach((f, i) => {
        expect(
          f.startsWith(join(tmpdir(), `block_${b2.hash.slice(0, 10)}-${i}-${hashes[3 + i]!.slice(0, 10)}-`)),
        ).toBe(true);
      });
      const lines = readFileSync(files[0]!, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
      expect(lines[0]).toMatchObject({ pc: 0, op: 0x36, opName: "CALLDATASIZE", depth: 1 });
      expect(lines.some((l) => l.opName === "SSTORE" && l.depth === 2)).toBe(true);
      expect(lines[lines.length - 1]).toHaveProperty("gasUsed");
      // The value transfer runs no code: only the summary line.
      expect(readFileSync(files[1]!, "utf8").trim().split("\n")).toHaveLength(1);
    } finally {
      for (const f of files) unlinkSync(f);
    }
    const one = (await call("debug_standardTraceBlockToFile", b2.hash, { txHash: hashes[5] })) as string[];
    expect(one).toHaveLength(1);
    expect(one[0]).toContain(`-2-${hashes[5]!.slice(0, 10)}-`);
    unlinkSync(one[0]!);
    const missing = await rpcError("debug_standardTraceBlockToFile", b2.hash, { txHash: word(1n) });
    expect(missing.message).toBe(`transaction ${word(1n)} not found in block`);
  });
});

describe("debug storage, raw data and bad blocks", () => {
  it("lists storage in hashed-key order before a transaction", async () => {
    const b2 = node.chain.canonicalAt(2n)!;
    expect(await call("debug_storageRangeAt", b2.hash, 0, STORE, "0x", 10)).toEqual({
      storage: null,
      nextKey: null,
    });
    const hashed = bytesToHex(keccak256(hexToBytes(word(0n))));
    expect(await call("debug_storageRangeAt", b2.hash, 1, STORE, "0x", 10)).toEqual({
      storage: { [hashed]: { key: word(0n), value: word(7n) } },
      nextKey: null,
    });
    expect(await call("debug_storageRangeAt", b2.hash, 1, STORE, "0x", 0)).toEqual({
      storage: {},
      nextKey: hashed,
    });
    const after = `0x${(BigInt(hashed) + 1n).toString(16).padStart(64, "0")}`;
    expect(await call("debug_storageRangeAt", b2.hash, 3, STORE, after, 10)).toEqual({
      storage: {},
      nextKey: null,
    });
    // Block 3 (empty) sees the parent's post state: CREATOR's slot 0 holds the child's address.
    node.seal({ allowEmpty: true });
    const b3 = node.chain.canonicalAt(3n)!;
    const r = (await call("debug_storageRangeAt", b3.hash, 0, CREATOR, "0x", 1)) as {
      storage: Record<string, { value: string }>;
    };
    expect(Object.values(r.storage)[0]!.value).toBe(word(BigInt(createAddress(CREATOR, 1n))));
    const oor = await rpcError("debug_storageRangeAt", b2.hash, 4, STORE, "0x", 1);
    expect(oor.message).toBe(`transaction index 4 out of range for block ${b2.hash}`);
    expect((await rpcError("debug_storageRangeAt", b2.hash, -1, STORE, "0x", 1)).code).toBe(-32602);
  });

  it("returns raw headers, blocks, receipts and transactions", async () => {
    const b2 = node.chain.canonicalAt(2n)!;
    const header = (await call("debug_getRawHeader", "0x2")) as string;
    expect(bytesToHex(keccak256(hexToBytes(header)))).toBe(b2.hash);
    expect(await call("debug_getRawHeader", { blockHash: b2.hash })).toBe(header);
    const raw = (await call("debug_getRawBlock", b2.hash)) as string;
    expect(bytesToHex(headerHash(decodeBlock(hexToBytes(raw)).header))).toBe(b2.hash);
    const receipts = (await call("debug_getRawReceipts", "0x2")) as string[];
    expect(receipts).toHaveLength(4);
    expect(receipts.every((r) => r.startsWith("0x02f9") || r.startsWith("0x02f8"))).toBe(true);
    const tx = (await call("debug_getRawTransaction", hashes[4])) as string;
    expect(bytesToHex(keccak256(hexToBytes(tx)))).toBe(hashes[4]);
    expect(await call("debug_getRawTransaction", word(3n))).toBeNull();
    expect(await call("debug_getRawHeader", "0x99")).toBeNull();
    expect((await rpcError("debug_getRawBlock", word(3n))).message).toBe(`block ${word(3n)} not found`);
  });

  it("keeps bad blocks for getBadBlocks, traceBadBlock and intermediateRoots", async () => {
    expect(await call("debug_getBadBlocks")).toEqual([]);
    const tx = signed(7n, STORE, word(5n));
    const block = node.chain.buildBlock({ transactions: [tx] });
    block.header.stateRoot = hexToBytes(word(1n));
    expect(() => node.chain.insertBlock(block)).toThrow();
    const hash = bytesToHex(headerHash(block.header));
    const bad = (await call("debug_getBadBlocks")) as {
      hash: string;
      block: Record<string, unknown>;
      rlp: string;
    }[];
    expect(bad).toHaveLength(1);
    expect(bad[0]!.hash).toBe(hash);
    expect(bad[0]!.block).toMatchObject({ hash, number: "0x4", stateRoot: word(1n) });
    expect((bad[0]!.block.transactions as { from: string }[])[0]!.from).toBe(ALICE);
    expect(bytesToHex(headerHash(decodeBlock(hexToBytes(bad[0]!.rlp)).header))).toBe(hash);

    const traced = (await call("debug_traceBadBlock", hash, {
      tracer: "prestateTracer",
      tracerConfig: { diffMode: true },
    })) as {
      result: { post: Record<string, { storage?: Record<string, string> }> };
    }[];
    expect(traced[0]!.result.post[STORE]!.storage).toEqual({ [word(0n)]: word(5n) });
    const roots = (await call("debug_intermediateRoots", hash)) as string[];
    expect(roots).toHaveLength(1);
    expect(roots[0]).not.toBe(word(1n));
    expect((await rpcError("debug_traceBadBlock", word(2n))).message).toBe(`bad block ${word(2n)} not found`);
  });

  it("finds the first accessible state (every one on an in-memory chain)", async () => {
    expect(await call("debug_getAccessibleState", "0x0", "latest")).toBe(0);
    expect(await call("debug_getAccessibleState", "latest", "0x0")).toBe(
      Number(node.head.block.header.number),
    );
    expect((await rpcError("debug_getAccessibleState", "0x1", "0x1")).message).toBe(
      "from and to needs to be different",
    );
  });
});

describe("historical states in gcmode full", () => {
  it("regenerates what it can and reports what it cannot as -32000", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sonde-debug-"));
    const full = new DevNode({ blockTime: 3600, store: { datadir: dir, gcmode: "full" } });
    try {
      const h = new RpcHandler({ node: full, gasCap: DEFAULT_GAS_CAP, clientVersion: "Sonde/test" });
      let nonce = 0n;
      const send = () => {
        const e = full.submit(signed(nonce++, BOB, "0x", 1n));
        full.seal();
        return e.hash;
      };
      const early = send(); // block 1: regenerated from the genesis checkpoint
      for (let i = 0; i < 130; i++) full.seal({ allowEmpty: true });
      const lost = send(); // block 132: more than reexec=128 blocks after the checkpoint
      for (let i = 0; i < 130; i++) full.seal({ allowEmpty: true });
      const early1 = (await h.call("debug_traceTransaction", [early, { tracer: "callTracer" }])) as {
        to: string;
      };
      expect(early1.to).toBe(BOB);
      const wire = await h.handleText(
        JSON.stringify({ jsonrpc: "2.0", id: 1, method: "debug_traceTransaction", params: [lost] }),
        { transport: "http" },
        new Set(["debug"]),
      );
      expect(JSON.parse(wire!).error).toEqual({
        code: -32000,
        message: "required historical state unavailable (reexec=128)",
      });
      const first = (await h.call("debug_getAccessibleState", ["0x81", "latest"])) as number;
      const head = Number(full.head.block.header.number);
      expect(first).toBe(head - 128);
    } finally {
      full.close();
      rmSync(dir, { recursive: true, force: true });
    }
    expect(existsSync(dir)).toBe(false);
  }, 60_000);
});

describe("trace timeouts", () => {
  // JUMPDEST PUSH0 JUMP: loops until out of gas, with no call, no state access and no log,
  // so a tracer without a step hook sees nothing between the transaction's start and end.
  const LOOP_RUNTIME = "5b5f56";

  it("stop tracers without step hooks too, as go-ethereum cancels the EVM", async () => {
    const n = new DevNode({ blockTime: 3600 });
    try {
      const h = new RpcHandler({ node: n, gasCap: DEFAULT_GAS_CAP, clientVersion: "Sonde/test" });
      const loop = createAddress(ALICE, 0n);
      n.submit(signed(0n, null, deployer(LOOP_RUNTIME)));
      n.seal();
      const tx = n.submit(signTransaction({ ...signed(1n, loop, "0x"), gasLimit: 16_000_000n }, alice!.key));
      n.seal();
      for (const tracer of ["4byteTracer", "prestateTracer", "callTracer"]) {
        const start = performance.now();
        let err: unknown;
        try {
          await h.call("debug_traceTransaction", [tx.hash, { tracer, timeout: "5ms" }]);
        } catch (e) {
          err = e;
        }
        expect(err, tracer).toBeInstanceOf(RpcError);
        expect((err as RpcError).message).toBe("execution timeout");
        expect(performance.now() - start).toBeLessThan(1000);
        const block = (await h.call("debug_traceBlockByNumber", [
          "0x2",
          { tracer, timeout: "5ms" },
        ])) as unknown[];
        expect(block).toEqual([{ txHash: tx.hash, error: "execution timeout" }]);
      }
    } finally {
      n.close();
    }
  }, 60_000);
});

describe("trace output limit (--rpc.trace-max-size)", () => {
  // PUSH1 1 PUSH2 0x0fe0 MSTORE, then JUMPDEST PUSH1 6 JUMP until out of gas: 4 KB of
  // memory, so every struct-log step with enableMemory carries about 8.5 KB of JSON.
  const LOOP_RUNTIME = "6001610fe0525b600656";
  const LIMIT = 200_000;

  it("stops a trace whose output passes the limit, and counts a block's transactions together", async () => {
    const n = new DevNode({ blockTime: 3600 });
    try {
      const h = new RpcHandler({
        node: n,
        gasCap: DEFAULT_GAS_CAP,
        clientVersion: "Sonde/test",
        traceMaxBytes: LIMIT,
      });
      const loop = createAddress(ALICE, 0n);
      n.submit(signed(0n, null, deployer(LOOP_RUNTIME)));
      n.seal();
      const long = n.submit(signTransaction({ ...signed(1n, loop, "0x"), gasLimit: 100_000n }, alice!.key));
      n.seal();
      // Two transactions whose struct logs fit alone (about 60% of the limit each).
      const a = n.submit(signTransaction({ ...signed(2n, loop, "0x"), gasLimit: 21_480n }, alice!.key));
      const b = n.submit(signTransaction({ ...signed(3n, loop, "0x"), gasLimit: 21_480n }, alice!.key));
      n.seal();
      const fail = async (method: string, params: unknown[]): Promise<string> => {
        try {
          await h.call(method, params);
        } catch (e) {
          expect(e).toBeInstanceOf(RpcError);
          return (e as RpcError).message;
        }
        throw new Error(`${method} did not fail`);
      };
      const message = `trace output exceeds ${LIMIT} bytes, the most one response may hold (--rpc.trace-max-size): narrow the trace (the struct logger's limit, disableStack, enableMemory false; a single transaction; another tracer)`;
      expect(await fail("debug_traceTransaction", [long.hash, { enableMemory: true }])).toBe(message);
      expect(await fail("debug_traceTransaction", [long.hash, { tracer: "parityVmTrace" }])).toBe(message);
      expect(await fail("trace_replayTransaction", [long.hash, ["vmTrace"]])).toBe(message);
      expect(
        await fail("debug_traceCall", [{ to: loop, gas: "0x186a0" }, "latest", { enableMemory: true }]),
      ).toBe(message);
      // Narrower traces of the same transaction pass.
      const limited = (await h.call("debug_traceTransaction", [
        long.hash,
        { enableMemory: true, limit: 100_000 },
      ])) as {
        structLogs: unknown[];
      };
      expect(JSON.stringify(limited).length).toBeLessThan(LIMIT);
      expect(limited.structLogs.length).toBeGreaterThan(5);
      await h.call("debug_traceTransaction", [long.hash, { tracer: "callTracer" }]);
      // Each of the two fits, both together do not: the block's response fails as a whole.
      const one = JSON.stringify(
        await h.call("debug_traceTransaction", [a.hash, { enableMemory: true }]),
      ).length;
      expect(one).toBeGreaterThan(LIMIT / 2);
      expect(one).toBeLessThan(LIMIT);
      await h.call("debug_traceTransaction", [b.hash, { enableMemory: true }]);
      expect(await fail("debug_traceBlockByNumber", ["0x3", { enableMemory: true }])).toBe(message);
      expect(await h.call("debug_traceBlockByNumber", ["0x3", { tracer: "callTracer" }])).toHaveLength(2);
      // debug traceChain: block 1 is notified, block 2 with the budget's error, then the end.
      const notes: unknown[] = [];
      const ctx: CallContext = {
        transport: "ws",
        subscriptions: {
          subscribe: (start) => {
            start(
              (r) => notes.push(r instanceof RawJson ? JSON.parse(r.json) : r),
              () => 0,
            );
            return "0x03";
          },
          unsubscribe: () => true,
        },
      };
      await h.call("debug_subscribe", ["traceChain", "0x0", "0x3", { enableMemory: true }], ctx);
      for (let i = 0; i < 100 && notes.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 50));
      expect(notes).toHaveLength(2);
      expect(notes[0]).toMatchObject({ block: "0x1" });
      expect(notes[1]).toEqual({
        block: "0x2",
        hash: n.chain.canonicalAt(2n)!.hash,
        traces: [],
        error: message,
      });
      // The node goes on serving.
      expect(await h.call("eth_blockNumber", [])).toBe("0x3");
    } finally {
      n.close();
    }
  }, 60_000);
});
