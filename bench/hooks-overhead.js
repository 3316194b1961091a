#!/usr/bin/env node
/**
 * What tracing hooks cost Sonde's interpreter.
 *
 * Sonde runs a loop with no tracing code at all (`runPlain` in src/evm/evm.ts) unless an
 * `onOpcode` hook is attached (`runTraced`). This script checks that claim on loopAR and
 * SnailTracer with interleaved runs of:
 *
 *   (a)  executeCall with hooks: null
 *   (a') the same again: a control that shows how far two identical variants drift apart
 *   (b)  hooks: {} (a hooks object with no onOpcode)
 *   (c)  hooks: { onOpcode() {} } (a step hook that does nothing: the price of tracing)
 *
 * (a), (a') and (b) share one worker thread (one isolate, as in an application that runs
 * with and without a tracer); (c) runs in a second worker so that the traced loop's type
 * feedback cannot leak into the untraced runs. Each round runs the variants in a rotated
 * order; per-round ratios give the spread.
 *
 *   node bench/hooks-overhead.js [--runs N] [--only loopAR|snailtracer] [--fork NAME] [--no-build]
 *   npm run bench -- --hooks [same options]
 */
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { EngineWorker } from "./lib/engines.js";
import { FORKS } from "./lib/ethereumjs.js";
import { buildSonde } from "./lib/sonde.js";
import { fmt, median, quantile, table } from "./lib/stats.js";
import { BENCH_DIR, workloads } from "./lib/workloads.js";
import { writeJson } from "./lib/write-json.js";

const VARIANTS = [
  { key: "a", label: "(a) hooks: null", hooks: "null", worker: "plain" },
  { key: "a2", label: "(a') hooks: null, again", hooks: "null", worker: "plain" },
  { key: "b", label: "(b) hooks: {}", hooks: "empty", worker: "plain" },
  { key: "c", label: "(c) onOpcode: no-op", hooks: "noop", worker: "traced" },
];

const log = (s) => process.stderr.write(s);

function spread(xs) {
  return {
    median: median(xs),
    p25: quantile(xs, 0.25),
    p75: quantile(xs, 0.75),
    min: Math.min(...xs),
    max: Math.max(...xs),
  };
}

