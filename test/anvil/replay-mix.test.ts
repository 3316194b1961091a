/**
 * `sonde replay` (src/remote/replay.ts) on the 200 transactions of the mix (./mix.ts: every
 * transaction type through EIP-7702, every call kind, logs, reverts, creations, blocks of
 * several transactions): anvil alone mines them from the mix's genesis (./mix-chain.ts, as
 * node-compare.test.ts does), then every transaction is re-executed by Sonde from anvil's
 * plain JSON-RPC state reads under callTracer, callTracer withLog, prestateTracer and
 * prestateTracer diffMode. Each result must equal anvil's own debug_traceTransaction after
 * the revm-inspectors normalisations (all of NORMALISATION_RULES in
 * src/compare/normalise.ts, ignored paths dropped on both sides), and the replay's check
 * against the receipt (gas used, status) must find no divergence.
 *
 * Each tracer configuration is one test listing every mismatch (transaction index, name,
 * hash and the differing paths); a summary per configuration (rules applied, replay
 * statistics, time) is printed at the end. Replays run four at a time.
 *
 * anvil comes from the devDependency @foundry-rs/anvil-linux-amd64; when it is missing the
 * suite fails (startAnvil → findAnvil throws), it does not skip.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { normaliseTrace } from "../../src/compare/normalise.js";
import { Fork } from "../../src/evm/forks.js";
import { replayTransaction } from "../../src/remote/replay.js";
import { RpcClient } from "../../src/remote/rpc-client.js";
import type { TraceConfig } from "../../src/tracers/types.js";
import type { Anvil } from "./anvil.js";
import { anvilTraceSource, normalisedDifferences } from "./anvil-traces.js";
import {
  batched,
  mineOn,
  type SentMixTx,
  sendMix,
  setGethFirstBaseFee,
  startMixAnvil,
  writeMixGenesis,
} from "./mix-chain.js";

type Json = Record<string, unknown>;

const TRACERS: { name: string; config: TraceConfig }[] = [
  { name: "callTracer", config: { tracer: "callTracer" } },
  { name: "callTracer withLog", config: { tracer: "callTracer", tracerConfig: { withLog: true } } },
  { name: "prestateTracer", config: { tracer: "prestateTracer" } },
  { name: "prestateTracer diffMode", config: { tracer: "prestateTracer", tracerConfig: { diffMode: true } } },
];

/** Replays run at the same time. */
const CONCURRENCY = 4;

/** What one replay of one transaction gave. */
interface Replayed {
  result?: unknown;
  traceError?: string;
  divergence?: string;
  fork?: Fork;
  /** The replay threw. */
  thrown?: string;
}

let dir: string | undefined;
let anvil: Anvil | undefined;
let sent: SentMixTx[] = [];
let blocks = 0;
const receipts: Json[] = [];
const transactions: Json[] = [];
/** anvil's debug_traceTransaction results, by tracer configuration name, in mix order. */
const anvilTraces = new Map<string, unknown[]>();
/** Sonde's replays, by tracer configuration name, in mix order. */
const replays = new Map<string, Replayed[]>();
const summary: string[] = [];
const totals = { replays: 0, requests: 0, calls: 0, fetchRounds: 0, reruns: 0, misses: 0, ms: 0 };

const label = (s: SentMixTx) => `#${s.index} "${s.name}" ${s.hash}`;
const qty = (n: number | bigint) => `0x${n.toString(16)}`;

function node(): Anvil {
  if (anvil === undefined) throw new Error("anvil did not start (see the beforeAll error)");
  return anvil;
}

/** Runs `work` on every item, `limit` at a time. */
async function pool<T>(items: readonly T[], limit: number, work: (item: T, i: number) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await work(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Replays every transaction of the mix under `config`; returns this configuration's statistics. */
async function replayAll(config: TraceConfig): Promise<{ out: Replayed[]; stats: typeof totals }> {
  const stats = { replays: 0, requests: 0, calls: 0, fetchRounds: 0, reruns: 0, misses: 0, ms: 0 };
  const out: Replayed[] = [];
  const t0 = Date.now();
  await pool(sent, CONCURRENCY, async (s, i) => {
    try {
      const report = await replayTransaction(new RpcClient(node().url), s.hash, { tracer: config });
      const r = report.txs[0]!;
      stats.replays++;
      stats.requests += report.stats.requests;
      stats.calls += report.stats.calls;
      stats.fetchRounds += report.stats.fetchRounds;
      stats.reruns += report.stats.reruns;
      stats.misses += report.stats.misses;
      out[i] = {
        result: r.result,
        fork: report.fork,
        ...(r.traceError === undefined ? {} : { traceError: r.traceError }),
        ...(r.divergence === undefined ? {} : { divergence: r.divergence }),
      };
    } catch (e) {
      out[i] = { thrown: (e as Error).message };
    }
  });
  stats.ms = Date.now() - t0;
  for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += stats[k];
  return { out, stats };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "sonde-replay-mix-"));
  const { file } = writeMixGenesis(dir);
  anvil = await startMixAnvil(file);
  await setGethFirstBaseFee(anvil); // as node-compare.test.ts (anvil-first-block-base-fee)
  const t0 = Date.now();
  const a = anvil;
  ({ sent, blocks } = await sendMix((b) => mineOn(a, "anvil", b.raws, b.timestamp, b.names)));
  const t1 = Date.now();
  receipts.push(
    ...(await batched<Json>(
      a,
      sent.map((s) => ["eth_getTransactionReceipt", [s.hash]]),
    )),
  );
  transactions.push(
    ...(await batched<Json>(
      a,
      sent.map((s) => ["eth_getTransactionByHash", [s.hash]]),
    )),
  );
  for (const t of TRACERS) {
    const calls: [string, unknown[]][] = sent.map((s) => ["debug_traceTransaction", [s.hash, t.config]]);
    anvilTraces.set(t.name, await batched<unknown>(a, calls, 50));
  }
  summary.push(
    `sent ${sent.length} transactions in ${blocks} blocks to anvil in ${((t1 - t0) / 1000).toFixed(1)} s; ` +
      `fetched receipts and ${TRACERS.length} traces each in ${((Date.now() - t1) / 1000).toFixed(1)} s`,
  );
}, 120_000);

