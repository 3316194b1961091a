/**
 * The tracers package: importing it registers every tracer. Use `buildTracer` or
 * `runTrace` from here rather than from the individual modules.
 */
import "./native/simple.js";
import "./native/call.js";
import "./native/flat-call.js";
import "./native/mux.js";
import "./native/prestate.js";
import "./native/keccak-preimage.js";
import "./native/erc7562.js";
import "./native/vm-trace.js";
import "./native/access-list.js";
import "./struct-logger.js";
import "./eip3155-tracer.js";
import "./js/index.js";

export { buildTracer, knownTracers, STRUCT_LOGGER } from "./registry.js";
export { DEFAULT_TRACE_TIMEOUT_MS, parseDuration, runTrace, type TraceRun } from "./trace.js";
export { type TraceConfig, type Tracer, type TracerContext, TracerError } from "./types.js";
