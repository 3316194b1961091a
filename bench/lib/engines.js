/** The main thread's side of engine-worker.js: one worker per engine, one request at a time. */
import v8 from "node:v8";
import { Worker } from "node:worker_threads";

let gcFlagSet = false;

export class EngineWorker {
  /** @param {"sonde" | "ethereumjs"} engine */
  static async start(engine) {
    if (!gcFlagSet) {
      // Lets every worker force a full GC between timed runs.
      v8.setFlagsFromString("--expose-gc");
      gcFlagSet = true;
    }
    const w = new EngineWorker(engine);
    await w.ready;
    return w;
  }

  constructor(engine) {
    this.engine = engine;
    this.worker = new Worker(new URL("./engine-worker.js", import.meta.url), { workerData: { engine } });
    this.pending = new Map();
    this.nextId = 1;
    this.ready = new Promise((resolve, reject) => {
      this.worker.once("error", reject);
      this.worker.on("message", (m) => {
        if (m.ready) return resolve();
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (m.error) p.reject(new Error(`${engine} worker: ${m.error}`));
        else p.resolve(m.result);
      });
    });
    this.worker.on("error", (err) => {
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    });
  }

  request(msg) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...msg, id });
    });
  }

  /** One untimed run: gas, return data, error (and Sonde's step count when asked). */
  check(name, n, fork, countSteps = false) {
    return this.request({ cmd: "check", name, n, fork, countSteps });
  }

  /** One timed run on fresh state: { ms, gasUsed }. */
  time(name, n, fork, hooks) {
    return this.request({ cmd: "time", name, n, fork, hooks });
  }

  stop() {
    return this.worker.terminate();
  }
}
