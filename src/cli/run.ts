/**
 * `sonde run`: runs EVM code as a call, like go-ethereum's `evm run`.
 *
 *   --code HEX | --codefile FILE   runtime code placed at the receiver
 *   --input HEX  --gas N  --value N  --fork NAME  --prestate FILE (genesis-style alloc)
 *   --bench                          repeat on fresh state; print {"gasUsed","runs","medianNs"}
 *   --tracer NAME|JS                 trace the call and print the tracer's JSON result
 *     [--tracer-config JSON] [--timeout DURATION]
 *     [--enable-memory] [--disable-stack] [--disable-storage] [--enable-return-data] [--limit N]
 *
 * With --tracer, the tracer runs through `runTrace` (timeout, tracer failures) and its
 * result is written to stdout through a sink: streaming tracers (structLogger, eip3155)
 * write while the code runs, in chunks of about 64 KiB, with blocking writes, so a huge
 * trace is never built in memory. Exit codes: 0 traced, 1 the trace failed (timeout,
 * tracer error; stdout then holds whatever was streamed before), 2 usage errors (unknown
 * tracer, bad --tracer-config, bad duration).
 */
import { readFileSync, writeSync } from "node:fs";
import { InvalidInputError } from "../errors.js";
import { findFork, LATEST_FORK } from "../evm/forks.js";
import { bytesToHex, hexToBytes, parseBigInt } from "../primitives/hex.js";
import { type CallOptions, DEFAULT_GAS, executeCall } from "../runners/call.js";
import { parseAlloc } from "../runners/statetest.js";
import type { TraceConfig } from "../tracers/types.js";
import { parseArgs } from "./args.js";

const HELP = `usage: sonde run (--code HEX | --codefile FILE) [--input HEX] [--gas N] [--value N]
                 [--fork NAME] [--prestate FILE] [--bench [--runs N] [--seconds S]]
                 [--tracer NAME|JS [--tracer-config JSON] [--timeout DURATION]
                  [--enable-memory] [--disable-stack] [--disable-storage]
                  [--enable-return-data] [--limit BYTES]]

Runs the code as a call from a sender to a receiver holding it, and prints the return
data, the gas used and the error, if any. --bench repeats the call on fresh state and
prints one JSON line {"gasUsed":…,"runs":…,"medianNs":…} measured in this process.

tracing:
  --tracer NAME|JS        trace the call and print the tracer's JSON result instead:
                          structLogger (go-ethereum's default opcode logger), eip3155
                          (EIP-3155 JSON lines), callTracer, prestateTracer, 4byteTracer,
                          noopTracer, …, or JavaScript tracer code
  --tracer-config JSON    the tracer's options (go-ethereum's tracerConfig object)
  --timeout DURATION      stop the trace after this long (Go duration: 5s, 300ms,
                          1m30s; default 5s, as go-ethereum; 0: no limit)
  struct-logger options (--tracer structLogger only):
  --enable-memory         record memory as 32-byte words
  --disable-stack         do not record the stack
  --disable-storage       do not record storage on SLOAD/SSTORE
  --enable-return-data    record the last call's return data
  --limit BYTES           stop recording entries once they take more than BYTES bytes
                          of JSON (0: no limit)

Exit codes with --tracer: 0 traced, 1 the trace failed (timeout or tracer error; the
message goes to stderr), 2 bad options (unknown tracer, invalid --tracer-config).`;

/** Struct-logger flags and the TraceConfig fields they set. */
const STRUCT_FLAGS = {
  "enable-memory": "enableMemory",
  "disable-stack": "disableStack",
  "disable-storage": "disableStorage",
  "enable-return-data": "enableReturnData",
} as const;

function readHexFile(path: string, what: string): Uint8Array {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new InvalidInputError(`${what}: cannot read ${path}`);
  }
  return hexToBytes(text.trim(), `${what} ${path}`);
}

export interface RunOptions {
  call: CallOptions;
  bench: boolean;
  runs?: number;
  seconds: number;
  /** Set when --tracer was given. */
  trace?: TraceConfig;
}

