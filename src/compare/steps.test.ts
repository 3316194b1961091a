import { describe, expect, it } from "vitest";
import {
  mergeSummary,
  opcodeFromName,
  parseTraceLine,
  readQuantity,
  StepFormatError,
  stepFromStructLog,
  summaryCollides,
  summaryFromObject,
} from "./steps.js";

const step = (line: string) => {
  const item = parseTraceLine(line, 7);
  if (item.kind !== "step") throw new Error(`not a step: ${item.kind}`);
  return item.step;
};

describe("readQuantity", () => {
  it("reads JSON numbers, decimal and hex strings; bigints above 2^53", () => {
    expect(readQuantity(21000)).toBe(21000);
    expect(readQuantity("21000")).toBe(21000);
    expect(readQuantity("0x5208")).toBe(21000);
    expect(readQuantity("0X5208")).toBe(21000);
    expect(readQuantity("0xffffffffffffffff")).toBe(0xffffffffffffffffn);
    expect(readQuantity("0x001")).toBe(1);
    expect(readQuantity("18446744073709551615")).toBe(18446744073709551615n);
    expect(readQuantity("0x1fffffffffffff")).toBe(Number.MAX_SAFE_INTEGER); // 14 digits, still a number
  });
  it("rejects what is not a non-negative integer", () => {
    for (const bad of [-1, 1.5, "", "0x", "0xzz", "12a", "-5", null, true, " 12"]) {
      expect(readQuantity(bad)).toBeUndefined();
    }
  });
});

describe("parseTraceLine: EIP-3155", () => {
  it("reads a Sonde / go-ethereum line (hex gas, op number, opName)", () => {
    const s = step(
      '{"pc":7,"op":85,"gas":"0x2bb2c","gasCost":"0x5654","memSize":32,"stack":["0x2","0x0"],"depth":1,"refund":4800,"opName":"SSTORE"}',
    );
    expect(s).toEqual({
      pc: 7,
      op: 0x55,
      opName: "SSTORE",
      gas: 0x2bb2c,
      gasCost: 0x5654,
      depth: 1,
      stack: ["0x2", "0x0"],
      memSize: 32,
      memory: undefined,
      storage: undefined,
      refund: 4800,
      error: undefined,
      returnData: undefined,
      line: 7,
    });
  });

  it("reads decimal gas numbers and fills in the op name", () => {
    const s = step('{"pc":0,"op":96,"gas":179000,"gasCost":3,"memSize":0,"stack":[],"depth":1,"refund":0}');
    expect(s.opName).toBe("PUSH1");
    expect(s.gas).toBe(179000);
    expect(s.gasCost).toBe(3);
    expect(s.stack).toEqual([]);
  });

  it("reads memory, return data and an error; an empty error is none", () => {
    const s = step(
      '{"pc":1,"op":254,"gas":"0x10","gasCost":"0x0","memory":"0x00AB","memSize":2,"stack":[],"returnData":"0xBEEF","depth":2,"refund":0,"opName":"INVALID","error":"invalid opcode: INVALID"}',
    );
    expect(s.memory).toBe("00ab");
    expect(s.returnData).toBe("beef");
    expect(s.error).toBe("invalid opcode: INVALID");
    expect(step('{"pc":1,"op":0,"gas":1,"depth":1,"error":""}').error).toBeUndefined();
  });

  it("accepts an op given only by opName, and gas above 2^53 as a bigint", () => {
    const s = step('{"pc":1,"opName":"KECCAK256","gas":"0x7fffffffffffffff","depth":1}');
    expect(s.op).toBe(0x20);
    expect(s.gas).toBe(0x7fffffffffffffffn);
    expect(s.refund).toBeUndefined();
  });

  it("sorts summaries, noise and blank lines", () => {
    expect(parseTraceLine('{"output":"","gasUsed":"0x5211"}')).toMatchObject({
      kind: "summary",
      summary: { output: "", gasUsed: 0x5211 },
    });
    expect(parseTraceLine('{"stateRoot":"0xABCD"}')).toMatchObject({
      kind: "summary",
      summary: { stateRoot: "0xabcd" },
    });
    expect(parseTraceLine("INFO [01-01|00:00:00.000] Starting").kind).toBe("noise");
    expect(parseTraceLine('{"level":"info","msg":"hello","error":"x"}').kind).toBe("noise");
    expect(parseTraceLine('[{"name":"t","pass":true}]').kind).toBe("noise");
    expect(parseTraceLine("{not json at all").kind).toBe("noise");
    expect(parseTraceLine('{"unrelated":1}').kind).toBe("noise");
    expect(parseTraceLine("").kind).toBe("blank");
    expect(parseTraceLine("   \r").kind).toBe("blank");
  });

  it("throws naming what is wrong for a line that looks like a step", () => {
    expect(() => parseTraceLine('{"pc":1,"op":96,"gas":')).toThrow(StepFormatError);
    expect(() => parseTraceLine('{"pc":1,"op":96,"gas":')).toThrow(/malformed JSON/);
    expect(() => parseTraceLine('{"pc":1,"op":96,"depth":1}')).toThrow(/"gas" is missing/);
    expect(() => parseTraceLine('{"pc":1,"op":96,"gas":"0xzz","depth":1}')).toThrow(/"gas": "0xzz" is not/);
    expect(() => parseTraceLine('{"pc":1,"op":"FROB","gas":1,"depth":1}')).toThrow(
      /op "FROB" is not an opcode/,
    );
    expect(() => parseTraceLine('{"pc":1,"op":1,"gas":1,"depth":1,"stack":[{}]}')).toThrow(/"stack" item 0/);
  });

  it("names the field at fault first, not a missing opcode", () => {
    expect(() => parseTraceLine('{"pc":"zz"}')).toThrow(
      'malformed step: "pc": "zz" is not a non-negative integer',
    );
    expect(() => parseTraceLine('{"pc":1,"gas":1,"depth":1}')).toThrow(
      'malformed step: "op" (or "opName") is missing',
    );
    expect(() => parseTraceLine('{"pc":1,"op":"FROB","gas":1,"depth":1}')).toThrow(
      'malformed step: op "FROB" is not an opcode',
    );
  });
});

