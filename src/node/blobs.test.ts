/** Blob sidecar checks (KZG with c-kzg), blob transactions in the pool, and sealing them. */
import kzg from "c-kzg";
import { beforeAll, describe, expect, it } from "vitest";
import { Fork } from "../evm/forks.js";
import { type Address, bytesToHex } from "../primitives/hex.js";
import { type BlobSidecar, encodePooledTransaction, encodeTransaction, txHash } from "../tx/decode.js";
import { signTransaction } from "../tx/sender.js";
import type { BlobTransaction, FeeMarketTransaction } from "../tx/types.js";
import { CELLS_PER_BLOB, checkBlobSidecar, kzgVersionedHash } from "./blobs.js";
import { devAccounts, devGenesisJson } from "./devchain.js";
import { parseGenesis } from "./genesis.js";
import { DevNode } from "./node.js";
import { type PoolChain, TxPool } from "./txpool.js";

const GWEI = 1_000_000_000n;
const [alice] = devAccounts();
const TO: Address = "0x00000000000000000000000000000000000000cc";

/** A blob whose 4096 field elements are small numbers (all canonical). */
function makeBlob(seed: number): Uint8Array {
  const b = new Uint8Array(131072);
  for (let i = 0; i < 4096; i++) b[i * 32 + 31] = (i * 7 + seed) % 256;
  return b;
}

let blob: Uint8Array;
let commitment: Uint8Array;
let blobProof: Uint8Array;
let cellProofs: Uint8Array[];

beforeAll(() => {
  try {
    kzg.loadTrustedSetup(0);
  } catch (e) {
    if (!/already loaded/i.test((e as Error).message)) throw e;
  }
  blob = makeBlob(1);
  commitment = kzg.blobToKzgCommitment(blob);
  blobProof = kzg.computeBlobKzgProof(blob, commitment);
  cellProofs = kzg.computeCellsAndKzgProofs(blob)[1];
}, 60_000);

function blobTx(over: Partial<BlobTransaction> = {}): BlobTransaction {
  return signTransaction(
    {
      type: 3,
      chainId: 1337n,
      nonce: 0n,
      maxPriorityFeePerGas: GWEI,
      maxFeePerGas: 3n * GWEI,
      gasLimit: 21000n,
      to: TO,
      value: 0n,
      data: new Uint8Array(0),
      accessList: [],
      maxFeePerBlobGas: 10n,
      blobVersionedHashes: [kzgVersionedHash(commitment)],
      yParity: 0,
      r: 0n,
      s: 0n,
      ...over,
    },
    alice!.key,
  ) as BlobTransaction;
}

const v1 = (): BlobSidecar => ({ version: 1, blobs: [blob], commitments: [commitment], proofs: cellProofs });
const v0 = (): BlobSidecar => ({ version: 0, blobs: [blob], commitments: [commitment], proofs: [blobProof] });

describe("checkBlobSidecar", () => {
  it("accepts cell proofs from Osaka and blob proofs before", () => {
    expect(cellProofs).toHaveLength(CELLS_PER_BLOB);
    expect(checkBlobSidecar(blobTx(), v1(), Fork.Osaka)).toEqual(v1());
    expect(checkBlobSidecar(blobTx(), v0(), Fork.Prague)).toEqual(v0());
  });

  it("converts a version-0 sidecar to cell proofs from Osaka", () => {
    const out = checkBlobSidecar(blobTx(), v0(), Fork.Osaka);
    expect(out.version).toBe(1);
    expect(out.proofs.map(bytesToHex)).toEqual(cellProofs.map(bytesToHex));
  });

  it("refuses wrong proofs, hashes, versions and counts with go-ethereum's texts", () => {
    const badCells = v1();
    badCells.proofs = [...cellProofs];
    [badCells.proofs[0], badCells.proofs[1]] = [cellProofs[1]!, cellProofs[0]!];
    expect(() => checkBlobSidecar(blobTx(), badCells, Fork.Osaka)).toThrow(
      "KZG verification error: cell proofs do not verify",
    );
    const badBlob = { ...v0(), proofs: [cellProofs[0]!] };
    expect(() => checkBlobSidecar(blobTx(), badBlob, Fork.Cancun)).toThrow(
      "KZG verification error: blob proofs do not verify",
    );
    expect(() => checkBlobSidecar(blobTx(), v1(), Fork.Prague)).toThrow(
      "Wrong sidecar format: unexpected sidecar version, want: 0, got: 1",
    );
    expect(() => checkBlobSidecar(blobTx(), { ...v1(), proofs: cellProofs.slice(1) }, Fork.Osaka)).toThrow(
      "Wrong sidecar format: invalid number of 127 blob proofs expected 128",
    );
    const otherHash = new Uint8Array(32).fill(9);
    otherHash[0] = 1;
    expect(() => checkBlobSidecar(blobTx({ blobVersionedHashes: [otherHash] }), v1(), Fork.Osaka)).toThrow(
      `blob 0: computed hash ${bytesToHex(kzgVersionedHash(commitment))} mismatches transaction one ${bytesToHex(otherHash)}`,
    );
    expect(() => checkBlobSidecar(blobTx(), undefined, Fork.Osaka)).toThrow(
      "missing sidecar in blob transaction",
    );
    expect(() => checkBlobSidecar(blobTx({ maxFeePerBlobGas: 0n }), v1(), Fork.Osaka)).toThrow(
      "transaction gas price below minimum: blob fee cap 0, minimum needed 1",
    );
    expect(() =>
      checkBlobSidecar(blobTx(), { ...v1(), commitments: [commitment, commitment] }, Fork.Osaka),
    ).toThrow("invalid number of 2 blob commitments compared to 1 blob hashes");
    // Seven blobs: refused before any KZG work.
    const commitments = Array.from({ length: 7 }, (_, i) => new Uint8Array(48).fill(i + 1));
    const seven = blobTx({ blobVersionedHashes: commitments.map(kzgVersionedHash) });
    expect(() =>
      checkBlobSidecar(seven, { version: 1, blobs: [], commitments, proofs: [] }, Fork.Osaka),
    ).toThrow("transaction blob limit exceeded: blob count 7, limit 6");
  });
});

