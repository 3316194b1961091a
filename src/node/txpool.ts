/**
 * The transaction pool of `sonde node`: admission checks, per-sender nonce ordering,
 * replacement by fee bump, queued transactions behind nonce gaps, and the selection of
 * transactions for the next block.
 *
 * Semantics follow go-ethereum's core/txpool (legacypool) where a dev chain needs them;
 * error texts are go-ethereum's, with the state-transition wording for the stateful
 * checks ("nonce too low: address X, tx: N state: M", "insufficient funds for gas * price
 * + value: address X have A want B", "intrinsic gas too low: have X, want Y", "max fee
 * per gas less than block base fee: address X, maxFeePerGas: A, baseFee: B").
 *
 * A sender's transactions are kept by nonce. Those forming a contiguous run from the
 * sender's account nonce (in the head state) are pending; the others are queued and
 * become pending when the gap is filled (the run is recomputed, so promotion needs no
 * bookkeeping). A transaction with the nonce of a pooled one replaces it only if both its
 * fee cap and its tip are at least 10% higher. When a block is imported, transactions
 * whose nonce is below the sender's new account nonce are dropped.
 *
 * Blob transactions (type 3) are accepted in their network form, with the sidecar checks
 * of go-ethereum's blob pool (blobs.ts: versioned hashes, at most 6 blobs, sidecar version
 * for the fork, KZG proofs), a size limit of 1 MiB instead of 128 KiB, the blob fee in the
 * balance check and the blob fee cap in the replacement rule. As in go-ethereum, where
 * they live in a separate sub-pool, an account's pooled transactions are either all blob
 * transactions or none ("address already reserved"), and txpool_content leaves them out
 * (txpool_status counts them). A block takes a blob transaction only while its blob fee
 * cap covers the next block's blob base fee and the block's blob limit allows.
 *
 * Not modelled: per-account slot limits, eviction of cheaper transactions when the pool is
 * full (a full pool refuses new transactions), the cumulative balance check over a
 * sender's queued transactions, go-ethereum's blob pool limits on nonce gaps and on
 * delegated senders.
 */

import { GAS_PER_BLOB } from "../block/blobs.js";
import { SondeError } from "../errors.js";
import { parseDelegation } from "../evm/delegation.js";
import { Fork, forkName } from "../evm/forks.js";
import { type Address, bytesToHex } from "../primitives/hex.js";
import { type BlobSidecar, decodePooledTransaction, encodeTransaction, txHash } from "../tx/decode.js";
import { intrinsicGas } from "../tx/intrinsic.js";
import { recoverSender } from "../tx/sender.js";
import { type Transaction, txFeeCap, txTipCap } from "../tx/types.js";
import {
  BlobCountExceededError,
  EmptyAuthorizationListError,
  InitcodeSizeExceededError,
  MAX_INITCODE_SIZE,
  NonceMaxError,
  SetCodeTxCreateError,
  TX_GAS_LIMIT_CAP,
  TxValidationError,
  validateTransaction,
} from "../tx/validate.js";
import { BlobSidecarError, checkBlobSidecar, MAX_BLOBS_PER_POOLED_TX } from "./blobs.js";
import { checksumAddress } from "./checksum.js";

/** A transaction the pool refused; `message` is go-ethereum's text. */
export class TxPoolError extends SondeError {
  override name = "TxPoolError";
}

/** What the pool needs to know about the chain: the head state and the next block's rules. */
export interface PoolChain {
  chainId: bigint;
  /** Fork of the next block. */
  fork(): Fork;
  /** Base fee of the next block (0 before London). */
  nextBaseFee(): bigint;
  /** Gas limit of the next block. */
  gasLimit(): bigint;
  /** Account in the head state. */
  account(address: Address): { nonce: bigint; balance: bigint; code: Uint8Array } | undefined;
  /** Blob limit and blob base fee of the next block; undefined before Cancun (or not known). */
  blobParams?(): BlobParams | undefined;
}

export interface BlobParams {
  /** Most blobs in one block. */
  maxPerBlock: number;
  /** Blob base fee (wei per blob gas). */
  baseFee: bigint;
}

