/**
 * A blockchain: a genesis block and state, every imported block with its post state
 * (side chains included), and a head chosen by fork choice. Where blocks and states are
 * kept is a ChainStore (chain-store.ts): in memory for `new Blockchain(...)`, or an LMDB
 * store on disk for `Blockchain.open(spec, genesis, alloc, {datadir, gcmode})`
 * (src/store/lmdb-store.ts), which survives restarts and crashes. Blocks failing
 * validation are recorded as bad blocks (the last 10, for debug_getBadBlocks).
 *
 * Importing a block: a block already stored is not processed again; otherwise its
 * parent must be stored, its header is validated against the parent's (validate.ts),
 * its uncles and body against the header, and it is processed on the parent's post
 * state (process.ts). Any failure throws a BlockValidationError and leaves the chain as
 * it was.
 *
 * Fork choice:
 * - Proof-of-stake blocks (difficulty 0 on a chain with a terminal total difficulty):
 *   as go-ethereum's BlockChain.InsertChain, which go-ethereum's block-test runner
 *   (tests/block_test_util.go) calls once per block: every imported block becomes the
 *   head, reorganising onto its branch if it does not extend the current head. The
 *   consensus layer's forkchoiceUpdated is not modelled; importing stands in for it.
 *   Re-importing a stored block makes it the head again unless it is already canonical
 *   at or below the head's number (go-ethereum's known-block handling).
 * - Proof-of-work blocks: the heaviest chain by total difficulty; on a tie the current
 *   head stays.
 */

import { GAS_PER_BLOB } from "../block/blobs.js";
import { Fork as F } from "../evm/forks.js";
import { type Address, bytesToHex, hexToBytes } from "../primitives/hex.js";
import { type AccountData, type MemoryState, StateDB, type StateReader } from "../state/statedb.js";
import type { Hooks } from "../tracing/hooks.js";
import type { Transaction } from "../tx/types.js";
import {
  type Block,
  EMPTY_UNCLE_HASH,
  type Header,
  headerHash,
  mergeBlooms,
  type Receipt,
  receiptsRoot,
  requestsHash,
  transactionsRoot,
  uncleHash,
  type Withdrawal,
  withdrawalsRoot,
} from "./block.js";
import {
  type BadBlock,
  type ChainStore,
  MemoryChainStore,
  type StoredBlock,
  type TxLocation,
} from "./chain-store.js";
import { blobScheduleAt, nextExcessBlobGas } from "./config.js";
import { DAO_FORK_EXTRA_DATA, inDaoExtraRange } from "./dao.js";
import { processBlock } from "./process.js";
import {
  BlockValidationError,
  type ChainSpec,
  calcBaseFee,
  calcDifficulty,
  checkTerminalDifficulty,
  type HeaderSource,
  headerFork,
  isPoSHeader,
  validateBody,
  validateHeader,
  validateUncles,
} from "./validate.js";

export type { BadBlock, ChainStore, StoredBlock, TxLocation } from "./chain-store.js";
export { snapshotState } from "./chain-store.js";

export type InsertStatus = "head" | "side" | "known";

/** What `buildBlock` may be told; everything has a default derived from the parent. */
export interface BuildOptions {
  /** Parent block hash (default: the head). */
  parent?: string;
  transactions?: Transaction[];
  withdrawals?: Withdrawal[];
  uncles?: Header[];
  timestamp?: bigint;
  coinbase?: Address;
  gasLimit?: bigint;
  extraData?: Uint8Array;
  /** mixHash (PREVRANDAO after the merge). */
  mixHash?: Uint8Array;
  parentBeaconBlockRoot?: Uint8Array;
}

/** A block from `buildPayload`, with its receipts and requests. */
export interface BuiltBlock {
  block: Block;
  receipts: Receipt[];
  /** EIP-7685 requests (type byte ++ data, empty ones included); undefined before Prague. */
  requests: Uint8Array[] | undefined;
}

