/**
 * keccak256PreimageTracer: the preimage of every KECCAK256 instruction a transaction
 * runs, as an object from hash to preimage (after go-ethereum's native tracer of that
 * name, eth/tracers/native/keccak256_preimage.go).
 *
 * The preimage is read from memory when the instruction is reported (before any memory
 * expansion), zero-padded past the end of memory as go-ethereum's GetMemoryCopyPadded
 * does; an instruction that fails to start (out of gas) is recorded too, as go-ethereum
 * does not look at the error. Also exports that memory helper for the other tracers.
 */
import { bytesToHex } from "../../primitives/hex.js";
import { keccak256 } from "../../primitives/keccak.js";
import type { Hooks, StepScope } from "../../tracing/hooks.js";
import { registerTracer } from "../registry.js";
import { readTracerConfig } from "../types.js";
import { JsonTracer } from "./simple.js";

const KECCAK256 = 0x20;
/** go-ethereum refuses to pad a memory copy by more than 1 MiB. */
const MEMORY_PAD_LIMIT = 1024n * 1024n;

/**
 * `size` bytes of the frame's memory from `offset`, zero-padded past its end, with
 * go-ethereum's arithmetic: both operands are cut to 64 bits and read as signed; a
 * negative operand or more than 1 MiB of padding gives null (nothing recorded).
 */
export function memoryCopyPadded(scope: StepScope, offsetWord: bigint, sizeWord: bigint): Uint8Array | null {
  const offset = BigInt.asIntN(64, offsetWord);
  const size = BigInt.asIntN(64, sizeWord);
  if (offset < 0n || size < 0n) return null;
  const length = BigInt(scope.memorySize);
  const end = BigInt.asIntN(64, offset + size);
  if (end < length) {
    // Entirely inside memory (or an int64 overflow, which go-ethereum treats the same way).
    if (size === 0n || length <= offset) return new Uint8Array(0);
    return scope.memory.slice(Number(offset), Number(offset + size));
  }
  if (end - length > MEMORY_PAD_LIMIT) return null;
  const out = new Uint8Array(Number(size));
  const overlap = length - offset;
  if (overlap > 0n) out.set(scope.memory.subarray(Number(offset), Number(offset + overlap)));
  return out;
}

/** The top `n`-th stack item (0 is the top). The caller checks the stack is deep enough. */
export function stackBack(scope: StepScope, n: number): bigint {
  return scope.stack[scope.stackSize - 1 - n]!;
}

class Keccak256PreimageTracer extends JsonTracer {
  readonly name = "keccak256PreimageTracer";
  /** Hash (0x hex) to preimage (0x hex), in first-seen order; a repeated hash keeps its place. */
  private readonly preimages = new Map<string, string>();
  readonly hooks: Hooks = {
    onOpcode: (_pc, op, _gas, _cost, scope) => {
      if (op !== KECCAK256 || this.stopped !== null) return;
      if (scope.stackSize < 2) return;
      const preimage = memoryCopyPadded(scope, stackBack(scope, 0), stackBack(scope, 1));
      if (preimage === null) return;
      this.preimages.set(bytesToHex(keccak256(preimage)), bytesToHex(preimage));
    },
  };
  protected result(): unknown {
    // go-ethereum encodes a map: keys in sorted order.
    const out: Record<string, string> = {};
    for (const k of [...this.preimages.keys()].sort()) out[k] = this.preimages.get(k)!;
    return out;
  }
}

registerTracer("keccak256PreimageTracer", (config) => {
  readTracerConfig("keccak256PreimageTracer", config, {});
  return new Keccak256PreimageTracer();
});
