/**
 * Writes a results file and formats it with the project's Biome, so that `npm run lint`
 * (which checks bench/) stays clean after a benchmark run. Formatting is best-effort.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { REPO_DIR } from "./workloads.js";

export function writeJson(file, value) {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
  const biome = join(REPO_DIR, "node_modules", ".bin", "biome");
  const rel = relative(REPO_DIR, file);
  if (existsSync(biome) && !rel.startsWith("..")) {
    spawnSync(biome, ["format", "--write", rel], { cwd: REPO_DIR, stdio: "ignore" });
  }
}
