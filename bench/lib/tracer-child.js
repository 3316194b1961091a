/**
 * One Sonde measurement cell of the tracer benchmark (bench/tracers.js): a child process
 * (forked with --expose-gc) that re-executes one transaction under one tracer config, from
 * Sonde's build in dist/, as often as the parent asks.
 *
 * Messages from the parent:
 *   {type: "init", job, config, fork}   load Sonde, decode the transaction (reply "ready")
 *   {type: "run", check}                one run; reply its time, JSON bytes and peak RSS
 *   {type: "steps"}                     count the instructions executed (onOpcode hook)
 *   {type: "exit"}
 * config null: the transaction runs untraced (no hooks, no JSON), as a baseline.
 * A run builds a fresh StateDB from the alloc, runs applyTransaction under runTrace and
 * produces the tracer's complete JSON text: the struct logger streams it to a sink (no
 * TracerContext.sink → entries kept in memory would change what is measured), the other
 * tracers through writeResult (JSON.stringify of their result). Timed runs only count the
 * text's length (the text is ASCII, so characters = bytes); a `check` run (untimed, the
 * warm-up) also keeps it and replies a summary for the parent's cross-check against anvil.
 *
 * Peak memory: before each run the parent's request triggers a full GC and a reset of the
 * process's peak RSS (writing "5" to /proc/self/clear_refs); after the run VmHWM is read
 * from /proc/self/status. So the peak is that of one run in a process that has already run
 * the same trace once (warm JIT), not of a cold process; `rssBeforeKb` is the RSS it started
 * from (the loaded engine and the pre-state).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const REPO_DIR = process.env.SONDE_REPO_DIR;
const dist = (p) => import(pathToFileURL(join(REPO_DIR, "dist", p)).href);

function statusKb(field) {
  const m = readFileSync("/proc/self/status", "utf8").match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"));
  return m ? Number(m[1]) : null;
}

function resetPeak() {
  try {
    writeFileSync("/proc/self/clear_refs", "5");
    return true;
  } catch {
    return false;
  }
}

let S = null;
let cell = null;

async function init({ job, config, fork }) {
  const [apply, blobs, statetest, statedb, tracers, decode, sender, hex, js] = await Promise.all([
    dist("block/apply.js"),
    dist("block/blobs.js"),
    dist("runners/statetest.js"),
    dist("state/statedb.js"),
    dist("tracers/index.js"),
    dist("tx/decode.js"),
    dist("tx/sender.js"),
    dist("primitives/hex.js"),
    dist("tracers/js/index.js").catch(() => null),
  ]);
  S = { apply, statetest, statedb, tracers };
  const isJs = typeof config?.tracer === "string" && config.tracer.trim().startsWith("{");
  if (isJs) {
    if (js === null || typeof js.initJsTracers !== "function")
      throw new Error("JavaScript tracers are not available in dist/");
    await js.initJsTracers();
  }
  const h = job.header;
  const hashes = new Map(Object.entries(job.blockHashes).map(([n, x]) => [BigInt(n), BigInt(x)]));
  const block = {
    coinbase: hex.parseAddress(h.miner, "block.miner"),
    number: BigInt(h.number),
    timestamp: BigInt(h.timestamp),
    gasLimit: BigInt(h.gasLimit),
    difficulty: BigInt(h.difficulty ?? "0x0"),
    prevRandao: BigInt(h.mixHash ?? "0x0"),
    baseFee: BigInt(h.baseFeePerGas ?? "0x0"),
    blobBaseFee: blobs.blobBaseFee(BigInt(h.excessBlobGas ?? "0x0"), blobs.blobScheduleFor(fork)),
    chainId: BigInt(job.chainId),
    getBlockHash: (n) => hashes.get(n) ?? 0n,
  };
  const tx = decode.decodeTransaction(hex.hexToBytes(job.rawTx, "raw transaction"));
  const from = sender.recoverSender(tx, fork);
  if (from !== job.sender) throw new Error(`sender recovered as ${from}, anvil says ${job.sender}`);
  cell = {
    block,
    tx,
    from,
    fork,
    alloc: job.alloc,
    config: config === null ? null : { ...config, timeout: "600s" },
  };
}

/** Untraced run (config null): no tracer, no hooks, no JSON. */
function runUntraced() {
  const { apply, statetest, statedb } = S;
  const { block, tx, from, fork, alloc } = cell;
  globalThis.gc();
  const resetOk = resetPeak();
  const rssBeforeKb = statusKb("VmRSS");
  const t0 = process.hrtime.bigint();
  const state = new statedb.StateDB(statetest.parseAlloc(alloc, "pre-state"));
  const r = apply.applyTransaction(state, block, tx, from, fork, null, { blockGasAvailable: block.gasLimit });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const hwmKb = statusKb("VmHWM");
  return { ms, bytes: 0, hwmKb, rssBeforeKb, resetOk, error: r.error, gasUsed: r.gasUsed.toString() };
}

