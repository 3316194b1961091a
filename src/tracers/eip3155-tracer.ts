/**
 * The `eip3155` tracer: EIP-3155 JSON lines (one object per step and a summary line
 * {output, gasUsed, error?} at the end of the transaction), produced by the same hooks as
 * `sonde statetest --trace` (src/tracing/eip3155.ts), in go-ethereum's `evm --json` form.
 *
 * tracerConfig: {"enableMemory":bool, "disableStack":bool, "enableReturnData":bool}.
 * The result is the JSON-lines text, every line ending with "\n"; `getResult()` returns
 * it as a string and `writeResult` writes it as that JSON string. With a
 * `TracerContext.sink` the lines are written raw to the sink as they are produced,
 * nothing is kept, and `writeResult(sink)` adds nothing. Steps of block-level system
 * calls are not reported (as go-ethereum's JSON logger skips them).
 */
import { eip3155Hooks } from "../tracing/eip3155.js";
import type { Hooks } from "../tracing/hooks.js";
import { registerTracer } from "./registry.js";
import { readTracerConfig, type Tracer, TracerError } from "./types.js";

class Eip3155Tracer implements Tracer {
  readonly name = "eip3155";
  readonly hooks: Hooks;
  private readonly lines: string[] = [];
  private readonly sink: ((chunk: string) => void) | null;
  private stopped: Error | null = null;
  private skip = false;

  constructor(
    opts: { enableMemory: boolean; disableStack: boolean; enableReturnData: boolean },
    sink?: (chunk: string) => void,
  ) {
    this.sink = sink ?? null;
    const write =
      this.sink === null
        ? (line: string) => {
            this.lines.push(line);
          }
        : (line: string) => this.sink!(`${line}\n`);
    const inner = eip3155Hooks(write, opts);
    const live = () => this.stopped === null && !this.skip;
    const onOpcode = inner.onOpcode!;
    this.hooks = {
      onTxStart: (tx, env) => {
        if (this.stopped === null) inner.onTxStart?.(tx, env);
      },
      onTxEnd: (r) => {
        if (live()) inner.onTxEnd?.(r);
      },
      onSystemCallStart: () => {
        this.skip = true;
      },
      onSystemCallEnd: () => {
        this.skip = false;
      },
      onOpcode: (pc, op, gas, cost, scope, depth, error) => {
        if (this.stopped === null && !this.skip) onOpcode(pc, op, gas, cost, scope, depth, error);
      },
    };
  }

  /** The JSON-lines text (without a sink). */
  private text(): string {
    if (this.stopped !== null) {
      throw this.stopped instanceof TracerError ? this.stopped : new TracerError(this.stopped.message);
    }
    return this.lines.length === 0 ? "" : `${this.lines.join("\n")}\n`;
  }

  getResult(): unknown {
    if (this.sink !== null) {
      this.text(); // throws when stopped
      throw new TracerError("eip3155: the lines were streamed to the sink; read the result from there");
    }
    return this.text();
  }

  writeResult(write: (chunk: string) => void): void {
    if (this.sink !== null) {
      this.text(); // throws when stopped; the lines are already written
      return;
    }
    write(JSON.stringify(this.text()));
  }

  stop(reason: Error): void {
    if (this.stopped === null) this.stopped = reason;
  }
}

registerTracer("eip3155", (config, ctx) => {
  const opts = readTracerConfig("eip3155", config, {
    enableMemory: false,
    disableStack: false,
    enableReturnData: false,
  });
  return new Eip3155Tracer(opts, ctx.sink);
});
