import { describe, expect, it } from "vitest";
import { devAccounts } from "../node/devchain.js";
import type { Address } from "../primitives/hex.js";
import type { TraceConfig } from "../tracers/types.js";
import { signAuthorization } from "../tx/sender.js";
import {
  dropPaths,
  type NormaliseSource,
  normaliseTrace,
  REVM_INSPECTORS_RULES,
  rulesFor,
  tracerKind,
} from "./normalise.js";

type Json = Record<string, unknown>;

const A = "0x00000000000000000000000000000000000000aa";
const B = "0x00000000000000000000000000000000000000bb";
const C = "0x00000000000000000000000000000000000000cc";
const ZERO_HASH = `0x${"0".repeat(64)}`;
// keccak256(0x6001) and keccak256(0x00)
const HASH_6001 = "0x309c67890bde4c575dc23d2cc3b5c3a3d599e312e980e9b61b5bc8f3cd87c8bb";
const HASH_00 = "0xbc36789e7a1e281436464229828f817d6612f7b477d66591ff96a9e064bcc98a";

function source(over: Partial<NormaliseSource> = {}): NormaliseSource {
  return {
    gasLimit: 100_000n,
    callFrames: async () => ({}),
    plainPrestate: async () => ({}),
    existsAfter: async () => false,
    ...over,
  };
}

const run = (result: unknown, config: TraceConfig, over: Partial<NormaliseSource> = {}) =>
  normaliseTrace(result, "revm-inspectors", config, source(over));

describe("rule selection", () => {
  it("names the tracer kind of a configuration", () => {
    expect(tracerKind({})).toBe("structLogger");
    expect(tracerKind({ tracer: "" })).toBe("structLogger");
    expect(tracerKind({ tracer: "callTracer" })).toBe("callTracer");
  });

  it("selects rules by tracer and tracer options", () => {
    const names = (c: TraceConfig) => rulesFor("revm-inspectors", c).map((r) => r.name);
    expect(names({ tracer: "callTracer" })).toEqual([
      "call-root-gas",
      "call-failed-root-logs",
      "call-error-text",
      "call-root-gas-used-cumulative",
      "call-precompile-error",
      "call-create-out-of-gas",
    ]);
    expect(names({ tracer: "prestateTracer" })).toEqual([
      "prestate-7702-lookups",
      "prestate-out-of-gas-slot",
      "prestate-empty-accounts",
      "prestate-codehash",
    ]);
    expect(names({ tracer: "prestateTracer", tracerConfig: { diffMode: true } })).toEqual([
      "prestate-7702-lookups",
      "prestate-empty-accounts",
      "prestate-codehash",
      "prestate-diff-missing-account",
      "prestate-diff-cleared-code",
    ]);
    expect(names({ tracer: "4byteTracer" })).toEqual(["4byte-precompiles"]);
    expect(names({ tracer: "flatCallTracer" })).toEqual([]);
    expect(names({})).toHaveLength(6);
  });

  it("gives every rule a name, a reason and a single owner", () => {
    const seen = new Set<string>();
    for (const r of REVM_INSPECTORS_RULES) {
      expect(r.reason.length).toBeGreaterThan(40);
      expect(seen.has(r.name)).toBe(false);
      seen.add(r.name);
    }
  });
});

describe("callTracer rules", () => {
  it("call-root-gas: the root frame's gas is the transaction's gas limit", async () => {
    const raw = { type: "CALL", from: A, to: B, gas: "0x1d4c", gasUsed: "0x5208", calls: [{ gas: "0x10" }] };
    const out = await run(raw, { tracer: "callTracer" }, { gasLimit: 30_000n });
    expect(out.value).toEqual({ ...raw, gas: "0x7530" });
    expect(out.applied).toEqual(["call-root-gas"]);
    expect(raw.gas).toBe("0x1d4c"); // the input is left alone
  });

  it("call-root-gas is not reported when the gas already matches", async () => {
    const out = await run({ gas: "0x7530" }, { tracer: "callTracer" }, { gasLimit: 30_000n });
    expect(out.applied).toEqual([]);
  });

  it("call-failed-root-logs: a failed root frame loses its logs, a successful one keeps them", async () => {
    const log = { address: B, topics: [], data: "0x" };
    const failed = await run(
      { gas: "0x7530", error: "execution reverted", logs: [log] },
      { tracer: "callTracer", tracerConfig: { withLog: true } },
      { gasLimit: 30_000n },
    );
    expect(failed.value).toEqual({ gas: "0x7530", error: "execution reverted" });
    expect(failed.applied).toEqual(["call-failed-root-logs"]);
    const ok = await run({ gas: "0x7530", logs: [log] }, { tracer: "callTracer" }, { gasLimit: 30_000n });
    expect(ok.value).toEqual({ gas: "0x7530", logs: [log] });
  });

  it("call-error-text: StateChangeDuringStaticCall reads as go-ethereum's write-protection error", async () => {
    const raw = {
      gas: "0x7530",
      calls: [{ type: "STATICCALL", calls: [{ type: "CALL", error: "StateChangeDuringStaticCall" }] }],
    };
    const out = await run(raw, { tracer: "callTracer" }, { gasLimit: 30_000n });
    expect(out.value).toEqual({
      gas: "0x7530",
      calls: [{ type: "STATICCALL", calls: [{ type: "CALL", error: "out of gas: write protection" }] }],
    });
    expect(out.applied).toEqual(["call-error-text"]);
  });
});

