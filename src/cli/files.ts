/**
 * Expands command-line paths into JSON files: directories recursively, in sorted order.
 * Paths that do not exist (or cannot be read) are returned in `missing` so the runner can
 * report them by name and go on.
 */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

export function collectJsonFiles(paths: string[]): { files: string[]; missing: string[] } {
  const files: string[] = [];
  const missing: string[] = [];
  const walk = (dir: string) => {
    const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && e.name.endsWith(".json")) files.push(p);
    }
  };
  for (const p of paths) {
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch {
      missing.push(p);
      continue;
    }
    if (isDir) {
      try {
        walk(p);
      } catch {
        missing.push(p);
      }
    } else files.push(p);
  }
  return { files, missing };
}
