import { describe, expect, it } from "vitest";
import { Fork } from "../evm/forks.js";
import { hexToBytes } from "../primitives/hex.js";
import { executeCall } from "../runners/call.js";
import { parseAlloc } from "../runners/statetest.js";
import type { StepScope } from "../tracing/hooks.js";
import "./struct-logger.js";
import { buildTracer } from "./registry.js";
import { StructLogger, structLoggerOptions } from "./struct-logger.js";
import { runTrace } from "./trace.js";
import { type TraceConfig, TracerError } from "./types.js";

const RECEIVER = "0x0000000000000000000000007265636569766572";
const CALLEE = "0x00000000000000000000000000000000000ca11e";
const word = (n: number | bigint) => `0x${n.toString(16).padStart(64, "0")}`;

interface Traced {
  text: string;
  streamed: string;
  result: { gas: number; failed: boolean; returnValue: string; structLogs: Record<string, unknown>[] };
}

/** Traces `code` at the receiver twice, without and with a sink, and returns both texts. */
function trace(code: string, config: TraceConfig = {}, gas = 100_000n, pre?: unknown): Traced {
  const exec = (sink?: (c: string) => void) => {
    const ctx = sink === undefined ? { fork: Fork.Cancun } : { fork: Fork.Cancun, sink };
    const run = runTrace({ ...config, timeout: "0" }, ctx, (hooks) =>
      executeCall({
        code: hexToBytes(code),
        hooks,
        fork: Fork.Cancun,
        gas,
        ...(pre === undefined ? {} : { prestate: parseAlloc(pre) }),
      }),
    );
    expect(run.error).toBeNull();
    return run.tracer;
  };
  const plain = exec();
  let text = "";
  plain.writeResult((c) => {
    text += c;
  });
  let streamed = "";
  const sink = (c: string) => {
    streamed += c;
  };
  exec(sink).writeResult(sink);
  return { text, streamed, result: plain.getResult() as Traced["result"] };
}

const entries = (t: Traced) => t.result.structLogs;

