/**
 * `sonde run`: runs EVM code as a call, like go-ethereum's `evm run`.
 *
 *   --code HEX | --codefile FILE   runtime code placed at the receiver
 *   --input HEX  --gas N  --value N  --fork NAME  --prestate FILE (genesis-style alloc)
 *   --bench                          repeat on fresh state; print {"gasUsed","runs","medianNs"}
 */
import { readFileSync } from "node:fs";
import { InvalidInputError } from "../errors.js";
import { findFork, LATEST_FORK } from "../evm/forks.js";
import { bytesToHex, hexToBytes, parseBigInt } from "../primitives/hex.js";
import { type CallOptions, DEFAULT_GAS, executeCall } from "../runners/call.js";
import { parseAlloc } from "../runners/statetest.js";
import { parseArgs } from "./args.js";

const HELP = `usage: sonde run (--code HEX | --codefile FILE) [--input HEX] [--gas N] [--value N]
                 [--fork NAME] [--prestate FILE] [--bench [--runs N] [--seconds S]]

Runs the code as a call from a sender to a receiver holding it, and prints the return
data, the gas used and the error, if any. --bench repeats the call on fresh state and
prints one JSON line {"gasUsed":…,"runs":…,"medianNs":…} measured in this process.`;

function readHexFile(path: string, what: string): Uint8Array {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new InvalidInputError(`${what}: cannot read ${path}`);
  }
  return hexToBytes(text.trim(), `${what} ${path}`);
}

export function parseRunOptions(argv: string[]): {
  call: CallOptions;
  bench: boolean;
  runs?: number;
  seconds: number;
} {
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
  const out: { call: CallOptions; bench: boolean; runs?: number; seconds: number } = {
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
  return out;
}

export async function runCommand(argv: string[]): Promise<number> {
  const { call, bench, runs, seconds } = parseRunOptions(argv);
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
