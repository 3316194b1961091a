import { describe, expect, it } from "vitest";
import { Fork } from "../../evm/forks.js";
import { addressFromBigInt, hexToBytes } from "../../primitives/hex.js";
import { DEFAULT_RECEIVER, executeCall } from "../../runners/call.js";
import { MemoryState } from "../../state/statedb.js";
import { buildTracer } from "../registry.js";
import { TracerError } from "../types.js";
import "./simple.js";
import "./call.js";
import "./mux.js";

const B = addressFromBigInt(0xbbn);
// Top: CALL B with the 6-byte input 0xa9059cbb0001 (memory 26..32), then STOP.
const TOP = hexToBytes(
  "65a9059cbb0001 6000 52 6000 6000 6006 601a 6000 60bb 61ffff f1 50 00".replace(/\s+/g, ""),
);

function prestate(): MemoryState {
  const m = new MemoryState();
  m.accounts.set(B, { nonce: 0n, balance: 0n, code: hexToBytes("0x00"), storage: new Map() });
  return m;
}

describe("muxTracer", () => {
  it("runs callTracer and 4byteTracer together and returns both results by name", () => {
    const tracer = buildTracer(
      { tracer: "muxTracer", tracerConfig: { callTracer: { onlyTopCall: false }, "4byteTracer": null } },
      { fork: Fork.Cancun },
    );
    expect(tracer.hooks.onOpcode).toBeUndefined();
    executeCall({ code: TOP, gas: 100_000n, fork: Fork.Cancun, hooks: tracer.hooks, prestate: prestate() });
    const result = JSON.parse(JSON.stringify(tracer.getResult()));
    expect(Object.keys(result)).toEqual(["4byteTracer", "callTracer"]);
    expect(result["4byteTracer"]).toEqual({ "0xa9059cbb-2": 1 });
    expect(result.callTracer.to).toBe(DEFAULT_RECEIVER);
    expect(result.callTracer.calls).toEqual([
      {
        from: DEFAULT_RECEIVER,
        gas: "0xffff",
        gasUsed: "0x0",
        to: B,
        input: "0xa9059cbb0001",
        value: "0x0",
        type: "CALL",
      },
    ]);
  });

  it("returns an empty object without tracers", () => {
    const tracer = buildTracer({ tracer: "muxTracer" }, { fork: Fork.Cancun });
    expect(tracer.getResult()).toEqual({});
  });

  it("propagates stop to every tracer", () => {
    const tracer = buildTracer(
      { tracer: "muxTracer", tracerConfig: { callTracer: {}, "4byteTracer": {} } },
      { fork: Fork.Cancun },
    );
    tracer.stop(new TracerError("execution timeout"));
    executeCall({ code: TOP, gas: 100_000n, fork: Fork.Cancun, hooks: tracer.hooks, prestate: prestate() });
    expect(() => tracer.getResult()).toThrow("execution timeout");
  });

  it("reports bad configurations", () => {
    expect(() =>
      buildTracer({ tracer: "muxTracer", tracerConfig: ["callTracer"] }, { fork: Fork.Cancun }),
    ).toThrow(/muxTracer: tracerConfig must be a JSON object/);
    expect(() =>
      buildTracer({ tracer: "muxTracer", tracerConfig: { noSuchTracer: {} } }, { fork: Fork.Cancun }),
    ).toThrow(/unknown tracer "noSuchTracer"/);
    expect(() =>
      buildTracer(
        { tracer: "muxTracer", tracerConfig: { callTracer: { withLog: 1 } } },
        { fork: Fork.Cancun },
      ),
    ).toThrow(/callTracer: tracerConfig.withLog must be a boolean/);
  });
});