describe("struct logger", () => {
  it("is the default tracer and the structLogger name", () => {
    expect(buildTracer({}, { fork: Fork.Cancun }).name).toBe("structLogger");
    expect(buildTracer({ tracer: "" }, { fork: Fork.Cancun }).name).toBe("structLogger");
    expect(buildTracer({ tracer: "structLogger" }, { fork: Fork.Cancun })).toBeInstanceOf(StructLogger);
  });

  it("writes go-ethereum's entries for PUSH/ADD/STOP, exact text", () => {
    const t = trace("600160020100");
    expect(t.text).toBe(
      '{"structLogs":[' +
        '{"pc":0,"op":"PUSH1","gas":100000,"gasCost":3,"depth":1,"stack":[]},' +
        '{"pc":2,"op":"PUSH1","gas":99997,"gasCost":3,"depth":1,"stack":["0x1"]},' +
        '{"pc":4,"op":"ADD","gas":99994,"gasCost":3,"depth":1,"stack":["0x1","0x2"]},' +
        '{"pc":5,"op":"STOP","gas":99991,"gasCost":0,"depth":1,"stack":["0x3"]}' +
        '],"gas":9,"failed":false,"returnValue":"0x"}',
    );
    expect(t.streamed).toBe(t.text);
    // getResult has go-ethereum's key order and the same value.
    expect(Object.keys(t.result)).toEqual(["gas", "failed", "returnValue", "structLogs"]);
    expect(t.result).toEqual(JSON.parse(t.text));
  });

  it("leaves the stack out with disableStack and writes compact hex quantities", () => {
    const t = trace("7f00000000000000000000000000000000000000000000000000000000000000ff6000", {
      disableStack: true,
    });
    expect(entries(t)[1]).toEqual({ pc: 33, op: "PUSH1", gas: 99997, gasCost: 3, depth: 1 });
    const s = trace("7fff000000000000000000000000000000000000000000000000000000000000006000");
    expect(entries(s)[1]!.stack).toEqual([`0xff${"0".repeat(62)}`]);
    expect(entries(s)[2]!.stack).toEqual([`0xff${"0".repeat(62)}`, "0x0"]);
  });

  it("records storage on SLOAD/SSTORE only, keys sorted, with the refund counter", () => {
    // PUSH1 2a PUSH1 10 SSTORE  PUSH1 1 SLOAD POP  PUSH1 0 PUSH1 1 SSTORE  STOP
    const code = "602a601055600154506000600155" + "00";
    const pre = { [RECEIVER]: { balance: "0x0", code: "0x", storage: { "0x01": "0x05", "0x10": "0x07" } } };
    const t = trace(code, {}, 100_000n, pre);
    const s10 = { [word(0x10)]: word(0x2a) };
    const both = { [word(1)]: word(5), [word(0x10)]: word(0x2a) };
    const cleared = { [word(1)]: word(0), [word(0x10)]: word(0x2a) };
    const G = 100_000;
    expect(entries(t)).toEqual([
      { pc: 0, op: "PUSH1", gas: G, gasCost: 3, depth: 1, stack: [] },
      { pc: 2, op: "PUSH1", gas: G - 3, gasCost: 3, depth: 1, stack: ["0x2a"] },
      // cold slot, 7 -> 0x2a: 2100 + 2900
      { pc: 4, op: "SSTORE", gas: G - 6, gasCost: 5000, depth: 1, stack: ["0x2a", "0x10"], storage: s10 },
      { pc: 5, op: "PUSH1", gas: G - 5006, gasCost: 3, depth: 1, stack: [] },
      // SLOAD reads the state's value (5) and shows every slot seen so far
      { pc: 7, op: "SLOAD", gas: G - 5009, gasCost: 2100, depth: 1, stack: ["0x1"], storage: both },
      { pc: 8, op: "POP", gas: G - 7109, gasCost: 2, depth: 1, stack: ["0x5"] },
      { pc: 9, op: "PUSH1", gas: G - 7111, gasCost: 3, depth: 1, stack: [] },
      { pc: 11, op: "PUSH1", gas: G - 7114, gasCost: 3, depth: 1, stack: ["0x0"] },
      // The refund is counted by SSTORE's gas function, before the step is reported (as in
      // go-ethereum), so SSTORE's own entry already shows it.
      {
        pc: 13,
        op: "SSTORE",
        gas: G - 7117,
        gasCost: 2900,
        depth: 1,
        stack: ["0x0", "0x1"],
        storage: cleared,
        refund: 4800,
      },
      { pc: 14, op: "STOP", gas: G - 10017, gasCost: 0, depth: 1, stack: [], refund: 4800 },
    ]);
    // Keys in numeric order in the text too (slot 1 was seen after slot 0x10).
    expect(t.text).toContain(`"storage":{"${word(1)}":"${word(5)}","${word(0x10)}":"${word(0x2a)}"}`);
    expect(t.streamed).toBe(t.text);
    const off = trace(code, { disableStorage: true }, 100_000n, pre);
    expect(entries(off).some((e) => "storage" in e)).toBe(false);
    expect(entries(off)[9]).toMatchObject({ op: "STOP", refund: 4800 });
  });

  it("records memory as 32-byte words with enableMemory, only once it is not empty", () => {
    // PUSH1 2a PUSH1 20 MSTORE PUSH1 20 PUSH1 20 RETURN
    const code = "602a60205260206020f3";
    const t = trace(code, { enableMemory: true });
    const mem = [word(0), word(0x2a)];
    expect(entries(t).map((e) => e.memory)).toEqual([undefined, undefined, undefined, mem, mem, mem]);
    expect(t.result.returnValue).toBe(word(0x2a));
    expect(t.result.failed).toBe(false);
    expect(t.streamed).toBe(t.text);
    expect(entries(trace(code)).some((e) => "memory" in e)).toBe(false);
  });

  it("follows calls (depth 2) and records return data with enableReturnData", () => {
    // callee: PUSH1 2a PUSH1 0 MSTORE PUSH1 20 PUSH1 0 RETURN
    // caller: PUSH1 0 x5, PUSH20 callee, GAS, CALL, STOP
    const code = `60006000600060006000${"73"}${CALLEE.slice(2)}5af100`;
    const pre = { [CALLEE]: { balance: "0x0", code: "0x602a60005260206000f3", storage: {} } };
    const t = trace(code, { enableReturnData: true }, 100_000n, pre);
    const ops = entries(t).map((e) => `${e.depth}:${e.op}`);
    expect(ops).toEqual([
      "1:PUSH1",
      "1:PUSH1",
      "1:PUSH1",
      "1:PUSH1",
      "1:PUSH1",
      "1:PUSH20",
      "1:GAS",
      "1:CALL",
      "2:PUSH1",
      "2:PUSH1",
      "2:MSTORE",
      "2:PUSH1",
      "2:PUSH1",
      "2:RETURN",
      "1:STOP",
    ]);
    const last = entries(t).at(-1)!;
    expect(last.returnData).toBe(word(0x2a));
    expect(last.stack).toEqual(["0x1"]);
    expect(
      entries(t)
        .slice(0, -1)
        .some((e) => "returnData" in e),
    ).toBe(false);
    // The callee's first entry: an empty stack of its own, the gas it was given.
    const call = entries(t)[7]!;
    const first = entries(t)[8]!;
    expect(first.stack).toEqual([]);
    expect(first.gas).toBe((call.gasCost as number) - 2600); // CALL's cost = cold access + gas forwarded
    expect(t.streamed).toBe(t.text);
    expect(entries(trace(code, {}, 100_000n, pre)).some((e) => "returnData" in e)).toBe(false);
  });

  it("reports REVERT's data as returnValue and failed", () => {
    // PUSH1 2a PUSH1 0 MSTORE PUSH1 20 PUSH1 0 REVERT
    const t = trace("602a60005260206000fd");
    expect(t.result.failed).toBe(true);
    expect(t.result.returnValue).toBe(word(0x2a));
    expect(entries(t).at(-1)).toEqual({
      pc: 9,
      op: "REVERT",
      gas: 100_000 - 18,
      gasCost: 0,
      depth: 1,
      stack: ["0x20", "0x0"],
    });
    expect(t.text.endsWith(`],"gas":18,"failed":true,"returnValue":"${word(0x2a)}"}`)).toBe(true);
  });

  it("writes go-ethereum's error text on entries that cannot start; returnValue is empty", () => {
    expect(trace("01").text).toBe(
      '{"structLogs":[{"pc":0,"op":"ADD","gas":100000,"gasCost":3,"depth":1,"error":"stack underflow (0 <=> 2)","stack":[]}],' +
        '"gas":100000,"failed":true,"returnValue":"0x"}',
    );
    expect(trace("6001", {}, 2n).text).toBe(
      '{"structLogs":[{"pc":0,"op":"PUSH1","gas":2,"gasCost":3,"depth":1,"error":"out of gas","stack":[]}],' +
        '"gas":2,"failed":true,"returnValue":"0x"}',
    );
    // INVALID starts (no error on its entry) and fails while executing, as in go-ethereum.
    const inv = trace("fe", {}, 50n);
    expect(entries(inv)).toEqual([{ pc: 0, op: "INVALID", gas: 50, gasCost: 0, depth: 1, stack: [] }]);
    expect(inv.result).toMatchObject({ gas: 50, failed: true, returnValue: "0x" });
    // An undefined opcode is named as go-ethereum names it.
    expect(entries(trace("0c", {}, 50n))[0]!.op).toBe("opcode 0xc not defined");
  });

  it("limit is a size in bytes: entries stop once the recorded JSON exceeds it", () => {
    const full = trace("600160020100");
    const texts = full.text
      .slice('{"structLogs":['.length, full.text.indexOf('],"gas"'))
      .split(/,(?=\{"pc")/);
    expect(texts).toHaveLength(4);
    const len0 = texts[0]!.length;
    // size == limit after the first entry: not over the limit, the second is recorded.
    expect(entries(trace("600160020100", { limit: len0 }))).toHaveLength(2);
    expect(entries(trace("600160020100", { limit: len0 - 1 }))).toHaveLength(1);
    expect(entries(trace("600160020100", { limit: len0 + texts[1]!.length + 1 }))).toHaveLength(3);
    const limited = trace("600160020100", { limit: 1 });
    expect(limited.streamed).toBe(limited.text);
    // The totals do not depend on the limit.
    expect(limited.result).toMatchObject({ gas: 9, failed: false, returnValue: "0x" });
  });

  it("streams entries to the sink in chunks while execution goes on, and keeps none", () => {
    const chunks: string[] = [];
    const sink = (c: string) => chunks.push(c);
    // 3000 iterations of JUMPDEST PUSH1 0 JUMP: 9000 entries, several 64 KiB chunks.
    const run = runTrace({}, { fork: Fork.Cancun, sink }, (hooks) =>
      executeCall({ code: hexToBytes("5b600056"), hooks, fork: Fork.Cancun, gas: 36_000n }),
    );
    const during = chunks.length;
    expect(during).toBeGreaterThan(5);
    expect(chunks.slice(0, during).every((c) => c.length >= 1 << 16)).toBe(true);
    expect(chunks[0]!.startsWith('{"structLogs":[{"pc":0,"op":"JUMPDEST","gas":36000,"gasCost":1,')).toBe(
      true,
    );
    run.tracer.writeResult(sink);
    const doc = JSON.parse(chunks.join(""));
    expect(doc.structLogs).toHaveLength(9001); // the last JUMPDEST fails for want of gas
    expect(doc.structLogs[9000]).toEqual({
      pc: 0,
      op: "JUMPDEST",
      gas: 0,
      gasCost: 1,
      depth: 1,
      error: "out of gas",
      stack: [],
    });
    expect(doc).toMatchObject({ gas: 36_000, failed: true, returnValue: "0x" });
    expect(() => run.tracer.getResult()).toThrow(/streamed/);
    // The same text as without a sink.
    const plain = runTrace({}, { fork: Fork.Cancun }, (hooks) =>
      executeCall({ code: hexToBytes("5b600056"), hooks, fork: Fork.Cancun, gas: 36_000n }),
    );
    let text = "";
    plain.tracer.writeResult((c) => {
      text += c;
    });
    expect(text).toBe(chunks.join(""));
    expect(plain.tracer.getResult()).toEqual(doc);
    // No steps at all: still a complete document.
    const empty: string[] = [];
    const t = buildTracer({}, { fork: Fork.Cancun, sink: (c) => empty.push(c) });
    t.writeResult((c) => empty.push(c));
    expect(JSON.parse(empty.join(""))).toEqual({ structLogs: [], gas: 0, failed: false, returnValue: "0x" });
  });

  it("hands pending entries to the sink when stopped", () => {
    const chunks: string[] = [];
    const run = runTrace({ timeout: "30ms" }, { fork: Fork.Cancun, sink: (c) => chunks.push(c) }, (hooks) =>
      executeCall({ code: hexToBytes("5b600056"), hooks, fork: Fork.Cancun }),
    );
    expect(run.error?.message).toBe("execution timeout");
    const text = chunks.join("");
    expect(text.endsWith("}")).toBe(true); // ends with a whole entry
    expect(() => run.tracer.writeResult(() => {})).toThrow("execution timeout");
  });

  it("writes numbers of every size right", () => {
    const big = trace("600160020100", {}, 1_000_000_005n);
    expect(entries(big).map((e) => e.gas)).toEqual([1_000_000_005, 1_000_000_002, 999_999_999, 999_999_996]);
    expect(big.text).toContain('"gas":1000000005,');
    const huge = trace("6001", {}, 123_456_789_012_345_678n); // capped at 2^53-1 by executeCall
    expect(huge.text).toContain(`"gas":${Number.MAX_SAFE_INTEGER},`);
    const t = trace("600160020100", {}, 10_000_000_000n);
    expect(t.text).toContain('"gas":10000000000,');
    expect(t.text).toContain('"gas":9999999997,');
    for (const g of [7n, 10n, 99n, 100n, 101n, 12_345n, 100_000_000n]) {
      expect(entries(trace("00", {}, g))[0]!.gas).toBe(Number(g));
    }
  });

  it("re-encodes memory changed in place", () => {
    // PUSH1 1 PUSH1 0 MSTORE  PUSH1 2 PUSH1 0 MSTORE  STOP
    const t = trace("6001600052600260005200", { enableMemory: true });
    expect(entries(t).map((e) => e.memory)).toEqual([
      undefined,
      undefined,
      undefined,
      [word(1)],
      [word(1)],
      [word(1)],
      [word(2)],
    ]);
  });

  it("writes stack quantities around 32-bit boundaries", () => {
    // PUSH4 ffffffff PUSH4 80000000 PUSH5 0100000000 PUSH1 0f STOP
    const t = trace("63ffffffff6380000000640100000000600f00");
    expect(entries(t).at(-1)!.stack).toEqual(["0xffffffff", "0x80000000", "0x100000000", "0xf"]);
  });

  it("writes big stack values and deep stacks right", () => {
    // PUSH32 2^256-1, then DUP1 x 20, STOP
    const code = `7f${"ff".repeat(32)}${"80".repeat(20)}00`;
    const t = trace(code);
    const max = `0x${"f".repeat(64)}`;
    expect(entries(t).at(-1)!.stack).toEqual(new Array(21).fill(max));
    expect(t.streamed).toBe(t.text);
  });

  it("skips system calls, keeps the VM error over an invalid-transaction error, and stops", () => {
    const t = buildTracer({}, { fork: Fork.Cancun });
    const scope = {
      stack: [1n],
      stackSize: 1,
      memory: new Uint8Array(0),
      memorySize: 0,
      address: RECEIVER,
      caller: RECEIVER,
      value: 0n,
      input: new Uint8Array(0),
      code: new Uint8Array(0),
      returnData: new Uint8Array(0),
      refund: 0,
    } satisfies StepScope;
    const h = t.hooks;
    h.onSystemCallStart!({} as never);
    h.onOpcode!(0, 0x00, 10, 0, scope, 1, null);
    h.onExit!(0, new Uint8Array([1]), 0, null, false);
    h.onSystemCallEnd!();
    h.onOpcode!(7, 0x50, 10, 2, scope, 1, null);
    h.onExit!(0, new Uint8Array([9]), 5, "out of gas", true);
    h.onTxEnd!({
      gasUsed: 0n,
      success: false,
      invalid: new Error("nonce too low"),
      returnData: new Uint8Array(0),
    });
    expect(t.getResult()).toEqual({
      gas: 0,
      failed: true,
      returnValue: "0x",
      structLogs: [{ pc: 7, op: "POP", gas: 10, gasCost: 2, depth: 1, stack: ["0x1"] }],
    });
    t.stop(new TracerError("execution timeout"));
    h.onOpcode!(8, 0x00, 8, 0, scope, 1, null);
    expect(() => t.getResult()).toThrow("execution timeout");
    expect(() => t.writeResult(() => {})).toThrow("execution timeout");
  });

  it("stops with go-ethereum's timeout error on an endless loop", () => {
    const run = runTrace({ timeout: "50ms", limit: 1000 }, { fork: Fork.Cancun }, (hooks) =>
      executeCall({ code: hexToBytes("5b600056"), hooks, fork: Fork.Cancun }),
    );
    expect(run.error?.message).toBe("execution timeout");
    expect(() => run.tracer.getResult()).toThrow("execution timeout");
  });

  it("checks option types", () => {
    expect(structLoggerOptions({ limit: 5, enableMemory: true })).toEqual({
      enableMemory: true,
      disableStack: false,
      disableStorage: false,
      enableReturnData: false,
      limit: 5,
    });
    expect(() => structLoggerOptions({ enableMemory: "yes" } as never)).toThrow(
      "structLogger: enableMemory must be a boolean",
    );
    expect(() => structLoggerOptions({ limit: 1.5 })).toThrow(/limit must be an integer/);
  });

  it("keeps the stack cache right when items change below the top and frames switch", () => {
    // PUSH1 1 PUSH1 2 PUSH1 3 SWAP2 POP POP POP PUSH1 9 STOP
    const t = trace("6001600260039150505060090" + "0");
    expect(entries(t).map((e) => e.stack)).toEqual([
      [],
      ["0x1"],
      ["0x1", "0x2"],
      ["0x1", "0x2", "0x3"],
      ["0x3", "0x2", "0x1"],
      ["0x3", "0x2"],
      ["0x3"],
      [],
      ["0x9"],
    ]);
  });
});
