import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devAccounts } from "../node/devchain.js";
import { DevNode } from "../node/node.js";
import { blockLogs } from "./eth.js";
import { DEFAULT_GAS_CAP } from "./exec.js";
import { FilterManager } from "./filters.js";
import { RpcHandler } from "./server.js";

const TOPIC = `0x${"ab".repeat(32)}`;
// Runtime: MSTORE(0, 42); LOG1(0, 32, TOPIC); STOP.
const RUNTIME = `0x602a5f527f${TOPIC.slice(2)}60205fa100`;

let node: DevNode;
let rpc: RpcHandler;
const [alice, bob] = devAccounts();
const call = (m: string, ...p: unknown[]) => rpc.call(m, p);
const mined = async () => {
  for (let i = 0; i < 100 && node.pool.size > 0; i++) await new Promise((r) => setImmediate(r));
};
let contract: string;

beforeAll(async () => {
  node = new DevNode();
  rpc = new RpcHandler({ node, gasCap: DEFAULT_GAS_CAP, clientVersion: "t" });
  const len = (RUNTIME.length - 2) / 2;
  const h = await call("eth_sendTransaction", {
    from: alice!.address,
    data: `0x60${len.toString(16)}8060095f395ff3${RUNTIME.slice(2)}`,
  });
  await mined();
  contract = ((await call("eth_getTransactionReceipt", h)) as { contractAddress: string }).contractAddress;
});
afterAll(() => node.close());

