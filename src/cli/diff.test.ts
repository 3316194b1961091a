// End-to-end checks of `sonde diff --traces` (runs the compiled dist/ through bin/sonde.js;
// `npm run build` first). The traces compared in the last tests are real: produced by
// `sonde statetest --trace` for two programs that differ in one opcode.
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
const dir = mkdtempSync(join(tmpdir(), "sonde-diff-"));
const file = (name: string, lines: string[]) => {
  const p = join(dir, name);
  writeFileSync(p, `${lines.join("\n")}\n`);
  return p;
};

const line = (pc: number, op: number, name: string, gas: number, cost: number, stack: string[]) =>
  JSON.stringify({
    pc,
    op,
    gas: `0x${gas.toString(16)}`,
    gasCost: `0x${cost.toString(16)}`,
    memSize: 0,
    stack,
    depth: 1,
    refund: 0,
    opName: name,
  });

describe("sonde diff", () => {
  const a = file("a.jsonl", [
    line(0, 0x60, "PUSH1", 100, 3, []),
    line(2, 0x60, "PUSH1", 97, 3, ["0x1"]),
    line(4, 0x01, "ADD", 94, 3, ["0x1", "0x1"]),
    '{"output":"","gasUsed":"0x9"}',
  ]);

  it("exits 0 and says so when the traces agree (noise lines are counted)", () => {
    const b = file("a-noisy.jsonl", [
      "INFO starting up",
      ...[0, 1, 2, 3].map(
        (i) =>
          [
            line(0, 0x60, "PUSH1", 100, 3, []),
            line(2, 0x60, "PUSH1", 97, 3, ["0x01"]),
            line(4, 0x01, "ADD", 94, 3, ["0x1", "0x1"]),
            '{"output":"0x","gasUsed":9}',
          ][i]!,
      ),
    ]);
    const r = sonde("diff", "--traces", a, b);
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      `A: ${a}\nB: ${b}\n\nB: 1 line that are neither steps nor results skipped (first: line 1)\nno divergence: 3 steps compared\n`,
    );
  });

  it("exits 1 with the table and verdict at a divergence; --json gives the same as data", () => {
    const b = file("b.jsonl", [
      line(0, 0x60, "PUSH1", 100, 3, []),
      line(2, 0x60, "PUSH1", 97, 3, ["0x1"]),
      line(4, 0x02, "MUL", 94, 5, ["0x1", "0x1"]),
      '{"output":"","gasUsed":"0xb"}',
    ]);
    const r = sonde("diff", "--traces", a, b, "--context", "1");
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^> +3 │ 0x4 +ADD\* +94 +3\* +1 +0x1 0x1 +│ 0x4 +MUL\* +94 +5\* +1 +0x1 0x1$/m);
    expect(r.out).toMatch(/^ +2 │ 0x2 +PUSH1/m);
    expect(r.out).not.toMatch(/^ +1 │/m); // --context 1
    expect(r.out.trim().split("\n").at(-1)).toBe(
      "DIVERGED at step 3 (pc 0x4 ADD, depth 1): op ADD ≠ MUL; gasCost 3 ≠ 5",
    );
    const j = sonde("diff", "--traces", a, b, "--json");
    expect(j.code).toBe(1);
    const data = JSON.parse(j.out);
    expect(data).toMatchObject({
      diverged: true,
      steps: 3,
      divergence: {
        kind: "fields",
        step: 3,
        fields: [
          { field: "op", a: "ADD", b: "MUL" },
          { field: "gasCost", a: 3, b: 5 },
        ],
      },
      inputs: { a: { file: a, noise: 0 }, b: { file: b } },
    });
    expect(data.divergence.context.a).toHaveLength(2);
    // --ignore takes the fields out: then the results differ (gasUsed 9 ≠ 11).
    const ig = sonde("diff", "--traces", a, b, "--ignore", "op,gasCost");
    expect(ig.out.trim().split("\n").at(-1)).toBe(
      "DIVERGED in the result after 3 equal steps: gasUsed 9 ≠ 11",
    );
    expect(sonde("diff", "--traces", a, b, "--ignore", "op,gasCost,gasUsed").code).toBe(0);
    expect(sonde("diff", "--traces", a, b, "--fields", "pc,depth").code).toBe(1); // gasUsed still differs
    expect(sonde("diff", "--traces", a, b, "--fields", "pc,depth", "--ignore", "summary").code).toBe(0);
  });

  it("exits 2 naming the file and line of a malformed step, and for bad usage", () => {
    const bad = file("bad.jsonl", [line(0, 0x60, "PUSH1", 100, 3, []), '{"pc":2,"op":96,"gas":"0x61",']);
    const r = sonde("diff", "--traces", a, bad);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(new RegExp(`^sonde diff: ${bad.replace(/\./g, "\\.")} line 2: malformed JSON`));
    expect(r.out).toBe("");
    const none = sonde("diff", a);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/say what to compare .*--traces A B/);
    expect(sonde("diff", "--traces", a).err).toMatch(/expected two trace files/);
    expect(sonde("diff", "--traces", a, join(dir, "nope.jsonl")).err).toMatch(
      /cannot read .*nope\.jsonl: no such file/,
    );
    expect(sonde("diff", "--traces", a, a, "--fields", "pc,bogus").err).toMatch(/unknown step field "bogus"/);
    expect(sonde("diff", "--traces", a, a, "--context", "-1").err).toMatch(/--context: expected a number/);
    expect(sonde("diff", "--help").out).toMatch(/--traces A B/);
  });

  it("words an empty file, warns when nothing was compared, and names the field of a malformed step", () => {
    const empty = file("empty.jsonl", []);
    const one = sonde("diff", "--traces", a, empty);
    expect(one.code).toBe(1);
    expect(one.out.trim().split("\n").at(-1)).toBe("DIVERGED: A has at least 1 trace, B has none");
    const none = sonde("diff", "--traces", empty, empty);
    expect(none.code).toBe(0);
    expect(none.err).toBe(
      "sonde diff: warning: neither file holds a trace (no step or result lines); nothing was compared\n",
    );
    expect(none.out.trim().split("\n").at(-1)).toBe(
      "nothing compared: neither side holds a trace (no steps, no results)",
    );
    const zz = file("zz.jsonl", ['{"pc":"zz"}']);
    const bad = sonde("diff", "--traces", a, zz);
    expect(bad.code).toBe(2);
    expect(bad.err).toBe(
      `sonde diff: ${zz} line 1: malformed step: "pc": "zz" is not a non-negative integer\n`,
    );
  });

  it("reports progress and stats on stderr when asked", () => {
    const r = sonde("diff", "--traces", a, a, "--progress", "--stats");
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/^stats: 3 steps in [\d.]+ s \([\d,]+ steps\/s\), max RSS \d+ MB$/m);
  });

  describe("on real traces from `sonde statetest --trace`", () => {
    const stateTest = (code: string) => ({
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
          "0x00000000000000000000000000000000000c0de0": { balance: "0x00", code, nonce: "0x00", storage: {} },
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
        post: {
          Cancun: [{ hash: "0x00", logs: "0x00", indexes: { data: 0, gas: 0, value: 0 } }],
          Prague: [{ hash: "0x00", logs: "0x00", indexes: { data: 0, gas: 0, value: 0 } }],
        },
      },
    });
    /** Runs the state test with --trace and saves the EIP-3155 lines (stderr) to a file. */
    const traceOf = (name: string, code: string) => {
      const testFile = join(dir, `${name}.json`);
      writeFileSync(testFile, JSON.stringify(stateTest(code)));
      const r = sonde("statetest", "--trace", testFile);
      return file(`${name}.jsonl`, [r.err.trimEnd()]);
    };
    // PUSH1 1 PUSH1 1 ADD PUSH1 0 SSTORE, then return 0x2a as a word.
    const tail = "60005560" + "2a60005260206000f3";
    const add = traceOf("add", `0x6001600101${tail}`);
    const add2 = traceOf("add-again", `0x6001600101${tail}`);
    const mul = traceOf("mul", `0x6001600102${tail}`);
    // PUSH1 2 instead of PUSH1 1 at pc 2 (seen on the stack at step 3, ADD): SSTORE then
    // writes 3 instead of 2, and the state roots differ.
    const three = traceOf("three", `0x6001600201${tail}`);

    it("finds no divergence between two runs of the same test (two traces: Cancun, Prague)", () => {
      const r = sonde("diff", "--traces", add, add2);
      expect(r.code).toBe(0);
      expect(r.out.trim().split("\n").at(-1)).toBe("no divergence: 22 steps compared in 2 traces");
    });

    it("finds the changed opcode at step 3", () => {
      const r = sonde("diff", "--traces", add, mul);
      expect(r.code).toBe(1);
      expect(r.out.trim().split("\n").at(-1)).toBe(
        "DIVERGED at step 3 (pc 0x4 ADD, depth 1): op ADD ≠ MUL; gasCost 3 ≠ 5",
      );
    });

    it("finds a changed value on the stack, and the diverging state root when the stack is ignored", () => {
      const r = sonde("diff", "--traces", add, three);
      expect(r.out.trim().split("\n").at(-1)).toBe(
        "DIVERGED at step 3 (pc 0x4 ADD, depth 1): stack differs (item 1 from the top: 0x1 ≠ 0x2)",
      );
      const s = sonde("diff", "--traces", add, three, "--ignore", "stack", "--json");
      const data = JSON.parse(s.out);
      expect(data.divergence.kind).toBe("summary");
      expect(data.divergence.fields.map((f: { field: string }) => f.field)).toEqual(["stateRoot"]);
      expect(data.steps).toBe(11);
    });
  });
});