function fakeChain(balance = 10n ** 18n, blobBaseFee = 1n): PoolChain {
  return {
    chainId: 1337n,
    fork: () => Fork.Osaka,
    nextBaseFee: () => GWEI,
    gasLimit: () => 30_000_000n,
    account: (a) => (a === alice!.address ? { nonce: 0n, balance, code: new Uint8Array(0) } : undefined),
    blobParams: () => ({ maxPerBlock: 9, baseFee: blobBaseFee }),
  };
}

describe("blob transactions in the pool", () => {
  it("accepts the network form and selects it while the blob fee cap covers the blob base fee", () => {
    const pool = new TxPool(fakeChain());
    const tx = blobTx();
    const e = pool.addRaw(encodePooledTransaction(tx, v1()));
    expect(e.hash).toBe(bytesToHex(txHash(tx)));
    expect(e.sidecar?.version).toBe(1);
    expect(pool.status()).toEqual({ pending: 1, queued: 0 });
    expect(pool.select(30_000_000n, GWEI, { maxPerBlock: 9, baseFee: 10n })).toHaveLength(1);
    expect(pool.select(30_000_000n, GWEI, { maxPerBlock: 9, baseFee: 11n })).toHaveLength(0);
    expect(pool.select(30_000_000n, GWEI, { maxPerBlock: 0, baseFee: 1n })).toHaveLength(0);
    expect(pool.select(30_000_000n, GWEI)).toHaveLength(0);
  });

  it("refuses a blob transaction without its sidecar, and mixing with other transactions", () => {
    const pool = new TxPool(fakeChain());
    expect(() => pool.addRaw(encodeTransaction(blobTx()))).toThrow("missing sidecar in blob transaction");
    const plain: FeeMarketTransaction = {
      type: 2,
      chainId: 1337n,
      nonce: 0n,
      maxPriorityFeePerGas: GWEI,
      maxFeePerGas: 3n * GWEI,
      gasLimit: 21000n,
      to: TO,
      value: 0n,
      data: new Uint8Array(0),
      accessList: [],
      yParity: 0,
      r: 0n,
      s: 0n,
    };
    pool.add(signTransaction(plain, alice!.key));
    expect(() => pool.addRaw(encodePooledTransaction(blobTx({ nonce: 1n }), v1()))).toThrow(
      "address already reserved",
    );
  });

  it("counts the blob fee in the balance check", () => {
    const gasCost = 21000n * 3n * GWEI;
    const pool = new TxPool(fakeChain(gasCost + 131072n * 10n - 1n));
    expect(() => pool.addRaw(encodePooledTransaction(blobTx(), v1()))).toThrow(
      `insufficient funds for gas * price + value: address 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266 have ${gasCost + 1310719n} want ${gasCost + 1310720n}`,
    );
  });
});

describe("sealing blob transactions", () => {
  it("includes a pooled blob transaction with its blob gas", () => {
    const node = new DevNode({ genesis: parseGenesis(devGenesisJson({ timestamp: 1n })), mining: false });
    try {
      const e = node.submitRaw(encodePooledTransaction(blobTx({ maxFeePerGas: 10n * GWEI }), v0()));
      expect(node.pool.status()).toEqual({ pending: 1, queued: 0 });
      const b = node.seal();
      expect(b?.block.transactions).toHaveLength(1);
      expect(b?.block.header.blobGasUsed).toBe(131072n);
      expect(node.locate(e.hash)).toEqual({ blockHash: b?.hash, index: 0 });
      expect(node.pool.size).toBe(0);
    } finally {
      node.close();
    }
  });
});
