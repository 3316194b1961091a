import { describe, expect, it } from "vitest";
import type { Step, Summary } from "./steps.js";
import { compareSteps, compareSummaries, compareTraces, type Trace } from "./tracediff.js";

/** A simple trace: step i at pc i, PUSH1, gas counting down by 3, stack [i]. */
function mk(n: number, change?: (i: number, s: Step) => void): Step[] {
  const out: Step[] = [];
  for (let i = 0; i < n; i++) {
    const s: Step = {
      pc: i,
      op: 0x60,
      opName: "PUSH1",
      gas: 1000 - 3 * i,
      gasCost: 3,
      depth: 1,
      stack: [`0x${i.toString(16)}`],
      memSize: 0,
      refund: 0,
    };
    change?.(i, s);
    out.push(s);
  }
  return out;
}

/** An async iterable over steps that records how many were pulled and whether it was closed. */
function source(steps: Step[]) {
  const state = { pulled: 0, closed: false };
  const iterable: AsyncIterable<Step> = {
    [Symbol.asyncIterator]() {
      let i = 0;
      return {
        async next() {
          if (i >= steps.length) return { done: true, value: undefined };
          state.pulled++;
          return { done: false, value: steps[i++]! };
        },
        async return() {
          state.closed = true;
          return { done: true, value: undefined };
        },
      };
    },
  };
  return { iterable, state };
}

const trace = (steps: Step[], summary?: Summary): Trace => ({
  steps: source(steps).iterable,
  summary: async () => summary,
});

async function* traces(...ts: Trace[]): AsyncGenerator<Trace> {
  yield* ts;
}

const sum = (gasUsed: number, extra: Partial<Summary> = {}): Summary => ({
  output: "",
  gasUsed,
  raw: { output: "", gasUsed },
  ...extra,
});

