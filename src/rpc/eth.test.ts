import { crc32 as zlibCrc32 } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FORK_BLOCKS_TO_LONDON } from "../chain/config.js";
import { devAccounts, devGenesisJson } from "../node/devchain.js";
import { parseGenesis } from "../node/genesis.js";
import { DevNode } from "../node/node.js";
import { bytesToHex } from "../primitives/hex.js";
import { keccak256 } from "../primitives/keccak.js";
import { encodeTransaction } from "../tx/decode.js";
import { signTransaction } from "../tx/sender.js";
import type { FeeMarketTransaction } from "../tx/types.js";
import { RpcError } from "./errors.js";
import { DEFAULT_GAS_CAP } from "./exec.js";
import { RpcHandler } from "./server.js";

// A small contract. Runtime: no calldata → returns slot 0; a non-zero word → stores it in
// slot 0 and logs it with topic keccak("Stored(uint256)"); zero → revert Error("zero").
const TOPIC = bytesToHex(keccak256(new TextEncoder().encode("Stored(uint256)")));
const RUNTIME = `0x36600c575f545f5260205ff35b5f358015603f57805f555f527f${TOPIC.slice(2)}60205fa1005b6308c379a060e01b5f5260206004526004602452637a65726f60e01b60445260645ffd`;
const INIT = `0x6063806009_5f395ff3${RUNTIME.slice(2)}`.replace("_", "");
const word = (n: bigint) => `0x${n.toString(16).padStart(64, "0")}`;

const [alice, bob] = devAccounts();
const ALICE = alice!.address;
const BOB = bob!.address;
const GWEI = 1_000_000_000n;

let node: DevNode;
let rpc: RpcHandler;
const call = (method: string, ...params: unknown[]) => rpc.call(method, params);

async function rpcError(method: string, ...params: unknown[]): Promise<RpcError> {
  try {
    await call(method, ...params);
  } catch (err) {
    if (err instanceof RpcError) return err;
    throw err;
  }
  throw new Error(`${method} did not fail`);
}

/** Waits until instant sealing has emptied the pool. */
async function mined(): Promise<void> {
  for (let i = 0; i < 100 && node.pool.size > 0; i++) await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
}

function transfer(nonce: bigint, value: bigint, over: Partial<FeeMarketTransaction> = {}): string {
  const tx: FeeMarketTransaction = {
    type: 2,
    chainId: 1337n,
    nonce,
    maxPriorityFeePerGas: GWEI,
    maxFeePerGas: 10n * GWEI,
    gasLimit: 21000n,
    to: BOB,
    value,
    data: new Uint8Array(0),
    accessList: [],
    yParity: 0,
    r: 0n,
    s: 0n,
    ...over,
  };
  return bytesToHex(encodeTransaction(signTransaction(tx, alice!.key)));
}

beforeAll(async () => {
  await (await import("../tracers/js/index.js")).initJsTracers();
  node = new DevNode();
  rpc = new RpcHandler({ node, gasCap: DEFAULT_GAS_CAP, clientVersion: "Sonde/test" });
});
afterAll(() => node.close());

describe("web3, net and chain identity", () => {
  it("answers as go-ethereum does", async () => {
    expect(await call("web3_clientVersion")).toBe("Sonde/test");
    expect(await call("web3_sha3", "0x68656c6c6f20776f726c64")).toBe(
      "0x47173285a8d7341e5e972fc677286384f802f8ef42a5ec5f03bbfa254cb01fad",
    );
    expect(await call("net_version")).toBe("1337");
    expect(await call("net_listening")).toBe(true);
    expect(await call("net_peerCount")).toBe("0x0");
    expect(await call("eth_chainId")).toBe("0x539");
    expect(await call("eth_syncing")).toBe(false);
    expect(await call("eth_accounts")).toHaveLength(10);
    expect(await call("eth_getBalance", ALICE, "earliest")).toBe("0x21e19e0c9bab2400000");
  });
});

