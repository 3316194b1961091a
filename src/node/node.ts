/**
 * A development node: a Blockchain, a transaction pool and a sealer, plus the indexes
 * the JSON-RPC API needs (transaction hash → block and position, senders) and events for
 * subscriptions (new heads, logs, pending transactions).
 *
 * Blocks are built with Blockchain.buildBlock on the head (post-merge: a fresh random
 * mixHash/PREVRANDAO, a zero parent beacon root, no withdrawals) and imported with
 * insertBlock, so a sealed block goes through the same validation as any imported one.
 * The chain is in memory, or on the LMDB chain store when a datadir is given.
 */
import { EventEmitter } from "node:events";
import { blobBaseFee } from "../block/blobs.js";
import type { Receipt } from "../chain/block.js";
import { Blockchain, type StoredBlock } from "../chain/blockchain.js";
import { blobScheduleAt, nextExcessBlobGas } from "../chain/config.js";
import { calcBaseFee, headerFork } from "../chain/validate.js";
import { InvalidInputError } from "../errors.js";
import { Fork } from "../evm/forks.js";
import { type Address, bytesToHex } from "../primitives/hex.js";
import { StateDB, type StateReader } from "../state/statedb.js";
import { HISTORY_BLOCKS, LmdbChainStore } from "../store/lmdb-store.js";
import { txHash } from "../tx/decode.js";
import { recoverSender } from "../tx/sender.js";
import type { Transaction } from "../tx/types.js";
import { type DevAccount, devAccounts, devGenesisJson } from "./devchain.js";
import { type Genesis, parseGenesis } from "./genesis.js";
import { nextTimestamp, type SealContext, Sealer, sealBlock } from "./sealer.js";
import { type BlobParams, type PoolOptions, type PoolTx, TxPool } from "./txpool.js";

export type GcMode = "archive" | "full";

export interface StoreOptions {
  /** Directory of the persistent chain store; undefined: in memory. */
  datadir?: string;
  gcmode?: GcMode;
}

export interface NodeOptions {
  /** The chain to run; default: the development chain (devchain.ts). */
  genesis?: Genesis;
  /** Accounts whose keys the node holds (eth_accounts, eth_sendTransaction). Default: the dev accounts. */
  accounts?: DevAccount[];
  /** Seconds between blocks; 0 or undefined: a block for each transaction (instant sealing). */
  blockTime?: number;
  /**
   * false: the node never seals by itself (transactions stay in the pool; blocks come
   * only from import or seal()). Default true.
   */
  mining?: boolean;
  /** Fee recipient of sealed blocks. */
  coinbase?: Address;
  /** PREVRANDAO of sealed blocks (default "random"; see SealContext.prevRandao). */
  prevRandao?: "random" | "derived";
  store?: StoreOptions;
  pool?: PoolOptions;
}

/**
 * Opens the chain: in memory, or with `store.datadir` on the LMDB chain store (created
 * on first use; reopening restores the chain, and a datadir holding another genesis or
 * gcmode is refused by name).
 */
export function openBlockchain(g: Genesis, store: StoreOptions = {}): Blockchain {
  if (store.datadir === undefined) return new Blockchain(g.spec, g.block, g.state);
  const opts = store.gcmode === undefined ? {} : { gcmode: store.gcmode };
  const lmdb = LmdbChainStore.open(store.datadir, g.spec, g.block, g.state, opts);
  try {
    return new Blockchain(g.spec, g.block, g.state, lmdb);
  } catch (err) {
    lmdb.close();
    throw err;
  }
}

export interface TxLocation {
  blockHash: string;
  index: number;
}

