#!/usr/bin/env node
/**
 * Tracer benchmark: Sonde's tracers against anvil's debug_traceTransaction on the same
 * transactions — ns per step, MB/s of JSON, peak memory.
 *
 *   node bench/tracers.js [--only WORKLOAD[,…]] [--tracers NAME[,…]] [--runs N] [--warmup N]
 *                         [--n N] [--no-build] [--out FILE]
 *
 * The workloads (bench/lib/tracer-workloads.js) are deployed on anvil and sent as real
 * transactions (one per block). For each workload and tracer config: anvil's
 * debug_traceTransaction is timed over HTTP (wall time to the last byte of the response),
 * and Sonde re-executes the same transaction on the same pre-state and block context (read
 * back from anvil, as test/anvil/replay.ts does) under the same config, producing the
 * complete JSON text, in a child process of its own (bench/lib/tracer-child.js) so its
 * peak RSS is its own. Untimed runs first (the first on each side also cross-checks that
 * both did the same work), then --runs timed runs alternating Sonde and anvil; after each
 * anvil request the script waits until anvil uses no CPU for 100 ms, so the two never share
 * the cores.
 * See bench/README.md, "Tracers".
 */
import { fork as forkProcess } from "node:child_process";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { procStatusKb, replayJob, resetPeakRss, sendTx, startAnvil, waitIdle } from "./lib/anvil-node.js";
import { gitDescribe } from "./lib/machine.js";
import { buildSonde } from "./lib/sonde.js";
import { fmt, median, table } from "./lib/stats.js";
import { tracerWorkloads } from "./lib/tracer-workloads.js";
import { BENCH_DIR, REPO_DIR } from "./lib/workloads.js";
import { writeJson } from "./lib/write-json.js";

/** A JavaScript tracer that counts steps (go-ethereum's legacy JS tracer API). */
export const JS_COUNTER =
  "{count: 0, step: function(log) { this.count++; }, fault: function() {}, result: function() { return this.count; }}";

/** Tracer configs: `config` is the TraceConfig both sides get (null: untraced baseline). */
export const TRACERS = [
  {
    name: "untraced",
    config: null,
    what: "no tracer: Sonde applyTransaction; anvil eth_call at the parent block",
  },
  { name: "noop", config: { tracer: "noopTracer" }, what: "noopTracer" },
  { name: "struct", config: {}, what: "struct logger, default options" },
  { name: "struct+mem", config: { enableMemory: true }, what: "struct logger, enableMemory" },
  { name: "call", config: { tracer: "callTracer" }, what: "callTracer" },
  { name: "prestate", config: { tracer: "prestateTracer" }, what: "prestateTracer" },
  {
    name: "prestate-diff",
    config: { tracer: "prestateTracer", tracerConfig: { diffMode: true } },
    what: "prestateTracer, diffMode",
  },
  { name: "js-count", config: { tracer: JS_COUNTER }, what: "JavaScript step tracer (counts steps)" },
];

const FORK_NAME = "prague";
/** Gas limit of every benchmark transaction (anvil is started with a 100 M block gas limit). */
const TX_GAS = 60_000_000n;

const HELP = `usage: node bench/tracers.js [options]

  --only NAME[,NAME…]     workloads (default: all)
  --tracers NAME[,NAME…]  tracer configs (default: all)
  --runs N                timed runs per side and cell (default 3)
  --warmup N              untimed Sonde runs before them, the first one cross-checked (default 2);
                          anvil gets one (the cross-check)
  --n N                   size of the workload given with --only (one workload only)
  --no-build              do not run tsc first (use dist/ as it is)
  --out FILE              JSON results (default bench/results/tracers-latest.json)
`;

const log = (s) => process.stderr.write(s);

const MB = 1024 * 1024;

