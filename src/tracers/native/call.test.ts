import { describe, expect, it } from "vitest";
import { applyTransaction } from "../../block/apply.js";
import { Fork } from "../../evm/forks.js";
import { create2Address, createAddress } from "../../primitives/address.js";
import { type Address, addressFromBigInt, bytesToHex, hexToBytes } from "../../primitives/hex.js";
import { keccak256 } from "../../primitives/keccak.js";
import { DEFAULT_RECEIVER, DEFAULT_SENDER, defaultBlock, executeCall } from "../../runners/call.js";
import { MemoryState, StateDB } from "../../state/statedb.js";
import { recoverSender, signTransaction } from "../../tx/sender.js";
import type { LegacyTransaction } from "../../tx/types.js";
import { buildTracer } from "../registry.js";
import { TracerError } from "../types.js";
import { goUtf8, unpackRevertReason } from "./call.js";

const B = addressFromBigInt(0xbbn);
const C = addressFromBigInt(0xccn);
const D = addressFromBigInt(0xddn);
const E = addressFromBigInt(0xeen);
const BENEFICIARY = addressFromBigInt(0xben);
const GAS = 1_000_000n;

/** Joins hex fragments into bytecode. */
function code(...parts: string[]): Uint8Array {
  return hexToBytes(parts.join("").replace(/\s+/g, ""));
}
function hex(...parts: string[]): string {
  return `0x${parts.join("").replace(/\s+/g, "")}`;
}
const byte = (n: number) => n.toString(16).padStart(2, "0");
/** CALL(gas=0xffff or given, to, value 0, no input, 32 bytes of output at 0); result popped. */
const call = (to: number, gas = "ffff") => `6020 6000 6000 6000 6000 60${byte(to)} 61${gas} f1 50`;
const staticcall = (to: number) => `6020 6000 6000 6000 60${byte(to)} 61ffff fa 50`;

// B: MSTORE 42 at 0, LOG1(mem[0..32], topic 0x11), RETURN mem[0..32]. Uses 1033 gas.
const B_CODE = code("602a 6000 52 6011 6020 6000 a1 6020 6000 f3");
const WORD_42 = hex("00".repeat(31), "2a");
// Error("boom") as Solidity encodes it.
const ERROR_BOOM = hex(
  "08c379a0",
  "20".padStart(64, "0"),
  "04".padStart(64, "0"),
  "626f6f6d".padEnd(64, "0"),
);
// C: CODECOPY the 100 bytes of Error("boom") appended to it, REVERT with them. Uses 42 gas.
const C_CODE = code("6064 600c 6000 39 6064 6000 fd", ERROR_BOOM.slice(2));
// D: an endless loop (runs out of gas).
const D_CODE = code("5b 6000 56");
// E: LOG0 of nothing, then REVERT with no data.
const E_CODE = code("6000 6000 a0 6000 6000 fd");

function alloc(entries: [Address, string | Uint8Array, bigint?][]): MemoryState {
  const m = new MemoryState();
  for (const [a, c, balance] of entries) {
    m.accounts.set(a, {
      nonce: 0n,
      balance: balance ?? 0n,
      code: typeof c === "string" ? hexToBytes(c) : c,
      storage: new Map(),
    });
  }
  return m;
}

const PRESTATE = () =>
  alloc([
    [B, B_CODE],
    [C, C_CODE],
    [D, D_CODE],
    [E, E_CODE],
  ]);

function trace(
  tracerConfig: unknown,
  topCode: Uint8Array,
  opts: { input?: Uint8Array; prestate?: MemoryState; fork?: Fork; tracer?: string } = {},
) {
  const fork = opts.fork ?? Fork.Cancun;
  const tracer = buildTracer({ tracer: opts.tracer ?? "callTracer", tracerConfig }, { fork });
  const out = executeCall({
    code: topCode,
    gas: GAS,
    fork,
    hooks: tracer.hooks,
    prestate: opts.prestate ?? PRESTATE(),
    ...(opts.input !== undefined ? { input: opts.input } : {}),
  });
  return { result: JSON.parse(JSON.stringify(tracer.getResult())), out, tracer };
}

