/**
 * The two sides of `sonde diff`: where blocks, receipts, traces and state come from.
 *
 * A `DiffSource` answers what the comparison ladder (ladder.ts) asks — a block with its
 * transaction hashes, its receipts, debug_trace* results per transaction or per block,
 * an opcode trace as a stream of steps, and balances and storage slots at a block. The
 * JSON-RPC source asks an endpoint (go-ethereum, reth, anvil, `sonde node`, …) with the
 * standard methods; the opcode trace is streamed from the HTTP response (json-stream.ts)
 * so a trace of millions of steps is never held in memory. A source that lacks a method
 * (no debug API) reports that level as unavailable rather than failing the whole diff.
 *
 * The source also says which implementation it is (from web3_clientVersion), which picks
 * the normalisation rules applied to its traces (normalise.ts).
 */
import { SondeError } from "../errors.js";
import type { RpcClient } from "../remote/rpc-client.js";
import type { TraceConfig } from "../tracers/types.js";
import { streamArray } from "./json-stream.js";
import type { Implementation } from "./normalise.js";
import { type Step, stepFromStructLog } from "./steps.js";

export type Json = Record<string, unknown>;

/** A block as the ladder needs it: the header fields as given (0x-hex), the transaction hashes. */
export interface BlockView {
  number: bigint;
  hash: string;
  header: Json;
  transactions: string[];
  /** Transactions as objects (for their gas limits), when the source gave them. */
  transactionObjects: Json[];
  withdrawals: Json[] | undefined;
}

/** An opcode trace being streamed: its steps, then the result fields beside them. */
export interface StepStream {
  steps: AsyncIterable<Step>;
  /** gas, failed, returnValue — after the steps were consumed. */
  result(): Json;
}

export interface DiffSource {
  /** What the user named (URL or local:URL). */
  readonly label: string;
  /** The client's own name (web3_clientVersion), or undefined when it does not say. */
  clientVersion(): Promise<string | undefined>;
  blockByNumber(n: bigint): Promise<BlockView | undefined>;
  /** The block number and index of a mined transaction, or undefined when unknown. */
  locate(txHash: string): Promise<{ block: bigint; index: number } | undefined>;
  receipts(block: BlockView): Promise<Json[]>;
  /** debug_traceBlockByNumber: one result per transaction, in order. */
  traceBlock(block: BlockView, config: TraceConfig): Promise<unknown[]>;
  traceTransaction(hash: string, config: TraceConfig): Promise<unknown>;
  /** The struct-logger trace of a transaction, streamed. */
  structLogs(hash: string, config: TraceConfig): Promise<StepStream>;
  balanceAt(address: string, block: bigint): Promise<bigint>;
  /** Whether the account is non-empty (balance, nonce or code) at the end of `block`. */
  existsAt(address: string, block: bigint): Promise<boolean>;
  storageAt(address: string, slot: bigint, block: bigint): Promise<bigint>;
  /** The account's code (0x-hex) at the end of `block`; used by normalisation rules. */
  codeAt?(address: string, block: bigint): Promise<string>;
  /** debug_intermediateRoots, or undefined when the source does not offer it. */
  intermediateRoots(block: BlockView): Promise<string[] | undefined>;
}

/** A level of the ladder cannot be compared because a source lacks a method. */
export class UnavailableError extends SondeError {
  override name = "UnavailableError";
}

const hex = (n: bigint) => `0x${n.toString(16)}`;

/** The implementation whose normalisation rules apply, from a client version string. */
export function implementationOf(clientVersion: string | undefined): Implementation | undefined {
  if (clientVersion === undefined) return undefined;
  const v = clientVersion.toLowerCase();
  // anvil and reth trace with revm-inspectors.
  if (v.startsWith("anvil") || v.startsWith("reth")) return "revm-inspectors";
  return undefined;
}

/** A short, readable name of a client ("anvil/v1.7.1", "Geth/v1.16.0-…" shortened). */
export function clientName(clientVersion: string | undefined): string {
  if (clientVersion === undefined) return "unknown client";
  return clientVersion.split("/").slice(0, 2).join("/");
}

