import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { InvalidInputError } from "../errors.js";
import { compareTraceFiles, TraceFileReader } from "./reader.js";

const dir = mkdtempSync(join(tmpdir(), "sonde-reader-"));
let n = 0;
const file = (text: string | Buffer, ext = ".jsonl") => {
  const p = join(dir, `t${n++}${ext}`);
  writeFileSync(p, text);
  return p;
};

const stepLine = (pc: number, gas: number, extra = "") =>
  `{"pc":${pc},"op":96,"gas":"0x${gas.toString(16)}","gasCost":"0x3","memSize":0,"stack":[],"depth":1,"refund":0,"opName":"PUSH1"${extra}}`;

/** Reads every trace of a file as {pcs, summary}. */
async function readAll(path: string) {
  const r = new TraceFileReader(path);
  const out: { pcs: number[]; summary: unknown }[] = [];
  for await (const t of r.traces()) {
    const pcs: number[] = [];
    for await (const s of t.steps) pcs.push(s.pc);
    const s = await t.summary();
    out.push({ pcs, summary: s === undefined ? undefined : s.raw });
  }
  return { traces: out, noise: r.noise, firstNoise: r.firstNoiseLine, lines: r.lines };
}

describe("TraceFileReader", () => {
  it("splits a statetest output into traces at their summary lines, skipping noise", async () => {
    const text = [
      "INFO [11-21|13:00:00.000] starting",
      stepLine(0, 100),
      stepLine(2, 97),
      '{"output":"","gasUsed":"0x6"}',
      '{"stateRoot":"0xaa"}',
      "",
      stepLine(0, 50),
      '{"output":"","gasUsed":"0x3","stateRoot":"0xbb"}',
      // Two step-less traces in a row: the repeated key starts the second.
      '{"output":"","gasUsed":"0x0"}',
      '{"stateRoot":"0xcc"}',
      '{"output":"","gasUsed":"0x0"}',
      "WARN something else",
    ].join("\n");
    const r = await readAll(file(text));
    expect(r.traces).toEqual([
      { pcs: [0, 2], summary: { output: "", gasUsed: "0x6", stateRoot: "0xaa" } },
      { pcs: [0], summary: { output: "", gasUsed: "0x3", stateRoot: "0xbb" } },
      { pcs: [], summary: { output: "", gasUsed: "0x0", stateRoot: "0xcc" } },
      { pcs: [], summary: { output: "", gasUsed: "0x0" } },
    ]);
    expect(r.noise).toBe(2);
    expect(r.firstNoise).toBe(1);
  });

  it("reads a trace without a summary, CRLF line ends and a last line without newline", async () => {
    const r = await readAll(file(`${stepLine(0, 9)}\r\n${stepLine(1, 6)}`));
    expect(r.traces).toEqual([{ pcs: [0, 1], summary: undefined }]);
  });

  it("reads lines longer than a read chunk (large memory)", async () => {
    const memory = `0x${"ab".repeat(3 << 20)}`; // 6 MiB of hex on one line
    const text = `${stepLine(0, 9)}\n${stepLine(1, 6, `,"memory":"${memory}"`)}\n${stepLine(2, 3)}\n`;
    const r = new TraceFileReader(file(text));
    const steps = [];
    for await (const t of r.traces()) for await (const s of t.steps) steps.push(s);
    expect(steps.map((s) => s.pc)).toEqual([0, 1, 2]);
    expect(steps[1]!.memory!.length).toBe(6 << 20);
    expect(steps[1]!.line).toBe(2);
  });

  it("reads gzip files", async () => {
    const r = await readAll(
      file(gzipSync(`${stepLine(0, 9)}\n{"output":"","gasUsed":"0x1"}\n`), ".jsonl.gz"),
    );
    expect(r.traces).toEqual([{ pcs: [0], summary: { output: "", gasUsed: "0x1" } }]);
  });

  it("names the file and line of a malformed step", async () => {
    const p = file(`${stepLine(0, 9)}\n\n{"pc":2,"op":96,"gas":"0x5",\n`);
    await expect(readAll(p)).rejects.toThrow(InvalidInputError);
    await expect(readAll(p)).rejects.toThrow(
      new RegExp(`${p.replace(/[.]/g, "\\.")} line 3: malformed JSON`),
    );
    const q = file(`${stepLine(0, 9)}\n{"pc":2,"op":96,"depth":1}\n`);
    await expect(readAll(q)).rejects.toThrow(/line 2: malformed step: "gas" is missing/);
    const z = file(`${stepLine(0, 9)}\n{"pc":"zz"}\n`);
    await expect(readAll(z)).rejects.toThrow(
      `${z} line 2: malformed step: "pc": "zz" is not a non-negative integer`,
    );
  });

  it("says when a file cannot be read", () => {
    expect(() => new TraceFileReader(join(dir, "missing.jsonl"))).toThrow(
      /cannot read .*missing\.jsonl: no such file/,
    );
    expect(() => new TraceFileReader(dir)).toThrow(/cannot read/);
  });
});

describe("compareTraceFiles", () => {
  it("compares files of different formats: EIP-3155 against struct logs", async () => {
    const a = file(
      [
        '{"pc":0,"op":96,"gas":"0x2bb38","gasCost":"0x3","memSize":0,"stack":[],"depth":1,"refund":0,"opName":"PUSH1"}',
        '{"pc":2,"op":0,"gas":"0x2bb35","gasCost":"0x0","memSize":0,"stack":["0x1"],"depth":1,"refund":0,"opName":"STOP"}',
        '{"output":"","gasUsed":"0x5211"}',
      ].join("\n"),
    );
    const b = file(
      [
        "some log line",
        '{"pc":0,"op":"PUSH1","gas":179000,"gasCost":3,"depth":1,"stack":[]}',
        '{"pc":2,"op":"STOP","gas":178997,"gasCost":0,"depth":1,"stack":["0x01"]}',
        '{"output":"0x","gasUsed":21009}',
      ].join("\n"),
    );
    const r = await compareTraceFiles(a, b);
    expect(r.verdict).toBe("no divergence: 2 steps compared");
    expect(r.inputs.b).toMatchObject({ noise: 1, firstNoiseLine: 1, lines: 4 });
  });

  it("stops at the first divergence with line numbers on the steps", async () => {
    const lines = (k: number) =>
      Array.from({ length: 20 }, (_, i) => stepLine(i, 1000 - i * 3 - (i >= k ? 1 : 0))).join("\n");
    const r = await compareTraceFiles(file(lines(99)), file(`noise\n${lines(12)}`));
    const d = r.divergence!;
    expect(d.step).toBe(13);
    expect(d.a!.line).toBe(13);
    expect(d.b!.line).toBe(14);
    expect(d.context.a).toHaveLength(8);
    // The equal lines before were parsed once for both sides, each keeping its own line number.
    expect(d.context.a.map((s) => s.line)).toEqual([5, 6, 7, 8, 9, 10, 11, 12]);
    expect(d.context.b.map((s) => s.line)).toEqual([6, 7, 8, 9, 10, 11, 12, 13]);
    expect(r.verdict).toBe("DIVERGED at step 13 (pc 0xc PUSH1, depth 1): gas 964 ≠ 963");
  });
});
