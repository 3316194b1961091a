import { describe, expect, it } from "vitest";
import { Fork } from "../../evm/forks.js";
import { addressFromBigInt, hexToBytes } from "../../primitives/hex.js";
import { executeCall } from "../../runners/call.js";
import { MemoryState } from "../../state/statedb.js";
import { buildTracer } from "../registry.js";
import { runTrace } from "../trace.js";
import { OutputBudget } from "../types.js";
import "./vm-trace.js";
import type { VmTrace } from "./vm-trace.js";

const B = addressFromBigInt(0xbbn);
const code = (s: string) => hexToBytes(s.replace(/\s+/g, ""));

// B: MSTORE 42 at 0, RETURN 32 bytes.
const B_CODE = "602a 6000 52 6020 6000 f3";

function run(top: string, gas = 100_000n): { trace: VmTrace; error: string | null } {
  const tracer = buildTracer({ tracer: "parityVmTrace" }, { fork: Fork.Cancun });
  const prestate = new MemoryState();
  prestate.accounts.set(B, { nonce: 0n, balance: 0n, code: code(B_CODE), storage: new Map() });
  const out = executeCall({ code: code(top), gas, fork: Fork.Cancun, hooks: tracer.hooks, prestate });
  return { trace: JSON.parse(JSON.stringify(tracer.getResult())) as VmTrace, error: out.error };
}

describe("parityVmTrace", () => {
  it("records pushes, memory and storage writes and gas left per instruction", () => {
    // PUSH1 5, PUSH1 7, SSTORE(key 7, value 5), PUSH1 1, DUP1, SWAP1, STOP
    const { trace } = run("6005 6007 55 6001 80 90 00");
    expect(trace.code).toBe("0x60056007556001809000");
    const ops = trace.ops;
    expect(ops.map((o) => o.pc)).toEqual([0, 2, 4, 5, 7, 8, 9]);
    expect(ops[0]).toEqual({
      cost: 3,
      ex: { mem: null, push: ["0x5"], store: null, used: 99997 },
      pc: 0,
      sub: null,
    });
    expect(ops[1]!.ex!.push).toEqual(["0x7"]);
    // SSTORE of a fresh slot: 20000 + 2100 cold (Cancun).
    expect(ops[2]!.cost).toBe(22100);
    expect(ops[2]!.ex).toEqual({
      mem: null,
      push: [],
      store: { key: "0x7", val: "0x5" },
      used: 99994 - 22100,
    });
    // DUP1 shows both copies; SWAP1 both swapped items (bottom first).
    expect(ops[4]!.ex!.push).toEqual(["0x1", "0x1"]);
    expect(ops[5]!.ex!.push).toEqual(["0x1", "0x1"]);
    expect(ops[6]).toEqual({
      cost: 0,
      ex: { mem: null, push: [], store: null, used: ops[5]!.ex!.used },
      pc: 9,
      sub: null,
    });
  });

  it("nests the callee's trace under CALL with the return area written to memory", () => {
    // CALL(gas 0xffff, B, 0, in 0/0, out 0/32), POP, STOP
    const { trace } = run("6020 6000 6000 6000 6000 60bb 61ffff f1 50 00");
    const callOp = trace.ops.find((o) => o.pc === 15)!;
    expect(callOp.sub).not.toBeNull();
    expect(callOp.sub!.code).toBe(`0x${B_CODE.replace(/\s+/g, "")}`);
    expect(callOp.sub!.ops.map((o) => o.pc)).toEqual([0, 2, 4, 5, 7, 9]);
    // MSTORE in the callee writes the word 42 at 0.
    expect(callOp.sub!.ops[2]!.ex!.mem).toEqual({ data: `0x${"2a".padStart(64, "0")}`, off: 0 });
    // The CALL pushes success and writes the returned word into the caller's memory.
    expect(callOp.ex!.push).toEqual(["0x1"]);
    expect(callOp.ex!.mem).toEqual({ data: `0x${"2a".padStart(64, "0")}`, off: 0 });
    // Gas left after the CALL: what was left before it minus the cold access (2600), the memory
    // expansion for the return area (3) and what the callee used (18).
    const before = trace.ops[trace.ops.indexOf(callOp) - 1]!.ex!.used;
    expect(callOp.ex!.used).toBe(before - 2600 - 3 - 18);
  });

  it("gives a failing instruction no `ex`", () => {
    // PUSH1 3, JUMP (to a non-JUMPDEST)
    const { trace, error } = run("6003 56 00");
    expect(error).toBe("invalid jump destination");
    expect(trace.ops).toHaveLength(2);
    expect(trace.ops[1]).toEqual({ cost: 8, ex: null, pc: 2, sub: null });
    // Out of gas on the first instruction.
    const oog = run("6001 6001 01", 4n);
    expect(oog.error).toBe("out of gas");
    expect(oog.trace.ops.map((o) => o.ex === null)).toEqual([false, true]);
  });
});

describe("parityVmTrace output budget", () => {
  // A loop of 300 rounds: MSTORE of a growing word, an SSTORE to a fresh slot, a CALL to B
  // (with a sub-trace). Then STOP.
  //   0: PUSH2 300          counter
  //   3: JUMPDEST           loop head
  //   4: DUP1 DUP1 MSTORE   mem[counter] = counter
  //   7: DUP1 DUP1 SSTORE   storage[counter] = counter
  //  10: PUSH1 32 PUSH1 0 PUSH1 0 PUSH1 0 PUSH1 0 PUSH1 0xbb GAS CALL POP
  //  25: PUSH1 1 SWAP1 SUB  counter - 1
  //  29: DUP1 PUSH1 3 JUMPI
  //  33: STOP
  const LOOP = "61012c 5b 8080 52 8080 55 6020 6000 6000 6000 6000 60bb 5a f1 50 6001 90 03 80 6003 57 00";

  it("spends about as much as the JSON it builds, and stops the trace past its limit", () => {
    const big = new OutputBudget(1e9, "too big");
    const tracer = buildTracer({ tracer: "parityVmTrace" }, { fork: Fork.Cancun, outputBudget: big });
    const prestate = new MemoryState();
    prestate.accounts.set(B, { nonce: 0n, balance: 0n, code: code(B_CODE), storage: new Map() });
    executeCall({ code: code(LOOP), gas: 30_000_000n, fork: Fork.Cancun, hooks: tracer.hooks, prestate });
    const json = JSON.stringify(tracer.getResult()).length;
    // Spent in batches of 64 KiB: the last part of the estimate is not yet spent.
    expect(big.used).toBeGreaterThan(json * 0.8 - 65_536);
    expect(big.used).toBeLessThan(json * 1.25);

    // writeResult gives the estimate back, so that a sink counting the JSON counts it once.
    let written = 0;
    tracer.writeResult((c) => {
      written += c.length;
    });
    expect(written).toBe(json);
    expect(big.used).toBe(0);

    const small = new OutputBudget(json / 2, "trace output over the limit");
    const stopped = runTrace(
      { tracer: "parityVmTrace" },
      { fork: Fork.Cancun, outputBudget: small },
      (hooks) => executeCall({ code: code(LOOP), gas: 30_000_000n, fork: Fork.Cancun, hooks, prestate }),
    );
    expect(stopped.error?.message).toBe("trace output over the limit");
    expect(() => stopped.tracer.getResult()).toThrow("trace output over the limit");
  });
});