describe("callTracer rules for mined blocks and creations", () => {
  it("call-error-text: revm's creation errors read as go-ethereum's", async () => {
    const raw = {
      gas: "0x7530",
      calls: [
        { type: "CREATE2", error: "CreateCollision" },
        { type: "CREATE", error: "CreateContractStartingWithEF" },
        { type: "CREATE", error: "CreateContractSizeLimit" },
        { type: "CALL", error: "execution reverted" },
      ],
    };
    const out = await run(raw, { tracer: "callTracer" }, { gasLimit: 30_000n });
    expect((out.value as Json).calls).toEqual([
      { type: "CREATE2", error: "contract address collision" },
      { type: "CREATE", error: "invalid code: must not begin with 0xef" },
      { type: "CREATE", error: "max code size exceeded" },
      { type: "CALL", error: "execution reverted" },
    ]);
  });

  it("call-root-gas-used-cumulative: the block's gas so far becomes the transaction's own", async () => {
    const receipt = { gasUsed: "0x5208", cumulativeGasUsed: "0xa410" };
    const later = await run(
      { gas: "0x5208", gasUsed: "0xa410" },
      { tracer: "callTracer" },
      {
        gasLimit: 21_000n,
        receipt: async () => receipt,
      },
    );
    expect(later.value).toEqual({ gas: "0x5208", gasUsed: "0x5208" });
    expect(later.applied).toEqual(["call-root-gas-used-cumulative"]);
    // The first transaction of a block, a value that is neither, or no receipt: unchanged.
    for (const [gasUsed, r] of [
      ["0x5208", { gasUsed: "0x5208", cumulativeGasUsed: "0x5208" }],
      ["0x6000", receipt],
      ["0xa410", null],
    ] as const) {
      const out = await run(
        { gas: "0x5208", gasUsed },
        { tracer: "callTracer" },
        {
          gasLimit: 21_000n,
          receipt: async () => r,
        },
      );
      expect((out.value as Json).gasUsed).toBe(gasUsed);
    }
  });

  it("call-precompile-error and call-create-out-of-gas leave those errors out of the comparison", async () => {
    const raw = {
      type: "CREATE",
      gas: "0x7530",
      error: "out of gas",
      calls: [
        { type: "STATICCALL", to: "0x0000000000000000000000000000000000000008", error: "precompiled failed" },
        {
          type: "CALL",
          calls: [
            { type: "CREATE2", error: "out of gas" },
            { type: "CALL", error: "out of gas" },
          ],
        },
      ],
    };
    const out = await run(raw, { tracer: "callTracer" }, { gasLimit: 30_000n });
    expect(out.applied).toEqual(["call-precompile-error", "call-create-out-of-gas"]);
    expect(out.ignored).toEqual([["calls", 0, "error"], ["error"], ["calls", 1, "calls", 0, "error"]]);
  });
});

