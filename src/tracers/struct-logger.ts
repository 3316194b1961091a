/**
 * The struct logger: go-ethereum's default tracer (eth/tracers/logger/logger.go), which
 * records one entry per executed instruction.
 *
 * Output follows go-ethereum's current ("legacy JSON") form:
 *   {"gas":N,"failed":B,"returnValue":"0x…","structLogs":[entry,…]}
 * where each entry is
 *   {"pc":N,"op":"NAME","gas":N,"gasCost":N,"depth":N,
 *    "error"?:TEXT, "stack"?:["0x…"], "returnData"?:"0x…", "memory"?:["0x<64 hex>"],
 *    "storage"?:{"0x<64 hex>":"0x<64 hex>"}, "refund"?:N}
 *  - numbers are plain JSON numbers; `op` is the opcode's name;
 *  - `error` only when the instruction could not start (go-ethereum's error text);
 *  - `stack` (bottom first, compact hex quantities) unless disableStack; `[]` when empty;
 *  - `returnData` with enableReturnData, only when the last call returned something;
 *  - `memory` with enableMemory, only when memory is not empty, as 32-byte 0x-words;
 *  - `storage` only on SLOAD/SSTORE (unless disableStorage): every slot of the executing
 *    contract read or written so far in this transaction, keys sorted;
 *  - `refund` omitted when the refund counter is zero.
 * `limit` is a size in bytes, as at go-ethereum's HEAD: entries stop being recorded once
 * the entries recorded so far take more than `limit` bytes of JSON (the entry that
 * crosses the limit is kept). Opcodes of block-level system calls are not recorded.
 * `returnValue` is the top call's output when it succeeded or reverted, "0x" on any other
 * failure; `gas` is the transaction's gas used.
 *
 * The JSON is produced as text, entry by entry: with `TracerContext.sink` the entries
 * are handed to the sink while execution goes on and nothing is kept; without one, they
 * are kept as compact JSON text (strings, never objects). Either way the text is
 *   {"structLogs":[…],"gas":N,"failed":B,"returnValue":"0x…"}
 * — the same JSON value as go-ethereum's, with `structLogs` moved first so it can be
 * streamed before the totals are known. `getResult()` (without a sink) returns the value
 * with go-ethereum's key order.
 *
 * Per-step cost is kept low: entries are written as bytes into a reused 64 KiB buffer
 * (numbers as ASCII digits, constant parts pre-encoded), which is handed on as one string
 * when full — to the sink, or kept as one chunk of the text. The stack's JSON is rebuilt
 * only from the lowest item that changed since the previous step, memory is re-encoded
 * only when its bytes changed, and a contract's storage map only when it changed. With a
 * sink, entries therefore reach it in chunks of about 64 KiB (and whatever is pending when
 * the tracer is stopped, so a timed-out trace shows every entry recorded).
 * The text is ASCII: non-ASCII characters in error messages are written as \u escapes.
 */
import { opcodeName } from "../evm/opcodes.js";
import type { Address } from "../primitives/hex.js";
import type { ExecEnv, Hooks, StepScope, TxEndInfo } from "../tracing/hooks.js";
import { registerStructLogger } from "./registry.js";
import { type TraceConfig, type Tracer, type TracerContext, TracerError } from "./types.js";

const SLOAD = 0x54;
const SSTORE = 0x55;

/** Size at which the output buffer is handed on. */
const CHUNK = 1 << 16;

const ascii = (s: string): Buffer => Buffer.from(s, "latin1");

/** Bytes with a DataView over them, for copying four bytes at a time. */
interface Bytes {
  b: Buffer;
  dv: DataView;
}
const dataView = (b: Buffer): DataView => new DataView(b.buffer, b.byteOffset, b.length);
const bytes = (s: string): Bytes => {
  const b = ascii(s);
  return { b, dv: dataView(b) };
};

/**
 * Copies `n` bytes from `src` to `dst` at `p` with 32-bit moves (fast for the short
 * pieces an entry is made of; native copies cost more per call); returns the new end.
 */
