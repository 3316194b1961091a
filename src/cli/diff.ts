/**
 * `sonde diff`: finds where two executions part.
 *
 *   sonde diff --a SOURCE --b SOURCE (--block N | --tx HASH) [--json] …
 *   sonde diff --traces A B [--json] [--context K] [--fields LIST] [--ignore LIST]
 *                           [--progress] [--stats]
 *
 * With two sources (JSON-RPC endpoints, or `local:URL` for Sonde's engine replaying an
 * endpoint), the comparison ladder of src/compare/ladder.ts runs: block, implicit
 * operations, receipts and post-states, call tree, opcodes. With two trace files, their
 * steps are compared directly.
 *
 * The traces are streamed in lockstep (src/compare/), so files of millions of steps are
 * compared in bounded memory. Exit codes (as the other commands: 1 a failure or a negative
 * result, 2 bad usage or input): 0 no divergence, 1 diverged or an endpoint failed, 2 bad
 * options or input (an unreadable or malformed trace file).
 * Modes are chosen by option; `--traces` (two trace files) is the one there is so far,
 * and parseDiffOptions reads the mode apart from the options common to all modes.
 */

import { readFileSync } from "node:fs";
import { isatty } from "node:tty";
import { diffExecutions, type LadderOptions } from "../compare/ladder.js";
import { formatLadderReport, ladderReportJson } from "../compare/ladder-report.js";
import { LocalSource } from "../compare/local-source.js";
import { compareTraceFiles, type FileDiffResult, type InputStats } from "../compare/reader.js";
import { formatReport, reportJson } from "../compare/report.js";
import { type DiffSource, RpcSource } from "../compare/sources.js";
import {
  type CompareOptions,
  DEFAULT_FIELDS,
  STEP_FIELDS,
  type StepField,
  SUMMARY_FIELDS,
  type SummaryField,
} from "../compare/tracediff.js";
import { InvalidInputError, SondeError } from "../errors.js";
import { type Fork, findFork } from "../evm/forks.js";
import { parseBigInt } from "../primitives/hex.js";
import { RpcClient, type RpcClientOptions } from "../remote/rpc-client.js";
import { parseArgs } from "./args.js";
import { parseRpcTimeout, readHeader, takeHeaders } from "./replay.js";

const HELP = `usage: sonde diff --a SOURCE --b SOURCE (--block N | --tx HASH) [--json] [--memory]
                  [--header 'K: V'] [--a-header 'K: V'] [--b-header 'K: V'] [--config FILE]
                  [--fork NAME] [--chain NAME] [--rpc-timeout DURATION] [--context K]
                  [--fields LIST] [--progress]
       sonde diff --traces A B [--json] [--context K] [--fields LIST] [--ignore LIST]
                  [--progress] [--stats]

Finds the first place two executions part, and reports it with both sides side by side
and a verdict line.

modes:
  --a SOURCE --b SOURCE
                  two executions of the same chain. A SOURCE is a JSON-RPC endpoint URL
                  (go-ethereum, reth, anvil, sonde node, …) or local:URL (Sonde's own engine
                  re-executing the blocks of that endpoint from the state it serves; the
                  endpoint needs no debug API). With --block N (or --tx HASH: its block,
                  focused on that transaction) the comparison stops at the first
                  difference and goes one level deeper each time: the block's transactions
                  and header; the EIP-4788/2935 system calls; per transaction the receipt
                  (status, gas, logs) and post-state (debug_intermediateRoots, else
                  prestateTracer diff mode); the call tree of the first diverging
                  transaction (callTracer); then its opcode traces, streamed in lockstep to
                  the first diverging step; and, when no transaction differs, withdrawals,
                  request queues and fees. Known format differences of an implementation
                  (anvil/reth's tracers) are normalised and listed in the report.
  --header 'K: V' an HTTP header for both sides (repeatable); --a-header / --b-header for
                  one side (e.g. --b-header 'Authorization: Bearer …')
  --config FILE   JSON naming both sides: {"a": {"url": …, "headers": {…},
                  "timeout": "10s"}, "b": {…}} (--a/--b, header options and
                  --rpc-timeout given as well take precedence)
  --rpc-timeout DURATION
                  time allowed for each request to either side (Go duration: 10s,
                  500ms, 1m; default 30s); a request that times out or fails
                  transiently is retried up to 4 times, each retry reported on stderr
  --fork NAME, --chain NAME
                  for local: sources, the fork rules or known chain (as sonde replay)
  --memory        record memory in the opcode traces (large)

Exit codes: 0 no divergence, 1 diverged or an endpoint failed (then the message is on
stderr and nothing on stdout), 2 bad options or input.
`;

