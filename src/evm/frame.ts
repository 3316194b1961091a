/**
 * One call frame's machine state: stack, memory, program counter and gas.
 *
 * Hot-path representation (and why): the stack is a preallocated array of bigints with
 * an integer stack pointer (no push/pop allocation); gas is a JS number (block gas limits
 * are far below 2^53); memory is a Uint8Array grown by doubling, with `memSize` the
 * EVM-visible size (a multiple of 32).
 *
 * Gas above 2^53-1 (a few state tests give a transaction 2^63 gas): a frame's gas is
 * `gas + excess`, where `gas` is a JS number never above MAX_GAS_NUMBER and `excess` a
 * bigint that is zero in every real transaction. Only slow paths read `excess`: running
 * out of `gas` (topUp/refill), the GAS opcode, gas forwarded by calls and creates, gas
 * returned to the caller, SSTORE's EIP-2200 sentry, and the transaction's gas accounting.
 * Tracing hooks see only the number part (at most 2^53-1).
 */
import type { Address } from "../primitives/hex.js";
import type { StepScope } from "../tracing/hooks.js";
import type { EVM } from "./evm.js";

export const STACK_LIMIT = 1024;

/** The most gas a frame keeps in its number part (2^53-1, the largest exact JS integer). */
export const MAX_GAS_NUMBER = Number.MAX_SAFE_INTEGER;
const MAX_GAS_NUMBER_BIG = BigInt(MAX_GAS_NUMBER);

/** Splits an amount of gas into a number part (at most MAX_GAS_NUMBER) and a bigint rest. */
export function splitGas(total: bigint): [number, bigint] {
  return total > MAX_GAS_NUMBER_BIG ? [MAX_GAS_NUMBER, total - MAX_GAS_NUMBER_BIG] : [Number(total), 0n];
}

export const RUNNING = 0;
export const STOPPED = 1; // STOP, RETURN, SELFDESTRUCT, end of code
export const REVERTED = 2;
export const FAILED = 3; // exceptional halt: all gas consumed

const EMPTY = new Uint8Array(0);
const EMPTY_VIEW = new DataView(EMPTY.buffer);

/** A stack array of STACK_LIMIT zeros, built by push so that V8 keeps it packed (no hole checks). */
function newStack(): bigint[] {
  const stack: bigint[] = [];
  for (let i = 0; i < STACK_LIMIT; i++) stack.push(0n);
  return stack;
}

export class Frame implements StepScope {
  stack: bigint[] = newStack();
  sp = 0;
  memory: Uint8Array = EMPTY;
  /** A big-endian view of `memory` for word reads and writes (replaced with it). */
  memView: DataView = EMPTY_VIEW;
  memSize = 0;
  pc = 0;
  // Initialised to a double (NaN: neither undefined nor a small integer) so that V8 gives
  // the field its double representation from the first frame on: the interpreter reads
  // it unboxed, and the class's shape never changes when some frame's gas outgrows a
  // small integer (see FRAME_SHAPE_PIN). The constructor sets the real value.
  gas = Number.NaN;
  status = RUNNING;
  error: string | null = null;
  /**
   * Set by a dynamic gas function that fails for a reason of its own (it then returns
   * UNPAYABLE): the frame's error text instead of plain "out of gas" (see gasFailure in
   * instructions/common.ts). Only read on the out-of-gas path.
   */
  gasError: string | null = null;
  /** RETURN/REVERT data. */
  output: Uint8Array = EMPTY;
  /** Return data of the last call made by this frame. */
  returnData: Uint8Array = EMPTY;
  /** Gas to forward to the next call, computed by the call's dynamic gas function. */
  callGas = Number.NaN; // a double from the start, as `gas`
  /** Gas beyond `gas` (see the module comment); zero in practically every frame. */
  excess = 0n;
  /** The part of the next call's gas beyond `callGas`, already taken from `excess`. */
  callGasExcess = 0n;

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

  /** Moves as much of `excess` into `gas` as the number part can hold exactly. */
  topUp(): void {
    const [g, x] = splitGas(BigInt(this.gas) + this.excess);
    this.gas = g;
    this.excess = x;
  }

  /**
   * The out-of-gas slow path: when `gas` cannot pay `cost` but `excess` may, tops up and
   * says whether `gas` now covers it. Costs above MAX_GAS_NUMBER (UNPAYABLE is 2^53) are
   * never payable.
   */
  refill(cost: number): boolean {
    if (this.excess === 0n || cost > MAX_GAS_NUMBER) return false;
    this.topUp();
    return this.gas >= cost;
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
      this.memView = new DataView(m.buffer);
    }
    this.memSize = newSize;
  }

  /** Copy of memory [offset, offset+size) (memory already expanded). */
  readMemory(offset: number, size: number): Uint8Array {
    if (size === 0) return EMPTY;
    return this.memory.slice(offset, offset + size);
  }
}

/**
 * V8 keeps the hidden class (map) of Frame objects alive only while some frame is: after
 * a full garbage collection with no frame alive (between transactions, or between
 * benchmark runs), the interpreter's optimized code, which checks for that map, is thrown
 * away ("weak objects") and has to warm up again, running slower meanwhile. This one
 * empty frame, never run, keeps the map alive.
 */
export const FRAME_SHAPE_PIN = new Frame(
  undefined as unknown as EVM,
  EMPTY,
  EMPTY,
  "0x0000000000000000000000000000000000000000",
  "0x0000000000000000000000000000000000000000",
  0n,
  EMPTY,
  0,
  false,
  0,
);

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

/**
 * Values of PUSH immediates by code position, filled the first time each PUSH runs
 * (cached by code identity): the plain interpreter loop then pushes a ready bigint.
 */
const pushCache = new WeakMap<Uint8Array, (bigint | undefined)[]>();

export function pushCacheOf(code: Uint8Array): (bigint | undefined)[] {
  let cache = pushCache.get(code);
  if (cache === undefined) {
    cache = new Array<bigint | undefined>(code.length).fill(undefined);
    pushCache.set(code, cache);
  }
  return cache;
}

/** The immediate of the PUSH at `pc` (zero-padded past the end of code), stored in `cache`. */
export function pushValue(code: Uint8Array, pc: number, cache: (bigint | undefined)[]): bigint {
  const n = code[pc]! - 0x5f;
  let v = 0n;
  let i = 0;
  // 6-byte chunks keep most of the work in small-integer arithmetic.
  for (; i < n; i += 6) {
    const m = Math.min(6, n - i);
    let chunk = 0;
    for (let j = 0; j < m; j++) chunk = chunk * 256 + (code[pc + 1 + i + j] ?? 0);
    v = i === 0 ? BigInt(chunk) : (v << BigInt(m * 8)) | BigInt(chunk);
  }
  cache[pc] = v;
  return v;
}
