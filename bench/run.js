#!/usr/bin/env node
/**
 * `npm run bench`: Sonde against @ethereumjs/evm (and anvil, when its npm package is
 * installed) on the same workloads, same fork, fresh state for every timed run.
 *
 *   node bench/run.js [--only NAME[,NAME…]] [--runs N] [--n N] [--fork osaka|prague|cancun]
 *                     [--no-build] [--no-ethereumjs] [--out FILE] [--hooks …]
 *
 * Builds Sonde first (`tsc -p tsconfig.json`, into dist/) unless --no-build. `--hooks`
 * runs bench/hooks-overhead.js instead, passing the other options through.
 * See bench/README.md for what the workloads and the numbers are.
 */
import os from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { anvilCall, anvilGas, findAnvil, gasAfterRefund, startAnvil } from "./lib/anvil.js";
import { EngineWorker } from "./lib/engines.js";
import { FORKS, RECEIVER, SENDER } from "./lib/ethereumjs.js";
import { gitDescribe } from "./lib/machine.js";
import { buildSonde } from "./lib/sonde.js";
import { fmt, median, table, timeAsync } from "./lib/stats.js";
import { BENCH_DIR, bytesToHex, REPO_DIR, workloads } from "./lib/workloads.js";
import { writeJson } from "./lib/write-json.js";

/** Gas given to every call: far above what any workload needs. */
export const GAS = 10_000_000_000n;

const HELP = `usage: node bench/run.js [options]      (npm run bench -- [options])

  --only NAME[,NAME…]  run only these workloads (names below)
  --runs N             timed runs per engine and workload after one warm-up (default 5, at least 1)
  --n N                size for the workload given with --only (one workload only)
  --fork NAME          cancun, prague or osaka (default osaka); the same fork on every engine
  --no-build           do not run tsc first (use dist/ as it is)
  --no-ethereumjs      Sonde only (no comparison, no gas check)
  --out FILE           where to write the JSON results (default bench/results/latest.json)
  --hooks              run bench/hooks-overhead.js instead (other options passed on)
`;

function sameBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function summarize(ms, gas, steps) {
  const m = median(ms);
  return {
    medianMs: m,
    minMs: Math.min(...ms),
    maxMs: Math.max(...ms),
    runsMs: ms.map((x) => Math.round(x * 1000) / 1000),
    mgasPerS: Number(gas) / 1e6 / (m / 1000),
    nsPerStep: steps > 0 ? (m * 1e6) / steps : null,
  };
}

/** Half the min–max range of the timed runs, in % of the median. */
function halfRange(x) {
  return `${Math.round(((x.maxMs - x.minMs) / 2 / x.medianMs) * 100)}%`;
}

const log = (s) => process.stderr.write(s);

