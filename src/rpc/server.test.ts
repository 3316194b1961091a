// End to end: `sonde node` on 127.0.0.1 with a random port, driven by viem over HTTP and by
// a raw WebSocket client, plus malformed requests over plain fetch.
import {
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  type PublicClient,
  parseAbiItem,
  parseEther,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { type StartedNode, startNode } from "../cli/node.js";
import { devAccounts } from "../node/devchain.js";
import { DevNode } from "../node/node.js";
import { bytesToHex } from "../primitives/hex.js";
import { keccak256 } from "../primitives/keccak.js";
import { DEFAULT_GAS_CAP } from "./exec.js";
import { ALL_APIS, RpcHandler, RpcServer } from "./server.js";

// Runtime: no calldata → returns slot 0; a non-zero word → stores it and emits
// Stored(uint256) with it as data; zero → revert Error("zero").
const TOPIC = bytesToHex(keccak256(new TextEncoder().encode("Stored(uint256)")));
const RUNTIME = `36600c575f545f5260205ff35b5f358015603f57805f555f527f${TOPIC.slice(2)}60205fa1005b6308c379a060e01b5f5260206004526004602452637a65726f60e01b60445260645ffd`;
const INIT = `0x60638060095f395ff3${RUNTIME}` as const;
const word = (n: bigint) => `0x${n.toString(16).padStart(64, "0")}` as const;

const [alice, bob] = devAccounts();
let started: StartedNode;
let url: string;
let client: PublicClient;

async function post(
  body: string | object,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text === "" ? undefined : JSON.parse(text) };
}

beforeAll(async () => {
  const apis = new Set<string>(ALL_APIS);
  started = await startNode({
    http: { host: "127.0.0.1", port: 0, apis },
    ws: { host: "127.0.0.1", port: 0, apis },
    blockTime: 0,
    gcmode: "full",
  });
  url = started.server.httpUrl;
  client = createPublicClient({ transport: http(url), pollingInterval: 50 }) as PublicClient;
});
afterAll(async () => {
  await started?.close();
});

const chain = () =>
  defineChain({
    id: 1337,
    name: "sonde",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [url] } },
  });

describe("viem against sonde node", () => {
  it("sends a transfer signed locally, waits for it and reads balances", async () => {
    const wallet = createWalletClient({
      account: privateKeyToAccount(bytesToHex(alice!.key) as `0x${string}`),
      chain: chain(),
      transport: http(url),
    });
    expect(await client.getChainId()).toBe(1337);
    const hash = await wallet.sendTransaction({
      to: bob!.address as `0x${string}`,
      value: parseEther("1.5"),
    });
    const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 50 });
    expect(receipt.status).toBe("success");
    expect(receipt.gasUsed).toBe(21000n);
    expect(await client.getBalance({ address: bob!.address as `0x${string}` })).toBe(parseEther("10001.5"));
    const spent = parseEther("1.5") + receipt.gasUsed * receipt.effectiveGasPrice;
    expect(await client.getBalance({ address: alice!.address as `0x${string}` })).toBe(
      parseEther("10000") - spent,
    );
    const tx = await client.getTransaction({ hash });
    expect(tx.from).toBe(alice!.address);
    expect(tx.blockNumber).toBe(receipt.blockNumber);
  });

  it("deploys a contract, calls it, reads its logs and traces the call", async () => {
    // eth_sendTransaction with a node-held account.
    const wallet = createWalletClient({
      account: alice!.address as `0x${string}`,
      chain: chain(),
      transport: http(url),
    });
    const deploy = await wallet.deployContract({ abi: [], bytecode: INIT });
    const dr = await client.waitForTransactionReceipt({ hash: deploy, pollingInterval: 50 });
    const contract = dr.contractAddress!;
    expect(await client.getCode({ address: contract })).toBe(`0x${RUNTIME}`);

    const set = await wallet.sendTransaction({ to: contract, data: word(42n) });
    const sr = await client.waitForTransactionReceipt({ hash: set, pollingInterval: 50 });
    expect(sr.logs).toHaveLength(1);
    const { data } = await client.call({ to: contract });
    expect(data).toBe(word(42n));

    const logs = await client.getLogs({
      address: contract,
      event: parseAbiItem("event Stored(uint256 value)"),
      fromBlock: 0n,
    });
    expect(logs).toHaveLength(1);
    expect(logs[0]!.args.value).toBe(42n);
    expect(logs[0]!.transactionHash).toBe(set);

    await expect(
      client.call({ to: contract, data: word(0n), account: alice!.address as `0x${string}` }),
    ).rejects.toThrow(/zero/);

    const trace = (await client.request({
      method: "debug_traceTransaction" as never,
      params: [set, { tracer: "callTracer", tracerConfig: { withLog: true } }] as never,
    })) as Record<string, unknown>;
    expect(trace).toMatchObject({ type: "CALL", from: alice!.address, to: contract, input: word(42n) });
    expect((trace.logs as unknown[]).length).toBe(1);
    expect(BigInt(trace.gasUsed as string)).toBe(sr.gasUsed);
  });
});

