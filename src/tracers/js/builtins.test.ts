import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Fork } from "../../evm/forks.js";
import { createAddress } from "../../primitives/address.js";
import { hexToBytes } from "../../primitives/hex.js";
import { DEFAULT_RECEIVER, DEFAULT_SENDER, executeCall } from "../../runners/call.js";
import { MemoryState } from "../../state/statedb.js";
import "../index.js";
import { knownTracers } from "../registry.js";
import { runTrace } from "../trace.js";
import { initJsTracers } from "./index.js";
import { retiredModules } from "./sandbox.js";

beforeAll(async () => {
  await initJsTracers();
});

afterAll(() => {
  // Every failure above was contained by QuickJS: no sandbox module had to be retired.
  expect(retiredModules()).toBe(0);
});

const B = "0x00000000000000000000000000000000000000bb";
// B: SSTORE(1, 0x2a); SLOAD(1); MSTORE(0); RETURN(0, 32).
const B_CODE = "602a60015560015460005260206000f3";
// A: memory[0..4] = 0xdeadbeef; CALL(gas, B, 0, 0, 4, 32, 32); POP;
//    STATICCALL(gas, 0x04 identity, 0, 4, 0, 0); POP; RETURN(32, 32).
const A_CODE = `63deadbeef60e01b6000526020602060046000600073${B.slice(2)}5af150600060006004600060045afa5060206020f3`;
// CREATE of initcode that deploys the single byte 0xab, then STOP.
const CREATOR = "6960ab60005360016000f3600052600a60166000f000";

function scenario(): MemoryState {
  const prestate = new MemoryState();
  prestate.accounts.set(B, {
    nonce: 1n,
    balance: 5n,
    code: hexToBytes(B_CODE),
    storage: new Map([[1n, 7n]]),
  });
  prestate.accounts.set(DEFAULT_SENDER, {
    nonce: 3n,
    balance: 1000n,
    code: new Uint8Array(0),
    storage: new Map(),
  });
  return prestate;
}

function run(tracer: string, code = A_CODE, withPrestate = true): unknown {
  const r = runTrace({ tracer }, { fork: Fork.Cancun }, (hooks) =>
    executeCall({
      code: hexToBytes(code),
      fork: Fork.Cancun,
      hooks,
      gas: 100000n,
      ...(withPrestate ? { prestate: scenario(), input: hexToBytes("0x01020304ff"), value: 9n } : {}),
    }),
  );
  try {
    if (r.error !== null) throw r.error;
    return r.tracer.getResult();
  } finally {
    r.tracer.dispose?.();
  }
}

const WORD_2A = `0x${"0".repeat(62)}2a`;
const pad = (a: string) => `0x${a.slice(2).padStart(64, "0")}`;

