import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { devAccounts } from "../node/devchain.js";
import { DevNode } from "../node/node.js";
import { DEFAULT_GAS_CAP } from "./exec.js";
import { RpcHandler } from "./server.js";

let node: DevNode;
let rpc: RpcHandler;
const [alice, bob] = devAccounts();
const call = (m: string, ...p: unknown[]) => rpc.call(m, p);
const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};
const head = async () => (await call("eth_getBlockByNumber", "latest", false)) as Record<string, string>;

beforeEach(() => {
  node = new DevNode();
  rpc = new RpcHandler({ node, gasCap: DEFAULT_GAS_CAP, clientVersion: "t" });
});
afterEach(() => node.close());

describe("evm namespace", () => {
  it("evm_setAutomine(false) keeps transactions pending until evm_mine puts them in one block", async () => {
    expect(await call("evm_getAutomine")).toBe(true);
    expect(await call("eth_mining")).toBe(true);
    expect(await call("evm_setAutomine", false)).toBe(true);
    expect(await call("eth_mining")).toBe(false);
    const hashes: string[] = [];
    for (let i = 0; i < 3; i++) {
      hashes.push(
        (await call("eth_sendTransaction", {
          from: alice!.address,
          to: bob!.address,
          value: "0x1",
        })) as string,
      );
    }
    await settle();
    expect(node.head.block.header.number).toBe(0n);
    expect(node.pool.size).toBe(3);
    expect(await call("evm_mine")).toBe("0x0");
    const b = await head();
    expect(b.number).toBe("0x1");
    expect(b.transactions).toEqual(hashes);
    // Switching automine back on seals what arrives.
    await call("evm_setAutomine", true);
    await call("eth_sendTransaction", { from: alice!.address, to: bob!.address, value: "0x1" });
    await settle();
    expect(node.head.block.header.number).toBe(2n);
  });

  it("evm_mine seals empty blocks, several at once, at a given timestamp", async () => {
    const t0 = node.head.block.header.timestamp;
    await call("evm_mine", { blocks: 3, timestamp: Number(t0 + 100n) });
    expect(node.head.block.header.number).toBe(3n);
    expect(node.chain.canonicalAt(1n)!.block.header.timestamp).toBe(t0 + 100n);
    expect(node.chain.canonicalAt(3n)!.block.header.timestamp).toBeGreaterThan(t0 + 100n);
    await call("evm_mine", `0x${(t0 + 1000n).toString(16)}`);
    expect(node.head.block.header.timestamp).toBe(t0 + 1000n);
  });

  it("evm_setNextBlockTimestamp pins only the next block and must move forward", async () => {
    const t0 = node.head.block.header.timestamp;
    await call("evm_setAutomine", false);
    expect(await call("evm_setNextBlockTimestamp", Number(t0 + 5000n))).toBeNull();
    await call("evm_mine");
    expect(node.head.block.header.timestamp).toBe(t0 + 5000n);
    await call("evm_mine");
    expect(node.head.block.header.timestamp).toBeGreaterThan(t0 + 5000n);
    await expect(call("evm_setNextBlockTimestamp", Number(t0))).rejects.toThrow(
      /not after the head block's timestamp/,
    );
  });

  it("evm_increaseTime moves later blocks' clock forward", async () => {
    const before = node.head.block.header.timestamp;
    expect(await call("evm_increaseTime", 86_400)).toBe("0x15180");
    await call("evm_mine");
    expect(node.head.block.header.timestamp).toBeGreaterThanOrEqual(before + 86_400n);
  });

  it("rejects malformed arguments by name", async () => {
    await expect(call("evm_mine", { blocks: 2, when: 1 })).rejects.toThrow(/unknown option "when"/);
    await expect(call("evm_mine", { blocks: 1_000_000 })).rejects.toThrow(/at most 10000 blocks/);
    await expect(call("evm_increaseTime", -1)).rejects.toThrow(/non-negative integer/);
    await expect(call("evm_setAutomine", "yes")).rejects.toThrow(/boolean/);
  });
});
