// End-to-end checks of the `sonde` command (runs the compiled dist/ through bin/sonde.js;
// `npm install` builds it).
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const bin = join(import.meta.dirname, "..", "..", "bin", "sonde.js");
const sonde = (...args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

describe("sonde CLI", () => {
  it("prints help and rejects unknown commands and options by name", () => {
    expect(sonde("--help").out).toMatch(/statetest/);
    const unknown = sonde("frobnicate");
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/unknown command "frobnicate"/);
    const badOpt = sonde("run", "--code", "00", "--colour");
    expect(badOpt.err).toMatch(/unknown option --colour/);
    expect(badOpt.err).not.toMatch(/at .*\.js/); // no stack trace
  });

  it("names a bad hex string or fork", () => {
    expect(sonde("run", "--code", "0xzz").err).toMatch(/--code: not valid hex: "0xzz"/);
    expect(sonde("run", "--code", "00", "--fork", "Atlantis").err).toMatch(/unknown fork "Atlantis"/);
  });

  it("runs code and prints return data, gas used and error", () => {
    const r = sonde("run", "--code", "602a60005260206000f3");
    expect(r.code).toBe(0);
    expect(r.out).toBe(`0x${"0".repeat(62)}2a\ngas used: 18\n`);
    expect(sonde("run", "--code", "fe", "--gas", "50").out).toMatch(
      /gas used: 50\nerror: invalid opcode: INVALID/,
    );
  });

  it("survives 1024 nested calls (the CLI runs with a large stack)", () => {
    // PUSH1 0 DUP1 DUP1 DUP1 DUP1 ADDRESS GAS CALL STOP: calls itself until the depth limit.
    const r = sonde("run", "--code", "600080808080305af100", "--gas", "100000000000000");
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^0x\ngas used: \d+\n$/);
  });

  it("--bench prints one JSON line", () => {
    const r = sonde("run", "--code", "6001600101", "--bench", "--runs", "3");
    const line = JSON.parse(r.out);
    expect(line).toMatchObject({ gasUsed: 9, runs: 3 });
    expect(line.medianNs).toBeGreaterThan(0);
  });

  it("reports a malformed state-test file by name and goes on", () => {
    const dir = mkdtempSync(join(tmpdir(), "sonde-cli-"));
    writeFileSync(join(dir, "a-broken.json"), "{ not json");
    writeFileSync(join(dir, "b-empty.json"), "{}");
    const r = sonde("statetest", "--workers", "1", dir);
    expect(r.out).toMatch(/FAIL .*a-broken\.json: cannot read/);
    expect(r.out.trim().split("\n").at(-1)).toBe("0 passed, 1 failed");
    expect(r.code).toBe(1);
  });

  it("traces a state test as EIP-3155 lines with a final state root", () => {
    const dir = mkdtempSync(join(tmpdir(), "sonde-cli-"));
    const test = {
      t: {
        env: {
          currentCoinbase: "0x2adc25665018aa1fe0e6bc666dac8fc2697ff9ba",
          currentDifficulty: "0x020000",
          currentGasLimit: "0x05f5e100",
          currentNumber: "0x01",
          currentTimestamp: "0x03e8",
          currentBaseFee: "0x0a",
        },
        pre: {
          "0xa94f5374fce5edbc8e2a8697c15331677e6ebf0b": {
            balance: "0x0de0b6b3a7640000",
            code: "0x",
            nonce: "0x00",
            storage: {},
          },
          "0x00000000000000000000000000000000000c0de0": {
            balance: "0x00",
            code: "0x6001600101",
            nonce: "0x00",
            storage: {},
          },
        },
        transaction: {
          data: ["0x"],
          gasLimit: ["0x030d40"],
          gasPrice: "0x0a",
          nonce: "0x00",
          secretKey: "0x45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8",
          to: "0x00000000000000000000000000000000000c0de0",
          value: ["0x00"],
        },
        post: { Cancun: [{ hash: "0x00", logs: "0x00", indexes: { data: 0, gas: 0, value: 0 } }] },
      },
    };
    writeFileSync(join(dir, "t.json"), JSON.stringify(test));
    const r = sonde("statetest", "--trace", join(dir, "t.json"));
    const lines = r.err
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines[0]).toEqual({
      pc: 0,
      op: 0x60,
      gas: "0x2bb38", // 200000 - 21000 intrinsic
      gasCost: "0x3",
      memSize: 0,
      stack: [],
      depth: 1,
      refund: 0,
      opName: "PUSH1",
    });
    expect(lines.at(-2)).toMatchObject({ output: "", gasUsed: "0x5211" });
    expect(lines.at(-1).stateRoot).toMatch(/^0x[0-9a-f]{64}$/);
  });
});
