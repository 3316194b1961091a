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
  describe("run --tracer", () => {
    it("prints the struct logger's JSON, go-ethereum's entries", () => {
      const r = sonde("run", "--code", "600160020100", "--gas", "100000", "--tracer", "structLogger");
      expect(r.err).toBe("");
      expect(r.code).toBe(0);
      expect(r.out).toBe(
        '{"structLogs":[' +
          '{"pc":0,"op":"PUSH1","gas":100000,"gasCost":3,"depth":1,"stack":[]},' +
          '{"pc":2,"op":"PUSH1","gas":99997,"gasCost":3,"depth":1,"stack":["0x1"]},' +
          '{"pc":4,"op":"ADD","gas":99994,"gasCost":3,"depth":1,"stack":["0x1","0x2"]},' +
          '{"pc":5,"op":"STOP","gas":99991,"gasCost":0,"depth":1,"stack":["0x3"]}' +
          '],"gas":9,"failed":false,"returnValue":"0x"}\n',
      );
    });

    it("passes the struct-logger flags", () => {
      // PUSH1 2a PUSH1 0 MSTORE PUSH1 20 PUSH1 0 REVERT
      const r = sonde(
        "run",
        "--code",
        "602a60005260206000fd",
        "--tracer",
        "structLogger",
        "--enable-memory",
        "--disable-stack",
      );
      expect(r.code).toBe(0);
      const doc = JSON.parse(r.out);
      const word = `0x${"0".repeat(62)}2a`;
      expect(doc).toMatchObject({ gas: 18, failed: true, returnValue: word });
      expect(doc.structLogs.at(-1)).toEqual({
        pc: 9,
        op: "REVERT",
        gas: 10_000_000_000 - 18,
        gasCost: 0,
        depth: 1,
        memory: [word],
      });
      const limited = JSON.parse(
        sonde("run", "--code", "600160020100", "--tracer", "structLogger", "--limit", "1").out,
      );
      expect(limited.structLogs).toHaveLength(1);
    });

    it("streams a long trace in chunks and stays valid JSON", () => {
      // 20000 iterations of JUMPDEST PUSH1 0 JUMP: 60001 entries, about 4 MB.
      const r = spawnSync(
        process.execPath,
        [bin, "run", "--code", "5b600056", "--gas", "240000", "--tracer", "structLogger"],
        { encoding: "utf8", maxBuffer: 64 << 20 },
      );
      expect(r.status).toBe(0);
      const doc = JSON.parse(r.stdout);
      expect(doc.structLogs).toHaveLength(60_001);
      expect(doc.structLogs.at(-1)).toMatchObject({ op: "JUMPDEST", gas: 0, error: "out of gas" });
      expect(doc).toMatchObject({ gas: 240_000, failed: true, returnValue: "0x" });
    });

    it("runs other tracers: callTracer, eip3155", () => {
      const call = sonde("run", "--code", "600160020100", "--tracer", "callTracer");
      expect(call.code).toBe(0);
      expect(JSON.parse(call.out)).toMatchObject({
        type: "CALL",
        from: "0x000000000000000000000000000073656e646572",
        to: "0x0000000000000000000000007265636569766572",
        gasUsed: "0x9",
      });
      const lines = sonde("run", "--code", "6001600101", "--gas", "1000", "--tracer", "eip3155").out;
      expect(lines.split("\n")).toEqual([
        '{"pc":0,"op":96,"gas":"0x3e8","gasCost":"0x3","memSize":0,"stack":[],"depth":1,"refund":0,"opName":"PUSH1"}',
        '{"pc":2,"op":96,"gas":"0x3e5","gasCost":"0x3","memSize":0,"stack":["0x1"],"depth":1,"refund":0,"opName":"PUSH1"}',
        '{"pc":4,"op":1,"gas":"0x3e2","gasCost":"0x3","memSize":0,"stack":["0x1","0x1"],"depth":1,"refund":0,"opName":"ADD"}',
        '{"pc":5,"op":0,"gas":"0x3df","gasCost":"0x0","memSize":0,"stack":["0x2"],"depth":1,"refund":0,"opName":"STOP"}',
        '{"output":"","gasUsed":"0x9"}',
        "",
      ]);
      const cfg = sonde(
        "run",
        "--code",
        "602a600052",
        "--tracer",
        "eip3155",
        "--tracer-config",
        '{"enableMemory":true}',
      );
      expect(cfg.out).toContain(`"memory":"0x${"0".repeat(62)}2a"`);
    });

    it("rejects a bad tracer name, bad --tracer-config JSON and bad options with exit code 2", () => {
      const bad = sonde("run", "--code", "00", "--tracer", "nosuchTracer");
      expect(bad.code).toBe(2);
      expect(bad.err).toMatch(
        /^sonde run: --tracer: unknown tracer "nosuchTracer"; known tracers: .*structLogger/,
      );
      expect(bad.err.trim().split("\n")).toHaveLength(1);
      expect(bad.out).toBe("");
      const json = sonde(
        "run",
        "--code",
        "00",
        "--tracer",
        "callTracer",
        "--tracer-config",
        "{onlyTopCall:true}",
      );
      expect(json.code).toBe(2);
      expect(json.err).toMatch(/^sonde run: --tracer-config: invalid JSON/);
      const typ = sonde(
        "run",
        "--code",
        "00",
        "--tracer",
        "callTracer",
        "--tracer-config",
        '{"onlyTopCall":1}',
      );
      expect(typ.code).toBe(2);
      expect(typ.err).toMatch(/onlyTopCall/);
      const dur = sonde("run", "--code", "00", "--tracer", "structLogger", "--timeout", "5 seconds");
      expect(dur.code).toBe(2);
      expect(dur.err).toMatch(/--timeout: invalid timeout "5 seconds"/);
      const flag = sonde("run", "--code", "00", "--tracer", "callTracer", "--enable-memory");
      expect(flag.code).toBe(2);
      expect(flag.err).toMatch(/--enable-memory applies to the struct logger only/);
      expect(sonde("run", "--code", "00", "--disable-stack").err).toMatch(/--disable-stack needs --tracer/);
      expect(sonde("run", "--code", "00", "--tracer", "structLogger", "--limit", "-3").err).toMatch(
        /--limit: expected a number of bytes/,
      );
      for (const r of [bad, json, typ, dur, flag]) expect(r.err).not.toMatch(/at .*\.js/);
    });

    it("stops at the timeout with exit code 1 and one error line", () => {
      // An endless loop; --limit keeps the streamed part small.
      const r = sonde(
        "run",
        "--code",
        "5b600056",
        "--tracer",
        "structLogger",
        "--limit",
        "300",
        "--timeout",
        "300ms",
      );
      expect(r.code).toBe(1);
      expect(r.err).toBe("sonde run: trace failed: execution timeout\n");
      // What was streamed before the timeout is on stdout, ended with a newline.
      expect(r.out.startsWith('{"structLogs":[{"pc":0,"op":"JUMPDEST"')).toBe(true);
      expect(r.out.endsWith("}\n")).toBe(true);
      const noop = sonde("run", "--code", "5b600056", "--tracer", "noopTracer", "--timeout", "200ms");
      expect(noop.code).toBe(1);
      expect(noop.err).toBe("sonde run: trace failed: execution timeout\n");
      expect(noop.out).toBe("");
    });

    it("documents the tracing options in --help", () => {
      const help = sonde("run", "--help").out;
      for (const o of ["--tracer", "--tracer-config", "--timeout", "--enable-memory", "--limit"]) {
        expect(help).toContain(o);
      }
    });
  });
});
