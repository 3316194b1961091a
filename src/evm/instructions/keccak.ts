/** KECCAK256 and its gas (30 + 6 per word + memory). */
import { keccak256 } from "../../primitives/keccak.js";
import type { Frame } from "../frame.js";
import { G } from "../gas.js";
import { bytes32ToWord, memoryGas, wordGas } from "./common.js";

export function keccakGas(f: Frame): number {
  const size = f.stack[f.sp - 2]!;
  return memoryGas(f, f.stack[f.sp - 1]!, size) + wordGas(size, G.KECCAK_WORD);
}

export function opKeccak256(f: Frame): void {
  const s = f.stack;
  const sp = --f.sp;
  const size = Number(s[sp - 1]!);
  const off = size === 0 ? 0 : Number(s[sp]!);
  f.expand(off, size);
  s[sp - 1] = bytes32ToWord(keccak256(f.memory.subarray(off, off + size)), 0);
}