const TRACES_HELP = `
  --traces A B    two trace files: EIP-3155 JSON lines (\`statetest --json\` of a client,
                  \`sonde statetest --trace\`, \`sonde run --tracer eip3155\`) or go-ethereum
                  struct logs (one entry per line, or a one-line debug_traceTransaction
                  result); files ending in .gz are read compressed. A file may hold several
                  traces (one per test and fork, each ending with its summary lines): trace k
                  of A is compared with trace k of B. Lines that are neither steps nor
                  summaries (log output) are skipped and counted.

options:
  --json          print the report as one JSON object
  --context K     steps shown before the divergence (default 8)
  --fields LIST   step fields to compare, comma-separated (default
                  ${DEFAULT_FIELDS.join(",")});
                  also: memSize, returnData, error. A field one side does not record is
                  not compared and is listed as such
  --ignore LIST   fields not to compare: step fields, or result fields output, gasUsed,
                  stateRoot, error; "summary" ignores all result fields
  --progress      report progress on stderr (default when stderr is a terminal)
  --stats         print the time, steps per second and peak memory (max RSS) to stderr

Results (summary lines) are compared once all steps of a trace agree: output, gasUsed,
stateRoot (when both sides give them) and whether an error occurred.
With --traces: 0 no divergence, 1 the traces diverge, 2 bad input (unreadable file, a
malformed step line: the message names the file and line).`;
const FULL_HELP = `${HELP}${TRACES_HELP}`;

export interface SourceSpec {
  /** An endpoint URL, or local:URL. */
  url: string;
  headers: Record<string, string>;
  /** Time allowed for each request (--rpc-timeout, or the side's "timeout" in --config), in ms. */
  timeoutMs?: number;
}

/** How the two sides are obtained. */
export type DiffMode =
  | { kind: "traces"; a: string; b: string }
  | {
      kind: "sources";
      a: SourceSpec;
      b: SourceSpec;
      target: { block?: bigint; tx?: string };
      fork?: Fork;
      chain?: string;
      memory: boolean;
    };

export interface DiffOptions {
  mode: DiffMode;
  json: boolean;
  compare: CompareOptions;
  /** undefined: when stderr is a terminal. */
  progress: boolean | undefined;
  stats: boolean;
}

const MODES_TEXT =
  "--a SOURCE --b SOURCE with --block N or --tx HASH (two executions), or --traces A B (two trace files)";

/** The sides named by --config FILE: {"a": {"url", "headers", "timeout"}, "b": {…}}. */
function readConfig(file: string): { a?: Partial<SourceSpec>; b?: Partial<SourceSpec> } {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new InvalidInputError(`--config: cannot read ${file}: ${(err as Error).message}`);
  }
  const out: { a?: Partial<SourceSpec>; b?: Partial<SourceSpec> } = {};
  if (typeof json !== "object" || json === null)
    throw new InvalidInputError(`--config ${file}: expected a JSON object`);
  for (const side of ["a", "b"] as const) {
    const v = (json as Record<string, unknown>)[side];
    if (v === undefined) continue;
    if (typeof v !== "object" || v === null)
      throw new InvalidInputError(`--config ${file}: "${side}" must be an object`);
    const o = v as Record<string, unknown>;
    const spec: Partial<SourceSpec> = {};
    if (o.url !== undefined) {
      if (typeof o.url !== "string")
        throw new InvalidInputError(`--config ${file}: ${side}.url must be a string`);
      spec.url = o.url;
    }
    if (o.headers !== undefined) {
      if (typeof o.headers !== "object" || o.headers === null || Array.isArray(o.headers))
        throw new InvalidInputError(`--config ${file}: ${side}.headers must be an object of strings`);
      const h: Record<string, string> = {};
      for (const [k, x] of Object.entries(o.headers)) {
        if (typeof x !== "string")
          throw new InvalidInputError(`--config ${file}: ${side}.headers.${k} must be a string`);
        const [name, value] = readHeader(`${k}: ${x}`, `--config ${file}: ${side}.headers`);
        h[name] = value;
      }
      spec.headers = h;
    }
    if (o.timeout !== undefined) {
      if (typeof o.timeout !== "string")
        throw new InvalidInputError(
          `--config ${file}: ${side}.timeout must be a duration string such as "10s"`,
        );
      spec.timeoutMs = parseRpcTimeout(o.timeout, `--config ${file}: ${side}.timeout`);
    }
    out[side] = spec;
  }
  return out;
}

