/**
 * `sonde blocktest [--run REGEX] [--json] [--workers N] [--timeout S] PATH...`: runs
 * ethereum/tests BlockchainTests files (directories are searched recursively for *.json).
 *
 * Files are spread over worker threads (one per core by default) and reported in file
 * order. Each failing test prints a FAIL line naming the file and test, with what was
 * expected and what happened; a file that cannot be read or parsed is reported by name
 * and counts as one failure. The last line is `N passed, N failed` (counting tests).
 * Exit code 0 when nothing failed, 1 when something did, 2 for a usage error.
 */
import { readFileSync } from "node:fs";
import { InvalidInputError } from "../errors.js";
import { type BlockTestResult, runBlockTestFile } from "../runners/blocktest.js";
import { parseArgs, readRunPattern, readWorkerOptions } from "./args.js";
import { collectJsonFiles } from "./files.js";
import { runFilesInWorkers } from "./worker-pool.js";

const HELP = `usage: sonde blocktest [--run REGEX] [--json] [--workers N] [--timeout S] PATH...

Runs blockchain tests (ethereum/tests BlockchainTests) in files or folders (recursively):
imports each test's blocks into an in-memory chain, requires the invalid ones to be
rejected, then checks the head hash and the post state. Prints each failure and a last
line "N passed, N failed".
  --run REGEX    only tests whose name matches
  --json         one JSON object per test on stdout
  --workers N    worker threads (default: number of cores)
  --timeout S    give up on a file after S seconds (default 300); it counts as one failure`;

export interface BlockFileOutcome {
  file: string;
  results: BlockTestResult[];
  /** Set when the file could not be read or parsed. */
  error?: string;
}

/** Runs one file; never throws for bad input (the error is reported on the outcome). */
export function runBlockFile(file: string, run: string | undefined): BlockFileOutcome {
  let content: unknown;
  try {
    content = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    return { file, results: [], error: `cannot read: ${(err as Error).message}` };
  }
  try {
    return { file, results: runBlockTestFile(content, run === undefined ? {} : { run: new RegExp(run) }) };
  } catch (err) {
    return { file, results: [], error: (err as Error).message };
  }
}

function formatFailure(file: string, r: BlockTestResult): string {
  let out = `FAIL ${r.test} (${file}): ${r.message ?? "failed"}`;
  if (r.expected !== undefined) out += `\n  expected: ${r.expected}`;
  if (r.actual !== undefined) out += `\n  actual:   ${r.actual}`;
  return out;
}

export async function blocktestCommand(argv: string[]): Promise<number> {
  const { options, positionals } = parseArgs(argv, {
    run: "string",
    json: "boolean",
    workers: "string",
    timeout: "string",
    help: "boolean",
  });
  if (options.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (positionals.length === 0) throw new InvalidInputError("no test files or folders given");
  const run = readRunPattern(options);
  const { workers, timeoutMs } = readWorkerOptions(options, 300);

  const { files, missing } = collectJsonFiles(positionals);
  let passed = 0;
  let failed = 0;
  for (const path of missing) {
    failed++;
    process.stdout.write(`FAIL ${path}: no such file or directory\n`);
  }
  const report = (o: BlockFileOutcome) => {
    if (o.error !== undefined) {
      failed++;
      if (options.json) process.stdout.write(`${JSON.stringify({ file: o.file, error: o.error })}\n`);
      else process.stdout.write(`FAIL ${o.file}: ${o.error}\n`);
      return;
    }
    for (const r of o.results) {
      if (r.passed) passed++;
      else failed++;
      if (options.json) process.stdout.write(`${JSON.stringify({ file: o.file, ...r })}\n`);
      else if (!r.passed) process.stdout.write(`${formatFailure(o.file, r)}\n`);
    }
  };
  if (workers === 1) {
    for (const file of files) report(runBlockFile(file, run));
  } else {
    await runFilesInWorkers<BlockFileOutcome>({
      files,
      workers,
      workerUrl: new URL("./blocktest-worker.js", import.meta.url),
      workerData: { run },
      timeoutMs,
      failed: (file, error) => ({ file, results: [], error }),
      report,
    });
  }
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  return failed === 0 ? 0 : 1;
}