export interface InsertResult {
  status: InsertStatus;
  stored: StoredBlock;
}

/** How a persistent chain keeps state (go-ethereum's --gcmode). */
export type GcMode = "archive" | "full";

export interface OpenOptions {
  /** Directory of the LMDB chain store (created when missing). */
  datadir: string;
  /** "archive" (default): every canonical state readable; "full": recent ones plus checkpoints. */
  gcmode?: GcMode;
  /** Most blocks re-executed to regenerate a pruned state (gcmode full); default 128. */
  reexec?: number;
  /** gcmode full: blocks between full-state checkpoints, fixed at creation (default 1024). */
  checkpointInterval?: number;
}

export class Blockchain {
  readonly spec: ChainSpec;
  readonly genesis: StoredBlock;
  /** Where blocks and states live: in memory, or on disk for chains from `Blockchain.open`. */
  readonly store: ChainStore;

  /**
   * An in-memory chain. `genesis` is the genesis block (its state root must match
   * `state`); `state` the genesis allocation. `store` is for `Blockchain.open`.
   */
  constructor(spec: ChainSpec, genesis: Block, state: MemoryState, store?: ChainStore) {
    this.spec = spec;
    const root = new StateDB(state).stateRoot();
    const hash = bytesToHex(headerHash(genesis.header));
    if (bytesToHex(root) !== bytesToHex(genesis.header.stateRoot)) {
      throw new BlockValidationError(
        "INVALID_STATE_ROOT",
        "genesis state root does not match the allocation",
        {
          expected: bytesToHex(genesis.header.stateRoot),
          actual: bytesToHex(root),
        },
      );
    }
    this.store = store ?? new MemoryChainStore(genesis, hash, state);
    this.genesis = this.store.genesis;
  }

  /**
   * A persistent chain in `opts.datadir` (an LMDB chain store, src/store/lmdb-store.ts):
   * created with `genesis` and its allocation `alloc` when the directory is new, reopened
   * with its head, blocks and states otherwise. Reopening with another genesis throws an
   * error naming both hashes. Call `close()` when done.
   */
  static async open(
    spec: ChainSpec,
    genesis: Block,
    alloc: MemoryState,
    opts: OpenOptions,
  ): Promise<Blockchain> {
    const { LmdbChainStore } = await import("../store/lmdb-store.js");
    const { datadir: _, ...storeOpts } = opts;
    const store = LmdbChainStore.open(opts.datadir, spec, genesis, alloc, storeOpts);
    try {
      return new Blockchain(spec, genesis, alloc, store);
    } catch (err) {
      store.close();
      throw err;
    }
  }

  get head(): StoredBlock {
    return this.store.head;
  }

  get(hash: string): StoredBlock | undefined {
    return this.store.get(hash.toLowerCase());
  }

  /** The canonical block at `number`, if any. */
  canonicalAt(number: bigint): StoredBlock | undefined {
    const h = this.store.canonicalHash(number);
    return h === undefined ? undefined : this.store.get(h);
  }

  /**
   * The post state of block `hash` (a read-only backend for a new StateDB), or undefined
   * when the block is unknown. A persistent chain reads it from disk, regenerating a
   * pruned one (gcmode full) or throwing `required historical state unavailable
   * (reexec=N)` when it cannot.
   */
  stateAt(hash: string): StateReader | undefined {
    return this.store.stateAt(hash.toLowerCase());
  }

  /** Account data in the head state. */
  account(address: Address): AccountData | undefined {
    return this.store.stateAt(this.store.head.hash)?.getAccount(address);
  }

  /** Block hash and index of a canonical transaction. */
  txLocation(txHash: string): TxLocation | undefined {
    return this.store.txLocation(txHash.toLowerCase());
  }

  /** Blocks that failed import, highest number first (at most 10, as go-ethereum). */
  badBlocks(): BadBlock[] {
    return this.store.badBlocks();
  }

  /** Releases the store (a no-op for in-memory chains). */
  close(): void {
    this.store.close();
  }

