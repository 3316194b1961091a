/**
 * Injected divergences: a correct `sonde node` (A) and a second one running an engine
 * variant (B, one rule deliberately changed, src/evm/variants.ts) are fed the same
 * transactions at the same timestamps; `diffExecutions` must name the exact transaction,
 * call frame and opcode step where B departs, every time.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type StartedNode, startNode } from "../cli/node.js";
import { devAccounts, devGenesisJson } from "../node/devchain.js";
import { createAddress } from "../primitives/address.js";
import type { Address } from "../primitives/hex.js";
import { RpcClient } from "../remote/rpc-client.js";
import { ALL_APIS } from "../rpc/server.js";
import { signTransaction } from "../tx/sender.js";
import type { FeeMarketTransaction } from "../tx/types.js";
import { type DiffReport, diffExecutions } from "./ladder.js";
import { formatLadderReport } from "./ladder-report.js";
import { LocalSource } from "./local-source.js";
import { type BlockView, type DiffSource, RpcSource } from "./sources.js";
import { stepFromStructLog } from "./steps.js";

const alice = devAccounts()[0]!;
const GWEI = 10n ** 9n;

/** Init code returning `runtime` (hex without 0x). */
function deployCode(runtime: string): Uint8Array {
  const len = runtime.length / 2;
  const l = len.toString(16).padStart(2, "0");
  // PUSH1 len PUSH1 10 PUSH0 CODECOPY PUSH1 len PUSH0 RETURN, then the runtime.
  return Buffer.from(`60${l}600a5f3960${l}5ff3${runtime}`, "hex");
}

// Runtimes (hand-assembled):
const ROUTER = "5f5f5f5f5f5f3560601c5af100"; // CALL(gas, calldata[0:20], 0, 0, 0, 0, 0); STOP
const LOGGER = "60aa5f5fa100"; // LOG1(0, 0, 0xaa)
const FACTORY = "435f5f5ff500"; // CREATE2(0, 0, 0, salt = NUMBER)
const MEMORY = "600161040052" + "00"; // MSTORE(0x400, 1); STOP
const HASHER = "60205f5f5f60025afa505f515f5500"; // STATICCALL sha256(""); SSTORE(0, digest)
const TOGGLE = "5f54155f5500"; // SSTORE(0, ISZERO(SLOAD(0)))

const CONTRACTS = { ROUTER, LOGGER, FACTORY, MEMORY, HASHER, TOGGLE };
type Name = keyof typeof CONTRACTS;
const NAMES = Object.keys(CONTRACTS) as Name[];
const address: Record<Name, Address> = Object.fromEntries(
  NAMES.map((n, i) => [n, createAddress(alice.address, BigInt(i))]),
) as Record<Name, Address>;

function tx(nonce: bigint, to: Address | null, data: Uint8Array): FeeMarketTransaction {
  return signTransaction(
    {
      type: 2,
      chainId: 1337n,
      nonce,
      maxPriorityFeePerGas: GWEI,
      maxFeePerGas: 100n * GWEI,
      gasLimit: 300_000n,
      to,
      value: 0n,
      data,
      accessList: [],
      yParity: 0,
      r: 0n,
      s: 0n,
    },
    alice.key,
  );
}

/** The traffic: deployments in block 1, then one routed call per block. */
const CALLS: Name[] = ["LOGGER", "FACTORY", "MEMORY", "HASHER", "TOGGLE", "TOGGLE"];
const BLOCK_OF = (k: number) => BigInt(k + 2); // call k is in block k + 2

let dir: string;

async function startPair(variant: string | undefined): Promise<[StartedNode, StartedNode]> {
  const apis = new Set<string>(ALL_APIS);
  const common = {
    genesisFile: join(dir, "genesis.json"),
    http: { host: "127.0.0.1", port: 0, apis },
    blockTime: 0,
    mining: false,
    gcmode: "archive" as const,
    prevRandao: "derived" as const,
  };
  const a = await startNode(common);
  const b = await startNode(variant === undefined ? common : { ...common, engineVariant: variant });
  let nonce = 0n;
  const t0 = 1_000_000n;
  const feed = (t: FeeMarketTransaction[], timestamp: bigint) => {
    for (const n of [a.node, b.node]) {
      for (const x of t) n.submit(x);
      n.setNextBlockTimestamp(timestamp);
      n.seal();
    }
  };
  feed(
    NAMES.map((n) => tx(nonce++, null, deployCode(CONTRACTS[n]))),
    t0 + 12n,
  );
  CALLS.forEach((name, k) => {
    feed(
      [tx(nonce++, address.ROUTER, Buffer.from(address[name].slice(2), "hex"))],
      t0 + 24n + 12n * BigInt(k),
    );
  });
  return [a, b];
}