describe("built-in JavaScript tracers", () => {
  it("are registered under go-ethereum's names", () => {
    const names = knownTracers();
    for (const n of [
      "callTracerLegacy",
      "prestateTracerLegacy",
      "4byteTracerLegacy",
      "unigramTracer",
      "bigramTracer",
      "trigramTracer",
      "opcountTracer",
      "evmdisTracer",
      "noopTracerLegacy",
    ]) {
      expect(names).toContain(n);
    }
  });

  it("callTracerLegacy: nested calls, precompiles skipped, gas figures", () => {
    expect(run("callTracerLegacy")).toEqual({
      type: "CALL",
      from: DEFAULT_SENDER,
      to: DEFAULT_RECEIVER,
      value: "0x9",
      gas: "0x186a0",
      gasUsed: "0x1ee6",
      input: "0x01020304ff",
      output: WORD_2A,
      calls: [
        {
          type: "CALL",
          from: DEFAULT_RECEIVER,
          to: B,
          value: "0x0",
          // 63/64 of what was left after the call's own 2603 gas; B used 5124.
          gas: "0x1765e",
          gasUsed: "0x1404",
          input: "0xdeadbeef",
          output: WORD_2A,
        },
      ],
    });
  });

  it("callTracerLegacy: contract creation", () => {
    expect(run("callTracerLegacy", CREATOR, false)).toEqual({
      type: "CALL",
      from: DEFAULT_SENDER,
      to: DEFAULT_RECEIVER,
      value: "0x0",
      gas: "0x186a0",
      gasUsed: "0x7df1",
      input: "0x",
      output: "0x",
      calls: [
        {
          type: "CREATE",
          from: DEFAULT_RECEIVER,
          to: createAddress(DEFAULT_RECEIVER, 0n),
          value: "0x0",
          gas: "0x10563",
          gasUsed: "0xda",
          input: "0x60ab60005360016000f3",
          output: "0xab",
        },
      ],
    });
  });

  it("callTracerLegacy: a failing call reports its error and keeps the output of a revert", () => {
    // REVERT(0, 0) at the top level.
    expect(run("callTracerLegacy", "60006000fd", false)).toMatchObject({
      error: "execution reverted",
      gasUsed: "0x6",
    });
    expect(run("callTracerLegacy", "60006000fd", false)).not.toHaveProperty("output");
    // Invalid jump at the top level.
    expect(run("callTracerLegacy", "600056", false)).toMatchObject({ error: "invalid jump destination" });
  });

  it("prestateTracerLegacy: accounts and slots touched, balances before the transaction", () => {
    expect(run("prestateTracerLegacy")).toEqual({
      [DEFAULT_RECEIVER]: { balance: "0x0", nonce: 0, code: `0x${A_CODE}`, storage: {} },
      [B]: { balance: "0x5", nonce: 1, code: `0x${B_CODE}`, storage: { [pad("0x01")]: pad("0x07") } },
      "0x0000000000000000000000000000000000000004": { balance: "0x0", nonce: 0, code: "0x", storage: {} },
      // 991 after the transfer, +9 back; `evm run` does not bump the nonce, the tracer still subtracts one.
      [DEFAULT_SENDER]: { balance: "0x3e8", nonce: 2, code: "0x", storage: {} },
    });
    expect(run("prestateTracerLegacy", CREATOR, false)).toMatchObject({
      [createAddress(DEFAULT_RECEIVER, 0n)]: { balance: "0x0", nonce: 0, code: "0x", storage: {} },
    });
  });

  it("4byteTracerLegacy: selectors of inner calls and of the transaction", () => {
    expect(run("4byteTracerLegacy")).toEqual({ "0xdeadbeef-0": 1, "0x01020304-1": 1 });
  });

  it("opcode statistics tracers", () => {
    expect(run("opcountTracer")).toBe(35);
    expect(run("unigramTracer")).toEqual({
      PUSH4: 1,
      PUSH1: 20,
      SHL: 1,
      MSTORE: 2,
      PUSH20: 1,
      GAS: 2,
      CALL: 1,
      SSTORE: 1,
      SLOAD: 1,
      RETURN: 2,
      POP: 2,
      STATICCALL: 1,
    });
    const bigrams = run("bigramTracer") as Record<string, number>;
    expect(Object.values(bigrams).reduce((a, b) => a + b, 0)).toBe(32); // 35 steps, 3 depth changes
    expect(bigrams).toMatchObject({
      "PUSH1-PUSH1": 11,
      "GAS-CALL": 1,
      "PUSH1-SSTORE": 1,
      "STATICCALL-POP": 1,
    });
    expect(bigrams).not.toHaveProperty("CALL-PUSH1");
    expect(bigrams).not.toHaveProperty("RETURN-POP");
    const trigrams = run("trigramTracer") as Record<string, number>;
    expect(trigrams).toMatchObject({
      "--PUSH1": 3,
      "-PUSH1-SHL": 1,
      "PUSH1-PUSH1-PUSH1": 6,
      "GAS-STATICCALL-POP": 1,
    });
    expect(Object.values(trigrams).reduce((a, b) => a + b, 0)).toBe(32);
  });

  it("evmdisTracer: ops with the words they produced", () => {
    // PUSH1 1 PUSH1 2 ADD JUMPDEST PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN.
    expect(run("evmdisTracer", "60016002015b6000526020" + "6000f3", false)).toEqual([
      { op: 0x60, depth: 1, result: ["1"], len: 2 },
      { op: 0x60, depth: 1, result: ["2"], len: 2 },
      { op: 0x01, depth: 1, result: ["3"] },
      { op: 0x5b, depth: 1, result: [], pc: 5 },
      { op: 0x60, depth: 1, result: ["0"], len: 2 },
      { op: 0x52, depth: 1, result: [] },
      { op: 0x60, depth: 1, result: ["20"], len: 2 },
      { op: 0x60, depth: 1, result: ["0"], len: 2 },
      { op: 0xf3, depth: 1, result: [] },
    ]);
  });

  it("noopTracerLegacy", () => {
    expect(run("noopTracerLegacy")).toEqual({});
  });
});