export interface PoolOptions {
  /** Minimum tip (wei per gas) accepted; go-ethereum's --dev uses 0. */
  minTip?: bigint;
  /** Largest encoded transaction accepted (go-ethereum: 4 × 32 KiB). */
  maxTxSize?: number;
  /** Most transactions held (pending + queued). */
  capacity?: number;
  /** Replacement fee bump, percent (go-ethereum: 10). */
  priceBump?: bigint;
}

export interface PoolTx {
  tx: Transaction;
  hash: string;
  sender: Address;
  /** Encoded size in bytes. */
  size: number;
  /** Arrival order, for tie-breaks. */
  seq: number;
  /** The blobs, commitments and proofs of a blob transaction. */
  sidecar?: BlobSidecar;
}

export const DEFAULT_MAX_TX_SIZE = 4 * 32 * 1024;
export const DEFAULT_CAPACITY = 5120;
/** Largest blob transaction accepted, sidecar included (go-ethereum's blob pool: 1 MiB). */
export const MAX_BLOB_TX_SIZE = 1024 * 1024;

/** The tip a transaction pays above `baseFee` (may be negative when the fee cap is below it). */
export function effectiveTip(tx: Transaction, baseFee: bigint): bigint {
  const cap = txFeeCap(tx);
  const tip = txTipCap(tx);
  return cap - baseFee < tip ? cap - baseFee : tip;
}

export class TxPool {
  private readonly bySender = new Map<Address, Map<bigint, PoolTx>>();
  private readonly byHash = new Map<string, PoolTx>();
  /** Hashes already announced as pending. */
  private readonly announced = new Set<string>();
  private readonly listeners: ((tx: PoolTx) => void)[] = [];
  private seq = 0;
  readonly minTip: bigint;
  readonly maxTxSize: number;
  readonly capacity: number;
  readonly priceBump: bigint;

  constructor(
    private readonly chain: PoolChain,
    opts: PoolOptions = {},
  ) {
    this.minTip = opts.minTip ?? 0n;
    this.maxTxSize = opts.maxTxSize ?? DEFAULT_MAX_TX_SIZE;
    this.capacity = opts.capacity ?? DEFAULT_CAPACITY;
    this.priceBump = opts.priceBump ?? 10n;
  }

  /** Calls `fn` for every transaction that becomes pending (added or promoted). */
  onPending(fn: (tx: PoolTx) => void): void {
    this.listeners.push(fn);
  }

  get size(): number {
    return this.byHash.size;
  }

  get(hash: string): PoolTx | undefined {
    return this.byHash.get(hash.toLowerCase());
  }

  /**
   * Decodes and adds a raw transaction (eth_sendRawTransaction): canonical, or a blob
   * transaction in its network form with the sidecar.
   */
  addRaw(raw: Uint8Array): PoolTx {
    let decoded: ReturnType<typeof decodePooledTransaction>;
    try {
      decoded = decodePooledTransaction(raw);
    } catch (err) {
      throw new TxPoolError(`invalid transaction: ${(err as Error).message}`);
    }
    return this.add(decoded.tx, raw.length, decoded.sidecar);
  }

  /** Validates and adds a decoded, signed transaction (a blob transaction needs its sidecar). */
  add(tx: Transaction, size = encodeTransaction(tx).length, sidecar?: BlobSidecar): PoolTx {
    const hash = bytesToHex(txHash(tx));
    if (this.byHash.has(hash)) throw new TxPoolError("already known");
    const checked: { sidecar?: BlobSidecar } = {};
    const sender = this.validate(tx, size, sidecar, checked);
    let txs = this.bySender.get(sender);
    const old = txs?.get(tx.nonce);
    if (old !== undefined) {
      if (!this.bumped(old.tx, tx)) throw new TxPoolError("replacement transaction underpriced");
    } else if (this.byHash.size >= this.capacity) {
      throw new TxPoolError("txpool is full");
    }
    if (txs === undefined) {
      txs = new Map();
      this.bySender.set(sender, txs);
    }
    if (old !== undefined) this.drop(old);
    const entry: PoolTx = { tx, hash, sender, size, seq: this.seq++ };
    if (checked.sidecar !== undefined) entry.sidecar = checked.sidecar;
    txs.set(tx.nonce, entry);
    this.byHash.set(hash, entry);
    this.announce(sender);
    return entry;
  }