describe("transactions through the pool", () => {
  it("mines a raw transfer and reports it like go-ethereum", async () => {
    const before = BigInt((await call("eth_getBalance", BOB, "latest")) as string);
    const hash = (await call("eth_sendRawTransaction", transfer(0n, 12345n))) as string;
    await mined();
    const r = (await call("eth_getTransactionReceipt", hash)) as Record<string, unknown>;
    expect(r.status).toBe("0x1");
    expect(r.gasUsed).toBe("0x5208");
    expect(r.from).toBe(ALICE);
    expect(r.to).toBe(BOB);
    expect(r.blockNumber).toBe("0x1");
    expect(r.contractAddress).toBeNull();
    expect(r.type).toBe("0x2");
    expect(r.logs).toEqual([]);
    // Block 1 follows an empty genesis: its base fee is 7/8 Gwei; with the 1 Gwei tip the
    // effective price is 1.875 Gwei.
    const price = (7n * GWEI) / 8n + GWEI;
    expect(r.effectiveGasPrice).toBe(`0x${price.toString(16)}`);
    expect(BigInt((await call("eth_getBalance", BOB, "latest")) as string)).toBe(before + 12345n);
    expect(await call("eth_getBalance", ALICE, "latest")).toBe(
      `0x${(10_000n * 10n ** 18n - 12345n - 21000n * price).toString(16)}`,
    );
    const tx = (await call("eth_getTransactionByHash", hash)) as Record<string, unknown>;
    expect(tx.blockNumber).toBe("0x1");
    expect(tx.transactionIndex).toBe("0x0");
    expect(tx.gasPrice).toBe(`0x${price.toString(16)}`);
    expect(tx.value).toBe("0x3039");
    const block = (await call("eth_getBlockByNumber", "0x1", true)) as Record<string, unknown>;
    expect((block.transactions as { hash: string }[])[0]!.hash).toBe(hash);
    expect(block.baseFeePerGas).toBe(`0x${((7n * GWEI) / 8n).toString(16)}`);
    expect(block.withdrawals).toEqual([]);
    expect(await call("eth_getBlockByHash", block.hash, false)).toMatchObject({ transactions: [hash] });
    expect(await call("eth_getBlockTransactionCountByNumber", "latest")).toBe("0x1");
    expect(await call("eth_getTransactionByBlockNumberAndIndex", "0x1", "0x0")).toMatchObject({ hash });
    expect(await call("eth_getTransactionByBlockHashAndIndex", block.hash, "0x1")).toBeNull();
    expect(await call("eth_getBlockReceipts", "0x1")).toHaveLength(1);
    expect(await call("eth_getTransactionCount", ALICE, "latest")).toBe("0x1");
    expect(await call("eth_getTransactionCount", ALICE, { blockNumber: "0x0" })).toBe("0x0");
    expect(await call("eth_getTransactionCount", ALICE, { blockHash: block.hash })).toBe("0x1");
  });

  it("refuses a replayed transaction with go-ethereum's error", async () => {
    const e = await rpcError("eth_sendRawTransaction", transfer(0n, 1n));
    expect(e.code).toBe(-32000);
    expect(e.message).toBe(
      "nonce too low: address 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266, tx: 0 state: 1",
    );
    const bad = await rpcError("eth_sendRawTransaction", "0x02c0");
    expect(bad.code).toBe(-32000);
    expect(bad.message).toMatch(/^invalid transaction: /);
  });
});