/** JSON-RPC error codes that mean "this method is not offered". */
function isMissingMethod(err: unknown): boolean {
  const e = err as { code?: number; message?: string };
  if (e.code === -32601) return true;
  return (
    typeof e.message === "string" &&
    /method not found|not supported|does not exist|not available/i.test(e.message)
  );
}

export interface RpcSourceOptions {
  /** Headers for the streamed trace requests (the same as the client's). */
  headers?: Record<string, string>;
  /** fetch for streamed requests (tests inject one). */
  fetch?: typeof fetch;
  /** Time allowed for a streamed trace, in ms (default 10 minutes). */
  streamTimeoutMs?: number;
  /**
   * Time allowed until a streamed trace's response starts, in ms (default: the client's
   * per-request timeout), so an endpoint that never answers is given up on early.
   */
  firstByteTimeoutMs?: number;
}

/** A JSON-RPC endpoint as a diff source. */
export class RpcSource implements DiffSource {
  private version: Promise<string | undefined> | undefined;

  constructor(
    readonly label: string,
    private readonly client: RpcClient,
    private readonly opts: RpcSourceOptions = {},
  ) {}

  clientVersion(): Promise<string | undefined> {
    this.version ??= this.client.call<string>("web3_clientVersion").then(
      (v) => (typeof v === "string" ? v : undefined),
      () => undefined,
    );
    return this.version;
  }

  async blockByNumber(n: bigint): Promise<BlockView | undefined> {
    const b = await this.client.call<Json | null>("eth_getBlockByNumber", [hex(n), true]);
    return b === null ? undefined : blockView(b, this.label);
  }

  async locate(txHash: string): Promise<{ block: bigint; index: number } | undefined> {
    const tx = await this.client.call<Json | null>("eth_getTransactionByHash", [txHash]);
    if (tx === null || tx.blockNumber === null || tx.blockNumber === undefined) return undefined;
    return { block: BigInt(tx.blockNumber as string), index: Number(BigInt(tx.transactionIndex as string)) };
  }

  async receipts(block: BlockView): Promise<Json[]> {
    try {
      const r = await this.client.call<Json[] | null>("eth_getBlockReceipts", [hex(block.number)]);
      if (Array.isArray(r)) return r;
    } catch (err) {
      if (!isMissingMethod(err)) throw err;
    }
    const calls = block.transactions.map((h) => ({ method: "eth_getTransactionReceipt", params: [h] }));
    return this.client.batchResults<Json>(calls);
  }

  async traceBlock(block: BlockView, config: TraceConfig): Promise<unknown[]> {
    let r: unknown;
    try {
      r = await this.client.call("debug_traceBlockByNumber", [hex(block.number), config]);
    } catch (err) {
      if (isMissingMethod(err))
        throw new UnavailableError(`${this.label} does not offer debug_traceBlockByNumber`);
      throw err;
    }
    if (!Array.isArray(r))
      throw new SondeError(`${this.label}: debug_traceBlockByNumber did not return an array`);
    return r.map((x: Json, i) => {
      if (x !== null && typeof x === "object" && "error" in x && !("result" in x)) {
        throw new SondeError(
          `${this.label}: tracing transaction ${i} of block ${block.number} failed: ${String(x.error)}`,
        );
      }
      return x !== null && typeof x === "object" && "result" in x ? x.result : x;
    });
  }

  async traceTransaction(hash: string, config: TraceConfig): Promise<unknown> {
    try {
      return await this.client.call("debug_traceTransaction", [hash, config]);
    } catch (err) {
      if (isMissingMethod(err))
        throw new UnavailableError(`${this.label} does not offer debug_traceTransaction`);
      throw err;
    }
  }

