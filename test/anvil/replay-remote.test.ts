/**
 * End-to-end test of `sonde replay`'s engine (src/remote/replay.ts) against anvil: the
 * scenario's transactions (./scenario.ts, one per block) and a block of several
 * transactions are mined by anvil, then re-executed by Sonde from anvil's plain JSON-RPC
 * state reads (no debug API used by the replay) under callTracer and prestateTracer. Each
 * result must equal anvil's own debug_traceTransaction after the documented
 * revm-inspectors normalisations (src/compare/normalise.ts), and the replayed gas used
 * and status must equal the receipts.
 *
 * The anvil binary comes from the devDependency @foundry-rs/anvil-linux-amd64; when it is
 * missing the suite fails (it does not skip).
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { normaliseTrace } from "../../src/compare/normalise.js";
import { Fork } from "../../src/evm/forks.js";
import { type ReplayReport, replayBlock, replayTransaction } from "../../src/remote/replay.js";
import { RpcClient } from "../../src/remote/rpc-client.js";
import type { TraceConfig } from "../../src/tracers/index.js";
import { type Anvil, startAnvil } from "./anvil.js";
import { anvilTraceSource, normalisedDifferences } from "./anvil-traces.js";
import { ACCOUNTS, calldata, type Deployed, runScenario, type SentTx, send } from "./scenario.js";

type Json = Record<string, unknown>;

const SETTINGS = { hardfork: "prague", chainId: 31337, timestamp: 1_750_000_000 };
const TRACERS: { name: string; config: TraceConfig }[] = [
  { name: "callTracer", config: { tracer: "callTracer" } },
  { name: "callTracer withLog", config: { tracer: "callTracer", tracerConfig: { withLog: true } } },
  { name: "prestateTracer", config: { tracer: "prestateTracer" } },
  { name: "prestateTracer diffMode", config: { tracer: "prestateTracer", tracerConfig: { diffMode: true } } },
];

let anvil: Anvil | undefined;
let txs: Map<string, SentTx>;
let deployed: Deployed;
/** Hashes of the transactions of one block holding several (automine off). */
let multi: { block: bigint; hashes: string[] };
/** Totals over every replay, for the report. */
const totals = { replays: 0, requests: 0, fetchRounds: 0, reruns: 0, misses: 0, accounts: 0, slots: 0 };

function node(): Anvil {
  if (anvil === undefined) throw new Error("anvil did not start (see the beforeAll error)");
  return anvil;
}

function account(r: ReplayReport): void {
  totals.replays++;
  totals.requests += r.stats.requests;
  totals.fetchRounds += r.stats.fetchRounds;
  totals.reruns += r.stats.reruns;
  totals.misses += r.stats.misses;
  totals.accounts += r.stats.accounts;
  totals.slots += r.stats.slots;
}

/**
 * Fails unless Sonde's result `sonde` equals anvil's debug_traceTransaction of `hash` under
 * `config`, normalised to go-ethereum's form (all of src/compare/normalise.ts's rules).
 */
async function compareWithAnvil(hash: string, config: TraceConfig, sonde: unknown): Promise<void> {
  const [tx, receipt, raw] = await node().batch<Json>([
    ["eth_getTransactionByHash", [hash]],
    ["eth_getTransactionReceipt", [hash]],
    ["debug_traceTransaction", [hash, { ...config }]],
  ]);
  const norm = await normaliseTrace(
    raw,
    "revm-inspectors",
    config,
    anvilTraceSource(node(), {
      hash,
      gasLimit: BigInt(tx!.gas as string),
      block: tx!.blockNumber as string,
      receipt: receipt!,
      transaction: tx!,
    }),
  );
  const diffs = normalisedDifferences(norm, sonde);
  if (diffs.length > 0)
    expect.fail([`${diffs.length} difference(s) (expected = anvil, got = Sonde):`, ...diffs].join("\n"));
}

