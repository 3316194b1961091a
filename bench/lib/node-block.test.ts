/**
 * Wiring checks for the node benchmark's transactions (bench/lib/node-block.js), no timing:
 * the hand-assembled constructor writes its slots and returns the runtime unchanged, the
 * block has the intended mix, and the signed transactions are what the nodes will decode.
 */
import { describe, expect, it } from "vitest";
import { Fork } from "../../src/evm/forks.js";
import { bytesToHex, hexToBytes } from "../../src/primitives/hex.js";
import { executeCall } from "../../src/runners/call.js";
import { decodeTransaction } from "../../src/tx/decode.js";
import { recoverSender } from "../../src/tx/sender.js";
import { CHAIN_ID, creationCode, nodeWorkload } from "./node-block.js";

describe("node benchmark transactions", () => {
  it("creationCode writes the given slots and returns the runtime", () => {
    const runtime = "0x6001600055";
    const slots: [string, bigint][] = [
      ["0x05", 7n],
      [`0x${"ab".repeat(32)}`, 2n ** 200n],
    ];
    const writes: [bigint, bigint][] = [];
    const r = executeCall({
      code: hexToBytes(creationCode(runtime, slots)),
      input: new Uint8Array(0),
      gas: 1_000_000n,
      fork: Fork.Osaka,
      hooks: { onStorageChange: (_a, slot, _prev, next) => void writes.push([slot, next]) },
    });
    expect(r.error).toBeNull();
    expect(bytesToHex(r.returnData)).toBe(runtime);
    expect(writes).toEqual([
      [5n, 7n],
      [BigInt(`0x${"ab".repeat(32)}`), 2n ** 200n],
    ]);
  });

  it("the block mixes 20 kinds of transaction, 10 each, from 8 senders", async () => {
    const w = nodeWorkload();
    const txs = w.blockTransactions(200);
    expect(txs).toHaveLength(200);
    const kinds = new Map<string, number>();
    for (const t of txs) kinds.set(t.what, (kinds.get(t.what) ?? 0) + 1);
    expect(kinds.get("erc20 transfer (new holder)")).toBe(40);
    expect(kinds.get("TracerMix.run(2): nested calls")).toBe(10);
    expect(kinds.get("revert: transfer over balance")).toBe(10);
    expect(kinds.get("create BenchHash")).toBe(10);
    expect(new Set(txs.map((t) => t.from))).toEqual(new Set([1, 2, 3, 4, 5, 6, 7, 8]));

    const nonces = new Array(9).fill(0);
    const signed = await w.sign(txs.slice(0, 9), nonces);
    expect(nonces).toEqual([0, 2, 1, 1, 1, 1, 1, 1, 1]);
    const tx = decodeTransaction(hexToBytes(signed[0].raw));
    expect(tx.type).toBe(2);
    expect(tx.chainId).toBe(BigInt(CHAIN_ID));
    expect(recoverSender(tx)).toBe(w.accounts[1]);
    expect(tx.to).toBe(w.contracts.token);
  });
});