export async function main(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      runs: { type: "string", default: "10" },
      only: { type: "string" },
      fork: { type: "string", default: "osaka" },
      "no-build": { type: "boolean", default: false },
      out: { type: "string", default: join(BENCH_DIR, "results", "hooks-overhead.json") },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      "usage: node bench/hooks-overhead.js [--runs N] [--only loopAR|snailtracer] [--fork NAME] [--no-build] [--out FILE]\n",
    );
    return 0;
  }
  const rounds = Number(values.runs);
  if (!Number.isInteger(rounds) || rounds < 2) throw new Error("--runs: expected an integer of at least 2");
  const fork = values.fork.toLowerCase();
  if (!(fork in FORKS)) throw new Error(`--fork: expected one of ${Object.keys(FORKS).join(", ")}`);
  const names = values.only ? values.only.split(",") : ["loopAR", "snailtracer"];
  const all = workloads();
  const selected = names.map((n) => {
    const w = all.find((x) => x.name === n);
    if (!w) throw new Error(`--only: unknown workload ${n}`);
    return w;
  });

  if (!values["no-build"]) buildSonde();
  const workers = { plain: await EngineWorker.start("sonde"), traced: await EngineWorker.start("sonde") };
  const report = { date: new Date().toISOString(), fork, rounds, workloads: [] };
  let text = "";
  try {
    for (const w of selected) {
      const n = w.n;
      log(`${w.name}${n === null ? "" : ` n=${n.toLocaleString("en-US")}`}: warm-up`);
      const ref = await workers.plain.check(w.name, n, fork, true);
      await workers.traced.check(w.name, n, fork, false);
      // One untimed run of every variant, so each code path is compiled before timing.
      for (const v of VARIANTS) await workers[v.worker].time(w.name, n, fork, v.hooks);
      const ms = Object.fromEntries(VARIANTS.map((v) => [v.key, []]));
      for (let r = 0; r < rounds; r++) {
        for (let k = 0; k < VARIANTS.length; k++) {
          const v = VARIANTS[(k + r) % VARIANTS.length];
          const t = await workers[v.worker].time(w.name, n, fork, v.hooks);
          if (t.gasUsed !== ref.gasUsed)
            throw new Error(`${w.name} ${v.label}: gas ${t.gasUsed} ≠ ${ref.gasUsed}`);
          ms[v.key].push(t.ms);
        }
        log(".");
      }
      log("\n");
      const perRound = (k) => ms[k].map((x, i) => x / ms.a[i]);
      const ratios = { a2: spread(perRound("a2")), b: spread(perRound("b")), c: spread(perRound("c")) };
      const rows = VARIANTS.map((v) => {
        const m = median(ms[v.key]);
        const r = v.key === "a" ? null : ratios[v.key];
        return [
          v.label,
          fmt(m),
          fmt(Math.min(...ms[v.key])),
          fmt(Math.max(...ms[v.key])),
          fmt((m * 1e6) / ref.steps),
          r === null ? "1 (reference)" : `${fmt(r.median, 3)}`,
          r === null ? "-" : `${fmt(r.p25, 3)}–${fmt(r.p75, 3)}`,
          r === null ? "-" : `${fmt(r.min, 3)}–${fmt(r.max, 3)}`,
        ];
      });
      const t = table(
        ["variant", "median ms", "min ms", "max ms", "ns/step", "÷(a) median", "÷(a) IQR", "÷(a) min–max"],
        rows,
      );
      const b = ratios.b;
      const a2 = ratios.a2;
      const bOverA = median(ms.b) / median(ms.a);
      const bOverAMin = Math.min(...ms.b) / Math.min(...ms.a);
      // Not measurable: the paired ratios straddle 1, or (b) drifts from (a) no more than the
      // identical control (a') does.
      const controlDrift = Math.max(Math.abs(a2.p25 - 1), Math.abs(a2.p75 - 1), Math.abs(a2.median - 1));
      const inNoise = (b.p25 <= 1 && b.p75 >= 1) || Math.abs(b.median - 1) <= controlDrift;
      const verdict =
        `(b)/(a): ${fmt(bOverA, 3)} on medians, ${fmt(bOverAMin, 3)} on minimums; per round median ` +
        `${fmt(b.median, 3)}, IQR ${fmt(b.p25, 3)}–${fmt(b.p75, 3)}; the identical control (a')/(a): ` +
        `median ${fmt(a2.median, 3)}, IQR ${fmt(a2.p25, 3)}–${fmt(a2.p75, 3)}.\n` +
        (inNoise
          ? "=> an empty hooks object is not measurably slower than no hooks (within the noise shown by the control)."
          : `=> (b) is ${b.median > 1 ? "slower" : "faster"} than (a) by ${fmt(Math.abs(b.median - 1) * 100, 1)} %, ` +
            "beyond what the control drifts.") +
        `\nA no-op onOpcode hook (c) costs ${fmt((ratios.c.median - 1) * 100, 0)} % ` +
        `(${fmt(((median(ms.c) - median(ms.a)) * 1e6) / ref.steps, 1)} ns per step on medians).`;
      const head = `${w.name}${n === null ? "" : ` n=${n.toLocaleString("en-US")}`}: ${ref.steps.toLocaleString("en-US")} steps, ${ref.gasUsed} gas, ${rounds} rounds`;
      text += `${head}\n${t}\n${verdict}\n\n`;
      report.workloads.push({
        name: w.name,
        n,
        steps: ref.steps,
        gasUsed: Number(ref.gasUsed),
        ms,
        medianMs: Object.fromEntries(VARIANTS.map((v) => [v.key, median(ms[v.key])])),
        ratioToA: ratios,
        bOverAMedians: bOverA,
        bOverAMinimums: bOverAMin,
        bWithinNoise: inNoise,
      });
    }
  } finally {
    await workers.plain.stop();
    await workers.traced.stop();
  }
  process.stdout.write(`fork ${fork}; ${rounds} interleaved rounds; Node ${process.version}\n\n${text}`);
  report.table = text;
  const outFile = resolve(values.out);
  writeJson(outFile, report);
  process.stdout.write(`wrote ${outFile}\n`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`hooks-overhead: ${err.message}\n`);
      process.exitCode = 2;
    },
  );
}