/** A child process running bench/lib/tracer-child.js; one request at a time. */
class SondeCell {
  constructor() {
    this.child = forkProcess(fileURLToPath(new URL("./lib/tracer-child.js", import.meta.url)), [], {
      execArgv: ["--expose-gc", "--max-old-space-size=6144"],
      env: { ...process.env, SONDE_REPO_DIR: REPO_DIR },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.waiting = null;
    this.child.on("message", (m) => {
      const w = this.waiting;
      this.waiting = null;
      if (w === null) return;
      if (m.ok) w.resolve(m);
      else w.reject(new Error(`Sonde child: ${m.error}`));
    });
    this.child.on("exit", (code, signal) => {
      const w = this.waiting;
      this.waiting = null;
      w?.reject(new Error(`Sonde child exited (${code ?? signal})`));
    });
  }
  request(msg) {
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.child.send(msg);
    });
  }
  close() {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      try {
        process.kill(this.child.pid, "SIGKILL");
      } catch {
        /* gone */
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// Cross-checks: the two sides must have done the same work.

/** Entry count and totals of a struct-logger JSON-RPC response, without one huge string. */
function structSummaryOfResponse(buf) {
  let entries = 0;
  const pat = Buffer.from('"op":"');
  for (let i = buf.indexOf(pat); i !== -1; i = buf.indexOf(pat, i + 6)) entries++;
  const start = buf.indexOf('"structLogs":[');
  const end = buf.lastIndexOf("]");
  const head = buf.subarray(0, Math.min(start, 4000)).toString();
  const tail = buf.subarray(Math.max(end, buf.length - 4000)).toString();
  if (head.includes('"error"') && start === -1) return { error: head.slice(0, 300) };
  const outside = `${head} ${tail}`;
  const gas = outside.match(/"gas":\s*("0x[0-9a-f]+"|\d+)/)?.[1];
  return {
    entries,
    gas: gas === undefined ? null : Number(JSON.parse(gas)),
    failed: outside.match(/"failed":\s*(true|false)/)?.[1] === "true",
    returnValue: outside.match(/"returnValue":\s*"([0-9a-fx]*)"/)?.[1] ?? null,
  };
}

const strip0x = (s) => (typeof s === "string" ? s.replace(/^0x/, "") : s);

function parseResponse(buf) {
  const r = JSON.parse(buf.toString("utf8"));
  if (r.error) return { error: `${r.error.message} (code ${r.error.code})` };
  return { result: r.result };
}

const keccakHex = (hex) => `0x${Buffer.from(keccak_256(Buffer.from(hex.slice(2), "hex"))).toString("hex")}`;

/** anvil's prestate accounts with test/anvil's rules: empty accounts dropped, codeHash added. */
function normalisePrestate(accounts, dropEmpty) {
  const out = {};
  for (const [addr, a] of Object.entries(accounts ?? {})) {
    const code = typeof a.code === "string" ? a.code : "0x";
    const empty = (a.balance === undefined || BigInt(a.balance) === 0n) && !a.nonce && code === "0x";
    if (dropEmpty && empty) continue;
    out[addr] = code !== "0x" ? { ...a, codeHash: keccakHex(code) } : a;
  }
  return out;
}

/** Compares the cross-checked parts; returns "ok" or a short description of the difference. */
function crossCheck(tracer, sonde, anvilBuf, steps, jsonDifferences, gasLimit) {
  const name = tracer.name;
  if (name === "struct" || name === "struct+mem") {
    const a = structSummaryOfResponse(anvilBuf);
    const s = sonde.summary;
    if (a.error) return { ok: false, note: `anvil: ${a.error}` };
    const diffs = [];
    if (s.entries !== a.entries) diffs.push(`entries Sonde ${s.entries}, anvil ${a.entries}`);
    if (s.entries !== steps) diffs.push(`Sonde entries ${s.entries} != steps ${steps}`);
    if (s.gas !== a.gas) diffs.push(`gas Sonde ${s.gas}, anvil ${a.gas}`);
    if (s.failed !== a.failed) diffs.push(`failed Sonde ${s.failed}, anvil ${a.failed}`);
    if (strip0x(s.returnValue) !== strip0x(a.returnValue))
      diffs.push(`returnValue Sonde ${s.returnValue}, anvil ${a.returnValue}`);
    return diffs.length === 0
      ? { ok: true, note: `${s.entries} entries, gas ${s.gas}, returnValue equal` }
      : { ok: false, note: diffs.join("; ") };
  }
  const a = parseResponse(anvilBuf);
  if (a.error !== undefined) return { ok: null, note: `anvil rejected it: ${a.error}` };
  let expected = a.result;
  const actual = sonde.result;
  let what = "results equal";
  if (name === "untraced") {
    // eth_call returns the output; Sonde's gasUsed is checked against the receipt elsewhere.
    return { ok: true, note: "eth_call output not compared (gas checked against the receipt)" };
  }
  if (name === "call") {
    // test/anvil rules: the root frame's gas is the transaction's gas limit in go-ethereum.
    expected = { ...expected, gas: gasLimit };
    what = `call trees equal (gasUsed ${actual?.gasUsed})`;
  } else if (name === "prestate") {
    expected = normalisePrestate(expected, true);
    what = `${Object.keys(actual ?? {}).length} accounts equal`;
  } else if (name === "prestate-diff") {
    expected = { pre: normalisePrestate(expected.pre, true), post: normalisePrestate(expected.post, false) };
    what = `pre ${Object.keys(actual?.pre ?? {}).length} / post ${Object.keys(actual?.post ?? {}).length} accounts equal`;
  } else if (name === "js-count") {
    if (actual !== steps) return { ok: false, note: `Sonde counted ${actual}, steps ${steps}` };
    what = `both count ${actual} steps`;
  }
  const diffs = jsonDifferences(expected, actual);
  return diffs.length === 0
    ? { ok: true, note: what }
    : { ok: false, note: `${diffs.length} difference(s): ${diffs.slice(0, 3).join(" | ")}` };
}

// ---------------------------------------------------------------------------------------

function summarize(runs) {
  const ms = runs.map((r) => r.ms);
  return {
    medianMs: median(ms),
    minMs: Math.min(...ms),
    maxMs: Math.max(...ms),
    runsMs: ms.map((x) => Math.round(x * 1000) / 1000),
  };
}

async function measureCell(anvil, w, tracer, runs, warmup, jsonDifferences) {
  const cell = new SondeCell();
  try {
    await cell.request({ type: "init", job: w.job, config: tracer.config, fork: w.fork });
    const anvilRequest =
      tracer.config === null
        ? () => anvil.timed("eth_call", [w.job.call, w.job.parentBlock])
        : () => anvil.timed("debug_traceTransaction", [w.hash, tracer.config]);
    // Warm-up and cross-check.
    const sondeCheck = (await cell.request({ type: "run", check: true })).run;
    if (sondeCheck.error !== null && tracer.config !== null) throw new Error(`Sonde: ${sondeCheck.error}`);
    await waitIdle(anvil.pid);
    const anvilCheck = await anvilRequest();
    await waitIdle(anvil.pid);
    const check = crossCheck(tracer, sondeCheck, anvilCheck.buf, w.steps, jsonDifferences, w.job.gasLimit);
    const anvilSupported = check.ok !== null;
    if (check.ok === false) log(`\n!! ${w.name} × ${tracer.name}: Sonde and anvil differ: ${check.note}\n`);
    // Further untimed Sonde runs, so that the timed ones run optimised code (the child is fresh).
    for (let i = 1; i < warmup; i++) await cell.request({ type: "run", check: false });
    const sonde = [];
    const anv = [];
    for (let i = 0; i < runs; i++) {
      const order = i % 2 === 0 ? ["sonde", "anvil"] : ["anvil", "sonde"];
      for (const side of order) {
        if (side === "sonde") {
          sonde.push((await cell.request({ type: "run", check: false })).run);
        } else if (anvilSupported) {
          const reset = resetPeakRss(anvil.pid);
          const r = await anvilRequest();
          await waitIdle(anvil.pid);
          anv.push({ ms: r.ms, bytes: r.bytes, hwmKb: procStatusKb(anvil.pid, "VmHWM"), resetOk: reset });
        }
      }
      log(".");
    }
    const s = summarize(sonde);
    const sondeBytes = sonde[0].bytes;
    const out = {
      workload: w.name,
      tracer: tracer.name,
      config: tracer.config,
      steps: w.steps,
      check,
      sonde: {
        ...s,
        nsPerStep: (s.medianMs * 1e6) / w.steps,
        jsonBytes: sondeBytes,
        mbPerS: sondeBytes > 0 ? sondeBytes / MB / (s.medianMs / 1000) : null,
        peakRssMb: Math.max(...sonde.map((r) => r.hwmKb)) / 1024,
        rssBeforeMb: Math.max(...sonde.map((r) => r.rssBeforeKb)) / 1024,
        peakReset: sonde.every((r) => r.resetOk),
      },
      anvil: null,
    };
    if (anvilSupported && anv.length > 0) {
      const a = summarize(anv);
      out.anvil = {
        ...a,
        nsPerStep: (a.medianMs * 1e6) / w.steps,
        responseBytes: anv[0].bytes,
        mbPerS: anv[0].bytes / MB / (a.medianMs / 1000),
        peakRssMb: Math.max(...anv.map((r) => r.hwmKb ?? 0)) / 1024,
        peakReset: anv.every((r) => r.resetOk),
      };
      out.ratio = s.medianMs / a.medianMs;
    }
    return out;
  } finally {
    cell.close();
  }
}

export async function main(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      only: { type: "string" },
      tracers: { type: "string" },
      runs: { type: "string", default: "3" },
      warmup: { type: "string", default: "2" },
      n: { type: "string" },
      "no-build": { type: "boolean", default: false },
      out: { type: "string", default: join(BENCH_DIR, "results", "tracers-latest.json") },
      help: { type: "boolean", default: false },
    },
  });
  const all = tracerWorkloads();
  if (values.help) {
    process.stdout.write(
      `${HELP}\nworkloads:\n${all.map((w) => `  ${w.name.padEnd(14)} n=${w.n}  ${w.what}`).join("\n")}\n` +
        `tracers:\n${TRACERS.map((t) => `  ${t.name.padEnd(14)} ${t.what}`).join("\n")}\n`,
    );
    return 0;
  }
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error("--runs: expected a positive integer");
  const warmup = Number(values.warmup);
  if (!Number.isInteger(warmup) || warmup < 1) throw new Error("--warmup: expected a positive integer");
  const pick = (list, names, what) => {
    if (names === undefined) return list;
    const want = names.split(",").map((s) => s.trim());
    for (const n of want) {
      if (!list.some((x) => x.name === n))
        throw new Error(`--${what}: unknown name "${n}" (have ${list.map((x) => x.name).join(", ")})`);
    }
    return list.filter((x) => want.includes(x.name));
  };
  const workloads = pick(all, values.only, "only");
  const tracers = pick(TRACERS, values.tracers, "tracers");
  if (values.n !== undefined) {
    const n = Number(values.n);
    if (workloads.length !== 1 || !Number.isInteger(n) || n < 0)
      throw new Error("--n: give one workload with --only and a non-negative integer");
    workloads[0].n = n;
  }

