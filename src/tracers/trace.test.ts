import { describe, expect, it } from "vitest";
import { Fork } from "../evm/forks.js";
import { hexToBytes } from "../primitives/hex.js";
import { executeCall } from "../runners/call.js";
import type { Hooks } from "../tracing/hooks.js";
import { buildTracer, knownTracers, parseDuration, runTrace, TracerError } from "./index.js";
import { JsonTracer } from "./native/simple.js";
import { registerTracer } from "./registry.js";

// An endless loop: JUMPDEST PUSH1 0 JUMP.
const LOOP = hexToBytes("0x5b600056");

class Counting extends JsonTracer {
  readonly name = "countingTest";
  steps = 0;
  readonly hooks: Hooks;
  constructor(throwAt: number) {
    super();
    this.hooks = {
      onOpcode: () => {
        this.steps++;
        if (this.steps === throwAt) throw new Error("boom");
      },
    };
  }
  protected result(): unknown {
    return { steps: this.steps };
  }
}
registerTracer(
  "countingTest",
  (config) => new Counting((config as { throwAt?: number } | undefined)?.throwAt ?? -1),
);

describe("parseDuration", () => {
  it("reads Go durations", () => {
    expect(parseDuration("5s")).toBe(5000);
    expect(parseDuration("300ms")).toBe(300);
    expect(parseDuration("1m30s")).toBe(90_000);
    expect(parseDuration("1.5h")).toBe(5_400_000);
    expect(parseDuration("250us")).toBeCloseTo(0.25);
    expect(parseDuration("0")).toBe(0);
  });
  it("names a bad duration", () => {
    expect(() => parseDuration("5")).toThrow(/invalid timeout "5"/);
    expect(() => parseDuration("5 s")).toThrow(TracerError);
    expect(() => parseDuration("")).toThrow(TracerError);
  });
});

describe("registry", () => {
  it("lists the known tracers when a name is unknown", () => {
    expect(() => buildTracer({ tracer: "nosuchTracer" }, { fork: Fork.Cancun })).toThrow(
      /unknown tracer "nosuchTracer"; known tracers: .*4byteTracer.*noopTracer/,
    );
    expect(knownTracers()).toContain("structLogger");
  });
});

describe("runTrace", () => {
  it("stops an endless execution at the timeout with go-ethereum's error", () => {
    const run = runTrace({ tracer: "countingTest", timeout: "50ms" }, { fork: Fork.Cancun }, (hooks) =>
      executeCall({ code: LOOP, gas: 10n ** 15n, hooks }),
    );
    expect(run.error?.message).toBe("execution timeout");
    expect(run.value).toBeUndefined();
    expect(() => run.tracer.getResult()).toThrow("execution timeout");
    expect((run.tracer as Counting).steps).toBeGreaterThan(1000);
  });

  it("hands the deadline to the execution, so a tracer without step hooks stops too", () => {
    // 4byteTracer sees nothing of a loop inside one frame: only the EVM's deadline ends it.
    const start = performance.now();
    const run = runTrace(
      { tracer: "4byteTracer", timeout: "50ms" },
      { fork: Fork.Cancun },
      (hooks, deadline) => executeCall({ code: LOOP, gas: 10n ** 15n, hooks, deadline }),
    );
    expect(run.error?.message).toBe("execution timeout");
    expect(run.value).toBeUndefined();
    expect(() => run.tracer.getResult()).toThrow("execution timeout");
    expect(performance.now() - start).toBeLessThan(5000);
    // No timeout: no deadline.
    const open = runTrace(
      { tracer: "4byteTracer", timeout: "0" },
      { fork: Fork.Cancun },
      (_, deadline) => deadline,
    );
    expect(open.value).toBeUndefined();
    expect(open.error).toBeNull();
  });

  it("turns a tracer exception into the trace's error and leaves later traces unharmed", () => {
    const bad = runTrace(
      { tracer: "countingTest", tracerConfig: { throwAt: 3 } },
      { fork: Fork.Cancun },
      (hooks) => executeCall({ code: hexToBytes("0x6001600201600055"), hooks }),
    );
    expect(bad.error?.message).toMatch(/^boom {4}in tracer hook 'onOpcode'$/);
    const good = runTrace({ tracer: "countingTest" }, { fork: Fork.Cancun }, (hooks) =>
      executeCall({ code: hexToBytes("0x6001600201600055"), hooks }),
    );
    expect(good.error).toBeNull();
    expect(good.value?.error).toBeNull();
    // Five instructions and the implicit STOP past the end of the code.
    expect(good.tracer.getResult()).toEqual({ steps: 6 });
  });
});
