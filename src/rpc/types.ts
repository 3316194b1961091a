/** Shared shapes of the JSON-RPC layer: method handlers, namespaces, call context. */
import type { DevNode } from "../node/node.js";

/** A JSON text spliced as is into the response (large tracer results). */
export class RawJson {
  constructor(readonly json: string) {}
}

/** What an eth_subscribe handler gets from the transport (WebSocket only). */
export interface SubscriptionSink {
  /**
   * Registers a subscription; `start` receives the notifier and returns the cleanup.
   * Notifications are sent as `<namespace>_subscription` (default "eth").
   */
  subscribe(start: (notify: (result: unknown) => void) => () => void, namespace?: string): string;
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
}
