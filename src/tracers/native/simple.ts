/**
 * Small native tracers: noopTracer (hooks that do nothing, result `{}`) and 4byteTracer
 * (counts of 4-byte selectors and input sizes of every call into non-precompiled code).
 */
import { precompilesFor } from "../../evm/precompiles/index.js";
import { bytesToHexRaw } from "../../primitives/hex.js";
import { CallKind, type Hooks } from "../../tracing/hooks.js";
import { registerTracer } from "../registry.js";
import { readTracerConfig, type Tracer, TracerError } from "../types.js";

/** A tracer whose result is a plain JSON value computed on demand. */
export abstract class JsonTracer implements Tracer {
  abstract readonly name: string;
  abstract readonly hooks: Hooks;
  protected stopped: Error | null = null;
  protected abstract result(): unknown;
  getResult(): unknown {
    if (this.stopped !== null)
      throw this.stopped instanceof TracerError ? this.stopped : new TracerError(this.stopped.message);
    return this.result();
  }
  writeResult(write: (chunk: string) => void): void {
    write(JSON.stringify(this.getResult()));
  }
  stop(reason: Error): void {
    if (this.stopped === null) this.stopped = reason;
  }
}

class NoopTracer extends JsonTracer {
  readonly name = "noopTracer";
  readonly hooks: Hooks = {
    onTxStart() {},
    onTxEnd() {},
    onEnter() {},
    onExit() {},
    onOpcode() {},
    onFault() {},
    onBalanceChange() {},
    onNonceChange() {},
    onCodeChange() {},
    onStorageChange() {},
    onLog() {},
  };
  protected result(): unknown {
    return {};
  }
}

class FourByteTracer extends JsonTracer {
  readonly name = "4byteTracer";
  private readonly ids = new Map<string, number>();
  readonly hooks: Hooks;
  constructor(precompiles: ReadonlySet<string>) {
    super();
    this.hooks = {
      onEnter: (_depth, kind, _from, to, input) => {
        if (input.length < 4) return;
        if (
          kind !== CallKind.CALL &&
          kind !== CallKind.CALLCODE &&
          kind !== CallKind.DELEGATECALL &&
          kind !== CallKind.STATICCALL
        ) {
          return;
        }
        if (precompiles.has(to)) return;
        const key = `0x${bytesToHexRaw(input.subarray(0, 4))}-${input.length - 4}`;
        this.ids.set(key, (this.ids.get(key) ?? 0) + 1);
      },
    };
  }
  protected result(): unknown {
    return Object.fromEntries(this.ids);
  }
}

registerTracer("noopTracer", (config) => {
  readTracerConfig("noopTracer", config, {});
  return new NoopTracer();
});
registerTracer("4byteTracer", (config, ctx) => {
  readTracerConfig("4byteTracer", config, {});
  return new FourByteTracer(new Set(precompilesFor(ctx.fork).keys()));
});