function copyInto(dst: Buffer, dstDv: DataView, p: number, src: Buffer, srcDv: DataView, n: number): number {
  if (n > 96) return p + src.copy(dst, p, 0, n);
  let i = 0;
  for (; i + 4 <= n; i += 4) dstDv.setUint32(p + i, srcDv.getUint32(i, true), true);
  for (; i < n; i++) dst[p + i] = src[i]!;
  return p + n;
}

/** `,"op":"NAME","gas":` for every opcode byte. */
const OP_GAS: Bytes[] = [];
for (let i = 0; i < 256; i++) OP_GAS.push(bytes(`,"op":${JSON.stringify(opcodeName(i))},"gas":`));
const PC = bytes('{"pc":');
const GAS_COST = bytes(',"gasCost":');
const DEPTH = bytes(',"depth":');
const STACK = bytes(',"stack":[');
const MEMORY = ascii(',"memory":[');
const REFUND = bytes(',"refund":');
const OPEN = '{"structLogs":[';
const OPEN_BYTES = bytes(OPEN);

/** Lowercase hex digits as ASCII codes. */
const HEX = ascii("0123456789abcdef");

const ZERO_WORD = "0".repeat(64);

function word64(v: bigint): string {
  const h = v.toString(16);
  return h.length === 64 ? h : ZERO_WORD.slice(h.length) + h;
}

