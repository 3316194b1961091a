import { describe, expect, it } from "vitest";
import { Fork } from "../evm/forks.js";
import { hexToBytes } from "../primitives/hex.js";
import { executeCall } from "../runners/call.js";
import { eip3155Hooks } from "../tracing/eip3155.js";
import "./eip3155-tracer.js";
import { buildTracer, knownTracers } from "./registry.js";
import { runTrace } from "./trace.js";

const traceLines = (code: string, tracerConfig?: unknown, sink?: (c: string) => void) => {
  const ctx = sink === undefined ? { fork: Fork.Cancun } : { fork: Fork.Cancun, sink };
  return runTrace(
    tracerConfig === undefined ? { tracer: "eip3155" } : { tracer: "eip3155", tracerConfig },
    ctx,
    (hooks) => executeCall({ code: hexToBytes(code), hooks, fork: Fork.Cancun, gas: 1000n }),
  );
};

describe("eip3155 tracer", () => {
  it("is registered", () => {
    expect(knownTracers()).toContain("eip3155");
  });

  it("returns the EIP-3155 lines, one per step, and a summary line", () => {
    const run = traceLines("6001600101");
    expect(run.error).toBeNull();
    const text = run.tracer.getResult() as string;
    expect(text.endsWith("\n")).toBe(true);
    expect(text.trimEnd().split("\n")).toEqual([
      '{"pc":0,"op":96,"gas":"0x3e8","gasCost":"0x3","memSize":0,"stack":[],"depth":1,"refund":0,"opName":"PUSH1"}',
      '{"pc":2,"op":96,"gas":"0x3e5","gasCost":"0x3","memSize":0,"stack":["0x1"],"depth":1,"refund":0,"opName":"PUSH1"}',
      '{"pc":4,"op":1,"gas":"0x3e2","gasCost":"0x3","memSize":0,"stack":["0x1","0x1"],"depth":1,"refund":0,"opName":"ADD"}',
      '{"pc":5,"op":0,"gas":"0x3df","gasCost":"0x0","memSize":0,"stack":["0x2"],"depth":1,"refund":0,"opName":"STOP"}',
      '{"output":"","gasUsed":"0x9"}',
    ]);
    let written = "";
    run.tracer.writeResult((c) => {
      written += c;
    });
    expect(JSON.parse(written)).toBe(text);
  });

  it("writes the same lines as the hooks `sonde statetest --trace` uses", () => {
    const lines: string[] = [];
    const code = "602a60005260206000fd";
    executeCall({
      code: hexToBytes(code),
      fork: Fork.Cancun,
      gas: 1000n,
      hooks: eip3155Hooks((l) => lines.push(l)),
    });
    expect(traceLines(code).tracer.getResult()).toBe(`${lines.join("\n")}\n`);
  });

  it("streams lines to a sink and keeps nothing", () => {
    const chunks: string[] = [];
    const sink = (c: string) => chunks.push(c);
    const run = traceLines("6001600101", undefined, sink);
    expect(chunks).toHaveLength(5);
    expect(chunks.every((c) => c.endsWith("\n"))).toBe(true);
    run.tracer.writeResult(sink);
    expect(chunks).toHaveLength(5);
    expect(chunks.join("")).toBe(traceLines("6001600101").tracer.getResult());
  });

  it("takes enableMemory/disableStack from tracerConfig and checks their types", () => {
    const text = traceLines("602a600052", {
      enableMemory: true,
      disableStack: true,
    }).tracer.getResult() as string;
    const last = JSON.parse(text.split("\n")[3]!);
    expect(last).toEqual({
      pc: 5,
      op: 0,
      gas: "0x3dc", // 1000 - 3 - 3 - 6
      gasCost: "0x0",
      memory: `0x${"0".repeat(62)}2a`,
      memSize: 32,
      depth: 1,
      refund: 0,
      opName: "STOP",
    });
    expect(() =>
      buildTracer({ tracer: "eip3155", tracerConfig: { enableMemory: 1 } }, { fork: Fork.Cancun }),
    ).toThrow("eip3155: tracerConfig.enableMemory must be a boolean");
  });

  it("fails with the stop reason after a timeout", () => {
    const run = runTrace(
      { tracer: "eip3155", timeout: "20ms" },
      { fork: Fork.Cancun, sink: () => {} },
      (hooks) => executeCall({ code: hexToBytes("5b600056"), hooks, fork: Fork.Cancun }),
    );
    expect(run.error?.message).toBe("execution timeout");
    expect(() => run.tracer.writeResult(() => {})).toThrow("execution timeout");
  });
});
