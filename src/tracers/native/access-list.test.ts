import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Fork } from "../../evm/forks.js";
import { devAccounts } from "../../node/devchain.js";
import { DevNode } from "../../node/node.js";
import { DEFAULT_GAS_CAP } from "../../rpc/exec.js";
import { RpcHandler } from "../../rpc/server.js";
import type { StepScope } from "../../tracing/hooks.js";
import { buildTracer } from "../index.js";
import { AccessListCollector } from "./access-list.js";

const ME = "0x00000000000000000000000000000000000000a1";
const SENDER = "0x00000000000000000000000000000000000000f0";

function scope(stack: bigint[]): StepScope {
  return {
    stack,
    stackSize: stack.length,
    memory: new Uint8Array(0),
    memorySize: 0,
    address: ME,
    caller: SENDER,
    value: 0n,
    input: new Uint8Array(0),
    code: new Uint8Array(0),
    returnData: new Uint8Array(0),
    refund: 0,
  };
}

describe("AccessListCollector", () => {
  it("collects slots, address operands and call targets; skips excluded ones", () => {
    const c = new AccessListCollector(
      [
        { address: SENDER, storageKeys: [1n] },
        { address: "0x00000000000000000000000000000000000000c0", storageKeys: [9n] },
      ],
      new Set([SENDER, "0x0000000000000000000000000000000000000001"]),
    );
    const step = (op: number, stack: bigint[]) => c.hooks.onOpcode!(0, op, 100, 3, scope(stack), 1, null);
    step(0x54, [5n]); // SLOAD 5
    step(0x55, [0n, 2n]); // SSTORE key 2
    step(0x31, [0xb0n | (0xffn << 160n)]); // BALANCE: high bits dropped
    step(0x3b, [0xf0n]); // EXTCODESIZE of the excluded sender
    step(0x3f, []); // EXTCODEHASH on an empty stack: ignored
    step(0xfa, [0n, 0n, 0n, 0n, 1n, 1000n]); // STATICCALL to precompile 1: excluded
    step(0xf1, [0n, 0n, 0n, 0n, 0n, 0xd0n, 1000n]); // CALL 0xd0
    expect(c.accessList()).toEqual([
      { address: ME, storageKeys: [2n, 5n] },
      { address: "0x00000000000000000000000000000000000000b0", storageKeys: [] },
      { address: "0x00000000000000000000000000000000000000c0", storageKeys: [9n] },
      { address: "0x00000000000000000000000000000000000000d0", storageKeys: [] },
    ]);
    const same = new AccessListCollector(c.accessList(), new Set());
    expect(same.equals(c)).toBe(true);
    same.hooks.onOpcode!(0, 0x54, 100, 3, scope([6n]), 1, null);
    expect(same.equals(c)).toBe(false);
  });
});

describe("accessListTracer (registered)", () => {
  it("excludes the transaction's sender and recipient and the precompiles", () => {
    const t = buildTracer({ tracer: "accessListTracer" }, { fork: Fork.Prague });
    const h = t.hooks;
    h.onTxStart!(
      {
        from: SENDER,
        to: ME,
        value: 0n,
        input: new Uint8Array(0),
        gasLimit: 1n,
        gasPrice: 0n,
        type: 2,
        nonce: 0n,
      },
      undefined as never,
    );
    h.onEnter!(0, 0xf1, SENDER, ME, new Uint8Array(0), 100, 0n);
    h.onOpcode!(0, 0x31, 100, 3, scope([0xa1n]), 1, null); // BALANCE(self): excluded
    h.onOpcode!(0, 0x31, 100, 3, scope([0x0an]), 1, null); // BALANCE(precompile 0x0a): excluded
    h.onOpcode!(0, 0x31, 100, 3, scope([0x0123n]), 1, null);
    h.onOpcode!(0, 0x54, 100, 3, scope([3n]), 1, null);
    expect(t.getResult()).toEqual({
      accessList: [
        { address: ME, storageKeys: [`0x${"0".repeat(63)}3`] },
        { address: "0x0000000000000000000000000000000000000123", storageKeys: [] },
      ],
    });
  });
});

describe("eth_createAccessList", () => {
  let node: DevNode;
  let rpc: RpcHandler;
  const [alice] = devAccounts();
  const call = (m: string, ...p: unknown[]) => rpc.call(m, p);
  const mined = async () => {
    for (let i = 0; i < 100 && node.pool.size > 0; i++) await new Promise((r) => setImmediate(r));
  };
  const B = "00000000000000000000000000000000000000bb";
  const C = "00000000000000000000000000000000000000cc";
  // SLOAD(1); BALANCE(0xbb); BALANCE(precompile 1); BALANCE(CALLER);
  // STATICCALL(GAS, 0xcc, 0, 0, 0, 0); then REVERT when calldata is non-empty.
  const RUNTIME = `0x6001545073${B}3150600131503331505f5f5f5f73${C}5afa5036604357005b5f5ffd`;
  let contract: string;

  beforeAll(async () => {
    node = new DevNode();
    rpc = new RpcHandler({ node, gasCap: DEFAULT_GAS_CAP, clientVersion: "t" });
    const len = (RUNTIME.length - 2) / 2;
    const init = `0x60${len.toString(16)}8060095f395ff3${RUNTIME.slice(2)}`;
    const h = await call("eth_sendTransaction", { from: alice!.address, data: init });
    await mined();
    const r = (await call("eth_getTransactionReceipt", h)) as { contractAddress: string };
    contract = r.contractAddress.toLowerCase();
    expect(await call("eth_getCode", contract, "latest")).toBe(RUNTIME);
  });
  afterAll(() => node.close());

  it("finds the list and its gas matches a transaction sent with it", async () => {
    const r = (await call("eth_createAccessList", { from: alice!.address, to: contract })) as {
      accessList: { address: string; storageKeys: string[] }[];
      gasUsed: string;
      error?: string;
    };
    const expected = [
      { address: contract, storageKeys: [`0x${"0".repeat(63)}1`] },
      { address: `0x${B}`, storageKeys: [] },
      { address: `0x${C}`, storageKeys: [] },
    ].sort((x, y) => (x.address < y.address ? -1 : 1));
    expect(r.accessList).toEqual(expected);
    expect(r.error).toBeUndefined();
    const h = await call("eth_sendTransaction", {
      from: alice!.address,
      to: contract,
      accessList: r.accessList,
      gas: "0x30000",
    });
    await mined();
    const receipt = (await call("eth_getTransactionReceipt", h)) as { gasUsed: string; status: string };
    expect(receipt.status).toBe("0x1");
    expect(receipt.gasUsed).toBe(r.gasUsed);
  });

  it("reports a revert in `error` and keeps the list", async () => {
    const r = (await call("eth_createAccessList", { from: alice!.address, to: contract, data: "0x01" })) as {
      accessList: unknown[];
      error?: string;
    };
    expect(r.error).toBe("execution reverted");
    expect(r.accessList).toHaveLength(3);
  });

  it("fails as go-ethereum when the sender cannot pay", async () => {
    await expect(
      call("eth_createAccessList", { from: `0x${"00".repeat(19)}77`, to: contract }),
    ).rejects.toMatchObject({
      code: -32000,
      message: expect.stringMatching(/^failed to apply transaction: 0x[0-9a-f]{64} err: insufficient funds/),
    });
  });
});
