/**
 * One engine in its own worker thread (its own V8 isolate: heap, JIT feedback and module
 * instances), so that running one engine cannot slow the other down: in one isolate,
 * ethereumjs's calls into the shared @noble/hashes module and its garbage measurably
 * slowed Sonde's following runs. The main thread sends one request at a time, so the
 * workers never compete for the CPU.
 *
 * workerData: { engine: "sonde" | "ethereumjs" }
 * Requests: { id, cmd: "check" | "time", name, n, fork, hooks?: "null" | "empty" | "noop",
 *             countSteps?: boolean }
 */
import { runInNewContext } from "node:vm";
import { parentPort, workerData } from "node:worker_threads";
import { prepareEthereumjs } from "./ethereumjs.js";
import { loadSonde } from "./sonde.js";
import { workloads } from "./workloads.js";

/** Enabled process-wide by the main thread (v8.setFlagsFromString) before the worker starts. */
const gc = globalThis.gc ?? runInNewContext("gc");
const GAS = 10_000_000_000n;
const all = new Map(workloads().map((w) => [w.name, w]));
const calls = new Map();

function callFor(name, n, fork) {
  const key = `${name}/${n}/${fork}`;
  let c = calls.get(key);
  if (c === undefined) {
    const w = all.get(name);
    if (w === undefined) throw new Error(`unknown workload ${name}`);
    c = { code: w.code, input: w.input(n), gas: GAS, fork };
    calls.set(key, c);
  }
  return c;
}

const NOOP_HOOKS = { onOpcode() {} };
function hooksFor(kind) {
  if (kind === undefined || kind === "null") return null;
  if (kind === "empty") return {};
  if (kind === "noop") return NOOP_HOOKS;
  throw new Error(`unknown hooks variant ${kind}`);
}

const sonde = workerData.engine === "sonde" ? await loadSonde({ build: false }) : null;

async function handle(msg) {
  const call = callFor(msg.name, msg.n, msg.fork);
  if (sonde !== null) {
    if (msg.cmd === "check") {
      const r = sonde.run(call);
      let steps = null;
      if (msg.countSteps) {
        steps = 0;
        sonde.run({ ...call, hooks: { onOpcode: () => void steps++ } });
      }
      // The refund counter is reported so the anvil check can compare receipt gas.
      return {
        gasUsed: r.gasUsed,
        refund: BigInt(r.state.refund),
        returnData: r.returnData,
        error: r.error,
        steps,
      };
    }
    const c = { ...call, hooks: hooksFor(msg.hooks) };
    gc();
    const t0 = process.hrtime.bigint();
    const r = sonde.run(c);
    const ns = process.hrtime.bigint() - t0;
    return { ms: Number(ns) / 1e6, gasUsed: r.gasUsed };
  }
  // ethereumjs: a fresh state manager and EVM for every run, built outside the timed region.
  const run = await prepareEthereumjs(call);
  gc();
  const t0 = process.hrtime.bigint();
  const r = await run();
  const ns = process.hrtime.bigint() - t0;
  const e = r.execResult;
  if (msg.cmd === "check") {
    const error = e.exceptionError ? String(e.exceptionError.error ?? e.exceptionError) : null;
    return { gasUsed: e.executionGasUsed, returnData: e.returnValue, error, steps: null };
  }
  return { ms: Number(ns) / 1e6, gasUsed: e.executionGasUsed };
}

parentPort.on("message", (msg) => {
  handle(msg).then(
    (result) => parentPort.postMessage({ id: msg.id, result }),
    (err) => parentPort.postMessage({ id: msg.id, error: String(err?.stack ?? err) }),
  );
});
parentPort.postMessage({ ready: true });
