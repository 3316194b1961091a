/**
 * Polling filters, as go-ethereum's eth/filters FilterAPI: eth_newFilter (logs),
 * eth_newBlockFilter, eth_newPendingTransactionFilter, eth_getFilterChanges,
 * eth_getFilterLogs and eth_uninstallFilter.
 *
 * A filter buffers what arrives after it was installed (new canonical blocks, their logs,
 * transactions entering the pool); eth_getFilterChanges hands the buffer over and empties
 * it. A filter not polled for five minutes (go-ethereum's default) is removed: a sweep
 * runs every five minutes, as go-ethereum's timeoutLoop, and before every filter call.
 * Unknown or removed filters give go-ethereum's "filter not found".
 */
import { randomBytes } from "node:crypto";
import type { StoredBlock } from "../chain/blockchain.js";
import type { DevNode } from "../node/node.js";
import type { Address } from "../primitives/hex.js";
import type { Transaction } from "../tx/types.js";
import { serverError } from "./errors.js";
import type { LogFilter } from "./eth.js";
import { formatTransaction } from "./format.js";

/** go-ethereum's default filter timeout (--rpc.evmtimeout aside: filters.Config.Timeout). */
export const FILTER_TIMEOUT_MS = 5 * 60 * 1000;

type Json = Record<string, unknown>;

/** Log filter criteria as given to eth_newFilter. */
export interface LogCriteria {
  filter: LogFilter;
  /** Single-block filter (eth_getFilterLogs only; changes come from new blocks anyway). */
  blockHash?: string;
  /** Bounds by number; undefined: "latest" at that end (eth.ts checkSubscribeRange refuses the rest). */
  from?: bigint;
  to?: bigint;
}

/** Whether block `n` lies within a filter's or subscription's numeric bounds. */
export function withinBounds(crit: { from?: bigint; to?: bigint }, n: bigint): boolean {
  return (crit.from === undefined || n >= crit.from) && (crit.to === undefined || n <= crit.to);
}

interface FilterBase {
  lastPoll: number;
  unsubscribe: () => void;
}
type Filter =
  | (FilterBase & { kind: "logs"; crit: LogCriteria; logs: Json[] })
  | (FilterBase & { kind: "blocks"; hashes: string[] })
  | (FilterBase & { kind: "pending"; full: boolean; txs: Json[] });

export interface FilterOptions {
  /** Milliseconds without polling after which a filter is removed (default 5 minutes). */
  timeoutMs?: number;
  /** Clock (tests). */
  now?: () => number;
}

export class FilterManager {
  private readonly filters = new Map<string, Filter>();
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly node: DevNode,
    /** The matching logs of one block, formatted (eth.ts blockLogs). */
    private readonly blockLogs: (b: StoredBlock, f: LogFilter) => Json[],
    opts: FilterOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? FILTER_TIMEOUT_MS;
    this.now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.filters.size;
  }

  private install(f: Filter): string {
    this.sweep();
    const id = `0x${randomBytes(16).toString("hex").replace(/^0+/, "") || "0"}`;
    this.filters.set(id, f);
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.sweep(), this.timeoutMs);
      this.timer.unref();
    }
    return id;
  }

  newLogFilter(crit: LogCriteria): string {
    const logs: Json[] = [];
    const onBlock = (b: StoredBlock) => {
      if (!withinBounds(crit, b.block.header.number)) return;
      logs.push(...this.blockLogs(b, crit.filter));
    };
    this.node.events.on("block", onBlock);
    return this.install({
      kind: "logs",
      crit,
      logs,
      lastPoll: this.now(),
      unsubscribe: () => this.node.events.off("block", onBlock),
    });
  }

  newBlockFilter(): string {
    const hashes: string[] = [];
    const onBlock = (b: StoredBlock) => hashes.push(b.hash);
    this.node.events.on("block", onBlock);
    return this.install({
      kind: "blocks",
      hashes,
      lastPoll: this.now(),
      unsubscribe: () => this.node.events.off("block", onBlock),
    });
  }

  newPendingTxFilter(full: boolean): string {
    const txs: Json[] = [];
    const onTx = (e: { tx: Transaction; hash: string; sender: Address }) =>
      txs.push(full ? formatTransaction(e.tx, e.sender, null, e.hash) : { hash: e.hash });
    this.node.events.on("pendingTx", onTx);
    return this.install({
      kind: "pending",
      full,
      txs,
      lastPoll: this.now(),
      unsubscribe: () => this.node.events.off("pendingTx", onTx),
    });
  }

  /** What arrived since the last poll (go-ethereum's GetFilterChanges). */
  changes(id: string): unknown[] {
    this.sweep();
    const f = this.filters.get(id.toLowerCase());
    if (f === undefined) throw serverError("filter not found");
    f.lastPoll = this.now();
    if (f.kind === "blocks") return f.hashes.splice(0);
    if (f.kind === "logs") return f.logs.splice(0);
    const txs = f.txs.splice(0);
    return f.full ? txs : txs.map((t) => t.hash);
  }

  /** The criteria of a log filter (eth_getFilterLogs); "filter not found" for other kinds. */
  logCriteria(id: string): LogCriteria {
    this.sweep();
    const f = this.filters.get(id.toLowerCase());
    if (f === undefined || f.kind !== "logs") throw serverError("filter not found");
    return f.crit;
  }

  uninstall(id: string): boolean {
    this.sweep();
    const key = id.toLowerCase();
    const f = this.filters.get(key);
    if (f === undefined) return false;
    this.filters.delete(key);
    f.unsubscribe();
    return true;
  }

  /** Removes the filters not polled within the timeout. */
  sweep(): void {
    const limit = this.now() - this.timeoutMs;
    for (const [id, f] of this.filters) {
      if (f.lastPoll <= limit) {
        this.filters.delete(id);
        f.unsubscribe();
      }
    }
    if (this.filters.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** Removes every filter and stops the sweep timer. */
  close(): void {
    for (const f of this.filters.values()) f.unsubscribe();
    this.filters.clear();
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}
