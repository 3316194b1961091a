/**
 * muxTracer: runs several tracers over one execution, after go-ethereum's native
 * muxTracer (eth/tracers/native/mux.go).
 *
 * tracerConfig is an object mapping tracer names to their own tracerConfig, e.g.
 * `{"callTracer": {"withLog": true}, "4byteTracer": null}`. Each is built through the
 * registry, every hook is forwarded to each of them in the config's order, and the
 * result is an object mapping each name to that tracer's result (keys sorted, as Go
 * encodes a map). Stopping the mux stops every tracer; disposing it disposes every one.
 */
import type { Hooks } from "../../tracing/hooks.js";
import { buildTracer, registerTracer } from "../registry.js";
import { type Tracer, type TracerContext, TracerError } from "../types.js";
import { JsonTracer } from "./simple.js";

class MuxTracer extends JsonTracer {
  readonly name = "muxTracer";
  readonly hooks: Hooks;

  constructor(
    private readonly names: string[],
    private readonly tracers: Tracer[],
  ) {
    super();
    const hooks: Record<string, (...args: unknown[]) => void> = {};
    // Every hook some child has (whatever the hook contract's version), and no other:
    // a hook no child has stays absent, so the EVM can skip it (onOpcode above all).
    const hookNames = new Set<string>();
    for (const t of tracers) {
      for (const [k, v] of Object.entries(t.hooks)) if (typeof v === "function") hookNames.add(k);
    }
    for (const hook of hookNames) {
      const targets = tracers
        .map((t) => t.hooks as Record<string, unknown>)
        .filter((h) => typeof h[hook] === "function");
      hooks[hook] = (...args: unknown[]) => {
        if (this.stopped !== null) return;
        for (const h of targets) (h[hook] as (...a: unknown[]) => void).apply(h, args);
      };
    }
    this.hooks = hooks as Hooks;
  }

  override stop(reason: Error): void {
    super.stop(reason);
    for (const t of this.tracers) t.stop(reason);
  }

  dispose(): void {
    for (const t of this.tracers) t.dispose?.();
  }

  protected result(): unknown {
    const order = this.names.map((_, i) => i).sort((a, b) => compareNames(this.names[a]!, this.names[b]!));
    const out: Record<string, unknown> = {};
    for (const i of order) out[this.names[i]!] = this.tracers[i]!.getResult();
    return out;
  }
}

/** Byte-wise order of the UTF-8 names, as Go sorts map keys when encoding JSON. */
function compareNames(a: string, b: string): number {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  return Buffer.compare(x, y);
}

registerTracer("muxTracer", (config, ctx) => {
  if (config === undefined || config === null) return new MuxTracer([], []);
  if (typeof config !== "object" || Array.isArray(config)) {
    throw new TracerError(
      "muxTracer: tracerConfig must be a JSON object mapping tracer names to their configs",
    );
  }
  // Children get the context without the streaming sink: the mux writes their results.
  const { sink: _sink, ...childCtx } = ctx;
  const names: string[] = [];
  const tracers: Tracer[] = [];
  try {
    for (const [name, sub] of Object.entries(config as Record<string, unknown>)) {
      tracers.push(buildTracer({ tracer: name, tracerConfig: sub }, childCtx as TracerContext));
      names.push(name);
    }
  } catch (e) {
    for (const t of tracers) t.dispose?.();
    throw e;
  }
  return new MuxTracer(names, tracers);
});