  /** go-ethereum's replacement rule: both caps strictly higher and at least `priceBump`% higher. */
  private bumped(old: Transaction, tx: Transaction): boolean {
    const oldCap = txFeeCap(old);
    const oldTip = txTipCap(old);
    const cap = txFeeCap(tx);
    const tip = txTipCap(tx);
    if (oldCap >= cap || oldTip >= tip) return false;
    const pct = 100n + this.priceBump;
    if (old.type === 3 && tx.type === 3) {
      // The blob pool also wants the blob fee cap bumped.
      const oldBlob = old.maxFeePerBlobGas;
      const blob = tx.maxFeePerBlobGas;
      if (oldBlob >= blob || blob * 100n < oldBlob * pct) return false;
    }
    return cap * 100n >= oldCap * pct && tip * 100n >= oldTip * pct;
  }

  /** The admission checks; returns the sender. Throws TxPoolError with go-ethereum's text. */
  private validate(
    tx: Transaction,
    size: number,
    sidecar: BlobSidecar | undefined,
    checked: { sidecar?: BlobSidecar },
  ): Address {
    const fork = this.chain.fork();
    const activation = [Fork.Frontier, Fork.Berlin, Fork.London, Fork.Cancun, Fork.Prague][tx.type];
    if (activation === undefined || fork < activation) {
      throw new TxPoolError(
        `transaction type not supported: type ${tx.type} rejected, pool not yet in ${forkName(activation ?? fork)}`,
      );
    }
    const maxSize = tx.type === 3 ? MAX_BLOB_TX_SIZE : this.maxTxSize;
    if (size > maxSize) {
      throw new TxPoolError(`oversized data: transaction size ${size}, limit ${maxSize}`);
    }
    if (fork >= Fork.Osaka && tx.gasLimit > TX_GAS_LIMIT_CAP) {
      throw new TxPoolError(`transaction gas limit too high (cap: ${TX_GAS_LIMIT_CAP}, tx: ${tx.gasLimit})`);
    }
    if (tx.gasLimit > this.chain.gasLimit()) throw new TxPoolError("exceeds block gas limit");
    const cap = txFeeCap(tx);
    const tip = txTipCap(tx);
    if (cap >= 1n << 256n) throw new TxPoolError("max fee per gas higher than 2^256-1");
    if (tip >= 1n << 256n) throw new TxPoolError("max priority fee per gas higher than 2^256-1");
    if (tip > cap) throw new TxPoolError("max priority fee per gas higher than max fee per gas");
    const txChainId = tx.chainId;
    if (txChainId !== undefined && txChainId !== this.chain.chainId) {
      throw new TxPoolError(
        `invalid sender: invalid chain id for signer: have ${txChainId} want ${this.chain.chainId}`,
      );
    }
    let sender: Address;
    try {
      sender = recoverSender(tx, fork);
    } catch (err) {
      throw new TxPoolError(`invalid sender: ${(err as Error).message}`);
    }
    const ig = intrinsicGas(tx, fork);
    if (tx.gasLimit < ig.gas)
      throw new TxPoolError(`intrinsic gas too low: have ${tx.gasLimit}, want ${ig.gas}`);
    if (tx.gasLimit < ig.floor) {
      throw new TxPoolError(
        `insufficient gas for floor data gas cost: have ${tx.gasLimit}, want ${ig.floor}`,
      );
    }
    const blobs = this.chain.blobParams?.();
    try {
      validateTransaction(
        tx,
        fork,
        blobs === undefined
          ? { chainId: this.chain.chainId }
          : { chainId: this.chain.chainId, maxBlobsPerBlock: blobs.maxPerBlock },
      );
    } catch (err) {
      if (!(err instanceof TxValidationError)) throw err;
      throw new TxPoolError(gethStatelessMessage(err, tx, sender));
    }
    if (tip < this.minTip) {
      throw new TxPoolError(`transaction underpriced: gas tip cap ${tip}, minimum needed ${this.minTip}`);
    }
    if (tx.type === 3) {
      try {
        checked.sidecar = checkBlobSidecar(tx, sidecar, fork);
      } catch (err) {
        if (err instanceof BlobSidecarError) throw new TxPoolError(err.message);
        throw err;
      }
    }
    // go-ethereum keeps blob and other transactions in separate sub-pools, and an account
    // may only have transactions in one of them.
    const mine = this.bySender.get(sender);
    if (mine !== undefined) {
      for (const e of mine.values()) {
        if ((e.tx.type === 3) !== (tx.type === 3)) {
          throw new TxPoolError("address already reserved");
        }
      }
    }
    const acc = this.chain.account(sender);
    const stateNonce = acc?.nonce ?? 0n;
    const who = checksumAddress(sender);
    if (tx.nonce < stateNonce) {
      throw new TxPoolError(`nonce too low: address ${who}, tx: ${tx.nonce} state: ${stateNonce}`);
    }
    const code = acc?.code ?? new Uint8Array(0);
    if (code.length > 0 && !(fork >= Fork.Prague && parseDelegation(code) !== null)) {
      throw new TxPoolError(`sender not an eoa: address ${who}, len(code): ${code.length}`);
    }
    const balance = acc?.balance ?? 0n;
    const blobCost =
      tx.type === 3 ? BigInt(tx.blobVersionedHashes.length) * GAS_PER_BLOB * tx.maxFeePerBlobGas : 0n;
    const want = tx.gasLimit * cap + tx.value + blobCost;
    if (balance < want) {
      throw new TxPoolError(
        `insufficient funds for gas * price + value: address ${who} have ${balance} want ${want}`,
      );
    }
    const baseFee = this.chain.nextBaseFee();
    if (fork >= Fork.London && cap < baseFee) {
      throw new TxPoolError(
        `max fee per gas less than block base fee: address ${who}, maxFeePerGas: ${cap}, baseFee: ${baseFee}`,
      );
    }
    return sender;
  }

