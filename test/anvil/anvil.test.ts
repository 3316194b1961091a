/**
 * Differential tests: Sonde's tracers against anvil's debug_traceTransaction and
 * debug_traceCall (anvil 1.7.1, revm + revm-inspectors).
 *
 * anvil runs on 127.0.0.1 (random port, Prague, fixed chain id and genesis time, the
 * standard test mnemonic). The scenario (./scenario.ts) deploys the test contracts and
 * sends ~40 transactions, one per block (automine). For every transaction and every
 * tracer configuration below, anvil's trace is fetched and the transaction is re-executed
 * in Sonde on the same pre-state and block context (./replay.ts); the two results are
 * compared as JSON values (key order ignored).
 *
 * Only anvil's known departures from go-ethereum are normalised away — each is a named
 * rule in NORMALISATIONS with its reason. Everything else must match. Where Sonde itself
 * departs from go-ethereum, the comparison is marked in SONDE_KNOWN_BUGS (it.fails).
 *
 * The anvil binary comes from the devDependency @foundry-rs/anvil-linux-amd64; when it is
 * missing the suite fails (it does not skip).
 */
import { keccak_256 } from "@noble/hashes/sha3.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Fork } from "../../src/evm/forks.js";
import { jsonDifferences } from "../../src/runners/tracetest.js";
import type { TraceConfig } from "../../src/tracers/index.js";
import { type Anvil, startAnvil } from "./anvil.js";
import { type CallMessage, prepareCall, prepareTransaction, type Replay, sondeTrace } from "./replay.js";
import { ACCOUNTS, calldata, type Deployed, runScenario, type SentTx, STEPS } from "./scenario.js";

const FORK = Fork.Prague;
const CHAIN_ID = 31337n;
const SETTINGS = { hardfork: "prague", chainId: Number(CHAIN_ID), timestamp: 1_750_000_000 };

type Json = Record<string, unknown>;

interface TracerCase {
  name: string;
  config: TraceConfig;
}

const TRACERS: TracerCase[] = [
  { name: "4byteTracer", config: { tracer: "4byteTracer" } },
  { name: "callTracer", config: { tracer: "callTracer" } },
  { name: "callTracer withLog", config: { tracer: "callTracer", tracerConfig: { withLog: true } } },
  { name: "prestateTracer", config: { tracer: "prestateTracer" } },
  { name: "prestateTracer diffMode", config: { tracer: "prestateTracer", tracerConfig: { diffMode: true } } },
  { name: "struct logger", config: {} },
];

// ---------------------------------------------------------------------------------------
// Normalisation rules: anvil's known differences from go-ethereum, applied to anvil's
// result only. Each names the tracer it applies to and why.
// ---------------------------------------------------------------------------------------

interface Normalisation {
  name: string;
  reason: string;
  applies: (tracer: TracerCase) => boolean;
  apply: (anvilResult: unknown, ctx: RuleContext) => Promise<unknown> | unknown;
}

interface RuleContext {
  /** The transaction's (or call's) gas limit, as sent. */
  gasLimit: bigint;
  /** anvil's own callTracer result for the same transaction or call. */
  callFrames: () => Promise<Json>;
  /** anvil's own (non-diff) prestateTracer result for the same transaction or call. */
  plainPrestate: () => Promise<Json>;
  /** Whether `address` exists (non-empty) in anvil's state after the transaction or call. */
  existsAfter: (address: string) => Promise<boolean>;
  /** Leaves a field out of the comparison on both sides (path from the result's root). */
  ignore: (path: (string | number)[]) => void;
}

const PRECOMPILE_MAX = 0x11n; // Prague: 0x01..0x11
const ZERO_HASH = `0x${"0".repeat(64)}`;
const keccakHex = (hex: string) =>
  `0x${Buffer.from(keccak_256(Buffer.from(hex.slice(2), "hex"))).toString("hex")}`;

/** An account in a prestateTracer result that did not exist (go-ethereum's `!exists()`). */
function isEmptyAccount(a: Json): boolean {
  const code = typeof a.code === "string" ? a.code : "0x";
  return (a.balance === undefined || BigInt(a.balance as string) === 0n) && !a.nonce && code === "0x";
}

