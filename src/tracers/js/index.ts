/**
 * JavaScript tracers: registers the QuickJS engine for tracer code and go-ethereum's
 * built-in JavaScript tracers. Callers that may build one must first await
 * `initJsTracers()` (it loads the WebAssembly sandbox); building before that fails with
 * a TracerError saying so.
 */
import { registerJsEngine } from "../registry.js";
import "./builtins.js";
import { JsTracer } from "./engine.js";

registerJsEngine((code, name, config, ctx) => new JsTracer(name, code, config, ctx));

export { JS_BUILTINS } from "./builtins.js";
export { configureJsSandbox, type JsSandboxLimits, jsSandboxLimits } from "./engine.js";
export { initJsTracers, jsTracersReady } from "./sandbox.js";
