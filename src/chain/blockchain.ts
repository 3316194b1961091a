/**
 * An in-memory blockchain: a genesis block and state, every imported block with its
 * post state (side chains included), and a head chosen by fork choice.
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
import type { Fork } from "../evm/forks.js";
import { Fork as F } from "../evm/forks.js";
import { type Address, bytesToHex, hexToBytes } from "../primitives/hex.js";
import { type AccountData, MemoryState, StateDB, type StateReader } from "../state/statedb.js";
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
import { blobScheduleAt, nextExcessBlobGas } from "./config.js";
import { processBlock } from "./process.js";
import {
  BlockValidationError,
  type ChainSpec,
  calcBaseFee,
  calcDifficulty,
  type HeaderSource,
  headerFork,
  isPoSHeader,
  validateBody,
  validateHeader,
  validateUncles,
} from "./validate.js";

export interface StoredBlock {
  block: Block;
  /** 0x-hex block hash. */
  hash: string;
  /** Total difficulty up to and including this block. */
  td: bigint;
  /** Post state. */
  state: MemoryState;
  receipts: Receipt[];
  fork: Fork | undefined;
}

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

export interface InsertResult {
  status: InsertStatus;
  stored: StoredBlock;
}

/** Copies a finalised StateDB into a fresh backend (storage maps of untouched accounts are shared, never mutated). */
export function snapshotState(state: StateDB): MemoryState {
  const out = new MemoryState();
  for (const [address, data] of state.entries()) out.accounts.set(address, data);
  return out;
}

export class Blockchain {
  readonly spec: ChainSpec;
  readonly genesis: StoredBlock;
  private headBlock: StoredBlock;
  private readonly byHash = new Map<string, StoredBlock>();
  /** Hash of the canonical block at each number, genesis to head. */
  private canonical: string[] = [];

  /**
   * `genesis` is the genesis block (its state root must match `state`); `state` the
   * genesis allocation.
   */
  constructor(spec: ChainSpec, genesis: Block, state: MemoryState) {
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
    this.genesis = {
      block: genesis,
      hash,
      td: genesis.header.difficulty,
      state,
      receipts: [],
      fork: undefined,
    };
    this.byHash.set(hash, this.genesis);
    this.headBlock = this.genesis;
    this.canonical = [hash];
  }

  get head(): StoredBlock {
    return this.headBlock;
  }

  get(hash: string): StoredBlock | undefined {
    return this.byHash.get(hash.toLowerCase());
  }

  /** The canonical block at `number`, if any. */
  canonicalAt(number: bigint): StoredBlock | undefined {
    const h = this.canonical[Number(number)];
    return h === undefined ? undefined : this.byHash.get(h);
  }

  /**
   * The post state of block `hash` (a read-only backend for a new StateDB), or undefined
   * when the block is unknown. Use this rather than `StoredBlock.state`: a persistent
   * chain keeps states on disk and regenerates old ones.
   */
  stateAt(hash: string): StateReader | undefined {
    return this.byHash.get(hash.toLowerCase())?.state;
  }

  /** Account data in the head state. */
  account(address: Address): AccountData | undefined {
    return this.headBlock.state.getAccount(address);
  }

  private headerSource(): HeaderSource {
    return {
      header: (hash) => this.byHash.get(hash)?.block.header,
      uncles: (hash) => this.byHash.get(hash)?.block.uncles,
    };
  }

  /** BLOCKHASH for a block whose parent is `parent`: walks that branch, not the canonical one. */
  private hashLookup(parent: StoredBlock): (n: bigint) => bigint {
    const cache = new Map<bigint, bigint>();
    return (n) => {
      const hit = cache.get(n);
      if (hit !== undefined) return hit;
      let cur: StoredBlock | undefined = parent;
      while (cur !== undefined && cur.block.header.number > n) {
        cur = this.byHash.get(bytesToHex(cur.block.header.parentHash));
      }
      const v = cur !== undefined && cur.block.header.number === n ? BigInt(cur.hash) : 0n;
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
    const known = this.byHash.get(hash);
    if (known !== undefined) {
      if (
        this.canonical[Number(header.number)] === hash &&
        header.number <= this.headBlock.block.header.number
      ) {
        return { status: "known", stored: known };
      }
      return { status: this.choose(known) ? "head" : "side", stored: known };
    }
    const parentHash = bytesToHex(header.parentHash);
    const parent = this.byHash.get(parentHash);
    if (parent === undefined) {
      const code = /^0x0+$/.test(parentHash) ? "UNKNOWN_PARENT_ZERO" : "UNKNOWN_PARENT";
      throw new BlockValidationError(code, `parent ${parentHash} of block ${header.number} is unknown`);
    }
    validateHeader(this.spec, header, parent.block.header);
    validateUncles(this.spec, block, this.headerSource());
    validateBody(block);
    const result = processBlock(this.spec, parent.state, block, header.parentHash, this.hashLookup(parent), {
      hooks,
    });
    const stored: StoredBlock = {
      block,
      hash,
      td: parent.td + header.difficulty,
      state: snapshotState(result.state),
      receipts: result.receipts,
      fork: result.fork,
    };
    this.byHash.set(hash, stored);
    return { status: this.choose(stored) ? "head" : "side", stored };
  }

  /** Fork choice for a stored block; returns true when it became the head. */
  private choose(b: StoredBlock): boolean {
    const pos = isPoSHeader(b.block.header) && this.spec.config.terminalTotalDifficulty !== undefined;
    if (!pos && b.td <= this.headBlock.td) return false;
    this.setHead(b);
    return true;
  }

  private setHead(b: StoredBlock): void {
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

  /**
   * Builds a block on top of `opts.parent` (default: the head) with every derived field
   * filled in: difficulty (0 once the parent's total difficulty has reached the terminal
   * total difficulty, else the ethash formula), base fee, blob gas fields, and the gas
   * used, roots, bloom and requests hash from processing it. The block is not inserted.
   * Throws BlockValidationError when a transaction is invalid.
   */
  buildBlock(opts: BuildOptions = {}): Block {
    const parent = opts.parent === undefined ? this.headBlock : this.byHash.get(opts.parent.toLowerCase());
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
      extraData: opts.extraData ?? new Uint8Array(0),
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
    const r = processBlock(this.spec, parent.state, block, header.parentHash, this.hashLookup(parent), {
      skipChecks: true,
    });
    header.gasUsed = r.gasUsed;
    header.stateRoot = r.stateRoot;
    header.receiptsRoot = receiptsRoot(r.receipts);
    header.logsBloom = mergeBlooms(r.receipts);
    header.transactionsRoot = transactionsRoot(transactions);
    header.uncleHash = uncleHash(uncles);
    if (fork >= F.Prague) header.requestsHash = requestsHash(r.requests ?? []);
    return block;
  }
}
