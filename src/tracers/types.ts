/**
 * What a tracer is, and the configuration it is built from (go-ethereum's TraceConfig).
 *
 * A tracer is a set of hooks (the contract in src/tracing/hooks.ts) plus a way to
 * produce its JSON result. Tracers are built by name through the registry
 * (./registry.ts); the trace runner (./trace.ts) attaches them to an execution and
 * enforces the timeout.
 */
import type { ChainConfig } from "../chain/config.js";
import type { Fork } from "../evm/forks.js";
import type { Hooks } from "../tracing/hooks.js";

/** go-ethereum's TraceConfig (debug_trace* options), with the struct-logger options inline. */
export interface TraceConfig {
  /** Tracer name, or JavaScript code; absent: the struct logger. */
  tracer?: string;
  /** Options for the named tracer (JSON value, passed as is). */
  tracerConfig?: unknown;
  /** A Go duration such as "5s" or "300ms"; go-ethereum's default is 5 s. */
  timeout?: string;
  /** Struct-logger options. */
  enableMemory?: boolean;
  disableStack?: boolean;
  disableStorage?: boolean;
  enableReturnData?: boolean;
  /**
   * Size limit of the struct-log entries in bytes of JSON, as at go-ethereum's HEAD:
   * entries stop being recorded once those recorded exceed it (0: no limit).
   */
  limit?: number;
}

/** What a tracer learns about where it runs, when it is built. */
export interface TracerContext {
  /** The fork whose rules the traced execution follows. */
  fork: Fork;
  /** The chain's configuration, when the execution belongs to a configured chain. */
  chainConfig?: ChainConfig;
  /**
   * Where a streaming tracer (the struct logger) writes its JSON while execution goes on,
   * so memory stays bounded. Tracers that do not stream ignore it. When given, the caller
   * must finish with `tracer.writeResult(sink)` on the same sink.
   */
  sink?: (chunk: string) => void;
  /** Block hash and transaction index/hash, for tracers that report them (JavaScript ctx). */
  blockHash?: string;
  /** Number of the block the traced transaction belongs to (flatCallTracer reports it). */
  blockNumber?: bigint;
  txIndex?: number;
  txHash?: string;
  /**
   * `performance.now()` time at which the trace times out (set by runTrace). Tracers that
   * run code of their own (JavaScript tracers) interrupt it there; the hooks' guard stops
   * everything else.
   */
  deadline?: number;
  /**
   * The bytes of JSON output the trace may produce (a node's limit on one response).
   * Whoever receives `sink` spends what reaches it; tracers that build a large result
   * in memory while execution runs (parityVmTrace) spend an estimate as they go. Spending
   * past the limit throws its OutputLimitError, which stops the trace.
   */
  outputBudget?: OutputBudget | undefined;
}

export interface Tracer {
  /** The registry name (or "js" for JavaScript code). */
  readonly name: string;
  readonly hooks: Hooks;
  /**
   * The tracer's result as a JSON value. Throws a TracerError when the tracer failed
   * or was stopped (timeout), with go-ethereum's error text.
   */
  getResult(): unknown;
  /** Writes the result as JSON text, possibly in several chunks. */
  writeResult(write: (chunk: string) => void): void;
  /** Stops tracing: later events are ignored and getResult throws `reason`. */
  stop(reason: Error): void;
  /** Releases what the tracer holds (a JavaScript sandbox). Safe to call twice. */
  dispose?(): void;
}

/** A tracer failed, was misconfigured, or was interrupted. The message is go-ethereum's. */
export class TracerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TracerError";
  }
}

/** A trace (or the traces of one response) produced more output than its budget allows. */
export class OutputLimitError extends TracerError {
  constructor(message: string) {
    super(message);
    this.name = "OutputLimitError";
  }
}

/**
 * Bytes of trace output still allowed, shared by everything one response traces (the
 * transactions of a block). Once spent past its limit, every further `spend` throws.
 */
export class OutputBudget {
  private spent = 0;

  /** `message` is the error text once the limit is passed. */
  constructor(
    readonly limit: number,
    private readonly message: string,
  ) {}

  spend(bytes: number): void {
    this.spent += bytes;
    if (this.spent > this.limit) throw new OutputLimitError(this.message);
  }

  /** Gives back bytes spent on an estimate, before the real output is counted. */
  refund(bytes: number): void {
    this.spent -= bytes;
  }

  /** Bytes spent so far. */
  get used(): number {
    return this.spent;
  }

  get exhausted(): boolean {
    return this.spent > this.limit;
  }
}

export type TracerFactory = (config: unknown, ctx: TracerContext) => Tracer;

/**
 * Reads an optional tracerConfig object. Fields of the wrong type are errors; fields the
 * tracer does not know are ignored, as go-ethereum ignores them (clients send shared
 * configs, e.g. flatCallTracer receives callTracer's options).
 */
export function readTracerConfig<T extends object>(name: string, raw: unknown, defaults: T): T {
  if (raw === undefined || raw === null) return { ...defaults };
  if (typeof raw !== "object" || Array.isArray(raw)) {
    throw new TracerError(`${name}: tracerConfig must be a JSON object`);
  }
  const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (!(k in defaults)) continue;
    const want = typeof (defaults as Record<string, unknown>)[k];
    if (v !== null && typeof v !== want) {
      throw new TracerError(`${name}: tracerConfig.${k} must be a ${want}`);
    }
    out[k] = v ?? (defaults as Record<string, unknown>)[k];
  }
  return out as T;
}
