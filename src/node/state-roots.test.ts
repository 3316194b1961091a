// State roots kept incrementally by both chain stores (persistent tries updated with each
// block's changes) against roots built from every account of the same state.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createAddress } from "../primitives/address.js";
import { type Address, bytesToHex, hexToBytes } from "../primitives/hex.js";
import { MemoryState, StateDB } from "../state/statedb.js";
import { signTransaction } from "../tx/sender.js";
import { devAccounts, devGenesisJson } from "./devchain.js";
import { parseGenesis } from "./genesis.js";
import { DevNode } from "./node.js";

const [alice] = devAccounts();
// SSTORE(calldata[0..32] as key, calldata[32..64] as value).
const STORE_RUNTIME = "6020355f355500";
const word = (n: bigint) => n.toString(16).padStart(64, "0");

/** The head's root built from every account (an unsealed copy takes the full path). */
function fullRoot(node: DevNode): string {
  const copy = new MemoryState();
  for (const [a, d] of node.chain.stateAt(node.head.hash)!.entries!()) copy.accounts.set(a, d);
  return bytesToHex(new StateDB(copy).stateRoot());
}

/** Submits a transaction from the first development account with its next nonce. */
function send(node: DevNode, to: Address | null, data: string, value = 0n, gasLimit = 1_000_000n): void {
  node.submit(
    signTransaction(
      {
        type: 2,
        chainId: 1337n,
        nonce: node.pool.nextNonce(alice!.address),
        maxPriorityFeePerGas: 1n,
        maxFeePerGas: 100_000_000_000n,
        gasLimit,
        to,
        value,
        data: hexToBytes(data),
        accessList: [],
        yParity: 0,
        r: 0n,
        s: 0n,
      },
      alice!.key,
    ),
  );
}

function run(node: DevNode): void {
  send(node, null, `0x60078060095f395ff3${STORE_RUNTIME}`);
  node.seal();
  const store = createAddress(alice!.address, 0n);
  let seed = 7;
  const next = () => {
    // mulberry32: 31-bit values.
    seed = (seed + 0x6d2b79f5) >>> 0;
    let x = Math.imul(seed ^ (seed >>> 15), seed | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) >>> 1;
  };
  for (let block = 0; block < 25; block++) {
    for (let i = 0; i < 8; i++) {
      const r = next() % 10;
      if (r < 6) {
        // Write, overwrite or clear (value 0) one of 40 slots.
        const slot = BigInt(next() % 40);
        const value = next() % 4 === 0 ? 0n : BigInt(next());
        send(node, store, `0x${word(slot)}${word(value)}`);
      } else if (r < 8) {
        send(node, `0x${(0x1000 + (next() % 50)).toString(16).padStart(40, "0")}`, "0x", 1n); // new or old account
      } else {
        send(node, null, `0x60078060095f395ff3${STORE_RUNTIME}`); // another contract
      }
    }
    node.seal();
    expect(bytesToHex(node.head.block.header.stateRoot), `block ${node.head.block.header.number}`).toBe(
      fullRoot(node),
    );
  }
}

describe("incremental state roots", () => {
  it("match full roots block after block on the in-memory chain", () => {
    const node = new DevNode({ blockTime: 3600 });
    try {
      run(node);
    } finally {
      node.close();
    }
  });

  it("match full roots on the LMDB chain, also after a restart rebuilds the head's tries", () => {
    const dir = mkdtempSync(join(tmpdir(), "sonde-roots-"));
    // One genesis for both openings (the development genesis carries the time it was made).
    const genesis = parseGenesis(devGenesisJson());
    const accounts = devAccounts();
    try {
      const node = new DevNode({ blockTime: 3600, store: { datadir: dir }, genesis, accounts });
      try {
        run(node);
      } finally {
        node.close();
      }
      const again = new DevNode({ blockTime: 3600, store: { datadir: dir }, genesis, accounts });
      try {
        const before = again.head.block.header.number;
        send(again, "0x00000000000000000000000000000000000000bb", "0x", 5n, 21_000n);
        again.seal();
        expect(again.head.block.header.number).toBe(before + 1n);
        expect(bytesToHex(again.head.block.header.stateRoot)).toBe(fullRoot(again));
      } finally {
        again.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