describe("prestateTracer rules", () => {
  it("prestate-empty-accounts and prestate-codehash on a plain result", async () => {
    const raw = {
      [A]: { balance: "0x10", nonce: 1 },
      [B]: { balance: "0x0" },
      [C]: { balance: "0x0", code: "0x6001", storage: {} },
    };
    const out = await run(raw, { tracer: "prestateTracer" });
    expect(out.value).toEqual({
      [A]: { balance: "0x10", nonce: 1 },
      [C]: { balance: "0x0", code: "0x6001", storage: {}, codeHash: HASH_6001 },
    });
    expect(out.applied).toEqual(["prestate-empty-accounts", "prestate-codehash"]);
  });

  it("in diffMode, empty accounts are pruned from pre only and code hashes go to pre and post", async () => {
    const raw = {
      pre: { [A]: { balance: "0x10" }, [B]: { balance: "0x0" } },
      post: { [A]: { balance: "0x5" }, [B]: { balance: "0x0", code: "0x00" } },
    };
    const out = await run(raw, { tracer: "prestateTracer", tracerConfig: { diffMode: true } });
    expect(out.value).toEqual({
      pre: { [A]: { balance: "0x10" } },
      post: { [A]: { balance: "0x5" }, [B]: { balance: "0x0", code: "0x00", codeHash: HASH_00 } },
    });
    expect(out.applied).toEqual(["prestate-empty-accounts", "prestate-codehash"]);
  });

  it("prestate-diff-missing-account: an account empty before and after gets the zero code hash in post", async () => {
    const raw = { pre: { [A]: { balance: "0x10" } }, post: { [A]: { balance: "0x5" } } };
    const asked: string[] = [];
    const out = await run(
      raw,
      { tracer: "prestateTracer", tracerConfig: { diffMode: true } },
      {
        // B: empty and gone afterwards; C: empty but exists afterwards; A: not empty.
        plainPrestate: async () => ({ [A]: { balance: "0x10" }, [B]: { balance: "0x0" }, [C]: {} }),
        existsAfter: async (a) => {
          asked.push(a);
          return a === C;
        },
      },
    );
    expect(out.value).toEqual({
      pre: { [A]: { balance: "0x10" } },
      post: { [A]: { balance: "0x5" }, [B]: { codeHash: ZERO_HASH } },
    });
    expect(out.applied).toEqual(["prestate-diff-missing-account"]);
    expect(asked.sort()).toEqual([B, C]);
  });

  it("prestate-diff-missing-account leaves out accounts whose frames self-destruct", async () => {
    const raw = { pre: {}, post: {} };
    const out = await run(
      raw,
      { tracer: "prestateTracer", tracerConfig: { diffMode: true } },
      {
        plainPrestate: async () => ({ [B]: { balance: "0x0" } }),
        callFrames: async () => ({
          calls: [
            { type: "CALL", calls: [{ type: "SELFDESTRUCT", from: B.toUpperCase().replace("0X", "0x") }] },
          ],
        }),
      },
    );
    expect(out.value).toEqual({ pre: {}, post: {} });
    expect(out.applied).toEqual([]);
  });
});

describe("prestateTracer rules for EIP-7702, out of gas and cleared code", () => {
  const key = devAccounts()[3]!;
  const FROM = "0x00000000000000000000000000000000000000f0";
  const TO = "0x00000000000000000000000000000000000000a7";
  const OLD = "0x00000000000000000000000000000000000000d1";
  const NEW = "0x00000000000000000000000000000000000000d2";
  const COINBASE = "0x0000000000000000000000000000000000000000";

  it("prestate-7702-lookups: authorities, targets and the recipient's old target are left out", async () => {
    // Signed for another chain: go-ethereum still looks the authority up.
    const auth = signAuthorization({ chainId: 999n, address: NEW as Address, nonce: 4n }, key.key);
    const tx = {
      from: FROM,
      to: TO,
      authorizationList: [
        {
          chainId: "0x3e7",
          address: NEW,
          nonce: "0x4",
          yParity: `0x${auth.yParity}`,
          r: `0x${auth.r.toString(16)}`,
          s: `0x${auth.s.toString(16)}`,
        },
      ],
    };
    const plain = {
      [FROM]: { balance: "0x10" },
      [TO]: { balance: "0x0", code: `0xef0100${OLD.slice(2)}` },
      [COINBASE]: { balance: "0x1" },
    };
    const raw = { ...plain, [NEW]: { balance: "0x0", code: "0x00" } };
    const out = await run(
      raw,
      { tracer: "prestateTracer" },
      {
        transaction: async () => tx,
        plainPrestate: async () => plain,
      },
    );
    expect(out.applied[0]).toBe("prestate-7702-lookups");
    expect(out.ignored.map((p) => p[0]).sort()).toEqual([OLD, NEW, key.address].sort());
    // Without an authorization list nothing is left out.
    const none = await run(
      raw,
      { tracer: "prestateTracer" },
      { transaction: async () => ({ from: FROM, to: TO }) },
    );
    expect(none.ignored).toEqual([]);
  });

  it("prestate-out-of-gas-slot: the slots of an out-of-gas frame's storage account are left out", async () => {
    const raw = {
      [TO]: { balance: "0x0", storage: { "0x01": "0x00", "0x02": "0x05" } },
      [OLD]: { balance: "0x0", storage: { "0x03": "0x00" } },
    };
    const frames = {
      type: "CALL",
      from: FROM,
      to: TO,
      calls: [
        { type: "DELEGATECALL", from: TO, to: NEW, error: "out of gas" },
        { type: "CALL", to: OLD },
      ],
    };
    const out = await run(raw, { tracer: "prestateTracer" }, { callFrames: async () => frames });
    expect(out.ignored).toEqual([
      [TO, "storage", "0x01"],
      [TO, "storage", "0x02"],
    ]);
    expect(out.applied).toContain("prestate-out-of-gas-slot");
  });

  it("prestate-diff-cleared-code: code that became empty shows as 0x with the empty code hash", async () => {
    const code = `0xef0100${OLD.slice(2)}`;
    const raw = {
      pre: { [TO]: { balance: "0x5", code }, [FROM]: { balance: "0x9", code: "0x6001" } },
      post: { [TO]: { balance: "0x6" }, [FROM]: { balance: "0x8" } },
    };
    const out = await run(
      raw,
      { tracer: "prestateTracer", tracerConfig: { diffMode: true } },
      {
        codeAfter: async (a) => (a === TO ? "0x" : "0x6001"),
      },
    );
    const post = (out.value as { post: Json }).post;
    expect(post[TO]).toEqual({
      balance: "0x6",
      code: "0x",
      codeHash: "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470",
    });
    expect(post[FROM]).toEqual({ balance: "0x8" });
    expect(out.applied).toContain("prestate-diff-cleared-code");
  });
});