/** Adds go-ethereum's codeHash to every account of a prestate map that has code. */
function withCodeHashes(accounts: Json): Json {
  const out: Json = {};
  for (const [addr, raw] of Object.entries(accounts)) {
    const a = raw as Json;
    out[addr] = typeof a.code === "string" && a.code !== "0x" ? { ...a, codeHash: keccakHex(a.code) } : a;
  }
  return out;
}

/** revm InstructionResult names in struct-log `error` fields, with go-ethereum's text (null: no error). */
const STRUCTLOG_ERRORS: Record<string, string | null> = {
  "Some(OutOfGas)": "out of gas",
  "Some(ReentrancySentryOOG)": "out of gas: not enough gas for reentrancy sentry",
  "Some(StateChangeDuringStaticCall)": "out of gas: write protection",
  "Some(InvalidFEOpcode)": null,
};

const word64 = (v: string) => `0x${BigInt(v).toString(16).padStart(64, "0")}`;

const NORMALISATIONS: Normalisation[] = [
  {
    name: "4byte-precompiles",
    reason:
      "revm-inspectors' FourByteInspector counts calls into precompiles; go-ethereum's 4byteTracer " +
      "skips them (fourByteTracer.isPrecompiled in eth/tracers/native/4byte.go), so the entries of " +
      "precompile calls are removed from anvil's result. Which entries those are is decided from " +
      "anvil's own callTracer frames, never from Sonde's output.",
    applies: (t) => t.config.tracer === "4byteTracer",
    apply: async (result, ctx) => {
      const drop = precompileEntries(await ctx.callFrames(), new Map());
      const copy = { ...(result as Record<string, number>) };
      for (const [k, n] of drop) {
        if (copy[k] === undefined) continue;
        copy[k] -= n;
        if (copy[k]! <= 0) delete copy[k];
      }
      return copy;
    },
  },
  {
    name: "call-root-gas",
    reason:
      "revm-inspectors gives the top call frame the gas left after intrinsic gas; go-ethereum's " +
      "callTracer reports the transaction's gas limit there (callTracer.OnTxStart keeps tx.Gas() " +
      "and OnEnter at depth 0 uses it). The root frame's gas is set to the gas limit sent.",
    applies: (t) => t.config.tracer === "callTracer",
    apply: (result, ctx) => ({ ...(result as Json), gas: `0x${ctx.gasLimit.toString(16)}` }),
  },
  {
    name: "call-failed-root-logs",
    reason:
      "with withLog, revm-inspectors drops the logs of failed sub-calls but keeps those of a failed " +
      "top-level call; go-ethereum's clearFailedLogs (eth/tracers/native/call.go) clears the logs of " +
      "every failed frame, the root included. Logs are removed from anvil's root frame when it has an error.",
    applies: (t) => t.config.tracer === "callTracer",
    apply: (result) => {
      const r = result as Json;
      if (r.error === undefined || r.logs === undefined) return r;
      const { logs: _, ...rest } = r;
      return rest;
    },
  },
  {
    name: "call-error-text",
    reason:
      "revm-inspectors writes some frame errors as revm's InstructionResult name. " +
      "StateChangeDuringStaticCall is go-ethereum's ErrWriteProtection, which since go-ethereum " +
      "#33281 (Jan 2026) is raised by the gas functions and so wrapped by the interpreter as " +
      '"out of gas: write protection" (core/vm/interpreter.go, gas_table.go).',
    applies: (t) => t.config.tracer === "callTracer",
    apply: (result) => {
      const fix = (f: Json): Json => {
        const out: Json = { ...f };
        if (out.error === "StateChangeDuringStaticCall") out.error = "out of gas: write protection";
        if (Array.isArray(f.calls)) out.calls = (f.calls as Json[]).map(fix);
        return out;
      };
      return fix(result as Json);
    },
  },
  {
    name: "prestate-empty-accounts",
    reason:
      "revm-inspectors lists accounts that did not exist before the transaction (fresh recipients, " +
      "precompiles, contracts about to be created) as {balance: 0x0}; go-ethereum drops accounts " +
      "that were empty before execution (prestateTracer.OnTxEnd, unless includeEmpty). They are " +
      "removed from anvil's (pre) result.",
    applies: (t) => t.config.tracer === "prestateTracer",
    apply: (result) => {
      const r = result as Json;
      const prune = (accounts: Json) =>
        Object.fromEntries(Object.entries(accounts).filter(([, a]) => !isEmptyAccount(a as Json)));
      if (isDiff(r)) return { ...r, pre: prune(r.pre as Json) };
      return prune(r);
    },
  },
  {
    name: "prestate-codehash",
    reason:
      "go-ethereum's prestateTracer gives every account with code its codeHash (and, in diffMode, " +
      "the new codeHash in post when it changed); revm-inspectors has no codeHash field. It is " +
      "added to anvil's accounts as keccak256 of the code anvil reports.",
    applies: (t) => t.config.tracer === "prestateTracer",
    apply: (result) => {
      const r = result as Json;
      if (isDiff(r)) return { pre: withCodeHashes(r.pre as Json), post: withCodeHashes(r.post as Json) };
      return withCodeHashes(r);
    },
  },
  {
    name: "prestate-diff-missing-account",
    reason:
      "in diffMode, go-ethereum compares each looked-up account's code hash after the transaction " +
      "(StateDB.GetCodeHash: the zero hash for an account that does not exist) with the empty-code " +
      "hash it assumes before, so an account that exists neither before nor after (and did not " +
      "self-destruct) appears in post as {codeHash: 0x00…00}. revm-inspectors has no such entry. " +
      "This includes precompiles a call touched: go-ethereum creates the account, touches it and " +
      "deletes it again as empty at Finalise, which runs before OnTxEnd (core.ApplyTransactionWithEVM). " +
      "The entry is added for the accounts anvil's plain prestateTracer lists as empty, that anvil's " +
      "diff leaves out of post, that anvil's state says do not exist afterwards, and that anvil's " +
      "call frames do not show self-destructing.",
    applies: (t) => t.config.tracer === "prestateTracer" && isDiffConfig(t.config),
    apply: async (result, ctx) => {
      const r = result as { pre: Json; post: Json };
      const plain = await ctx.plainPrestate();
      const candidates = Object.entries(plain)
        .filter(([a, acc]) => isEmptyAccount(acc as Json) && !(a in r.post))
        .map(([a]) => a);
      if (candidates.length === 0) return r;
      const destroyed = new Set<string>();
      const walk = (f: Json) => {
        if (f.type === "SELFDESTRUCT" && typeof f.from === "string") destroyed.add(f.from.toLowerCase());
        for (const c of (f.calls ?? []) as Json[]) walk(c);
      };
      walk(await ctx.callFrames());
      const post = { ...r.post };
      for (const addr of candidates) {
        if (destroyed.has(addr.toLowerCase()) || (await ctx.existsAfter(addr))) continue;
        post[addr] = { codeHash: ZERO_HASH };
      }
      return { ...r, post };
    },
  },
  {
    name: "structlog-refund-after-sstore-gas",
    reason:
      "go-ethereum reads the refund counter for an entry after the instruction's dynamic gas, and " +
      "SSTORE's gas function adds/subtracts its refund there, so an SSTORE entry already shows its " +
      "own refund change (core/vm/interpreter.go calls OnOpcode after dynamicGas); revm-inspectors " +
      "records the counter before. A successful SSTORE entry of anvil takes the refund of the entry after it.",
    applies: (t) => t.config.tracer === undefined,
    apply: (result) => {
      const r = result as Json;
      const logs = r.structLogs as Json[];
      const out = logs.map((e, i) => {
        const next = logs[i + 1];
        if (e.op !== "SSTORE" || e.error !== undefined || next === undefined) return e;
        return { ...e, refund: next.refund ?? 0 };
      });
      return { ...r, structLogs: out };
    },
  },
  {
    name: "structlog-zero-refund",
    reason:
      'revm-inspectors writes "refund": 0 on every struct-log entry; go-ethereum\'s JSON form ' +
      "omits the field when the refund counter is zero (omitempty on RefundCounter in " +
      "eth/tracers/logger/logger.go structLogLegacy). Zero refunds are removed from anvil's entries.",
    applies: (t) => t.config.tracer === undefined,
    apply: (result) => {
      const r = result as Json;
      const logs = (r.structLogs as Json[]).map((e) => {
        if (e.refund !== 0) return e;
        const { refund: _, ...rest } = e;
        return rest;
      });
      return { ...r, structLogs: logs };
    },
  },
  {
    name: "structlog-step-errors",
    reason:
      "revm-inspectors fills an entry's error with the outcome of the instruction, as a Rust Debug " +
      'string ("Some(OutOfGas)"); go-ethereum only records the error that stopped the instruction ' +
      "before it ran (gas, stack and, since #33281, write-protection checks), with its own text, " +
      "and reports later failures such as INVALID through OnFault, which the struct logger does not " +
      "record. The names are mapped to go-ethereum's text (STRUCTLOG_ERRORS) or removed; unknown names stay and fail.",
    applies: (t) => t.config.tracer === undefined,
    apply: (result) => {
      const r = result as Json;
      const logs = (r.structLogs as Json[]).map((e) => {
        if (typeof e.error !== "string" || !(e.error in STRUCTLOG_ERRORS)) return e;
        const text = STRUCTLOG_ERRORS[e.error];
        const { error: _, ...rest } = e;
        return text === null ? rest : { ...rest, error: text };
      });
      return { ...r, structLogs: logs };
    },
  },
  {
    name: "structlog-failed-sstore-storage",
    reason:
      "go-ethereum's struct logger records the value an SSTORE writes in the entry's storage before " +
      "the instruction runs, even when it then fails; revm-inspectors shows the unchanged value. " +
      "For a failed SSTORE entry of anvil, the slot is set to the value on anvil's own stack.",
    applies: (t) => t.config.tracer === undefined,
    apply: (result) => {
      const r = result as Json;
      const logs = (r.structLogs as Json[]).map((e) => {
        const stack = e.stack as string[] | undefined;
        if (e.op !== "SSTORE" || e.error === undefined || stack === undefined || stack.length < 2) return e;
        const key = word64(stack[stack.length - 1]!);
        const value = word64(stack[stack.length - 2]!);
        return { ...e, storage: { ...((e.storage ?? {}) as Json), [key]: value } };
      });
      return { ...r, structLogs: logs };
    },
  },
  {
    name: "structlog-create-cost",
    reason:
      "for CREATE and CREATE2, revm-inspectors' gasCost includes the gas forwarded to the new " +
      "contract; go-ethereum's is the instruction's own cost (32000, initcode words, hashing, " +
      "memory), the forwarded gas being taken inside opCreate. anvil's trace does not carry the " +
      "instruction's own cost, so gasCost of CREATE/CREATE2 entries is left out of the comparison " +
      "on both sides; the gas of the entries that follow still checks what was forwarded and returned.",
    applies: (t) => t.config.tracer === undefined,
    apply: (result, ctx) => {
      const r = result as Json;
      (r.structLogs as Json[]).forEach((e, i) => {
        if (e.op === "CREATE" || e.op === "CREATE2") ctx.ignore(["structLogs", i, "gasCost"]);
      });
      return r;
    },
  },
  {
    name: "structlog-oog-cost",
    reason:
      "when an instruction runs out of gas, revm-inspectors reports the gas that was left as its " +
      "gasCost, go-ethereum the instruction's full cost (constant + dynamic); anvil's trace does not " +
      "carry that cost, so the gasCost of an entry whose error is plain out-of-gas is left out of " +
      "the comparison on both sides (its error, gas, stack and everything else still compared).",
    applies: (t) => t.config.tracer === undefined,
    apply: (result, ctx) => {
      const r = result as Json;
      (r.structLogs as Json[]).forEach((e, i) => {
        if (e.error === "out of gas") ctx.ignore(["structLogs", i, "gasCost"]);
      });
      return r;
    },
  },
];