describe("compareSteps", () => {
  it("finds no divergence in equal traces and counts the steps", async () => {
    const r = await compareSteps(source(mk(50)).iterable, source(mk(50)).iterable);
    expect(r.divergence).toBeNull();
    expect(r.steps).toBe(50);
    expect(r.tail.a.map((s) => s.pc)).toEqual([42, 43, 44, 45, 46, 47, 48, 49]);
  });

  it("diverges at the first step", async () => {
    const r = await compareSteps(
      source(mk(5)).iterable,
      source(
        mk(5, (i, s) => {
          if (i === 0) s.gas = 999;
        }),
      ).iterable,
    );
    expect(r.divergence).toMatchObject({ kind: "fields", step: 1, context: { a: [], b: [] } });
    expect(r.divergence!.fields).toEqual([{ field: "gas", a: 1000, b: 999 }]);
  });

  it("diverges in the middle, keeps only K steps of context, pulls no further and closes both sides", async () => {
    const a = source(mk(5000));
    const b = source(
      mk(5000, (i, s) => {
        if (i === 500) {
          s.gasCost = 5;
          s.stack = ["0x1", "0x1f5"];
        }
      }),
    );
    const r = await compareSteps(a.iterable, b.iterable, { context: 3 });
    const d = r.divergence!;
    expect(d.step).toBe(501);
    expect(r.steps).toBe(501);
    expect(d.a!.pc).toBe(500);
    expect(d.context.a.map((s) => s.pc)).toEqual([497, 498, 499]);
    expect(d.context.b.map((s) => s.pc)).toEqual([497, 498, 499]);
    expect(d.fields.map((f) => f.field)).toEqual(["gasCost", "stack"]);
    expect(d.fields[1]!.note).toBe("item 1 from the top: 0x1f4 ≠ 0x1f5");
    expect(a.state.pulled).toBe(501);
    expect(b.state.pulled).toBe(501);
    expect(a.state.closed && b.state.closed).toBe(true);
  });

  it("diverges at the last step", async () => {
    const r = await compareSteps(
      source(mk(10)).iterable,
      source(
        mk(10, (i, s) => {
          if (i === 9) s.op = 0x61;
          if (i === 9) s.opName = "PUSH2";
        }),
      ).iterable,
    );
    expect(r.divergence).toMatchObject({ step: 10, fields: [{ field: "op", a: "PUSH1", b: "PUSH2" }] });
  });

  it("reports a trace that ends early", async () => {
    const r = await compareSteps(source(mk(10)).iterable, source(mk(7)).iterable, { context: 2 });
    const d = r.divergence!;
    expect(d.kind).toBe("length");
    expect(d.step).toBe(8);
    expect(d.a!.pc).toBe(7);
    expect(d.b).toBeNull();
    expect(d.context.a.map((s) => s.pc)).toEqual([5, 6]);
  });

  it("compares stack items by value and counts a missing item", async () => {
    const padded = mk(3, (_i, s) => {
      s.stack = [`0x${"0".repeat(63)}1`];
    });
    const compact = mk(3, (_i, s) => {
      s.stack = ["0x1"];
    });
    expect((await compareSteps(source(padded).iterable, source(compact).iterable)).divergence).toBeNull();
    const longer = mk(3, (_i, s) => {
      s.stack = ["0x5", "0x1"];
    });
    const d = (await compareSteps(source(compact).iterable, source(longer).iterable)).divergence!;
    expect(d.fields).toMatchObject([{ field: "stack", note: "1 ≠ 2 items" }]);
  });

  it("compares only the chosen fields and skips fields one side lacks", async () => {
    const noStack = mk(4, (_i, s) => {
      s.stack = undefined;
      s.gas = 1;
    });
    const r = await compareSteps(source(mk(4)).iterable, source(noStack).iterable, {
      fields: ["pc", "op", "stack", "depth"],
    });
    expect(r.divergence).toBeNull();
    expect(r.skipped).toEqual([{ field: "stack", missingIn: "B" }]);
    const withGas = await compareSteps(source(mk(4)).iterable, source(noStack).iterable);
    expect(withGas.divergence!.fields).toEqual([{ field: "gas", a: 1000, b: 1 }]);
  });

  it("treats a memory left out as empty once that side has shown memory", async () => {
    const withMem = (second: string) =>
      mk(3, (i, s) => {
        if (i === 1) s.memory = second;
        if (i === 2) s.memory = undefined;
      });
    // Both show memory at step 2, so step 3 (no memory on either side) compares as empty = empty.
    expect(
      (await compareSteps(source(withMem("00")).iterable, source(withMem("00")).iterable)).divergence,
    ).toBeNull();
    const a = mk(3, (i, s) => {
      if (i >= 1) s.memory = `${"00".repeat(32)}${"00".repeat(31)}2a`;
    });
    const b = mk(3, (i, s) => {
      if (i === 1) s.memory = `${"00".repeat(32)}${"00".repeat(31)}2a`;
    });
    const d = (await compareSteps(source(a).iterable, source(b).iterable)).divergence!;
    expect(d.step).toBe(3);
    expect(d.fields).toEqual([
      {
        field: "memory",
        a: "0x0000000000000000000000000000000000000000000000000000000000000000",
        b: "(beyond memory)",
        note: "first differing byte at offset 0x0, word at 0x0 (64 vs 0 bytes)",
      },
    ]);
    const c = mk(2, (i, s) => {
      if (i === 1) s.memory = `${"00".repeat(32)}${"00".repeat(31)}2b`;
    });
    const e = (await compareSteps(source(a.slice(0, 2)).iterable, source(c).iterable)).divergence!;
    expect(e.fields[0]!.note).toBe("first differing byte at offset 0x3f, word at 0x20 (64 vs 64 bytes)");
  });

  it("compares storage only where both sides give it, naming the first differing slot", async () => {
    const a = mk(3, (i, s) => {
      if (i === 1) s.storage = { "0x0": "0x1", "0x5": "0x2" };
    });
    const b = mk(3, (i, s) => {
      if (i === 1) s.storage = { "0x0": "0x1", "0x5": "0x3" };
    });
    const d = (await compareSteps(source(a).iterable, source(b).iterable)).divergence!;
    expect(d.fields[0]).toMatchObject({ field: "storage", note: "slot 0x5: 0x2 ≠ 0x3" });
    const bare = mk(3);
    expect((await compareSteps(source(a).iterable, source(bare).iterable)).divergence).toBeNull();
  });

  it("reports progress every N steps", async () => {
    const seen: number[] = [];
    await compareSteps(source(mk(25)).iterable, source(mk(25)).iterable, {
      progressEvery: 10,
      onProgress: (n) => seen.push(n),
    });
    expect(seen).toEqual([10, 20]);
  });

  it("keeps context 0 empty", async () => {
    const r = await compareSteps(
      source(mk(5)).iterable,
      source(
        mk(5, (i, s) => {
          if (i === 3) s.depth = 2;
        }),
      ).iterable,
      { context: 0 },
    );
    expect(r.divergence).toMatchObject({ step: 4, context: { a: [], b: [] } });
  });
});

