import { describe, expect, it } from "vitest";
import { Fork } from "../../evm/forks.js";
import { bytesToHex, hexToBytes } from "../../primitives/hex.js";
import { keccak256 } from "../../primitives/keccak.js";
import { executeCall } from "../../runners/call.js";
import type { StepScope } from "../../tracing/hooks.js";
import "./keccak-preimage.js";
import { buildTracer } from "../registry.js";
import { TracerError } from "../types.js";
import { memoryCopyPadded } from "./keccak-preimage.js";

const code = (s: string) => hexToBytes(s.replace(/\s+/g, ""));
const hashOf = (hex: string) => bytesToHex(keccak256(hexToBytes(hex)));

function trace(c: Uint8Array, gas = 1_000_000n) {
  const tracer = buildTracer({ tracer: "keccak256PreimageTracer" }, { fork: Fork.Cancun });
  const out = executeCall({ code: c, gas, fork: Fork.Cancun, hooks: tracer.hooks });
  return { result: tracer.getResult() as Record<string, string>, out, tracer };
}

function scopeWith(memory: Uint8Array): StepScope {
  return {
    stack: [],
    stackSize: 0,
    memory,
    memorySize: memory.length,
    address: "0x0000000000000000000000000000000000000001",
    caller: "0x0000000000000000000000000000000000000002",
    value: 0n,
    input: new Uint8Array(0),
    code: new Uint8Array(0),
    returnData: new Uint8Array(0),
    refund: 0,
  };
}

describe("keccak256PreimageTracer", () => {
  it("maps each KECCAK256 hash to its preimage, padding reads past the end of memory", () => {
    // MSTORE(0, 0xdeadbeef); KECCAK256(28, 4); KECCAK256(0, 0); KECCAK256(16, 32); again (28, 4).
    const { result, out } = trace(
      code("63deadbeef 6000 52  6004 601c 20 50  6000 6000 20 50  6020 6010 20 50  6004 601c 20 50  00"),
    );
    expect(out.error).toBeNull();
    const padded = `0x${"00".repeat(12)}deadbeef${"00".repeat(16)}`;
    expect(result).toEqual({
      [hashOf("0xdeadbeef")]: "0xdeadbeef",
      [hashOf("0x")]: "0x",
      [hashOf(padded)]: padded,
    });
    // Keys sorted, as go-ethereum encodes its map.
    expect(Object.keys(result)).toEqual(Object.keys(result).sort());
  });

  it("records a KECCAK256 that fails for lack of gas (go-ethereum ignores the error)", () => {
    // PUSH1 4, PUSH1 0, KECCAK256 with 6 gas left after the pushes: 30 + 6 needed.
    const { result, out } = trace(code("6004 6000 20"), 12n);
    expect(out.error).toBe("out of gas");
    expect(result).toEqual({ [hashOf("0x00000000")]: "0x00000000" });
  });

  it("copies memory with go-ethereum's 64-bit operand handling", () => {
    const mem = hexToBytes("0x0102030405");
    expect(memoryCopyPadded(scopeWith(mem), 1n, 2n)).toEqual(hexToBytes("0x0203"));
    expect(memoryCopyPadded(scopeWith(mem), 4n, 3n)).toEqual(hexToBytes("0x050000"));
    expect(memoryCopyPadded(scopeWith(mem), 9n, 2n)).toEqual(hexToBytes("0x0000"));
    // Operands are cut to their low 64 bits.
    expect(memoryCopyPadded(scopeWith(mem), (1n << 64n) + 1n, 1n)).toEqual(hexToBytes("0x02"));
    // Negative as int64, or more than 1 MiB of padding: nothing.
    expect(memoryCopyPadded(scopeWith(mem), 1n << 63n, 1n)).toBeNull();
    expect(memoryCopyPadded(scopeWith(mem), 0n, 2n * 1024n * 1024n)).toBeNull();
  });

  it("fails with the stop reason once stopped", () => {
    const tracer = buildTracer({ tracer: "keccak256PreimageTracer" }, { fork: Fork.Cancun });
    tracer.stop(new TracerError("execution timeout"));
    executeCall({ code: code("6000 6000 20 00"), fork: Fork.Cancun, hooks: tracer.hooks });
    expect(() => tracer.getResult()).toThrow("execution timeout");
  });
});
