/**
 * Loads Sonde's engine from dist/ (compiled by `tsc -p tsconfig.json`), building it first
 * unless told not to. Bench scripts are plain ESM JavaScript and so import the build.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { FORKS, RECEIVER, SENDER } from "./ethereumjs.js";
import { REPO_DIR } from "./workloads.js";

/** Runs `tsc -p tsconfig.json`. A failed build is reported; an existing dist/ is still used. */
export function buildSonde(log = (s) => process.stderr.write(s)) {
  const tsc = join(REPO_DIR, "node_modules", ".bin", "tsc");
  log("building Sonde (tsc -p tsconfig.json)… ");
  const t0 = performance.now();
  const r = spawnSync(tsc, ["-p", "tsconfig.json"], { cwd: REPO_DIR, encoding: "utf8" });
  if (r.status !== 0) {
    log(
      `\n!! tsc failed (exit ${r.status}); using whatever dist/ holds:\n${(r.stdout + r.stderr).slice(0, 2000)}\n`,
    );
  } else log(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}

/** @returns {Promise<{ executeCall: Function, run: Function }>} */
export async function loadSonde({ build = true } = {}) {
  if (build) buildSonde();
  const callJs = join(REPO_DIR, "dist", "runners", "call.js");
  if (!existsSync(callJs)) throw new Error(`${callJs} is missing: run \`npm run build\``);
  const { executeCall } = await import(pathToFileURL(callJs).href);
  const { findFork } = await import(pathToFileURL(join(REPO_DIR, "dist", "evm", "forks.js")).href);
  for (const [name, f] of Object.entries(FORKS)) {
    if (findFork(name) !== f.sonde)
      throw new Error(`fork ${name}: Sonde numbers it ${findFork(name)}, not ${f.sonde}`);
  }
  return { executeCall, run: (opts) => executeCall(sondeCallOptions(opts)) };
}

/**
 * Sonde's executeCall options for a workload run (`fork` is a key of FORKS), with the same
 * 20-byte sender and receiver as the ethereumjs side.
 */
export function sondeCallOptions({ code, input, gas, fork, hooks = null }) {
  return { code, input, gas, fork: FORKS[fork].sonde, hooks, sender: SENDER, receiver: RECEIVER };
}