  private parentState(parent: StoredBlock): StateReader {
    const s = this.store.stateAt(parent.hash);
    if (s === undefined) throw new Error(`state of block ${parent.hash} is missing`);
    return s;
  }

  private headerSource(): HeaderSource {
    return {
      header: (hash) => this.store.header(hash),
      uncles: (hash) => this.store.get(hash)?.block.uncles,
    };
  }

  /**
   * BLOCKHASH for a block whose parent is `parent`: walks that branch back to where it
   * joins the canonical chain, then uses the canonical index.
   */
  private hashLookup(parent: StoredBlock): (n: bigint) => bigint {
    const cache = new Map<bigint, bigint>();
    return (n) => {
      const hit = cache.get(n);
      if (hit !== undefined) return hit;
      let hash = parent.hash;
      let header: Header | undefined = parent.block.header;
      while (header !== undefined && header.number > n && this.store.canonicalHash(header.number) !== hash) {
        hash = bytesToHex(header.parentHash);
        header = this.store.header(hash);
      }
      let v = 0n;
      if (header !== undefined) {
        if (header.number === n) v = BigInt(hash);
        else if (header.number > n) v = BigInt(this.store.canonicalHash(n) ?? 0n);
      }
      cache.set(n, v);
      return v;
    };
  }

  /**
   * Validates, processes and stores `block`, then applies fork choice. Throws a
   * BlockValidationError (the chain is unchanged) when the block is invalid.
   */
  insertBlock(block: Block, hooks: Hooks | null = null): InsertResult {
    const header = block.header;
    const hash = bytesToHex(headerHash(header));
    const known = this.store.get(hash);
    if (known !== undefined) {
      if (
        this.store.canonicalHash(header.number) === hash &&
        header.number <= this.head.block.header.number
      ) {
        return { status: "known", stored: known };
      }
      if (!this.isHeadCandidate(known)) return { status: "side", stored: known };
      this.store.setHead(known);
      return { status: "head", stored: known };
    }
    const parentHash = bytesToHex(header.parentHash);
    const parent = this.store.get(parentHash);
    if (parent === undefined) {
      const code = /^0x0+$/.test(parentHash) ? "UNKNOWN_PARENT_ZERO" : "UNKNOWN_PARENT";
      throw new BlockValidationError(code, `parent ${parentHash} of block ${header.number} is unknown`);
    }
    let result: ReturnType<typeof processBlock>;
    try {
      checkTerminalDifficulty(this.spec, header, parent.td);
      validateHeader(this.spec, header, parent.block.header);
      validateUncles(this.spec, block, this.headerSource());
      validateBody(block);
      result = processBlock(this.spec, this.parentState(parent), block, this.hashLookup(parent), {
        hooks,
      });
    } catch (err) {
      if (err instanceof BlockValidationError) this.store.addBadBlock(block, hash, err.message);
      throw err;
    }
    const stored: StoredBlock = {
      block,
      hash,
      td: parent.td + header.difficulty,
      receipts: result.receipts,
      fork: result.fork,
    };
    const makeHead = this.isHeadCandidate(stored);
    this.store.addBlock(stored, result.state, makeHead);
    return { status: makeHead ? "head" : "side", stored };
  }

  /** Fork choice: whether a stored block becomes the head. */
  private isHeadCandidate(b: StoredBlock): boolean {
    const pos = isPoSHeader(b.block.header) && this.spec.config.terminalTotalDifficulty !== undefined;
    return pos || b.td > this.head.td;
  }

  /**
   * Builds a block on top of `opts.parent` (default: the head) with every derived field
   * filled in: difficulty (0 once the parent's total difficulty has reached the terminal
   * total difficulty, else the ethash formula), base fee, blob gas fields, and the gas
   * used, roots, bloom and requests hash from processing it. Without `extraData` it is
   * empty, or "dao-hard-fork" in the DAO fork's extra-data range on a chain supporting
   * the fork. The block is not inserted. Throws BlockValidationError when a transaction
   * is invalid.
   */
  buildBlock(opts: BuildOptions = {}): Block {
    return this.buildPayload(opts).block;
  }

