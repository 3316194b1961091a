import { describe, expect, it } from "vitest";
import { Fork } from "../../evm/forks.js";
import { type Address, addressFromBigInt, hexToBytes } from "../../primitives/hex.js";
import { DEFAULT_RECEIVER, DEFAULT_SENDER, defaultBlock, executeCall } from "../../runners/call.js";
import { MemoryState } from "../../state/statedb.js";
import "./erc7562.js";
import { buildTracer } from "../registry.js";
import { TracerError } from "../types.js";
import { defaultIgnoredOpcodes, parseErc7562Config } from "./erc7562.js";

const B = addressFromBigInt(0xbbn);
const C = addressFromBigInt(0xccn);
const D = addressFromBigInt(0xddn);
const code = (s: string) => hexToBytes(s.replace(/\s+/g, ""));
const word = (n: bigint) => `0x${n.toString(16).padStart(64, "0")}`;

// B: MSTORE 42 at 0, LOG1(mem[0..32], topic 0x11), RETURN mem[0..32]. Uses 1033 gas.
const B_CODE = code("602a 6000 52 6011 6020 6000 a1 6020 6000 f3");
// D: an endless loop (runs out of gas).
const D_CODE = code("5b 6000 56");

// The traced contract (at DEFAULT_RECEIVER, slot 0 holds 5):
const A_CODE = code(
  [
    "6000 54 50", // SLOAD(0)
    "6002 6001 55", // SSTORE(1, 2)
    "6001 54 50", // SLOAD(1): written first, not a read of the prior value
    "6001 6004 5d", // TSTORE(4, 1)
    "6004 5c 50", // TLOAD(4)
    "60bb 3b 15 50", // EXTCODESIZE(B) ISZERO: not an access
    "60cc 3f 50", // EXTCODEHASH(C): an access
    "5a 50", // GAS then POP: counted
    "63deadbeef 6000 52", // MSTORE(0, 0xdeadbeef)
    "6004 601c 20 50", // KECCAK256(28, 4)
    "6000 6000 6000 6000 6000 60bb 5a f1 50", // CALL(GAS, B): GAS not counted
    "6000 6000 6000 6000 6000 60dd 61ffff f1 50", // CALL(0xffff, D): out of gas
    "00",
  ].join(""),
);

function prestate(): MemoryState {
  const m = new MemoryState();
  const put = (a: Address, c: Uint8Array, storage: [bigint, bigint][] = []) =>
    m.accounts.set(a, { nonce: 0n, balance: 0n, code: c, storage: new Map(storage) });
  put(B, B_CODE);
  put(D, D_CODE);
  put(DEFAULT_RECEIVER, new Uint8Array(0), [[0n, 5n]]);
  return m;
}

function trace(tracerConfig: unknown, c: Uint8Array, fork = Fork.Cancun) {
  const tracer = buildTracer({ tracer: "erc7562Tracer", tracerConfig }, { fork });
  const out = executeCall({ code: c, gas: 1_000_000n, fork, hooks: tracer.hooks, prestate: prestate() });
  return { result: JSON.parse(JSON.stringify(tracer.getResult())), out, tracer };
}

const EMPTY_SLOTS = { reads: {}, writes: {}, transientReads: {}, transientWrites: {} };