beforeAll(async () => {
  anvil = await startAnvil(SETTINGS);
  ({ txs, deployed } = await runScenario(anvil));
  // One block with several transactions: the later ones run on the earlier ones' changes.
  await anvil.rpc("evm_setAutomine", [false]);
  const hashes: string[] = [];
  const p = deployed.probe;
  const reqs = [
    {
      from: ACCOUNTS[2],
      to: p,
      data: calldata("Probe", "setMany(uint256,uint256)", [2n, 500n]),
      gas: 400_000n,
    },
    { from: ACCOUNTS[3], to: p, data: calldata("Probe", "readSum(uint256)", [2n]), gas: 400_000n },
    { from: ACCOUNTS[2], to: p, data: calldata("Probe", "clear(uint256)", [1n]), gas: 400_000n },
    { from: ACCOUNTS[1], to: ACCOUNTS[3], value: 777n, gas: 21_000n },
  ];
  for (const r of reqs) {
    const tx: Json = { from: r.from, to: r.to, gas: `0x${r.gas.toString(16)}` };
    if ("data" in r) tx.data = r.data;
    if ("value" in r) tx.value = `0x${(r.value as bigint).toString(16)}`;
    hashes.push(await anvil.rpc<string>("eth_sendTransaction", [tx]));
  }
  await anvil.rpc("evm_mine", []);
  await anvil.rpc("evm_setAutomine", [true]);
  const receipt = await anvil.rpc<Json>("eth_getTransactionReceipt", [hashes[3]]);
  multi = { block: BigInt(receipt.blockNumber as string), hashes };
  // Keep the chain going so the replayed blocks are not the head.
  await send(anvil, { from: ACCOUNTS[1], to: ACCOUNTS[2], value: 1n, gas: 21_000n });
}, 60_000);

afterAll(() => {
  anvil?.stop();
  // The measured totals, for the record (vitest prints console output).
  console.log(`replay-remote totals: ${JSON.stringify(totals)}`);
});

describe("sonde replay against anvil, one transaction per block", () => {
  for (const tracer of TRACERS) {
    it(`${tracer.name}: every scenario transaction equals anvil's debug_traceTransaction`, async () => {
      const failures: string[] = [];
      for (const tx of txs.values()) {
        const client = new RpcClient(node().url);
        const report = await replayTransaction(client, tx.hash, { tracer: tracer.config });
        account(report);
        const r = report.txs[0]!;
        expect(report.fork).toBe(Fork.Prague);
        expect(report.forkSource).toBe("eth_config");
        try {
          expect(r.divergence).toBeUndefined();
          expect(r.success).toBe(tx.status);
          expect(r.traceError).toBeUndefined();
          await compareWithAnvil(tx.hash, tracer.config, r.result);
        } catch (e) {
          failures.push(`${tx.name}: ${(e as Error).message}`);
        }
      }
      expect(failures).toEqual([]);
    });
  }

  it("rebuilds every transaction from its JSON fields and from its raw bytes alike", async () => {
    for (const mode of ["fields", "raw"] as const) {
      for (const tx of txs.values()) {
        const report = await replayTransaction(new RpcClient(node().url), tx.hash, {
          tracer: null,
          transactions: mode,
          accessListPrefetch: false,
        });
        expect(report.txs[0]!.hash).toBe(tx.hash);
        expect(report.txs[0]!.divergence).toBeUndefined();
      }
    }
  });

  it("gives the same results when a miss throws instead of being recorded, without proofs or hints", async () => {
    const config = { tracer: "callTracer", tracerConfig: { withLog: true } };
    const names = ["setMany: write storage and log", "CREATE2 collision", "self-destruct an old contract"];
    for (const name of names) {
      const hash = txs.get(name)!.hash;
      const a = await replayTransaction(new RpcClient(node().url), hash, { tracer: config });
      const b = await replayTransaction(new RpcClient(node().url), hash, {
        tracer: config,
        missMode: "throw",
        useProof: false,
        accessListPrefetch: false,
      });
      expect(b.txs[0]!.result).toEqual(a.txs[0]!.result);
      // Without hints every account and slot beyond the prefetch is found by a re-run.
      expect(b.stats.reruns).toBeGreaterThan(0);
      expect(b.stats.fetchRounds).toBeGreaterThanOrEqual(b.stats.reruns);
    }
  });
});