describe("contracts: deploy, call, estimate, logs, traces", () => {
  let contract: string;
  let setHash: string;

  it("deploys with eth_sendTransaction from a dev account", async () => {
    const hash = (await call("eth_sendTransaction", { from: ALICE, data: INIT })) as string;
    await mined();
    const r = (await call("eth_getTransactionReceipt", hash)) as Record<string, unknown>;
    expect(r.status).toBe("0x1");
    contract = r.contractAddress as string;
    expect(contract).toMatch(/^0x[0-9a-f]{40}$/);
    expect(await call("eth_getCode", contract, "latest")).toBe(RUNTIME);
    expect(await call("eth_call", { to: contract }, "latest")).toBe(word(0n));
  });

  it("sets a value, emits a log and filters it", async () => {
    setHash = (await call("eth_sendTransaction", { from: ALICE, to: contract, data: word(42n) })) as string;
    await mined();
    const r = (await call("eth_getTransactionReceipt", setHash)) as {
      logs: Record<string, unknown>[];
      blockNumber: string;
    };
    expect(r.logs).toHaveLength(1);
    expect(r.logs[0]).toMatchObject({ address: contract, topics: [TOPIC], data: word(42n), logIndex: "0x0" });
    expect(await call("eth_call", { to: contract })).toBe(word(42n));
    expect(await call("eth_getStorageAt", contract, "0x0", "latest")).toBe(word(42n));
    const logs = (await call("eth_getLogs", {
      fromBlock: "0x0",
      toBlock: "latest",
      address: contract,
      topics: [TOPIC],
    })) as unknown[];
    expect(logs).toHaveLength(1);
    expect(await call("eth_getLogs", { fromBlock: "0x0", address: [BOB] })).toEqual([]);
    expect(await call("eth_getLogs", { fromBlock: "0x0", topics: [[word(1n)]] })).toEqual([]);
    expect(
      await call("eth_getLogs", { blockHash: (r as { blockHash?: string }).blockHash ?? "" }),
    ).toHaveLength(1);
  });

  it("serves reth's and anvil's eth_getAccountInfo and eth_getAccount", async () => {
    const proof = (await call("eth_getProof", contract, [], "latest")) as Record<string, string>;
    expect(await call("eth_getAccountInfo", contract, "latest")).toEqual({
      balance: "0x0",
      nonce: "0x1",
      code: RUNTIME,
    });
    expect(await call("eth_getAccount", contract, "latest")).toEqual({
      nonce: "0x1",
      balance: "0x0",
      storageRoot: proof.storageHash,
      codeHash: bytesToHex(keccak256(Buffer.from(RUNTIME.slice(2), "hex"))),
    });
    expect(proof.storageHash).not.toBe("0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421");
    // At the genesis the contract does not exist: zeros from one, null from the other.
    expect(await call("eth_getAccountInfo", contract, "earliest")).toEqual({
      balance: "0x0",
      nonce: "0x0",
      code: "0x",
    });
    expect(await call("eth_getAccount", contract, "earliest")).toBeNull();
    await expect(call("eth_getAccount", "0x1234", "latest")).rejects.toMatchObject({ code: -32602 });
  });

  it("reports reverts with code 3, the reason and the data", async () => {
    const e = await rpcError("eth_call", { from: ALICE, to: contract, data: word(0n) });
    expect(e.code).toBe(3);
    expect(e.message).toBe("execution reverted: zero");
    expect(e.data).toMatch(/^0x08c379a0/);
    const est = await rpcError("eth_estimateGas", { from: ALICE, to: contract, data: word(0n) });
    expect(est.code).toBe(3);
    expect(est.message).toBe("execution reverted: zero");
  });

  it("estimates gas that is enough and not far above what is used", async () => {
    expect(await call("eth_estimateGas", { from: ALICE, to: BOB, value: "0x1" })).toBe("0x5208");
    const est = BigInt(
      (await call("eth_estimateGas", { from: ALICE, to: contract, data: word(7n) })) as string,
    );
    const hash = (await call("eth_sendTransaction", {
      from: ALICE,
      to: contract,
      data: word(7n),
      gas: `0x${est.toString(16)}`,
    })) as string;
    await mined();
    const r = (await call("eth_getTransactionReceipt", hash)) as { status: string; gasUsed: string };
    expect(r.status).toBe("0x1");
    expect(est).toBeGreaterThanOrEqual(BigInt(r.gasUsed));
    expect(Number(est)).toBeLessThan(Number(BigInt(r.gasUsed)) * 1.2);
    const low = await rpcError("eth_estimateGas", {
      from: ALICE,
      to: contract,
      data: word(7n),
      gas: "0x5300",
    });
    expect(low.message).toBe("gas required exceeds allowance (21248)");
  });

  it("applies state and block overrides in eth_call", async () => {
    const target = "0x00000000000000000000000000000000000000ee";
    // NUMBER PUSH0 MSTORE PUSH1 32 PUSH0 RETURN
    const code = "0x435f5260205ff3";
    expect(await call("eth_call", { to: target }, "latest", { [target]: { code } }, { number: "0x99" })).toBe(
      word(0x99n),
    );
    // SELFBALANCE PUSH0 MSTORE PUSH1 32 PUSH0 RETURN
    const bal = "0x475f5260205ff3";
    expect(
      await call("eth_call", { to: target }, "latest", { [target]: { code: bal, balance: "0x1234" } }),
    ).toBe(word(0x1234n));
    expect(
      await call("eth_call", { to: contract }, "latest", {
        [contract]: { stateDiff: { [word(0n)]: word(5n) } },
      }),
    ).toBe(word(5n));
    const both = await rpcError("eth_call", { to: contract }, "latest", {
      [contract]: { state: {}, stateDiff: {} },
    });
    expect(both.code).toBe(-32602);
    const poor = await rpcError("eth_call", {
      from: target,
      to: contract,
      gasPrice: "0x77359400",
      value: "0x1",
    });
    expect(poor.message).toBe(
      `err: insufficient funds for gas * price + value: address 0x00000000000000000000000000000000000000eE have 0 want ${50_000_000n * 2n * GWEI + 1n} (supplied gas 50000000)`,
    );
    const cheap = await rpcError("eth_call", { from: ALICE, to: contract, gasPrice: "0x1" });
    expect(cheap.message).toMatch(
      /^err: max fee per gas less than block base fee: address 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266, maxFeePerGas: 1, baseFee: \d+ \(supplied gas 50000000\)$/,
    );
  });

  it("traces a mined transaction with callTracer and the struct logger", async () => {
    const ct = (await call("debug_traceTransaction", setHash, { tracer: "callTracer" })) as Record<
      string,
      unknown
    >;
    expect(ct).toMatchObject({ type: "CALL", from: ALICE, to: contract, input: word(42n), value: "0x0" });
    const sl = (await call("debug_traceTransaction", setHash)) as {
      failed: boolean;
      structLogs: { op: string }[];
      gas: number;
    };
    expect(sl.failed).toBe(false);
    expect(sl.structLogs[0]!.op).toBe("CALLDATASIZE");
    expect(sl.structLogs.map((s) => s.op)).toContain("LOG1");
    const r = (await call("eth_getTransactionReceipt", setHash)) as { gasUsed: string };
    expect(sl.gas).toBe(Number(BigInt(r.gasUsed)));
    const js = await call("debug_traceTransaction", setHash, {
      tracer:
        "{data: [], fault: function() {}, step: function(log) { if (log.op.toString() === 'SSTORE') this.data.push(log.stack.peek(1).toString(16)); }, result: function() { return this.data; }}",
    });
    expect(js).toEqual(["2a"]);
    const tc = (await call("debug_traceCall", { from: ALICE, to: contract, data: word(0n) }, "latest", {
      tracer: "callTracer",
    })) as Record<string, unknown>;
    expect(tc).toMatchObject({ type: "CALL", error: "execution reverted", revertReason: "zero" });
    const nf = await rpcError("debug_traceTransaction", word(1n));
    expect(nf.message).toBe("transaction not found");
    const unk = await rpcError("debug_traceTransaction", setHash, { tracer: "noSuchTracer" });
    expect(unk.code).toBe(-32000);
  });
});

