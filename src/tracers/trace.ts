/**
 * Runs an execution under a tracer: builds the tracer from a TraceConfig, guards its
 * hooks (timeout, tracer exceptions) and returns its result.
 *
 * Execution is synchronous, so the timeout cannot be a timer: the guarded hooks read
 * the clock (every 1024 steps for step tracers, at every frame and state event for the
 * others) and, once the deadline has passed, stop the tracer with go-ethereum's
 * "execution timeout" and unwind the EVM by throwing. A tracer without a step hook sees
 * nothing of a long loop in one frame, so the deadline is also handed to the execution,
 * which gives it to the EVM (`EVM.deadline`): the EVM's ExecutionAbortedError stops the
 * trace the same way, as go-ethereum's tracer timeout cancels the EVM. The state the
 * execution ran on is then unusable and is discarded by the caller, which always traces
 * on a throwaway copy.
 * An exception thrown by a tracer's own code unwinds the same way and becomes the trace's
 * error; the process and any other trace are unaffected.
 */
import { ExecutionAbortedError } from "../evm/evm.js";
import type { Hooks } from "../tracing/hooks.js";
import { buildTracer } from "./registry.js";
import { type TraceConfig, type Tracer, type TracerContext, TracerError } from "./types.js";

/** go-ethereum's default tracer timeout. */
export const DEFAULT_TRACE_TIMEOUT_MS = 5000;

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Parses a Go duration ("5s", "1m30s", "250ms", "1.5h") into milliseconds. */
export function parseDuration(text: string): number {
  const s = text.trim();
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let total = 0;
  let pos = 0;
  if (s === "0") return 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (m === null) break;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    pos = re.lastIndex;
  }
  if (pos === 0 || pos !== s.length) {
    throw new TracerError(`invalid timeout "${text}": expected a duration such as 5s, 300ms or 1m30s`);
  }
  return total;
}

/** Thrown through the EVM to unwind it when a trace is stopped. Never escapes `runTrace`. */
class TraceAbort extends Error {
  constructor(readonly reason: Error) {
    super(reason.message);
  }
}

/** Wraps every hook of `tracer`: deadline checks, and tracer exceptions turned into a stop. */
export function guardHooks(tracer: Tracer, deadline: number): { hooks: Hooks; failure: () => Error | null } {
  let failure: Error | null = null;
  const fail = (e: unknown, where: string): never => {
    if (e instanceof TraceAbort) throw e;
    failure =
      e instanceof TracerError
        ? e
        : new TracerError(`${(e as Error)?.message ?? String(e)}    in tracer hook '${where}'`);
    tracer.stop(failure);
    throw new TraceAbort(failure);
  };
  const timedOut = (): never => {
    failure = new TracerError("execution timeout");
    tracer.stop(failure);
    throw new TraceAbort(failure);
  };
  const inner = tracer.hooks as Record<string, ((...args: unknown[]) => void) | undefined>;
  const out: Record<string, (...args: unknown[]) => void> = {};
  for (const [name, fn] of Object.entries(inner)) {
    if (typeof fn !== "function") continue;
    const bound = fn.bind(tracer.hooks);
    if (name === "onOpcode") {
      // Explicit parameters: a rest array would be allocated on every step.
      const step = bound as NonNullable<Hooks["onOpcode"]>;
      let n = 0;
      out[name] = ((pc, op, gas, cost, scope, depth, error) => {
        if ((++n & 1023) === 0 && performance.now() > deadline) timedOut();
        try {
          step(pc, op, gas, cost, scope, depth, error);
        } catch (e) {
          fail(e, name);
        }
      }) as NonNullable<Hooks["onOpcode"]> as (...args: unknown[]) => void;
    } else {
      out[name] = (...args) => {
        if (performance.now() > deadline) timedOut();
        try {
          bound(...args);
        } catch (e) {
          fail(e, name);
        }
      };
    }
  }
  // A tracer without step hooks still gets frame-level deadline checks.
  if (out.onEnter === undefined) {
    out.onEnter = () => {
      if (performance.now() > deadline) timedOut();
    };
  }
  return { hooks: out as Hooks, failure: () => failure };
}

export interface TraceRun<T> {
  tracer: Tracer;
  /** What the execution returned; undefined when the trace was stopped part way. */
  value: T | undefined;
  /** Why the trace stopped early (timeout, tracer exception); null when it ran to the end. */
  error: TracerError | null;
}

/**
 * Builds the tracer named by `config`, runs `exec` with its guarded hooks and returns
 * both. `exec` is given the trace's deadline (a performance.now() time; undefined when
 * there is none) to pass on to the EVM (`ApplyOptions.deadline`, `EVM.deadline`), so an
 * execution that reports nothing to the tracer's hooks still stops at the timeout. The
 * caller then reads `tracer.getResult()` or `tracer.writeResult()`, and must call
 * `tracer.dispose?.()` when done.
 */
export function runTrace<T>(
  config: TraceConfig,
  ctx: TracerContext,
  exec: (hooks: Hooks, deadline: number | undefined) => T,
): TraceRun<T> {
  const timeout = config.timeout === undefined ? DEFAULT_TRACE_TIMEOUT_MS : parseDuration(config.timeout);
  const deadline = performance.now() + (timeout > 0 ? timeout : Number.POSITIVE_INFINITY);
  const tracer = buildTracer(config, { ...ctx, deadline });
  const { hooks } = guardHooks(tracer, deadline);
  try {
    return { tracer, value: exec(hooks, timeout > 0 ? deadline : undefined), error: null };
  } catch (e) {
    if (e instanceof TraceAbort) return { tracer, value: undefined, error: e.reason as TracerError };
    if (e instanceof ExecutionAbortedError) {
      // The EVM passed the deadline between two hook calls: the same stop as in the hooks.
      const failure = new TracerError("execution timeout");
      tracer.stop(failure);
      return { tracer, value: undefined, error: failure };
    }
    tracer.dispose?.();
    throw e;
  }
}
