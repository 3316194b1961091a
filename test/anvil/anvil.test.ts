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
 * rule with its reason in src/compare/normalise.ts (REVM_INSPECTORS_RULES; RULES below
 * lists the ones used here). Everything else must match. Where Sonde itself departs from
 * go-ethereum, the comparison is marked in SONDE_KNOWN_BUGS (it.fails).
 *
 * The anvil binary comes from the devDependency @foundry-rs/anvil-linux-amd64; when it is
 * missing the suite fails (it does not skip).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  dropPaths,
  type JsonPath,
  normaliseTrace,
  REVM_INSPECTORS_RULES,
} from "../../src/compare/normalise.js";
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

async function anvilTrace(method: "tx" | "call", target: unknown, config: TraceConfig): Promise<unknown> {
  const cfg: Json = { ...config };
  if (method === "tx") return node().rpc("debug_traceTransaction", [target, cfg]);
  const [msg, block] = target as [Json, string];
  return node().rpc("debug_traceCall", [msg, block, cfg]);
}

/**
 * The rules of src/compare/normalise.ts this suite applies: the ones it was written with.
 * Rules added later for node-compare.test.ts (several transactions per block, precompile
 * failures, EIP-7702, out-of-gas slots) mostly leave fields out of the comparison, and this
 * suite's scenario does not need them.
 */
const RULES = REVM_INSPECTORS_RULES.filter((r) =>
  [
    "4byte-precompiles",
    "call-root-gas",
    "call-failed-root-logs",
    "call-error-text",
    "prestate-empty-accounts",
    "prestate-codehash",
    "prestate-diff-missing-account",
    "structlog-refund-after-sstore-gas",
    "structlog-zero-refund",
    "structlog-step-errors",
    "structlog-failed-sstore-storage",
    "structlog-create-cost",
    "structlog-oog-cost",
  ].includes(r.name),
);

/** Applies the revm-inspectors normalisation rules (src/compare/normalise.ts) to anvil's result. */
async function normalise(
  tracer: TracerCase,
  result: unknown,
  target: { method: "tx" | "call"; value: unknown; gasLimit: bigint; after: string },
): Promise<{ expected: unknown; ignored: JsonPath[] }> {
  const { value, ignored } = await normaliseTrace(
    result,
    "revm-inspectors",
    tracer.config,
    {
      gasLimit: target.gasLimit,
      callFrames: async () =>
        (await anvilTrace(target.method, target.value, { tracer: "callTracer" })) as Json,
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
    },
    RULES,
  );
  return { expected: value, ignored };
}

/** Compares anvil's (normalised) result with Sonde's; fails with the differences. */
function compare(norm: { expected: unknown; ignored: JsonPath[] }, actual: unknown, replay: Replay) {
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
