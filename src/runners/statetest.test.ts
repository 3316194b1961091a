import { describe, expect, it } from "vitest";
import { runStateTestFile } from "./statetest.js";

const SENDER_KEY = "0x45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8";
const SENDER = "0xa94f5374fce5edbc8e2a8697c15331677e6ebf0b";
const CONTRACT = "0x00000000000000000000000000000000000c0de0";

function makeTest(post: Record<string, unknown>[], overrides: Record<string, unknown> = {}) {
  return {
    sample: {
      env: {
        currentCoinbase: "0x2adc25665018aa1fe0e6bc666dac8fc2697ff9ba",
        currentDifficulty: "0x020000",
        currentGasLimit: "0x05f5e100",
        currentNumber: "0x01",
        currentTimestamp: "0x03e8",
        currentBaseFee: "0x0a",
        currentRandom: `0x${"00".repeat(31)}01`,
        currentExcessBlobGas: "0x00",
      },
      pre: {
        [SENDER]: { balance: "0x0de0b6b3a7640000", code: "0x", nonce: "0x00", storage: {} },
        // SSTORE(0, CALLVALUE); LOG1(0, 0, topic 0x2a)
        [CONTRACT]: { balance: "0x00", code: "0x34600055602a60006000a1", nonce: "0x00", storage: {} },
      },
      transaction: {
        data: ["0x"],
        gasLimit: ["0x030d40", "0x5208"],
        gasPrice: "0x0a",
        nonce: "0x00",
        secretKey: SENDER_KEY,
        to: CONTRACT,
        value: ["0x01", "0x02"],
      },
      post: { Cancun: post },
      ...overrides,
    },
  };
}

describe("state-test runner", () => {
  it("reports the state root and logs hash it computes, and fails on a wrong root", () => {
    const probe = runStateTestFile(
      makeTest([{ hash: "0x00", logs: "0x00", indexes: { data: 0, gas: 0, value: 0 } }]),
    );
    expect(probe).toHaveLength(1);
    const first = probe[0]!;
    expect(first.passed).toBe(false);
    expect(first.message).toMatch(/state root: expected 0x00, got 0x[0-9a-f]{64}/);
    expect(first.message).toMatch(/logs hash: expected 0x00, got 0x[0-9a-f]{64}/);
    // Different call values store different words: different roots.
    const other = runStateTestFile(
      makeTest([{ hash: "0x00", logs: "0x00", indexes: { data: 0, gas: 0, value: 1 } }]),
    );
    expect(other[0]!.stateRoot).not.toBe(first.stateRoot);
    // The computed root passes when given back.
    const logs = /logs hash: expected 0x00, got (0x[0-9a-f]+)/.exec(first.message!)![1];
    const ok = runStateTestFile(
      makeTest([{ hash: first.stateRoot, logs, indexes: { data: 0, gas: 0, value: 0 } }]),
    );
    expect(ok[0]).toMatchObject({ passed: true, index: "0,0,0", fork: "Cancun" });
  });

  it("checks expected exceptions both ways", () => {
    // gas index 1 (21000) is enough for the intrinsic gas only: valid, runs out of gas in the call.
    const valid = runStateTestFile(
      makeTest([
        {
          hash: "0x00",
          logs: "0x00",
          indexes: { data: 0, gas: 1, value: 0 },
          expectException: "TR_IntrinsicGas",
        },
      ]),
    );
    expect(valid[0]!.message).toMatch(/expected exception TR_IntrinsicGas, but the transaction was valid/);
    const lowGas = makeTest([{ hash: "0x00", logs: "0x00", indexes: { data: 0, gas: 0, value: 0 } }]);
    (lowGas.sample.transaction as { gasLimit: string[] }).gasLimit = ["0x5207"];
    const invalid = runStateTestFile(lowGas);
    expect(invalid[0]!.message).toMatch(/unexpected invalid transaction: .*intrinsic gas/i);
  });

  it("filters by fork and test name", () => {
    const test = makeTest([{ hash: "0x00", logs: "0x00", indexes: { data: 0, gas: 0, value: 0 } }]);
    expect(runStateTestFile(test, { fork: "Prague" })).toHaveLength(0);
    expect(runStateTestFile(test, { run: /^nomatch$/ })).toHaveLength(0);
    expect(() => runStateTestFile(test, { fork: "Atlantis" })).toThrow(/unknown fork "Atlantis"/);
  });

  it("names malformed input instead of crashing", () => {
    const bad = makeTest([{ hash: "0x00", logs: "0x00", indexes: { data: 0, gas: 0, value: 0 } }]);
    (bad.sample.pre as Record<string, { code: string }>)[CONTRACT]!.code = "0xzz";
    const r = runStateTestFile(bad);
    expect(r[0]!.passed).toBe(false);
    expect(r[0]!.message).toMatch(/sample\.pre\.0x0+c0de0\.code: not valid hex/);
    const unknownFork = makeTest([]);
    unknownFork.sample.post = {
      Atlantis: [{ hash: "0x00", indexes: { data: 0, gas: 0, value: 0 } }],
    } as never;
    expect(runStateTestFile(unknownFork)[0]!.message).toBe('unknown fork "Atlantis"');
  });
});
