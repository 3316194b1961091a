/**
 * `sonde tracetest [--tracer NAME] [--run REGEX] [--json] PATH...`: runs go-ethereum
 * tracer fixtures. The tracer follows from each file's folder name (call_tracer,
 * prestate_tracer_with_diff_mode, …; see FOLDER_TRACERS) unless --tracer names one.
 * Prints a readable diff for each failure and ends with `N passed, N failed`.
 * Exit code 0 when nothing failed, 1 when something did, 2 for a usage error.
 */
import { readFileSync } from "node:fs";
import { basename, dirname } from "node:path";
import { InvalidInputError, SondeError } from "../errors.js";
import { FOLDER_TRACERS, runTraceTest } from "../runners/tracetest.js";
import { initJsTracers } from "../tracers/js/index.js";
import { parseArgs } from "./args.js";
import { collectJsonFiles } from "./files.js";

const USAGE = `usage: sonde tracetest [--tracer NAME] [--run REGEX] [--json] PATH...

Runs go-ethereum tracer fixtures (files, or directories searched for *.json). Each
fixture's folder names its tracer: ${Object.keys(FOLDER_TRACERS).join(", ")}.

options:
  --tracer NAME   use this tracer for every fixture
  --run REGEX     only run fixtures whose "<folder>/<file>" matches REGEX
  --json          print one JSON object per failure instead of text
  --help          show this help`;

interface Failure {
  file: string;
  tracer?: string;
  message: string;
  differences?: string[];
}

function formatFailure(f: Failure): string {
  let out = `FAIL ${f.file}${f.tracer ? ` [${f.tracer}]` : ""}: ${f.message}`;
  for (const d of f.differences ?? []) out += `\n  ${d}`;
  return out;
}

export async function tracetestCommand(args: string[]): Promise<number> {
  let options: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ options, positionals } = parseArgs(args, {
      tracer: "string",
      run: "string",
      json: "boolean",
      help: "boolean",
    }));
  } catch (err) {
    if (err instanceof InvalidInputError) {
      process.stderr.write(`sonde tracetest: ${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length === 0) {
    process.stderr.write(`sonde tracetest: no fixture files or directories given\n\n${USAGE}\n`);
    return 2;
  }
  let filter: RegExp | undefined;
  if (typeof options.run === "string") {
    try {
      filter = new RegExp(options.run);
    } catch (err) {
      process.stderr.write(`sonde tracetest: invalid --run pattern: ${(err as Error).message}\n`);
      return 2;
    }
  }
  const override = typeof options.tracer === "string" ? options.tracer : undefined;
  const report = (f: Failure) =>
    process.stdout.write(`${options.json ? JSON.stringify(f) : formatFailure(f)}\n`);
  let passed = 0;
  let failed = 0;
  // JavaScript tracers (callTracerLegacy, code given to --tracer) need their sandbox loaded.
  await initJsTracers();
  const { files, missing } = collectJsonFiles(positionals);
  for (const path of missing) {
    failed++;
    report({ file: path, message: "no such file or directory" });
  }
  for (const file of files) {
    const folder = basename(dirname(file));
    if (filter !== undefined && !filter.test(`${folder}/${basename(file)}`)) continue;
    let content: unknown;
    try {
      content = JSON.parse(readFileSync(file, "utf8"));
    } catch (err) {
      failed++;
      report({ file, message: `cannot read fixture: ${(err as Error).message}` });
      continue;
    }
    try {
      const r = runTraceTest(content, folder, override);
      if (r.ok) passed++;
      else {
        failed++;
        report({
          file,
          tracer: r.tracer,
          message: r.message ?? "failed",
          ...(r.differences ? { differences: r.differences } : {}),
        });
      }
    } catch (err) {
      failed++;
      if (
        err instanceof SondeError ||
        (err instanceof Error &&
          /Error$/.test(err.name) &&
          err.name !== "Error" &&
          err.name !== "TypeError" &&
          err.name !== "RangeError")
      ) {
        report({ file, message: `${err.name}: ${err.message}` });
      } else {
        report({ file, message: `internal error: ${(err as Error)?.stack ?? String(err)}` });
      }
    }
  }
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  return failed === 0 ? 0 : 1;
}