function isDiff(r: Json): boolean {
  return typeof r.pre === "object" && typeof r.post === "object" && Object.keys(r).length === 2;
}

function isDiffConfig(c: TraceConfig): boolean {
  return (c.tracerConfig as Json | undefined)?.diffMode === true;
}

/**
 * Comparisons where Sonde departs from go-ethereum (HEAD of the mirror, 2026-08), run with
 * it.fails so they turn red once Sonde is fixed. Keys are `${tracer name} | ${step name}`.
 * None at present.
 */
const SONDE_KNOWN_BUGS = new Set<string>([]);

// ---------------------------------------------------------------------------------------

let anvil: Anvil | undefined;
let txs: Map<string, SentTx>;
let deployed: Deployed;
const replays = new Map<string, Promise<Replay>>();

function node(): Anvil {
  if (anvil === undefined) throw new Error("anvil did not start (see the beforeAll error)");
  return anvil;
}

function replayOf(step: string): Promise<Replay> {
  let r = replays.get(step);
  if (r === undefined) {
    const tx = txs.get(step);
    if (tx === undefined) throw new Error(`no transaction for step "${step}"`);
    r = prepareTransaction(node(), tx.hash, FORK, CHAIN_ID);
    replays.set(step, r);
  }
  return r;
}

/** Selectors ("0x12345678-N" keys) of calls into precompiles, from anvil's callTracer frames. */
function precompileEntries(frame: Json, out: Map<string, number>): Map<string, number> {
  const to = typeof frame.to === "string" ? BigInt(frame.to) : -1n;
  const input = typeof frame.input === "string" ? frame.input : "0x";
  if (to >= 1n && to <= PRECOMPILE_MAX && input.length >= 10) {
    const key = `${input.slice(0, 10)}-${(input.length - 10) / 2}`;
    out.set(key, (out.get(key) ?? 0) + 1);
  }
  for (const c of (frame.calls ?? []) as Json[]) precompileEntries(c, out);
  return out;
}