async function diffBlock(pair: [StartedNode, StartedNode], block: bigint): Promise<DiffReport> {
  const src = (s: StartedNode, label: string) => new RpcSource(label, new RpcClient(s.server.httpUrl));
  return diffExecutions(src(pair[0], "A"), src(pair[1], "B"), { block });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "sonde-ladder-"));
  const g = devGenesisJson({ timestamp: 1_000_000n });
  (g.alloc as Record<string, unknown>)[alice.address] = { balance: "0x21e19e0c9bab2400000" };
  writeFileSync(join(dir, "genesis.json"), JSON.stringify(g));
  await (await import("../tracers/js/index.js")).initJsTracers();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Expectation {
  variant: string;
  /** Index into CALLS of the first diverging transaction. */
  call: number;
  /** traceAddress of the first diverging frame. */
  frame: number[];
  /** Opcode name and field of the first diverging step (or of the step that emitted the log). */
  op: string;
  field: string;
}

const CASES: Expectation[] = [
  { variant: "log-topic", call: 0, frame: [0], op: "LOG1", field: "log" },
  { variant: "create2-address", call: 1, frame: [0, 0], op: "STOP", field: "stack" },
  { variant: "memory-boundary", call: 2, frame: [0], op: "MSTORE", field: "gasCost" },
  { variant: "sha256-result", call: 3, frame: [0, 0], op: "PUSH0", field: "stack" },
  { variant: "sstore-gas", call: 3, frame: [0], op: "SSTORE", field: "gasCost" },
  // Refunds are applied to the transaction, so only the root frame's gasUsed differs.
  { variant: "refund", call: 5, frame: [], op: "SSTORE", field: "refund" },
];

describe("sonde diff finds injected divergences", () => {
  it("reports no divergence between two correct nodes, block by block", async () => {
    const pair = await startPair(undefined);
    try {
      for (let n = 1n; n <= BLOCK_OF(CALLS.length - 1); n++) {
        const r = await diffBlock(pair, n);
        expect(r.divergence, formatLadderReport(r)).toBeNull();
        expect(r.levels.find((l) => l.level === "header")?.status).toBe("equal");
      }
    } finally {
      await pair[0].close();
      await pair[1].close();
    }
  });

  it("local: Sonde's engine replaying a node agrees with a correct node and finds a wrong one", async () => {
    const pair = await startPair("sstore-gas");
    const url = (s: StartedNode) => s.server.httpUrl;
    try {
      for (const n of [1n, 2n, BLOCK_OF(3)]) {
        const ok = await diffExecutions(
          new RpcSource("A", new RpcClient(url(pair[0]))),
          new LocalSource("local:A", new RpcClient(url(pair[0]))),
          { block: n },
        );
        expect(ok.divergence, formatLadderReport(ok)).toBeNull();
        expect(ok.levels.find((l) => l.level === "header")?.detail).toBe("header fields equal");
      }
      // B runs the sstore-gas variant; replaying B's chain with the correct engine parts
      // from B at the hasher's SSTORE.
      const r = await diffExecutions(
        new RpcSource("B", new RpcClient(url(pair[1]))),
        new LocalSource("local:B", new RpcClient(url(pair[1]))),
        { block: BLOCK_OF(3) },
      );
      const text = formatLadderReport(r);
      expect(r.divergence?.txIndex, text).toBe(0);
      expect(r.divergence?.callPath?.at(-1)?.traceAddress, text).toEqual([0]);
      expect(r.divergence?.step?.a?.opName, text).toBe("SSTORE");
      expect(r.levels.find((l) => l.level === "header")?.differences.map((d) => d.what)).toEqual([
        "receiptsRoot",
        "gasUsed",
      ]);
    } finally {
      await pair[0].close();
      await pair[1].close();
    }
  });

  for (const c of CASES) {
    it(`${c.variant}: names transaction ${c.call + 1}, frame [${c.frame.join(",")}], ${c.op}`, async () => {
      const pair = await startPair(c.variant);
      try {
        // Blocks before the one with the diverging call are equal.
        const before = await diffBlock(pair, BLOCK_OF(c.call) - 1n);
        expect(before.divergence).toBeNull();
        expect(before.verdict).toMatch(/^no divergence/);
        const r = await diffBlock(pair, BLOCK_OF(c.call));
        const text = formatLadderReport(r);
        expect(r.divergence?.kind, text).toBe("transaction");
        expect(r.divergence?.txIndex, text).toBe(0);
        const hash = r.divergence?.txHash;
        expect(hash).toMatch(/^0x[0-9a-f]{64}$/);
        const path = r.divergence?.callPath?.map((f) => f.traceAddress);
        expect(path?.at(-1), text).toEqual(c.frame);
        const step = r.divergence?.step;
        if (c.field === "log") {
          expect(r.divergence?.logStep?.opName, text).toBe(c.op);
        } else {
          expect(step?.kind, text).toBe("fields");
          const s = step?.a;
          expect(s?.opName, text).toBe(c.op);
          expect(
            step?.fields.map((f) => f.field),
            text,
          ).toContain(c.field);
        }
        expect(r.verdict).toMatch(new RegExp(`^DIVERGED: block ${BLOCK_OF(c.call)} tx 0 \\(${hash}\\)`));
      } finally {
        await pair[0].close();
        await pair[1].close();
      }
    });
  }
});

