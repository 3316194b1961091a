import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { headerHash } from "../chain/block.js";
import { devAccounts, devGenesisJson } from "../node/devchain.js";
import { parseGenesis } from "../node/genesis.js";
import { DevNode } from "../node/node.js";
import { bytesToHex, hexToBytes } from "../primitives/hex.js";
import { encodeTransaction } from "../tx/decode.js";
import { signTransaction } from "../tx/sender.js";
import type { FeeMarketTransaction } from "../tx/types.js";
import { RpcError } from "./errors.js";
import { DEFAULT_GAS_CAP } from "./exec.js";
import { RpcHandler } from "./server.js";
import { calcGasLimit, DEFAULT_GAS_CEIL } from "./testing.js";

const [alice, bob] = devAccounts();
const GWEI = 1_000_000_000n;
const ZERO32 = `0x${"00".repeat(32)}`;
const ROOT = `0x${"cf".repeat(32)}`;
const FEE_RECIPIENT = "0x00000000000000000000000000000000000000fe";

let node: DevNode;
let rpc: RpcHandler;
let genesisTime: bigint;

function transfer(nonce: bigint, value: bigint, tip = GWEI): Uint8Array {
  const tx: FeeMarketTransaction = {
    type: 2,
    chainId: 1337n,
    nonce,
    maxPriorityFeePerGas: tip,
    maxFeePerGas: 10n * GWEI,
    gasLimit: 21000n,
    to: bob!.address,
    value,
    data: new Uint8Array(0),
    accessList: [],
    yParity: 0,
    r: 0n,
    s: 0n,
  };
  return encodeTransaction(signTransaction(tx, alice!.key));
}

function attrs(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    timestamp: `0x${(genesisTime + 12n).toString(16)}`,
    prevRandao: ZERO32,
    suggestedFeeRecipient: FEE_RECIPIENT,
    withdrawals: [],
    parentBeaconBlockRoot: ROOT,
    ...over,
  };
}

async function rpcError(method: string, ...params: unknown[]): Promise<RpcError> {
  try {
    await rpc.call(method, params);
  } catch (err) {
    if (err instanceof RpcError) return err;
    throw err;
  }
  throw new Error(`${method} did not fail`);
}

type Envelope = {
  executionPayload: Record<string, unknown>;
  blockValue: string;
  blobsBundle: { commitments: string[]; proofs: string[]; blobs: string[] };
  executionRequests: string[] | null;
  shouldOverrideBuilder: boolean;
};

const build = async (...params: unknown[]) => (await rpc.call("testing_buildBlockV1", params)) as Envelope;

beforeAll(() => {
  node = new DevNode({ genesis: parseGenesis(devGenesisJson({ gasLimit: 30_000_000n })), mining: false });
  rpc = new RpcHandler({ node, gasCap: DEFAULT_GAS_CAP, clientVersion: "Sonde/test" });
  genesisTime = node.head.block.header.timestamp;
});
afterAll(() => node.close());

describe("calcGasLimit", () => {
  it("moves the parent's limit towards the ceiling by at most parent/1024 - 1", () => {
    expect(calcGasLimit(200_000_000n, 60_000_000n)).toBe(199_804_689n);
    expect(calcGasLimit(30_000_000n, 60_000_000n)).toBe(30_029_295n);
    expect(calcGasLimit(59_990_000n, 60_000_000n)).toBe(60_000_000n);
    expect(calcGasLimit(60_000_000n, 60_000_000n)).toBe(60_000_000n);
    expect(calcGasLimit(60_010_000n, 60_000_000n)).toBe(60_000_000n);
    // The ceiling is never below go-ethereum's MinGasLimit (5000).
    expect(calcGasLimit(5100n, 0n)).toBe(5097n);
  });
});