async function anvilTrace(method: "tx" | "call", target: unknown, config: TraceConfig): Promise<unknown> {
  const cfg: Json = { ...config };
  if (method === "tx") return node().rpc("debug_traceTransaction", [target, cfg]);
  const [msg, block] = target as [Json, string];
  return node().rpc("debug_traceCall", [msg, block, cfg]);
}

/** Applies the normalisation rules for `tracer` to anvil's result; returns it and the paths to ignore. */
async function normalise(
  tracer: TracerCase,
  result: unknown,
  target: { method: "tx" | "call"; value: unknown; gasLimit: bigint; after: string },
): Promise<{ expected: unknown; ignored: (string | number)[][] }> {
  let out = result;
  const ignored: (string | number)[][] = [];
  const ctx: RuleContext = {
    gasLimit: target.gasLimit,
    callFrames: async () => (await anvilTrace(target.method, target.value, { tracer: "callTracer" })) as Json,
    plainPrestate: async () =>
      (await anvilTrace(target.method, target.value, { tracer: "prestateTracer" })) as Json,
    existsAfter: async (address) => {
      const [balance, nonce, code] = await node().batch<string>([
        ["eth_getBalance", [address, target.after]],
        ["eth_getTransactionCount", [address, target.after]],
        ["eth_getCode", [address, target.after]],
      ]);
      return BigInt(balance!) !== 0n || BigInt(nonce!) !== 0n || code !== "0x";
    },
    ignore: (path) => {
      ignored.push(path);
    },
  };
  for (const rule of NORMALISATIONS) {
    if (rule.applies(tracer)) out = await rule.apply(out, ctx);
  }
  return { expected: out, ignored };
}

