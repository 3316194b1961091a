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
 * Limits, as go-ethereum's legacypool (defaults in parentheses, all in PoolOptions):
 * - Size: a transaction uses ceil(size / 32 KiB) slots; the pool holds at most
 *   globalSlots + globalQueue slots (5120 + 1024). When a new transaction does not fit,
 *   it is refused with "transaction underpriced" unless it pays more than the cheapest
 *   pooled one (by effective tip at the next base fee, then fee cap, then tip); if it
 *   does, the cheapest are evicted to make room ("txpool is full" when even that cannot
 *   free enough), except that a transaction behind a nonce gap never evicts pending ones
 *   ("future transaction tries to replace pending").
 * - Queued: at most accountQueue (64) per sender, the highest nonces dropped first, and
 *   globalQueue (1024) in all, taken from the senders least recently active first.
 * - Pending: above globalSlots (5120) in all, senders with more than accountSlots (16)
 *   pending transactions lose their highest nonces, the largest first, down to
 *   accountSlots.
 * go-ethereum applies the queue and pending limits when it next reorganises the pool,
 * after accepting the transaction; Sonde applies them at once, and refuses a new
 * transaction they would drop ("account limit exceeded", "txpool is full") instead of
 * accepting it and dropping it silently. The limits are also applied after a new block.
 * Blob transactions do not count against them (go-ethereum keeps them in a separate pool
 * with limits of its own, which are not modelled).
 *
 * Not modelled: the cumulative balance check over a sender's queued transactions,
 * go-ethereum's blob pool limits on nonce gaps and on delegated senders, the lifetime
 * of queued transactions (3 h), and the throttle on evictions between reorganisations.
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
  /** Pending (executable) transactions of all senders (--txpool.globalslots, 5120). */
  globalSlots?: number;
  /** Queued (non-executable) transactions of all senders (--txpool.globalqueue, 1024). */
  globalQueue?: number;
  /** Pending transactions guaranteed to each sender (--txpool.accountslots, 16). */
  accountSlots?: number;
  /** Queued transactions allowed per sender (--txpool.accountqueue, 64). */
  accountQueue?: number;
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

/** go-ethereum's txSlotSize: the pool's unit of space. */
export const TX_SLOT_SIZE = 32 * 1024;
export const DEFAULT_MAX_TX_SIZE = 4 * TX_SLOT_SIZE;
export const DEFAULT_GLOBAL_SLOTS = 5120;
export const DEFAULT_GLOBAL_QUEUE = 1024;
export const DEFAULT_ACCOUNT_SLOTS = 16;
export const DEFAULT_ACCOUNT_QUEUE = 64;
/** Largest blob transaction accepted, sidecar included (go-ethereum's blob pool: 1 MiB). */
export const MAX_BLOB_TX_SIZE = 1024 * 1024;

/** Slots a pooled transaction takes (blob transactions: none, see the module comment). */
function slotsOf(e: PoolTx): number {
  return e.tx.type === 3 ? 0 : Math.ceil(e.size / TX_SLOT_SIZE);
}

