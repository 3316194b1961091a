import { describe, expect, it } from "vitest";
import { Fork } from "../../evm/forks.js";
import { createAddress } from "../../primitives/address.js";
import { type Address, addressFromBigInt, hexToBytes } from "../../primitives/hex.js";
import { DEFAULT_RECEIVER, DEFAULT_SENDER, executeCall } from "../../runners/call.js";
import { MemoryState } from "../../state/statedb.js";
import { buildTracer } from "../registry.js";
import type { TracerContext } from "../types.js";
import { flatTraceComparable, parityError } from "./flat-call.js";

const B = addressFromBigInt(0xbbn);
const C = addressFromBigInt(0xccn);
const D = addressFromBigInt(0xddn);
const F = addressFromBigInt(0xf0n);
const GAS = 1_000_000n;

const code = (...parts: string[]) => hexToBytes(parts.join("").replace(/\s+/g, ""));
const byte = (n: number) => n.toString(16).padStart(2, "0");
const call = (to: number, gas = "ffff") => `6020 6000 6000 6000 6000 60${byte(to)} 61${gas} f1 50`;
const staticcall = (to: number) => `6020 6000 6000 6000 60${byte(to)} 61ffff fa 50`;

// B: returns the word 42 (uses 18 gas).
const B_CODE = code("602a 6000 52 6020 6000 f3");
// C: REVERT with the 2 bytes 0xbeef (uses 18 gas).
const C_CODE = code("61beef 6000 52 6002 601e fd");
// D: endless loop.
const D_CODE = code("5b 6000 56");
// F: CALL B, then STATICCALL C.
const F_CODE = code(call(0xbb), staticcall(0xcc), "00");

function prestate(): MemoryState {
  const m = new MemoryState();
  for (const [a, c] of [
    [B, B_CODE],
    [C, C_CODE],
    [D, D_CODE],
    [F, F_CODE],
  ] as [Address, Uint8Array][]) {
    m.accounts.set(a, { nonce: 0n, balance: 0n, code: c, storage: new Map() });
  }
  return m;
}

function flat(tracerConfig: unknown, top: Uint8Array, ctx: Partial<TracerContext> = {}) {
  const tracer = buildTracer({ tracer: "flatCallTracer", tracerConfig }, { fork: Fork.Cancun, ...ctx });
  const out = executeCall({
    code: top,
    gas: GAS,
    fork: Fork.Cancun,
    hooks: tracer.hooks,
    prestate: prestate(),
  });
  return { result: JSON.parse(JSON.stringify(tracer.getResult())), out };
}

// Top: CALL F (which calls B and C), CALL D with 0x1000 gas (out of gas), CALL identity.
const TOP = code(call(0xf0), call(0xdd, "1000"), "6000 6000 6000 6000 6000 6004 61ffff f1 50", "00");

describe("flatCallTracer", () => {
  it("lists the tree depth first with traceAddress and subtraces", () => {
    const { result, out } = flat({}, TOP);
    expect(result.map((e: { traceAddress: number[] }) => e.traceAddress)).toEqual([
      [],
      [0],
      [0, 0],
      [0, 1],
      [1],
    ]);
    expect(result.map((e: { subtraces: number }) => e.subtraces)).toEqual([2, 2, 0, 0, 0]);
    expect(result[0]).toEqual({
      action: {
        callType: "call",
        from: DEFAULT_SENDER,
        gas: "0xf4240",
        input: "0x",
        to: DEFAULT_RECEIVER,
        value: "0x0",
      },
      blockHash: null,
      blockNumber: 0,
      result: { gasUsed: `0x${out.gasUsed.toString(16)}`, output: "0x" },
      subtraces: 2,
      traceAddress: [],
      transactionHash: null,
      transactionPosition: 0,
      type: "call",
    });
    expect(result[2]).toMatchObject({
      action: { callType: "call", from: F, input: "0x", to: B, value: "0x0" },
      result: { gasUsed: "0x12", output: `0x${"00".repeat(31)}2a` },
      type: "call",
    });
    // A reverted call keeps its result (the revert data); STATICCALL gets value 0.
    expect(result[3]).toMatchObject({
      action: { callType: "staticcall", from: F, to: C, value: "0x0" },
      error: "execution reverted",
      result: { gasUsed: "0x12", output: "0xbeef" },
    });
    // Any other error drops the result.
    expect(result[4].error).toBe("out of gas");
    expect(result[4].result).toBeUndefined();
    expect(result[4].action.gas).toBe("0x1000");
  });

  it("keeps precompile calls only with includePrecompiles", () => {
    const { result } = flat({ includePrecompiles: true }, TOP);
    expect(result).toHaveLength(6);
    expect(result[5]).toMatchObject({
      action: { callType: "call", to: addressFromBigInt(4n), gas: "0xffff" },
      result: { gasUsed: "0xf", output: "0x" },
      traceAddress: [2],
    });
    expect(result[0].subtraces).toBe(3);
  });

  it("converts errors to Parity's words with convertParityErrors", () => {
    const { result } = flat({ convertParityErrors: true }, TOP);
    expect(result[3].error).toBe("Reverted");
    expect(result[4].error).toBe("Out of gas");
    expect(parityError("invalid opcode: INVALID")).toBe("Bad instruction");
    expect(parityError("stack underflow (0 <=> 2)")).toBe("Stack underflow");
    expect(parityError("out of gas: not enough gas for reentrancy sentry")).toBe("Out of gas");
    expect(parityError("write protection")).toBe("write protection");
  });

  it("reports creates and self-destructs in Parity's shape", () => {
    // CREATE with init code that SELFDESTRUCTs to 0xbe (runs in the new contract).
    const init = "60beff";
    const top = code(`62${init} 6000 52`, "6003 601d 6000 f0 50 00");
    const { result } = flat({}, top);
    const created = createAddress(DEFAULT_RECEIVER, 0n);
    expect(result).toHaveLength(3);
    expect(result[1]).toMatchObject({
      action: { creationMethod: "create", from: DEFAULT_RECEIVER, init: `0x${init}`, value: "0x0" },
      result: { address: created, code: "0x" },
      subtraces: 1,
      traceAddress: [0],
      type: "create",
    });
    expect(result[2]).toEqual({
      action: { address: created, balance: "0x0", refundAddress: addressFromBigInt(0xben) },
      blockHash: null,
      blockNumber: 0,
      subtraces: 0,
      traceAddress: [0, 0],
      transactionHash: null,
      transactionPosition: 0,
      type: "suicide",
    });
  });

  it("fills block and transaction fields from the context", () => {
    const blockHash = `0x${"ab".repeat(32)}`;
    const txHash = `0x${"cd".repeat(32)}`;
    const { result } = flat({}, code("00"), { blockHash, blockNumber: 1234n, txHash, txIndex: 7 });
    expect(result[0]).toMatchObject({
      blockHash,
      blockNumber: 1234,
      transactionHash: txHash,
      transactionPosition: 7,
    });
  });

  it("compares as go-ethereum's flat tracer test does", () => {
    const a = [
      {
        action: { from: "0xAB", value: "0x0" },
        blockNumber: 5,
        result: null,
        traceAddress: [],
        type: "call",
      },
    ];
    const b = [
      {
        action: { from: "0xab" },
        blockHash: "0x01",
        result: { gasUsed: "0x0" },
        traceAddress: [],
        type: "call",
      },
    ];
    expect(flatTraceComparable(a)).toEqual(flatTraceComparable(b));
    const c = [{ action: { from: "0xab" }, traceAddress: [0], type: "call" }];
    expect(flatTraceComparable(a)).not.toEqual(flatTraceComparable(c));
  });
});
