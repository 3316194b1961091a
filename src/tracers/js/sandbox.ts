/**
 * The QuickJS WebAssembly modules that JavaScript tracers run in, and the low-level
 * access that makes a tracer step cheap.
 *
 * Loading a module is asynchronous, tracer construction is not: callers await
 * `initJsTracers()` once at start-up (the `tracetest` and `run` commands do) and every
 * tracer then gets its own QuickJS runtime and context from the loaded module. Inside
 * WebAssembly, tracer code has no file system, network, processes, environment or host
 * objects; only what ./prelude.ts provides.
 *
 * Two modules are loaded: the active one and a spare. Should a module ever be left in an
 * unknown state (a host stack overflow in the middle of QuickJS code, a failed runtime
 * teardown), it is retired: the spare takes over at once and another spare loads in the
 * background, so the next trace works.
 *
 * `rawAccess` reaches below the public quickjs-emscripten API (pinned at 0.32.0) to call
 * a sandbox function with no arguments and no wrapper objects, and to write the per-step
 * scalars straight into the sandbox's memory; measured about 3x cheaper per step than
 * `callFunction` with numeric arguments. When those internals are not found the engine
 * falls back to the public API.
 *
 * `interruptCounter` reaches QuickJS's per-context interrupt counter. QuickJS asks the
 * interrupt handler only once every 10,000 function calls or backward jumps, which is
 * far too seldom when each of them is slow (a loop around a large Array.join): a 1 s
 * deadline was seen to end a trace after 84 s, with the node blocked throughout. Setting
 * the counter from the host lets the engine ask as often as the work between polls
 * needs. The counter's place in the context is found once per module by watching it
 * count down and confirmed by steering it; when it is not found the counter is left
 * alone (QuickJS's own cadence).
 *
 * Memory is capped where it is allocated: each module gets a WebAssembly memory of its
 * own whose growth is refused beyond its initial 16 MB plus the tracer memory limit, so
 * the allocation that would pass it fails inside QuickJS and the tracer gets QuickJS's
 * "out of memory". QuickJS's own limit (`setMemoryLimit`) is not enough alone: in this
 * build `malloc_usable_size` is unavailable, so QuickJS counts a fixed overhead per
 * allocation and not its size. Many small objects reach that count, but a loop keeping
 * 1 MB ArrayBuffers or strings went on until the 2 GB WebAssembly maximum (measured:
 * 2,141 buffers under a 16 MB limit), and that memory stayed with the process. The
 * tracers alive at one time (the JavaScript members of one muxTracer) share the cap.
 */
import {
  newQuickJSWASMModule,
  newVariant,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSWASMModule,
  RELEASE_SYNC,
} from "quickjs-emscripten";
import { TracerError } from "../types.js";

const WASM_PAGE = 65536;
/** The module's initial memory: emscripten's INITIAL_MEMORY for this build (16 MB). */
const INITIAL_BYTES = 16 * 1024 * 1024;
/** WebAssembly's 32-bit maximum, as the build itself declares (2 GB). */
const MAXIMUM_PAGES = 32768;

let heapAllowance = 64 * 1024 * 1024;

/** How far a module's memory may grow beyond its initial size (the tracer memory limit). */
export function setHeapAllowance(bytes: number): void {
  heapAllowance = bytes;
}

/** The memory of each loaded module, and how many of its growths were refused. */
const memories = new WeakMap<QuickJSWASMModule, { memory: WebAssembly.Memory; refused: number }>();

/** The current size of `m`'s WebAssembly memory in bytes, or null when unknown. */
export function moduleMemoryBytes(m: QuickJSWASMModule): number | null {
  return memories.get(m)?.memory.buffer.byteLength ?? null;
}

/** A module's memory counters, read by the engine at every call into the sandbox. */
export interface HeapCounters {
  /** How many times the module's memory was refused growth so far. */
  refused: number;
}

/**
 * The counters of `m`'s memory. When QuickJS has no memory left even for its "out of
 * memory" error it throws null; a refusal count that moved during the call tells why.
 */
export function heapCounters(m: QuickJSWASMModule): HeapCounters {
  return memories.get(m) ?? { refused: 0 };
}

