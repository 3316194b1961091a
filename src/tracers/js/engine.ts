/**
 * JavaScript tracers: tracer code with go-ethereum's API (eth/tracers/js/goja.go) run in a
 * QuickJS sandbox compiled to WebAssembly, one runtime per tracer.
 *
 * The code evaluates to an object with `result(ctx, db)` and `fault(log, db)`, optional
 * `step(log, db)`, optional `enter(frame)` with `exit(frameResult)`, optional
 * `setup(configJson)`. Construction fails with go-ethereum's messages when they are
 * missing. `ctx` carries go-ethereum's fields: type, from, to, input, value, gas, block,
 * gasPrice (the effective tip, as geth), coinbase, gasUsed, output, error, and blockHash,
 * txIndex, txHash when the trace context gives them. The result is `result()`'s value as
 * JSON (undefined becomes null; values JSON.stringify rejects are errors).
 *
 * Cost: a step is one call into the sandbox with no arguments; the step's scalars are
 * written directly into a Float64Array inside the sandbox (./sandbox.ts, ./prelude.ts).
 * Stack words, memory, contract data and state are read from the host only when the
 * tracer asks for them.
 *
 * Limits: each runtime has a memory cap (QuickJS's own count, and the cap on its module's
 * WebAssembly memory in ./sandbox.ts) and a stack cap (configureJsSandbox), and an
 * interrupt handler ends any call running past the trace deadline (TracerContext.deadline,
 * set by runTrace; without one, any single call is cut at the default trace timeout). A
 * tracer exception, timeout or memory exhaustion ends the trace with go-ethereum's text,
 * `<error> at <where in tracer code>    in server-side tracer function 'step'`: the hook
 * throws a TracerError (runTrace's guard turns it into a stop) and getResult throws it.
 * Nothing leaves the sandbox but strings, numbers and byte copies.
 */
import type {
  QuickJSContext,
  QuickJSHandle,
  QuickJSRuntime,
  QuickJSWASMModule,
  SuccessOrFail,
} from "quickjs-emscripten";
import { opcodeName } from "../../evm/opcodes.js";
import { precompilesFor } from "../../evm/precompiles/index.js";
import { create2Address, createAddress } from "../../primitives/address.js";
import { bytesToHexRaw, hexToBytes } from "../../primitives/hex.js";
import { keccak256 } from "../../primitives/keccak.js";
import { CallKind, type Hooks, type StateView, type StepScope } from "../../tracing/hooks.js";
import { DEFAULT_TRACE_TIMEOUT_MS } from "../trace.js";
import { type Tracer, type TracerContext, TracerError } from "../types.js";
import { BIGINT_JS } from "./bigint.js";
import { CTX_KIND, PRELUDE_JS, SLOT, SLOT_COUNT } from "./prelude.js";
import {
  currentModule,
  type HeapCounters,
  heapCounters,
  type InterruptCounter,
  interruptCounter,
  type RawAccess,
  rawAccess,
  retireModule,
  setHeapAllowance,
} from "./sandbox.js";

export interface JsSandboxLimits {
  /** Heap cap of one tracer's QuickJS runtime, in bytes. */
  memoryLimit: number;
  /** QuickJS stack cap, in bytes (deep recursion fails cleanly with "stack overflow"). */
  maxStackSize: number;
  /**
   * Use the direct-memory fast path when quickjs-emscripten's internals allow it (default
   * true); false forces the public API (slower; for tests and as a safety valve).
   */
  fastPath: boolean;
}

const limits: JsSandboxLimits = { memoryLimit: 64 * 1024 * 1024, maxStackSize: 256 * 1024, fastPath: true };

/** Changes the limits (and call path) of JavaScript tracers built from now on. */
export function configureJsSandbox(next: Partial<JsSandboxLimits>): void {
  if (next.memoryLimit !== undefined) {
    if (!(next.memoryLimit >= 1024 * 1024))
      throw new RangeError("JavaScript tracer memory limit must be at least 1 MB");
    limits.memoryLimit = next.memoryLimit;
    setHeapAllowance(next.memoryLimit);
  }
  if (next.maxStackSize !== undefined) {
    // The sandbox's own C stack is a few MB; QuickJS must give up well before it.
    if (!(next.maxStackSize >= 16 * 1024 && next.maxStackSize <= 1024 * 1024)) {
      throw new RangeError("JavaScript tracer stack limit must be between 16 KB and 1 MB");
    }
    limits.maxStackSize = next.maxStackSize;
  }
  if (next.fastPath !== undefined) limits.fastPath = next.fastPath;
}

