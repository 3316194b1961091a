import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Fork } from "../../evm/forks.js";
import { hexToBytes } from "../../primitives/hex.js";
import { type CallOptions, DEFAULT_RECEIVER, DEFAULT_SENDER, executeCall } from "../../runners/call.js";
import { MemoryState } from "../../state/statedb.js";
import "../index.js";
import { buildTracer } from "../registry.js";
import { runTrace } from "../trace.js";
import { configureJsSandbox, initJsTracers } from "./index.js";
import { retiredModules } from "./sandbox.js";

beforeAll(async () => {
  await initJsTracers();
});

afterAll(() => {
  // Every failure above was contained by QuickJS: no sandbox module had to be retired.
  expect(retiredModules()).toBe(0);
});

const OTHER = "0x00000000000000000000000000000000000000bb";

/** Runs `code` (hex) at the receiver under a JavaScript tracer; returns result or error text. */
function trace(
  tracer: string,
  code: string,
  opts: Partial<CallOptions> = {},
  tracerConfig?: unknown,
): { result?: unknown; error?: string } {
  const config =
    tracerConfig === undefined ? { tracer, timeout: "10s" } : { tracer, timeout: "10s", tracerConfig };
  const run = runTrace(config, { fork: Fork.Cancun }, (hooks) =>
    executeCall({ code: hexToBytes(code), fork: Fork.Cancun, hooks, ...opts }),
  );
  try {
    if (run.error !== null) return { error: run.error.message };
    return { result: run.tracer.getResult() };
  } catch (e) {
    return { error: (e as Error).message };
  } finally {
    run.tracer.dispose?.();
  }
}

/** A tracer whose result is `expr`, evaluated in result(ctx, db) without any execution. */
function resultOf(expr: string): unknown {
  const t = buildTracer(
    { tracer: `{fault: function() {}, result: function(ctx, db) { return ${expr}; }}` },
    {
      fork: Fork.Cancun,
    },
  );
  try {
    return t.getResult();
  } finally {
    t.dispose?.();
  }
}

// PUSH1 ff PUSH1 00 MSTORE8 PUSH1 02 PUSH1 00 RETURN: returns 0xff00.
const STORE_AND_RETURN = "60ff60005360026000f3";

