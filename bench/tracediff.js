#!/usr/bin/env node
/**
 * Memory and speed of `sonde diff --traces` on long traces.
 *
 * Writes four trace files of N steps (default 2,000,000) into a temporary folder,
 * streaming: A (EIP-3155), an identical copy of A, a copy that diverges near the end (one
 * SSTORE's gasCost differs, and with it the gas of every later step), and the same steps
 * as A in go-ethereum's struct-log form (op names, decimal gas, other key order). Same-text
 * lines are parsed once for both sides (src/compare/reader.ts), so the first two runs show
 * that shortcut and the struct-log run the cost of parsing every line of both files. The steps
 * are a synthetic but realistic mix — a loop of pushes, arithmetic, memory and storage
 * operations and calls one level deep — with stacks of a few items, growing memSize and
 * gas counted down. Then it runs `node bin/sonde.js diff --traces` as a child process on
 * (A, copy) and (A, divergent), and prints wall time, steps per second and peak RSS —
 * from `/usr/bin/time -v` when present, else from the command's own `--stats` line.
 *
 *   node bench/tracediff.js [--steps N] [--keep] [--dir DIR] [--no-build]
 *
 * `npm run build` (or this script, unless --no-build) compiles dist/ first.
 */
import { spawnSync } from "node:child_process";
import { once } from "node:events";
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { buildSonde } from "./lib/sonde.js";
import { REPO_DIR } from "./lib/workloads.js";

const log = (s) => process.stderr.write(s);

/** One loop iteration: [op, name, gasCost, stack effect (pops, pushes)]. */
const LOOP = [
  [0x5b, "JUMPDEST", 1, 0, 0],
  [0x60, "PUSH1", 3, 0, 1],
  [0x51, "MLOAD", 3, 1, 1],
  [0x80, "DUP1", 3, 1, 2],
  [0x60, "PUSH1", 3, 0, 1],
  [0x01, "ADD", 3, 2, 1],
  [0x60, "PUSH1", 3, 0, 1],
  [0x52, "MSTORE", 6, 2, 0],
  [0x60, "PUSH1", 3, 0, 1],
  [0x54, "SLOAD", 100, 1, 1],
  [0x02, "MUL", 5, 2, 1],
  [0x60, "PUSH1", 3, 0, 1],
  [0x55, "SSTORE", 2900, 2, 0],
  [0x61, "PUSH2", 3, 0, 1],
  [0x56, "JUMP", 8, 1, 0],
];

/**
 * Writes an EIP-3155 trace of `steps` steps to `path`. With `divergeAt`, that step (an
 * SSTORE at or after it) costs 20000 instead of 2900, and the gas of later steps follows.
 */
async function writeTrace(path, steps, divergeAt = -1, form = "eip3155") {
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  let gas = 30_000_000_000;
  let memSize = 0;
  const stack = ["0x0", "0x40"];
  let batch = [];
  let diverged = false;
  for (let i = 0; i < steps; i++) {
    const [op, name, baseCost, pops, pushes] = LOOP[i % LOOP.length];
    const pc = (i % LOOP.length) * 2;
    let cost = baseCost;
    if (!diverged && divergeAt >= 0 && i >= divergeAt && op === 0x55) {
      cost = 20000;
      diverged = true;
    }
    if (op === 0x52 && i % 300 === 7) memSize += 32;
    const depth = Math.floor(i / 5000) % 2 === 0 ? 1 : 2;
    const stackJson = stack.map((s) => `"${s}"`).join(",");
    batch.push(
      form === "eip3155"
        ? `{"pc":${pc},"op":${op},"gas":"0x${gas.toString(16)}","gasCost":"0x${cost.toString(16)}",` +
            `"memSize":${memSize},"stack":[${stackJson}],"depth":${depth},"refund":0,"opName":"${name}"}`
        : // The same step as a go-ethereum struct-log entry: op by name, decimal gas, no zero refund.
          `{"pc":${pc},"op":"${name}","gas":${gas},"gasCost":${cost},"depth":${depth},"stack":[${stackJson}],` +
            `"memSize":${memSize}}`,
    );
    gas -= cost;
    for (let p = 0; p < pops && stack.length > 0; p++) stack.pop();
    for (let p = 0; p < pushes; p++) stack.push(`0x${((i * 2654435761) >>> (p * 3)).toString(16)}`);
    if (stack.length > 6) stack.splice(0, stack.length - 4);
    if (batch.length === 10_000) {
      if (!out.write(`${batch.join("\n")}\n`)) await once(out, "drain");
      batch = [];
    }
  }
  if (form === "eip3155") {
    batch.push(`{"output":"","gasUsed":"0x${(30_000_000_000 - gas).toString(16)}"}`);
    batch.push(`{"stateRoot":"0x${"ab".repeat(32)}"}`);
  } else batch.push(`{"output":"0x","gasUsed":${30_000_000_000 - gas}}`);
  out.write(`${batch.join("\n")}\n`);
  out.end();
  await once(out, "finish");
}