export function jsSandboxLimits(): JsSandboxLimits {
  return { ...limits };
}

/** Opcode names as go-ethereum prints them, for `log.op.toString()` and `frame.getType()`. */
const OP_NAMES = Array.from({ length: 256 }, (_, i) => opcodeName(i)).join(",");

/**
 * How often the deadline is checked inside the sandbox, counted in QuickJS polls (one per
 * function call or backward jump): the first check of each call after FIRST_CHECK_POLLS,
 * then at most every CHECK_INTERVAL_MS at the pace measured, and never more seldom than
 * QuickJS's own 10,000.
 */
const FIRST_CHECK_POLLS = 64;
const CHECK_INTERVAL_MS = 2;
const MAX_CHECK_POLLS = 10_000;

/** go-ethereum's limit on zero padding when a tracer slices past the end of memory. */
const MEMORY_PAD_LIMIT = 1024 * 1024;

const FILE = "<eval>";

interface Entry {
  handle: QuickJSHandle;
  ptr: number;
}

/** Thrown out of a hook to end the trace; carries go-ethereum's text. */
function failure(message: string): TracerError {
  return new TracerError(message);
}

function exactBuffer(bytes: Uint8Array): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength)
    return bytes.buffer as ArrayBuffer;
  return bytes.slice().buffer as ArrayBuffer;
}

function strip0x(hex: string): string {
  return hex.startsWith("0x") ? hex.slice(2) : hex;
}

export class JsTracer implements Tracer {
  readonly hooks: Hooks;
  private readonly module: QuickJSWASMModule;
  private readonly rt: QuickJSRuntime;
  private readonly vm: QuickJSContext;
  private readonly owned: QuickJSHandle[] = [];
  private readonly entries = new Map<string, Entry>();
  private raw: RawAccess | null = null;
  /** Where the sandbox's scalar array lives in WebAssembly memory (fast path), or -1. */
  private slotAddr = -1;
  private slots: Float64Array;
  private readonly deadline: number;
  private readonly perCallLimit: number;
  private callSeq = 0;
  private seenSeq = -1;
  /** The module's count of refused memory growths when the current call began. */
  private refusalsAtCall = 0;
  private readonly heap: HeapCounters;
  private callStart = 0;
  /** QuickJS's interrupt counter, steered so the deadline is checked often enough; or null. */
  private counter: InterruptCounter | null = null;
  /** Polls allowed since the last interrupt check, and when that check was. */
  private pollBudget = FIRST_CHECK_POLLS;
  private lastCheck = 0;
  private timedOut = false;
  /** An interrupt raised by a helper or host function (ends the trace even if caught). */
  private pending: string | null = null;
  private crashed = false;
  private disposed = false;
  private failed: TracerError | null = null;
  private stopped: Error | null = null;
  private resultText: string | null = null;
  private hasStep = false;
  private hasFrames = false;
  private ctxHasError = false;

  // What the lazy accessors read.
  private scope: StepScope | null = null;
  private stepError: string | null = null;
  private state: StateView | null = null;
  private frameFrom = "";
  private frameTo = "";
  private frameInput: Uint8Array = new Uint8Array(0);
  private frameValue = 0n;
  private exitOutput: Uint8Array = new Uint8Array(0);
  private exitError: string | null = null;