// A: CALL B, STATICCALL C (reverts with a reason), LOG0, STOP.
const A_CODE = code(call(0xbb), staticcall(0xcc), "6000 6000 a0 00");

describe("callTracer", () => {
  it("nests calls with gas, output, revert reason and logs (withLog)", () => {
    const { result, out } = trace({ withLog: true }, A_CODE);
    expect(result).toEqual({
      from: DEFAULT_SENDER,
      gas: "0xf4240",
      gasUsed: `0x${out.gasUsed.toString(16)}`,
      to: DEFAULT_RECEIVER,
      input: "0x",
      calls: [
        {
          from: DEFAULT_RECEIVER,
          gas: "0xffff",
          gasUsed: "0x409",
          to: B,
          input: "0x",
          output: WORD_42,
          logs: [
            {
              address: B,
              topics: [hex("11".padStart(64, "0"))],
              data: WORD_42,
              index: "0x0",
              position: "0x0",
            },
          ],
          value: "0x0",
          type: "CALL",
        },
        {
          from: DEFAULT_RECEIVER,
          gas: "0xffff",
          gasUsed: "0x2a",
          to: C,
          input: "0x",
          output: ERROR_BOOM,
          error: "execution reverted",
          revertReason: "boom",
          type: "STATICCALL",
        },
      ],
      logs: [{ address: DEFAULT_RECEIVER, topics: [], data: "0x", index: "0x1", position: "0x2" }],
      value: "0x0",
      type: "CALL",
    });
    // JSON key order follows go-ethereum's struct order.
    expect(Object.keys(result)).toEqual([
      "from",
      "gas",
      "gasUsed",
      "to",
      "input",
      "calls",
      "logs",
      "value",
      "type",
    ]);
  });

  it("leaves logs out without withLog", () => {
    const { result } = trace({}, A_CODE);
    expect(result.logs).toBeUndefined();
    expect(result.calls[0].logs).toBeUndefined();
    expect(result.calls).toHaveLength(2);
  });

  it("onlyTopCall keeps only the top frame and its own logs", () => {
    const { result } = trace({ onlyTopCall: true, withLog: true }, A_CODE);
    expect(result.calls).toBeUndefined();
    // B's log still counts towards the index; position counts no recorded sub-calls.
    expect(result.logs).toEqual([
      { address: DEFAULT_RECEIVER, topics: [], data: "0x", index: "0x1", position: "0x0" },
    ]);
  });

  it("drops logs of reverted frames and does not count them in the index", () => {
    const top = code(call(0xee), "6000 6000 a0 00");
    const { result } = trace({ withLog: true }, top);
    expect(result.calls[0].error).toBe("execution reverted");
    expect(result.calls[0].logs).toBeUndefined();
    expect(result.calls[0].output).toBeUndefined();
    expect(result.calls[0].revertReason).toBeUndefined();
    expect(result.logs).toEqual([
      { address: DEFAULT_RECEIVER, topics: [], data: "0x", index: "0x0", position: "0x1" },
    ]);
  });

  it("drops every log when the top frame reverts", () => {
    const top = code(call(0xbb), "6000 6000 a0 6000 6000 fd");
    const { result } = trace({ withLog: true }, top);
    expect(result.error).toBe("execution reverted");
    expect(result.logs).toBeUndefined();
    expect(result.calls[0].logs).toBeUndefined();
    expect(result.calls[0].output).toBe(WORD_42);
  });

  it("reports out of gas with all the gas used and no output", () => {
    const { result } = trace({}, code(call(0xdd, "1000"), "00"));
    expect(result.calls[0]).toEqual({
      from: DEFAULT_RECEIVER,
      gas: "0x1000",
      gasUsed: "0x1000",
      to: D,
      input: "0x",
      error: "out of gas",
      value: "0x0",
      type: "CALL",
    });
  });

  it("reports the top frame's failure", () => {
    const { result, out } = trace({}, code("fe"));
    expect(result.error).toBe("invalid opcode: INVALID");
    expect(result.gasUsed).toBe(`0x${out.gasUsed.toString(16)}`);
    expect(result.output).toBeUndefined();
  });

  it("traces CREATE and CREATE2 frames, and a failed create without `to`", () => {
    // Init code 0x6001_6000_f3 returns one zero byte; put it at memory 27..32.
    const init = "60016000f3";
    const revertingInit = "60006000fd";
    const top = code(
      `64${init} 6000 52`,
      "6005 601b 6000 f0 50", // CREATE
      "6007 6005 601b 6000 f5 50", // CREATE2 with salt 7
      `64${revertingInit} 6000 52`,
      "6005 601b 6000 f0 50", // CREATE that reverts
      "00",
    );
    const { result } = trace({}, top);
    const initBytes = hexToBytes(init);
    expect(result.calls).toHaveLength(3);
    expect(result.calls[0]).toEqual({
      from: DEFAULT_RECEIVER,
      gas: result.calls[0].gas,
      gasUsed: "0xd1", // 9 for the init code, 200 for the one-byte deposit
      to: createAddress(DEFAULT_RECEIVER, 0n),
      input: `0x${init}`,
      output: "0x00",
      value: "0x0",
      type: "CREATE",
    });
    expect(result.calls[1].type).toBe("CREATE2");
    expect(result.calls[1].to).toBe(create2Address(DEFAULT_RECEIVER, 7n, keccak256(initBytes)));
    expect(result.calls[1].output).toBe("0x00");
    expect(result.calls[2]).toEqual({
      from: DEFAULT_RECEIVER,
      gas: result.calls[2].gas,
      gasUsed: "0x6",
      input: `0x${revertingInit}`,
      error: "execution reverted",
      value: "0x0",
      type: "CREATE",
    });
  });

  it("reports SELFDESTRUCT as a frame carrying the balance", () => {
    const prestate = alloc([[DEFAULT_RECEIVER, "", 5n]]);
    const { result } = trace({}, code("60be ff"), { prestate });
    expect(result.calls).toEqual([
      {
        from: DEFAULT_RECEIVER,
        gas: "0x0",
        gasUsed: "0x0",
        to: BENEFICIARY,
        input: "0x",
        value: "0x5",
        type: "SELFDESTRUCT",
      },
    ]);
  });

  it("includes precompile calls", () => {
    // CALL identity (0x04) with 2 bytes of input from memory 30..32 = 0x1234.
    const top = code("611234 6000 52 6002 6000 6002 601e 6000 6004 61ffff f1 50 00");
    const { result } = trace({}, top);
    expect(result.calls).toEqual([
      {
        from: DEFAULT_RECEIVER,
        gas: "0xffff",
        gasUsed: "0x12",
        to: addressFromBigInt(4n),
        input: "0x1234",
        output: "0x1234",
        value: "0x0",
        type: "CALL",
      },
    ]);
  });

  it("uses the transaction's gas limit and gas used for the top frame", () => {
    const key = hexToBytes(`0x${"01".repeat(32)}`);
    const unsigned: LegacyTransaction = {
      type: 0,
      chainId: 1n,
      nonce: 0n,
      gasPrice: 1n,
      gasLimit: 100_000n,
      to: B,
      value: 3n,
      data: hexToBytes("0xabcdef"),
      v: 0n,
      r: 0n,
      s: 0n,
    };
    const tx = signTransaction(unsigned, key);
    const sender = recoverSender(tx, Fork.Cancun);
    const state = new StateDB(
      alloc([
        [sender, "", 10n ** 18n],
        [B, B_CODE],
      ]),
    );
    const tracer = buildTracer({ tracer: "callTracer" }, { fork: Fork.Cancun });
    const block = defaultBlock(Fork.Cancun);
    const r = applyTransaction(state, block, tx, sender, Fork.Cancun, tracer.hooks, {
      blockGasAvailable: 100_000n,
    });
    const result = tracer.getResult() as Record<string, unknown>;
    // 21000 + 3 * 16 for the data + 1033 for B's code.
    expect(r.gasUsed).toBe(22_081n);
    expect(result).toEqual({
      from: sender,
      gas: "0x186a0",
      gasUsed: "0x5641",
      to: B,
      input: "0xabcdef",
      output: WORD_42,
      value: "0x3",
      type: "CALL",
    });
  });

  it("ignores events once stopped and then fails with the stop reason", () => {
    const tracer = buildTracer({ tracer: "callTracer" }, { fork: Fork.Cancun });
    let entered = 0;
    const hooks = {
      ...tracer.hooks,
      onEnter: (...args: Parameters<NonNullable<typeof tracer.hooks.onEnter>>) => {
        if (++entered === 2) tracer.stop(new TracerError("execution timeout"));
        tracer.hooks.onEnter!(...args);
      },
    };
    executeCall({ code: A_CODE, gas: GAS, fork: Fork.Cancun, hooks, prestate: PRESTATE() });
    expect(() => tracer.getResult()).toThrow("execution timeout");
  });

  it("fails with go-ethereum's message when nothing was traced", () => {
    const tracer = buildTracer({ tracer: "callTracer" }, { fork: Fork.Cancun });
    expect(() => tracer.getResult()).toThrow("incorrect number of top-level calls");
  });

  it("rejects options of the wrong type", () => {
    expect(() =>
      buildTracer({ tracer: "callTracer", tracerConfig: { withLog: "yes" } }, { fork: Fork.Cancun }),
    ).toThrow(/callTracer: tracerConfig.withLog must be a boolean/);
  });
});

