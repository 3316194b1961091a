/**
 * The plain interpreter loop (runPlain) executes hot opcodes inline; the traced loop runs
 * every opcode through the jump table's handlers. These tests run the same programs
 * through both (a no-op onOpcode hook selects the traced loop) and require identical
 * results: output, gas used, error and storage, on every fork.
 */
import { describe, expect, it } from "vitest";
import { bytesToHex, hexToBytes } from "../primitives/hex.js";
import { DEFAULT_RECEIVER, executeCall } from "../runners/call.js";
import { FORK_NAMES, type Fork } from "./forks.js";

/** Small deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex2 = (n: number) => n.toString(16).padStart(2, "0");

/** A word likely to hit the interesting edges: small, near 2^64, near 2^255, negative. */
function word(r: () => number): string {
  const k = Math.floor(r() * 10);
  const bytes = (n: number, fill?: number) =>
    Array.from({ length: n }, () => hex2(fill ?? Math.floor(r() * 256))).join("");
  switch (k) {
    case 0:
      return `60${bytes(1)}`;
    case 1:
      return `61${bytes(2)}`;
    case 2:
      return `67${bytes(8)}`; // up to 2^64
    case 3:
      return `68${bytes(9)}`;
    case 4:
      return `7f${bytes(24, 0xff)}${bytes(8)}`; // small negative
    case 5:
      return `7f${bytes(32)}`;
    case 6:
      return `7f80${bytes(31, 0)}`; // -2^255
    case 7:
      return `7f${bytes(32, 0xff)}`; // -1
    case 8:
      return `60${hex2(Math.floor(r() * 8) * 32)}`; // a memory offset
    default:
      return `5f`; // PUSH0 (invalid before Shanghai)
  }
}

const BINARY = [
  0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x10, 0x11, 0x12, 0x13, 0x14, 0x16, 0x17,
  0x18, 0x1a, 0x1b, 0x1c, 0x1d,
];
const TERNARY = [0x08, 0x09];
const UNARY = [0x15, 0x19, 0x1e, 0x51];

/**
 * A random program over the opcodes the plain loop runs inline (and some it does not),
 * mostly keeping the stack deep enough, with jumps, memory and storage. It ends by
 * storing up to 8 stack words to memory and saving a hash of memory to storage slot 1.
 */
function program(r: () => number): string {
  let code = "";
  let depth = 0;
  const n = 5 + Math.floor(r() * 80);
  const pick = (list: number[]) => hex2(list[Math.floor(r() * list.length)]!);
  for (let i = 0; i < n; i++) {
    const k = r();
    const sloppy = r() < 0.03; // occasionally ignore the stack depth
    if (k < 0.3 || (depth < 2 && !sloppy)) {
      code += word(r);
      depth++;
    } else if (k < 0.5) {
      code += pick(BINARY);
      depth--;
    } else if (k < 0.53) {
      code += pick(TERNARY);
      depth -= 2;
    } else if (k < 0.58) code += pick(UNARY);
    else if (k < 0.66) {
      const m = 1 + Math.floor(r() * Math.min(depth, 16));
      code += hex2(0x7f + m); // DUPm
      depth++;
    } else if (k < 0.74) {
      const m = 1 + Math.floor(r() * Math.min(depth - 1, 16));
      code += hex2(0x8f + m); // SWAPm
    } else if (k < 0.8) {
      // MSTORE of the top word at a word-aligned offset, or anywhere.
      code += r() < 0.8 ? `60${hex2(Math.floor(r() * 8) * 32)}52` : "52";
      depth -= r() < 0.8 ? 1 : 2;
    } else if (k < 0.82) {
      code += "50"; // POP
      depth--;
    } else if (k < 0.85) {
      code += r() < 0.5 ? "54" : "8055"; // SLOAD, DUP1 SSTORE
      if (code.endsWith("8055")) depth--;
    } else if (k < 0.88)
      code += "5b"; // JUMPDEST
    else if (k < 0.92) {
      // A jump forward over a few bytes to a position that may or may not be a JUMPDEST.
      const target = code.length / 2 + 4 + Math.floor(r() * 3);
      const jumpi = r() < 0.5;
      code += `61${target.toString(16).padStart(4, "0")}${jumpi ? "57" : "56"}`;
      if (jumpi) depth--;
    } else if (k < 0.96) {
      code += `${r() < 0.5 ? "58" : "5a"}`; // PC, GAS
      depth++;
    } else {
      code += "59"; // MSIZE
      depth++;
    }
    if (depth < 0) depth = 0;
  }
  for (let i = 0; i < Math.min(depth, 8); i++)
    code += `61${(0x100 + 32 * i).toString(16).padStart(4, "0")}52`;
  // slot 1 = keccak(memory[0, 0x200]); return memory[0x100, 0x120].
  return `${code}6102006000206001556020610100f3`;
}