afterAll(() => {
  anvil?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  if (totals.replays > 0) {
    const per = (n: number) => (n / totals.replays).toFixed(2);
    summary.push(
      `replay totals: ${totals.replays} replays in ${(totals.ms / 1000).toFixed(1)} s, ` +
        `${totals.requests} requests (${per(totals.requests)}/replay), ${totals.calls} calls, ` +
        `${totals.fetchRounds} fetch rounds (${per(totals.fetchRounds)}/replay), ` +
        `${totals.reruns} reruns (${per(totals.reruns)}/replay), ${totals.misses} misses`,
    );
  }
  if (summary.length > 0) console.log(`sonde replay of the mix against anvil:\n  ${summary.join("\n  ")}`);
});

describe("sonde replay --rpc <anvil> on the 200 transactions of the mix", () => {
  it("has the mix mined: 200 transactions, some in blocks of several", () => {
    expect(sent).toHaveLength(200);
    expect(blocks).toBe(190);
    expect(receipts.every((r, i) => r?.transactionHash === sent[i]?.hash)).toBe(true);
    expect(sent.filter((s) => sent.some((o) => o !== s && o.block === s.block)).length).toBe(14);
  });

  for (const t of TRACERS) {
    it(`${t.name}: every replay equals anvil's debug_traceTransaction (normalised)`, async () => {
      const theirs = anvilTraces.get(t.name);
      const plainCalls = anvilTraces.get("callTracer");
      const plainPrestate = anvilTraces.get("prestateTracer");
      if (!theirs || !plainCalls || !plainPrestate || sent.length === 0)
        throw new Error("the mix was not sent or anvil's traces not fetched (see the beforeAll error)");
      const { out, stats } = await replayAll(t.config);
      replays.set(t.name, out);
      const mismatches: string[] = [];
      const failing = new Set<number>();
      const applied = new Map<string, number>();
      for (const [i, s] of sent.entries()) {
        const add = (line: string) => {
          failing.add(i);
          mismatches.push(`${label(s)}: ${line}`);
        };
        const mine = out[i];
        if (mine === undefined || mine.thrown !== undefined) {
          add(`replay failed: ${mine?.thrown ?? "no result"}`);
          continue;
        }
        if (mine.fork !== Fork.Prague) add(`replayed under fork ${mine.fork}, not Prague`);
        if (mine.traceError !== undefined) add(`tracer error: ${mine.traceError}`);
        const norm = await normaliseTrace(
          theirs[i],
          "revm-inspectors",
          t.config,
          anvilTraceSource(node(), {
            hash: s.hash,
            gasLimit: s.gasLimit,
            block: qty(s.block),
            callFrames: plainCalls[i] as Json,
            plainPrestate: plainPrestate[i] as Json,
            receipt: receipts[i] ?? null,
            transaction: transactions[i] ?? null,
          }),
        );
        for (const n of norm.applied) applied.set(n, (applied.get(n) ?? 0) + 1);
        for (const d of normalisedDifferences(norm, mine.result)) add(d);
      }
      const rules = [...applied].map(([n, k]) => `${n} ×${k}`).join(", ");
      const per = (n: number) => (n / Math.max(1, stats.replays)).toFixed(2);
      summary.push(
        `${t.name}: ${sent.length} compared, ${failing.size} mismatching; rules applied: ${rules || "none"}; ` +
          `${stats.replays} replays in ${(stats.ms / 1000).toFixed(1)} s, ${stats.requests} requests ` +
          `(${per(stats.requests)}/replay), ${stats.fetchRounds} fetch rounds (${per(stats.fetchRounds)}/replay), ` +
          `${stats.reruns} reruns (${per(stats.reruns)}/replay)`,
      );
      if (failing.size > 0) {
        expect.fail(
          `${failing.size} of ${sent.length} ${t.name} results differ (expected = anvil, got = Sonde):\n` +
            mismatches.join("\n"),
        );
      }
    }, 180_000);
  }

  it("finds no divergence from the receipts (gas used, status) in any replay", () => {
    const found: string[] = [];
    for (const t of TRACERS) {
      const out = replays.get(t.name);
      if (out === undefined) {
        found.push(`${t.name}: not replayed`);
        continue;
      }
      for (const [i, s] of sent.entries()) {
        const r = out[i];
        if (r === undefined || r.thrown !== undefined) found.push(`${t.name} ${label(s)}: not replayed`);
        else if (r.divergence !== undefined) found.push(`${t.name} ${label(s)}: ${r.divergence}`);
      }
    }
    summary.push(`receipt checks: ${TRACERS.length} × ${sent.length} replays, ${found.length} divergent`);
    expect(found).toEqual([]);
  });
});