function checkSourceUrl(url: string, what: string): void {
  const raw = url.startsWith("local:") ? url.slice("local:".length) : url;
  if (!/^https?:\/\/./.test(raw)) {
    throw new InvalidInputError(
      `${what}: expected an http(s):// endpoint or local:http(s)://…, got "${url}"`,
    );
  }
}

function splitList(value: string, option: string): string[] {
  const items = value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (items.length === 0)
    throw new InvalidInputError(`--${option}: expected a comma-separated list of fields`);
  return items;
}

function isStepField(f: string): f is StepField {
  return (STEP_FIELDS as readonly string[]).includes(f);
}

/** The compared step and summary fields from --fields and --ignore. */
function readFields(
  fieldsOpt: string | undefined,
  ignoreOpt: string | undefined,
): Pick<CompareOptions, "fields" | "summaryFields"> {
  let fields: StepField[] = [...DEFAULT_FIELDS];
  if (fieldsOpt !== undefined) {
    fields = [];
    for (const f of splitList(fieldsOpt, "fields")) {
      if (!isStepField(f))
        throw new InvalidInputError(`--fields: unknown step field "${f}" (known: ${STEP_FIELDS.join(", ")})`);
      if (!fields.includes(f)) fields.push(f);
    }
  }
  let summaryFields: SummaryField[] = [...SUMMARY_FIELDS];
  if (ignoreOpt !== undefined) {
    for (const f of splitList(ignoreOpt, "ignore")) {
      const isSummary = (SUMMARY_FIELDS as readonly string[]).includes(f);
      if (!isStepField(f) && !isSummary && f !== "summary") {
        throw new InvalidInputError(
          `--ignore: unknown field "${f}" (step fields: ${STEP_FIELDS.join(", ")}; ` +
            `result fields: ${SUMMARY_FIELDS.join(", ")}, or "summary")`,
        );
      }
      if (isStepField(f)) fields = fields.filter((x) => x !== f);
      if (isSummary) summaryFields = summaryFields.filter((x) => x !== f);
      if (f === "summary") summaryFields = [];
    }
  }
  return { fields, summaryFields };
}