describe("compareSummaries", () => {
  it("compares output, gasUsed, stateRoot where both have them, and error by presence", () => {
    expect(compareSummaries(sum(10), sum(10)).diffs).toEqual([]);
    expect(compareSummaries(sum(10), sum(11)).diffs).toEqual([{ field: "gasUsed", a: 10, b: 11 }]);
    expect(compareSummaries(sum(10, { error: "out of gas" }), sum(10, { error: "OutOfGas" })).diffs).toEqual(
      [],
    );
    expect(compareSummaries(sum(10, { error: "out of gas" }), sum(10)).diffs).toEqual([
      { field: "error", a: "out of gas", b: null },
    ]);
    const r = compareSummaries(sum(10, { stateRoot: "0xaa" }), sum(10));
    expect(r.diffs).toEqual([]);
    expect(r.skipped).toEqual([{ field: "stateRoot", missingIn: "B" }]);
    expect(compareSummaries(sum(10, { output: "2a" }), sum(10), ["gasUsed"]).diffs).toEqual([]);
  });
});

describe("compareTraces", () => {
  it("compares trace k with trace k and adds up the steps", async () => {
    const r = await compareTraces(
      traces(trace(mk(5), sum(15)), trace(mk(7), sum(21))),
      traces(trace(mk(5), sum(15)), trace(mk(7), sum(21))),
    );
    expect(r).toMatchObject({ traces: 2, steps: 12, divergence: null });
    expect(r.verdict).toBe("no divergence: 12 steps compared in 2 traces");
  });

  it("reports the trace of a step divergence", async () => {
    const r = await compareTraces(
      traces(trace(mk(5), sum(15)), trace(mk(7), sum(21))),
      traces(
        trace(mk(5), sum(15)),
        trace(
          mk(7, (i, s) => {
            if (i === 2) s.gasCost = 20000;
          }),
          sum(21),
        ),
      ),
    );
    expect(r.divergence).toMatchObject({ kind: "fields", trace: 2, step: 3 });
    expect(r.steps).toBe(8);
    expect(r.verdict).toBe("DIVERGED at trace 2, step 3 (pc 0x2 PUSH1, depth 1): gasCost 3 ≠ 20000");
  });

  it("reports a summary mismatch when all steps agree, with the last steps as context", async () => {
    const r = await compareTraces(traces(trace(mk(20), sum(60))), traces(trace(mk(20), sum(63))), {
      context: 2,
    });
    const d = r.divergence!;
    expect(d.kind).toBe("summary");
    expect(d.step).toBe(20);
    expect(d.context.a.map((s) => s.pc)).toEqual([18, 19]);
    expect(d.fields).toEqual([{ field: "gasUsed", a: 60, b: 63 }]);
    expect(r.verdict).toBe("DIVERGED in the result after 20 equal steps: gasUsed 60 ≠ 63");
  });

  it("reports a file with more traces", async () => {
    const r = await compareTraces(traces(trace(mk(3), sum(9))), traces(trace(mk(3), sum(9)), trace(mk(1))));
    expect(r.divergence).toMatchObject({ kind: "traces", trace: 2, extraTraceIn: "B" });
    expect(r.verdict).toBe("DIVERGED: B has at least 2 traces, A has 1 (the first agrees, 3 steps compared)");
    const three = await compareTraces(
      traces(trace(mk(1), sum(1)), trace(mk(1), sum(1)), trace(mk(1), sum(1)), trace(mk(1))),
      traces(trace(mk(1), sum(1)), trace(mk(1), sum(1)), trace(mk(1), sum(1))),
    );
    expect(three.verdict).toBe("DIVERGED: A has at least 4 traces, B has 3 (all 3 agree, 3 steps compared)");
  });

  it("words an empty side, and says when nothing was compared", async () => {
    const r = await compareTraces(traces(trace(mk(1), sum(1))), traces());
    expect(r.verdict).toBe("DIVERGED: A has at least 1 trace, B has none");
    const none = await compareTraces(traces(), traces());
    expect(none.divergence).toBeNull();
    expect(none.verdict).toBe("nothing compared: neither side holds a trace (no steps, no results)");
  });

  it("words a length divergence", async () => {
    const r = await compareTraces(traces(trace(mk(3))), traces(trace(mk(4))));
    expect(r.verdict).toBe("DIVERGED at step 4: A ends after 3 steps, B goes on (pc 0x3 PUSH1, depth 1)");
  });

  it("passes progress on with the steps of earlier traces added", async () => {
    const seen: number[] = [];
    await compareTraces(traces(trace(mk(15)), trace(mk(15))), traces(trace(mk(15)), trace(mk(15))), {
      progressEvery: 10,
      onProgress: (n) => seen.push(n),
    });
    expect(seen).toEqual([10, 25]);
  });
});
