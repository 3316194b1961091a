/**
 * `sonde statetest [--fork NAME] [--run REGEX] [--json] [--trace] [--workers N] [--timeout S] PATH...`
 *
 * Files are spread over worker threads (one per core by default); results are printed in
 * file order. `--trace` runs in-process and writes EIP-3155 lines and a final
 * {"stateRoot": …} per case to stderr, like go-ethereum's `evm statetest --json`.
 */
import { readFileSync } from "node:fs";
import { InvalidInputError } from "../errors.js";
import { findFork } from "../evm/forks.js";
import { type CaseResult, runStateTestFile } from "../runners/statetest.js";
import { eip3155Hooks } from "../tracing/eip3155.js";
import { parseArgs, readRunPattern, readWorkerOptions } from "./args.js";
import { collectJsonFiles } from "./files.js";
import { runFilesInWorkers } from "./worker-pool.js";

const HELP = `usage: sonde statetest [--fork NAME] [--run REGEX] [--json] [--trace] [--workers N] PATH...

Runs state tests (ethereum/tests, execution-spec-tests) in files or folders (recursively),
for every fork and index they name. Prints each failure and a last line "N passed, N failed".
  --fork NAME    only this fork (Frontier … Osaka; test-suite names such as EIP150 work too)
  --run REGEX    only tests whose name matches
  --json         one JSON object per case on stdout
  --trace        EIP-3155 JSON lines and {"stateRoot": …} per case on stderr (single-threaded)
  --workers N    worker threads (default: number of cores)
  --timeout S    give up on a file after S seconds (default 120); it counts as one failure`;

export interface FileOutcome {
  file: string;
  results: CaseResult[];
  /** Set when the file could not be read or parsed. */
  error?: string;
}

/** Runs one file; never throws for bad input (the error is reported on the outcome). */
export function runFile(file: string, fork: string | undefined, run: string | undefined): FileOutcome {
  let content: unknown;
  try {
    content = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    return { file, results: [], error: `cannot read: ${(err as Error).message}` };
  }
  try {
    const opts: Parameters<typeof runStateTestFile>[1] = {};
    if (fork !== undefined) opts.fork = fork;
    if (run !== undefined) opts.run = new RegExp(run);
    return { file, results: runStateTestFile(content, opts) };
  } catch (err) {
    return { file, results: [], error: (err as Error).message };
  }
}

export async function statetestCommand(argv: string[]): Promise<number> {
  const { options, positionals } = parseArgs(argv, {
    fork: "string",
    run: "string",
    json: "boolean",
    trace: "boolean",
    workers: "string",
    timeout: "string",
    help: "boolean",
  });
  if (options.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (positionals.length === 0) throw new InvalidInputError("no test files or folders given");
  const fork = options.fork as string | undefined;
  if (fork !== undefined && findFork(fork) === undefined)
    throw new InvalidInputError(`unknown fork "${fork}"`);
  const run = readRunPattern(options);
  const { files, missing } = collectJsonFiles(positionals);
  let passed = 0;
  let failed = 0;
  for (const path of missing) {
    failed++;
    process.stdout.write(`FAIL ${path}: no such file or directory\n`);
  }
  const report = (o: FileOutcome) => {
    if (o.error !== undefined) {
      failed++;
      process.stdout.write(`FAIL ${o.file}: ${o.error}\n`);
      return;
    }
    for (const r of o.results) {
      if (options.json) process.stdout.write(`${JSON.stringify({ file: o.file, ...r })}\n`);
      if (r.passed) passed++;
      else {
        failed++;
        if (!options.json)
          process.stdout.write(`FAIL ${r.test} [${r.fork} ${r.index}] (${o.file}): ${r.message}\n`);
      }
    }
  };

  if (options.trace) {
    for (const file of files) {
      let content: unknown;
      try {
        content = JSON.parse(readFileSync(file, "utf8"));
      } catch (err) {
        report({ file, results: [], error: `cannot read: ${(err as Error).message}` });
        continue;
      }
      const write = (line: string) => process.stderr.write(`${line}\n`);
      try {
        const opts: Parameters<typeof runStateTestFile>[1] = {
          hooksFor: () => eip3155Hooks(write),
          afterCase: (r) => write(JSON.stringify({ stateRoot: r.stateRoot })),
        };
        if (fork !== undefined) opts.fork = fork;
        if (run !== undefined) opts.run = new RegExp(run);
        report({ file, results: runStateTestFile(content, opts) });
      } catch (err) {
        report({ file, results: [], error: (err as Error).message });
      }
    }
  } else {
    const { workers, timeoutMs } = readWorkerOptions(options, 120);
    await runFilesInWorkers<FileOutcome>({
      files,
      workers,
      workerUrl: new URL("./statetest-worker.js", import.meta.url),
      workerData: { fork, run },
      timeoutMs,
      failed: (file, error) => ({ file, results: [], error }),
      report,
    });
  }
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  return failed === 0 ? 0 : 1;
}
