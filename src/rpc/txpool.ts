/**
 * The `txpool` namespace, as go-ethereum's TxPoolAPI: status (counts), content and
 * contentFrom (transactions by sender and nonce), inspect (one-line summaries). Sender
 * keys are checksummed and nonces decimal, as go-ethereum prints them.
 */
import { checksumAddress } from "../node/checksum.js";
import type { PoolTx } from "../node/txpool.js";
import { txFeeCap } from "../tx/types.js";
import { formatTransaction, q } from "./format.js";
import { args, param, readAddress } from "./params.js";
import type { Namespace, RpcEnv } from "./types.js";

type Json = Record<string, unknown>;

/** As go-ethereum, whose blob pool lists nothing here, blob transactions are left out. */
function bySender(groups: Map<string, PoolTx[]>, fmt: (e: PoolTx) => unknown): Json {
  const out: Json = {};
  for (const [sender, txs] of groups) {
    const entry: Json = {};
    for (const e of txs) if (e.tx.type !== 3) entry[e.tx.nonce.toString()] = fmt(e);
    if (Object.keys(entry).length > 0) out[checksumAddress(sender)] = entry;
  }
  return out;
}

function inspect(e: PoolTx): string {
  const tx = e.tx;
  const price = txFeeCap(tx);
  const to = tx.to === null ? "contract creation" : checksumAddress(tx.to);
  return `${to}: ${tx.value} wei + ${tx.gasLimit} gas × ${price} wei`;
}

export function txpoolNamespace(env: RpcEnv): Namespace {
  const pool = env.node.pool;
  const full = (e: PoolTx) => formatTransaction(e.tx, e.sender, null, e.hash);
  return {
    txpool_status: () => {
      const s = pool.status();
      return { pending: q(BigInt(s.pending)), queued: q(BigInt(s.queued)) };
    },
    txpool_content: () => ({
      pending: bySender(pool.pending(), full),
      queued: bySender(pool.queued(), full),
    }),
    txpool_contentFrom: (p) => {
      args(p, 1, 1);
      const a = param(p, 0, readAddress);
      const pick = (m: Map<string, PoolTx[]>) => {
        const out: Json = {};
        for (const e of m.get(a) ?? []) if (e.tx.type !== 3) out[e.tx.nonce.toString()] = full(e);
        return out;
      };
      return { pending: pick(pool.pending()), queued: pick(pool.queued()) };
    },
    txpool_inspect: () => ({
      pending: bySender(pool.pending(), inspect),
      queued: bySender(pool.queued(), inspect),
    }),
  };
}
