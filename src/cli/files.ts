/** Expands command-line paths (files or folders, recursively) into sorted lists of .json files. */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { InvalidInputError } from "../errors.js";

export function collectJsonFiles(paths: string[]): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(p);
    } catch {
      throw new InvalidInputError(`no such file or directory: ${p}`);
    }
    if (st.isDirectory()) {
      for (const name of readdirSync(p).sort()) {
        const child = join(p, name);
        if (statSync(child).isDirectory() || name.endsWith(".json")) walk(child);
      }
    } else {
      out.push(p);
    }
  };
  for (const p of paths) walk(p);
  return out;
}
