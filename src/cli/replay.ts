/**
 * `sonde replay <txhash> --rpc URL`: re-executes a mined transaction locally from a plain
 * JSON-RPC endpoint (no debug API needed) and shows what it did, as foundry's `cast run`
 * (see src/remote/replay.ts for how). `--block N` replays a whole block.
 *
 * Output: by default a decoded call tree (src/remote/pretty.ts) and a summary line; with
 * --json the tracer's JSON (one result, or debug_traceBlock's `[{txHash, result}]` for
 * --block). The default tracer is callTracer with `withLog: true` in both forms, so the
 * tree shows events and --json gives the full call tree with logs; --tracer picks another
 * (results that are not call trees are printed as JSON). Notes, divergence warnings and,
 * with --json, the summary go to stderr; --quiet keeps only the output and warnings.
 *
 * Exit codes (as the other commands: 1 a failure, 2 bad usage or input): 0 replayed, 1 the
 * replay or the trace failed (endpoint errors, a tracer error), 2 bad options (a bad --rpc
 * URL included).
 */
import { InvalidInputError, SondeError } from "../errors.js";
import { type Fork, findFork, forkName, LATEST_FORK } from "../evm/forks.js";
import { parseBigInt } from "../primitives/hex.js";
import { isCallFrame, renderCallTree } from "../remote/pretty.js";
import type { ReplayedTx, ReplayOptions, ReplayReport } from "../remote/replay.js";
import { parseDuration } from "../tracers/trace.js";
import type { TraceConfig } from "../tracers/types.js";
import { parseArgs } from "./args.js";

const USAGE = `usage: sonde replay <txhash> --rpc URL [options]
       sonde replay --block N --rpc URL [options]

Re-executes a mined transaction locally, reading state from a plain JSON-RPC endpoint at
the parent block (no debug API needed), after the transactions before it in its block.

options:
  --rpc URL               the endpoint (http:// or https://); default: $ETH_RPC_URL
  --header 'K: V'         an HTTP header for every request (repeatable), e.g.
                          --header 'Authorization: Bearer …'
  --block N               replay every transaction of block N (decimal or 0x-hex)
  --tracer NAME|JS        the tracer (default callTracer with withLog), any Sonde tracer
                          name or JavaScript tracer code
  --tracer-config JSON    the tracer's options (go-ethereum's tracerConfig object)
  --timeout DURATION      the tracer's time limit per transaction (default 5s)
  --rpc-timeout DURATION  time allowed for each request to the endpoint (Go duration:
                          10s, 500ms, 1m; default 30s); a request that times out or
                          fails transiently is retried up to 4 times, each retry
                          reported on stderr
  --json                  print the tracer's JSON instead of the call tree
                          (for --block: [{txHash, result}] as debug_traceBlock)
  --fork NAME             run under this fork's rules whatever the chain says
  --chain NAME|ID         a known chain's fork schedule (mainnet, sepolia, holesky, hoodi);
                          by default taken from eth_chainId, else eth_config, else the header
  --quiet                 print only the output (and divergence warnings)
  --help                  show this help

Exit codes: 0 replayed, 1 the replay failed (the endpoint failed or does not know the
transaction or block, or the tracer failed; the message is on stderr), 2 bad options.`;

const SPEC = {
  rpc: "string",
  block: "string",
  tracer: "string",
  "tracer-config": "string",
  timeout: "string",
  "rpc-timeout": "string",
  json: "boolean",
  fork: "string",
  chain: "string",
  quiet: "boolean",
  help: "boolean",
} as const;

export interface ReplayCliOptions {
  rpc: string;
  headers: Record<string, string>;
  hash?: string;
  block?: bigint;
  trace: TraceConfig;
  json: boolean;
  quiet: boolean;
  fork?: Fork;
  chain?: string;
  /** --rpc-timeout in milliseconds. */
  rpcTimeoutMs?: number;
}

/** A --rpc-timeout value (a Go duration above zero) in milliseconds. */
export function parseRpcTimeout(text: string, what = "--rpc-timeout"): number {
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch {
    ms = Number.NaN;
  }
  if (!(ms > 0))
    throw new InvalidInputError(
      `${what}: expected a duration above zero such as 10s or 500ms, got "${text}"`,
    );
  return ms;
}

/**
 * Takes every `--<option> 'Name: value'` out of argv (parseArgs keeps only the last of a
 * repeated option) and returns the rest and the headers.
 */