  constructor(
    readonly name: string,
    code: string,
    config: unknown,
    ctx: TracerContext,
  ) {
    this.module = currentModule();
    this.heap = heapCounters(this.module);
    this.deadline = ctx.deadline ?? Number.POSITIVE_INFINITY;
    this.perCallLimit = ctx.deadline === undefined ? DEFAULT_TRACE_TIMEOUT_MS : Number.POSITIVE_INFINITY;
    this.slots = new Float64Array(SLOT_COUNT);
    this.rt = this.module.newRuntime();
    try {
      this.rt.setMemoryLimit(limits.memoryLimit);
      this.rt.setMaxStackSize(limits.maxStackSize);
      this.rt.setInterruptHandler(() => this.shouldInterrupt());
      this.vm = this.rt.newContext();
      this.counter = interruptCounter(this.module, this.vm);
    } catch (e) {
      this.rt.dispose();
      throw e;
    }
    try {
      this.load(code, config, ctx);
    } catch (e) {
      this.dispose();
      if (e instanceof TracerError) throw e;
      throw new TracerError(`cannot start JavaScript tracer: ${(e as Error)?.message ?? String(e)}`);
    }
    this.hooks = this.buildHooks();
  }

  // ---- construction -------------------------------------------------------------------

  private load(code: string, config: unknown, ctx: TracerContext): void {
    const vm = this.vm;
    this.evalOrThrow(BIGINT_JS, "<bigint>").dispose();
    const host = this.hostObject();
    const factory = this.evalOrThrow(PRELUDE_JS, "<prelude>");
    const opNames = vm.newString(OP_NAMES);
    const made = vm.callFunction(factory, vm.undefined, host, opNames);
    factory.dispose();
    opNames.dispose();
    host.dispose();
    const internals = this.unwrap(made, "prelude");
    for (const key of [
      "makeSlots",
      "readSlot",
      "writeSlots",
      "install",
      "setup",
      "step",
      "fault",
      "enter",
      "exit",
      "result",
      "ctxSet",
      "txStart",
    ]) {
      const handle = vm.getProp(internals, key);
      this.owned.push(handle);
      this.entries.set(key, { handle, ptr: handle.value as unknown as number });
    }
    internals.dispose();
    this.setupSlots();

    if (ctx.blockHash !== undefined && !/^(0x)?0*$/.test(ctx.blockHash)) {
      this.setCtx("blockHash", hexToBytes(ctx.blockHash, "blockHash"));
      if (ctx.txHash !== undefined && !/^(0x)?0*$/.test(ctx.txHash)) {
        this.setCtx("txIndex", ctx.txIndex ?? 0);
        this.setCtx("txHash", hexToBytes(ctx.txHash, "txHash"));
      }
    }

    // go-ethereum evaluates "(" + code + ")"; the newline lets code end in a line comment.
    const tracerObject = this.evalOrThrow(`(${code}\n)`, FILE);
    const installed = vm.callFunction(this.entry("install"), vm.undefined, tracerObject);
    tracerObject.dispose();
    const verdict = this.unwrap(installed, "install");
    const text = vm.getString(verdict);
    verdict.dispose();
    if (!text.startsWith("ok:")) throw new TracerError(text);
    this.hasStep = text[3] === "s";
    this.hasFrames = text[4] === "f";
    if (text[5] === "c") {
      const cfg = vm.newString(config === undefined ? "{}" : (JSON.stringify(config) ?? "null"));
      const r = vm.callFunction(this.entry("setup"), vm.undefined, cfg);
      cfg.dispose();
      this.unwrap(r, null).dispose();
    }
  }

  /** Evaluates global code; a compile or run error becomes a TracerError. */
  private evalOrThrow(code: string, file: string): QuickJSHandle {
    this.beginCall();
    return this.unwrap(this.vm.evalCode(code, file, { type: "global" }), null);
  }

  private unwrap(r: SuccessOrFail<QuickJSHandle, QuickJSHandle>, where: string | null): QuickJSHandle {
    if (r.error !== undefined) {
      const message = this.describe(r.error);
      throw new TracerError(
        where === null ? message : `${message}    in server-side tracer function '${where}'`,
      );
    }
    return r.value;
  }

  private entry(key: string): QuickJSHandle {
    return (this.entries.get(key) as Entry).handle;
  }

