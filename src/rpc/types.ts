/** Shared shapes of the JSON-RPC layer: method handlers, namespaces, call context. */
import { getHeapStatistics } from "node:v8";
import type { DevNode } from "../node/node.js";
import { OutputBudget } from "../tracers/types.js";

/** A JSON text spliced as is into the response (large tracer results). */
export class RawJson {
  constructor(readonly json: string) {}
}

/** What an eth_subscribe handler gets from the transport (WebSocket only). */
export interface SubscriptionSink {
  /**
   * Registers a subscription; `start` receives the notifier and returns the cleanup.
   * Notifications are sent as `<namespace>_subscription` (default "eth"). `backlog`
   * tells how many bytes sent to the client it has not taken yet, so that a producer
   * of heavy notifications (debug traceChain) can wait for a slow reader.
   */
  subscribe(
    start: (notify: (result: unknown) => void, backlog: () => number) => () => void,
    namespace?: string,
  ): string;
  unsubscribe(id: string): boolean;
}

export interface CallContext {
  transport: "http" | "ws" | "direct";
  /** Present on transports that can push notifications. */
  subscriptions?: SubscriptionSink;
}

export type Handler = (params: unknown[], ctx: CallContext) => unknown;
export type Namespace = Record<string, Handler>;

export interface RpcEnv {
  node: DevNode;
  /** go-ethereum's --rpc.gascap (default 50M; 0: no cap). */
  gasCap: bigint;
  /**
   * go-ethereum's --rpc.evmtimeout in milliseconds: how long eth_call and
   * eth_estimateGas may run (default 5000; 0: no limit).
   */
  evmTimeoutMs?: number;
  /** Gas ceiling of blocks built by testing_buildBlockV1 (go-ethereum's --miner.gaslimit, default 60M). */
  gasCeil?: bigint;
  clientVersion: string;
  /**
   * Most bytes of trace output one request may produce (--rpc.trace-max-size; default
   * DEFAULT_TRACE_MAX_BYTES). A trace passing it fails with a message naming the flag.
   */
  traceMaxBytes?: number;
}

/**
 * Default of RpcEnv.traceMaxBytes: 500 MB, below Node's longest string (536,870,888
 * characters), which one response must fit in; less where the JavaScript heap is small
 * (an eighth of it: a trace's objects, its JSON and the response text live there at
 * once, and a heap that runs out ends the process). 500 MB on a 4.3 GB heap.
 */
export const DEFAULT_TRACE_MAX_BYTES = Math.min(
  500_000_000,
  Math.floor(getHeapStatistics().heap_size_limit / 8 / 1_000_000) * 1_000_000,
);
/** The largest RpcEnv.traceMaxBytes: Node's longest string, less room for the envelope. */
export const MAX_TRACE_MAX_BYTES = 536_000_000;

/** The output budget of one request's traces (see RpcEnv.traceMaxBytes). */
export function traceBudget(env: RpcEnv): OutputBudget {
  const limit = env.traceMaxBytes ?? DEFAULT_TRACE_MAX_BYTES;
  return new OutputBudget(
    limit,
    `trace output exceeds ${limit} bytes, the most one response may hold (--rpc.trace-max-size): ` +
      "narrow the trace (the struct logger's limit, disableStack, enableMemory false; a single transaction; another tracer)",
  );
}
