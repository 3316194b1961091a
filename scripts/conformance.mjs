#!/usr/bin/env node
// Runs the conformance suites listed in conformance/suites.json over ../shared/fixtures,
// prints each suite's result, and fails when a suite passes fewer cases than its
// recorded baseline (minPassed). Usage: node scripts/conformance.mjs [--fixtures DIR] [--only SUBSTRING]
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const fixtures = resolve(opt("--fixtures") ?? join(root, "..", "shared", "fixtures"));
const only = opt("--only");
if (!existsSync(fixtures)) {
  console.log(`conformance: no fixtures at ${fixtures}; nothing to run`);
  process.exit(0);
}
const { suites } = JSON.parse(readFileSync(join(root, "conformance", "suites.json"), "utf8"));

function runSuite(suite) {
  const argv = suite.command.map((a, i) => (i > 0 && !a.startsWith("-") && !/^\d+$/.test(a) ? join(fixtures, a) : a));
  return new Promise((resolvePromise) => {
    const started = Date.now();
    const child = spawn(process.execPath, [join(root, "bin", "sonde.js"), ...argv], { stdio: ["ignore", "pipe", "inherit"] });
    let last = "";
    let failures = [];
    let buf = "";
    child.stdout.on("data", (chunk) => {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith("FAIL") && failures.length < 20) failures.push(line.length > 300 ? `${line.slice(0, 300)}…` : line);
        if (line.trim() !== "") last = line;
      }
    });
    child.on("close", () => {
      if (buf.trim() !== "") last = buf.trim();
      const m = /(\d+) passed, (\d+) failed/.exec(last);
      resolvePromise({
        passed: m ? Number(m[1]) : 0,
        failed: m ? Number(m[2]) : 0,
        ok: m !== null,
        seconds: (Date.now() - started) / 1000,
        failures,
      });
    });
  });
}

let regressions = 0;
let checks = 0;
for (const suite of suites) {
  if (only && !suite.name.includes(only)) continue;
  const dir = join(fixtures, suite.command[suite.command.length - 1]);
  if (!existsSync(dir)) {
    console.log(`- ${suite.name}: fixtures missing (${dir}); skipped`);
    continue;
  }
  const r = await runSuite(suite);
  checks++;
  const total = r.passed + r.failed;
  const pct = total === 0 ? 0 : (100 * r.passed) / total;
  const verdict = !r.ok ? "NO RESULT" : r.passed < suite.minPassed ? `BELOW BASELINE ${suite.minPassed}` : "ok";
  if (verdict !== "ok") regressions++;
  console.log(
    `- ${suite.name}: ${r.passed} passed, ${r.failed} failed (${pct.toFixed(2)}%) in ${r.seconds.toFixed(0)} s; baseline ${suite.minPassed}: ${verdict}`,
  );
  for (const f of r.failures.slice(0, 5)) console.log(`    ${f}`);
}
console.log(`conformance: ${checks - regressions} passed, ${regressions} failed`);
process.exit(regressions === 0 ? 0 : 1);