describe("polling filters", () => {
  it("block and pending-transaction filters report what arrived since the last poll", async () => {
    const blocks = (await call("eth_newBlockFilter")) as string;
    const pending = (await call("eth_newPendingTransactionFilter")) as string;
    const full = (await call("eth_newPendingTransactionFilter", true)) as string;
    expect(blocks).toMatch(/^0x[0-9a-f]+$/);
    expect(await call("eth_getFilterChanges", blocks)).toEqual([]);
    const tx = await call("eth_sendTransaction", { from: alice!.address, to: bob!.address, value: "0x1" });
    await mined();
    const head = (await call("eth_getBlockByNumber", "latest", false)) as { hash: string };
    expect(await call("eth_getFilterChanges", blocks)).toEqual([head.hash]);
    expect(await call("eth_getFilterChanges", blocks)).toEqual([]);
    expect(await call("eth_getFilterChanges", pending)).toEqual([tx]);
    const txs = (await call("eth_getFilterChanges", full)) as { hash: string; from: string }[];
    expect(txs.map((t) => [t.hash, t.from])).toEqual([[tx, alice!.address]]);
    expect(await call("eth_uninstallFilter", pending)).toBe(true);
    expect(await call("eth_uninstallFilter", pending)).toBe(false);
    await expect(call("eth_getFilterChanges", pending)).rejects.toMatchObject({
      code: -32000,
      message: "filter not found",
    });
    await call("eth_uninstallFilter", blocks);
    await call("eth_uninstallFilter", full);
  });

  it("log filters: changes from new blocks, getFilterLogs over the range", async () => {
    const from = (await call("eth_blockNumber")) as string;
    const f = (await call("eth_newFilter", { address: contract, topics: [TOPIC] })) as string;
    const other = (await call("eth_newFilter", { topics: [`0x${"cd".repeat(32)}`] })) as string;
    const ranged = (await call("eth_newFilter", { fromBlock: "0x1", toBlock: from })) as string;
    await call("eth_sendTransaction", { from: alice!.address, to: contract });
    await mined();
    await call("eth_sendTransaction", { from: alice!.address, to: contract });
    await mined();
    const changes = (await call("eth_getFilterChanges", f)) as { data: string; blockNumber: string }[];
    expect(changes).toHaveLength(2);
    expect(changes[0]!.data).toBe(`0x${"0".repeat(62)}2a`);
    expect(Number(changes[1]!.blockNumber)).toBe(Number(from) + 2);
    expect(await call("eth_getFilterChanges", f)).toEqual([]);
    expect(await call("eth_getFilterChanges", other)).toEqual([]);
    expect(await call("eth_getFilterChanges", ranged)).toEqual([]); // new blocks are past toBlock
    // getFilterLogs: fromBlock/toBlock default to the head.
    expect(await call("eth_getFilterLogs", f)).toHaveLength(1);
    const all = (await call("eth_newFilter", { fromBlock: "earliest", address: contract })) as string;
    expect(await call("eth_getFilterLogs", all)).toHaveLength(2);
    await expect(
      call("eth_getFilterLogs", (await call("eth_newBlockFilter")) as string),
    ).rejects.toMatchObject({
      message: "filter not found",
    });
    await expect(call("eth_newFilter", { fromBlock: "0x5", toBlock: "0x2" })).rejects.toMatchObject({
      code: -32602,
      message: "invalid block range params",
    });
  });

  it("checks the block range as go-ethereum's SubscribeLogs, for filters and subscriptions", async () => {
    const refused = { code: -32602, message: "invalid block range params" };
    const ctx = {
      transport: "ws" as const,
      subscriptions: { subscribe: () => "0x01", unsubscribe: () => true },
    };
    // Only latest..latest, n..m with n <= m and n..latest are followed; earliest stands for block 0.
    for (const crit of [
      { fromBlock: "0x5", toBlock: "0x2" },
      { fromBlock: "latest", toBlock: "0x1" },
      { toBlock: "0x1" },
      { fromBlock: "safe" },
      { fromBlock: "finalized" },
      { toBlock: "safe" },
      { fromBlock: "0x1", toBlock: "finalized" },
      { toBlock: "earliest" },
    ]) {
      await expect(call("eth_newFilter", crit), JSON.stringify(crit)).rejects.toMatchObject(refused);
      await expect(
        rpc.call("eth_subscribe", ["logs", crit], ctx),
        JSON.stringify(crit),
      ).rejects.toMatchObject(refused);
    }
    for (const crit of [
      {},
      { fromBlock: "latest", toBlock: "latest" },
      { fromBlock: "0x2", toBlock: "0x2" },
      { fromBlock: "0x1" },
      { fromBlock: "earliest", toBlock: "latest" },
      { fromBlock: "earliest", toBlock: "0x3" },
    ]) {
      const id = (await call("eth_newFilter", crit)) as string;
      expect(id, JSON.stringify(crit)).toMatch(/^0x[0-9a-f]+$/);
      await call("eth_uninstallFilter", id);
      expect(await rpc.call("eth_subscribe", ["logs", crit], ctx)).toBe("0x01");
    }
  });

  it("refuses pending logs, as go-ethereum's SubscribeLogs does for filters and subscriptions", async () => {
    const refused = { code: -32602, message: "pending logs are not supported" };
    for (const crit of [
      { fromBlock: "pending" },
      { toBlock: "pending" },
      { fromBlock: "0x1", toBlock: "pending" },
    ]) {
      await expect(call("eth_newFilter", crit)).rejects.toMatchObject(refused);
    }
    const ctx = {
      transport: "ws" as const,
      subscriptions: { subscribe: () => "0x01", unsubscribe: () => true },
    };
    await expect(rpc.call("eth_subscribe", ["logs", { fromBlock: "pending" }], ctx)).rejects.toMatchObject(
      refused,
    );
    expect(await rpc.call("eth_subscribe", ["logs", { address: contract }], ctx)).toBe("0x01");
  });

  it("a log subscription sends only the logs of blocks within its numeric bounds", async () => {
    const sent: unknown[][] = [];
    const cleanups: (() => void)[] = [];
    const ctx = {
      transport: "ws" as const,
      subscriptions: {
        subscribe: (setup: (notify: (v: unknown) => void, backlog: () => number) => () => void) => {
          const got: unknown[] = [];
          sent.push(got);
          cleanups.push(
            setup(
              (v) => got.push(v),
              () => 0,
            ),
          );
          return `0x${sent.length}`;
        },
        unsubscribe: () => true,
      },
    };
    const head = BigInt((await call("eth_blockNumber")) as string);
    const hex = (n: bigint) => `0x${n.toString(16)}`;
    await rpc.call(
      "eth_subscribe",
      ["logs", { address: contract, fromBlock: hex(head + 2n), toBlock: hex(head + 2n) }],
      ctx,
    );
    await rpc.call("eth_subscribe", ["logs", { address: contract, fromBlock: hex(head + 2n) }], ctx);
    await rpc.call("eth_subscribe", ["logs", { address: contract }], ctx);
    for (let i = 0; i < 3; i++) {
      await call("eth_sendTransaction", { from: alice!.address, to: contract });
      await mined();
    }
    const blocksOf = (logs: unknown[]) => logs.map((l) => BigInt((l as { blockNumber: string }).blockNumber));
    expect(blocksOf(sent[0]!)).toEqual([head + 2n]);
    expect(blocksOf(sent[1]!)).toEqual([head + 2n, head + 3n]);
    expect(blocksOf(sent[2]!)).toEqual([head + 1n, head + 2n, head + 3n]);
    for (const c of cleanups) c();
  });

  it("removes filters not polled within the timeout", () => {
    let now = 0;
    const m = new FilterManager(node, blockLogs, { timeoutMs: 1000, now: () => now });
    const listeners = node.events.listenerCount("block");
    const a = m.newBlockFilter();
    const b = m.newBlockFilter();
    expect(node.events.listenerCount("block")).toBe(listeners + 2);
    now = 900;
    expect(m.changes(a)).toEqual([]); // polled: its deadline moves
    now = 1500;
    m.sweep();
    expect(m.size).toBe(1);
    expect(() => m.changes(b)).toThrow("filter not found");
    expect(m.changes(a)).toEqual([]);
    now = 2600;
    expect(() => m.changes(a)).toThrow("filter not found");
    expect(node.events.listenerCount("block")).toBe(listeners);
    m.close();
  });
});
