/**
 * One call frame's machine state: stack, memory, program counter and gas.
 *
 * Hot-path representation (and why): the stack is a preallocated array of bigints with
 * an integer stack pointer (no push/pop allocation); gas is a JS number (block gas limits
 * are far below 2^53); memory is a Uint8Array grown by doubling, with `memSize` the
 * EVM-visible size (a multiple of 32).
 */
import type { Address } from "../primitives/hex.js";
import type { StepScope } from "../tracing/hooks.js";
import type { EVM } from "./evm.js";

export const STACK_LIMIT = 1024;

export const RUNNING = 0;
export const STOPPED = 1; // STOP, RETURN, SELFDESTRUCT, end of code
export const REVERTED = 2;
export const FAILED = 3; // exceptional halt: all gas consumed

const EMPTY = new Uint8Array(0);

export class Frame implements StepScope {
  readonly stack: bigint[] = new Array<bigint>(STACK_LIMIT).fill(0n);
  sp = 0;
  memory: Uint8Array = EMPTY;
  memSize = 0;
  pc = 0;
  gas: number;
  status = RUNNING;
  error: string | null = null;
  /** RETURN/REVERT data. */
  output: Uint8Array = EMPTY;
  /** Return data of the last call made by this frame. */
  returnData: Uint8Array = EMPTY;
  /** Gas to forward to the next call, computed by the call's dynamic gas function. */
  callGas = 0;

  constructor(
    readonly evm: EVM,
    readonly code: Uint8Array,
    readonly jumpdests: Uint8Array,
    readonly address: Address,
    readonly caller: Address,
    readonly value: bigint,
    readonly input: Uint8Array,
    gas: number,
    readonly isStatic: boolean,
    readonly depth: number,
  ) {
    this.gas = gas;
  }

  // StepScope
  get stackSize(): number {
    return this.sp;
  }
  get memorySize(): number {
    return this.memSize;
  }
  get refund(): number {
    return this.evm.state.refund;
  }

  fail(error: string): void {
    this.status = FAILED;
    this.error = error;
  }

  /** Grows memory to cover [offset, offset+size); gas was charged by the dynamic gas function. */
  expand(offset: number, size: number): void {
    if (size === 0) return;
    const end = offset + size;
    if (end <= this.memSize) return;
    const newSize = Math.ceil(end / 32) * 32;
    if (newSize > this.memory.length) {
      let cap = Math.max(this.memory.length * 2, 1024);
      while (cap < newSize) cap *= 2;
      const m = new Uint8Array(cap);
      m.set(this.memory.subarray(0, this.memSize));
      this.memory = m;
    }
    this.memSize = newSize;
  }

  /** Copy of memory [offset, offset+size) (memory already expanded). */
  readMemory(offset: number, size: number): Uint8Array {
    if (size === 0) return EMPTY;
    return this.memory.slice(offset, offset + size);
  }
}

/** Bitmap of valid JUMPDEST positions, computed once per code (cached by code identity). */
const jumpdestCache = new WeakMap<Uint8Array, Uint8Array>();

export function jumpdestsOf(code: Uint8Array): Uint8Array {
  let map = jumpdestCache.get(code);
  if (map !== undefined) return map;
  map = new Uint8Array(code.length);
  for (let pc = 0; pc < code.length; pc++) {
    const op = code[pc]!;
    if (op === 0x5b) map[pc] = 1;
    else if (op >= 0x60 && op <= 0x7f) pc += op - 0x5f;
  }
  jumpdestCache.set(code, map);
  return map;
}