export function parseRunOptions(argv: string[]): RunOptions {
  const { options, positionals } = parseArgs(argv, {
    code: "string",
    codefile: "string",
    input: "string",
    gas: "string",
    value: "string",
    fork: "string",
    prestate: "string",
    bench: "boolean",
    runs: "string",
    seconds: "string",
    tracer: "string",
    "tracer-config": "string",
    timeout: "string",
    "enable-memory": "boolean",
    "disable-stack": "boolean",
    "disable-storage": "boolean",
    "enable-return-data": "boolean",
    limit: "string",
    help: "boolean",
  });
  if (options.help) {
    process.stdout.write(`${HELP}\n`);
    process.exit(0);
  }
  if (positionals.length > 0) throw new InvalidInputError(`unexpected argument "${positionals[0]}"`);
  let code: Uint8Array;
  if (typeof options.code === "string") code = hexToBytes(options.code, "--code");
  else if (typeof options.codefile === "string") code = readHexFile(options.codefile, "--codefile");
  else throw new InvalidInputError("give the code with --code HEX or --codefile FILE");
  const call: CallOptions = { code };
  if (typeof options.input === "string") call.input = hexToBytes(options.input, "--input");
  call.gas = typeof options.gas === "string" ? parseBigInt(options.gas, "--gas") : DEFAULT_GAS;
  if (typeof options.value === "string") call.value = parseBigInt(options.value, "--value");
  if (typeof options.fork === "string") {
    const fork = findFork(options.fork);
    if (fork === undefined) throw new InvalidInputError(`--fork: unknown fork "${options.fork}"`);
    call.fork = fork;
  } else call.fork = LATEST_FORK;
  if (typeof options.prestate === "string") {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(options.prestate, "utf8"));
    } catch (err) {
      throw new InvalidInputError(`--prestate: cannot read ${options.prestate}: ${(err as Error).message}`);
    }
    // Accept a bare alloc or a genesis file with an "alloc" field.
    const alloc = (json as { alloc?: unknown }).alloc ?? json;
    call.prestate = parseAlloc(alloc, "--prestate");
  }
  const out: RunOptions = {
    call,
    bench: options.bench === true,
    seconds: typeof options.seconds === "string" ? Number(options.seconds) : 3,
  };
  if (typeof options.runs === "string") {
    const runs = Number(options.runs);
    if (!Number.isInteger(runs) || runs < 1)
      throw new InvalidInputError("--runs: expected a positive integer");
    out.runs = runs;
  }
  if (!(out.seconds > 0)) throw new InvalidInputError("--seconds: expected a positive number");
  const trace = parseTraceOptions(options);
  if (trace !== undefined) {
    if (out.bench) throw new InvalidInputError("--bench cannot be combined with --tracer");
    out.trace = trace;
  }
  return out;
}

/** The TraceConfig asked for by the tracing options; undefined without --tracer. */
function parseTraceOptions(options: Record<string, string | boolean | undefined>): TraceConfig | undefined {
  const tracer = options.tracer;
  const structFlags = [...Object.keys(STRUCT_FLAGS), "limit"].filter((f) => options[f] !== undefined);
  if (typeof tracer !== "string") {
    const stray = [...structFlags, "tracer-config", "timeout"].find((f) => options[f] !== undefined);
    if (stray !== undefined) throw new InvalidInputError(`--${stray} needs --tracer`);
    return undefined;
  }
  if (tracer.trim() === "")
    throw new InvalidInputError("--tracer: expected a tracer name or JavaScript code");
  const config: TraceConfig = { tracer };
  const isStructLogger = tracer === "structLogger";
  if (structFlags.length > 0 && !isStructLogger) {
    throw new InvalidInputError(
      `--${structFlags[0]} applies to the struct logger only (--tracer structLogger); ` +
        "give other tracers their options with --tracer-config",
    );
  }
  for (const [flag, field] of Object.entries(STRUCT_FLAGS)) {
    if (options[flag] === true) config[field] = true;
  }
  if (typeof options.limit === "string") {
    const limit = Number(options.limit);
    if (!/^\d+$/.test(options.limit.trim()) || !Number.isSafeInteger(limit)) {
      throw new InvalidInputError(
        `--limit: expected a number of bytes (0: no limit), got "${options.limit}"`,
      );
    }
    config.limit = limit;
  }
  if (typeof options["tracer-config"] === "string") {
    try {
      config.tracerConfig = JSON.parse(options["tracer-config"]);
    } catch (err) {
      throw new InvalidInputError(`--tracer-config: invalid JSON: ${(err as Error).message}`);
    }
  }
  if (typeof options.timeout === "string") config.timeout = options.timeout;
  return config;
}

/** Thrown by the output sink when stdout was closed by its reader. */
class OutputClosed extends Error {}

const SLEEP_CELL = new Int32Array(new SharedArrayBuffer(4));

/**
 * Collects output and writes it to a file descriptor in chunks of about `chunkSize`
 * characters, with blocking writes: the writer waits for a slow reader instead of
 * queueing output in memory (the CLI runs in a worker, whose process.stdout is
 * asynchronous).
 */