  if (!values["no-build"]) buildSonde();
  const { jsonDifferences } = await import(
    pathToFileURL(join(REPO_DIR, "dist", "runners", "tracetest.js")).href
  );
  const { Fork } = await import(pathToFileURL(join(REPO_DIR, "dist", "evm", "forks.js")).href);
  const fork = Fork.Prague;

  const anvil = await startAnvil(REPO_DIR);
  const onSignal = (sig) => {
    anvil.stop();
    process.exit(sig === "SIGINT" ? 130 : 143);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const startedAt = new Date().toISOString();
  const startLoad = os.loadavg();
  const results = [];
  try {
    log(`anvil ${anvil.version} (pid ${anvil.pid}), fork ${FORK_NAME}\n`);
    for (const w of workloads) {
      log(`${w.name} (n=${w.n}): deploying, sending… `);
      await w.deploy((m, p) => anvil.rpc(m, p));
      const { hash, receipt } = await sendTx(anvil, { to: w.to, data: w.data(w.n), gas: TX_GAS });
      if (receipt.status !== "0x1") throw new Error(`${w.name}: the transaction failed on anvil (${hash})`);
      const job = await replayJob(anvil, hash);
      const ctx = { name: w.name, n: w.n, hash, job, fork, gasUsed: BigInt(receipt.gasUsed) };
      // Steps, counted once per workload by Sonde (cross-checked against anvil's struct logs).
      const counter = new SondeCell();
      try {
        await counter.request({ type: "init", job, config: null, fork });
        const counted = (await counter.request({ type: "steps" })).steps;
        ctx.steps = counted.steps;
        if (BigInt(counted.gasUsed) !== ctx.gasUsed)
          throw new Error(
            `${w.name}: Sonde used ${counted.gasUsed} gas, anvil's receipt says ${ctx.gasUsed}`,
          );
      } finally {
        counter.close();
      }
      log(`${ctx.steps.toLocaleString("en-US")} steps, gas ${ctx.gasUsed} (equal on both)\n`);
      for (const t of tracers) {
        log(`  ${t.name.padEnd(14)}`);
        const r = await measureCell(anvil, ctx, t, runs, warmup, jsonDifferences);
        r.n = w.n;
        r.gasUsed = ctx.gasUsed.toString();
        results.push(r);
        log(
          ` Sonde ${fmt(r.sonde.medianMs)} ms${r.anvil ? `, anvil ${fmt(r.anvil.medianMs)} ms` : ", anvil -"}; ${r.check.note}\n`,
        );
      }
    }
  } finally {
    anvil.stop();
  }

  const rows = results.map((r) => [
    r.workload,
    r.tracer,
    r.steps.toLocaleString("en-US"),
    fmt(r.sonde.medianMs),
    fmt(r.sonde.nsPerStep, 0),
    r.sonde.jsonBytes > 0 ? fmt(r.sonde.jsonBytes / MB, 2) : "-",
    r.sonde.jsonBytes >= 65536 ? fmt(r.sonde.mbPerS, 1) : "-",
    fmt(r.sonde.peakRssMb, 0),
    r.anvil ? fmt(r.anvil.medianMs) : "-",
    r.anvil ? fmt(r.anvil.responseBytes / MB, 2) : "-",
    r.anvil && r.anvil.responseBytes >= 65536 ? fmt(r.anvil.mbPerS, 1) : "-",
    r.anvil ? fmt(r.anvil.peakRssMb, 0) : "-",
    r.anvil ? `${fmt(r.ratio, 2)}` : "-",
    r.check.ok === true ? "ok" : r.check.ok === null ? "anvil n/a" : "DIFFER",
  ]);
  const header = [
    "workload",
    "tracer",
    "steps",
    "Sonde ms",
    "ns/step",
    "MB",
    "MB/s",
    "peak MB",
    "anvil ms",
    "MB",
    "MB/s",
    "RSS MB",
    "Sonde/anvil",
    "check",
  ];
  process.stdout.write(`${table(header, rows)}\n`);
  const notes = results
    .filter((r) => r.check.ok !== true)
    .map((r) => `${r.workload} × ${r.tracer}: ${r.check.note}`);
  if (notes.length > 0) process.stdout.write(`\n${notes.join("\n")}\n`);
  const out = {
    benchmark: "tracers",
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      model: os.cpus()[0]?.model,
      node: process.version,
      loadavgStart: startLoad,
      loadavgEnd: os.loadavg(),
    },
    sonde: gitDescribe(),
    anvil: anvil.version,
    fork: FORK_NAME,
    runs,
    warmup,
    tracers: Object.fromEntries(tracers.map((t) => [t.name, { config: t.config, what: t.what }])),
    workloads: Object.fromEntries(workloads.map((w) => [w.name, { n: w.n, what: w.what }])),
    results,
  };
  writeJson(values.out, out);
  log(`wrote ${values.out}\n`);
  return results.some((r) => r.check.ok === false) ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`${err.stack ?? err}\n`);
      process.exit(2);
    },
  );
}