function runBoth(code: string, fork: Fork, gas: bigint) {
  const bytes = hexToBytes(code);
  const plain = executeCall({ code: bytes, fork, gas });
  const traced = executeCall({ code: bytes, fork, gas, hooks: { onOpcode: () => {} } });
  const summary = (r: typeof plain) => ({
    output: bytesToHex(r.returnData),
    gasUsed: r.gasUsed,
    error: r.error,
    slot1: r.state.getStorage(DEFAULT_RECEIVER, 1n),
  });
  return { plain: summary(plain), traced: summary(traced) };
}

describe("plain and traced interpreter loops agree", () => {
  for (let fork = 0; fork < FORK_NAMES.length; fork++) {
    it(`on random programs (${FORK_NAMES[fork]})`, () => {
      const r = rng(1000 + fork);
      for (let i = 0; i < 300; i++) {
        const code = program(r);
        // Ample gas, and tight gas to hit out-of-gas at every kind of step.
        for (const gas of [1_000_000n, BigInt(Math.floor(r() * 400))]) {
          const { plain, traced } = runBoth(code, fork as Fork, gas);
          expect(plain, `${FORK_NAMES[fork]} gas ${gas} code ${code}`).toEqual(traced);
        }
      }
    });
  }

  it("on stack limits, bad jumps and far memory", () => {
    const cases = [
      "01", // underflow
      `${"6001".repeat(1024)}6001`, // PUSH overflow
      `6001${"80".repeat(1023)}80`, // DUP overflow
      `${"6001".repeat(3)}92`, // SWAP3 underflow
      "600456", // jump to a non-JUMPDEST
      "6003565b", // jump into nothing past... a JUMPDEST at 3
      "60016005575b00", // JUMPI taken to a JUMPDEST
      "7f0000000000000000000000000000000000000000000000000000000100000000565b",
      "63ffffffff51", // MLOAD far away: out of gas
      "6001630fffffff52", // MSTORE far away
      `7f${"ff".repeat(32)}51`, // MLOAD at 2^256-1
      "600160ff1b600052", // SHL
      "5f5f52", // PUSH0
    ];
    for (let fork = 0; fork < FORK_NAMES.length; fork++) {
      for (const code of cases) {
        for (const gas of [10_000_000n, 30n]) {
          const { plain, traced } = runBoth(code, fork as Fork, gas);
          expect(plain, `${FORK_NAMES[fork]} ${code}`).toEqual(traced);
        }
      }
    }
  });

  it("across the plain loop's 2^30 gas split (refills and memory costs beyond it)", () => {
    const CHUNK = 0x3fff_ffff;
    // MSTORE at 0x0169_0000 (about 1.07e9 gas of memory), then 200,000 rounds of a loop
    // (about 5.2e6 gas, more than what is left below the split), then RETURN the GAS left.
    const burn = "600163016900005262030d405b6001900380600c575a60005260206000f3";
    for (const gas of [CHUNK - 1, CHUNK + 7, CHUNK + 1_000_000, CHUNK + 2_000_000, CHUNK + 5_000_000]) {
      const { plain, traced } = runBoth(burn, 14 as Fork, BigInt(gas));
      expect(plain, `burn gas ${gas}`).toEqual(traced);
      if (gas >= CHUNK + 2_000_000) expect(plain.error).toBeNull();
    }
    // MSTORE at 2^25: more memory gas (about 2.1e9) than the loop's small-integer part.
    const huge = "60016302000000526000600052";
    for (const gas of [CHUNK - 1, CHUNK, CHUNK + 1, CHUNK + 7, CHUNK + 1000, CHUNK + 5_000_000]) {
      const { plain, traced } = runBoth(burn, 14 as Fork, BigInt(gas));
      expect(plain, `burn gas ${gas}`).toEqual(traced);
    }
    for (const gas of [2_000_000_000, 2_200_000_000, 3_000_000_000]) {
      const { plain, traced } = runBoth(huge, 14 as Fork, BigInt(gas));
      expect(plain, `huge gas ${gas}`).toEqual(traced);
    }
  });
});