/** Runs the diff once; returns { code, wallS, peakRssMb, source, stats, verdict }. */
function runDiff(a, b) {
  const bin = join(REPO_DIR, "bin", "sonde.js");
  const args = [bin, "diff", "--traces", a, b, "--stats"];
  const useTime = existsSync("/usr/bin/time");
  const t0 = performance.now();
  const r = useTime
    ? spawnSync("/usr/bin/time", ["-v", process.execPath, ...args], { encoding: "utf8", maxBuffer: 1 << 26 })
    : spawnSync(process.execPath, args, { encoding: "utf8", maxBuffer: 1 << 26 });
  const wallS = (performance.now() - t0) / 1000;
  const stats = /^stats: .*$/m.exec(r.stderr)?.[0] ?? "";
  let peakRssMb;
  let source;
  const timeRss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  if (timeRss) {
    peakRssMb = Number(timeRss[1]) / 1024;
    source = "/usr/bin/time -v";
  } else {
    const m = /max RSS (\d+) MB/.exec(stats);
    peakRssMb = m ? Number(m[1]) : Number.NaN;
    source = "--stats (process.resourceUsage)";
  }
  const user = /User time \(seconds\): ([\d.]+)/.exec(r.stderr);
  const sys = /System time \(seconds\): ([\d.]+)/.exec(r.stderr);
  const cpuS = user && sys ? Number(user[1]) + Number(sys[1]) : Number.NaN;
  const verdict = r.stdout.trim().split("\n").at(-1) ?? "";
  return { code: r.status, wallS, cpuS, peakRssMb, source, stats, verdict, stderr: r.stderr };
}

async function main() {
  const { values } = parseArgs({
    options: {
      steps: { type: "string", default: "2000000" },
      keep: { type: "boolean", default: false },
      dir: { type: "string" },
      "no-build": { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    log("usage: node bench/tracediff.js [--steps N] [--keep] [--dir DIR] [--no-build]\n");
    return 0;
  }
  const steps = Number(values.steps);
  if (!Number.isInteger(steps) || steps < 100) throw new Error("--steps: expected an integer >= 100");
  if (!values["no-build"]) buildSonde(log);
  const dir = values.dir ?? mkdtempSync(join(tmpdir(), "sonde-tracediff-"));
  mkdirSync(dir, { recursive: true });
  const a = join(dir, "a.jsonl");
  const same = join(dir, "a-copy.jsonl");
  const div = join(dir, "b-diverges.jsonl");
  const structLog = join(dir, "a-structlog.jsonl");
  const divergeAt = steps - 1000;
  try {
    log(`writing 4 traces of ${steps.toLocaleString("en-US")} steps into ${dir}… `);
    const t0 = performance.now();
    await Promise.all([
      writeTrace(a, steps),
      writeTrace(same, steps),
      writeTrace(div, steps, divergeAt),
      writeTrace(structLog, steps, -1, "structlog"),
    ]);
    const mb = statSync(a).size / 2 ** 20;
    log(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s (${mb.toFixed(0)} MiB each)\n`);
    const rows = [];
    for (const [label, b, expectCode] of [
      ["identical", same, 0],
      ["diverges near the end", div, 1],
      ["struct-log form", structLog, 0],
    ]) {
      const r = runDiff(a, b);
      if (r.code !== expectCode) {
        log(`!! ${label}: exit code ${r.code}, expected ${expectCode}\n${r.stderr.slice(0, 2000)}\n`);
        process.exitCode = 1;
      }
      const compared =
        expectCode === 0 ? steps : Number(/step ([\d,]+)/.exec(r.verdict)?.[1].replace(/,/g, ""));
      rows.push({ label, ...r, compared });
      const cpu = Number.isNaN(r.cpuS)
        ? ""
        : ` (CPU ${r.cpuS.toFixed(1)} s: ${Math.round(compared / r.cpuS).toLocaleString("en-US")} steps per CPU-second)`;
      process.stdout.write(
        `${label.padEnd(22)} ${r.wallS.toFixed(2).padStart(6)} s${cpu}  ` +
          `${Math.round(compared / r.wallS)
            .toLocaleString("en-US")
            .padStart(10)} steps/s  peak RSS ${r.peakRssMb.toFixed(0).padStart(4)} MB (${r.source})\n` +
          `${"".padEnd(22)} ${r.verdict}\n`,
      );
    }
    process.stdout.write(
      `load average while measuring: ${loadavg()
        .map((x) => x.toFixed(2))
        .join(" ")} (${cpus().length} cores)\n`,
    );
    const worst = Math.max(...rows.map((r) => r.peakRssMb));
    process.stdout.write(
      `peak RSS ${worst.toFixed(0)} MB: ${worst < 300 ? "under" : "OVER"} the 300 MB target\n`,
    );
    if (worst >= 300) process.exitCode = 1;
  } finally {
    if (!values.keep && values.dir === undefined) rmSync(dir, { recursive: true, force: true });
    else log(`traces kept in ${dir}\n`);
  }
  return process.exitCode ?? 0;
}

process.exitCode = await main();