export function parseDiffOptions(argv: string[]): DiffOptions | "help" {
  const both = takeHeaders(argv, "header");
  const onlyA = takeHeaders(both.rest, "a-header");
  const onlyB = takeHeaders(onlyA.rest, "b-header");
  const { options, positionals } = parseArgs(onlyB.rest, {
    a: "string",
    b: "string",
    block: "string",
    tx: "string",
    config: "string",
    fork: "string",
    chain: "string",
    "rpc-timeout": "string",
    memory: "boolean",
    traces: "boolean",
    json: "boolean",
    context: "string",
    fields: "string",
    ignore: "string",
    progress: "boolean",
    stats: "boolean",
    help: "boolean",
  });
  if (options.help) return "help";

  // The mode: exactly one of the mode options.
  let mode: DiffMode;
  if (options.traces === true) {
    if (positionals.length !== 2) {
      throw new InvalidInputError(
        `--traces: expected two trace files (A and B), got ${positionals.length === 0 ? "none" : positionals.length}`,
      );
    }
    mode = { kind: "traces", a: positionals[0]!, b: positionals[1]! };
  } else if (options.a !== undefined || options.b !== undefined || options.config !== undefined) {
    if (positionals.length > 0) throw new InvalidInputError(`unexpected argument "${positionals[0]}"`);
    const cfg = typeof options.config === "string" ? readConfig(options.config) : {};
    const rpcTimeout =
      typeof options["rpc-timeout"] === "string" ? parseRpcTimeout(options["rpc-timeout"]) : undefined;
    const side = (k: "a" | "b", extra: Record<string, string>): SourceSpec => {
      const url = (options[k] as string | undefined) ?? cfg[k]?.url;
      if (url === undefined)
        throw new InvalidInputError(`--${k}: no source given (an endpoint URL or local:URL)`);
      checkSourceUrl(url, `--${k}`);
      const spec: SourceSpec = { url, headers: { ...cfg[k]?.headers, ...both.headers, ...extra } };
      const timeoutMs = rpcTimeout ?? cfg[k]?.timeoutMs;
      if (timeoutMs !== undefined) spec.timeoutMs = timeoutMs;
      return spec;
    };
    const target: { block?: bigint; tx?: string } = {};
    if (typeof options.block === "string") target.block = parseBigInt(options.block, "--block");
    if (typeof options.tx === "string") {
      if (!/^0x[0-9a-fA-F]{64}$/.test(options.tx))
        throw new InvalidInputError(`--tx: not a transaction hash: "${options.tx}"`);
      target.tx = options.tx.toLowerCase();
    }
    if ((target.block === undefined) === (target.tx === undefined)) {
      throw new InvalidInputError("give one of --block N or --tx HASH");
    }
    let fork: Fork | undefined;
    if (typeof options.fork === "string") {
      fork = findFork(options.fork);
      if (fork === undefined) throw new InvalidInputError(`--fork: unknown fork "${options.fork}"`);
    }
    mode = {
      kind: "sources",
      a: side("a", onlyA.headers),
      b: side("b", onlyB.headers),
      target,
      ...(fork === undefined ? {} : { fork }),
      ...(typeof options.chain === "string" ? { chain: options.chain } : {}),
      memory: options.memory === true,
    };
  } else {
    const extra = positionals.length > 0 ? ` (got "${positionals[0]}")` : "";
    throw new InvalidInputError(`say what to compare${extra}: ${MODES_TEXT}; see sonde diff --help`);
  }

  const compare: CompareOptions = readFields(
    options.fields as string | undefined,
    options.ignore as string | undefined,
  );
  if (typeof options.context === "string") {
    const k = Number(options.context);
    if (!/^\d+$/.test(options.context.trim()) || !Number.isSafeInteger(k) || k > 100_000)
      throw new InvalidInputError(
        `--context: expected a number of steps (0 to 100000), got "${options.context}"`,
      );
    compare.context = k;
  }
  return {
    mode,
    json: options.json === true,
    compare,
    progress: options.progress === true ? true : undefined,
    stats: options.stats === true,
  };
}

function noiseNote(side: string, s: InputStats): string | null {
  if (s.noise === 0) return null;
  return `${side}: ${s.noise.toLocaleString("en-US")} line${s.noise === 1 ? "" : "s"} that are neither steps nor results skipped (first: line ${s.firstNoiseLine})`;
}

/** Progress on stderr: one rewritten line on a terminal, else a line per report. */
function progressReporter(tty: boolean): { report: (steps: number) => void; end: () => void } {
  const t0 = performance.now();
  let shown = false;
  return {
    report(steps) {
      const s = (performance.now() - t0) / 1000;
      const rate = s > 0 ? Math.round(steps / s).toLocaleString("en-US") : "-";
      const text = `compared ${steps.toLocaleString("en-US")} steps (${rate} steps/s)`;
      process.stderr.write(tty ? `\r${text}\x1b[K` : `${text}\n`);
      shown = true;
    },
    end() {
      if (tty && shown) process.stderr.write("\r\x1b[K");
    },
  };
}