describe("erc7562Tracer", () => {
  it("records slots, code accesses, contract sizes, opcodes, keccak and out-of-gas per frame", () => {
    const { result, out } = trace({ withLog: true }, A_CODE);
    const { calls, ...top } = result;
    expect(top).toEqual({
      from: DEFAULT_SENDER,
      gas: "0xf4240",
      gasUsed: `0x${out.gasUsed.toString(16)}`,
      to: DEFAULT_RECEIVER,
      input: "0x",
      value: "0x0",
      accessedSlots: {
        reads: { [word(0n)]: [word(5n)] },
        writes: { [word(1n)]: 1 },
        transientReads: { [word(4n)]: 1 },
        transientWrites: { [word(4n)]: 1 },
      },
      extCodeAccessInfo: [C],
      usedOpcodes: {
        "0x0": 1,
        "0x20": 1,
        "0x3b": 1,
        "0x3f": 1,
        "0x52": 1,
        "0x54": 2,
        "0x55": 1,
        "0x5a": 1,
        "0x5c": 1,
        "0x5d": 1,
        "0xf1": 2,
      },
      contractSize: {
        [B]: { contractSize: B_CODE.length, opcode: 0x3b },
        [C]: { contractSize: 0, opcode: 0x3f },
        [D]: { contractSize: D_CODE.length, opcode: 0xf1 },
      },
      outOfGas: false,
      keccak: ["0xdeadbeef"],
      type: "CALL",
    });
    // go-ethereum's key order.
    expect(Object.keys(result)).toEqual([
      "from",
      "gas",
      "gasUsed",
      "to",
      "input",
      "value",
      "accessedSlots",
      "extCodeAccessInfo",
      "usedOpcodes",
      "contractSize",
      "outOfGas",
      "keccak",
      "calls",
      "type",
    ]);
    expect(calls).toHaveLength(2);
    const { gas: bGas, ...b } = calls[0];
    expect(bGas).toMatch(/^0x[0-9a-f]+$/);
    expect(b).toEqual({
      from: DEFAULT_RECEIVER,
      gasUsed: "0x409",
      to: B,
      input: "0x",
      output: word(42n),
      logs: [{ address: B, topics: [word(0x11n)], data: word(42n), index: "0x0", position: "0x0" }],
      value: "0x0",
      accessedSlots: EMPTY_SLOTS,
      extCodeAccessInfo: [],
      usedOpcodes: { "0x52": 1, "0xa1": 1, "0xf3": 1 },
      contractSize: {},
      outOfGas: false,
      type: "CALL",
    });
    // D: 5461 loops of 12 gas, then JUMPDEST and a PUSH1 that cannot pay.
    expect(calls[1]).toEqual({
      from: DEFAULT_RECEIVER,
      gas: "0xffff",
      gasUsed: "0xffff",
      to: D,
      input: "0x",
      error: "out of gas",
      value: "0x0",
      accessedSlots: EMPTY_SLOTS,
      extCodeAccessInfo: [],
      usedOpcodes: { "0x56": 5461, "0x5b": 5462 },
      contractSize: {},
      outOfGas: true,
      type: "CALL",
    });
  });

  it("drops logs without withLog and counts every opcode not in ignoredOpcodes", () => {
    // 1 + 2, POP, then CALL(GAS, B): the GAS feeding the call is not counted.
    const { result } = trace(
      { ignoredOpcodes: ["0x1"] },
      code("6001 6002 01 50 6000 6000 6000 6000 6000 60bb 5a f1 00"),
    );
    expect(result.usedOpcodes).toEqual({ "0x0": 1, "0x50": 1, "0x60": 8, "0xf1": 1 });
    expect(result.calls[0].logs).toBeUndefined();
    expect(result.calls[0].usedOpcodes).toEqual({ "0x52": 1, "0x60": 7, "0xa1": 1, "0xf3": 1 });
  });

  it("reports a failed creation without `to`, with its revert reason, and sorts distinct preimages", () => {
    // Initcode: CODECOPY the 100 bytes of Error("x") that follow it, REVERT with them.
    const reason = `08c379a0${word(0x20n).slice(2)}${word(1n).slice(2)}${"78".padEnd(64, "0")}`;
    const initcode = `6064600c600039 60646000fd ${reason}`.replace(/\s+/g, "");
    expect(initcode.length / 2).toBe(0x70);
    const top = code(
      [
        "6070 6022 6000 39", // CODECOPY(0, 0x22, 0x70): the initcode at the end of this code
        "6070 6000 6000 f0 50", // CREATE(0, 0, 0x70)
        "6001 6000 20 50", // KECCAK256(0, 1)
        "6001 6000 20 50", // the same again
        "6000 6000 20 50", // KECCAK256(0, 0)
        "00",
        initcode,
      ].join(""),
    );
    const { result } = trace(undefined, top);
    expect(result.keccak).toEqual(["0x", "0x60"]);
    expect(result.calls).toHaveLength(1);
    const { gas, gasUsed, ...child } = result.calls[0];
    expect(child).toEqual({
      from: DEFAULT_RECEIVER,
      input: `0x${initcode}`,
      output: `0x${reason}`,
      error: "execution reverted",
      revertReason: "x",
      value: "0x0",
      accessedSlots: EMPTY_SLOTS,
      extCodeAccessInfo: [],
      usedOpcodes: { "0x39": 1, "0xfd": 1 },
      contractSize: {},
      outOfGas: false,
      type: "CREATE",
    });
    expect(gasUsed).toMatch(/^0x[0-9a-f]+$/);
    expect(gas).toMatch(/^0x[0-9a-f]+$/);
  });

  it("marks frames whose error wraps out of gas (gas-function failures) as outOfGas", () => {
    const tracer = buildTracer({ tracer: "erc7562Tracer" }, { fork: Fork.Cancun });
    const h = tracer.hooks;
    const none = new Uint8Array(0);
    const env = executeCall({ code: code("00"), fork: Fork.Cancun });
    h.onTxStart?.(
      {
        from: DEFAULT_SENDER,
        to: B,
        value: 0n,
        input: none,
        gasLimit: 50_000n,
        gasPrice: 0n,
        type: 0,
        nonce: 0n,
      },
      { state: env.state, block: defaultBlock(Fork.Cancun), fork: Fork.Cancun },
    );
    h.onEnter?.(0, 0xf1, DEFAULT_SENDER, B, none, 29_000, 0n);
    h.onEnter?.(1, 0xf1, B, C, none, 2300, 0n);
    h.onExit?.(1, none, 2300, "out of gas: not enough gas for reentrancy sentry", true);
    h.onEnter?.(1, 0xfa, B, D, none, 5000, 0n);
    h.onExit?.(1, none, 5000, "invalid opcode: INVALID", true);
    h.onExit?.(0, none, 7300, null, false);
    h.onTxEnd?.({ gasUsed: 28_300n, success: true, returnData: none });
    const result = JSON.parse(JSON.stringify(tracer.getResult()));
    expect(result.gasUsed).toBe("0x6e8c");
    expect(result.calls.map((c: { outOfGas: boolean; error: string }) => [c.error, c.outOfGas])).toEqual([
      ["out of gas: not enough gas for reentrancy sentry", true],
      ["invalid opcode: INVALID", false],
    ]);
    // STATICCALL frames carry no value.
    expect(result.calls[1].value).toBeUndefined();
  });

  it("parses its options as go-ethereum does", () => {
    expect(parseErc7562Config(undefined)).toEqual({
      stackTopItemsSize: 3,
      ignoredOpcodes: null,
      withLog: false,
    });
    expect(parseErc7562Config({ ignoredOpcodes: ["0x60", "0xF1"] }).ignoredOpcodes).toEqual([0x60, 0xf1]);
    expect(() => parseErc7562Config({ ignoredOpcodes: [96] })).toThrow(TracerError);
    expect(() => parseErc7562Config({ ignoredOpcodes: ["0x060"] })).toThrow("ignoredOpcodes[0]");
    expect(defaultIgnoredOpcodes()).toHaveLength(65 + 16);
  });

  it("fails with the stop reason once stopped", () => {
    const tracer = buildTracer({ tracer: "erc7562Tracer" }, { fork: Fork.Cancun });
    tracer.stop(new TracerError("execution timeout"));
    executeCall({ code: A_CODE, fork: Fork.Cancun, hooks: tracer.hooks, prestate: prestate() });
    expect(() => tracer.getResult()).toThrow("execution timeout");
  });
});