  private drop(entry: PoolTx): void {
    this.byHash.delete(entry.hash);
    this.announced.delete(entry.hash);
    const txs = this.bySender.get(entry.sender);
    if (txs?.get(entry.tx.nonce) === entry) txs.delete(entry.tx.nonce);
    if (txs?.size === 0) this.bySender.delete(entry.sender);
  }

  /** Removes a transaction (and nothing else); returns whether it was pooled. */
  remove(hash: string): boolean {
    const e = this.byHash.get(hash.toLowerCase());
    if (e === undefined) return false;
    this.drop(e);
    return true;
  }

  private stateNonce(sender: Address): bigint {
    return this.chain.account(sender)?.nonce ?? 0n;
  }

  /** A sender's pending run: contiguous nonces from its account nonce. */
  private pendingOf(sender: Address): PoolTx[] {
    const txs = this.bySender.get(sender);
    const out: PoolTx[] = [];
    if (txs === undefined) return out;
    for (let n = this.stateNonce(sender); ; n++) {
      const e = txs.get(n);
      if (e === undefined) break;
      out.push(e);
    }
    return out;
  }

  private announce(sender: Address): void {
    for (const e of this.pendingOf(sender)) {
      if (this.announced.has(e.hash)) continue;
      this.announced.add(e.hash);
      for (const fn of this.listeners) fn(e);
    }
  }

  /** Pending transactions by sender, in nonce order. */
  pending(): Map<Address, PoolTx[]> {
    const out = new Map<Address, PoolTx[]>();
    for (const sender of this.bySender.keys()) {
      const p = this.pendingOf(sender);
      if (p.length > 0) out.set(sender, p);
    }
    return out;
  }

  /** Queued transactions (behind a nonce gap) by sender, in nonce order. */
  queued(): Map<Address, PoolTx[]> {
    const out = new Map<Address, PoolTx[]>();
    for (const [sender, txs] of this.bySender) {
      const pend = new Set(this.pendingOf(sender).map((e) => e.hash));
      const q = [...txs.values()]
        .filter((e) => !pend.has(e.hash))
        .sort((a, b) => cmp(a.tx.nonce, b.tx.nonce));
      if (q.length > 0) out.set(sender, q);
    }
    return out;
  }