describe("testing_buildBlockV1", () => {
  it("builds an empty block on the head without importing it", async () => {
    const head = node.head;
    const out = await build(head.hash, attrs(), [], null);
    const p = out.executionPayload;
    expect(p.parentHash).toBe(head.hash);
    expect(p.blockNumber).toBe("0x1");
    expect(p.gasLimit).toBe(`0x${calcGasLimit(30_000_000n, DEFAULT_GAS_CEIL).toString(16)}`);
    expect(p.gasLimit).toBe("0x1ca35ef");
    expect(p.gasUsed).toBe("0x0");
    expect(p.feeRecipient).toBe(FEE_RECIPIENT);
    expect(p.prevRandao).toBe(ZERO32);
    expect(p.timestamp).toBe(`0x${(genesisTime + 12n).toString(16)}`);
    expect(p.extraData).toBe("0x");
    expect(p.baseFeePerGas).toBe("0x342770c0"); // 1 gwei * 7/8: an empty genesis
    expect(p.transactions).toEqual([]);
    expect(p.withdrawals).toEqual([]);
    expect(p.blobGasUsed).toBe("0x0");
    expect(p.excessBlobGas).toBe("0x0");
    expect(p.receiptsRoot).toBe("0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421");
    expect(out.blockValue).toBe("0x0");
    expect(out.blobsBundle).toEqual({ commitments: [], proofs: [], blobs: [] });
    expect(out.executionRequests).toEqual([]);
    expect(out.shouldOverrideBuilder).toBe(false);
    expect(node.head.hash).toBe(head.hash);

    // The same block built and imported by the chain has the payload's hash and roots.
    const built = node.chain.buildBlock({
      timestamp: genesisTime + 12n,
      coinbase: FEE_RECIPIENT,
      gasLimit: 0x1ca35efn,
      parentBeaconBlockRoot: hexToBytes(ROOT),
      withdrawals: [],
    });
    expect(bytesToHex(built.header.stateRoot)).toBe(p.stateRoot);
    expect(bytesToHex(headerHash(built.header))).toBe(p.blockHash);
  });

  it("includes the given transactions in order, and only those", async () => {
    const pooled = transfer(0n, 5n);
    node.submitRaw(pooled);
    const a = transfer(0n, 1n, 2n * GWEI);
    const b = transfer(1n, 2n, 3n * GWEI);
    const out = await build(node.head.hash, attrs(), [bytesToHex(a), bytesToHex(b)], "0x746573745f6e616d65");
    const p = out.executionPayload;
    expect(p.transactions).toEqual([bytesToHex(a), bytesToHex(b)]);
    expect(p.gasUsed).toBe("0xa410"); // 2 × 21000
    expect(p.extraData).toBe("0x746573745f6e616d65");
    // Tips 2 and 3 gwei (below maxFee - baseFee) for 21000 gas each.
    expect(BigInt(out.blockValue)).toBe(21000n * 5n * GWEI);
    // The pool and the chain are untouched.
    expect(node.pool.size).toBe(1);
    expect(node.head.block.header.number).toBe(0n);
  });

  it("takes the pool's transactions when `transactions` is null, none when it is []", async () => {
    expect(node.pool.size).toBe(1);
    const fromPool = await build(node.head.hash, attrs(), null);
    expect(fromPool.executionPayload.transactions).toEqual([bytesToHex(transfer(0n, 5n))]);
    expect(BigInt(fromPool.blockValue)).toBe(21000n * GWEI);
    const empty = await build(node.head.hash, attrs(), []);
    expect(empty.executionPayload.transactions).toEqual([]);
    expect(node.pool.size).toBe(1);
  });

  it("uses the withdrawals and beacon root of the attributes", async () => {
    const plain = await build(node.head.hash, attrs(), []);
    const other = await build(node.head.hash, attrs({ parentBeaconBlockRoot: ZERO32 }), []);
    const w = { index: "0x7", validatorIndex: "0x2", address: bob!.address, amount: "0x3b9aca00" };
    const paid = await build(node.head.hash, attrs({ withdrawals: [w] }), []);
    expect(paid.executionPayload.withdrawals).toEqual([w]);
    const roots = new Set([plain, other, paid].map((e) => e.executionPayload.stateRoot));
    expect(roots.size).toBe(3);
    expect(plain.executionPayload.blockHash).not.toBe(other.executionPayload.blockHash);
  });

  it("fails on a transaction that cannot be applied, leaving the chain as it was", async () => {
    const bad = transfer(999n, 1n);
    const err = await rpcError("testing_buildBlockV1", node.head.hash, attrs(), [bytesToHex(bad)]);
    expect(err.code).toBe(-32000);
    expect(err.message).toBe("transaction 0: nonce too high: transaction 999, account 0");
    expect(node.head.block.header.number).toBe(0n);
  });

  it("refuses bad parents, timestamps and attributes", async () => {
    const head = node.head.hash;
    expect((await rpcError("testing_buildBlockV1", `0x${"11".repeat(32)}`, attrs(), [])).message).toBe(
      `missing parent: block 0x${"11".repeat(32)} is not known`,
    );
    const late = attrs({ timestamp: `0x${genesisTime.toString(16)}` });
    expect((await rpcError("testing_buildBlockV1", head, late, [])).message).toBe(
      `invalid timestamp, parent ${genesisTime} given ${genesisTime}`,
    );
    const { timestamp: _, ...noTime } = attrs();
    const e = await rpcError("testing_buildBlockV1", head, noTime, []);
    expect(e.code).toBe(-32602);
    expect(e.message).toBe("invalid argument 1: missing required field 'timestamp' for PayloadAttributes");
    const { parentBeaconBlockRoot: __, ...noRoot } = attrs();
    expect((await rpcError("testing_buildBlockV1", head, noRoot, [])).message).toBe(
      "missing parentBeaconBlockRoot: Cancun is active for the new block",
    );
    expect((await rpcError("testing_buildBlockV1", head, attrs(), ["0x02"])).message).toMatch(
      /^transaction 0 is not valid: /,
    );
    expect((await rpcError("testing_buildBlockV1", head, attrs(), [], `0x${"ab".repeat(33)}`)).message).toBe(
      "invalid extraData: 33 bytes, at most 32",
    );
  });

  it("is a namespace of its own, off unless enabled", async () => {
    const text = '{"jsonrpc":"2.0","id":1,"method":"testing_buildBlockV1","params":[]}';
    const off = await rpc.handleText(text, { transport: "http" }, new Set(["eth", "debug"]));
    expect(JSON.parse(off!).error).toEqual({
      code: -32601,
      message: "the method testing_buildBlockV1 does not exist/is not available",
    });
    const on = await rpc.handleText(text, { transport: "http" }, new Set(["testing"]));
    expect(JSON.parse(on!).error.code).toBe(-32602);
  });
});
