import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devAccounts } from "../node/devchain.js";
import { DevNode } from "../node/node.js";
import { bytesToHex, hexToBytes } from "../primitives/hex.js";
import { keccak256 } from "../primitives/keccak.js";
import { encodeTransaction } from "../tx/decode.js";
import type { FeeMarketTransaction } from "../tx/types.js";
import { RpcError } from "./errors.js";
import { DEFAULT_GAS_CAP } from "./exec.js";
import { RpcHandler } from "./server.js";

type Json = Record<string, unknown>;

const [alice] = devAccounts();
const ALICE = alice!.address;
const A = "0xc000000000000000000000000000000000000000";
const B = "0xc100000000000000000000000000000000000000";
const C = "0xc200000000000000000000000000000000000000";
const EEE = "0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";
const TRANSFER_TOPIC = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";
const pad = (a: string) => `0x${a.slice(2).padStart(64, "0")}`;
const hex = (n: bigint | number) => `0x${n.toString(16)}`;

// MSTORE(0, 0xff); LOG0(0, 32); STOP
const LOGGER = "0x60ff60005260206000a000";
// REVERT(0, 0)
const REVERTER = "0x60006000fd";
// returns BLOCKHASH(NUMBER - 1)
const PARENT_HASH = "0x43600190034060005260206000f3";
// returns NUMBER
const NUMBER = "0x4360005260206000f3";
// returns BASEFEE
const BASEFEE = "0x4860005260206000f3";

let node: DevNode;
let rpc: RpcHandler;

async function simulate(opts: Json, block: unknown = "latest"): Promise<Json[]> {
  return (await rpc.call("eth_simulateV1", [opts, block])) as Json[];
}

async function simError(opts: Json, block: unknown = "latest"): Promise<RpcError> {
  try {
    await simulate(opts, block);
  } catch (err) {
    if (err instanceof RpcError) return err;
    throw err;
  }
  throw new Error("eth_simulateV1 did not fail");
}

const calls = (b: Json) => b.calls as Json[];

beforeAll(() => {
  node = new DevNode();
  rpc = new RpcHandler({ node, gasCap: DEFAULT_GAS_CAP, clientVersion: "Sonde/test" });
});
afterAll(() => node.close());