describe("sonde diff --a/--b options", async () => {
  const { parseDiffOptions } = await import("./diff.js");
  const sources = (argv: string[]) => {
    const o = parseDiffOptions(argv);
    if (o === "help" || o.mode.kind !== "sources") throw new Error("not a sources mode");
    return o.mode;
  };

  it("reads two sources, the target and headers for both or one side", () => {
    const m = sources([
      "--a",
      "http://127.0.0.1:8545",
      "--b",
      "local:http://127.0.0.1:8546",
      "--block",
      "0x10",
      "--header",
      "X-Team: sonde",
      "--b-header",
      "Authorization: Bearer t0ken",
    ]);
    expect(m.target).toEqual({ block: 16n });
    expect(m.a).toEqual({ url: "http://127.0.0.1:8545", headers: { "X-Team": "sonde" } });
    expect(m.b).toEqual({
      url: "local:http://127.0.0.1:8546",
      headers: { "X-Team": "sonde", Authorization: "Bearer t0ken" },
    });
  });

  it("takes both sides from --config, with flags taking precedence", () => {
    const cfg = file("sides.json", [
      JSON.stringify({
        a: { url: "https://a.example/rpc", headers: { Authorization: "Bearer A" } },
        b: { url: "http://b:1" },
      }),
    ]);
    const m = sources(["--config", cfg, "--b", "http://c:2", "--tx", `0x${"ab".repeat(32)}`]);
    expect(m.a).toEqual({ url: "https://a.example/rpc", headers: { Authorization: "Bearer A" } });
    expect(m.b.url).toBe("http://c:2");
    expect(m.target).toEqual({ tx: `0x${"ab".repeat(32)}` });
  });

  it("reads --rpc-timeout for both sides, and a per-side timeout from --config", () => {
    const m = sources([
      "--a",
      "http://x:1",
      "--b",
      "local:http://y:1",
      "--block",
      "1",
      "--rpc-timeout",
      "10s",
    ]);
    expect(m.a.timeoutMs).toBe(10_000);
    expect(m.b.timeoutMs).toBe(10_000);
    const cfg = file("timeouts.json", [
      JSON.stringify({ a: { url: "http://a:1", timeout: "2s" }, b: { url: "http://b:1" } }),
    ]);
    const c = sources(["--config", cfg, "--block", "1"]);
    expect(c.a.timeoutMs).toBe(2000);
    expect(c.b.timeoutMs).toBeUndefined();
    expect(sources(["--config", cfg, "--block", "1", "--rpc-timeout", "500ms"]).a.timeoutMs).toBe(500);
    expect(() =>
      parseDiffOptions(["--a", "http://x:1", "--b", "http://y:1", "--block", "1", "--rpc-timeout", "x"]),
    ).toThrow(/--rpc-timeout: expected a duration above zero/);
    const bad = file("bad-timeout.json", [JSON.stringify({ a: { url: "http://a:1", timeout: 5 } })]);
    expect(() => parseDiffOptions(["--config", bad, "--b", "http://b:1", "--block", "1"])).toThrow(
      /a\.timeout must be a duration string/,
    );
  });

  it("names what is wrong", () => {
    expect(() => parseDiffOptions(["--a", "http://x:1", "--b", "http://y:1"])).toThrow(
      /one of --block N or --tx HASH/,
    );
    expect(() => parseDiffOptions(["--a", "ftp://x", "--b", "http://y:1", "--block", "1"])).toThrow(
      /--a: expected an http\(s\):\/\/ endpoint or local:/,
    );
    expect(() => parseDiffOptions(["--a", "http://x:1", "--block", "1"])).toThrow(/--b: no source given/);
    expect(() => parseDiffOptions(["--a", "http://x:1", "--b", "http://y:1", "--tx", "0x12"])).toThrow(
      /--tx: not a transaction hash/,
    );
    expect(() =>
      parseDiffOptions(["--a", "http://x:1", "--b", "http://y:1", "--block", "1", "--b-header", "nonsense"]),
    ).toThrow(/--b-header: expected "Name: value"/);
  });

  it("--rpc-timeout bounds the wait on an endpoint that never answers, and each retry is reported", async () => {
    const { createServer } = await import("node:http");
    const server = createServer(() => {
      /* accepts, never answers */
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const { spawn } = await import("node:child_process");
      const run = (...args: string[]) =>
        new Promise<{ code: number | null; err: string; ms: number }>((resolve) => {
          const t0 = Date.now();
          const p = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "ignore", "pipe"] });
          let err = "";
          p.stderr.on("data", (d) => {
            err += String(d);
          });
          p.on("close", (code) => resolve({ code, err, ms: Date.now() - t0 }));
        });
      const [d, r] = await Promise.all([
        run("diff", "--a", url, "--b", url, "--block", "1", "--rpc-timeout", "100ms"),
        run("replay", `0x${"ab".repeat(32)}`, "--rpc", url, "--rpc-timeout", "100ms"),
      ]);
      for (const [x, cmd] of [
        [d, "diff"],
        [r, "replay"],
      ] as const) {
        expect(x.code).toBe(1);
        expect(x.ms).toBeLessThan(30_000);
        expect(x.err).toMatch(
          new RegExp(
            `^sonde ${cmd}: retrying .+ on http://127\\.0\\.0\\.1:\\d+ after a timeout \\(no answer within 0\\.1 s\\) \\(attempt 2 of 5\\)$`,
            "m",
          ),
        );
        expect(x.err).toMatch(/\(attempt 5 of 5\)$/m);
        expect(x.err).toMatch(/no answer within 0\.1 s \(gave up after 5 attempts\)/);
      }
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  }, 60_000);

  it("an unreachable endpoint is a failure naming it (exit 1, nothing on stdout); bad options exit 2", () => {
    const r = sonde("diff", "--a", "http://127.0.0.1:9", "--b", "http://127.0.0.1:9", "--block", "1");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^sonde diff: http:\/\/127\.0\.0\.1:9 eth_getBlockByNumber: connection failed/);
    expect(r.out).toBe("");
    const j = sonde(
      "diff",
      "--a",
      "http://127.0.0.1:9",
      "--b",
      "http://127.0.0.1:9",
      "--block",
      "1",
      "--json",
    );
    expect(j.code).toBe(1);
    expect(j.out).toBe("");
    const bad = sonde("diff", "--a", "ftp://x", "--b", "http://127.0.0.1:9", "--block", "1");
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--a: expected an http\(s\):\/\/ endpoint/);
    expect(
      sonde("diff", "--a", "http://x:1", "--b", "http://y:1", "--block", "1", "--rpc-timeout", "0").code,
    ).toBe(2);
    expect(sonde("diff", "--help").out).toMatch(
      /^Exit codes: 0 no divergence, 1 diverged or an endpoint failed/m,
    );
  });

  it("sonde replay: an unreachable endpoint exits 1, bad options and a bad --rpc URL exit 2", () => {
    const hash = `0x${"ab".repeat(32)}`;
    const r = sonde("replay", hash, "--rpc", "http://127.0.0.1:9");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^sonde replay: http:\/\/127\.0\.0\.1:9 .*connection failed/);
    expect(r.out).toBe("");
    expect(sonde("replay", hash, "--rpc", "ftp://x").code).toBe(2);
    expect(sonde("replay", "0x12", "--rpc", "http://127.0.0.1:9").code).toBe(2);
    expect(sonde("replay", hash, "--rpc", "http://127.0.0.1:9", "--rpc-timeout", "later").code).toBe(2);
    expect(sonde("replay", "--help").out).toMatch(/^Exit codes: 0 replayed, 1 the replay failed/m);
  });
});