export class ChunkedWriter {
  private parts: string[] = [];
  private pending = 0;
  /** Characters written (or queued) so far. */
  written = 0;
  /** The last character written, "" when nothing was. */
  lastChar = "";
  closed = false;

  constructor(
    private readonly fd: number,
    private readonly chunkSize = 1 << 16,
  ) {}

  readonly write = (chunk: string): void => {
    if (chunk.length === 0) return;
    if (this.closed) throw new OutputClosed("stdout was closed");
    this.parts.push(chunk);
    this.pending += chunk.length;
    this.written += chunk.length;
    this.lastChar = chunk[chunk.length - 1]!;
    if (this.pending >= this.chunkSize) this.flush();
  };

  flush(): void {
    if (this.pending === 0 || this.closed) return;
    const buf = Buffer.from(this.parts.join(""), "utf8");
    this.parts = [];
    this.pending = 0;
    let off = 0;
    while (off < buf.length) {
      try {
        off += writeSync(this.fd, buf, off, buf.length - off);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "EAGAIN") {
          // The descriptor is non-blocking and the reader is behind: wait a little.
          Atomics.wait(SLEEP_CELL, 0, 0, 1);
          continue;
        }
        if (code === "EPIPE") {
          this.closed = true;
          throw new OutputClosed("stdout was closed");
        }
        throw err;
      }
    }
  }
}

/** `sonde run --tracer …`: traces the call and prints the tracer's result. */
async function traceCommand(call: CallOptions, config: TraceConfig): Promise<number> {
  const { runTrace, TracerError } = await import("../tracers/index.js");
  await (await import("../tracers/js/index.js")).initJsTracers();
  const out = new ChunkedWriter(1);
  const fail = (message: string, code: number): number => {
    try {
      out.flush();
      if (out.written > 0 && out.lastChar !== "\n") {
        out.write("\n");
        out.flush();
      }
    } catch {
      /* stdout closed: only the message is left */
    }
    if (!out.closed) process.stderr.write(`sonde run: ${message}\n`);
    return code;
  };
  let run: ReturnType<typeof runTrace<unknown>>;
  try {
    run = runTrace(config, { fork: call.fork ?? LATEST_FORK, sink: out.write }, (hooks, deadline) =>
      executeCall({ ...call, hooks, deadline }),
    );
  } catch (err) {
    // Building the tracer failed: an unknown name, bad options, bad JavaScript.
    if (err instanceof TracerError) {
      const code = /^invalid timeout/.test(err.message) ? "--timeout: " : "--tracer: ";
      return fail(`${code}${err.message}`, 2);
    }
    throw err;
  }
  const { tracer } = run;
  try {
    if (run.error !== null) {
      if (out.closed) return fail("stdout was closed", 1);
      return fail(`trace failed: ${run.error.message}`, 1);
    }
    try {
      tracer.writeResult(out.write);
      if (out.lastChar !== "\n") out.write("\n");
      out.flush();
    } catch (err) {
      if (err instanceof OutputClosed) return fail("stdout was closed", 1);
      if (err instanceof TracerError) return fail(`trace failed: ${err.message}`, 1);
      throw err;
    }
    return 0;
  } finally {
    tracer.dispose?.();
  }
}

export async function runCommand(argv: string[]): Promise<number> {
  const { call, bench, runs, seconds, trace } = parseRunOptions(argv);
  if (trace !== undefined) return traceCommand(call, trace);
  if (bench) {
    const times: number[] = [];
    let gasUsed = 0n;
    // One untimed warm-up run, then timed runs on fresh state until `runs` or `seconds`.
    executeCall(call);
    const deadline = performance.now() + seconds * 1000;
    while (runs === undefined ? performance.now() < deadline || times.length < 3 : times.length < runs) {
      const t0 = process.hrtime.bigint();
      const r = executeCall(call);
      times.push(Number(process.hrtime.bigint() - t0));
      gasUsed = r.gasUsed;
    }
    times.sort((a, b) => a - b);
    const median = times[times.length >> 1]!;
    process.stdout.write(
      `${JSON.stringify({ gasUsed: Number(gasUsed), runs: times.length, medianNs: median })}\n`,
    );
    return 0;
  }
  const r = executeCall(call);
  process.stdout.write(`${bytesToHex(r.returnData)}\n`);
  process.stdout.write(`gas used: ${r.gasUsed}\n`);
  if (r.error !== null) process.stdout.write(`error: ${r.error}\n`);
  return 0;
}