describe("fees", () => {
  it("answers eth_feeHistory, eth_gasPrice and eth_blobBaseFee", async () => {
    const fh = (await call("eth_feeHistory", "0x2", "latest", [50])) as Record<string, unknown[]>;
    const head = BigInt((await call("eth_blockNumber")) as string);
    expect(fh.oldestBlock).toBe(`0x${(head - 1n).toString(16)}`);
    expect(fh.baseFeePerGas).toHaveLength(3);
    expect(fh.gasUsedRatio).toHaveLength(2);
    expect(fh.reward).toHaveLength(2);
    expect(fh.baseFeePerBlobGas).toHaveLength(3);
    expect(await call("eth_blobBaseFee")).toBe("0x1");
    expect(BigInt((await call("eth_maxPriorityFeePerGas")) as string)).toBe(GWEI);
    const e = await rpcError("eth_feeHistory", "0x2", "latest", [60, 50]);
    expect(e.message).toBe("invalid reward percentile: #0:60 >= #1:50");
  });

  it("answers eth_feeHistory with blockCount 0 as go-ethereum: no data, before checking percentiles or the block", async () => {
    const empty = '{"oldestBlock":"0x0","gasUsedRatio":null}';
    expect(JSON.stringify(await call("eth_feeHistory", "0x0", "latest", [50]))).toBe(empty);
    expect(JSON.stringify(await call("eth_feeHistory", 0, "latest"))).toBe(empty);
    expect(JSON.stringify(await call("eth_feeHistory", "0x0", "latest", [60, 50]))).toBe(empty);
    expect(JSON.stringify(await call("eth_feeHistory", "0x0", "0xffffff", []))).toBe(empty);
  });

  it("has no blob base fee before Cancun (null, as go-ethereum without excessBlobGas)", async () => {
    const london = new DevNode({
      genesis: parseGenesis({
        config: {
          chainId: 4242,
          ...FORK_BLOCKS_TO_LONDON,
        },
        difficulty: "0x1",
        gasLimit: "0x1c9c380",
        baseFeePerGas: "0x3b9aca00",
        alloc: {},
      }),
      mining: false,
    });
    try {
      const h = new RpcHandler({ node: london, gasCap: DEFAULT_GAS_CAP, clientVersion: "t" });
      expect(await h.call("eth_blobBaseFee", [])).toBeNull();
      expect(await h.call("eth_gasPrice", [])).toBe("0x77359400");
    } finally {
      london.close();
    }
  });
});