/** Deletes `paths` from a JSON value (in place) so they are not compared. */
function dropPaths(value: unknown, paths: (string | number)[][]): void {
  for (const path of paths) {
    let node = value as Record<string | number, unknown> | undefined;
    for (let i = 0; i < path.length - 1 && node !== undefined; i++) {
      node = node[path[i]!] as Record<string | number, unknown> | undefined;
    }
    if (node !== undefined && typeof node === "object") delete node[path[path.length - 1]!];
  }
}

/** Compares anvil's (normalised) result with Sonde's; fails with the differences. */
function compare(
  norm: { expected: unknown; ignored: (string | number)[][] },
  actual: unknown,
  replay: Replay,
) {
  const expected = structuredClone(norm.expected);
  dropPaths(expected, norm.ignored);
  dropPaths(actual, norm.ignored);
  if (jsonDifferences(expected, actual).length > 0) expect.fail(describeDiff(expected, actual, replay));
}

function describeDiff(anvilResult: unknown, sonde: unknown, replay: Replay): string {
  const diffs = jsonDifferences(anvilResult, sonde);
  return [
    `${diffs.length} difference(s) (expected = anvil, got = Sonde):`,
    ...diffs,
    `pre-state accounts: ${Object.keys(replay.alloc).join(", ")}`,
  ].join("\n");
}