describe("firstFrameDifference", () => {
  it("finds the first differing frame in execution order, names known functions, and the first differing log", async () => {
    const { firstFrameDifference } = await import("./ladder.js");
    const transfer = `0xa9059cbb${"00".repeat(64)}`;
    const frame = (gasUsed: string, logs: unknown[] = [], calls: unknown[] = []) => ({
      type: "CALL",
      from: "0x01",
      to: "0x02",
      input: transfer,
      gasUsed,
      logs,
      calls,
    });
    const log = (t: string) => ({ address: "0x02", topics: [t], data: "0x" });
    const a = frame("0x10", [], [frame("0x5", [log("0x1"), log("0x2")]), frame("0x6")]);
    const b = frame("0x11", [], [frame("0x5", [log("0x1"), log("0x3")]), frame("0x7")]);
    const d = firstFrameDifference(a, b, []);
    expect(d?.path.map((f) => f.traceAddress)).toEqual([[], [0]]);
    expect(d?.path[1]?.function).toBe("transfer(address,uint256)");
    expect(d?.diffs.map((x) => x.what)).toEqual(["logs"]);
    expect(d?.logIndex).toBe(1);
    // A child count difference is reported at the parent, after the common children.
    const c = frame("0x10", [], [frame("0x5", [log("0x1"), log("0x2")])]);
    const e = firstFrameDifference(
      frame("0x10", [], [frame("0x5", [log("0x1"), log("0x2")]), frame("0x6")]),
      c,
      [],
    );
    expect(e?.path.map((f) => f.traceAddress)).toEqual([[]]);
    expect(e?.diffs.map((x) => x.what)).toEqual(["number of calls"]);
    expect(firstFrameDifference(a, structuredClone(a), [])).toBeNull();
  });
});