describe("errors", () => {
  it("names the bad argument", async () => {
    expect((await rpcError("eth_getBalance", "f39fd6e51aad88f6f4ce6ab8827279cfffb92266")).message).toBe(
      "invalid argument 0: hex string without 0x prefix",
    );
    expect((await rpcError("eth_getBalance", "0x1234")).message).toBe(
      "invalid argument 0: hex string has length 4, want 40 for common.Address",
    );
    expect((await rpcError("eth_getBlockByNumber", "0x01")).message).toBe(
      "invalid argument 0: hex number with leading zero digits",
    );
    expect((await rpcError("eth_getBalance")).message).toBe("missing value for required argument 0");
    expect((await rpcError("eth_chainId", 1, 2)).code).toBe(-32602);
    expect((await rpcError("net_version", 1)).message).toBe("too many arguments, want at most 0");
    expect((await rpcError("eth_getBalance", ALICE, "0x999")).message).toBe("header not found");
    expect((await rpcError("eth_getBalance", ALICE, { blockHash: word(5n) })).message).toBe(
      "header for hash not found",
    );
    expect(await call("eth_getBlockByNumber", "0x999", false)).toBeNull();
    const nf = await rpcError("eth_noSuchMethod");
    expect(nf.code).toBe(-32601);
    expect(nf.message).toBe("the method eth_noSuchMethod does not exist/is not available");
    expect((await rpcError("eth_subscribe", "newHeads")).message).toBe("notifications not supported");
  });
});

describe("pool views with interval sealing", () => {
  it("shows pending and queued transactions and pending nonces", async () => {
    const slow = new DevNode({ blockTime: 3600 });
    const h = new RpcHandler({ node: slow, gasCap: DEFAULT_GAS_CAP, clientVersion: "t" });
    try {
      await h.call("eth_sendRawTransaction", [transfer(0n, 1n)]);
      await h.call("eth_sendRawTransaction", [transfer(2n, 1n)]);
      expect(await h.call("txpool_status")).toEqual({ pending: "0x1", queued: "0x1" });
      expect(await h.call("eth_getTransactionCount", [ALICE, "pending"])).toBe("0x1");
      expect(await h.call("eth_getTransactionCount", [ALICE, "latest"])).toBe("0x0");
      const content = (await h.call("txpool_content")) as Record<
        string,
        Record<string, Record<string, Record<string, unknown>>>
      >;
      const key = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
      expect(Object.keys(content.pending![key]!)).toEqual(["0"]);
      expect(Object.keys(content.queued![key]!)).toEqual(["2"]);
      expect(content.pending![key]!["0"]!.blockHash).toBeNull();
      const inspect = (await h.call("txpool_inspect")) as Record<
        string,
        Record<string, Record<string, string>>
      >;
      expect(inspect.pending![key]!["0"]).toBe(
        `0x70997970C51812dc3A010C7d01b50e0d17dc79C8: 1 wei + 21000 gas × ${10n * GWEI} wei`,
      );
      const b = slow.seal({ allowEmpty: true });
      expect(b?.block.transactions).toHaveLength(1);
      expect(await h.call("txpool_status")).toEqual({ pending: "0x0", queued: "0x1" });
      await h.call("eth_sendRawTransaction", [transfer(1n, 1n)]);
      expect(await h.call("txpool_status")).toEqual({ pending: "0x2", queued: "0x0" });
      slow.seal();
      expect(await h.call("eth_getTransactionCount", [ALICE, "latest"])).toBe("0x3");
      expect(slow.pool.size).toBe(0);
    } finally {
      slow.close();
    }
  });

  it("leaves what does not fit in the block gas limit for the next block", async () => {
    const slow = new DevNode({ blockTime: 3600 });
    try {
      const gas = 10_000_000n;
      // CALLDATASIZE-free loop: JUMPDEST PUSH0 JUMP burns all gas; three 10M-gas transactions, 30M block.
      const h = new RpcHandler({ node: slow, gasCap: DEFAULT_GAS_CAP, clientVersion: "t" });
      for (let n = 0n; n < 4n; n++) {
        await h.call("eth_sendRawTransaction", [transfer(n, 1n, { gasLimit: gas })]);
      }
      const b1 = slow.seal();
      expect(b1?.block.transactions).toHaveLength(3);
      expect(slow.pool.status()).toEqual({ pending: 1, queued: 0 });
      const b2 = slow.seal();
      expect(b2?.block.transactions).toHaveLength(1);
    } finally {
      slow.close();
    }
  });
});