  /**
   * Finds the sandbox's scalar array in WebAssembly memory so the host can write it. The
   * array is allocated right after the host frees a block of the same (unusual) size, so
   * the allocator normally reuses that block; otherwise memory is searched for the marker
   * values. Either way the location is confirmed by a write and a read back.
   */
  private setupSlots(): void {
    const vm = this.vm;
    const raw = limits.fastPath ? rawAccess(vm) : null;
    const marks = [1 + Math.random(), 2 + Math.random(), 3 + Math.random()];
    const args = [vm.newNumber(SLOT_COUNT), ...marks.map((m) => vm.newNumber(m))];
    let probe = -1;
    if (raw !== null) {
      probe = raw.malloc(SLOT_COUNT * 8);
      raw.free(probe);
    }
    const made = vm.callFunction(this.entry("makeSlots"), vm.undefined, args);
    for (const a of args) a.dispose();
    this.unwrap(made, null).dispose();
    if (raw === null) return;
    let view = new Float64Array(raw.heap());
    const at = (i: number) => view[i] === marks[0] && view[i + 1] === marks[1] && view[i + 2] === marks[2];
    let index = probe >= 0 && probe % 8 === 0 && at(probe / 8) ? probe / 8 : -1;
    for (let i = 0; index < 0 && i + 2 < view.length; i++) if (at(i)) index = i;
    if (index < 0) return;
    view = new Float64Array(raw.heap(), index * 8, SLOT_COUNT);
    const check = 123456.75 + Math.random();
    view[3] = check;
    const idx = vm.newNumber(3);
    const read = vm.callFunction(this.entry("readSlot"), vm.undefined, idx);
    idx.dispose();
    const got = this.unwrap(read, null);
    const ok = vm.getNumber(got) === check;
    got.dispose();
    if (!ok) return;
    this.raw = raw;
    this.slotAddr = index * 8;
    this.slots = view;
  }

  /** The scalar array to write: the sandbox's own memory (fast path) or a host copy. */
  private slotView(): Float64Array {
    let s = this.slots;
    if (s.length === 0 && this.raw !== null) {
      // WebAssembly memory grew: views on the old buffer are detached.
      s = new Float64Array(this.raw.heap(), this.slotAddr, SLOT_COUNT);
      this.slots = s;
    }
    return s;
  }

  // ---- host functions -----------------------------------------------------------------

  /** Raises a go-ethereum interrupt from a host function. */
  private interrupt(message: string): never {
    this.pending = message;
    throw new Error(message);
  }

  private hostObject(): QuickJSHandle {
    const vm = this.vm;
    const obj = vm.newObject();
    const num = (h: QuickJSHandle | undefined) => (h === undefined ? 0 : vm.getNumber(h));
    const str = (h: QuickJSHandle | undefined) => (h === undefined ? "" : vm.getString(h));
    const bytes = (b: Uint8Array) => vm.newArrayBuffer(exactBuffer(b));
    const requireScope = (): StepScope => {
      if (this.scope === null) this.interrupt("no step in progress");
      return this.scope as StepScope;
    };
    const requireState = (): StateView => {
      if (this.state === null) this.interrupt("no state: the transaction has not started");
      return this.state as StateView;
    };
    const fns: Record<string, (...args: QuickJSHandle[]) => QuickJSHandle | undefined> = {
      interrupt: (m) => {
        this.pending = str(m);
        return undefined;
      },
      error: () => vm.newString(this.stepError ?? ""),
      peek: (i) => {
        const scope = requireScope();
        const idx = num(i);
        if (!(idx >= 0 && idx < scope.stackSize)) {
          this.interrupt(`tracer accessed out of bound stack: size ${scope.stackSize}, index ${idx}`);
        }
        return vm.newString((scope.stack[scope.stackSize - 1 - idx] as bigint).toString(16));
      },
      memSlice: (b, e) => {
        const scope = requireScope();
        const begin = num(b);
        const size = num(e) - begin;
        const length = scope.memorySize;
        if (begin + size < length) return bytes(scope.memory.slice(begin, begin + size));
        const padding = begin + size - length;
        if (padding > MEMORY_PAD_LIMIT) this.interrupt(`reached limit for padding memory slice: ${padding}`);
        const out = new Uint8Array(size);
        if (begin < length) out.set(scope.memory.subarray(begin, length));
        return bytes(out);
      },
      memUint: (o) => {
        const scope = requireScope();
        const off = num(o);
        if (scope.memorySize < off + 32 || off < 0) {
          this.interrupt(
            `tracer accessed out of bound memory: available ${scope.memorySize}, offset ${off}, size 32`,
          );
        }
        return vm.newString(bytesToHexRaw(scope.memory.subarray(off, off + 32)) || "0");
      },
      contract: (k) => {
        const scope = requireScope();
        switch (num(k)) {
          case 0:
            return vm.newString(strip0x(scope.address));
          case 1:
            return vm.newString(strip0x(scope.caller));
          case 2:
            return vm.newString(scope.value.toString(16));
          default:
            return bytes(scope.input.slice());
        }
      },
      db: (k, a, s) => {
        const state = requireState();
        const address = `0x${str(a)}`;
        switch (num(k)) {
          case 0:
            return vm.newString(state.getBalance(address).toString(16));
          case 1:
            return vm.newNumber(Number(state.getNonce(address)));
          case 2:
            return bytes(state.getCode(address).slice());
          case 3:
            return vm.newString(
              state
                .getStorage(address, BigInt(`0x${str(s)}`))
                .toString(16)
                .padStart(64, "0"),
            );
          default:
            return state.exists(address) ? vm.true : vm.false;
        }
      },
      frame: (k) => {
        switch (num(k)) {
          case 0:
            return vm.newString(strip0x(this.frameFrom));
          case 1:
            return vm.newString(strip0x(this.frameTo));
          case 2:
            return bytes(this.frameInput.slice());
          case 3:
            return vm.newString(this.frameValue.toString(16));
          case 4:
            return bytes(this.exitOutput.slice());
          default:
            return this.exitError === null ? undefined : vm.newString(this.exitError);
        }
      },
      create: (a, n) => {
        const nonce = num(n);
        const big = Number.isFinite(nonce) ? BigInt.asUintN(64, BigInt(Math.trunc(nonce))) : 0n;
        return vm.newString(strip0x(createAddress(`0x${str(a)}`, big)));
      },
      create2: (a, salt, code) => {
        const hash = keccak256(hexToBytes(`0x${str(code)}`, "initcode"));
        return vm.newString(strip0x(create2Address(`0x${str(a)}`, BigInt(`0x${str(salt) || "0"}`), hash)));
      },
    };
    for (const [key, fn] of Object.entries(fns)) {
      const f = vm.newFunction(key, fn);
      vm.setProp(obj, key, f);
      f.dispose();
    }
    return obj;
  }