/** go-ethereum's price order: effective tip at `baseFee`, then fee cap, then tip. */
function comparePrice(a: Transaction, b: Transaction, baseFee: bigint): number {
  return (
    cmp(effectiveTip(a, baseFee), effectiveTip(b, baseFee)) ||
    cmp(txFeeCap(a), txFeeCap(b)) ||
    cmp(txTipCap(a), txTipCap(b))
  );
}

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
  /** Slots in use (see slotsOf). */
  private usedSlots = 0;
  readonly minTip: bigint;
  readonly maxTxSize: number;
  readonly globalSlots: number;
  readonly globalQueue: number;
  readonly accountSlots: number;
  readonly accountQueue: number;
  readonly priceBump: bigint;

  constructor(
    private readonly chain: PoolChain,
    opts: PoolOptions = {},
  ) {
    this.minTip = opts.minTip ?? 0n;
    this.maxTxSize = opts.maxTxSize ?? DEFAULT_MAX_TX_SIZE;
    this.globalSlots = opts.globalSlots ?? DEFAULT_GLOBAL_SLOTS;
    this.globalQueue = opts.globalQueue ?? DEFAULT_GLOBAL_QUEUE;
    this.accountSlots = opts.accountSlots ?? DEFAULT_ACCOUNT_SLOTS;
    this.accountQueue = opts.accountQueue ?? DEFAULT_ACCOUNT_QUEUE;
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
    if (old !== undefined && !this.bumped(old.tx, tx)) {
      throw new TxPoolError("replacement transaction underpriced");
    }
    const entry: PoolTx = { tx, hash, sender, size, seq: this.seq++ };
    if (checked.sidecar !== undefined) entry.sidecar = checked.sidecar;
    this.makeRoom(entry, old);
    if (txs === undefined) {
      txs = new Map();
      this.bySender.set(sender, txs);
    }
    if (old !== undefined) this.drop(old);
    txs.set(tx.nonce, entry);
    this.byHash.set(hash, entry);
    this.usedSlots += slotsOf(entry);
    const why = this.truncate(entry);
    if (why !== undefined) throw new TxPoolError(why);
    this.announce(sender);
    return entry;
  }

  /**
   * When `entry` does not fit in the pool's slots, evicts the cheapest transactions to
   * make room, or refuses it (see the module comment). `old` is the transaction it replaces.
   */
  private makeRoom(entry: PoolTx, old: PoolTx | undefined): void {
    const need = slotsOf(entry);
    if (need === 0) return;
    let over =
      this.usedSlots - (old === undefined ? 0 : slotsOf(old)) + need - (this.globalSlots + this.globalQueue);
    if (over <= 0) return;
    const baseFee = this.chain.nextBaseFee();
    const cheapest = [...this.byHash.values()]
      .filter((e) => e !== old && slotsOf(e) > 0)
      .sort((a, b) => comparePrice(a.tx, b.tx, baseFee) || b.seq - a.seq);
    const floor = cheapest[0];
    if (floor === undefined || comparePrice(floor.tx, entry.tx, baseFee) >= 0) {
      throw new TxPoolError("transaction underpriced");
    }
    const evict: PoolTx[] = [];
    for (const e of cheapest) {
      if (over <= 0) break;
      evict.push(e);
      over -= slotsOf(e);
    }
    if (over > 0) throw new TxPoolError("txpool is full");
    if (this.isGapped(entry.sender, entry.tx.nonce)) {
      const pending = new Set<PoolTx>();
      for (const e of evict) for (const p of this.pendingOf(e.sender)) pending.add(p);
      if (evict.some((e) => pending.has(e))) {
        throw new TxPoolError("future transaction tries to replace pending");
      }
    }
    for (const e of evict) this.drop(e);
  }

  /** Whether a transaction of `sender` with `nonce` would sit behind a nonce gap. */
  private isGapped(sender: Address, nonce: bigint): boolean {
    const txs = this.bySender.get(sender);
    for (let n = this.stateNonce(sender); n < nonce; n++) if (txs?.get(n) === undefined) return true;
    return false;
  }

  /**
   * Applies the queue and pending limits (see the module comment). When `added` is
   * given and had to go, returns why (go-ethereum's text), having removed it.
   */
  private truncate(added?: PoolTx): string | undefined {
    const n = this.byHash.size;
    if (n <= this.accountQueue && n <= this.globalQueue && n <= this.globalSlots) return undefined;
    let why: string | undefined;
    const dropped = (e: PoolTx, reason: string) => {
      this.drop(e);
      if (e === added) why = reason;
    };
    // Each sender's queue: the highest nonces beyond accountQueue go.
    const queued = this.queuedCounted();
    for (const [sender, list] of queued) {
      while (list.length > this.accountQueue) {
        dropped(
          list.pop()!,
          `account limit exceeded: ${this.accountQueue} queued transactions from ${checksumAddress(sender)}`,
        );
      }
      if (list.length === 0) queued.delete(sender);
    }
    // All queues: the least recently active senders lose theirs first, highest nonces first.
    let excess = [...queued.values()].reduce((n, l) => n + l.length, 0) - this.globalQueue;
    if (excess > 0) {
      const senders = [...queued.keys()].sort((a, b) => this.lastSeq(a) - this.lastSeq(b));
      for (const sender of senders) {
        const list = queued.get(sender)!;
        while (excess > 0 && list.length > 0) {
          dropped(list.pop()!, "txpool is full");
          excess--;
        }
        if (excess <= 0) break;
      }
    }
    // Pending: above globalSlots, senders above accountSlots shrink, the largest first.
    const pending = [...this.pending()]
      .map(([sender, list]) => ({ sender, list: list.filter((e) => slotsOf(e) > 0) }))
      .filter((p) => p.list.length > 0);
    let total = pending.reduce((n, p) => n + p.list.length, 0);
    while (total > this.globalSlots) {
      let top: { sender: Address; list: PoolTx[] } | undefined;
      for (const p of pending) {
        if (p.list.length <= this.accountSlots) continue;
        if (
          top === undefined ||
          p.list.length > top.list.length ||
          (p.list.length === top.list.length && this.lastSeq(p.sender) < this.lastSeq(top.sender))
        ) {
          top = p;
        }
      }
      if (top === undefined) break;
      dropped(top.list.pop()!, "txpool is full");
      total--;
    }
    return why;
  }

  /** Queued transactions that count against the limits, by sender, in nonce order. */
  private queuedCounted(): Map<Address, PoolTx[]> {
    const out = new Map<Address, PoolTx[]>();
    for (const [sender, list] of this.queued()) {
      const counted = list.filter((e) => slotsOf(e) > 0);
      if (counted.length > 0) out.set(sender, counted);
    }
    return out;
  }

  /** Arrival of a sender's newest pooled transaction (go-ethereum's heartbeat). */
  private lastSeq(sender: Address): number {
    let last = -1;
    for (const e of this.bySender.get(sender)?.values() ?? []) if (e.seq > last) last = e.seq;
    return last;
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
      throw new TxPoolError(
        `transaction gas price below minimum: gas tip cap ${tip}, minimum needed ${this.minTip}`,
      );
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
    if (this.byHash.get(entry.hash) === entry) this.usedSlots -= slotsOf(entry);
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
    this.truncate();
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
