/**
 * anvil's debug_traceTransaction results brought to go-ethereum's form for comparison with
 * Sonde's: the NormaliseSource of src/compare/normalise.ts for a transaction mined on
 * anvil (its own callTracer and prestateTracer results, receipt, transaction and state
 * after the block, each read from anvil or taken from what the caller already fetched),
 * and the differences left once the ignored paths are dropped on both sides.
 */
import { dropPaths, type NormaliseResult, type NormaliseSource } from "../../src/compare/normalise.js";
import { jsonDifferences } from "../../src/runners/tracetest.js";
import type { TraceConfig } from "../../src/tracers/types.js";
import type { RpcClient } from "./anvil.js";

type Json = Record<string, unknown>;

export interface MinedOnAnvil {
  hash: string;
  /** The gas limit the transaction was sent with. */
  gasLimit: bigint;
  /** The block it was mined in (a quantity): state "after" is read at that block. */
  block: string;
  /** What the caller already has from anvil (fetched on demand otherwise). */
  callFrames?: Json;
  plainPrestate?: Json;
  receipt?: Json | null;
  transaction?: Json | null;
}

/** Remembers the first answer of `f`. */
function once<T>(f: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => {
    p ??= f();
    return p;
  };
}

/** What the normalisation rules may read about `tx` on anvil. */
export function anvilTraceSource(anvil: RpcClient, tx: MinedOnAnvil): NormaliseSource {
  const trace = (config: TraceConfig) => anvil.rpc<Json>("debug_traceTransaction", [tx.hash, { ...config }]);
  const cached = <T>(value: T | undefined, fetch: () => Promise<T>) =>
    value === undefined ? once(fetch) : async () => value;
  return {
    gasLimit: tx.gasLimit,
    callFrames: cached(tx.callFrames, () => trace({ tracer: "callTracer" })),
    plainPrestate: cached(tx.plainPrestate, () => trace({ tracer: "prestateTracer" })),
    receipt: cached(tx.receipt, () => anvil.rpc<Json | null>("eth_getTransactionReceipt", [tx.hash])),
    transaction: cached(tx.transaction, () => anvil.rpc<Json | null>("eth_getTransactionByHash", [tx.hash])),
    existsAfter: async (address) => {
      const [balance, nonce, code] = await anvil.batch<string>([
        ["eth_getBalance", [address, tx.block]],
        ["eth_getTransactionCount", [address, tx.block]],
        ["eth_getCode", [address, tx.block]],
      ]);
      return BigInt(balance!) !== 0n || BigInt(nonce!) !== 0n || code !== "0x";
    },
    codeAfter: (address) => anvil.rpc<string>("eth_getCode", [address, tx.block]),
  };
}

/**
 * The differences between anvil's normalised result (expected) and `actual` (Sonde's),
 * after the paths the rules ignored are dropped from copies of both.
 */
export function normalisedDifferences(norm: NormaliseResult, actual: unknown, path = "result"): string[] {
  const expected = structuredClone(norm.value);
  const got = structuredClone(actual);
  dropPaths(expected, norm.ignored);
  dropPaths(got, norm.ignored);
  return jsonDifferences(expected, got, path);
}