describe("malformed requests", () => {
  it("get go-ethereum's error codes and the node keeps running", async () => {
    const parse = await post("{not json");
    expect(parse.status).toBe(200);
    expect(parse.json).toEqual({ jsonrpc: "2.0", id: null, error: { code: -32700, message: "parse error" } });
    const unknown = await post({ jsonrpc: "2.0", id: 7, method: "eth_nope", params: [] });
    expect(unknown.json).toEqual({
      jsonrpc: "2.0",
      id: 7,
      error: { code: -32601, message: "the method eth_nope does not exist/is not available" },
    });
    const bad = await post({ jsonrpc: "2.0", id: 8, method: "eth_getBalance", params: ["0x12", "latest"] });
    expect((bad.json as { error: { code: number; message: string } }).error).toEqual({
      code: -32602,
      message: "invalid argument 0: hex string has length 2, want 40 for common.Address",
    });
    const invalid = await post({ jsonrpc: "2.0", id: 9 });
    expect((invalid.json as { error: { code: number } }).error.code).toBe(-32600);
    const objParams = await post({ jsonrpc: "2.0", id: 10, method: "eth_chainId", params: { a: 1 } });
    expect((objParams.json as { error: { code: number } }).error.code).toBe(-32602);
    const empty = await post([]);
    expect(empty.json).toEqual({ jsonrpc: "2.0", id: null, error: { code: -32600, message: "empty batch" } });
    const notification = await post({ jsonrpc: "2.0", method: "eth_chainId" });
    expect(notification.json).toBeUndefined();
    const batch = await post([
      { jsonrpc: "2.0", id: 1, method: "eth_chainId" },
      { jsonrpc: "2.0", method: "eth_chainId" },
      5,
      { jsonrpc: "2.0", id: 2, method: "eth_sendRawTransaction", params: ["0xdeadbeef"] },
    ]);
    const items = batch.json as {
      id: unknown;
      result?: unknown;
      error?: { code: number; message: string };
    }[];
    expect(items).toHaveLength(3);
    expect(items[0]).toEqual({ jsonrpc: "2.0", id: 1, result: "0x539" });
    expect(items[1]!.error!.code).toBe(-32600);
    expect(items[2]!.error!.code).toBe(-32000);
    expect(items[2]!.error!.message).toMatch(/^invalid transaction: /);

    const huge = await post({
      jsonrpc: "2.0",
      id: 11,
      method: "eth_call",
      params: [{ data: `0x${"00".repeat(3 * 1024 * 1024)}` }],
    });
    expect(huge.status).toBe(413);
    expect((huge.json as { error: { code: number } }).error.code).toBe(-32600);

    const get = await fetch(url);
    expect(get.status).toBe(405);

    const alive = await post({ jsonrpc: "2.0", id: 12, method: "eth_blockNumber", params: [] });
    expect((alive.json as { result: string }).result).toMatch(/^0x[0-9a-f]+$/);
  });
});

describe("namespaces per transport", () => {
  it("hides namespaces not enabled (debug and trace off on a non-loopback address)", async () => {
    const apis = new Set(["eth", "net", "web3", "txpool"]);
    const h = started.server.handler;
    const reply = await h.handleText(
      JSON.stringify({ jsonrpc: "2.0", id: 1, method: "debug_traceCall", params: [{}] }),
      { transport: "http" },
      apis,
    );
    expect(JSON.parse(reply!)).toEqual({
      jsonrpc: "2.0",
      id: 1,
      error: { code: -32601, message: "the method debug_traceCall does not exist/is not available" },
    });
    const trace = JSON.parse(
      (await h.handleText(
        JSON.stringify({ jsonrpc: "2.0", id: 2, method: "trace_block", params: [] }),
        { transport: "http" },
        apis,
      ))!,
    );
    expect(trace.error.code).toBe(-32601);
    expect(trace.error.message).toBe("the method trace_block does not exist/is not available");
  });
});