  /** extraData of a built block when the caller gives none (the DAO fork's marker in its range). */
  private defaultExtraData(number: bigint): Uint8Array {
    const cfg = this.spec.config;
    if (cfg.daoForkSupport && inDaoExtraRange(cfg, number)) return DAO_FORK_EXTRA_DATA.slice();
    return new Uint8Array(0);
  }

  /**
   * As `buildBlock`, also returning what processing the block produced: the receipts
   * (for fees and gas per transaction) and the EIP-7685 requests (undefined before Prague).
   */
  buildPayload(opts: BuildOptions = {}): BuiltBlock {
    const parent = opts.parent === undefined ? this.head : this.store.get(opts.parent.toLowerCase());
    if (parent === undefined)
      throw new BlockValidationError("UNKNOWN_PARENT", `unknown parent ${opts.parent}`);
    const ph = parent.block.header;
    const ttd = this.spec.config.terminalTotalDifficulty;
    const pos = ttd !== undefined && parent.td >= ttd;
    const timestamp = opts.timestamp ?? ph.timestamp + 12n;
    const transactions = opts.transactions ?? [];
    const uncles = opts.uncles ?? [];
    const header: Header = {
      parentHash: hexToBytes(parent.hash),
      uncleHash: EMPTY_UNCLE_HASH,
      coinbase: opts.coinbase ?? "0x0000000000000000000000000000000000000000",
      stateRoot: new Uint8Array(32),
      transactionsRoot: new Uint8Array(32),
      receiptsRoot: new Uint8Array(32),
      logsBloom: new Uint8Array(256),
      difficulty: pos ? 0n : calcDifficulty(this.spec, timestamp, ph),
      number: ph.number + 1n,
      gasLimit: opts.gasLimit ?? ph.gasLimit,
      gasUsed: 0n,
      timestamp,
      extraData: opts.extraData ?? this.defaultExtraData(ph.number + 1n),
      mixHash: opts.mixHash ?? new Uint8Array(32),
      nonce: new Uint8Array(8),
    };
    const fork = headerFork(this.spec, header);
    if (fork >= F.London) header.baseFeePerGas = calcBaseFee(this.spec, ph);
    if (fork >= F.Shanghai) header.withdrawalsRoot = withdrawalsRoot(opts.withdrawals ?? []);
    if (fork >= F.Cancun) {
      let blobs = 0n;
      for (const tx of transactions) if (tx.type === 3) blobs += BigInt(tx.blobVersionedHashes.length);
      header.blobGasUsed = blobs * GAS_PER_BLOB;
      header.excessBlobGas = nextExcessBlobGas(
        fork,
        blobScheduleAt(this.spec.config, fork, timestamp),
        ph.excessBlobGas ?? 0n,
        ph.excessBlobGas === undefined ? 0n : (ph.blobGasUsed ?? 0n),
        ph.baseFeePerGas ?? 0n,
      );
      header.parentBeaconBlockRoot = opts.parentBeaconBlockRoot ?? new Uint8Array(32);
    }
    const block: Block = { header, transactions, uncles };
    if (fork >= F.Shanghai) block.withdrawals = opts.withdrawals ?? [];
    const r = processBlock(this.spec, this.parentState(parent), block, this.hashLookup(parent), {
      skipChecks: true,
    });
    header.gasUsed = r.gasUsed;
    header.stateRoot = r.stateRoot;
    header.receiptsRoot = receiptsRoot(r.receipts);
    header.logsBloom = mergeBlooms(r.receipts);
    header.transactionsRoot = transactionsRoot(transactions);
    header.uncleHash = uncleHash(uncles);
    if (fork >= F.Prague) header.requestsHash = requestsHash(r.requests ?? []);
    return { block, receipts: r.receipts, requests: r.requests };
  }
}