describe("struct logs", () => {
  it("reads a go-ethereum struct-log entry: op by name, memory words, storage, refund 0 when absent", () => {
    const s = stepFromStructLog({
      pc: 12,
      op: "SSTORE",
      gas: 78000,
      gasCost: 20000,
      depth: 1,
      stack: ["0x2a", "0x0"],
      memory: [`${"0".repeat(62)}2a`, "0".repeat(64)],
      storage: { [`0x${"0".repeat(64)}`]: `0x${"0".repeat(62)}2a` },
    });
    expect(s.op).toBe(0x55);
    expect(s.opName).toBe("SSTORE");
    expect(s.refund).toBe(0);
    expect(s.memory).toBe(`${"0".repeat(62)}2a${"0".repeat(64)}`);
    expect(s.storage).toEqual({ "0x0": "0x2a" });
  });

  it("gives struct-log lines (op by name) refund 0 and keeps a given refund", () => {
    expect(step('{"pc":0,"op":"PUSH1","gas":100,"gasCost":3,"depth":1,"stack":[]}').refund).toBe(0);
    expect(step('{"pc":0,"op":"PUSH1","gas":100,"gasCost":3,"depth":1,"refund":4800}').refund).toBe(4800);
  });

  it("prefixes old-style stack words without 0x", () => {
    expect(step(`{"pc":0,"op":"POP","gas":1,"depth":1,"stack":["${"0".repeat(63)}5"]}`).stack).toEqual([
      `0x${"0".repeat(63)}5`,
    ]);
  });

  it("knows other names of opcodes", () => {
    expect(opcodeFromName("SHA3")).toBe(0x20);
    expect(opcodeFromName("PREVRANDAO")).toBe(0x44);
    expect(opcodeFromName("DIFFICULTY")).toBe(0x44);
    expect(opcodeFromName("SUICIDE")).toBe(0xff);
    expect(opcodeFromName("opcode 0xef not defined")).toBe(0xef);
    expect(opcodeFromName("push1")).toBe(0x60);
    expect(opcodeFromName("NOPE")).toBeUndefined();
  });

  it("reads a one-line debug_traceTransaction result (bare or in a JSON-RPC reply)", () => {
    const doc = {
      gas: 21018,
      failed: false,
      returnValue: "0x",
      structLogs: [
        { pc: 0, op: "PUSH1", gas: 179000, gasCost: 3, depth: 1, stack: [] },
        { pc: 2, op: "STOP", gas: 178997, gasCost: 0, depth: 1, stack: ["0x1"] },
      ],
    };
    for (const line of [JSON.stringify(doc), JSON.stringify({ jsonrpc: "2.0", id: 1, result: doc })]) {
      const item = parseTraceLine(line, 1);
      if (item.kind !== "document") throw new Error(item.kind);
      expect(item.steps.map((s) => s.opName)).toEqual(["PUSH1", "STOP"]);
      expect(item.summary).toMatchObject({ gasUsed: 21018, output: "" });
      expect(item.summary.error).toBeUndefined();
    }
  });
});

describe("summaries", () => {
  it("merges go-ethereum's two summary lines and sees a repeated key as the next trace", () => {
    const first = summaryFromObject({ output: "0x2A", gasUsed: "0x5208" })!;
    const root = summaryFromObject({ stateRoot: "0xAB" })!;
    expect(summaryCollides(first, root)).toBe(false);
    const merged = mergeSummary(first, root);
    expect(merged).toMatchObject({ output: "2a", gasUsed: 21000, stateRoot: "0xab" });
    expect(summaryCollides(merged, summaryFromObject({ output: "" })!)).toBe(true);
  });
});