describe("4byteTracer rule", () => {
  it("4byte-precompiles: removes the entries of calls into precompiles, counted from callTracer frames", async () => {
    const frames = {
      to: B,
      input: "0x12345678",
      calls: [
        { to: "0x0000000000000000000000000000000000000004", input: "0xaabbccdd01" },
        { to: "0x0000000000000000000000000000000000000002", input: "0x1122334455" },
        { to: "0x0000000000000000000000000000000000000002", input: "0x1122334455" },
        { to: "0x0000000000000000000000000000000000000100", input: "0x99999999" },
      ],
    };
    const raw = { "0x12345678-0": 1, "0xaabbccdd-1": 1, "0x11223344-1": 3, "0x99999999-0": 1 };
    const out = await run(raw, { tracer: "4byteTracer" }, { callFrames: async () => frames });
    // 0x0100 is not a Prague precompile: its entry stays.
    expect(out.value).toEqual({ "0x12345678-0": 1, "0x11223344-1": 1, "0x99999999-0": 1 });
    expect(out.applied).toEqual(["4byte-precompiles"]);
    const osaka = await run(
      raw,
      { tracer: "4byteTracer" },
      {
        callFrames: async () => frames,
        isPrecompile: (a) => BigInt(a) === 0x100n,
      },
    );
    expect(osaka.value).toEqual({ "0x12345678-0": 1, "0xaabbccdd-1": 1, "0x11223344-1": 3 });
  });
});