  status(): { pending: number; queued: number } {
    let pending = 0;
    for (const p of this.pending().values()) pending += p.length;
    return { pending, queued: this.byHash.size - pending };
  }

  /** The nonce a new transaction from `sender` should use: after its pending run. */
  nextNonce(sender: Address): bigint {
    return this.stateNonce(sender) + BigInt(this.pendingOf(sender).length);
  }

  /**
   * Transactions for the next block: senders' pending runs merged by effective tip
   * (highest first, earlier arrival on ties), each sender's in nonce order, while the sum
   * of gas limits fits `gasLimit`. A transaction that does not fit ends its sender's run
   * for this block, as go-ethereum's miner does. Blob transactions also need `blobs`: their
   * blob fee cap must cover its base fee and their blobs fit its limit (without `blobs`,
   * none is taken).
   */
  select(gasLimit: bigint, baseFee: bigint, blobs?: BlobParams): PoolTx[] {
    const runs = [...this.pending().values()];
    const pos = runs.map(() => 0);
    const out: PoolTx[] = [];
    let left = gasLimit;
    let blobsLeft = blobs?.maxPerBlock ?? 0;
    for (;;) {
      let best = -1;
      let bestTip = 0n;
      for (let i = 0; i < runs.length; i++) {
        const e = runs[i]![pos[i]!];
        if (e === undefined) continue;
        const tip = effectiveTip(e.tx, baseFee);
        if (tip < 0n) {
          pos[i] = runs[i]!.length; // cannot pay the base fee: the rest of the run waits
          continue;
        }
        if (best < 0 || tip > bestTip || (tip === bestTip && e.seq < runs[best]![pos[best]!]!.seq)) {
          best = i;
          bestTip = tip;
        }
      }
      if (best < 0) return out;
      const e = runs[best]![pos[best]!]!;
      if (e.tx.gasLimit > left) {
        pos[best] = runs[best]!.length;
        continue;
      }
      if (e.tx.type === 3) {
        const n = e.tx.blobVersionedHashes.length;
        if (blobs === undefined || e.tx.maxFeePerBlobGas < blobs.baseFee || n > blobsLeft) {
          pos[best] = runs[best]!.length;
          continue;
        }
        blobsLeft -= n;
      }
      left -= e.tx.gasLimit;
      out.push(e);
      pos[best] = pos[best]! + 1;
    }
  }

  /**
   * After a new head: drops transactions whose nonce is below their sender's account
   * nonce (included, or replaced on chain), then announces newly pending ones.
   */
  reset(): void {
    for (const [sender, txs] of [...this.bySender]) {
      const nonce = this.stateNonce(sender);
      for (const e of [...txs.values()]) if (e.tx.nonce < nonce) this.drop(e);
    }
    for (const sender of [...this.bySender.keys()]) this.announce(sender);
  }
}

function cmp(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** go-ethereum's text for the stateless errors of src/tx/validate.ts. */
function gethStatelessMessage(err: TxValidationError, tx: Transaction, sender: Address): string {
  const who = checksumAddress(sender);
  if (err instanceof NonceMaxError) return `nonce has max value: address ${who}, nonce: ${tx.nonce}`;
  if (err instanceof BlobCountExceededError && tx.type === 3) {
    return `transaction blob limit exceeded: blob count ${tx.blobVersionedHashes.length}, limit ${MAX_BLOBS_PER_POOLED_TX}`;
  }
  if (err instanceof InitcodeSizeExceededError) {
    return `max initcode size exceeded: code size ${tx.data.length} limit ${MAX_INITCODE_SIZE}`;
  }
  if (err instanceof SetCodeTxCreateError) {
    return `EIP-7702 transaction cannot be used to create contract (sender ${who})`;
  }
  if (err instanceof EmptyAuthorizationListError)
    return `EIP-7702 transaction with empty auth list (sender ${who})`;
  return err.message;
}
