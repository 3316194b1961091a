/**
 * Admission checks for a blob transaction's sidecar, as go-ethereum's blob pool makes
 * them (core/txpool/validation.go validateBlobSidecar and ValidateCells, after
 * eth_sendRawTransaction's conversion of version-0 sidecars once Osaka is active):
 *
 *   1. the blob fee cap is at least 1 wei;
 *   2. a sidecar is present, with one commitment per versioned hash, each hash being
 *      0x01 ++ sha256(commitment)[1:];
 *   3. at most 6 blobs per transaction (go-ethereum's BlobTxMaxBlobs);
 *   4. the sidecar version fits the fork: from Osaka version 1 (EIP-7594 cell proofs;
 *      a version-0 sidecar is converted by computing the cell proofs from the blobs, as
 *      go-ethereum does), before Osaka version 0 (one blob proof per blob);
 *   5. one blob per commitment and the right number of proofs;
 *   6. the KZG proofs verify (c-kzg, mainnet trusted setup).
 *
 * Error texts are go-ethereum's where it has one; the cause of a failed KZG check is
 * c-kzg's, not go-eth-kzg's.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import kzg from "c-kzg";
import { Fork } from "../evm/forks.js";
import { bytesToHex } from "../primitives/hex.js";
import type { BlobSidecar } from "../tx/decode.js";
import type { BlobTransaction } from "../tx/types.js";

/** go-ethereum's BlobTxMaxBlobs: most blobs one pooled transaction may carry. */
export const MAX_BLOBS_PER_POOLED_TX = 6;
/** go-ethereum's BlobTxMinBlobGasprice. */
export const MIN_BLOB_GAS_PRICE = 1n;
/** EIP-7594: cells (and cell proofs) per extended blob. */
export const CELLS_PER_BLOB = 128;

/** A sidecar the pool refuses; the message is go-ethereum's text where it has one. */
export class BlobSidecarError extends Error {
  override name = "BlobSidecarError";
}

let setupLoaded = false;

function loadSetup(): void {
  if (setupLoaded) return;
  try {
    kzg.loadTrustedSetup(0);
  } catch (e) {
    // The point-evaluation precompile may have loaded it already.
    if (!(e instanceof Error && /already loaded/i.test(e.message))) throw e;
  }
  setupLoaded = true;
}

/** EIP-4844 versioned hash of a commitment: 0x01 ++ sha256(commitment)[1:]. */
export function kzgVersionedHash(commitment: Uint8Array): Uint8Array {
  const h = sha256(commitment);
  h[0] = 0x01;
  return h;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function kzgError(cause: string): BlobSidecarError {
  return new BlobSidecarError(`KZG verification error: ${cause}`);
}

/** A version-1 sidecar for a version-0 one: the cell proofs computed from the blobs. */
export function sidecarToV1(sc: BlobSidecar): BlobSidecar {
  if (sc.version === 1) return sc;
  loadSetup();
  const proofs: Uint8Array[] = [];
  for (const blob of sc.blobs) {
    try {
      proofs.push(...kzg.computeCellsAndKzgProofs(blob)[1]);
    } catch (e) {
      throw new BlobSidecarError(`blob sidecar conversion failed: ${(e as Error).message}`);
    }
  }
  return { version: 1, blobs: sc.blobs, commitments: sc.commitments, proofs };
}

/** The KZG check: cell proofs (version 1) or blob proofs (version 0). */
function verifyProofs(sc: BlobSidecar): void {
  loadSetup();
  let ok: boolean;
  try {
    if (sc.version === 1) {
      const commitments: Uint8Array[] = [];
      const indices: number[] = [];
      const cells: Uint8Array[] = [];
      sc.blobs.forEach((blob, b) => {
        const blobCells = kzg.computeCells(blob);
        for (let i = 0; i < CELLS_PER_BLOB; i++) {
          commitments.push(sc.commitments[b]!);
          indices.push(i);
          cells.push(blobCells[i]!);
        }
      });
      ok = kzg.verifyCellKzgProofBatch(commitments, indices, cells, sc.proofs);
    } else {
      ok = kzg.verifyBlobKzgProofBatch(sc.blobs, sc.commitments, sc.proofs);
    }
  } catch (e) {
    throw kzgError((e as Error).message);
  }
  if (!ok) throw kzgError(sc.version === 1 ? "cell proofs do not verify" : "blob proofs do not verify");
}

/**
 * Checks a blob transaction's sidecar for admission to the pool in `fork` (rules above).
 * Returns the sidecar as kept (version 1 from Osaka). Throws BlobSidecarError.
 */
export function checkBlobSidecar(
  tx: BlobTransaction,
  sidecar: BlobSidecar | undefined,
  fork: Fork,
): BlobSidecar {
  if (tx.maxFeePerBlobGas < MIN_BLOB_GAS_PRICE) {
    throw new BlobSidecarError(
      `transaction gas price below minimum: blob fee cap ${tx.maxFeePerBlobGas}, minimum needed ${MIN_BLOB_GAS_PRICE}`,
    );
  }
  if (sidecar === undefined) throw new BlobSidecarError("missing sidecar in blob transaction");
  const hashes = tx.blobVersionedHashes;
  if (sidecar.commitments.length !== hashes.length) {
    throw new BlobSidecarError(
      `invalid number of ${sidecar.commitments.length} blob commitments compared to ${hashes.length} blob hashes`,
    );
  }
  hashes.forEach((h, i) => {
    const computed = kzgVersionedHash(sidecar.commitments[i]!);
    if (!sameBytes(h, computed)) {
      throw new BlobSidecarError(
        `blob ${i}: computed hash ${bytesToHex(computed)} mismatches transaction one ${bytesToHex(h)}`,
      );
    }
  });
  if (hashes.length > MAX_BLOBS_PER_POOLED_TX) {
    throw new BlobSidecarError(
      `transaction blob limit exceeded: blob count ${hashes.length}, limit ${MAX_BLOBS_PER_POOLED_TX}`,
    );
  }
  const want = fork >= Fork.Osaka ? 1 : 0;
  let sc = sidecar;
  if (sc.blobs.length !== sc.commitments.length) {
    throw new BlobSidecarError(
      `invalid number of ${sc.blobs.length} blobs compared to ${sc.commitments.length} commitments`,
    );
  }
  if (want === 1 && sc.version === 0) sc = sidecarToV1(sc);
  if (sc.version !== want) {
    throw new BlobSidecarError(
      `Wrong sidecar format: unexpected sidecar version, want: ${want}, got: ${sc.version}`,
    );
  }
  const perBlob = sc.version === 1 ? CELLS_PER_BLOB : 1;
  if (sc.proofs.length !== sc.commitments.length * perBlob) {
    throw new BlobSidecarError(
      `Wrong sidecar format: invalid number of ${sc.proofs.length} blob proofs expected ${sc.commitments.length * perBlob}`,
    );
  }
  verifyProofs(sc);
  return sc;
}
