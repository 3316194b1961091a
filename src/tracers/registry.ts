/**
 * Tracers by name, as go-ethereum's tracer directory: native tracers, the struct logger,
 * the built-in JavaScript tracers, and JavaScript code given in place of a name.
 */
import {
  type TraceConfig,
  type Tracer,
  type TracerContext,
  TracerError,
  type TracerFactory,
} from "./types.js";

const factories = new Map<string, TracerFactory>();
/** The struct logger: built from the TraceConfig's own options, not from tracerConfig. */
let structLoggerFactory: ((config: TraceConfig, ctx: TracerContext) => Tracer) | null = null;
/** JavaScript code or a built-in JavaScript tracer's source. */
let jsFactory: ((code: string, name: string, config: unknown, ctx: TracerContext) => Tracer) | null = null;
const jsBuiltins = new Map<string, string>();

export const STRUCT_LOGGER = "structLogger";

export function registerTracer(name: string, factory: TracerFactory): void {
  if (factories.has(name) || jsBuiltins.has(name)) throw new Error(`tracer ${name} registered twice`);
  factories.set(name, factory);
}

export function registerStructLogger(factory: (config: TraceConfig, ctx: TracerContext) => Tracer): void {
  structLoggerFactory = factory;
}

export function registerJsEngine(
  factory: (code: string, name: string, config: unknown, ctx: TracerContext) => Tracer,
): void {
  jsFactory = factory;
}

/** A JavaScript tracer shipped with Sonde under a name (geth's legacy tracers). */
export function registerJsBuiltin(name: string, code: string): void {
  if (factories.has(name) || jsBuiltins.has(name)) throw new Error(`tracer ${name} registered twice`);
  jsBuiltins.set(name, code);
}

/** Every name the registry knows, sorted. */
export function knownTracers(): string[] {
  return [STRUCT_LOGGER, ...factories.keys(), ...jsBuiltins.keys()].sort((a, b) => a.localeCompare(b));
}

/** A bare identifier is meant as a tracer name; anything else is taken for JavaScript code. */
function looksLikeName(s: string): boolean {
  return /^[A-Za-z_$][\w$-]*$/.test(s.trim());
}

/** Builds the tracer a TraceConfig asks for. Throws TracerError with a useful message. */
export function buildTracer(config: TraceConfig, ctx: TracerContext): Tracer {
  const name = config.tracer;
  if (name === undefined || name === "" || name === STRUCT_LOGGER) {
    if (structLoggerFactory === null) throw new TracerError("the struct logger is not available");
    return structLoggerFactory(config, ctx);
  }
  const native = factories.get(name);
  if (native !== undefined) return native(config.tracerConfig, ctx);
  const builtin = jsBuiltins.get(name);
  if (builtin !== undefined) return requireJs()(builtin, name, config.tracerConfig, ctx);
  if (looksLikeName(name)) {
    throw new TracerError(`unknown tracer "${name}"; known tracers: ${knownTracers().join(", ")}`);
  }
  return requireJs()(name, "js", config.tracerConfig, ctx);
}

function requireJs(): NonNullable<typeof jsFactory> {
  if (jsFactory === null) throw new TracerError("JavaScript tracers are not available");
  return jsFactory;
}
