/**
 * What the benchmark results record about where they were measured: the commit Sonde's
 * dist/ was presumably built from (marked when src/ has uncommitted changes) and the
 * machine (CPU model and count, Node version, load averages).
 */
import { execFileSync } from "node:child_process";
import os from "node:os";
import { REPO_DIR } from "./workloads.js";

/** `git rev-parse --short HEAD`, plus " (src/ modified)" when src/ differs from it. */
export function gitDescribe() {
  try {
    const git = (...args) => execFileSync("git", args, { cwd: REPO_DIR, encoding: "utf8" });
    const head = git("rev-parse", "--short", "HEAD").trim();
    return git("status", "--porcelain", "--", "src").trim() === "" ? head : `${head} (src/ modified)`;
  } catch {
    return "unknown";
  }
}

/** CPU, Node and load; `loadavgStart` is the os.loadavg() taken when the run began. */
export function machineInfo(loadavgStart) {
  const cpus = os.cpus();
  return {
    node: process.version,
    cpus: cpus.length,
    model: cpus[0]?.model.trim() ?? null,
    loadavgStart,
    loadavgEnd: os.loadavg(),
  };
}