describe("struct logger rules", () => {
  const entry = (e: Json): Json => ({ pc: 0, gas: 100, gasCost: 3, depth: 1, stack: [], ...e });

  it("structlog-refund-after-sstore-gas and structlog-zero-refund", async () => {
    const raw = {
      gas: 50,
      failed: false,
      returnValue: "0x",
      structLogs: [
        entry({ op: "PUSH1", refund: 0 }),
        entry({ op: "SSTORE", refund: 0 }),
        entry({ op: "STOP", refund: 4800 }),
      ],
    };
    const out = await run(raw, {});
    expect((out.value as Json).structLogs).toEqual([
      entry({ op: "PUSH1" }),
      entry({ op: "SSTORE", refund: 4800 }),
      entry({ op: "STOP", refund: 4800 }),
    ]);
    expect(out.applied).toEqual(["structlog-refund-after-sstore-gas", "structlog-zero-refund"]);
  });

  it("structlog-step-errors: maps known revm names, drops InvalidFEOpcode, keeps unknown names", async () => {
    const raw = {
      structLogs: [
        entry({ op: "SLOAD", refund: 1, error: "Some(OutOfGas)" }),
        entry({ op: "INVALID", refund: 1, error: "Some(InvalidFEOpcode)" }),
        entry({ op: "ADD", refund: 1, error: "Some(Bogus)" }),
      ],
    };
    const out = await run(raw, {});
    expect((out.value as Json).structLogs).toEqual([
      entry({ op: "SLOAD", refund: 1, error: "out of gas" }),
      entry({ op: "INVALID", refund: 1 }),
      entry({ op: "ADD", refund: 1, error: "Some(Bogus)" }),
    ]);
    // the out-of-gas entry's gasCost is then left out (structlog-oog-cost)
    expect(out.applied).toEqual(["structlog-step-errors", "structlog-oog-cost"]);
    expect(out.ignored).toEqual([["structLogs", 0, "gasCost"]]);
  });

  it("structlog-failed-sstore-storage: a failed SSTORE shows the value it was writing", async () => {
    const raw = {
      structLogs: [
        entry({ op: "SSTORE", refund: 1, error: "Some(OutOfGas)", stack: ["0x5", "0x1"], storage: {} }),
      ],
    };
    const out = await run(raw, {});
    expect((out.value as Json).structLogs).toEqual([
      entry({
        op: "SSTORE",
        refund: 1,
        error: "out of gas",
        stack: ["0x5", "0x1"],
        storage: { [`0x${"0".repeat(63)}1`]: `0x${"0".repeat(63)}5` },
      }),
    ]);
    expect(out.applied).toContain("structlog-failed-sstore-storage");
  });

  it("structlog-create-cost: CREATE and CREATE2 gasCost is ignored, and dropPaths removes it", async () => {
    const raw = {
      structLogs: [
        entry({ op: "CREATE", refund: 1, gasCost: 90000 }),
        entry({ op: "ADD", refund: 1 }),
        entry({ op: "CREATE2", refund: 1, gasCost: 80000 }),
      ],
    };
    const out = await run(raw, {});
    expect(out.applied).toEqual(["structlog-create-cost"]);
    expect(out.ignored).toEqual([
      ["structLogs", 0, "gasCost"],
      ["structLogs", 2, "gasCost"],
    ]);
    const v = out.value as { structLogs: Json[] };
    dropPaths(v, out.ignored);
    expect(v.structLogs.map((e) => e.gasCost)).toEqual([undefined, 3, undefined]);
  });
});

describe("dropPaths", () => {
  it("deletes nested keys and array members' keys, skipping paths that are not there", () => {
    const v = { a: { b: 1, c: 2 }, l: [{ x: 1 }, { x: 2, y: 3 }] };
    dropPaths(v, [
      ["a", "b"],
      ["l", 1, "x"],
      ["missing", "deep", "key"],
      ["l", 7, "x"],
    ]);
    expect(v).toEqual({ a: { c: 2 }, l: [{ x: 1 }, { y: 3 }] });
  });
});

describe("calcBaseFee and anvil-first-block-base-fee", async () => {
  const { ANVIL_FIRST_BLOCK_BASE_FEE, calcBaseFee } = await import("./normalise.js");
  it("derives the next base fee as go-ethereum's CalcBaseFee", () => {
    const parent = (used: bigint) => ({
      gasLimit: "0x1c9c380",
      gasUsed: `0x${used.toString(16)}`,
      baseFeePerGas: "0x3b9aca00",
    });
    expect(calcBaseFee(parent(0n))).toBe(875_000_000n);
    expect(calcBaseFee(parent(15_000_000n))).toBe(1_000_000_000n);
    expect(calcBaseFee(parent(30_000_000n))).toBe(1_125_000_000n);
  });
  it("recognises block 1 carrying the genesis base fee where go-ethereum derives another", () => {
    const genesis = { number: "0x0", gasLimit: "0x1c9c380", gasUsed: "0x0", baseFeePerGas: "0x3b9aca00" };
    expect(ANVIL_FIRST_BLOCK_BASE_FEE.applies({ number: "0x1", baseFeePerGas: "0x3b9aca00" }, genesis)).toBe(
      true,
    );
    expect(ANVIL_FIRST_BLOCK_BASE_FEE.applies({ number: "0x1", baseFeePerGas: "0x342770c0" }, genesis)).toBe(
      false,
    );
    expect(ANVIL_FIRST_BLOCK_BASE_FEE.applies({ number: "0x2", baseFeePerGas: "0x3b9aca00" }, genesis)).toBe(
      false,
    );
  });
});