  // ---- calls into the sandbox ---------------------------------------------------------

  /** Starts a call into the sandbox: a new per-call time limit, an early first check. */
  private beginCall(): void {
    this.callSeq++;
    this.refusalsAtCall = this.heap.refused;
    if (this.counter !== null) {
      this.pollBudget = FIRST_CHECK_POLLS;
      this.counter.set(FIRST_CHECK_POLLS);
    }
  }

  private shouldInterrupt(): boolean {
    const now = performance.now();
    if (this.seenSeq !== this.callSeq) {
      this.seenSeq = this.callSeq;
      this.callStart = now;
    } else if (this.counter !== null) {
      // Ask again after as many polls as fit in CHECK_INTERVAL_MS at the pace just seen:
      // every poll when each one is slow, QuickJS's own 10,000 when they are cheap.
      const perPoll = (now - this.lastCheck) / this.pollBudget;
      this.pollBudget =
        perPoll > 0
          ? Math.max(1, Math.min(MAX_CHECK_POLLS, Math.floor(CHECK_INTERVAL_MS / perPoll)))
          : MAX_CHECK_POLLS;
    }
    if (this.counter !== null) {
      this.lastCheck = now;
      this.counter.set(this.pollBudget);
    }
    if (now > this.deadline || now - this.callStart > this.perCallLimit) {
      this.timedOut = true;
      return true;
    }
    return false;
  }

  /** Calls an internal entry point with no arguments; failures end the trace. */
  private invoke(key: string, where: string): void {
    const entry = this.entries.get(key) as Entry;
    this.beginCall();
    let error: QuickJSHandle | null;
    try {
      if (this.raw !== null) {
        error = this.raw.call(entry.ptr);
      } else {
        this.flushSlots();
        const r = this.vm.callFunction(entry.handle, this.vm.undefined);
        if (r.error !== undefined) error = r.error;
        else {
          r.value.dispose();
          error = null;
        }
      }
    } catch (e) {
      throw this.crash(e, where);
    }
    if (error !== null || this.pending !== null) {
      const message = error !== null ? this.describe(error) : (this.pending as string);
      throw this.fail(`${message}    in server-side tracer function '${where}'`);
    }
  }