export function takeHeaders(
  argv: string[],
  option = "header",
): { rest: string[]; headers: Record<string, string> } {
  const rest: string[] = [];
  const headers: Record<string, string> = {};
  const flag = `--${option}`;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    let text: string | undefined;
    if (a === flag) {
      text = argv[++i];
      if (text === undefined) throw new InvalidInputError(`option ${flag} needs a value`);
    } else if (a.startsWith(`${flag}=`)) text = a.slice(flag.length + 1);
    else {
      rest.push(a);
      continue;
    }
    const [name, value] = readHeader(text, flag);
    headers[name] = value;
  }
  return { rest, headers };
}

/** "Name: value" as [name, value]; throws naming `what` when it is not a header. */
export function readHeader(text: string, what: string): [string, string] {
  const colon = text.indexOf(":");
  const name = colon < 0 ? "" : text.slice(0, colon).trim();
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
    throw new InvalidInputError(`${what}: expected "Name: value", got "${text}"`);
  }
  return [name, text.slice(colon + 1).trim()];
}

/** Reads the command line of `sonde replay`. */
export function parseReplayOptions(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): ReplayCliOptions | "help" {
  const { rest, headers } = takeHeaders(argv);
  const { options, positionals } = parseArgs(rest, SPEC);
  if (options.help) return "help";
  const rpc = (options.rpc as string | undefined) ?? env.ETH_RPC_URL;
  if (rpc === undefined || rpc === "")
    throw new InvalidInputError("--rpc URL is required (or set ETH_RPC_URL)");
  if (positionals.length > 1)
    throw new InvalidInputError(`one transaction hash expected, got ${positionals.length} arguments`);
  const out: ReplayCliOptions = {
    rpc,
    headers,
    trace: { tracer: "callTracer", tracerConfig: { withLog: true } },
    json: options.json === true,
    quiet: options.quiet === true,
  };
  if (typeof options.block === "string") {
    if (positionals.length > 0)
      throw new InvalidInputError("give either a transaction hash or --block, not both");
    out.block = parseBigInt(options.block, "--block");
  } else {
    const hash = positionals[0];
    if (hash === undefined) throw new InvalidInputError("no transaction hash given (or use --block N)");
    if (!/^0x[0-9a-fA-F]{64}$/.test(hash)) throw new InvalidInputError(`not a transaction hash: "${hash}"`);
    out.hash = hash.toLowerCase();
  }
  if (typeof options.tracer === "string") {
    if (options.tracer.trim() === "")
      throw new InvalidInputError("--tracer: expected a tracer name or JavaScript code");
    out.trace = { tracer: options.tracer };
  }
  if (typeof options["tracer-config"] === "string") {
    try {
      out.trace.tracerConfig = JSON.parse(options["tracer-config"]);
    } catch (err) {
      throw new InvalidInputError(`--tracer-config: invalid JSON: ${(err as Error).message}`);
    }
  }
  if (typeof options.timeout === "string") out.trace.timeout = options.timeout;
  if (typeof options["rpc-timeout"] === "string") out.rpcTimeoutMs = parseRpcTimeout(options["rpc-timeout"]);
  if (typeof options.fork === "string") {
    const fork = findFork(options.fork);
    if (fork === undefined) throw new InvalidInputError(`--fork: unknown fork "${options.fork}"`);
    out.fork = fork;
  }
  if (typeof options.chain === "string") out.chain = options.chain;
  return out;
}

function plural(n: number | bigint, word: string): string {
  return `${n} ${word}${n === 1 || n === 1n ? "" : "s"}`;
}

function summary(report: ReplayReport, ms: number, tx?: ReplayedTx): string {
  const s = report.stats;
  const what =
    tx !== undefined
      ? `${tx.success ? "success" : `failed${tx.error === null ? "" : ` (${tx.error})`}`} · gas used ${tx.gasUsed} · block ${report.blockNumber} tx ${tx.index}`
      : `block ${report.blockNumber} · ${plural(report.txs.length, "transaction")}`;
  return (
    `${what} · ${forkName(report.fork)} (${report.forkSource}) · ${plural(s.requests, "request")}, ` +
    `${plural(s.fetchRounds, "fetch round")}, ${plural(s.reruns, "re-run")} · ` +
    `${plural(s.accounts, "account")} (${s.absentAccounts} absent), ${plural(s.slots, "slot")}` +
    `${s.blockHashes > 0 ? `, ${plural(s.blockHashes, "block hash")}` : ""} · ${(ms / 1000).toFixed(2)} s`
  );
}