/** JSON string literal with every non-ASCII character escaped, so the text stays ASCII. */
function asciiJson(s: string): string {
  return JSON.stringify(s).replace(
    /[\u0080-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** Writes `"0x<hex of v>"` at `p` in `out` (room for 69 bytes needed); returns the new end. */
function putQuantity(out: Uint8Array, p: number, v: bigint): number {
  out[p++] = 34; // "
  out[p++] = 48; // 0
  out[p++] = 120; // x
  if (v <= 0xffffffffn) {
    let x = Number(v);
    if (x === 0) {
      out[p++] = 48;
    } else {
      let n = 0;
      for (let t = x; t !== 0; t >>>= 4) n++;
      let q = p + n;
      p = q;
      while (x !== 0) {
        out[--q] = HEX[x & 15]!;
        x >>>= 4;
      }
    }
  } else {
    const h = v.toString(16);
    for (let i = 0; i < h.length; i++) out[p++] = h.charCodeAt(i);
  }
  out[p++] = 34;
  return p;
}

/** Copies a short constant into `out` at `p`; returns the new end. */
function putConst(out: Uint8Array, p: number, b: Uint8Array): number {
  const n = b.length;
  for (let i = 0; i < n; i++) out[p + i] = b[i]!;
  return p + n;
}

/** "00" … "99" as ASCII digit pairs. */
const DIGIT_PAIRS = ascii(Array.from({ length: 100 }, (_, i) => String(i).padStart(2, "0")).join(""));

/** Writes a non-negative integer below 10^9 as decimal digits at `p`; returns the new end. */
function putSmall(out: Uint8Array, p: number, n: number): number {
  const digits =
    n < 10
      ? 1
      : n < 100
        ? 2
        : n < 1000
          ? 3
          : n < 10000
            ? 4
            : n < 100000
              ? 5
              : n < 1000000
                ? 6
                : n < 10000000
                  ? 7
                  : n < 100000000
                    ? 8
                    : 9;
  const end = p + digits;
  let q = end;
  // Two digits at a time.
  while (n >= 100) {
    const d = (n / 100) | 0;
    const r = (n - d * 100) << 1;
    out[--q] = DIGIT_PAIRS[r + 1]!;
    out[--q] = DIGIT_PAIRS[r]!;
    n = d;
  }
  if (n >= 10) {
    out[--q] = DIGIT_PAIRS[(n << 1) + 1]!;
    out[--q] = DIGIT_PAIRS[n << 1]!;
  } else {
    out[--q] = 48 + n;
  }
  return end;
}

/** Writes a non-negative safe integer as decimal digits at `p` (20 bytes of room); returns the new end. */
function putUint(out: Uint8Array, p: number, n: number): number {
  if (n < 1e9) return putSmall(out, p, n);
  // The high part, then the low nine digits zero-padded, both with 32-bit arithmetic.
  const hi = Math.floor(n / 1e9);
  let lo = n - hi * 1e9;
  p = hi < 1e9 ? putSmall(out, p, hi) : putUint(out, p, hi);
  let q = p + 9;
  for (let k = 0; k < 4; k++) {
    const d = (lo / 100) | 0;
    const r = (lo - d * 100) << 1;
    out[--q] = DIGIT_PAIRS[r + 1]!;
    out[--q] = DIGIT_PAIRS[r]!;
    lo = d;
  }
  out[--q] = 48 + lo;
  return p + 9;
}

export interface StructLoggerOptions {
  enableMemory: boolean;
  disableStack: boolean;
  disableStorage: boolean;
  enableReturnData: boolean;
  /** Size limit of the recorded entries in bytes; 0: none. */
  limit: number;
}

/** Reads the struct-logger options of a TraceConfig, checking their types. */
export function structLoggerOptions(config: TraceConfig): StructLoggerOptions {
  const flag = (name: "enableMemory" | "disableStack" | "disableStorage" | "enableReturnData"): boolean => {
    const v: unknown = config[name];
    if (v === undefined || v === null) return false;
    if (typeof v !== "boolean") throw new TracerError(`structLogger: ${name} must be a boolean`);
    return v;
  };
  const rawLimit: unknown = config.limit;
  let limit = 0;
  if (rawLimit !== undefined && rawLimit !== null) {
    if (typeof rawLimit !== "number" || !Number.isSafeInteger(rawLimit)) {
      throw new TracerError("structLogger: limit must be an integer (bytes of output; 0: no limit)");
    }
    // go-ethereum's check is `Limit != 0 && size > Limit`: a negative limit records
    // only the first entry. Kept as is.
    limit = rawLimit;
  }
  return {
    enableMemory: flag("enableMemory"),
    disableStack: flag("disableStack"),
    disableStorage: flag("disableStorage"),
    enableReturnData: flag("enableReturnData"),
    limit,
  };
}

/** The slots a contract read or wrote, with their JSON (rebuilt when something changed). */
interface ContractStorage {
  slots: Map<string, string>;
  json: Bytes | null;
}

export class StructLogger implements Tracer {
  readonly name = "structLogger";
  readonly hooks: Hooks;
  private readonly opts: StructLoggerOptions;
  private readonly sink: ((chunk: string) => void) | null;

  // Output: entries are written into `out`; full buffers become strings, handed to the
  // sink or kept in `chunks`. `flushed` counts the bytes handed on.
  private out: Buffer = Buffer.alloc(CHUNK + 4096);
  private outDv: DataView = dataView(this.out);
  private pos = 0;
  private flushed = 0;
  private readonly chunks: string[] = [];
  private count = 0;
  /** Bytes of entry JSON recorded, separators excluded (go-ethereum's resultSize). */
  private size = 0;

  private stopped: Error | null = null;
  private skip = false;
  private env: ExecEnv | null = null;
  private readonly storage = new Map<Address, ContractStorage>();
  private output: Uint8Array = new Uint8Array(0);
  private err: string | null = null;
  private gasUsed = 0;

  /** costDepth pieces by depth, then cost. */
  private readonly costDepthCache: Bytes[][] = [];

  // Stack cache: stackBuf[0, itemEnd[i]) is the JSON of items 0..i of stackVals.
  private readonly stackVals: bigint[] = [];
  private readonly itemEnd: number[] = [];
  private stackBuf: Buffer = Buffer.alloc(1024);
  private stackDv: DataView = dataView(this.stackBuf);
  private stackLen = 0;

  // Memory cache: a copy of the memory last encoded, and its JSON.
  private memCopy: Buffer = Buffer.alloc(0);
  private memLen = 0;
  private memJson: Buffer = Buffer.alloc(0);
  private memJsonDv: DataView = dataView(this.memJson);
  private memJsonLen = 0;
  private memSource: ArrayBufferLike | null = null;
  private memView: Buffer = Buffer.alloc(0);

  // Return-data cache (return-data buffers are never modified once set).
  private rdSource: Uint8Array | null = null;
  private rdJson: Bytes = bytes("");

  constructor(opts: StructLoggerOptions, sink?: (chunk: string) => void) {
    this.opts = opts;
    this.sink = sink ?? null;
    this.hooks = {
      onTxStart: (_tx, env) => {
        this.env = env;
      },
      onTxEnd: (r) => this.txEnd(r),
      onSystemCallStart: () => {
        this.skip = true;
      },
      onSystemCallEnd: () => {
        this.skip = false;
      },
      onExit: (depth, output, _gasUsed, error) => {
        if (depth !== 0 || this.skip) return;
        this.output = output;
        this.err = error;
      },
      onOpcode: (pc, op, gas, cost, scope, depth, error) => {
        if (this.stopped === null && !this.skip) this.step(pc, op, gas, cost, scope, depth, error);
      },
    };
  }

  private txEnd(r: TxEndInfo): void {
    if (r.invalid !== undefined) {
      // go-ethereum keeps the VM error if there was one.
      if (this.err === null) this.err = r.invalid.message;
      return;
    }
    this.gasUsed = Number(r.gasUsed);
  }

  // ---- output buffer ----

  /** Hands the buffered bytes on (to the sink, or to the kept chunks). */
  private flush(): void {
    if (this.pos === 0) return;
    const text = this.out.toString("latin1", 0, this.pos);
    this.flushed += this.pos;
    this.pos = 0;
    if (this.sink !== null) this.sink(text);
    else this.chunks.push(text);
  }

  /** Makes room for `n` more bytes in `out`. */
  private room(n: number): void {
    if (this.pos + n <= this.out.length) return;
    this.flush();
    if (n > this.out.length) {
      this.out = Buffer.alloc(n);
      this.outDv = dataView(this.out);
    }
  }

  /** `,"gasCost":C,"depth":D` followed by `,"stack":[` unless the stack is disabled. */
  private costDepth(cost: number, depth: number): Bytes {
    const byCost = (this.costDepthCache[depth] ??= []);
    let piece = byCost[cost];
    if (piece === undefined) {
      const stack = this.opts.disableStack ? "" : ',"stack":[';
      piece = bytes(`,"gasCost":${cost},"depth":${depth}${stack}`);
      byCost[cost] = piece;
    }
    return piece;
  }

  /** Appends `len` bytes of `b` (room is made as needed). */
  private putBytes(b: Buffer, dv: DataView, len: number): void {
    if (this.pos + len > this.out.length) this.room(len);
    this.pos = copyInto(this.out, this.outDv, this.pos, b, dv, len);
  }

  // ---- entries ----

  private step(
    pc: number,
    op: number,
    gas: number,
    cost: number,
    scope: StepScope,
    depth: number,
    error: string | null,
  ): void {
    const opts = this.opts;
    if (opts.limit !== 0 && this.size > opts.limit) return;
    // The fixed part (at most ~150 bytes) is written without further room checks.
    if (this.pos + 256 > this.out.length) this.room(256);
    const out = this.out;
    const dv = this.outDv;
    let p = this.pos;
    // Opening bracket or separator (not counted in the entry's size).
    if (this.count === 0) p = copyInto(out, dv, p, OPEN_BYTES.b, OPEN_BYTES.dv, OPEN_BYTES.b.length);
    else out[p++] = 44; // ,
    const start = this.flushed + p;
    p = copyInto(out, dv, p, PC.b, PC.dv, PC.b.length);
    p = putUint(out, p, pc);
    const opGas = OP_GAS[op]!;
    p = copyInto(out, dv, p, opGas.b, opGas.dv, opGas.b.length);
    p = putUint(out, p, gas);
    if (error === null && cost < 4096) {
      // `,"gasCost":C,"depth":D` (and `,"stack":[`), cached per depth and cost.
      const piece = this.costDepth(cost, depth);
      this.pos = copyInto(out, dv, p, piece.b, piece.dv, piece.b.length);
    } else {
      p = copyInto(out, dv, p, GAS_COST.b, GAS_COST.dv, GAS_COST.b.length);
      p = putUint(out, p, cost);
      p = copyInto(out, dv, p, DEPTH.b, DEPTH.dv, DEPTH.b.length);
      p = putUint(out, p, depth);
      this.pos = p;
      if (error !== null) {
        const e = ascii(`,"error":${asciiJson(error)}`);
        this.putBytes(e, dataView(e), e.length);
      }
      if (!opts.disableStack) this.putBytes(STACK.b, STACK.dv, STACK.b.length);
    }
    if (!opts.disableStack) {
      // stackJson leaves "]" after the items.
      const len = this.stackJson(scope.stack, scope.stackSize);
      this.putBytes(this.stackBuf, this.stackDv, len + 1);
    }
    if (opts.enableReturnData) {
      const rd = scope.returnData;
      if (rd.length > 0) {
        if (rd !== this.rdSource) {
          this.rdSource = rd;
          this.rdJson = bytes(
            `,"returnData":"0x${Buffer.from(rd.buffer, rd.byteOffset, rd.length).toString("hex")}"`,
          );
        }
        this.putBytes(this.rdJson.b, this.rdJson.dv, this.rdJson.b.length);
      }
    }
    if (opts.enableMemory && scope.memorySize > 0) {
      this.memoryJson(scope.memory, scope.memorySize);
      this.putBytes(this.memJson, this.memJsonDv, this.memJsonLen);
    }
    if ((op === SLOAD || op === SSTORE) && !opts.disableStorage) {
      const st = this.storageJson(op, scope);
      if (st !== null) this.putBytes(st.b, st.dv, st.b.length);
    }
    // The refund and the closing brace.
    if (this.pos + 32 > this.out.length) this.room(32);
    const o = this.out;
    p = this.pos;
    const refund = scope.refund;
    if (refund !== 0) {
      p = copyInto(o, this.outDv, p, REFUND.b, REFUND.dv, REFUND.b.length);
      p = putUint(o, p, refund);
    }
    o[p++] = 125; // }
    this.pos = p;
    this.size += this.flushed + p - start;
    this.count++;
    if (p >= CHUNK) this.flush();
  }

  /**
   * Brings the stack's JSON in `stackBuf` up to date and puts "]" after it; returns the
   * length of the items' JSON.
   */
  private stackJson(stack: readonly bigint[], n: number): number {
    const vals = this.stackVals;
    const ends = this.itemEnd;
    const m = n < this.stackLen ? n : this.stackLen;
    let i = 0;
    while (i < m && stack[i] === vals[i]) i++;
    this.stackLen = n;
    let p = i === 0 ? 0 : ends[i - 1]!;
    if (i < n) {
      if (this.stackBuf.length < p + (n - i) * 70 + 1) {
        const bigger = Buffer.alloc(Math.max(this.stackBuf.length * 2, p + (n - i) * 70 + 1));
        this.stackBuf.copy(bigger, 0, 0, p);
        this.stackBuf = bigger;
        this.stackDv = dataView(bigger);
      }
      const buf = this.stackBuf;
      for (; i < n; i++) {
        const v = stack[i]!;
        if (i !== 0) buf[p++] = 44; // ,
        p = putQuantity(buf, p, v);
        vals[i] = v;
        ends[i] = p;
      }
    }
    this.stackBuf[p] = 93; // ]
    return p;
  }

  /** Brings `,"memory":[…]` (32-byte words) in `memJson` up to date. */
  private memoryJson(mem: Uint8Array, size: number): void {
    if (mem.buffer !== this.memSource) {
      this.memSource = mem.buffer;
      this.memView = Buffer.from(mem.buffer, 0, mem.buffer.byteLength);
    }
    const start = mem.byteOffset;
    const view = this.memView;
    if (size === this.memLen && view.compare(this.memCopy, 0, size, start, start + size) === 0) return;
    if (this.memCopy.length < size) this.memCopy = Buffer.alloc(Math.max(size, this.memCopy.length * 2));
    view.copy(this.memCopy, 0, start, start + size);
    this.memLen = size;
    const words = Math.ceil(size / 32);
    const need = MEMORY.length + words * 69 + 1;
    if (this.memJson.length < need) {
      this.memJson = Buffer.alloc(Math.max(need, this.memJson.length * 2));
      this.memJsonDv = dataView(this.memJson);
    }
    const out = this.memJson;
    let p = putConst(out, 0, MEMORY);
    for (let w = 0; w < words; w++) {
      if (w !== 0) out[p++] = 44; // ,
      out[p++] = 34; // "
      out[p++] = 48; // 0
      out[p++] = 120; // x
      const base = start + w * 32;
      for (let k = 0; k < 32; k++) {
        // A last partial word is padded with zeros (memory sizes are word multiples anyway).
        const b = w * 32 + k < size ? view[base + k]! : 0;
        out[p++] = HEX[b >> 4]!;
        out[p++] = HEX[b & 15]!;
      }
      out[p++] = 34;
    }
    out[p++] = 93; // ]
    this.memJsonLen = p;
  }

  /** Records the slot an SLOAD/SSTORE touches and returns the contract's storage JSON. */
  private storageJson(op: number, scope: StepScope): Bytes | null {
    const n = scope.stackSize;
    const stack = scope.stack;
    let key: bigint;
    let value: bigint;
    if (op === SLOAD) {
      if (n < 1) return null;
      key = stack[n - 1]!;
      value = this.env?.state.getStorage(scope.address, key) ?? 0n;
    } else {
      if (n < 2) return null;
      key = stack[n - 1]!;
      value = stack[n - 2]!;
    }
    let c = this.storage.get(scope.address);
    if (c === undefined) {
      c = { slots: new Map(), json: null };
      this.storage.set(scope.address, c);
    }
    const k = `"0x${word64(key)}"`;
    const v = `"0x${word64(value)}"`;
    if (c.slots.get(k) !== v) {
      c.slots.set(k, v);
      c.json = null;
    }
    if (c.json === null) {
      // go-ethereum marshals a Go map: keys in byte order, which is numeric order here.
      const keys = [...c.slots.keys()].sort();
      let s = "";
      for (let i = 0; i < keys.length; i++) s += `${i === 0 ? "" : ","}${keys[i]}:${c.slots.get(keys[i]!)}`;
      c.json = bytes(`,"storage":{${s}}`);
    }
    return c.json;
  }

  // ---- result ----

  private checkStopped(): void {
    const e = this.stopped;
    if (e !== null) throw e instanceof TracerError ? e : new TracerError(e.message);
  }

  private returnValueHex(): string {
    // The output when the call succeeded or reverted (revert reason), empty otherwise.
    if (this.err !== null && this.err !== "execution reverted") return "0x";
    const o = this.output;
    return `0x${Buffer.from(o.buffer, o.byteOffset, o.length).toString("hex")}`;
  }

  private tail(): string {
    const head = this.count === 0 ? OPEN : "";
    return `${head}],"gas":${this.gasUsed},"failed":${this.err !== null},"returnValue":"${this.returnValueHex()}"}`;
  }

  getResult(): unknown {
    this.checkStopped();
    if (this.sink !== null) {
      throw new TracerError(
        "structLogger: the entries were streamed to the sink; read the result from there",
      );
    }
    this.flush();
    const text = this.chunks.join("");
    const structLogs = text.length === 0 ? [] : (JSON.parse(`${text.slice(OPEN.length - 1)}]`) as unknown[]);
    return {
      gas: this.gasUsed,
      failed: this.err !== null,
      returnValue: this.returnValueHex(),
      structLogs,
    };
  }

  writeResult(write: (chunk: string) => void): void {
    this.checkStopped();
    this.flush();
    if (this.sink === null) for (const c of this.chunks) write(c);
    write(this.tail());
  }

  stop(reason: Error): void {
    if (this.stopped !== null) return;
    this.stopped = reason;
    // Hand on what was recorded, so a stopped streaming trace shows all its entries.
    if (this.sink !== null) {
      try {
        this.flush();
      } catch {
        /* the sink failed; the trace already has an error to report */
      }
    }
  }

  /** Number of entries recorded (streamed or kept). */
  get entryCount(): number {
    return this.count;
  }
}

registerStructLogger((config: TraceConfig, ctx: TracerContext) => {
  return new StructLogger(structLoggerOptions(config), ctx.sink);
});