/** Number of instructions the transaction executes (an onOpcode hook that counts). */
function countSteps() {
  const { apply, statetest, statedb } = S;
  const { block, tx, from, fork, alloc } = cell;
  const state = new statedb.StateDB(statetest.parseAlloc(alloc, "pre-state"));
  let steps = 0;
  const hooks = {
    onOpcode() {
      steps++;
    },
  };
  state.hooks = hooks;
  const r = apply.applyTransaction(state, block, tx, from, fork, hooks, {
    blockGasAvailable: block.gasLimit,
  });
  return { steps, gasUsed: r.gasUsed.toString(), success: r.success, error: r.error };
}

/** Counts occurrences of `"op":"` across chunks (a pattern may straddle two chunks). */
function countOps(text) {
  let n = 0;
  for (let i = text.indexOf('"op":"'); i !== -1; i = text.indexOf('"op":"', i + 6)) n++;
  return n;
}

function run(check) {
  if (cell.config === null) return runUntraced();
  const { apply, statetest, statedb, tracers } = S;
  const { block, tx, from, fork, alloc, config } = cell;
  const isStructLogger = config.tracer === undefined;
  let bytes = 0;
  const kept = check ? [] : null;
  const write = check
    ? (chunk) => {
        bytes += chunk.length;
        kept.push(chunk);
      }
    : (chunk) => {
        bytes += chunk.length;
      };
  globalThis.gc();
  const resetOk = resetPeak();
  const rssBeforeKb = statusKb("VmRSS");
  const t0 = process.hrtime.bigint();
  const state = new statedb.StateDB(statetest.parseAlloc(alloc, "pre-state"));
  const ctx = isStructLogger ? { fork, sink: write } : { fork };
  const traced = tracers.runTrace(config, ctx, (hooks) => {
    state.hooks = hooks;
    return apply.applyTransaction(state, block, tx, from, fork, hooks, { blockGasAvailable: block.gasLimit });
  });
  let error = traced.error?.message ?? null;
  try {
    traced.tracer.writeResult(write);
  } catch (e) {
    error ??= e.message;
  } finally {
    traced.tracer.dispose?.();
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const hwmKb = statusKb("VmHWM");
  const out = {
    ms,
    bytes,
    hwmKb,
    rssBeforeKb,
    resetOk,
    error,
    gasUsed: traced.value?.gasUsed?.toString() ?? null,
  };
  if (check) {
    if (isStructLogger) {
      // Entry count and the totals, without building one huge string.
      let entries = 0;
      let carry = "";
      for (const c of kept) {
        const t = carry + c;
        entries += countOps(t) - countOps(carry);
        carry = t.slice(-8);
      }
      let tail = "";
      for (let i = kept.length - 1; i >= 0 && tail.length < 2000; i--) tail = kept[i] + tail;
      const m = tail.match(/\],"gas":(\d+),"failed":(true|false),"returnValue":"(0x[0-9a-f]*)"\}$/);
      out.summary = m
        ? { entries, gas: Number(m[1]), failed: m[2] === "true", returnValue: m[3] }
        : { entries, unparsedTail: tail.slice(-200) };
    } else {
      out.result = JSON.parse(kept.join(""));
    }
  }
  return out;
}

process.on("message", async (msg) => {
  try {
    if (msg.type === "init") {
      await init(msg);
      process.send({ ok: true });
    } else if (msg.type === "run") {
      process.send({ ok: true, run: run(msg.check) });
    } else if (msg.type === "steps") {
      process.send({ ok: true, steps: countSteps() });
    } else if (msg.type === "exit") {
      process.exit(0);
    }
  } catch (e) {
    process.send({ ok: false, error: e.stack ?? String(e) });
  }
});
