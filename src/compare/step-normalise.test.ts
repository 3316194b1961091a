import { describe, expect, it } from "vitest";
import { normaliseSteps } from "./step-normalise.js";
import type { Step } from "./steps.js";

const step = (o: Partial<Step>): Step => ({
  pc: 0,
  op: 0x00,
  opName: "STOP",
  gas: 100,
  depth: 1,
  refund: 0,
  ...o,
});

async function collect(
  steps: Step[],
  impl: "revm-inspectors" | undefined,
  peer: boolean,
  opts: { setCode?: boolean } = {},
): Promise<Step[]> {
  async function* src() {
    yield* steps;
  }
  const out: Step[] = [];
  for await (const s of normaliseSteps(src(), impl, peer, opts)) out.push(s);
  return out;
}

describe("normaliseSteps", () => {
  it("counts the steps each rule changed", async () => {
    const applied = new Map<string, number>();
    async function* src() {
      yield step({ pc: 0, op: 0x55, opName: "SSTORE", refund: 0, stack: ["0x0", "0x1"] });
      yield step({ pc: 1, op: 0x55, opName: "SSTORE", refund: 4800, stack: ["0x0", "0x1"] });
      yield step({ pc: 2, op: 0x00, refund: 4800 });
      yield step({ pc: 3, op: 0xfe, opName: "INVALID", error: "Some(InvalidFEOpcode)" });
      yield step({ pc: 4, op: 0xf5, opName: "CREATE2", gasCost: 90000 });
      yield step({ pc: 5, op: 0x00 });
    }
    for await (const _ of normaliseSteps(src(), "revm-inspectors", false, { applied })) {
      /* drain */
    }
    // The second SSTORE's refund already equals the next step's: not changed, not counted.
    expect(Object.fromEntries(applied)).toEqual({
      "structlog-refund-after-sstore-gas": 1,
      "structlog-step-errors": 1,
      "structlog-create-cost": 1,
    });
  });

  it("revm-inspectors: SSTORE takes the next step's refund, errors are renamed, failed SSTORE shows the write", async () => {
    const out = await collect(
      [
        step({ pc: 0, op: 0x55, opName: "SSTORE", refund: 0, stack: ["0x0", "0x1"] }),
        step({ pc: 1, op: 0x00, refund: 4800 }),
        step({
          pc: 2,
          op: 0x55,
          opName: "SSTORE",
          error: "Some(OutOfGas)",
          gasCost: 7,
          stack: ["0x5", "0x2"],
        }),
        step({ pc: 3, op: 0xfe, opName: "INVALID", error: "Some(InvalidFEOpcode)" }),
        step({ pc: 4, op: 0xf5, opName: "CREATE2", gasCost: 90000 }),
      ],
      "revm-inspectors",
      false,
    );
    expect(out[0]!.refund).toBe(4800);
    expect(out[2]!.error).toBe("out of gas");
    expect(out[2]!.gasCost).toBeUndefined();
    expect(out[2]!.storage).toEqual({ "0x2": "0x5" });
    expect(out[3]!.error).toBeUndefined();
    expect(out[4]!.gasCost).toBeUndefined();
    expect(out.map((s) => s.pc)).toEqual([0, 1, 2, 3, 4]);
  });

  it("leaves a go-ethereum-form trace alone, except the costs its revm peer cannot give", async () => {
    const steps = [
      step({ op: 0xf0, opName: "CREATE", gasCost: 32000 }),
      step({ op: 0x01, opName: "ADD", gasCost: 3, error: "out of gas" }),
      step({ op: 0x01, opName: "ADD", gasCost: 3 }),
    ];
    expect(await collect(steps, undefined, false)).toEqual(steps);
    const fair = await collect(steps, undefined, true);
    expect(fair.map((s) => s.gasCost)).toEqual([undefined, undefined, 3]);
  });

  it("EIP-7702 transactions: refunds count from the first step on both sides when one is revm-inspectors", async () => {
    // go-ethereum adds the authorization refund (12500 per existing authority) to the
    // refund counter before the first step; revm adds it after execution.
    const geth = [
      step({ pc: 0, op: 0x60, opName: "PUSH1", refund: 12500 }),
      step({ pc: 2, op: 0x55, opName: "SSTORE", refund: 12500 + 4800 }),
      step({ pc: 3, op: 0x00, refund: 12500 + 4800 }),
    ];
    const revm = [
      step({ pc: 0, op: 0x60, opName: "PUSH1", refund: 0 }),
      step({ pc: 2, op: 0x55, opName: "SSTORE", refund: 0 }),
      step({ pc: 3, op: 0x00, refund: 4800 }),
    ];
    const a = await collect(geth, undefined, true, { setCode: true });
    const b = await collect(revm, "revm-inspectors", false, { setCode: true });
    expect(a.map((s) => s.refund)).toEqual([0, 4800, 4800]);
    expect(b.map((s) => s.refund)).toEqual([0, 4800, 4800]);
    // Other transactions, and two go-ethereum-form sides, are left as they are.
    expect((await collect(geth, undefined, true)).map((s) => s.refund)).toEqual([12500, 17300, 17300]);
    expect((await collect(geth, undefined, false, { setCode: true })).map((s) => s.refund)).toEqual([
      12500, 17300, 17300,
    ]);
  });
});