describe("eth_getStorageValues, eth_baseFee, eth_config, eth_capabilities, log ranges", () => {
  const HOLDER = "0x00000000000000000000000000000000000000aa";
  const OSAKA = 4_000_000_000;
  const BPO1 = 4_100_000_000;
  let chain: DevNode;
  let h: RpcHandler;
  const c = (method: string, ...params: unknown[]) => h.call(method, params);
  const fail = async (method: string, ...params: unknown[]) => {
    try {
      await c(method, ...params);
    } catch (err) {
      if (err instanceof RpcError) return { code: err.code, message: err.message };
      throw err;
    }
    throw new Error(`${method} did not fail`);
  };

  beforeAll(() => {
    const g = devGenesisJson({ timestamp: 1n });
    const cfg = g.config as Record<string, unknown>;
    cfg.osakaTime = OSAKA;
    cfg.bpo1Time = BPO1;
    cfg.blobSchedule = {
      cancun: { target: 3, max: 6, baseFeeUpdateFraction: 3338477 },
      prague: { target: 6, max: 9, baseFeeUpdateFraction: 5007716 },
      bpo1: { target: 10, max: 15, baseFeeUpdateFraction: 8346193 },
    };
    (g.alloc as Record<string, unknown>)[HOLDER] = {
      balance: "0x0",
      code: "0x00",
      storage: { "0x00": "0x38", "0x01": "0x0102" },
    };
    chain = new DevNode({ genesis: parseGenesis(g), mining: false });
    h = new RpcHandler({ node: chain, gasCap: DEFAULT_GAS_CAP, clientVersion: "t" });
  });
  afterAll(() => chain.close());

  it("reads several slots of several accounts", async () => {
    const slot = (n: number) => word(BigInt(n));
    expect(
      await c("eth_getStorageValues", { [HOLDER]: [slot(0), slot(1), slot(2)], [BOB]: [slot(0)] }, "latest"),
    ).toEqual({
      [HOLDER]: [word(0x38n), word(0x102n), word(0n)],
      [BOB]: [word(0n)],
    });
    // Block defaults to latest; mixed-case addresses come back lowercase.
    expect(
      await c("eth_getStorageValues", { [HOLDER.toUpperCase().replace("0X", "0x")]: [slot(0)] }),
    ).toEqual({
      [HOLDER]: [word(0x38n)],
    });
    expect(await fail("eth_getStorageValues", {}, "latest")).toEqual({
      code: -32602,
      message: "empty request",
    });
    expect(await fail("eth_getStorageValues", { [HOLDER]: [] })).toEqual({
      code: -32602,
      message: "empty request",
    });
    const many = Array.from({ length: 1025 }, (_, i) => slot(i));
    expect(await fail("eth_getStorageValues", { [HOLDER]: many })).toEqual({
      code: -38026,
      message: "too many slots (max 1024)",
    });
    expect(await fail("eth_getStorageValues", { [HOLDER]: ["0x00"] })).toEqual({
      code: -32602,
      message: "invalid argument 0: hex string has length 2, want 64 for common.Hash",
    });
    expect((await fail("eth_getStorageValues", { [HOLDER]: [slot(0)] }, "0x99")).message).toBe(
      "header not found",
    );
  });

  it("gives the next block's base fee", async () => {
    // Genesis: 1 gwei, nothing used, so the next block's base fee falls by 1/8.
    expect(await c("eth_baseFee")).toBe(`0x${(875_000_000).toString(16)}`);
  });

  it("describes the current, next and last fork (EIP-7910)", async () => {
    const cfg = (await c("eth_config")) as Record<string, Record<string, unknown> | null>;
    const genesisHash = chain.chain.genesis.hash;
    const id = (...forks: number[]) => {
      let crc = zlibCrc32(Buffer.from(genesisHash.slice(2), "hex"));
      for (const f of forks) {
        const b = Buffer.alloc(8);
        b.writeBigUInt64BE(BigInt(f));
        crc = zlibCrc32(b, crc);
      }
      return `0x${crc.toString(16).padStart(8, "0")}`;
    };
    const prague = cfg.current!;
    expect(prague.activationTime).toBe(0);
    expect(prague.chainId).toBe("0x539");
    expect(prague.forkId).toBe(id());
    expect(prague.blobSchedule).toEqual({ target: 6, max: 9, baseFeeUpdateFraction: 5007716 });
    const pre = prague.precompiles as Record<string, string>;
    expect(Object.keys(pre)).toHaveLength(17);
    expect(pre.ECREC).toBe("0x0000000000000000000000000000000000000001");
    expect(pre.BLS12_MAP_FP2_TO_G2).toBe("0x0000000000000000000000000000000000000011");
    expect(pre.P256VERIFY).toBeUndefined();
    expect(prague.systemContracts).toEqual({
      BEACON_ROOTS_ADDRESS: "0x000f3df6d732807ef1319fb7b8bb8522d0beac02",
      CONSOLIDATION_REQUEST_PREDEPLOY_ADDRESS: "0x0000bbddc7ce488642fb579f8b00f3a590007251",
      DEPOSIT_CONTRACT_ADDRESS: "0x0000000000000000000000000000000000000000",
      HISTORY_STORAGE_ADDRESS: "0x0000f90827f1c53a10cb7a02335b175320002935",
      WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS: "0x00000961ef480eb55e80d19ad83579a64c007002",
    });
    const osaka = cfg.next!;
    expect(osaka.activationTime).toBe(OSAKA);
    expect(osaka.forkId).toBe(id(OSAKA));
    // Osaka has no blob schedule entry of its own: Prague's applies.
    expect(osaka.blobSchedule).toEqual({ target: 6, max: 9, baseFeeUpdateFraction: 5007716 });
    expect((osaka.precompiles as Record<string, string>).P256VERIFY).toBe(
      "0x0000000000000000000000000000000000000100",
    );
    const bpo1 = cfg.last!;
    expect(bpo1.activationTime).toBe(BPO1);
    expect(bpo1.forkId).toBe(id(OSAKA, BPO1));
    expect(bpo1.blobSchedule).toEqual({ target: 10, max: 15, baseFeeUpdateFraction: 8346193 });
    // On the dev chain every fork is active from genesis: no next, no last.
    expect(await call("eth_config")).toMatchObject({
      next: null,
      last: null,
      current: { activationTime: 0 },
    });
  });

  it("says all history is served by an in-memory node", async () => {
    const all = { disabled: false, oldestBlock: "0x0" };
    expect(await c("eth_capabilities")).toEqual({
      head: { number: "0x0", hash: chain.chain.genesis.hash },
      state: all,
      tx: all,
      logs: all,
      receipts: all,
      blocks: all,
      stateproofs: all,
    });
  });

  it("refuses log ranges past the head or reversed, as go-ethereum", async () => {
    expect(await fail("eth_getLogs", { fromBlock: "0x0", toBlock: "0x5" })).toEqual({
      code: -32602,
      message: "block range extends beyond current head block",
    });
    expect(await fail("eth_getLogs", { fromBlock: "0x2", toBlock: "0x1" })).toEqual({
      code: -32602,
      message: "invalid block range params",
    });
    expect(await fail("eth_getLogs", { fromBlock: "0x1" })).toEqual({
      code: -32602,
      message: "invalid block range params",
    });
    expect(await fail("eth_getLogs", { toBlock: "pending" })).toEqual({
      code: -32602,
      message: "pending logs are not supported",
    });
    expect(await c("eth_getLogs", { fromBlock: "0x0", toBlock: "latest" })).toEqual([]);
  });

  it("keeps sent transactions pending without mining, with a null blockTimestamp", async () => {
    const hash = (await c("eth_sendRawTransaction", transfer(0n, 1n))) as string;
    expect(await c("txpool_status")).toEqual({ pending: "0x1", queued: "0x0" });
    expect(await c("eth_blockNumber")).toBe("0x0");
    const tx = (await c("eth_getTransactionByHash", hash)) as Record<string, unknown>;
    expect(tx.blockTimestamp).toBeNull();
    expect(tx.blockHash).toBeNull();
  });
});
