/**
 * `local:URL` as a `sonde diff` side: Sonde's own engine re-executing the endpoint's
 * blocks from the state it serves (remote/replay.ts), so an endpoint can be compared with
 * what Sonde computes for the same block.
 *
 * What it answers is computed locally: receipts (status, gas, logs, created contract),
 * the header fields that follow from them (gasUsed, logsBloom, receiptsRoot), every
 * debug_trace* result, and balances and storage after the block. The inputs of the
 * execution (parent hash, timestamp, coinbase, base fee, the transactions) are the
 * endpoint's, so they are equal by construction and not shown as compared. The state root
 * is not computed (that needs the whole state), nor are per-transaction roots; the
 * ladder compares post-states with prestateTracer's diff mode instead. The EIP-7002/7251
 * request calls and withdrawals after the transactions are not replayed, so balances and
 * queue slots they change are read as they were before them.
 */
import { createReadStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { receiptsRoot } from "../chain/block.js";
import { receiptBloom } from "../chain/process.js";
import { SondeError } from "../errors.js";
import type { Fork } from "../evm/forks.js";
import { bigintToHex, bytesToHex } from "../primitives/hex.js";
import { type ReplayReport, replayBlock, replayTransaction } from "../remote/replay.js";
import type { RpcClient } from "../remote/rpc-client.js";
import type { TraceConfig } from "../tracers/types.js";
import { streamArray } from "./json-stream.js";
import { type BlockView, blockView, type DiffSource, type Json, type StepStream } from "./sources.js";
import { type Step, stepFromStructLog } from "./steps.js";

export interface LocalSourceOptions {
  fork?: Fork;
  chain?: string;
}

/** Header fields of the endpoint's block that are inputs to the execution (kept as given). */
const INPUT_FIELDS = [
  "number",
  "parentHash",
  "timestamp",
  "miner",
  "baseFeePerGas",
  "gasLimit",
  "parentBeaconBlockRoot",
];

export class LocalSource implements DiffSource {
  private readonly untraced = new Map<bigint, Promise<ReplayReport>>();

  constructor(
    readonly label: string,
    private readonly client: RpcClient,
    private readonly opts: LocalSourceOptions = {},
  ) {}

  async clientVersion(): Promise<string | undefined> {
    return "Sonde/local-replay";
  }

  private replayOptions(tracer: TraceConfig | null) {
    return {
      tracer,
      ...(this.opts.fork === undefined ? {} : { fork: this.opts.fork }),
      ...(this.opts.chain === undefined ? {} : { chain: this.opts.chain }),
    };
  }

  /** The block replayed without a tracer (cached). */
  private replayed(n: bigint): Promise<ReplayReport> {
    let r = this.untraced.get(n);
    if (r === undefined) {
      r = replayBlock(this.client, n, this.replayOptions(null));
      this.untraced.set(n, r);
      r.catch(() => this.untraced.delete(n));
    }
    return r;
  }

  async blockByNumber(n: bigint): Promise<BlockView | undefined> {
    const raw = await this.client.call<Json | null>("eth_getBlockByNumber", [bigintToHex(n), true]);
    if (raw === null) return undefined;
    const remote = blockView(raw, this.label);
    const header: Json = {};
    for (const k of INPUT_FIELDS) if (remote.header[k] !== undefined) header[k] = remote.header[k];
    if (n > 0n) {
      const r = await this.replayed(n);
      const receipts = r.txs.map((t) => ({
        type: t.type,
        status: t.success,
        cumulativeGasUsed: t.cumulativeGasUsed,
        logs: t.logs,
        bloom: receiptBloom(t.logs),
      }));
      const last = r.txs[r.txs.length - 1];
      header.gasUsed = bigintToHex(last?.cumulativeGasUsed ?? 0n);
      header.receiptsRoot = bytesToHex(receiptsRoot(receipts));
      header.logsBloom = bytesToHex(receiptBloom(r.txs.flatMap((t) => t.logs)));
    }
    return { ...remote, header };
  }

  async locate(txHash: string): Promise<{ block: bigint; index: number } | undefined> {
    const tx = await this.client.call<Json | null>("eth_getTransactionByHash", [txHash]);
    if (tx === null || tx.blockNumber === null || tx.blockNumber === undefined) return undefined;
    return { block: BigInt(tx.blockNumber as string), index: Number(BigInt(tx.transactionIndex as string)) };
  }

  async receipts(block: BlockView): Promise<Json[]> {
    const r = await this.replayed(block.number);
    return r.txs.map((t) => ({
      transactionHash: t.hash,
      type: bigintToHex(BigInt(t.type)),
      status: t.success ? "0x1" : "0x0",
      cumulativeGasUsed: bigintToHex(t.cumulativeGasUsed),
      gasUsed: bigintToHex(t.gasUsed),
      contractAddress: t.contractAddress,
      logs: t.logs.map((l) => ({
        address: l.address,
        topics: l.topics.map((x) => `0x${x.toString(16).padStart(64, "0")}`),
        data: bytesToHex(l.data),
      })),
    }));
  }

  async traceBlock(block: BlockView, config: TraceConfig): Promise<unknown[]> {
    const r = await replayBlock(this.client, block.number, this.replayOptions(config));
    return r.txs.map((t) => {
      if (t.traceError !== undefined) {
        throw new SondeError(
          `${this.label}: tracing transaction ${t.index} of block ${block.number} failed: ${t.traceError}`,
        );
      }
      return t.result;
    });
  }

  async traceTransaction(hash: string, config: TraceConfig): Promise<unknown> {
    const r = await replayTransaction(this.client, hash, this.replayOptions(config));
    const t = r.txs[0];
    if (t === undefined) throw new SondeError(`${this.label}: transaction ${hash} was not replayed`);
    if (t.traceError !== undefined)
      throw new SondeError(`${this.label}: tracing ${hash} failed: ${t.traceError}`);
    return t.result;
  }

  /**
   * The struct-logger trace, as steps. The replay streams the trace into a temporary
   * file while the transaction runs, and the steps are read back from it as they are
   * compared, so memory stays bounded however long the trace (the file is removed once
   * read, or when the comparison stops early).
   */
  async structLogs(hash: string, config: TraceConfig): Promise<StepStream> {
    const dir = mkdtempSync(join(tmpdir(), "sonde-local-trace-"));
    const file = join(dir, "trace.json");
    const cleanup = () => rmSync(dir, { recursive: true, force: true });
    let split: ReturnType<typeof streamArray>;
    try {
      const r = await replayTransaction(this.client, hash, {
        ...this.replayOptions(config),
        resultFile: () => file,
      });
      const t = r.txs[0];
      if (t === undefined) throw new SondeError(`${this.label}: transaction ${hash} was not replayed`);
      if (t.traceError !== undefined)
        throw new SondeError(`${this.label}: tracing ${hash} failed: ${t.traceError}`);
      split = streamArray(createReadStream(file), "structLogs");
    } catch (err) {
      cleanup();
      throw err;
    }
    async function* steps(): AsyncGenerator<Step> {
      try {
        // No line number: a replayed trace has no lines to point at.
        for await (const text of split.elements) yield stepFromStructLog(JSON.parse(text) as Json);
      } finally {
        cleanup();
      }
    }
    return { steps: steps(), result: () => (split.rest() as Json) ?? {} };
  }

  private async account(address: string, block: bigint) {
    const r = await this.replayed(block);
    return r.readState((s) => s.getAccount(address.toLowerCase() as `0x${string}`));
  }

  async balanceAt(address: string, block: bigint): Promise<bigint> {
    return (await this.account(address, block))?.balance ?? 0n;
  }

  async existsAt(address: string, block: bigint): Promise<boolean> {
    const a = await this.account(address, block);
    return a !== undefined && (a.balance !== 0n || a.nonce !== 0n || a.code.length > 0);
  }

  async codeAt(address: string, block: bigint): Promise<string> {
    return bytesToHex((await this.account(address, block))?.code ?? new Uint8Array());
  }

  async storageAt(address: string, slot: bigint, block: bigint): Promise<bigint> {
    const r = await this.replayed(block);
    return r.readState((s) => s.getAccount(address.toLowerCase() as `0x${string}`)?.storage.get(slot) ?? 0n);
  }

  async intermediateRoots(): Promise<string[] | undefined> {
    return undefined;
  }
}