describe("unpackRevertReason", () => {
  const panic = (c: string) => hexToBytes(hex("4e487b71", c.padStart(64, "0")));
  it("decodes Error(string) and Panic(uint256)", () => {
    expect(unpackRevertReason(hexToBytes(ERROR_BOOM))).toBe("boom");
    expect(unpackRevertReason(panic("11"))).toBe("arithmetic underflow or overflow");
    expect(unpackRevertReason(panic("01"))).toBe("assert(false)");
    expect(unpackRevertReason(panic("99"))).toBe("unknown panic code: 0x99");
  });
  it("rejects malformed data", () => {
    expect(unpackRevertReason(hexToBytes("0x08c379a0"))).toBeNull();
    expect(unpackRevertReason(hexToBytes("0x4e487b71"))).toBeNull();
    expect(unpackRevertReason(hexToBytes("0xdeadbeef"))).toBeNull();
    // Offset pointing past the data.
    expect(unpackRevertReason(hexToBytes(hex("08c379a0", "40".padStart(64, "0"))))).toBeNull();
    // Length longer than the data.
    const long = hex("08c379a0", "20".padStart(64, "0"), "05".padStart(64, "0"), "626f6f6d");
    expect(unpackRevertReason(hexToBytes(long))).toBeNull();
  });
  it("replaces invalid UTF-8 byte by byte, as Go's JSON encoder does", () => {
    expect(goUtf8(hexToBytes("0x61e282ac62"))).toBe("a€b");
    expect(goUtf8(hexToBytes("0xe28262"))).toBe("\ufffd\ufffdb");
    expect(goUtf8(hexToBytes("0xc0af"))).toBe("\ufffd\ufffd");
    expect(goUtf8(hexToBytes("0xeda080"))).toBe("\ufffd\ufffd\ufffd");
    expect(goUtf8(hexToBytes("0xf09f9880"))).toBe("😀");
    expect(bytesToHex(new TextEncoder().encode(goUtf8(hexToBytes("0xff"))))).toBe("0xefbfbd");
  });
});
