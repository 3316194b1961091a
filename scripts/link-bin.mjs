#!/usr/bin/env node
// Links the package's own `sonde` command into node_modules/.bin (npm links the bins of
// dependencies only), so `npx sonde …` and tools expecting node_modules/.bin/sonde work
// in a checkout. Run by `npm install` through the `prepare` script.
import { chmodSync, existsSync, lstatSync, mkdirSync, symlinkSync, unlinkSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const binDir = join(root, "node_modules", ".bin");
const link = join(binDir, "sonde");
mkdirSync(binDir, { recursive: true });
try {
  if (existsSync(link) || lstatSync(link, { throwIfNoEntry: false })) unlinkSync(link);
} catch {
  /* nothing to remove */
}
symlinkSync(join("..", "..", "bin", "sonde.js"), link);
chmodSync(join(root, "bin", "sonde.js"), 0o755);