  /** Public-API path only: copies the host-side scalars into the sandbox. */
  private flushSlots(): void {
    const vm = this.vm;
    const args = Array.from(this.slots.subarray(0, SLOT.exitHasError + 1), (v) => vm.newNumber(v));
    const r = vm.callFunction(this.entry("writeSlots"), vm.undefined, args);
    for (const a of args) a.dispose();
    this.unwrap(r, null).dispose();
  }

  /** Calls an entry point with arguments through the public API (rare events). */
  private callWith(key: string, where: string, args: QuickJSHandle[]): QuickJSHandle {
    this.beginCall();
    let r: ReturnType<QuickJSContext["callFunction"]>;
    try {
      r = this.vm.callFunction(this.entry(key), this.vm.undefined, args);
    } catch (e) {
      throw this.crash(e, where);
    } finally {
      for (const a of args) if (a.alive) a.dispose();
    }
    if (r.error !== undefined || this.pending !== null) {
      const message = r.error !== undefined ? this.describe(r.error) : (this.pending as string);
      if (r.error === undefined) r.value.dispose();
      throw this.fail(`${message}    in server-side tracer function '${where}'`);
    }
    return r.value;
  }

  private setCtx(key: string, value: number | string | Uint8Array | bigint): void {
    const vm = this.vm;
    let kind: number = CTX_KIND.plain;
    let v: QuickJSHandle;
    if (typeof value === "number") v = vm.newNumber(value);
    else if (typeof value === "string") v = vm.newString(value);
    else if (typeof value === "bigint") {
      kind = CTX_KIND.bigDecimal;
      v = vm.newString(value.toString());
    } else {
      kind = CTX_KIND.bytes;
      v = vm.newArrayBuffer(exactBuffer(value));
    }
    this.callWith("ctxSet", "ctx", [vm.newString(key), vm.newNumber(kind), v]).dispose();
  }

  /** go-ethereum's text for a sandbox exception; disposes the handle. */
  private describe(error: QuickJSHandle): string {
    let text = "unknown error";
    let stack = "";
    let unread = true;
    try {
      const d = this.vm.dump(error) as unknown;
      unread = d === null || d === undefined;
      if (d !== null && typeof d === "object" && typeof (d as { message?: unknown }).message === "string") {
        const e = d as { name?: unknown; message: string; stack?: unknown };
        text = typeof e.name === "string" && e.name !== "" ? `${e.name}: ${e.message}` : e.message;
        if (typeof e.stack === "string") stack = e.stack;
      } else if (typeof d === "string") {
        text = d;
      } else {
        text = JSON.stringify(d) ?? String(d);
      }
    } catch {
      // The exception could not be read (e.g. no memory left); keep the generic text.
    } finally {
      if (error.alive) error.dispose();
    }
    if (this.timedOut) text = "execution timeout";
    else if (this.pending !== null) text = this.pending;
    else if (
      /^InternalError: out of memory/.test(text) ||
      (unread && this.heap.refused > this.refusalsAtCall)
    )
      text = "JavaScript tracer ran out of memory (limit reached)";
    const at = stack.split("\n").find((line) => line.includes(FILE));
    if (at !== undefined) text += ` at ${at.trim().replace(/^at /, "")}`;
    return text;
  }

  private fail(message: string): TracerError {
    if (this.failed === null) this.failed = failure(message);
    return this.failed;
  }

  /** A host-level exception escaped the sandbox: its module can no longer be trusted. */
  private crash(e: unknown, where: string): TracerError {
    this.crashed = true;
    retireModule(this.module);
    const why = e instanceof RangeError ? "host stack exhausted" : ((e as Error)?.message ?? String(e));
    return this.fail(
      `JavaScript tracer sandbox failed (${why})    in server-side tracer function '${where}'`,
    );
  }

  private get done(): boolean {
    return this.failed !== null || this.stopped !== null || this.disposed;
  }

  // ---- hooks --------------------------------------------------------------------------