/** An in-memory source: one block of one transaction, with the given traces. */
function memorySource(
  label: string,
  data: {
    prestateDiff: unknown;
    structLogs: Record<string, unknown>[];
    gasUsed?: string;
    clientVersion?: string;
    txType?: string;
    receipt?: Record<string, unknown>;
    frame?: Record<string, unknown>;
    /** Further header fields of block 1. */
    header?: Record<string, unknown>;
    /** The header of block 0, when the source serves it. */
    genesis?: Record<string, unknown>;
  },
): DiffSource {
  const hash = `0x${"11".repeat(32)}`;
  const block: BlockView = {
    number: 1n,
    hash: `0x${"22".repeat(32)}`,
    header: { gasUsed: data.gasUsed ?? "0x5208", ...data.header },
    transactions: [hash],
    transactionObjects: [{ hash, gas: "0x30d40", type: data.txType ?? "0x2" }],
    withdrawals: undefined,
  };
  const frame = data.frame ?? {
    type: "CALL",
    from: "0x01",
    to: "0x02",
    gas: "0x30d40",
    gasUsed: "0x5208",
    input: "0x",
  };
  return {
    label,
    clientVersion: async () => data.clientVersion ?? "Geth/v1.16.0-stable",
    blockByNumber: async (n) =>
      n === 1n
        ? block
        : n === 0n && data.genesis !== undefined
          ? { ...block, number: 0n, header: data.genesis, transactions: [], transactionObjects: [] }
          : undefined,
    locate: async (h) => (h === hash ? { block: 1n, index: 0 } : undefined),
    receipts: async () => [
      data.receipt ?? { status: "0x1", cumulativeGasUsed: data.gasUsed ?? "0x5208", logs: [] },
    ],
    traceBlock: async () => [data.prestateDiff],
    traceTransaction: async (_h, config) =>
      config.tracer === "prestateTracer" ? data.prestateDiff : structuredClone(frame),
    structLogs: async () => {
      const steps = data.structLogs.map((s) => stepFromStructLog(s));
      return {
        steps: (async function* () {
          yield* steps;
        })(),
        result: () => ({}),
      };
    },
    balanceAt: async () => 0n,
    existsAt: async () => true,
    storageAt: async () => 0n,
    intermediateRoots: async () => undefined,
  };
}