export async function diffCommand(argv: string[]): Promise<number> {
  const parsed = parseDiffOptions(argv);
  if (parsed === "help") {
    process.stdout.write(`${FULL_HELP}\n`);
    return 0;
  }
  if (parsed.mode.kind === "sources") return diffSources(parsed, parsed.mode);
  const t0 = performance.now();
  const stderrTty = isatty(2);
  const progress = (parsed.progress ?? stderrTty) ? progressReporter(stderrTty) : null;
  const opts: CompareOptions = { ...parsed.compare };
  if (progress !== null) opts.onProgress = progress.report;

  const mode = parsed.mode;
  let result: FileDiffResult;
  try {
    result = await compareTraceFiles(mode.a, mode.b, opts);
  } finally {
    progress?.end();
  }

  if (result.traces === 0) {
    process.stderr.write(
      "sonde diff: warning: neither file holds a trace (no step or result lines); nothing was compared\n",
    );
  }
  if (parsed.json) {
    process.stdout.write(`${JSON.stringify(reportJson(result, { inputs: result.inputs }))}\n`);
  } else {
    const notes = [noiseNote("A", result.inputs.a), noiseNote("B", result.inputs.b)].filter(
      (x): x is string => x !== null,
    );
    const color = isatty(1) && process.env.NO_COLOR === undefined;
    process.stdout.write(formatReport(result, { labels: { a: mode.a, b: mode.b }, color, notes }));
  }
  if (parsed.stats) {
    const s = (performance.now() - t0) / 1000;
    const rss = process.resourceUsage().maxRSS / 1024;
    process.stderr.write(
      `stats: ${result.steps.toLocaleString("en-US")} steps in ${s.toFixed(2)} s ` +
        `(${Math.round(result.steps / s).toLocaleString("en-US")} steps/s), max RSS ${rss.toFixed(0)} MB\n`,
    );
  }
  return result.divergence === null ? 0 : 1;
}

function sourceOf(spec: SourceSpec, label: string, mode: Extract<DiffMode, { kind: "sources" }>): DiffSource {
  const clientOpts: RpcClientOptions = {
    headers: spec.headers,
    ...(spec.timeoutMs === undefined ? {} : { timeoutMs: spec.timeoutMs }),
    onRetry: (r) => process.stderr.write(`${isatty(2) ? "\r\x1b[K" : ""}sonde diff: ${r.message}\n`),
  };
  if (spec.url.startsWith("local:")) {
    const url = spec.url.slice("local:".length);
    return new LocalSource(label, new RpcClient(url, clientOpts), {
      ...(mode.fork === undefined ? {} : { fork: mode.fork }),
      ...(mode.chain === undefined ? {} : { chain: mode.chain }),
    });
  }
  return new RpcSource(label, new RpcClient(spec.url, clientOpts), { headers: spec.headers });
}

/** `sonde diff --a … --b …`: the comparison ladder over two sources. */
async function diffSources(
  parsed: DiffOptions,
  mode: Extract<DiffMode, { kind: "sources" }>,
): Promise<number> {
  const stderrTty = isatty(2);
  const showProgress = parsed.progress ?? stderrTty;
  const a = sourceOf(mode.a, mode.a.url, mode);
  const b = sourceOf(mode.b, mode.b.url, mode);
  const opts: LadderOptions = { memory: mode.memory };
  if (parsed.compare.context !== undefined) opts.context = parsed.compare.context;
  if (parsed.compare.fields !== undefined) opts.fields = parsed.compare.fields;
  if (showProgress) opts.onProgress = (m) => process.stderr.write(stderrTty ? `\r${m}\x1b[K` : `${m}\n`);
  let report: Awaited<ReturnType<typeof diffExecutions>>;
  try {
    report = await diffExecutions(a, b, mode.target, opts);
  } catch (e) {
    // The options were good; an endpoint failed (or answered something unusable): exit 1, as
    // sonde replay does. Bad options and input exit 2 (from parseDiffOptions, through main).
    if (!(e instanceof SondeError)) throw e;
    if (showProgress && stderrTty) process.stderr.write("\r\x1b[K");
    process.stderr.write(`sonde diff: ${e.message}\n`);
    if (e.details) process.stderr.write(`  ${e.details}\n`);
    return 1;
  }
  if (showProgress && stderrTty) process.stderr.write("\r\x1b[K");
  if (parsed.json) process.stdout.write(`${JSON.stringify(ladderReportJson(report), bigintJson)}\n`);
  else {
    const color = isatty(1) && process.env.NO_COLOR === undefined;
    process.stdout.write(formatLadderReport(report, { color }));
  }
  return report.divergence === null ? 0 : 1;
}

function bigintJson(_key: string, v: unknown): unknown {
  return typeof v === "bigint" ? `0x${v.toString(16)}` : v;
}