beforeAll(async () => {
  anvil = await startAnvil(SETTINGS);
  ({ txs, deployed } = await runScenario(anvil));
}, 30_000);

afterAll(() => {
  anvil?.stop();
});

describe("scenario", () => {
  it("mined every transaction with the expected status", () => {
    const failed = [...txs.values()].filter((t) => !t.status).map((t) => t.name);
    expect(failed).toEqual([
      "failWith(0): revert with reason",
      "failWith(1): revert with custom error",
      "failWith(2): panic: division by zero",
      "failWith(3): panic: array out of bounds",
      "failWith(4): panic: assert",
      "failWith(5): require without reason",
      "failWith(6): INVALID opcode",
      "failWith(7): panic: overflow",
      "failWith(8): revert with file-level error",
      "top-level out of gas",
      "deploy whose constructor reverts",
    ]);
    expect(txs.size).toBe(STEPS.length);
  });
});

for (const tracer of TRACERS) {
  describe(`debug_traceTransaction ${tracer.name}`, () => {
    for (const step of STEPS) {
      const key = `${tracer.name} | ${step.name}`;
      const test = SONDE_KNOWN_BUGS.has(key) ? it.fails : it;
      test(step.name, async () => {
        const tx = txs.get(step.name)!;
        const replay = await replayOf(step.name);
        const raw = await anvilTrace("tx", tx.hash, tracer.config);
        const norm = await normalise(tracer, raw, {
          method: "tx",
          value: tx.hash,
          gasLimit: replay.tx.gasLimit,
          after: `0x${replay.block.number.toString(16)}`,
        });
        compare(norm, sondeTrace(replay, FORK, tracer.config), replay);
      });
    }
  });
}

// debug_traceCall at `latest`: a message with custom input to a deployed contract.
const CALLS: { name: string; message: (d: Deployed) => CallMessage }[] = [
  {
    name: "staticPing through Probe",
    message: (d) => ({
      from: ACCOUNTS[2],
      to: d.probe,
      data: calldata("Probe", "staticPing(address,uint256)", [d.child, 41n]),
      gas: 500_000n,
      gasPrice: 5_000_000_000n,
    }),
  },
  {
    name: "setMany (writes and logs, not committed)",
    message: (d) => ({
      from: ACCOUNTS[3],
      to: d.probe,
      data: calldata("Probe", "setMany(uint256,uint256)", [2n, 77n]),
      gas: 500_000n,
      gasPrice: 5_000_000_000n,
    }),
  },
  {
    name: "failWith(1): custom error",
    message: (d) => ({
      from: ACCOUNTS[3],
      to: d.probe,
      data: calldata("Probe", "failWith(uint256)", [1n]),
      gas: 300_000n,
      gasPrice: 5_000_000_000n,
      value: 3n,
    }),
  },
];

// anvil's debug_traceCall rejects 4byteTracer ("unsupported tracer type"), so it is not compared there.
for (const tracer of TRACERS.filter((t) => t.config.tracer !== "4byteTracer")) {
  describe(`debug_traceCall ${tracer.name}`, () => {
    for (const c of CALLS) {
      const key = `${tracer.name} | call ${c.name}`;
      const test = SONDE_KNOWN_BUGS.has(key) ? it.fails : it;
      test(c.name, async () => {
        const msg = c.message(deployed);
        const replay = await prepareCall(node(), msg, FORK, CHAIN_ID);
        const rpcMsg: Json = {
          from: msg.from,
          to: msg.to,
          data: msg.data,
          gas: `0x${msg.gas.toString(16)}`,
          gasPrice: `0x${msg.gasPrice.toString(16)}`,
        };
        if (msg.value !== undefined) rpcMsg.value = `0x${msg.value.toString(16)}`;
        const target = [rpcMsg, "latest"];
        const raw = await anvilTrace("call", target, tracer.config);
        // The call is not committed: the state "after" it, for rules that ask, is the latest block's.
        const norm = await normalise(tracer, raw, {
          method: "call",
          value: target,
          gasLimit: msg.gas,
          after: "latest",
        });
        compare(norm, sondeTrace(replay, FORK, tracer.config), replay);
      });
    }
  });
}
