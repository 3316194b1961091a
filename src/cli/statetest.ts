/**
 * `sonde statetest [--fork NAME] [--run REGEX] [--json] [--trace] [--workers N] [--timeout S] PATH...`
 *
 * Files are spread over worker threads (one per core by default); results are printed in
 * file order. `--trace` runs in-process and writes EIP-3155 lines and a final
 * {"stateRoot": …} per case to stderr, like go-ethereum's `evm statetest --json`.
 */
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { InvalidInputError } from "../errors.js";
import { findFork } from "../evm/forks.js";
import { type CaseResult, runStateTestFile } from "../runners/statetest.js";
import { eip3155Hooks } from "../tracing/eip3155.js";
import { parseArgs } from "./args.js";
import { collectJsonFiles } from "./files.js";

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
  const run = options.run as string | undefined;
  if (run !== undefined) {
    try {
      new RegExp(run);
    } catch {
      throw new InvalidInputError(`--run: not a valid regular expression: ${run}`);
    }
  }
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
    const workers = options.workers === undefined ? availableParallelism() : Number(options.workers);
    if (!Number.isInteger(workers) || workers < 1)
      throw new InvalidInputError(`--workers: expected a positive integer`);
    const timeout = options.timeout === undefined ? 120 : Number(options.timeout);
    if (!(timeout > 0)) throw new InvalidInputError("--timeout: expected a positive number of seconds");
    await runInWorkers(files, workers, fork, run, timeout * 1000, report);
  }
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  return failed === 0 ? 0 : 1;
}

/**
 * Hands files to `n` workers one at a time; reports outcomes in file order. A file that
 * runs longer than `timeoutMs` is reported as failed and its worker replaced, so one
 * pathological test cannot stall the run.
 */
async function runInWorkers(
  files: string[],
  n: number,
  fork: string | undefined,
  run: string | undefined,
  timeoutMs: number,
  report: (o: FileOutcome) => void,
): Promise<void> {
  if (files.length === 0) return;
  const outcomes: (FileOutcome | undefined)[] = new Array(files.length);
  let nextToReport = 0;
  let nextToSend = 0;
  const flush = () => {
    while (nextToReport < files.length && outcomes[nextToReport] !== undefined) {
      report(outcomes[nextToReport]!);
      outcomes[nextToReport] = undefined;
      nextToReport++;
    }
  };
  const url = new URL("./statetest-worker.js", import.meta.url);
  const lane = (): Promise<void> =>
    new Promise<void>((resolve) => {
      // A deep call stack (1024 nested calls) needs more than Node's default stack.
      const w = new Worker(url, { workerData: { fork, run }, resourceLimits: { stackSizeMb: 256 } });
      let current = -1;
      let timer: NodeJS.Timeout | undefined;
      let done = false;
      const finish = (outcome: FileOutcome | undefined, replace: boolean) => {
        if (timer) clearTimeout(timer);
        if (current >= 0 && outcome) {
          outcomes[current] = outcome;
          flush();
        }
        if (replace) {
          done = true;
          void w.terminate();
          resolve(lane());
          return;
        }
        sendNext();
      };
      const sendNext = () => {
        if (nextToSend >= files.length) {
          done = true;
          void w.terminate();
          resolve();
          return;
        }
        current = nextToSend++;
        const file = files[current]!;
        timer = setTimeout(() => {
          finish({ file, results: [], error: `timed out after ${timeoutMs / 1000} s` }, true);
        }, timeoutMs);
        w.postMessage({ index: current, file });
      };
      w.on("message", (m: { index: number; outcome: FileOutcome }) => {
        if (!done && m.index === current) finish(m.outcome, false);
      });
      w.on("error", (err) => {
        if (done) return;
        const file = files[current]!;
        finish({ file, results: [], error: `worker crashed: ${err.message}` }, true);
      });
      sendNext();
    });
  await Promise.all(Array.from({ length: Math.min(n, files.length) }, lane));
  flush();
}
