/**
 * `sonde txtest [--run REGEX] [--json] PATH...`: runs ethereum/tests TransactionTests
 * files (directories are searched recursively for *.json). Prints each failure with what
 * was expected and what happened — as text, or with --json as one JSON object per line —
 * and ends with the line `N passed, N failed`. Exit code 0 when nothing failed, 1 when
 * something did, 2 for a usage error.
 */
import { InvalidInputError } from "../errors.js";
import { runTxTestFile, type TxTestFailure } from "../runners/txtest.js";
import { parseArgs } from "./args.js";
import { collectJsonFiles } from "./files.js";

const USAGE = `usage: sonde txtest [--run REGEX] [--json] PATH...

Runs ethereum/tests TransactionTests (files, or directories searched for *.json).

options:
  --run REGEX   only run cases whose "<test>/<fork>" matches REGEX
  --json        print failures as JSON lines instead of text
  --help        show this help`;

function formatFailure(f: TxTestFailure): string {
  const where =
    f.test === undefined ? f.file : `${f.file} ${f.test}${f.fork === undefined ? "" : `/${f.fork}`}`;
  let out = `FAIL ${where}: ${f.message}`;
  if (f.expected !== undefined) out += `\n  expected: ${f.expected}`;
  if (f.actual !== undefined) out += `\n  actual:   ${f.actual}`;
  return out;
}

export async function txtestCommand(args: string[]): Promise<number> {
  let options: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ options, positionals } = parseArgs(args, { run: "string", json: "boolean", help: "boolean" }));
  } catch (err) {
    if (err instanceof InvalidInputError) {
      process.stderr.write(`sonde txtest: ${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length === 0) {
    process.stderr.write(`sonde txtest: no test files or directories given\n\n${USAGE}\n`);
    return 2;
  }
  let filter: RegExp | undefined;
  if (typeof options.run === "string") {
    try {
      filter = new RegExp(options.run);
    } catch (err) {
      process.stderr.write(
        `sonde txtest: invalid --run pattern: ${err instanceof Error ? err.message : String(err)}\n`,
      );
      return 2;
    }
  }
  const json = options.json === true;
  const report = (f: TxTestFailure) => {
    process.stdout.write(`${json ? JSON.stringify(f) : formatFailure(f)}\n`);
  };

  let passed = 0;
  let failed = 0;
  const { files, missing } = collectJsonFiles(positionals);
  for (const path of missing) {
    failed++;
    report({ file: path, message: "no such file or directory" });
  }
  for (const file of files) {
    const r = runTxTestFile(file, filter === undefined ? {} : { filter });
    passed += r.passed;
    failed += r.failed;
    for (const f of r.failures) report(f);
  }
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  return failed === 0 ? 0 : 1;
}