/** Loads one QuickJS module into a memory whose growth is capped (see the header). */
async function loadModule(): Promise<QuickJSWASMModule> {
  const memory = new WebAssembly.Memory({ initial: INITIAL_BYTES / WASM_PAGE, maximum: MAXIMUM_PAGES });
  const grow = memory.grow.bind(memory);
  const entry = { memory, refused: 0 };
  // emscripten grows the heap through this property and treats a throw as "no memory",
  // trying smaller steps and then failing the allocation.
  Object.defineProperty(memory, "grow", {
    value: (pages: number): number => {
      if (memory.buffer.byteLength + pages * WASM_PAGE > INITIAL_BYTES + heapAllowance) {
        entry.refused++;
        throw new RangeError("JavaScript tracer memory limit reached");
      }
      return grow(pages);
    },
  });
  const m = await newQuickJSWASMModule(newVariant(RELEASE_SYNC, { wasmMemory: memory }));
  memories.set(m, entry);
  return m;
}

let active: QuickJSWASMModule | null = null;
let spare: QuickJSWASMModule | null = null;
let loading: Promise<void> | null = null;

/**
 * Loads the QuickJS WebAssembly modules. Must be awaited before any JavaScript tracer
 * (named built-in or code) is built; later calls return the same promise.
 */
export function initJsTracers(): Promise<void> {
  if (loading === null) {
    loading = Promise.all([loadModule(), loadModule()]).then(([a, b]) => {
      active = a;
      spare = b;
    });
    loading.catch(() => {
      loading = null;
    });
  }
  return loading;
}

/** True once `initJsTracers()` has completed. */
export function jsTracersReady(): boolean {
  return active !== null;
}

/** The module new tracers are created in. */
export function currentModule(): QuickJSWASMModule {
  if (active === null) {
    throw new TracerError(
      loading === null
        ? "JavaScript tracers are not initialised: the caller must await initJsTracers() first"
        : retired > 0
          ? "the JavaScript tracer sandbox is reloading after a failure; retry shortly"
          : "JavaScript tracers are still loading: the caller must await initJsTracers() first",
    );
  }
  return active;
}

/** How many modules were retired (for messages and tests). */
let retired = 0;

export function retiredModules(): number {
  return retired;
}

/** Stops using `m` for new tracers (its state can no longer be trusted). */
export function retireModule(m: QuickJSWASMModule): void {
  retired++;
  if (active !== m) {
    if (spare === m) spare = null;
    return;
  }
  active = spare;
  spare = null;
  loadModule().then(
    (fresh) => {
      if (active === null) active = fresh;
      else if (spare === null) spare = fresh;
    },
    () => {},
  );
}

/** Private quickjs-emscripten internals used for the fast path. */
export interface RawAccess {
  /**
   * Calls the function whose value pointer is `fn` (a handle's `.value`) with `this`
   * undefined and no arguments; returns the exception as a handle, or null.
   */
  call(fn: number): QuickJSHandle | null;
  malloc(size: number): number;
  free(ptr: number): void;
  /** The WebAssembly memory as it is now (it is replaced when memory grows). */
  heap(): ArrayBuffer;
}

interface ContextInternals {
  ffi?: {
    QTS_Call?: (ctx: number, fn: number, thisVal: number, argc: number, argv: number) => number;
    QTS_ResolveException?: (ctx: number, value: number) => number;
    QTS_FreeValuePointer?: (ctx: number, value: number) => void;
  };
  ctx?: { value?: unknown };
  memory?: { heapValueHandle?: (ptr: number) => QuickJSHandle };
  module?: { _malloc?: (n: number) => number; _free?: (p: number) => void; HEAPU8?: Uint8Array };
}