describe("sonde replay against anvil, a block of several transactions", () => {
  it("replays the last transaction after the three before it", async () => {
    for (const tracer of TRACERS) {
      const report = await replayTransaction(new RpcClient(node().url), multi.hashes[2]!, {
        tracer: tracer.config,
      });
      account(report);
      expect(report.txs.map((t) => t.index)).toEqual([2]);
      expect(report.txs[0]!.divergence).toBeUndefined();
      await compareWithAnvil(multi.hashes[2]!, tracer.config, report.txs[0]!.result);
    }
  });

  it("--block traces every transaction, in order", async () => {
    const config = { tracer: "prestateTracer", tracerConfig: { diffMode: true } };
    const progress: number[] = [];
    const report = await replayBlock(new RpcClient(node().url), multi.block, {
      tracer: config,
      onProgress: (done) => progress.push(done),
    });
    account(report);
    expect(report.txs.map((t) => t.hash)).toEqual(multi.hashes);
    expect(progress).toEqual([1, 2, 3, 4]);
    for (const t of report.txs) {
      expect(t.divergence).toBeUndefined();
      await compareWithAnvil(t.hash, config, t.result);
    }
  });
});

describe("the sonde replay command against anvil (built dist/)", () => {
  const bin = join(import.meta.dirname, "..", "..", "bin", "sonde.js");
  const sonde = async (...args: string[]) => {
    try {
      const r = await promisify(execFile)(process.execPath, [bin, "replay", ...args], { encoding: "utf8" });
      return { code: 0, out: r.stdout, err: r.stderr };
    } catch (e) {
      const x = e as { code: number; stdout: string; stderr: string };
      return { code: x.code, out: x.stdout, err: x.stderr };
    }
  };

  it("prints the decoded call tree and a summary, or the tracer's JSON", async () => {
    const hash = txs.get("failWith(0): revert with reason")!.hash;
    const pretty = await sonde(hash, "--rpc", node().url);
    expect(pretty.code).toBe(0);
    const lines = pretty.out.split("\n");
    expect(lines[0]).toBe(
      `transaction ${hash} (block ${BigInt((await node().rpc<Json>("eth_getTransactionByHash", [hash])).blockNumber as string)}, index 0)`,
    );
    expect(lines[1]).toMatch(new RegExp(`^\\[\\d+\\] CALL ${deployed.probe}::0x[0-9a-f]{8}\\(32 bytes\\)$`));
    expect(lines[2]).toBe('└─ ← [Revert] revert: "plain reason"');
    expect(lines[3]).toMatch(
      /^failed \(execution reverted\) · gas used \d+ · block \d+ tx 0 · Prague \(eth_config\) · \d+ requests/,
    );

    const json = await sonde(hash, "--rpc", node().url, "--json", "--quiet");
    expect(json.code).toBe(0);
    expect(json.err).toBe("");
    const report = await replayTransaction(new RpcClient(node().url), hash, {
      tracer: { tracer: "callTracer", tracerConfig: { withLog: true } },
    });
    expect(JSON.parse(json.out)).toEqual(report.txs[0]!.result);
  });

  it("--block --json gives debug_traceBlock's shape", async () => {
    const r = await sonde(
      "--block",
      String(multi.block),
      "--rpc",
      node().url,
      "--json",
      "--tracer",
      "prestateTracer",
    );
    expect(r.code).toBe(0);
    const entries = JSON.parse(r.out) as { txHash: string; result: unknown }[];
    expect(entries.map((e) => e.txHash)).toEqual(multi.hashes);
    expect(r.err).toMatch(/^block \d+ · 4 transactions · Prague \(eth_config\)/);
  });
});
