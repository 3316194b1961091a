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
 */
import {
  newQuickJSWASMModule,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSWASMModule,
} from "quickjs-emscripten";
import { TracerError } from "../types.js";

let active: QuickJSWASMModule | null = null;
let spare: QuickJSWASMModule | null = null;
let loading: Promise<void> | null = null;

/**
 * Loads the QuickJS WebAssembly modules. Must be awaited before any JavaScript tracer
 * (named built-in or code) is built; later calls return the same promise.
 */
export function initJsTracers(): Promise<void> {
  if (loading === null) {
    loading = Promise.all([newQuickJSWASMModule(), newQuickJSWASMModule()]).then(([a, b]) => {
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
  newQuickJSWASMModule().then(
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