export function rawAccess(vm: QuickJSContext): RawAccess | null {
  const inner = vm as unknown as ContextInternals;
  const ffi = inner.ffi;
  const ctxPtr = inner.ctx?.value;
  const memory = inner.memory;
  const mod = inner.module;
  if (
    ffi === undefined ||
    typeof ffi.QTS_Call !== "function" ||
    typeof ffi.QTS_ResolveException !== "function" ||
    typeof ffi.QTS_FreeValuePointer !== "function" ||
    typeof memory?.heapValueHandle !== "function" ||
    typeof ctxPtr !== "number" ||
    typeof mod?._malloc !== "function" ||
    typeof mod._free !== "function" ||
    !(mod.HEAPU8 instanceof Uint8Array)
  ) {
    return null;
  }
  const call = ffi.QTS_Call.bind(ffi);
  const resolve = ffi.QTS_ResolveException.bind(ffi);
  const free = ffi.QTS_FreeValuePointer.bind(ffi);
  const wrap = memory.heapValueHandle.bind(memory);
  const undef = vm.undefined.value as unknown as number;
  const malloc = mod._malloc.bind(mod);
  const release = mod._free.bind(mod);
  return {
    call(fn) {
      const result = call(ctxPtr, fn, undef, 0, 0);
      const error = resolve(ctxPtr, result);
      free(ctxPtr, result);
      return error === 0 ? null : wrap(error);
    },
    malloc,
    free: release,
    heap: () => (mod.HEAPU8 as Uint8Array).buffer as ArrayBuffer,
  };
}

/** Where QuickJS keeps a context's interrupt counter, per module: a byte offset, or -1. */
const counterOffsets = new WeakMap<QuickJSWASMModule, number>();

interface HeapInternals {
  ctx?: { value?: unknown };
  module?: { HEAPU8?: Uint8Array };
}

/** Sets a context's interrupt counter: polls left before QuickJS calls the handler. */
export interface InterruptCounter {
  set(polls: number): void;
}

/** The interrupt counter of `vm` (a context of module `m`), or null when not reachable. */
export function interruptCounter(m: QuickJSWASMModule, vm: QuickJSContext): InterruptCounter | null {
  let offset = counterOffsets.get(m);
  if (offset === undefined) {
    offset = findCounterOffset(m);
    counterOffsets.set(m, offset);
  }
  const inner = vm as unknown as HeapInternals;
  const ctx = inner.ctx?.value;
  const mod = inner.module;
  if (offset < 0 || typeof ctx !== "number" || !(mod?.HEAPU8 instanceof Uint8Array)) return null;
  const index = (ctx + offset) >> 2;
  let view = new Int32Array(mod.HEAPU8.buffer);
  return {
    set(polls) {
      const buffer = (mod.HEAPU8 as Uint8Array).buffer;
      if (view.buffer !== buffer) view = new Int32Array(buffer);
      view[index] = polls;
    },
  };
}

/**
 * Finds the counter in a throwaway context: the one 32-bit word of the context that
 * falls by about k polls while a loop of k iterations runs (checked for two sizes), then
 * confirmed by keeping it at 50 from the handler and counting the handler's calls.
 */
function findCounterOffset(m: QuickJSWASMModule): number {
  const SPAN = 1024;
  const rt = m.newRuntime();
  try {
    let calls = 0;
    let steer: ((polls: number) => void) | null = null;
    rt.setInterruptHandler(() => {
      calls++;
      steer?.(50);
      return false;
    });
    const vm = rt.newContext();
    try {
      const inner = vm as unknown as HeapInternals;
      const ctx = inner.ctx?.value;
      const mod = inner.module;
      if (typeof ctx !== "number" || !(mod?.HEAPU8 instanceof Uint8Array)) return -1;
      const heap = () => (mod.HEAPU8 as Uint8Array).buffer;
      const loop = (n: number) => {
        const r = vm.evalCode(`for (let i = 0; i < ${n}; i++) {}`);
        if (r.error !== undefined) r.error.dispose();
        else r.value.dispose();
      };
      const snapshot = () => new Int32Array(heap().slice(ctx, ctx + SPAN));
      loop(10);
      const a = snapshot();
      loop(1000);
      const b = snapshot();
      loop(2000);
      const c = snapshot();
      const found: number[] = [];
      for (let i = 0; i < a.length; i++) {
        const first = a[i]! - b[i]!;
        const second = b[i]! - c[i]!;
        if (first >= 1000 && first <= 4000 && Math.abs(second - 2 * first) <= 16) found.push(i * 4);
      }
      if (found.length !== 1) return -1;
      const index = (ctx + found[0]!) >> 2;
      steer = (polls) => {
        new Int32Array(heap())[index] = polls;
      };
      steer(50);
      calls = 0;
      loop(1000);
      // About 2,000 polls at 50 a call: some 40 calls, where QuickJS alone would make none.
      return calls >= 10 && calls <= 200 ? found[0]! : -1;
    } finally {
      vm.dispose();
    }
  } finally {
    rt.dispose();
  }
}