export async function replayCommand(argv: string[]): Promise<number> {
  let opts: ReplayCliOptions | "help";
  try {
    opts = parseReplayOptions(argv);
  } catch (err) {
    if (err instanceof InvalidInputError) {
      process.stderr.write(`sonde replay: ${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
  if (opts === "help") {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const { buildTracer, TracerError } = await import("../tracers/index.js");
  await (await import("../tracers/js/index.js")).initJsTracers();
  // Check the tracer before any network work: unknown names and bad options are usage errors.
  try {
    buildTracer(opts.trace, { fork: opts.fork ?? LATEST_FORK }).dispose?.();
  } catch (err) {
    if (err instanceof TracerError) {
      process.stderr.write(`sonde replay: --tracer: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const { RpcClient } = await import("../remote/rpc-client.js");
  const { replayBlock, replayTransaction } = await import("../remote/replay.js");
  const err = (s: string) => process.stderr.write(s);
  const progressTty = !opts.quiet && process.stderr.isTTY === true;
  let progressShown = false;
  const ropts: ReplayOptions = { tracer: opts.trace };
  if (opts.fork !== undefined) ropts.fork = opts.fork;
  if (opts.chain !== undefined) ropts.chain = opts.chain;
  if (opts.block !== undefined && progressTty) {
    ropts.onProgress = (done, total) => {
      progressShown = true;
      err(`\rreplaying block ${opts.block}: transaction ${done}/${total}`);
    };
  }
  const started = performance.now();
  let report: ReplayReport;
  // Outside the try: a URL the client cannot use is a bad option (exit 2, through main).
  const client = new RpcClient(opts.rpc, {
    headers: opts.headers,
    ...(opts.rpcTimeoutMs === undefined ? {} : { timeoutMs: opts.rpcTimeoutMs }),
    onRetry: (r) => {
      if (progressShown) err("\n");
      progressShown = false;
      err(`sonde replay: ${r.message}\n`);
    },
  });
  try {
    report =
      opts.block !== undefined
        ? await replayBlock(client, opts.block, ropts)
        : await replayTransaction(client, opts.hash!, ropts);
  } catch (e) {
    if (progressShown) err("\n");
    if (e instanceof SondeError) {
      err(`sonde replay: ${e.message}\n`);
      if (e.details) err(`  ${e.details}\n`);
      return 1;
    }
    throw e;
  }
  if (progressShown) err("\r\x1b[K");
  const ms = performance.now() - started;
  if (!opts.quiet) for (const n of report.notes) err(`note: ${n}\n`);
  for (const t of report.txs)
    if (t.divergence !== undefined) err(`warning: transaction ${t.hash}: ${t.divergence}\n`);

  const failed = report.txs.filter((t) => t.traceError !== undefined);
  const out = (s: string) => process.stdout.write(s);
  if (opts.json) {
    if (opts.block !== undefined) {
      const entries = report.txs.map((t) =>
        t.traceError !== undefined
          ? { txHash: t.hash, error: t.traceError }
          : { txHash: t.hash, result: t.result },
      );
      out(`${JSON.stringify(entries)}\n`);
    } else if (failed.length === 0) {
      out(`${JSON.stringify(report.txs[0]!.result)}\n`);
    }
    for (const t of failed) err(`sonde replay: trace of ${t.hash} failed: ${t.traceError}\n`);
    if (!opts.quiet) err(`${summary(report, ms, opts.block === undefined ? report.txs[0] : undefined)}\n`);
    return failed.length > 0 && opts.block === undefined ? 1 : 0;
  }
  const color = process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
  for (const t of report.txs) {
    if (opts.block !== undefined || !opts.quiet)
      out(`transaction ${t.hash} (block ${report.blockNumber}, index ${t.index})\n`);
    if (t.traceError !== undefined) err(`sonde replay: trace of ${t.hash} failed: ${t.traceError}\n`);
    else if (isCallFrame(t.result)) out(renderCallTree(t.result, { color }));
    else out(`${JSON.stringify(t.result, null, 2)}\n`);
    if (opts.block !== undefined) out("\n");
  }
  if (!opts.quiet) out(`${summary(report, ms, opts.block === undefined ? report.txs[0] : undefined)}\n`);
  return failed.length > 0 ? 1 : 0;
}