export class DevNode {
  readonly genesis: Genesis;
  readonly chain: Blockchain;
  readonly pool: TxPool;
  readonly chainId: bigint;
  readonly accounts: DevAccount[];
  readonly blockTime: number;
  readonly mining: boolean;
  /**
   * Blocks of state history kept: 0 when every state is (in memory, or a datadir in
   * gcmode archive), else the window of a pruning datadir (gcmode full).
   */
  readonly stateHistory: bigint;
  readonly coinbase: Address;
  readonly events = new EventEmitter();
  private readonly txIndex = new Map<string, TxLocation>();
  private readonly senders = new Map<string, Address>();
  /** 0x-hex hashes by transaction object (see hashOf). */
  private readonly txHashes = new WeakMap<Transaction, string>();
  private readonly sealCtx: SealContext;
  readonly sealer: Sealer;
  /** Seconds added to the wall clock for new blocks (evm_increaseTime). */
  private timeOffset = 0n;
  /** The next sealed block's timestamp, when pinned (evm_setNextBlockTimestamp). */
  private pinnedTimestamp: bigint | undefined;

  constructor(opts: NodeOptions = {}) {
    this.genesis = opts.genesis ?? parseGenesis(devGenesisJson());
    this.chain = openBlockchain(this.genesis, opts.store);
    this.chainId = this.genesis.spec.config.chainId;
    this.accounts = opts.accounts ?? (opts.genesis === undefined ? devAccounts() : []);
    this.blockTime = opts.blockTime ?? 0;
    this.mining = opts.mining ?? true;
    const store = this.chain.store;
    this.stateHistory = store instanceof LmdbChainStore && store.gcmode === "full" ? HISTORY_BLOCKS : 0n;
    this.coinbase = opts.coinbase ?? "0x0000000000000000000000000000000000000000";
    this.events.setMaxListeners(0);
    const chain = this.chain;
    this.pool = new TxPool(
      {
        chainId: this.chainId,
        fork: () => this.nextFork(),
        nextBaseFee: () => this.nextBaseFee(),
        gasLimit: () => chain.head.block.header.gasLimit,
        account: (a) => this.headState().getAccount(a),
        blobParams: () => this.nextBlobParams(),
      },
      opts.pool,
    );
    this.pool.onPending((tx) => this.events.emit("pendingTx", tx));
    for (let n = 0n; n <= chain.head.block.header.number; n++) {
      const b = chain.canonicalAt(n);
      if (b !== undefined) this.index(b);
    }
    this.sealCtx = {
      chain,
      pool: this.pool,
      coinbase: this.coinbase,
      prevRandao: opts.prevRandao ?? "random",
      nextBaseFee: () => this.nextBaseFee(),
      nextBlobParams: () => this.nextBlobParams(),
      nextTimestamp: () => this.nextBlockTimestamp(),
      imported: (b) => {
        this.pinnedTimestamp = undefined;
        this.index(b);
        this.events.emit("block", b);
      },
      log: (m) => process.stderr.write(`sonde node: ${m}\n`),
    };
    this.sealer = new Sealer(this.sealCtx, this.blockTime, this.mining);
  }

  get head(): StoredBlock {
    return this.chain.head;
  }

  headState(): StateReader {
    const s = this.chain.stateAt(this.chain.head.hash);
    if (s === undefined) throw new Error("head state is missing");
    return s;
  }

  /**
   * Timestamp of the next sealed block: the pinned one (evm_setNextBlockTimestamp), else
   * the wall clock plus the evm_increaseTime offset, and always after the head's.
   */
  nextBlockTimestamp(): bigint {
    if (this.pinnedTimestamp !== undefined) return this.pinnedTimestamp;
    return nextTimestamp(this.head.block.header.timestamp, Date.now() + Number(this.timeOffset) * 1000);
  }

  /** Pins the next block's timestamp; it must be after the head's. */
  setNextBlockTimestamp(timestamp: bigint): void {
    const head = this.head.block.header.timestamp;
    if (timestamp <= head) {
      throw new InvalidInputError(`timestamp ${timestamp} is not after the head block's timestamp ${head}`);
    }
    this.pinnedTimestamp = timestamp;
  }

  /** Moves the clock for new blocks forward by `seconds`; returns the total offset. */
  increaseTime(seconds: bigint): bigint {
    this.timeOffset += seconds;
    return this.timeOffset;
  }