export async function main(argv) {
  if (argv.includes("--hooks")) {
    const { main: hooksMain } = await import("./hooks-overhead.js");
    return hooksMain(argv.filter((a) => a !== "--hooks"));
  }
  const { values } = parseArgs({
    args: argv,
    options: {
      only: { type: "string" },
      runs: { type: "string", default: "5" },
      n: { type: "string" },
      fork: { type: "string", default: "osaka" },
      "no-build": { type: "boolean", default: false },
      "no-ethereumjs": { type: "boolean", default: false },
      out: { type: "string", default: join(BENCH_DIR, "results", "latest.json") },
      help: { type: "boolean", default: false },
    },
  });
  const all = workloads();
  if (values.help) {
    process.stdout.write(
      `${HELP}\nworkloads:\n${all.map((w) => `  ${w.name.padEnd(15)} ${w.what}`).join("\n")}\n`,
    );
    return 0;
  }
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error("--runs: expected a positive integer");
  const fork = values.fork.toLowerCase();
  if (!(fork in FORKS)) throw new Error(`--fork: expected one of ${Object.keys(FORKS).join(", ")}`);
  let selected = all;
  if (values.only) {
    const names = values.only.split(",").map((s) => s.trim());
    for (const n of names) {
      if (!all.some((w) => w.name === n))
        throw new Error(`--only: unknown workload "${n}" (have ${all.map((w) => w.name).join(", ")})`);
    }
    selected = all.filter((w) => names.includes(w.name));
  }
  let nOverride = null;
  if (values.n !== undefined) {
    if (selected.length !== 1 || selected[0].n === null)
      throw new Error("--n: give exactly one sized workload with --only");
    nOverride = Number(values.n);
    if (!Number.isInteger(nOverride) || nOverride < 0)
      throw new Error("--n: expected a non-negative integer");
  }
  const withEjs = !values["no-ethereumjs"];

  if (!values["no-build"]) buildSonde();
  const sonde = await EngineWorker.start("sonde");
  const ejs = withEjs ? await EngineWorker.start("ethereumjs") : null;
  const anvilFound = findAnvil(REPO_DIR);
  let anvil = null;
  let anvilNote;
  if (anvilFound.path === null) {
    anvilNote = `anvil skipped: ${anvilFound.reason} (not installed by this script)`;
  } else {
    try {
      anvil = await startAnvil(anvilFound.path, fork);
      anvilNote = `anvil: ${anvil.version} (${anvilFound.path})`;
    } catch (err) {
      anvilNote = `anvil skipped: ${err.message}`;
    }
  }
  log(`${anvilNote}\n`);

  const startedAt = new Date().toISOString();
  const startLoad = os.loadavg();
  const warnings = [];
  const results = [];
  try {
    for (const w of selected) {
      const n = nOverride ?? w.n;
      const input = w.input(n);
      log(`\n${w.name}${n === null ? "" : ` n=${n.toLocaleString("en-US")}`}: `);

      // Correctness and warm-up: one plain run, then one untimed traced run to count steps.
      const s0 = await sonde.check(w.name, n, fork, true);
      const steps = s0.steps;
      log(`${s0.gasUsed} gas, ${steps.toLocaleString("en-US")} steps`);
      if (s0.error !== null) warnings.push(`${w.name}: Sonde stopped with error "${s0.error}"`);

      const entry = {
        name: w.name,
        what: w.what,
        n,
        calldata: bytesToHex(input),
        steps,
        gas: { sonde: Number(s0.gasUsed) },
        returnData: { sonde: bytesToHex(s0.returnData) },
        error: { sonde: s0.error },
      };

      let e0 = null;
      if (ejs !== null) {
        e0 = await ejs.check(w.name, n, fork); // also ethereumjs's warm-up
        entry.gas.ethereumjs = Number(e0.gasUsed);
        entry.returnData.ethereumjs = bytesToHex(e0.returnData);
        entry.error.ethereumjs = e0.error;
        entry.gas.match = e0.gasUsed === s0.gasUsed;
        entry.returnDataMatch = sameBytes(e0.returnData, s0.returnData);
        if (!entry.gas.match) {
          warnings.push(
            `${w.name}: GAS MISMATCH: Sonde ${s0.gasUsed} vs ethereumjs ${e0.gasUsed} ` +
              `(diff ${s0.gasUsed - e0.gasUsed})`,
          );
        }
        if (!entry.returnDataMatch)
          warnings.push(`${w.name}: RETURN DATA MISMATCH between Sonde and ethereumjs`);
        if ((e0.error === null) !== (s0.error === null))
          warnings.push(`${w.name}: ERROR MISMATCH: Sonde ${s0.error} vs ethereumjs ${e0.error}`);
      }

      // Timed runs, interleaved so that a change in machine load hits both engines alike.
      const sondeMs = [];
      const ejsMs = [];
      for (let i = 0; i < runs; i++) {
        const t = await sonde.time(w.name, n, fork);
        if (t.gasUsed !== s0.gasUsed) warnings.push(`${w.name}: Sonde gas differs between runs`);
        sondeMs.push(t.ms);
        if (ejs !== null) {
          const te = await ejs.time(w.name, n, fork);
          if (te.gasUsed !== e0.gasUsed) warnings.push(`${w.name}: ethereumjs gas differs between runs`);
          ejsMs.push(te.ms);
        }
        log(".");
      }
      entry.sonde = summarize(sondeMs, s0.gasUsed, steps);
      if (ejs !== null) {
        entry.ethereumjs = summarize(ejsMs, e0.gasUsed, steps);
        entry.ratio = entry.ethereumjs.medianMs / entry.sonde.medianMs;
      }

      if (anvil !== null) {
        try {
          const c = await anvilCall(anvil, { from: SENDER, to: RECEIVER, code: w.code, input, gas: GAS });
          const gas = await anvilGas(anvil, c, input);
          entry.gas.anvil = Number(gas);
          // anvil reports gas after refunds; Sonde's figure is before them.
          const expected = gasAfterRefund(s0.gasUsed, s0.refund, input);
          entry.gas.anvilMatch = gas === expected;
          if (gas !== expected)
            warnings.push(
              `${w.name}: GAS MISMATCH: Sonde ${s0.gasUsed} (${expected} after refunds) vs anvil ${gas}`,
            );
          await anvil.rpc("eth_call", [c, "latest"]); // warm-up
          const ms = [];
          for (let i = 0; i < runs; i++)
            ms.push((await timeAsync(() => anvil.rpc("eth_call", [c, "latest"]))).ms);
          entry.anvil = summarize(ms, gas, steps);
        } catch (err) {
          warnings.push(`${w.name}: anvil failed: ${err.message}`);
        }
      }
      log(
        ` Sonde ${fmt(entry.sonde.medianMs)} ms` +
          (ejs !== null
            ? `, ethereumjs ${fmt(entry.ethereumjs.medianMs)} ms, ratio ${fmt(entry.ratio, 2)}`
            : ""),
      );
      results.push(entry);
    }
  } finally {
    anvil?.stop();
    await sonde.stop();
    await ejs?.stop();
  }
  log("\n\n");

  const header = ["workload", "n", "gas", "steps", "Sonde ms", "±", "Mgas/s", "ns/step"];
  if (withEjs) header.push("ejs ms", "±", "Mgas/s", "ns/step", "ejs/Sonde");
  if (anvil !== null) header.push("anvil ms");
  header.push("gas match");
  const rows = results.map((r) => {
    const row = [
      r.name,
      r.n === null ? "-" : r.n.toLocaleString("en-US"),
      r.gas.sonde.toLocaleString("en-US"),
      r.steps.toLocaleString("en-US"),
      fmt(r.sonde.medianMs),
      halfRange(r.sonde),
      fmt(r.sonde.mgasPerS),
      fmt(r.sonde.nsPerStep),
    ];
    if (withEjs) {
      const e = r.ethereumjs;
      row.push(fmt(e.medianMs), halfRange(e), fmt(e.mgasPerS), fmt(e.nsPerStep), `${fmt(r.ratio, 2)}x`);
    }
    if (anvil !== null) row.push(r.anvil ? fmt(r.anvil.medianMs) : "-");
    const checks = [];
    if (withEjs) checks.push(r.gas.match && r.returnDataMatch ? "ejs ok" : "ejs MISMATCH");
    if (anvil !== null) checks.push(r.gas.anvilMatch ? "anvil ok" : "anvil MISMATCH");
    row.push(checks.join(", ") || "-");
    return row;
  });
  const text = table(header, rows);
  const cpu = os.cpus();
  const summary =
    `fork ${fork}, median of ${runs} timed run(s) after a warm-up, fresh state every run ` +
    "(± = half the min–max range, % of the median); " +
    `Node ${process.version}, ${cpu.length} × ${cpu[0]?.model.trim() ?? "cpu"}, ` +
    `load ${startLoad.map((x) => x.toFixed(2)).join(" ")}`;
  process.stdout.write(`${summary}\n\n${text}\n\n${anvilNote}\n`);
  if (warnings.length > 0) {
    process.stdout.write(`\n${"!".repeat(72)}\n`);
    for (const w of warnings) process.stdout.write(`!! WARNING: ${w}\n`);
    process.stdout.write(`${"!".repeat(72)}\n`);
  } else if (withEjs) {
    process.stdout.write("gas used and return data: Sonde and ethereumjs agree on every workload\n");
  }

  const out = {
    date: startedAt,
    finished: new Date().toISOString(),
    commit: gitDescribe(),
    fork,
    runs,
    gasLimit: Number(GAS),
    machine: {
      node: process.version,
      cpus: cpu.length,
      model: cpu[0]?.model.trim() ?? null,
      loadavgStart: startLoad,
      loadavgEnd: os.loadavg(),
    },
    timing: {
      sonde: "executeCall from dist/ (fresh state built inside the timed region), own worker thread",
      ethereumjs:
        "@ethereumjs/evm 10.1.3 runCall (fresh SimpleStateManager and EVM built before the timed region), own worker thread",
      anvil: anvil === null ? anvilNote : "eth_call over HTTP on 127.0.0.1",
    },
    warnings,
    workloads: results,
    table: text,
  };
  const outFile = resolve(values.out);
  writeJson(outFile, out);
  process.stdout.write(`\nwrote ${outFile}\n`);
  return warnings.some((w) => w.includes("MISMATCH")) ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`bench: ${err.message}\n`);
      process.exitCode = 2;
    },
  );
}