describe("the ladder over in-memory sources", () => {
  const step = (pc: number, op: string, gas: number) => ({ pc, op, gas, gasCost: 3, depth: 1, stack: [] });
  const account = "0x00000000000000000000000000000000000000aa";
  const sender = { [`0x${"bb".repeat(20)}`]: { balance: "0x10" } };

  it("finds a transaction whose post-states agree but whose pre-states (what it changed) differ", async () => {
    // A clears slot 1 of the account (1 → 0: geth lists the slot in pre only), B leaves it.
    const a = memorySource("A", {
      prestateDiff: {
        pre: {
          ...sender,
          [account]: { balance: "0x1", storage: { [`0x${"0".repeat(63)}1`]: `0x${"0".repeat(63)}1` } },
        },
        post: { ...sender, [account]: { balance: "0x2" } },
      },
      structLogs: [step(0, "STOP", 100)],
    });
    const b = memorySource("B", {
      prestateDiff: {
        pre: { ...sender, [account]: { balance: "0x1" } },
        post: { ...sender, [account]: { balance: "0x2" } },
      },
      structLogs: [step(0, "STOP", 100)],
    });
    const r = await diffExecutions(a, b, { block: 1n });
    const text = formatLadderReport(r);
    expect(r.divergence?.kind, text).toBe("transaction");
    expect(r.divergence?.txIndex, text).toBe(0);
    const level = r.levels.find((l) => l.level === "post-state");
    expect(level?.status, text).toBe("different");
    expect(level?.differences[0]?.what, text).toContain(account);
  });

  it("names the side whose opcode trace is longer", async () => {
    const same = { pre: sender, post: sender };
    const a = memorySource("A", {
      prestateDiff: same,
      structLogs: [step(0, "PUSH0", 100), step(1, "STOP", 98)],
      gasUsed: "0x5209",
    });
    const b = memorySource("B", { prestateDiff: same, structLogs: [step(0, "PUSH0", 100)] });
    const r = await diffExecutions(a, b, { block: 1n });
    const text = formatLadderReport(r);
    expect(r.divergence?.step?.kind, text).toBe("length");
    expect(r.levels.find((l) => l.level === "opcodes")?.detail, text).toMatch(/trace of A is longer/);
    expect(r.verdict, text).toMatch(/trace of A is longer/);
  });

  it("lists the streamed struct-log rules applied to an anvil side with their reasons and step counts, and only those", async () => {
    const same = { pre: sender, post: sender };
    const create = (cost: number) => ({ ...step(1, "CREATE", 98), gasCost: cost });
    const a = memorySource("A", {
      prestateDiff: same,
      structLogs: [step(0, "PUSH0", 100), create(60_000), create(61_000), step(2, "STOP", 90)],
      gasUsed: "0x5209",
      clientVersion: "anvil/v1.7.1",
    });
    const b = memorySource("B", {
      prestateDiff: same,
      structLogs: [step(0, "PUSH0", 100), create(32_000), create(32_000), step(2, "STOP", 90)],
    });
    const r = await diffExecutions(a, b, { block: 1n });
    const text = formatLadderReport(r);
    const { NORMALISATION_RULES } = await import("./normalise.js");
    const notes = r.normalisations.filter((n) => n.rule.startsWith("structlog-"));
    expect(notes.length, text).toBeGreaterThan(0);
    for (const n of notes) {
      expect(n.side).toBe("A");
      expect(n.reason).toBe(NORMALISATION_RULES.find((x) => x.name === n.rule)?.reason);
    }
    // Only the rule that changed a step is listed (not the zero-refund, error or SSTORE rules).
    expect(
      notes.map((n) => [n.rule, n.steps]),
      text,
    ).toEqual([["structlog-create-cost", 2]]);
    expect(text).toMatch(/^ {2}A: structlog-create-cost \(2 steps\) — /m);
    expect(r.levels.find((l) => l.level === "opcodes")?.status, text).toBe("equal");
  });

  it("lists no struct-log rule when none changed a step", async () => {
    const same = { pre: sender, post: sender };
    const logs = [step(0, "PUSH0", 100), step(1, "STOP", 98)];
    const a = memorySource("A", { prestateDiff: same, structLogs: logs, clientVersion: "anvil/v1.7.1" });
    const b = memorySource("B", { prestateDiff: same, structLogs: logs });
    const r = await diffExecutions(a, b, { tx: `0x${"11".repeat(32)}` });
    const text = formatLadderReport(r);
    expect(r.levels.find((l) => l.level === "opcodes")?.status, text).toBe("equal");
    expect(
      r.normalisations.filter((n) => n.rule.startsWith("structlog-")),
      text,
    ).toEqual([]);
  });

  it("an EIP-7702 transaction: go-ethereum's authorization refund before the first step is no divergence from anvil", async () => {
    const same = { pre: sender, post: sender };
    const withRefund = (refund: number) => [
      { ...step(0, "PUSH0", 100), refund },
      { ...step(1, "STOP", 98), refund },
    ];
    const a = memorySource("A", {
      prestateDiff: same,
      structLogs: withRefund(0),
      gasUsed: "0x5209",
      clientVersion: "anvil/v1.7.1",
      txType: "0x4",
    });
    const b = memorySource("B", { prestateDiff: same, structLogs: withRefund(12500), txType: "0x4" });
    const r = await diffExecutions(a, b, { block: 1n });
    const text = formatLadderReport(r);
    expect(r.levels.find((l) => l.level === "opcodes")?.status, text).toBe("equal");
    expect(
      r.normalisations.map((n) => `${n.side}:${n.rule}`),
      text,
    ).toContain("B:structlog-setcode-auth-refund");
  });

  it("anvil's first-block base fee: the rule is applied and listed, and the verdict names the header field", async () => {
    const genesis = { number: "0x0", baseFeePerGas: "0x3b9aca00", gasUsed: "0x0", gasLimit: "0x1c9c380" };
    const paid = (balance: string) => ({ pre: sender, post: { [`0x${"bb".repeat(20)}`]: { balance } } });
    const logs = [step(0, "STOP", 100)];
    const a = memorySource("A", {
      prestateDiff: paid("0x8"),
      structLogs: logs,
      clientVersion: "anvil/v1.7.1",
      header: { baseFeePerGas: "0x3b9aca00" },
      genesis,
    });
    const b = memorySource("B", {
      prestateDiff: paid("0x9"),
      structLogs: logs,
      header: { baseFeePerGas: "0x342770c0" },
      genesis,
    });
    const r = await diffExecutions(a, b, { block: 1n });
    const text = formatLadderReport(r);
    const { ANVIL_FIRST_BLOCK_BASE_FEE } = await import("./normalise.js");
    expect(r.normalisations, text).toContainEqual({
      side: "A",
      rule: "anvil-first-block-base-fee",
      reason: ANVIL_FIRST_BLOCK_BASE_FEE.reason,
    });
    expect(r.levels.find((l) => l.level === "post-state")?.status, text).toBe("different");
    expect(r.divergence?.inputDifferences, text).toEqual([
      { what: "baseFeePerGas", a: "0x3b9aca00", b: "0x342770c0" },
    ]);
    expect(r.verdict, text).toBe(
      "DIVERGED: block 1 header baseFeePerGas differs (0x3b9aca00 ≠ 0x342770c0: anvil's first-block base fee, " +
        "rule anvil-first-block-base-fee), an input of the execution; first consequence: block 1 tx 0 " +
        `(0x${"11".repeat(32)}), tx 0 post-state of 0x${"bb".repeat(20)}: {"balance":"0x8"} ≠ {"balance":"0x9"}`,
    );
    // Not anvil, or not the quirk (anvil derived its base fee as go-ethereum does): no rule, the field still named.
    const geth = memorySource("A", {
      prestateDiff: paid("0x8"),
      structLogs: logs,
      header: { baseFeePerGas: "0x3b9aca00" },
      genesis,
    });
    const r2 = await diffExecutions(geth, b, { block: 1n });
    expect(r2.normalisations.map((n) => n.rule)).not.toContain("anvil-first-block-base-fee");
    expect(r2.verdict).toMatch(
      /^DIVERGED: block 1 header baseFeePerGas differs \(0x3b9aca00 ≠ 0x342770c0\), an input/,
    );
    const derived = memorySource("A", {
      prestateDiff: paid("0x8"),
      structLogs: logs,
      clientVersion: "anvil/v1.7.1",
      header: { baseFeePerGas: "0x3b9aca01" },
      genesis,
    });
    const r3 = await diffExecutions(derived, b, { block: 1n });
    expect(r3.normalisations.map((n) => n.rule)).not.toContain("anvil-first-block-base-fee");
  });

  it("--tx on two equal executions: no divergence", async () => {
    const same = { pre: sender, post: sender };
    const data = { prestateDiff: same, structLogs: [step(0, "PUSH0", 100), step(1, "STOP", 98)] };
    const r = await diffExecutions(memorySource("A", data), memorySource("B", data), {
      tx: `0x${"11".repeat(32)}`,
    });
    const text = formatLadderReport(r);
    expect(r.divergence, text).toBeNull();
    expect(r.verdict, text).toMatch(/^no divergence in block 1 tx 0 /);
    expect(r.levels.find((l) => l.level === "opcodes")?.status, text).toBe("equal");
  });

  it("an empty opcode trace from a side whose call tree agrees is unavailable, not a divergence (anvil without --steps-tracing)", async () => {
    const same = { pre: sender, post: sender };
    const a = memorySource("A", { prestateDiff: same, structLogs: [], clientVersion: "anvil/v1.7.1" });
    const b = memorySource("B", {
      prestateDiff: same,
      structLogs: [step(0, "PUSH0", 100), step(1, "STOP", 98)],
    });
    const r = await diffExecutions(a, b, { tx: `0x${"11".repeat(32)}` });
    const text = formatLadderReport(r);
    const level = r.levels.find((l) => l.level === "opcodes");
    expect(level?.status, text).toBe("unavailable");
    expect(level?.detail, text).toMatch(/A returned no opcode steps.*--steps-tracing/);
    expect(r.divergence, text).toBeNull();
  });

  it("anvil's root gasUsed (the block's cumulative gas) is normalised with that side's receipt", async () => {
    const same = { pre: sender, post: sender };
    // As for a transaction after another of 0x5208 gas in its block.
    const receipt = { status: "0x1", cumulativeGasUsed: "0xa410", gasUsed: "0x5208", logs: [] };
    const frame = (gasUsed: string) => ({
      type: "CALL",
      from: "0x01",
      to: "0x02",
      gas: "0x30d40",
      gasUsed,
      input: "0x",
    });
    const steps = [step(0, "STOP", 100)];
    const a = memorySource("A", {
      prestateDiff: same,
      structLogs: steps,
      clientVersion: "anvil/v1.7.1",
      receipt,
      frame: frame("0xa410"),
    });
    const b = memorySource("B", { prestateDiff: same, structLogs: steps, receipt, frame: frame("0x5208") });
    const r = await diffExecutions(a, b, { tx: `0x${"11".repeat(32)}` });
    const text = formatLadderReport(r);
    expect(r.levels.find((l) => l.level === "call tree")?.status, text).toBe("equal");
    expect(
      r.normalisations.map((n) => `${n.side}:${n.rule}`),
      text,
    ).toContain("A:call-root-gas-used-cumulative");
  });
});