  nextFork(): Fork {
    const h = this.head.block.header;
    return headerFork(this.genesis.spec, {
      ...h,
      number: h.number + 1n,
      timestamp: this.nextBlockTimestamp(),
    });
  }

  nextBaseFee(): bigint {
    return this.nextFork() >= Fork.London ? calcBaseFee(this.genesis.spec, this.head.block.header) : 0n;
  }

  /** Blob limit and blob base fee of the next block; undefined before Cancun. */
  nextBlobParams(): BlobParams | undefined {
    const spec = this.genesis.spec;
    const h = this.head.block.header;
    const timestamp = this.nextBlockTimestamp();
    const fork = headerFork(spec, { ...h, number: h.number + 1n, timestamp });
    if (fork < Fork.Cancun) return undefined;
    const schedule = blobScheduleAt(spec.config, fork, timestamp);
    const excess = nextExcessBlobGas(
      fork,
      schedule,
      h.excessBlobGas ?? 0n,
      h.excessBlobGas === undefined ? 0n : (h.blobGasUsed ?? 0n),
      h.baseFeePerGas ?? 0n,
    );
    return { maxPerBlock: schedule.max, baseFee: blobBaseFee(excess, schedule) };
  }

  /** Where a mined transaction is, on the canonical chain. */
  locate(hash: string): TxLocation | undefined {
    const loc = this.txIndex.get(hash.toLowerCase());
    if (loc === undefined) return undefined;
    const b = this.chain.get(loc.blockHash);
    if (b === undefined || this.chain.canonicalAt(b.block.header.number)?.hash !== b.hash) return undefined;
    return loc;
  }

  /**
   * The 0x-hex hash of a transaction, remembered per transaction object: a stored block's
   * transactions are never modified, and tracing a block would otherwise re-encode and
   * hash every transaction on each request. Filled when blocks are indexed.
   */
  hashOf(tx: Transaction): string {
    let h = this.txHashes.get(tx);
    if (h === undefined) {
      h = bytesToHex(txHash(tx));
      this.txHashes.set(tx, h);
    }
    return h;
  }

  /** The sender of a transaction (cached by hash). */
  sender(tx: Transaction, hash?: string): Address {
    const h = hash ?? this.hashOf(tx);
    let s = this.senders.get(h);
    if (s === undefined) {
      s = recoverSender(tx);
      this.senders.set(h, s);
    }
    return s;
  }

  private index(b: StoredBlock): void {
    b.block.transactions.forEach((tx, i) => {
      this.txIndex.set(this.hashOf(tx), { blockHash: b.hash, index: i });
    });
  }

  /** Adds a signed transaction to the pool (throws TxPoolError) and, in instant mode, schedules a block. */
  submit(tx: Transaction): PoolTx {
    const e = this.pool.add(tx);
    this.senders.set(e.hash, e.sender);
    this.sealer.notify();
    return e;
  }

  /** Decodes, adds and schedules (eth_sendRawTransaction). */
  submitRaw(raw: Uint8Array): PoolTx {
    const e = this.pool.addRaw(raw);
    this.senders.set(e.hash, e.sender);
    this.sealer.notify();
    return e;
  }

  /** Seals one block now (also in instant or interval mode); see sealer.ts. */
  seal(opts: { allowEmpty?: boolean; timestamp?: bigint } = {}): StoredBlock | undefined {
    return sealBlock(this.sealCtx, opts);
  }

  /** Receipts of a stored block (empty for genesis). */
  receipts(b: StoredBlock): Receipt[] {
    return b.receipts;
  }

  /** A fresh StateDB over the post state of block `hash`. */
  stateDbAt(hash: string): StateDB | undefined {
    const r = this.chain.stateAt(hash);
    return r === undefined ? undefined : new StateDB(r);
  }

  keyOf(address: Address): Uint8Array | undefined {
    return this.accounts.find((a) => a.address === address.toLowerCase())?.key;
  }

  close(): void {
    this.sealer.stop();
    this.events.removeAllListeners();
    this.chain.close();
  }
}