  async structLogs(hash: string, config: TraceConfig): Promise<StepStream> {
    const body = JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "debug_traceTransaction",
      params: [hash, config],
    });
    const f = this.opts.fetch ?? fetch;
    const firstByteMs = this.opts.firstByteTimeoutMs ?? this.client.timeoutMs ?? 30_000;
    const waiting = new AbortController();
    const timer = setTimeout(() => waiting.abort(), firstByteMs);
    let res: Response;
    try {
      res = await f(this.client.url, {
        method: "POST",
        headers: { "content-type": "application/json", ...this.opts.headers },
        body,
        signal: AbortSignal.any([AbortSignal.timeout(this.opts.streamTimeoutMs ?? 600_000), waiting.signal]),
      });
    } catch (err) {
      if (waiting.signal.aborted)
        throw new SondeError(
          `${this.label}: debug_traceTransaction: no answer within ${firstByteMs / 1000} s`,
        );
      throw err;
    } finally {
      clearTimeout(timer);
    }
    if (!res.ok || res.body === null) {
      throw new SondeError(`${this.label}: debug_traceTransaction: HTTP ${res.status} ${res.statusText}`);
    }
    const split = streamArray(res.body as AsyncIterable<Uint8Array>, "structLogs");
    const label = this.label;
    let index = 0;
    async function* steps(): AsyncGenerator<Step> {
      for await (const text of split.elements) {
        index++;
        // No line number: an endpoint's trace has no lines to point at.
        let step: Step;
        try {
          step = stepFromStructLog(JSON.parse(text) as Json);
        } catch (err) {
          throw new SondeError(
            `${label}: debug_traceTransaction: struct log entry ${index} is malformed: ${(err as Error).message}`,
          );
        }
        yield step;
      }
      const rest = split.rest() as Json;
      if (rest.error !== undefined) {
        const e = rest.error as Json;
        const message = `${label}: debug_traceTransaction: ${String(e.message)} (code ${String(e.code)})`;
        if (e.code === -32601) throw new UnavailableError(message);
        throw new SondeError(message);
      }
    }
    return {
      steps: steps(),
      result: () => {
        const rest = split.rest() as Json;
        return (rest.result ?? {}) as Json;
      },
    };
  }

  async balanceAt(address: string, block: bigint): Promise<bigint> {
    return BigInt(await this.client.call<string>("eth_getBalance", [address, hex(block)]));
  }

  async existsAt(address: string, block: bigint): Promise<boolean> {
    const [balance, nonce, code] = await this.client.batchResults<string>([
      { method: "eth_getBalance", params: [address, hex(block)] },
      { method: "eth_getTransactionCount", params: [address, hex(block)] },
      { method: "eth_getCode", params: [address, hex(block)] },
    ]);
    return BigInt(balance!) !== 0n || BigInt(nonce!) !== 0n || (code !== undefined && code !== "0x");
  }

  async storageAt(address: string, slot: bigint, block: bigint): Promise<bigint> {
    return BigInt(await this.client.call<string>("eth_getStorageAt", [address, hex(slot), hex(block)]));
  }

  async codeAt(address: string, block: bigint): Promise<string> {
    return (await this.client.call<string>("eth_getCode", [address, hex(block)])).toLowerCase();
  }

  async intermediateRoots(block: BlockView): Promise<string[] | undefined> {
    try {
      const r = await this.client.call<string[]>("debug_intermediateRoots", [block.hash, {}]);
      return Array.isArray(r) ? r : undefined;
    } catch (err) {
      if (isMissingMethod(err)) return undefined;
      throw err;
    }
  }
}

/** A block object from eth_getBlockByNumber(n, true) as a BlockView. */
export function blockView(b: Json, label: string): BlockView {
  if (typeof b.number !== "string" || typeof b.hash !== "string" || !Array.isArray(b.transactions)) {
    throw new SondeError(
      `${label}: eth_getBlockByNumber returned a block without number, hash or transactions`,
    );
  }
  const txs = b.transactions as (Json | string)[];
  const objects = txs.filter((t): t is Json => typeof t === "object" && t !== null);
  const { transactions: _t, withdrawals, ...header } = b;
  return {
    number: BigInt(b.number),
    hash: b.hash,
    header,
    transactions: txs.map((t) => (typeof t === "string" ? t : String(t.hash))),
    transactionObjects: objects,
    withdrawals: Array.isArray(withdrawals) ? (withdrawals as Json[]) : undefined,
  };
}
