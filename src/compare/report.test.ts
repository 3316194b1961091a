import { describe, expect, it } from "vitest";
import { formatReport, reportJson } from "./report.js";
import type { Step } from "./steps.js";
import { compareTraces, type Trace } from "./tracediff.js";

const step = (pc: number, gas: number, over: Partial<Step> = {}): Step => ({
  pc,
  op: 0x60,
  opName: "PUSH1",
  gas,
  gasCost: 3,
  depth: 1,
  stack: ["0x1", "0x2", "0x3", "0x4"],
  ...over,
});

async function* once(steps: Step[]): AsyncGenerator<Trace> {
  yield {
    steps: (async function* () {
      yield* steps;
    })(),
    summary: async () => undefined,
  };
}

async function diverged() {
  const a = [step(0, 100), step(2, 97), step(4, 94, { op: 0x55, opName: "SSTORE", gasCost: 20000 })];
  const b = [step(0, 100), step(2, 97), step(4, 94, { op: 0x55, opName: "SSTORE", gasCost: 2900 })];
  return compareTraces(once(a), once(b), { context: 2 });
}

describe("formatReport", () => {
  it("prints both sides side by side, marks the differing cells and ends with the verdict", async () => {
    const text = formatReport(await diverged(), { labels: { a: "geth.jsonl", b: "sonde.jsonl" } });
    expect(text.split("\n")).toEqual([
      "A: geth.jsonl",
      "B: sonde.jsonl",
      "",
      "steps 1–3, A on the left, B on the right:",
      "  step │  pc  op      gas   cost  d  stack (top first) │  pc  op      gas  cost  d  stack (top first)",
      "     1 │ 0x0  PUSH1   100      3  1  0x4 0x3 0x2 …(4)  │ 0x0  PUSH1   100     3  1  0x4 0x3 0x2 …(4)",
      "     2 │ 0x2  PUSH1    97      3  1  0x4 0x3 0x2 …(4)  │ 0x2  PUSH1    97     3  1  0x4 0x3 0x2 …(4)",
      ">    3 │ 0x4  SSTORE   94  20000* 1  0x4 0x3 0x2 …(4)  │ 0x4  SSTORE   94  2900* 1  0x4 0x3 0x2 …(4)",
      "",
      "differing at step 3:",
      "  gasCost  A 20000   B 2900",
      "DIVERGED at step 3 (pc 0x4 SSTORE, depth 1): gasCost 20000 ≠ 2900",
      "",
    ]);
    expect(text.includes("\x1b[")).toBe(false);
  });

  it("shows the storage and memory the diverging step sees, when the traces record them", async () => {
    const at = { op: 0x55, opName: "SSTORE", memSize: 64, memory: `${"00".repeat(31)}2a${"00".repeat(32)}` };
    const a = [
      step(0, 100),
      step(4, 94, { ...at, gasCost: 20000, storage: { "0x0": "0x1", "0x5": "0x2a" } }),
    ];
    const b = [step(0, 100), step(4, 94, { ...at, gasCost: 2900, storage: { "0x0": "0x1" } })];
    const text = formatReport(await compareTraces(once(a), once(b)));
    const lines = text.split("\n");
    const i = lines.indexOf("state seen at step 2:");
    expect(i, text).toBeGreaterThan(0);
    expect(lines.slice(i + 1, i + 5)).toEqual([
      "  storage  A 0x0=0x1 0x5=0x2a",
      "           B 0x0=0x1",
      `  memory   A 64 bytes: 0x${"00".repeat(31)}2a${"00".repeat(32)}`,
      `           B 64 bytes: 0x${"00".repeat(31)}2a${"00".repeat(32)}`,
    ]);
  });

  it("colours the differing cells only when asked", async () => {
    const text = formatReport(await diverged(), { color: true });
    expect(text).toContain("\x1b[1;31m20000*\x1b[0m 1");
  });

  it("prints notes and skipped fields before the verdict", async () => {
    const r = await compareTraces(once([step(0, 1)]), once([step(0, 1, { stack: undefined })]));
    const text = formatReport(r, { notes: ["A: 2 lines skipped"] });
    expect(text).toBe(
      "not compared (one side lacks them): stack (missing in B)\nA: 2 lines skipped\nno divergence: 1 steps compared\n",
    );
  });
});

describe("reportJson", () => {
  it("gives the same content as data, bigints as decimal strings", async () => {
    const r = await compareTraces(
      once([step(0, (2n ** 64n) as unknown as number)]),
      once([step(0, (2n ** 64n - 1n) as unknown as number)]),
    );
    const j = JSON.parse(JSON.stringify(reportJson(r, { inputs: { x: 1 } })));
    expect(j).toMatchObject({
      diverged: true,
      traces: 1,
      steps: 1,
      inputs: { x: 1 },
      verdict: "DIVERGED at step 1 (pc 0x0 PUSH1, depth 1): gas 18446744073709551616 ≠ 18446744073709551615",
      divergence: {
        kind: "fields",
        step: 1,
        fields: [{ field: "gas", a: "18446744073709551616", b: "18446744073709551615" }],
        a: { pc: 0, gas: "18446744073709551616", opName: "PUSH1" },
        context: { a: [], b: [] },
      },
    });
    expect(Object.keys(j)).toEqual([
      "diverged",
      "traces",
      "steps",
      "divergence",
      "skipped",
      "inputs",
      "verdict",
    ]);
  });
});