describe("JavaScript tracer API", () => {
  it("counts steps and reads the step scalars", () => {
    expect(
      trace(
        "{n: 0, step: function() { this.n++; }, fault: function() {}, result: function() { return this.n; }}",
        STORE_AND_RETURN,
      ),
    ).toEqual({ result: 6 });
    const r = trace(
      `{rows: [], step: function(log) {
        this.rows.push([log.op.toString(), log.op.toNumber(), log.op.isPush(), log.getPC(), log.getGas(), log.getCost(),
          log.getDepth(), log.getRefund(), log.stack.length(), log.memory.length(), log.getError()]);
      }, fault: function() {}, result: function() { return this.rows; }}`,
      STORE_AND_RETURN,
      { gas: 100000n },
    );
    expect(r.result).toEqual([
      ["PUSH1", 0x60, true, 0, 100000, 3, 1, 0, 0, 0, null],
      ["PUSH1", 0x60, true, 2, 99997, 3, 1, 0, 1, 0, null],
      ["MSTORE8", 0x53, false, 4, 99994, 6, 1, 0, 2, 0, null],
      ["PUSH1", 0x60, true, 5, 99988, 3, 1, 0, 0, 32, null],
      ["PUSH1", 0x60, true, 7, 99985, 3, 1, 0, 1, 32, null],
      ["RETURN", 0xf3, false, 9, 99982, 0, 1, 0, 2, 32, null],
    ]);
  });

  it("peeks the stack and reads memory as big integers and byte arrays", () => {
    const r = trace(
      `{seen: [], step: function(log) {
        var op = log.op.toString();
        if (op === 'MSTORE8') this.seen.push(log.stack.peek(0).toString(16), log.stack.peek(1).toString(16));
        if (op === 'RETURN') {
          this.seen.push(toHex(log.memory.slice(0, 2)), log.memory.getUint(0).toString(16));
          this.seen.push(toHex(log.memory.slice(30, 40)), log.memory.slice(3, 3).length);
        }
      }, fault: function() {}, result: function() { return this.seen; }}`,
      STORE_AND_RETURN,
    );
    expect(r.result).toEqual(["0", "ff", "0xff00", `ff${"0".repeat(62)}`, "0x00000000000000000000", 0]);
  });

  it("gives contract data and the transaction context", () => {
    const r = trace(
      `{c: null, step: function(log) {
        if (this.c === null) this.c = [toHex(log.contract.getAddress()), toHex(log.contract.getCaller()),
          log.contract.getValue().toString(), toHex(log.contract.getInput())];
      }, fault: function() {}, result: function(ctx) {
        return {c: this.c, type: ctx.type, from: toHex(ctx.from), to: toHex(ctx.to), input: toHex(ctx.input),
          value: ctx.value.toString(), gas: ctx.gas, gasUsed: ctx.gasUsed, gasPrice: ctx.gasPrice.toString(),
          block: ctx.block, output: toHex(ctx.output), coinbase: toHex(ctx.coinbase), error: ctx.error};
      }}`,
      STORE_AND_RETURN,
      { value: 7n, input: hexToBytes("0xcafe"), gas: 50000n },
    );
    expect(r.result).toEqual({
      c: [DEFAULT_RECEIVER, DEFAULT_SENDER, "7", "0xcafe"],
      type: "CALL",
      from: DEFAULT_SENDER,
      to: DEFAULT_RECEIVER,
      input: "0xcafe",
      value: "7",
      gas: 50000,
      gasUsed: 18,
      gasPrice: "0",
      block: 1,
      output: "0xff00",
      coinbase: "0x0000000000000000000000000000000000000000",
    });
  });

  it("reads state through db", () => {
    const prestate = new MemoryState();
    prestate.accounts.set(OTHER, {
      nonce: 5n,
      balance: 1234n,
      code: hexToBytes("0x6001"),
      storage: new Map([[3n, 0xabn]]),
    });
    const r = trace(
      `{step: function() {}, fault: function() {}, result: function(ctx, db) {
        var a = toAddress('${OTHER}');
        return [db.getBalance(a).toString(), db.getNonce(a), toHex(db.getCode(a)), toHex(db.getState(a, toWord('0x03'))),
          db.exists(a), db.exists(toAddress('0x1234')), db.getBalance(a).add(1).toString(16)];
      }}`,
      STORE_AND_RETURN,
      { prestate },
    );
    expect(r.result).toEqual(["1234", 5, "0x6001", `0x${"0".repeat(62)}ab`, true, false, "4d3"]);
  });

  it("provides go-ethereum's helpers", () => {
    expect(resultOf("toHex([1, 2, 255])")).toBe("0x0102ff");
    expect(resultOf("toHex(toWord('0xffaa'))")).toBe(`0x${"0".repeat(60)}ffaa`);
    expect(resultOf("toHex(toAddress('0x123'))")).toBe(`0x${"0".repeat(37)}123`);
    expect(resultOf("toHex(toAddress(toWord('0x1234567890123456789012345678901234567890')))")).toBe(
      "0x1234567890123456789012345678901234567890",
    );
    // CREATE address of 0x6ac7ea33f8831ea9dcc53393aaa88b25a785dbf0 with nonce 0 (a known value).
    expect(resultOf("toHex(toContract('0x6ac7ea33f8831ea9dcc53393aaa88b25a785dbf0', 0))")).toBe(
      "0xcd234a471b72ba2f1ccf0a70fcaba648a5eecd8d",
    );
    // EIP-1014 example 1: zero deployer, zero salt, initcode 0x00.
    expect(resultOf("toHex(toContract2('0x0000000000000000000000000000000000000000', '0x00', '0x00'))")).toBe(
      "0x4d1a2e2bb4f88f0250f26ffff098b0b30b26bf38",
    );
    expect(resultOf("toHex(slice([1, 2, 3, 4], 1, 3))")).toBe("0x0203");
    expect(resultOf("typeof bigInt")).toBe("function");
    // toWord of a byte array longer than 32 keeps the last 32 bytes.
    expect(resultOf(`toHex(toWord('0x${"12".repeat(40)}'))`)).toBe(`0x${"12".repeat(32)}`);
  });

  it("knows the precompiles of the fork after the transaction starts", () => {
    const r = trace(
      `{r: null, step: function() { if (this.r === null) this.r = [isPrecompiled(toAddress('0x01')),
        isPrecompiled(toAddress('0x0a')), isPrecompiled(toAddress('0x0b')), isPrecompiled(toAddress('0xaa'))]; },
        fault: function() {}, result: function() { return this.r; }}`,
      STORE_AND_RETURN,
    );
    // Cancun: 0x01…0x0a; 0x0b (BLS) comes with Prague.
    expect(r.result).toEqual([true, true, false, false]);
  });

  it("calls enter and exit for inner frames with go-ethereum's frame accessors", () => {
    const prestate = new MemoryState();
    // OTHER returns 0x2a in one 32-byte word.
    prestate.accounts.set(OTHER, {
      nonce: 0n,
      balance: 0n,
      code: hexToBytes("0x602a60005260206000f3"),
      storage: new Map(),
    });
    // STATICCALL(gas, OTHER, 0, 2, 0, 32) with memory[0..2] = 0xbeef, then STOP.
    const code = `61beef60f01b600052602060006002600073${OTHER.slice(2)}5afa00`;
    const r = trace(
      `{log: [], step: function() {}, fault: function() {}, result: function() { return this.log; },
        enter: function(f) { this.log.push([f.getType(), toHex(f.getFrom()), toHex(f.getTo()), toHex(f.getInput()),
          f.getGas() > 0, f.getValue() === undefined]); },
        exit: function(r) { this.log.push([r.getGasUsed(), toHex(r.getOutput()), r.getError()]); }}`,
      code,
      { prestate },
    );
    expect(r.result).toEqual([
      ["STATICCALL", DEFAULT_RECEIVER, OTHER, "0xbeef", true, true],
      [18, `0x${"0".repeat(62)}2a`, null],
    ]);
  });

  it("passes the tracer config to setup()", () => {
    const code = `{cfg: null, setup: function(c) { this.cfg = JSON.parse(c); }, fault: function() {},
      result: function() { return this.cfg; }}`;
    expect(trace(code, "00", {}, { foo: "bar" })).toEqual({ result: { foo: "bar" } });
    expect(trace(code, "00")).toEqual({ result: {} });
  });

  it("returns null for an undefined result and rejects non-JSON results", () => {
    expect(trace("{fault: function() {}, result: function() {}}", "00")).toEqual({ result: null });
    expect(trace("{fault: function() {}, result: function() { return 1n; }}", "00").error).toMatch(
      /^TypeError: .*BigInt.*in server-side tracer function 'result'$/,
    );
  });

  it("validates the tracer object like go-ethereum", () => {
    const build = (code: string) => () => buildTracer({ tracer: code }, { fork: Fork.Cancun });
    expect(build("{fault: function() {}}")).toThrow("trace object must expose a function result()");
    expect(build("{result: function() {}}")).toThrow("trace object must expose a function fault()");
    expect(build("{result: function() {}, fault: function() {}, enter: function() {}}")).toThrow(
      "trace object must expose either both or none of enter() and exit()",
    );
    expect(build("{result: function() {}, fault: function() {}, step: }")).toThrow(/SyntaxError/);
    expect(
      build(
        `{setup: function() { throw new Error("bad config"); }, result: function() {}, fault: function() {}}`,
      ),
    ).toThrow(/^Error: bad config/);
    // step is optional, as in go-ethereum.
    const t = buildTracer(
      { tracer: "{result: function() { return 1; }, fault: function() {}}" },
      { fork: Fork.Cancun },
    );
    expect(t.getResult()).toBe(1);
    t.dispose?.();
  });

  it("ends the trace with go-ethereum's text when step throws or reads out of range", () => {
    expect(
      trace("{step: function(log) { null.x; }, fault: function() {}, result: function() { return 1; }}", "00")
        .error,
    ).toMatch(
      /^TypeError: cannot read property 'x' of null at step \(<eval>:1:\d+\) {4}in server-side tracer function 'step'$/,
    );
    expect(
      trace(
        "{step: function(log) { log.stack.peek(-1); }, fault: function() {}, result: function() {}}",
        "00",
      ).error,
    ).toMatch(
      /^tracer accessed out of bound stack: size 0, index -1 at step \(<eval>.*\) {4}in server-side tracer function 'step'$/,
    );
    expect(
      trace(
        "{step: function(log) { log.memory.slice(-1, -2); }, fault: function() {}, result: function() {}}",
        "00",
      ).error,
    ).toMatch(
      /^tracer accessed out of bound memory: offset -1, end -2 at step .*in server-side tracer function 'step'$/,
    );
    expect(
      trace(
        "{step: function(log) { log.memory.getUint(-64); }, fault: function() {}, result: function() {}}",
        "00",
      ).error,
    ).toMatch(/^tracer accessed out of bound memory: available 0, offset -64, size 32 at step/);
    expect(
      trace(
        "{step: function(log) { if (log.op.toString() === 'RETURN') log.memory.slice(5, 1025 * 1024); }, fault: function() {}, result: function() {}}",
        STORE_AND_RETURN,
      ).error,
    ).toMatch(/^reached limit for padding memory slice: 1049568 at step/);
    expect(
      trace("{step: function() {}, fault: function() {}, result: function() { return toHex(5); }}", "00")
        .error,
    ).toMatch(/^invalid buffer type at result .*in server-side tracer function 'result'$/);
    // An interrupt ends the trace even when the tracer catches it (goja's vm.Interrupt).
    expect(
      trace(
        "{step: function(log) { try { log.stack.peek(3); } catch (e) {} }, fault: function() {}, result: function() { return 1; }}",
        "00",
      ).error,
    ).toBe("tracer accessed out of bound stack: size 0, index 3    in server-side tracer function 'step'");
  });

  it("calls fault with the error of a failing step", () => {
    // PUSH1 0 JUMP: invalid jump destination.
    const r = trace(
      `{f: [], step: function(log) { if (log.getError()) this.f.push('step:' + log.getError()); },
        fault: function(log) { this.f.push(log.op.toString() + ':' + log.getError()); },
        result: function(ctx) { return [this.f, ctx.error]; }}`,
      "600056",
    );
    expect(r.result).toEqual([["JUMP:invalid jump destination"], "invalid jump destination"]);
    // Not enough gas for the second PUSH1: reported by step itself.
    const oog = trace(
      `{f: [], step: function(log) { if (log.getError()) this.f.push('step:' + log.getError()); },
        fault: function(log) { this.f.push('fault'); }, result: function() { return this.f; }}`,
      "60016001",
      { gas: 4n },
    );
    expect(oog.result).toEqual(["step:out of gas"]);
  });

  it("works the same through the public-API path", () => {
    configureJsSandbox({ fastPath: false });
    try {
      const r = trace(
        `{rows: [], step: function(log) { this.rows.push([log.op.toString(), log.getPC(), log.stack.length()]); },
          fault: function() {}, result: function() { return this.rows; }}`,
        "6001600201",
      );
      expect(r.result).toEqual([
        ["PUSH1", 0, 0],
        ["PUSH1", 2, 1],
        ["ADD", 4, 2],
        ["STOP", 5, 1],
      ]);
    } finally {
      configureJsSandbox({ fastPath: true });
    }
  });
});