  private buildHooks(): Hooks {
    const hooks: Hooks = {
      onTxStart: (tx, env) => {
        if (this.done) return;
        this.state = env.state;
        const vm = this.vm;
        const list = [...precompilesFor(env.fork).keys()].map(strip0x).join(",");
        this.callWith("txStart", "txStart", [vm.newString(list)]).dispose();
        this.setCtx("block", Number(env.block.number));
        this.setCtx("gas", Number(tx.gasLimit));
        // go-ethereum reports the effective tip here (EffectiveGasTip), not the price.
        this.setCtx("gasPrice", tx.gasPrice - env.block.baseFee);
        this.setCtx("coinbase", hexToBytes(env.block.coinbase));
      },
      onTxEnd: (r) => {
        if (this.done) return;
        if (r.invalid !== undefined) {
          if (!this.ctxHasError) {
            this.ctxHasError = true;
            this.setCtx("error", r.invalid.message);
          }
          return;
        }
        this.setCtx("gasUsed", Number(r.gasUsed));
      },
      onEnter: (depth, kind, from, to, input, gas, value) => {
        if (this.done) return;
        if (depth === 0) {
          this.setCtx("type", kind === CallKind.CREATE ? "CREATE" : "CALL");
          this.setCtx("from", hexToBytes(from));
          this.setCtx("to", hexToBytes(to));
          this.setCtx("input", input);
          this.setCtx("value", value);
          return;
        }
        if (!this.hasFrames) return;
        this.frameFrom = from;
        this.frameTo = to;
        this.frameInput = input;
        this.frameValue = value;
        const s = this.slotView();
        s[SLOT.frameType] = kind;
        s[SLOT.frameGas] = gas;
        s[SLOT.frameHasValue] = kind === CallKind.STATICCALL ? 0 : 1;
        this.invoke("enter", "enter");
      },
      onExit: (depth, output, gasUsed, error) => {
        if (this.done) return;
        if (depth === 0) {
          if (error !== null) {
            this.ctxHasError = true;
            this.setCtx("error", error);
          }
          this.setCtx("output", output);
          return;
        }
        if (!this.hasFrames) return;
        this.exitOutput = output;
        this.exitError = error;
        const s = this.slotView();
        s[SLOT.exitGasUsed] = gasUsed;
        s[SLOT.exitHasError] = error === null ? 0 : 1;
        this.invoke("exit", "exit");
      },
      onFault: (_pc, _op, _gas, _cost, scope, _depth, error) => {
        if (this.done) return;
        // As go-ethereum: the other log fields keep the values of the failing step.
        this.scope = scope;
        this.stepError = error;
        this.slotView()[SLOT.hasError] = 1;
        this.invoke("fault", "fault");
      },
    };
    if (this.hasStep) {
      hooks.onOpcode = (pc, op, gas, cost, scope, depth, error) => {
        if (this.done) return;
        const s = this.slotView();
        s[0] = pc;
        s[1] = op;
        s[2] = gas;
        s[3] = cost;
        s[4] = depth;
        s[5] = scope.refund;
        s[6] = error === null ? 0 : 1;
        s[7] = scope.stackSize;
        s[8] = scope.memorySize;
        this.scope = scope;
        this.stepError = error;
        this.invoke("step", "step");
      };
    }
    return hooks;
  }

  // ---- Tracer -------------------------------------------------------------------------

  private resultJson(): string {
    if (this.stopped !== null) {
      throw this.stopped instanceof TracerError ? this.stopped : new TracerError(this.stopped.message);
    }
    if (this.failed !== null) throw this.failed;
    if (this.resultText === null) {
      if (this.disposed) throw new TracerError("JavaScript tracer already disposed");
      const out = this.callWith("result", "result", []);
      this.resultText = this.vm.getString(out);
      out.dispose();
    }
    return this.resultText;
  }

  getResult(): unknown {
    return JSON.parse(this.resultJson());
  }

  writeResult(write: (chunk: string) => void): void {
    write(this.resultJson());
  }

  stop(reason: Error): void {
    if (this.stopped === null) this.stopped = reason;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.scope = null;
    this.state = null;
    if (this.crashed) return; // the module is retired; its memory goes with it
    try {
      for (const h of this.owned) if (h.alive) h.dispose();
      this.vm?.dispose();
      this.rt.dispose();
    } catch {
      retireModule(this.module);
    }
  }
}
