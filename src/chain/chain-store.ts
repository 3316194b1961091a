/**
 * Where a Blockchain keeps its blocks, receipts, indexes and states: the `ChainStore`
 * contract, and `MemoryChainStore`, the in-memory implementation (every block keeps its
 * full post state as a MemoryState; used by `sonde blocktest` and tests). The
 * persistent implementation is src/store/lmdb-store.ts.
 *
 * The Blockchain decides (validation, processing, fork choice); the store records. A
 * store must apply `addBlock` and `setHead` atomically: either all of a block, its state
 * changes, its indexes and the head move are recorded, or none.
 */
import type { Fork } from "../evm/forks.js";
import { bytesToHex } from "../primitives/hex.js";
import {
  type MemoryState,
  type StateDB,
  type StateReader,
  sealedCopy,
  sealedSnapshot,
} from "../state/statedb.js";
import { txHash } from "../tx/decode.js";
import type { Block, Header, Receipt } from "./block.js";

export interface StoredBlock {
  block: Block;
  /** 0x-hex block hash. */
  hash: string;
  /** Total difficulty up to and including this block. */
  td: bigint;
  /**
   * Post state, kept only by the in-memory store. Use `Blockchain.stateAt(hash)`, which
   * works for every store.
   */
  state?: MemoryState | undefined;
  receipts: Receipt[];
  fork: Fork | undefined;
}

/** Where a canonical transaction is: its block and index in it. */
export interface TxLocation {
  blockHash: string;
  index: number;
}

/** A block that failed validation or processing (as go-ethereum's debug_getBadBlocks). */
export interface BadBlock {
  block: Block;
  hash: string;
  reason: string;
}

/** How many bad blocks a store keeps (go-ethereum's badBlockToKeep): the highest-numbered ones. */
export const BAD_BLOCKS_KEPT = 10;

export interface ChainStore {
  readonly genesis: StoredBlock;
  /** The canonical head. */
  readonly head: StoredBlock;
  get(hash: string): StoredBlock | undefined;
  header(hash: string): Header | undefined;
  /** Hash of the canonical block at `number`. */
  canonicalHash(number: bigint): string | undefined;
  /** A reader of the post state of block `hash`; undefined when the block is unknown. */
  stateAt(hash: string): StateReader | undefined;
  /**
   * Records a validated, processed block: `post` is the StateDB it was processed in,
   * finalised (its `changedAccounts` are the block's state changes). With `makeHead` the
   * block also becomes the canonical head, in the same atomic step.
   */
  addBlock(stored: StoredBlock, post: StateDB, makeHead: boolean): void;
  /** Makes a stored block the canonical head (reorganising when it is on another branch). */
  setHead(stored: StoredBlock): void;
  /** Where a canonical transaction is. */
  txLocation(hash: string): TxLocation | undefined;
  addBadBlock(block: Block, hash: string, reason: string): void;
  /** Recorded bad blocks, highest number first, at most BAD_BLOCKS_KEPT. */
  badBlocks(): BadBlock[];
  close(): void;
}

/** Inserts a bad block into a list kept sorted by number (descending), deduplicated and bounded. */
export function addBounded<T extends { hash: string }>(list: T[], entry: T, number: (t: T) => bigint): T[] {
  if (list.some((b) => b.hash === entry.hash)) return list;
  const out = [...list, entry].sort((a, b) => (number(a) > number(b) ? -1 : number(a) < number(b) ? 1 : 0));
  return out.slice(0, BAD_BLOCKS_KEPT);
}

/** Copies a finalised StateDB into a fresh backend (storage maps of untouched accounts are shared, never mutated). */
export function snapshotState(state: StateDB): MemoryState {
  return sealedSnapshot(state);
}

/** Everything in memory; nothing survives the process. */
export class MemoryChainStore implements ChainStore {
  readonly genesis: StoredBlock;
  private headBlock: StoredBlock;
  private readonly byHash = new Map<string, StoredBlock>();
  /** Hash of the canonical block at each number, genesis to head. */
  private canonical: string[] = [];
  private readonly txIndex = new Map<string, TxLocation>();
  private txIndexHead = "";
  private bad: BadBlock[] = [];

  constructor(genesis: Block, genesisHash: string, state: MemoryState) {
    this.genesis = {
      block: genesis,
      hash: genesisHash,
      td: genesis.header.difficulty,
      state: sealedCopy(state),
      receipts: [],
      fork: undefined,
    };
    this.byHash.set(genesisHash, this.genesis);
    this.headBlock = this.genesis;
    this.canonical = [genesisHash];
  }

  get head(): StoredBlock {
    return this.headBlock;
  }

  get(hash: string): StoredBlock | undefined {
    return this.byHash.get(hash.toLowerCase());
  }

  header(hash: string): Header | undefined {
    return this.byHash.get(hash.toLowerCase())?.block.header;
  }

  canonicalHash(number: bigint): string | undefined {
    return number < 0n ? undefined : this.canonical[Number(number)];
  }

  stateAt(hash: string): StateReader | undefined {
    return this.byHash.get(hash.toLowerCase())?.state;
  }

  addBlock(stored: StoredBlock, post: StateDB, makeHead: boolean): void {
    stored.state = snapshotState(post);
    this.byHash.set(stored.hash, stored);
    if (makeHead) this.setHead(stored);
  }

  setHead(b: StoredBlock): void {
    const n = Number(b.block.header.number);
    this.canonical.length = n + 1;
    let cur: StoredBlock | undefined = b;
    for (let i = n; i >= 0 && cur !== undefined; i--) {
      if (this.canonical[i] === cur.hash) break;
      this.canonical[i] = cur.hash;
      cur = this.byHash.get(bytesToHex(cur.block.header.parentHash));
    }
    this.headBlock = b;
  }

  /** Built on first use and rebuilt when the head has moved (block tests never ask). */
  txLocation(hash: string): TxLocation | undefined {
    if (this.txIndexHead !== this.headBlock.hash) {
      this.txIndex.clear();
      for (const h of this.canonical) {
        for (const [j, tx] of this.byHash.get(h)!.block.transactions.entries()) {
          this.txIndex.set(bytesToHex(txHash(tx)), { blockHash: h, index: j });
        }
      }
      this.txIndexHead = this.headBlock.hash;
    }
    return this.txIndex.get(hash.toLowerCase());
  }

  addBadBlock(block: Block, hash: string, reason: string): void {
    this.bad = addBounded(this.bad, { block, hash, reason }, (b) => b.block.header.number);
  }

  badBlocks(): BadBlock[] {
    return [...this.bad];
  }

  close(): void {}
}
