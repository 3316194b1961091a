/**
 * Block production for `sonde node`: builds a block from the pool's transactions on the
 * head with Blockchain.buildBlock and imports it with insertBlock, either for every
 * transaction (instant sealing, go-ethereum --dev without a period) or every `blockTime`
 * seconds (empty blocks included, as go-ethereum --dev.period), or never by itself (no
 * mining: blocks come only from import or an explicit seal, as a client driven by a
 * consensus client).
 *
 * Post-merge blocks get a fresh random mixHash (PREVRANDAO; or one derived from the parent,
 * see SealContext.prevRandao), a zero parent beacon root
 * and no withdrawals. The timestamp is the wall clock, but always after the parent's.
 * Transactions the block cannot hold (gas limit) stay in the pool for the next block; a
 * transaction the block builder finds invalid is dropped from the pool with a message on
 * stderr, and the block is built without it.
 */
import { randomBytes } from "node:crypto";
import type { Block } from "../chain/block.js";
import type { Blockchain, StoredBlock } from "../chain/blockchain.js";
import { BlockValidationError } from "../chain/validate.js";
import { type Address, bigintToBytes, concatBytes, hexToBytes } from "../primitives/hex.js";
import { keccak256 } from "../primitives/keccak.js";
import type { BlobParams, TxPool } from "./txpool.js";

export interface SealContext {
  chain: Blockchain;
  pool: TxPool;
  coinbase: Address;
  /**
   * PREVRANDAO (mixHash) of sealed blocks: "random" (fresh random bytes, as go-ethereum's
   * dev mode) or "derived" (keccak256(parent hash ‖ number): the same on every node that
   * seals the same chain, so two nodes fed the same transactions build identical blocks).
   */
  prevRandao?: "random" | "derived";
  /** Base fee of the next block. */
  nextBaseFee(): bigint;
  /** Blob limit and blob base fee of the next block (undefined before Cancun: no blob transactions). */
  nextBlobParams?(): BlobParams | undefined;
  /** Timestamp of the next block (default: nextTimestamp of the head's, from the wall clock). */
  nextTimestamp?(): bigint;
  /** Called with each imported block. */
  imported(b: StoredBlock): void;
  /** Where messages about dropped transactions go. */
  log(message: string): void;
}

/** Timestamp for a child of `parent` sealed now. */
export function nextTimestamp(parentTimestamp: bigint, nowMs = Date.now()): bigint {
  const now = BigInt(Math.floor(nowMs / 1000));
  return now > parentTimestamp ? now : parentTimestamp + 1n;
}

/**
 * Builds and imports one block. Returns it, or undefined when the pool had nothing to
 * include and `allowEmpty` is false.
 */
export function sealBlock(
  ctx: SealContext,
  opts: { allowEmpty?: boolean; timestamp?: bigint } = {},
): StoredBlock | undefined {
  const { chain, pool } = ctx;
  const head = chain.head;
  let candidates = pool.select(head.block.header.gasLimit, ctx.nextBaseFee(), ctx.nextBlobParams?.());
  if (candidates.length === 0 && !opts.allowEmpty) return undefined;
  const timestamp = opts.timestamp ?? ctx.nextTimestamp?.() ?? nextTimestamp(head.block.header.timestamp);
  let block: Block;
  for (;;) {
    try {
      block = chain.buildBlock({
        transactions: candidates.map((c) => c.tx),
        timestamp,
        coinbase: ctx.coinbase,
        mixHash:
          ctx.prevRandao === "derived"
            ? keccak256(concatBytes(hexToBytes(head.hash), bigintToBytes(head.block.header.number + 1n, 32)))
            : new Uint8Array(randomBytes(32)),
        parentBeaconBlockRoot: new Uint8Array(32),
        withdrawals: [],
      });
      break;
    } catch (err) {
      // buildBlock names the failing transaction as "transaction N: ...".
      const m = err instanceof BlockValidationError ? /^transaction (\d+):/.exec(err.message) : null;
      const bad = m === null ? undefined : candidates[Number(m[1])];
      if (bad === undefined) throw err;
      ctx.log(`dropping transaction ${bad.hash}: ${(err as Error).message}`);
      pool.remove(bad.hash);
      candidates = candidates.filter((c) => c.sender !== bad.sender || c.tx.nonce < bad.tx.nonce);
      if (candidates.length === 0 && !opts.allowEmpty) return undefined;
    }
  }
  const { stored } = chain.insertBlock(block);
  pool.reset();
  ctx.imported(stored);
  return stored;
}

/**
 * Schedules sealing: on demand (instant: "automine"), on a timer, or not at all (`mining`
 * false). Automine can be switched at run time (evm_setAutomine); the timer cannot.
 */
export class Sealer {
  private timer: NodeJS.Timeout | undefined;
  private scheduled = false;
  private stopped = false;
  private instant: boolean;

  constructor(
    private readonly ctx: SealContext,
    readonly blockTime: number,
    readonly mining = true,
  ) {
    this.instant = mining && blockTime === 0;
    if (mining && blockTime > 0) {
      this.timer = setInterval(() => this.safely(true), blockTime * 1000);
    }
  }

  /** Whether a block is sealed for each arriving transaction. */
  get automine(): boolean {
    return this.instant;
  }

  /** Switches instant sealing on or off; switching it on seals what is pending. */
  setAutomine(on: boolean): void {
    this.instant = on;
    if (on) this.notify();
  }

  /** A transaction arrived: in instant mode, seal soon (transactions arriving together share a block). */
  notify(): void {
    if (!this.instant || this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      // Keep sealing while pending transactions remain that fit in a block.
      for (let i = 0; i < 64 && !this.stopped; i++) {
        if (this.safely(false) === undefined) break;
      }
    });
  }

  private safely(allowEmpty: boolean): StoredBlock | undefined {
    if (this.stopped) return undefined;
    try {
      return sealBlock(this.ctx, { allowEmpty });
    } catch (err) {
      this.ctx.log(`sealing failed: ${(err as Error).message}`);
      return undefined;
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
  }
}