describe("WebSocket subscriptions", () => {
  it("pushes newHeads, logs and pending transactions", async () => {
    const ws = new WebSocket(started.server.wsUrl!);
    await new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    });
    const messages: Record<string, unknown>[] = [];
    const waiters: (() => void)[] = [];
    ws.on("message", (d) => {
      messages.push(JSON.parse(d.toString()));
      for (const w of waiters.splice(0)) w();
    });
    const until = async (pred: () => boolean) => {
      for (let i = 0; i < 200 && !pred(); i++) await new Promise<void>((r) => waiters.push(r));
    };
    const send = async (id: number, method: string, params: unknown[]) => {
      ws.send(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
      await until(() => messages.some((m) => m.id === id));
      return messages.find((m) => m.id === id) as { result: string };
    };
    const heads = (await send(1, "eth_subscribe", ["newHeads"])).result;
    const logs = (await send(2, "eth_subscribe", ["logs", { topics: [TOPIC] }])).result;
    const pending = (await send(3, "eth_subscribe", ["newPendingTransactions"])).result;
    expect(heads).toMatch(/^0x[0-9a-f]{32}$/);

    const wallet = createWalletClient({
      account: alice!.address as `0x${string}`,
      chain: chain(),
      transport: http(url),
    });
    const deploy = await wallet.deployContract({ abi: [], bytecode: INIT });
    const dr = await client.waitForTransactionReceipt({ hash: deploy, pollingInterval: 50 });
    const set = await wallet.sendTransaction({ to: dr.contractAddress!, data: word(7n) });
    const notes = () =>
      messages.filter((m) => m.method === "eth_subscription") as {
        params: { subscription: string; result: Record<string, unknown> | string };
      }[];
    await until(() => notes().some((n) => n.params.subscription === logs));
    const byId = (id: string) =>
      notes()
        .filter((n) => n.params.subscription === id)
        .map((n) => n.params.result);
    expect(byId(pending)).toContain(set);
    expect(byId(logs)).toHaveLength(1);
    expect(byId(logs)[0]).toMatchObject({ transactionHash: set, data: word(7n), removed: false });
    expect((byId(heads) as { number: string }[]).length).toBeGreaterThanOrEqual(2);

    expect((await send(4, "eth_unsubscribe", [heads])).result).toBe(true);
    expect((await send(5, "eth_unsubscribe", [heads])).result).toBe(false);
    ws.close();
  });
});

describe("a WebSocket client that stops reading", () => {
  it("is disconnected once its unsent backlog passes the limit, and the node goes on serving", async () => {
    const node = new DevNode({ blockTime: 3600 });
    const apis = new Set<string>(ALL_APIS);
    const server = new RpcServer(
      new RpcHandler({ node, gasCap: DEFAULT_GAS_CAP, clientVersion: "Sonde/test" }),
      {
        http: { host: "127.0.0.1", port: 0, apis },
        ws: { host: "127.0.0.1", port: 0, apis },
        maxWsBacklog: 1 << 20,
      },
    );
    await server.start();
    try {
      const ws = new WebSocket(server.wsUrl!);
      await new Promise((resolve, reject) => {
        ws.once("open", resolve);
        ws.once("error", reject);
      });
      const closed = new Promise<void>((resolve) => ws.once("close", () => resolve()));
      // Stop reading: what the server sends piles up in its socket.
      (ws as unknown as { _socket: { pause(): void } })._socket.pause();
      // Each answer is a struct-log trace of a loop (JUMPDEST PUSH1 0 JUMP): about 18 MB.
      const LOOP = "0x00000000000000000000000000000000000000aa";
      const request = (id: number) =>
        JSON.stringify({
          jsonrpc: "2.0",
          id,
          method: "debug_traceCall",
          params: [
            { to: LOOP, gas: "0xf4240" },
            "latest",
            { stateOverrides: { [LOOP]: { code: "0x5b600056" } } },
          ],
        });
      let isClosed = false;
      void closed.then(() => {
        isClosed = true;
      });
      for (let id = 1; id <= 20 && !isClosed; id++) {
        ws.send(request(id));
        await new Promise((r) => setTimeout(r, 400));
      }
      await Promise.race([closed, new Promise((r) => setTimeout(r, 2000))]);
      expect(isClosed).toBe(true);
      const res = await fetch(server.httpUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      });
      expect(await res.json()).toEqual({ jsonrpc: "2.0", id: 1, result: "0x539" });
    } finally {
      await server.close();
      node.close();
    }
  }, 60_000);
});
