// The trace namespace: handler-level tests on a development node whose blocks are sealed by
// hand (block 1 deploys three contracts; block 2 holds a call through a contract that
// writes storage, a value transfer, a call that reverts and a call that creates a
// contract), then one end-to-end run over HTTP and WebSocket.
import {
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  type PublicClient,
  parseEther,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { type StartedNode, startNode } from "../cli/node.js";
import { devAccounts } from "../node/devchain.js";
import { DevNode } from "../node/node.js";
import { createAddress } from "../primitives/address.js";
import { type Address, bytesToHex, hexToBytes } from "../primitives/hex.js";
import { keccak256 } from "../primitives/keccak.js";
import { encodeTransaction } from "../tx/decode.js";
import { signTransaction } from "../tx/sender.js";
import type { FeeMarketTransaction } from "../tx/types.js";
import { RpcError } from "./errors.js";
import { DEFAULT_GAS_CAP } from "./exec.js";
import { RpcHandler } from "./server.js";
import { parityStateDiff } from "./trace.js";

const TOPIC = bytesToHex(keccak256(new TextEncoder().encode("Stored(uint256)")));
// STORE: no calldata → returns slot 0; a non-zero word → stores it in slot 0 and logs it;
// zero → revert Error("zero").
const STORE_RUNTIME = `36600c575f545f5260205ff35b5f358015603f57805f555f527f${TOPIC.slice(2)}60205fa1005b6308c379a060e01b5f5260206004526004602452637a65726f60e01b60445260645ffd`;
const deployer = (runtime: string) =>
  `0x60${(runtime.length / 2).toString(16).padStart(2, "0")}8060095f395ff3${runtime}`;
// CALLER(target): forwards its calldata to target, returns what it returns, reverts as it reverts.
const callerRuntime = (target: Address) =>
  `365f5f37 5f5f365f5f 73${target.slice(2)} 5af1 3d5f5f3e 602a57 3d5ffd 5b3d5ff3`.replace(/\s+/g, "");
// CHILD init: stores 42 in slot 0 and deploys the one-byte code 0x00.
const CHILD_INIT = "602a5f5560005f5360015ff3";
// CREATOR: CREATE(CHILD_INIT), stores the new address in slot 0.
const CREATOR_RUNTIME = `6b${CHILD_INIT}5f52600c60145ff05f5500`;
// Error("zero") as Solidity encodes it.
const ZERO_REVERT = `0x08c379a0${"20".padStart(64, "0")}${"4".padStart(64, "0")}${"7a65726f".padEnd(64, "0")}`;

const word = (n: bigint) => `0x${n.toString(16).padStart(64, "0")}`;
const hexQ = (n: bigint | number) => `0x${n.toString(16)}`;
const [alice, bob] = devAccounts();
const ALICE = alice!.address;
const BOB = bob!.address;
const COINBASE = "0x0000000000000000000000000000000000000000";
const GWEI = 1_000_000_000n;
const GAS = 300_000n;
const STORE = createAddress(ALICE, 0n);
const CALLER = createAddress(ALICE, 1n);
const CREATOR = createAddress(ALICE, 2n);
const CHILD = createAddress(CREATOR, 1n);

type Json = Record<string, unknown>;
let node: DevNode;
let rpc: RpcHandler;
const call = (method: string, ...params: unknown[]) => rpc.call(method, params);
const hashes: string[] = [];
let a: string;
let b: string;
let c: string;
let d: string;

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
    gasLimit: GAS,
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

async function receiptGas(hash: string): Promise<bigint> {
  return BigInt(((await call("eth_getTransactionReceipt", hash)) as { gasUsed: string }).gasUsed);
}

beforeAll(() => {
  node = new DevNode({ blockTime: 3600 });
  rpc = new RpcHandler({ node, gasCap: DEFAULT_GAS_CAP, clientVersion: "Sonde/test" });
  submit(0n, null, deployer(STORE_RUNTIME));
  submit(1n, null, deployer(callerRuntime(STORE)));
  submit(2n, null, deployer(CREATOR_RUNTIME));
  expect(node.seal()?.block.transactions.length).toBe(3);
  a = submit(3n, CALLER, word(7n)); // CALLER → STORE, writes slot 0
  b = submit(4n, BOB, "0x", 10n ** 18n); // value transfer
  c = submit(5n, CALLER, word(0n)); // reverts in STORE
  d = submit(6n, CREATOR, "0x"); // creates CHILD
  expect(node.seal()?.block.transactions.length).toBe(4);
});
afterAll(() => node.close());

describe("trace_replayTransaction", () => {
  it("replays a call through a contract: trace, stateDiff and vmTrace", async () => {
    const r = (await call("trace_replayTransaction", a, ["trace", "vmTrace", "stateDiff"])) as {
      output: string;
      trace: Json[];
      stateDiff: Record<string, Json>;
      vmTrace: { code: string; ops: Json[] };
    };
    expect(r.output).toBe("0x");
    // Top call as OpenEthereum: gas after the intrinsic 21140, gas used without it.
    const intrinsic = 21000n + 31n * 4n + 16n;
    expect(r.trace[0]).toEqual({
      action: {
        callType: "call",
        from: ALICE,
        gas: hexQ(GAS - intrinsic),
        input: word(7n),
        to: CALLER,
        value: "0x0",
      },
      result: { gasUsed: hexQ((await receiptGas(a)) - intrinsic), output: "0x" },
      subtraces: 1,
      traceAddress: [],
      type: "call",
    });
    expect(r.trace[1]).toMatchObject({
      action: { callType: "call", from: CALLER, to: STORE, input: word(7n), value: "0x0" },
      result: { output: "0x" },
      subtraces: 0,
      traceAddress: [0],
      type: "call",
    });
    expect(r.trace).toHaveLength(2);

    expect(Object.keys(r.stateDiff)).toEqual([COINBASE, STORE, ALICE].sort());
    expect(r.stateDiff[STORE]).toEqual({
      balance: "=",
      code: "=",
      nonce: "=",
      storage: { [word(0n)]: { "*": { from: word(0n), to: word(7n) } } },
    });
    expect(r.stateDiff[ALICE]!.nonce).toEqual({ "*": { from: "0x3", to: "0x4" } });
    expect(r.stateDiff[ALICE]!.code).toBe("=");
    expect((r.stateDiff[ALICE]!.balance as { "*": { from: string; to: string } })["*"].from).toMatch(/^0x/);

    expect(r.vmTrace.code).toBe(`0x${callerRuntime(STORE)}`);
    expect(r.vmTrace.ops[0]).toEqual({
      cost: 2,
      ex: { mem: null, push: ["0x20"], store: null, used: Number(GAS - intrinsic) - 2 },
      pc: 0,
      sub: null,
    });
    const callOp = r.vmTrace.ops.find((o) => o.pc === 31) as {
      ex: { push: string[] };
      sub: { code: string; ops: { ex: { store: unknown } | null }[] };
    };
    expect(callOp.ex.push).toEqual(["0x1"]);
    expect(callOp.sub.code).toBe(`0x${STORE_RUNTIME}`);
    const stores = callOp.sub.ops.map((o) => o.ex?.store).filter((s) => s !== null && s !== undefined);
    expect(stores).toEqual([{ key: "0x0", val: "0x7" }]);
  });

  it("replays a value transfer", async () => {
    expect(await call("trace_replayTransaction", b, ["trace", "vmTrace"])).toEqual({
      output: "0x",
      stateDiff: null,
      trace: [
        {
          action: {
            callType: "call",
            from: ALICE,
            gas: hexQ(GAS - 21000n),
            input: "0x",
            to: BOB,
            value: "0xde0b6b3a7640000",
          },
          result: { gasUsed: "0x0", output: "0x" },
          subtraces: 0,
          traceAddress: [],
          type: "call",
        },
      ],
      vmTrace: { code: "0x", ops: [] },
    });
    const diff = (await call("trace_replayTransaction", b, ["stateDiff"])) as {
      stateDiff: Record<string, Json>;
    };
    expect(diff.stateDiff[BOB]).toEqual({
      balance: { "*": { from: hexQ(10_000n * 10n ** 18n), to: hexQ(10_001n * 10n ** 18n) } },
      code: "=",
      nonce: "=",
      storage: {},
    });
  });

  it("replays a revert with Parity's error text and the revert data as output", async () => {
    const r = (await call("trace_replayTransaction", c, ["trace"])) as { output: string; trace: Json[] };
    expect(r.output).toBe(ZERO_REVERT);
    expect(r.trace.map((t) => t.error)).toEqual(["Reverted", "Reverted"]);
    expect((r.trace[0]!.result as Json).output).toBe(ZERO_REVERT);
    const diff = (await call("trace_replayTransaction", c, ["stateDiff"])) as { stateDiff: Json };
    expect(Object.keys(diff.stateDiff)).toEqual([COINBASE, ALICE].sort());
  });

  it("replays a creation: create trace and born account", async () => {
    const r = (await call("trace_replayTransaction", d, ["trace", "stateDiff"])) as {
      trace: Json[];
      stateDiff: Record<string, Json>;
    };
    expect(r.trace[1]).toMatchObject({
      action: { creationMethod: "create", from: CREATOR, init: `0x${CHILD_INIT}`, value: "0x0" },
      result: { address: CHILD, code: "0x00" },
      subtraces: 0,
      traceAddress: [0],
      type: "create",
    });
    expect(r.stateDiff[CHILD]).toEqual({
      balance: { "+": "0x0" },
      code: { "+": "0x00" },
      nonce: { "+": "0x1" },
      storage: { [word(0n)]: { "+": word(42n) } },
    });
    expect(r.stateDiff[CREATOR]).toEqual({
      balance: "=",
      code: "=",
      nonce: { "*": { from: "0x1", to: "0x2" } },
      storage: { [word(0n)]: { "*": { from: word(0n), to: word(BigInt(CHILD)) } } },
    });
  });

  it("rejects unknown transactions and trace types", async () => {
    const nf = await rpcError("trace_replayTransaction", word(1n), ["trace"]);
    expect(nf.code).toBe(-32000);
    expect(nf.message).toBe(`transaction ${word(1n)} not found`);
    const bad = await rpcError("trace_replayTransaction", a, ["trace", "foo"]);
    expect(bad.code).toBe(-32602);
    expect(bad.message).toBe(
      'invalid argument 1: unknown trace type "foo", expected "trace", "vmTrace" or "stateDiff"',
    );
    expect((await rpcError("trace_replayTransaction", a, "trace")).code).toBe(-32602);
    expect((await rpcError("trace_replayTransaction", a)).message).toBe(
      "missing value for required argument 1",
    );
  });
});

describe("localized traces", () => {
  it("trace_transaction and trace_block carry the block and transaction", async () => {
    const b2 = node.chain.canonicalAt(2n)!;
    const t = (await call("trace_transaction", a)) as Json[];
    expect(t).toHaveLength(2);
    for (const e of t) {
      expect(e).toMatchObject({
        blockHash: b2.hash,
        blockNumber: 2,
        transactionHash: a,
        transactionPosition: 0,
      });
    }
    const replayed = (await call("trace_replayTransaction", a, ["trace"])) as { trace: Json[] };
    expect(
      t.map(({ action, result, subtraces, traceAddress, type }) => ({
        action,
        result,
        subtraces,
        traceAddress,
        type,
      })),
    ).toEqual(replayed.trace);
    expect(await call("trace_transaction", word(1n))).toBeNull();

    const block = (await call("trace_block", "0x2")) as Json[];
    expect(block.map((e) => e.transactionPosition)).toEqual([0, 0, 1, 2, 2, 3, 3]);
    expect(block.map((e) => e.transactionHash)).toEqual([a, a, b, c, c, d, d]);
    expect(block.slice(0, 2)).toEqual(t);
    expect(await call("trace_block", "0x0")).toEqual([]);
    expect(await call("trace_block", "0x99")).toBeNull();
  });

  it("trace_replayBlockTransactions replays every transaction of a block", async () => {
    const r = (await call("trace_replayBlockTransactions", "0x2", ["trace"])) as {
      transactionHash: string;
      trace: Json[];
      stateDiff: unknown;
      vmTrace: unknown;
      output: string;
    }[];
    expect(r.map((e) => e.transactionHash)).toEqual([a, b, c, d]);
    expect(r.map((e) => e.trace.length)).toEqual([2, 1, 2, 2]);
    expect(r.every((e) => e.stateDiff === null && e.vmTrace === null)).toBe(true);
    expect(r[2]!.output).toBe(ZERO_REVERT);
    expect(r[0]!.trace[0]).not.toHaveProperty("blockHash");
    const diffs = (await call("trace_replayBlockTransactions", "latest", ["stateDiff"])) as {
      stateDiff: Record<string, Json>;
    }[];
    expect(diffs[3]!.stateDiff[CHILD]!.code).toEqual({ "+": "0x00" });
  });

  it("trace_filter selects by sender and receiver, with after and count", async () => {
    const toStore = (await call("trace_filter", {
      fromBlock: "0x1",
      toBlock: "0x2",
      toAddress: [STORE],
    })) as Json[];
    // STORE's own creation (its new address is the receiver), then the two calls into it.
    expect(toStore.map((t) => [t.transactionHash, t.traceAddress])).toEqual([
      [hashes[0], []],
      [a, [0]],
      [c, [0]],
    ]);
    const fromAlice = (await call("trace_filter", {
      fromBlock: "0x1",
      toBlock: "latest",
      fromAddress: [ALICE],
    })) as Json[];
    expect(fromAlice.map((t) => t.transactionHash)).toEqual(hashes);
    const toCaller = (await call("trace_filter", { fromBlock: "0x1", toAddress: [CALLER] })) as Json[];
    expect(toCaller.map((t) => t.transactionHash)).toEqual([hashes[1], a, c]);
    const page = (await call("trace_filter", {
      fromBlock: "0x1",
      toBlock: "0x2",
      fromAddress: [ALICE],
      after: 1,
      count: 2,
    })) as Json[];
    expect(page).toEqual(fromAlice.slice(1, 3));
    const fromCreator = (await call("trace_filter", { fromAddress: [CREATOR] })) as Json[];
    expect(fromCreator).toHaveLength(1);
    expect(fromCreator[0]!.type).toBe("create");
  });

  it("trace_filter refuses ranges over 100 blocks and bad filters", async () => {
    const big = await rpcError("trace_filter", { fromBlock: "0x0", toBlock: "0x200" });
    expect(big.code).toBe(-32000);
    expect(big.message).toBe(
      "block range too large: 513 blocks (0 to 512), at most 100 per trace_filter request",
    );
    expect((await rpcError("trace_filter", { fromBlock: "0x2", toBlock: "0x1" })).message).toBe(
      "invalid block range: fromBlock 2 is after toBlock 1",
    );
    expect((await rpcError("trace_filter", { fromBlock: "0x2", toBlock: "0x50" })).message).toBe(
      "block 3 not found",
    );
    const addr = await rpcError("trace_filter", { fromAddress: ["0x1234"] });
    expect(addr.code).toBe(-32602);
    expect(addr.message).toMatch(/^invalid argument 0: fromAddress\[0\]: /);
  });
});

describe("trace_call, trace_callMany, trace_rawTransaction", () => {
  it("trace_call traces a call on a block's state without changing it", async () => {
    const r = (await call("trace_call", { from: ALICE, to: CALLER, data: word(9n) }, [
      "trace",
      "stateDiff",
    ])) as {
      trace: Json[];
      stateDiff: Record<string, Json>;
    };
    expect(r.trace).toHaveLength(2);
    // The gas cap (50M) is lowered to the Osaka per-transaction cap, 2^24.
    expect((r.trace[0]!.action as Json).gas).toBe(hexQ(2n ** 24n - 21140n));
    expect(r.stateDiff[STORE]!.storage).toEqual({ [word(0n)]: { "*": { from: word(7n), to: word(9n) } } });
    expect(await call("eth_call", { to: STORE }, "latest")).toBe(word(7n));
    // At block 1 the slot was still empty.
    const at1 = (await call(
      "trace_call",
      { from: ALICE, to: CALLER, data: word(9n) },
      ["stateDiff"],
      "0x1",
    )) as {
      stateDiff: Record<string, Json>;
    };
    expect(at1.stateDiff[STORE]!.storage).toEqual({ [word(0n)]: { "*": { from: word(0n), to: word(9n) } } });
    const poor = await rpcError("trace_call", { from: BOB, to: STORE, value: hexQ(10n ** 30n) }, ["trace"]);
    expect(poor.code).toBe(-32000);
    expect(poor.message).toMatch(/^err: insufficient funds for gas \* price \+ value/);
  });

  it("trace_callMany runs each call on the state the previous one left", async () => {
    const r = (await call("trace_callMany", [
      [{ from: ALICE, to: CALLER, data: word(9n) }, ["stateDiff"]],
      [{ from: ALICE, to: STORE }, ["trace"]],
      [{ from: ALICE, to: CALLER, data: word(10n) }, ["stateDiff"]],
    ])) as { output: string; trace: Json[]; stateDiff: Record<string, Json> | null }[];
    expect(r).toHaveLength(3);
    expect(r[0]!.trace).toEqual([]);
    expect(r[0]!.stateDiff![STORE]!.storage).toEqual({
      [word(0n)]: { "*": { from: word(7n), to: word(9n) } },
    });
    expect(r[1]!.output).toBe(word(9n));
    expect(r[1]!.stateDiff).toBeNull();
    expect(r[1]!.trace[0]).toMatchObject({
      action: { from: ALICE, to: STORE },
      result: { output: word(9n) },
    });
    expect(r[2]!.stateDiff![STORE]!.storage).toEqual({
      [word(0n)]: { "*": { from: word(9n), to: word(10n) } },
    });
    // Alice's nonce moves on from call to call.
    expect(r[2]!.stateDiff![ALICE]!.nonce).toEqual({ "*": { from: "0x9", to: "0xa" } });
    const bad = await rpcError("trace_callMany", [[{ to: STORE }]]);
    expect(bad.code).toBe(-32602);
    expect(bad.message).toBe("invalid argument 0: [0]: expected a [call, traceTypes] pair");
  });

  it("trace_rawTransaction traces a signed transaction on the latest state", async () => {
    const nonce = BigInt((await call("eth_getTransactionCount", ALICE, "latest")) as string);
    const head = node.head.hash;
    const raw = bytesToHex(encodeTransaction(signed(nonce, STORE, word(11n))));
    const r = (await call("trace_rawTransaction", raw, ["trace", "stateDiff"])) as {
      trace: Json[];
      stateDiff: Record<string, Json>;
    };
    expect(r.trace[0]).toMatchObject({ action: { from: ALICE, to: STORE, input: word(11n) }, type: "call" });
    expect(r.stateDiff[STORE]!.storage).toEqual({ [word(0n)]: { "*": { from: word(7n), to: word(11n) } } });
    expect(node.head.hash).toBe(head);
    expect(node.pool.size).toBe(0);
    const stale = await rpcError(
      "trace_rawTransaction",
      bytesToHex(encodeTransaction(signed(0n, STORE, word(11n)))),
      ["trace"],
    );
    expect(stale.code).toBe(-32000);
    expect(stale.message).toMatch(/nonce too low/);
    const junk = await rpcError("trace_rawTransaction", "0x1234", ["trace"]);
    expect(junk.message).toMatch(/^invalid transaction: /);
  });
});

describe("trace_get", () => {
  it("answers the trace at an index path of trace_transaction, or null", async () => {
    const t = (await call("trace_transaction", a)) as Json[];
    expect(t.map((e) => e.traceAddress)).toEqual([[], [0]]);
    expect(await call("trace_get", a, [])).toEqual(t[0]);
    expect(await call("trace_get", a, ["0x0"])).toEqual(t[1]);
    expect(await call("trace_get", a, [0])).toEqual(t[1]);
    expect(await call("trace_get", a, ["0x1"])).toBeNull();
    expect(await call("trace_get", a, [0, 0])).toBeNull();
    expect(await call("trace_get", word(1n), ["0x0"])).toBeNull();
    const bad = await rpcError("trace_get", a, "0x0");
    expect(bad.code).toBe(-32602);
    expect(bad.message).toBe("invalid argument 1: expected an array of trace indices");
  });

  it("follows nested paths: [0, 0] is the first subcall of the first subcall", async () => {
    // A new block: deploy OUTER (forwards to CALLER), then call OUTER → CALLER → STORE.
    const OUTER = createAddress(ALICE, 7n);
    submit(7n, null, deployer(callerRuntime(CALLER)));
    const nested = submit(8n, OUTER, word(9n));
    expect(node.seal()?.block.transactions.length).toBe(2);
    const t = (await call("trace_transaction", nested)) as Json[];
    expect(t.map((e) => e.traceAddress)).toEqual([[], [0], [0, 0]]);
    const inner = (await call("trace_get", nested, ["0x0", "0x0"])) as Json;
    expect(inner).toEqual(t[2]);
    expect(inner.action).toMatchObject({ from: CALLER, to: STORE, callType: "call" });
    expect(inner.transactionHash).toBe(nested);
    expect(((await call("trace_get", nested, ["0x0"])) as Json).action).toMatchObject({
      from: OUTER,
      to: CALLER,
    });
  });
});

describe("parityStateDiff", () => {
  it("turns removed accounts into '-' and skips touched empty ones", () => {
    const x = "0x00000000000000000000000000000000000000aa";
    const y = "0x0000000000000000000000000000000000000001";
    expect(
      parityStateDiff({
        pre: { [x]: { balance: "0x5", code: "0x00", nonce: 1, storage: { [word(1n)]: word(2n) } } },
        post: { [y]: { codeHash: word(0n) } },
      }),
    ).toEqual({
      [x]: {
        balance: { "-": "0x5" },
        code: { "-": "0x00" },
        nonce: { "-": "0x1" },
        storage: { [word(1n)]: { "-": word(2n) } },
      },
    });
  });
});

describe("end to end over HTTP and WebSocket", () => {
  let started: StartedNode;
  beforeAll(async () => {
    const apis = new Set(["eth", "net", "web3", "debug", "trace"]);
    started = await startNode({
      http: { host: "127.0.0.1", port: 0, apis },
      ws: { host: "127.0.0.1", port: 0, apis },
      blockTime: 0,
      gcmode: "full",
    });
  });
  afterAll(async () => {
    await started?.close();
  });

  it("traces a transfer sent with viem and streams debug_traceChain", async () => {
    const url = started.server.httpUrl;
    const chain = defineChain({
      id: 1337,
      name: "sonde",
      nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
      rpcUrls: { default: { http: [url] } },
    });
    const client = createPublicClient({ transport: http(url), pollingInterval: 50 }) as PublicClient;
    const wallet = createWalletClient({
      account: privateKeyToAccount(bytesToHex(alice!.key) as `0x${string}`),
      chain,
      transport: http(url),
    });
    const hash = await wallet.sendTransaction({ to: BOB as `0x${string}`, value: parseEther("2") });
    const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 50 });
    const traces = (await client.request({
      method: "trace_transaction" as never,
      params: [hash] as never,
    })) as Json[];
    expect(traces).toEqual([
      {
        action: {
          callType: "call",
          from: ALICE,
          gas: "0x0",
          input: "0x",
          to: BOB,
          value: hexQ(2n * 10n ** 18n),
        },
        blockHash: receipt.blockHash,
        blockNumber: Number(receipt.blockNumber),
        result: { gasUsed: "0x0", output: "0x" },
        subtraces: 0,
        traceAddress: [],
        transactionHash: hash,
        transactionPosition: 0,
        type: "call",
      },
    ]);
    const replay = (await client.request({
      method: "trace_replayTransaction" as never,
      params: [hash, ["vmTrace"]] as never,
    })) as Json;
    expect(replay).toEqual({ output: "0x", stateDiff: null, trace: [], vmTrace: { code: "0x", ops: [] } });

    const ws = new WebSocket(started.server.wsUrl!);
    await new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    });
    try {
      const messages: Json[] = [];
      const waiters: (() => void)[] = [];
      ws.on("message", (m) => {
        messages.push(JSON.parse(m.toString()));
        for (const w of waiters.splice(0)) w();
      });
      const until = async (pred: () => boolean) => {
        for (let i = 0; i < 200 && !pred(); i++) await new Promise<void>((r) => waiters.push(r));
      };
      ws.send(
        JSON.stringify({
          jsonrpc: "2.0",
          id: 1,
          method: "debug_subscribe",
          params: ["traceChain", "0x0", hexQ(receipt.blockNumber), { tracer: "callTracer" }],
        }),
      );
      await until(() => messages.some((m) => m.method === "debug_subscription"));
      const sub = messages.find((m) => m.id === 1)!.result as string;
      const note = messages.find((m) => m.method === "debug_subscription")!.params as {
        subscription: string;
        result: { block: string; hash: string; traces: { txHash: string; result: Json }[] };
      };
      expect(note.subscription).toBe(sub);
      expect(note.result.block).toBe(hexQ(receipt.blockNumber));
      expect(note.result.hash).toBe(receipt.blockHash);
      expect(note.result.traces[0]!.txHash).toBe(hash);
      expect(note.result.traces[0]!.result).toMatchObject({ type: "CALL", from: ALICE, to: BOB });
    } finally {
      ws.close();
    }
  });
});