describe("eth_simulateV1 blocks", () => {
  it("simulates transfers in a block after the head without touching the chain", async () => {
    const head = (await rpc.call("eth_getBlockByNumber", ["latest", false])) as Json;
    const [b] = await simulate({
      blockStateCalls: [
        {
          stateOverrides: { [A]: { balance: "0x3e8" } },
          calls: [
            { from: A, to: B, value: "0x3e8" },
            { from: B, to: C, value: "0x3e8" },
          ],
        },
      ],
    });
    expect(b!.number).toBe(hex(BigInt(head.number as string) + 1n));
    expect(b!.timestamp).toBe(hex(BigInt(head.timestamp as string) + 12n));
    expect(b!.parentHash).toBe(head.hash);
    expect(b!.baseFeePerGas).toBe("0x0");
    expect(b!.gasUsed).toBe("0xa410");
    expect(b!.miner).toBe(head.miner);
    expect(b!.gasLimit).toBe(head.gasLimit);
    expect(calls(b!)).toEqual([
      { returnData: "0x", logs: [], gasUsed: "0x5208", maxUsedGas: "0x5208", status: "0x1" },
      { returnData: "0x", logs: [], gasUsed: "0x5208", maxUsedGas: "0x5208", status: "0x1" },
    ]);
    // The first call is an unsigned type-2 transaction; its gas is what the block has
    // left, clamped by the RPC gas cap.
    const blockGas = BigInt(head.gasLimit as string);
    const tx: FeeMarketTransaction = {
      type: 2,
      chainId: node.chainId,
      nonce: 0n,
      maxPriorityFeePerGas: 0n,
      maxFeePerGas: 0n,
      gasLimit: blockGas < DEFAULT_GAS_CAP ? blockGas : DEFAULT_GAS_CAP,
      to: B,
      value: 1000n,
      data: new Uint8Array(0),
      accessList: [],
      yParity: 0,
      r: 0n,
      s: 0n,
    };
    expect((b!.transactions as string[])[0]).toBe(bytesToHex(keccak256(encodeTransaction(tx))));
    // The block hash is the keccak of its header as returned (via eth_getBlockByNumber's shape).
    expect(b!.hash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(await rpc.call("eth_getBalance", [C, "latest"])).toBe("0x0");
    expect(await rpc.call("eth_blockNumber", [])).toBe(head.number);
  });

  it("carries state across blocks, fills number gaps and links parents", async () => {
    const head = (await rpc.call("eth_getBlockByNumber", ["latest", false])) as Json;
    const n = BigInt(head.number as string);
    const blocks = await simulate({
      blockStateCalls: [
        { stateOverrides: { [A]: { balance: "0x3e8" } }, calls: [{ from: A, to: B, value: "0x3e8" }] },
        {
          blockOverrides: { number: hex(n + 4n) },
          stateOverrides: { [C]: { code: PARENT_HASH } },
          calls: [{ from: B, to: C }],
        },
      ],
    });
    expect(blocks.map((b) => b.number)).toEqual([hex(n + 1n), hex(n + 2n), hex(n + 3n), hex(n + 4n)]);
    const t0 = BigInt(head.timestamp as string);
    expect(blocks.map((b) => b.timestamp)).toEqual([1n, 2n, 3n, 4n].map((k) => hex(t0 + 12n * k)));
    for (let i = 1; i < blocks.length; i++) expect(blocks[i]!.parentHash).toBe(blocks[i - 1]!.hash);
    expect(calls(blocks[1]!)).toEqual([]);
    expect(blocks[1]!.transactions).toEqual([]);
    // BLOCKHASH of the previous simulated (gap) block is its final hash.
    expect(calls(blocks[3]!)[0]!.returnData).toBe(blocks[2]!.hash);
    // B received 1000 in the first block and pays nothing: its nonce moved to 1.
    const again = await simulate({
      blockStateCalls: [
        { stateOverrides: { [A]: { balance: "0x3e8" } }, calls: [{ from: A, to: B, value: "0x3e8" }] },
        { calls: [{ from: B, to: C, value: "0x3e8" }] },
      ],
    });
    expect(calls(again[1]!)[0]!.status).toBe("0x1");
  });

  it("reports reverts and logs per call", async () => {
    const [b] = await simulate({
      blockStateCalls: [
        {
          stateOverrides: { [B]: { code: LOGGER }, [C]: { code: REVERTER } },
          calls: [
            { from: A, to: B },
            { from: A, to: C },
            { from: A, to: B },
          ],
        },
      ],
    });
    const [ok, bad, ok2] = calls(b!);
    const txs = b!.transactions as string[];
    expect(ok!.logs).toEqual([
      {
        address: B,
        topics: [],
        data: pad("0xff"),
        blockNumber: b!.number,
        transactionHash: txs[0],
        transactionIndex: "0x0",
        blockHash: b!.hash,
        blockTimestamp: b!.timestamp,
        logIndex: "0x0",
        removed: false,
      },
    ]);
    expect(bad).toEqual({
      returnData: "0x",
      logs: [],
      // 21000 + two PUSH1
      gasUsed: "0x520e",
      maxUsedGas: "0x520e",
      status: "0x0",
      error: { code: 3, message: "execution reverted", data: "0x" },
    });
    expect((ok2!.logs as Json[])[0]!.logIndex).toBe("0x1");
    expect((ok2!.logs as Json[])[0]!.transactionIndex).toBe("0x2");
    expect(b!.logsBloom).not.toBe(`0x${"0".repeat(512)}`);
  });

  it("adds ERC-7528 transfer logs with traceTransfers", async () => {
    const opts = {
      blockStateCalls: [
        { stateOverrides: { [A]: { balance: "0x7d0" } }, calls: [{ from: A, to: B, value: "0x3e8" }] },
      ],
    };
    const [plain] = await simulate(opts);
    expect(calls(plain!)[0]!.logs).toEqual([]);
    const [traced] = await simulate({ ...opts, traceTransfers: true });
    const [log] = calls(traced!)[0]!.logs as Json[];
    expect(log!.address).toBe(EEE);
    expect(log!.topics).toEqual([TRANSFER_TOPIC, pad(A), pad(B)]);
    expect(log!.data).toBe(pad("0x3e8"));
    // Transfer logs are not part of the receipts: the roots are those of the plain run.
    expect(traced!.receiptsRoot).toBe(plain!.receiptsRoot);
    expect(traced!.hash).toBe(plain!.hash);
  });

  it("runs contract creations and block overrides", async () => {
    const [b] = await simulate({
      blockStateCalls: [
        {
          blockOverrides: { baseFeePerGas: "0x7", feeRecipient: C, gasLimit: "0x1000000" },
          calls: [{ from: A, input: NUMBER }],
        },
      ],
    });
    // A creation's return data is the deployed code (here the block number word).
    expect(calls(b!)[0]!.returnData).toBe(pad(b!.number as string));
    expect(b!.baseFeePerGas).toBe("0x7");
    expect(b!.miner).toBe(C);
    expect(b!.gasLimit).toBe("0x1000000");
  });

  it("computes the base fee with validation and returns full transactions", async () => {
    const head = (await rpc.call("eth_getBlockByNumber", ["latest", false])) as Json;
    const [b] = await simulate({
      blockStateCalls: [
        {
          stateOverrides: { [C]: { code: BASEFEE } },
          calls: [{ from: ALICE, to: C, maxFeePerGas: "0x3b9aca00" }],
        },
      ],
      validation: true,
      returnFullTransactions: true,
    });
    expect(BigInt(b!.baseFeePerGas as string)).toBeGreaterThan(0n);
    expect(BigInt(b!.baseFeePerGas as string)).toBeLessThanOrEqual(BigInt(head.baseFeePerGas as string));
    expect(calls(b!)[0]!.returnData).toBe(pad(b!.baseFeePerGas as string));
    const [tx] = b!.transactions as Json[];
    expect(tx!.from).toBe(ALICE);
    expect(tx!.type).toBe("0x2");
    const blockGas = BigInt(head.gasLimit as string);
    expect(tx!.gas).toBe(hex(blockGas < DEFAULT_GAS_CAP ? blockGas : DEFAULT_GAS_CAP));
    expect(tx!.blockHash).toBe(b!.hash);
    expect(tx!.gasPrice).toBe(b!.baseFeePerGas);
    expect(tx!.maxFeePerGas).toBe("0x3b9aca00");
  });

  it("moves precompiles for the block", async () => {
    const moved = "0x0000000000000000000000000000000000123456";
    const identity = "0x0000000000000000000000000000000000000004";
    const [b1, b2] = await simulate({
      blockStateCalls: [
        {
          stateOverrides: { [identity]: { movePrecompileToAddress: moved } },
          calls: [
            { from: A, to: moved, input: "0xabcdef" },
            { from: A, to: identity, input: "0xabcdef" },
          ],
        },
        { calls: [{ from: A, to: identity, input: "0xabcdef" }] },
      ],
    });
    expect(calls(b1!)[0]!.returnData).toBe("0xabcdef");
    expect(calls(b1!)[1]!.returnData).toBe("0x");
    // The move lasts one block.
    expect(calls(b2!)[0]!.returnData).toBe("0xabcdef");
    const notPrecompile = await simError({
      blockStateCalls: [{ stateOverrides: { [B]: { movePrecompileToAddress: moved } }, calls: [] }],
    });
    expect(notPrecompile.message.toLowerCase()).toBe(`account ${B} is not a precompile`);
  });

  it("lets a contract send and skips nonce checks without validation", async () => {
    const [b] = await simulate({
      blockStateCalls: [
        {
          stateOverrides: { [A]: { code: LOGGER, balance: "0x10" } },
          calls: [
            { from: A, to: B, value: "0x1" },
            { from: A, to: B, value: "0x1", nonce: "0x9" },
          ],
        },
      ],
    });
    expect(calls(b!).map((c) => c.status)).toEqual(["0x1", "0x1"]);
  });
});

describe("eth_simulateV1 errors", () => {
  const transfer = { from: A, to: B };
  it("refuses bad chains with go-ethereum's codes", async () => {
    const head = BigInt((await rpc.call("eth_blockNumber", [])) as string);
    expect((await simError({ blockStateCalls: [] })).code).toBe(-32602);
    const order = await simError({
      blockStateCalls: [
        { blockOverrides: { number: hex(head + 2n) }, calls: [] },
        { blockOverrides: { number: hex(head + 1n) }, calls: [] },
      ],
    });
    expect(order.code).toBe(-38020);
    expect(order.message).toBe(`block numbers must be in order: ${head + 1n} <= ${head + 2n}`);
    const time = await simError({ blockStateCalls: [{ blockOverrides: { time: "0x0" }, calls: [] }] });
    expect(time.code).toBe(-38021);
    const many = await simError({
      blockStateCalls: [{ blockOverrides: { number: hex(head + 257n) }, calls: [] }],
    });
    expect(many.code).toBe(-38026);
    expect(many.message).toBe("too many blocks");
    expect(
      (await simulate({ blockStateCalls: [{ blockOverrides: { number: hex(head + 256n) }, calls: [] }] }))
        .length,
    ).toBe(256);
  });

  it("refuses calls that cannot run", async () => {
    const paid = { ...transfer, maxFeePerGas: "0x3b9aca00", gas: "0x5208" };
    const funded = { [A]: { balance: "0xde0b6b3a7640000" } };
    const low = await simError({
      blockStateCalls: [
        {
          stateOverrides: funded,
          calls: [
            { ...paid, nonce: "0x0" },
            { ...paid, nonce: "0x0" },
          ],
        },
      ],
      validation: true,
    });
    expect(low.code).toBe(-38010);
    expect(low.message).toBe(
      "nonce too low: address 0xC000000000000000000000000000000000000000, tx: 0 state: 1",
    );
    const high = await simError({
      blockStateCalls: [{ stateOverrides: funded, calls: [{ ...paid, nonce: "0x5" }] }],
      validation: true,
    });
    expect(high.code).toBe(-38011);
    const funds = await simError({
      blockStateCalls: [{ calls: [{ ...transfer, value: "0x1" }] }],
    });
    expect(funds.code).toBe(-38014);
    const fee = await simError({
      blockStateCalls: [{ blockOverrides: { baseFeePerGas: "0xa" }, calls: [transfer] }],
      validation: true,
    });
    expect(fee.code).toBe(-38012);
    const intrinsic = await simError({ blockStateCalls: [{ calls: [{ ...transfer, gas: "0x5207" }] }] });
    expect(intrinsic.code).toBe(-38013);
    const gas = await simError({
      blockStateCalls: [
        { blockOverrides: { gasLimit: "0x5208" }, calls: [transfer, { ...transfer, gas: "0x5208" }] },
      ],
    });
    expect(gas.code).toBe(-38015);
    expect(gas.message).toBe("block gas limit reached: remaining: 0, required: 21000");
  });

  it("validates its parameters", async () => {
    const bad = await simError({ blockStateCalls: [{ calls: [{ from: "0x12" }] }] });
    expect(bad.code).toBe(-32602);
    expect(hexToBytes(A).length).toBe(20);
  });
});
