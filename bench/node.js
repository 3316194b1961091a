#!/usr/bin/env node
/**
 * Node benchmark (`npm run bench:node`): `sonde node` against anvil over JSON-RPC on the
 * same chain — eth_call latency and throughput, and debug_traceBlockByNumber on one block
 * of 200 transactions.
 *
 *   node bench/node.js [--only NAME[,…]] [--runs N] [--calls N] [--concurrency N]
 *                      [--no-build] [--cpu-prof DIR] [--out FILE]
 *
 * Both nodes run as child processes on 127.0.0.1 (free ports): Sonde's development chain
 * (`node bin/sonde.js node`: chain id 1337, Osaka, the test-mnemonic accounts) and anvil
 * from the @foundry-rs/anvil-linux-amd64 devDependency with the same chain id, fork,
 * mnemonic, block gas limit (30 M) and `--order fifo`. Both get the same signed raw
 * transactions (bench/lib/node-block.js): contracts deployed, then, with automine off, 200
 * varied transactions mined by one evm_mine. The script checks that both blocks hold the
 * same 200 transactions with the same gas used, then times the workloads, alternating
 * the nodes. It exits 1 when the nodes disagree (gas, results, transaction count).
 * See bench/README.md, "Node".
 */
import os from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { startAnvil, waitIdle } from "./lib/anvil-node.js";
import { createRpcClient, parseTimed } from "./lib/jsonrpc.js";
import { gitDescribe, machineInfo } from "./lib/machine.js";
import { ACCOUNT_COUNT, CHAIN_ID, nodeWorkload } from "./lib/node-block.js";
import { buildSonde } from "./lib/sonde.js";
import { startSondeNode } from "./lib/sonde-node.js";
import { fmt, median, quantile, table } from "./lib/stats.js";
import { BENCH_DIR, REPO_DIR } from "./lib/workloads.js";
import { writeJson } from "./lib/write-json.js";

export const FORK = "osaka";
/** Transactions in the traced block. */
export const BLOCK_TXS = 200;
/** hashChain rounds of the heavy eth_call: about 11 M gas, under Osaka's 2^24 cap on a call's gas. */
export const HEAVY_ROUNDS = 10_000;
const HEAVY_GAS = 16_000_000n;
/** A fresh address where the state-override workload installs BenchHash's code. */
const OVERRIDE_ADDRESS = "0x00000000000000000000000000000000000b0b0b";

/** The workloads; `kind` decides how they are timed. */
export const WORKLOADS = [
  { name: "rpc-overhead", kind: "sequential", what: "eth_chainId: a request that executes nothing" },
  { name: "call-small", kind: "sequential", what: "eth_call BenchToken.balanceOf(account 1) at latest" },
  { name: "call-concurrent", kind: "concurrent", what: "the same balanceOf eth_call, N in flight at once" },
  { name: "call-heavy", kind: "runs", what: `eth_call BenchHash.hashChain(${HEAVY_ROUNDS}) (deployed)` },
  {
    name: "call-override",
    kind: "runs",
    what: `eth_call hashChain(${HEAVY_ROUNDS}) on code installed by a state override {code}`,
  },
  { name: "trace-call", kind: "trace", config: { tracer: "callTracer" }, what: "callTracer" },
  {
    name: "trace-call-logs",
    kind: "trace",
    config: { tracer: "callTracer", tracerConfig: { withLog: true } },
    what: "callTracer, withLog",
  },
  { name: "trace-prestate", kind: "trace", config: { tracer: "prestateTracer" }, what: "prestateTracer" },
  {
    name: "trace-struct",
    kind: "trace",
    config: {},
    what: "struct logger, default options (storage on, memory off)",
  },
];

const HELP = `usage: node bench/node.js [options]      (npm run bench:node -- [options])

  --only NAME[,NAME…]  workloads (names below; default all)
  --runs N             timed runs per node for call-heavy, call-override and trace-* (default 5)
  --calls N            requests per node for rpc-overhead, call-small, call-concurrent (default 2000)
  --concurrency N      requests in flight for call-concurrent (default 8)
  --no-build           do not run tsc first (use dist/ as it is)
  --cpu-prof DIR       run sonde node with --cpu-prof, writing its profile into DIR
  --no-steps-tracing   start anvil without --steps-tracing (its struct logger then returns
                       no entries, so trace-struct is not comparable)
  --out FILE           JSON results (default bench/results/node.json)
`;

const log = (s) => process.stderr.write(s);
const hex = (n) => `0x${BigInt(n).toString(16)}`;

function stats(ms) {
  return {
    medianMs: median(ms),
    p95Ms: quantile(ms, 0.95),
    minMs: Math.min(...ms),
    maxMs: Math.max(...ms),
  };
}

/** Polls for a receipt (automine seals right after the transaction arrives). */
async function receipt(c, hash) {
  for (let i = 0; i < 1000; i++) {
    const r = await c.rpc("eth_getTransactionReceipt", [hash]);
    if (r !== null) return r;
    await new Promise((res) => setTimeout(res, 10));
  }
  throw new Error(`${c.url}: transaction ${hash} not mined within 10 s`);
}

/** Sends the setup transactions to both nodes, one at a time; checks status and gas agree. */
async function runSetup(sides, txs, problems) {
  for (const t of txs) {
    const got = [];
    for (const s of sides) {
      const hash = await s.client.rpc("eth_sendRawTransaction", [t.raw]);
      got.push(await receipt(s.client, hash));
    }
    const [a, b] = got;
    if (a.status !== "0x1" || b.status !== "0x1")
      problems.push(`setup "${t.what}": status Sonde ${a.status}, anvil ${b.status}`);
    if (a.gasUsed !== b.gasUsed)
      problems.push(`setup "${t.what}": GAS MISMATCH Sonde ${BigInt(a.gasUsed)}, anvil ${BigInt(b.gasUsed)}`);
    if (a.contractAddress !== b.contractAddress)
      problems.push(
        `setup "${t.what}": contract address Sonde ${a.contractAddress}, anvil ${b.contractAddress}`,
      );
  }
}

/** Builds the block of `txs` on each node (automine off, then one evm_mine); returns its number. */
async function buildBlock(sides, txs, problems) {
  const out = {};
  for (const s of sides) {
    await s.client.rpc("evm_setAutomine", [false]);
    const t0 = performance.now();
    for (const t of txs) await s.client.rpc("eth_sendRawTransaction", [t.raw]);
    const t1 = performance.now();
    await s.client.rpc("evm_mine", []);
    const t2 = performance.now();
    await s.client.rpc("evm_setAutomine", [true]);
    const block = await s.client.rpc("eth_getBlockByNumber", ["latest", false]);
    const receipts = await s.client.batch(block.transactions.map((h) => ["eth_getTransactionReceipt", [h]]));
    out[s.name] = { number: block.number, hashes: block.transactions, receipts, gasUsed: block.gasUsed };
    // Single untimed-loop measurements, for context (not repeated, not in the table).
    out[s.name].sendMs = t1 - t0;
    out[s.name].mineMs = t2 - t1;
    for (const x of sides) await waitIdle(x.pid);
    if (block.transactions.length !== txs.length)
      problems.push(
        `${s.name}: the block has ${block.transactions.length} transactions, expected ${txs.length}`,
      );
  }
  const [a, b] = [out.sonde, out.anvil];
  if (a.hashes.join() !== b.hashes.join())
    problems.push("the two blocks hold different transactions or a different order");
  for (let i = 0; i < Math.min(a.receipts.length, b.receipts.length); i++) {
    const [ra, rb] = [a.receipts[i], b.receipts[i]];
    if (ra.gasUsed !== rb.gasUsed || ra.status !== rb.status)
      problems.push(
        `block tx ${i} (${txs[i]?.what}): Sonde gas ${BigInt(ra.gasUsed)} status ${ra.status}, ` +
          `anvil gas ${BigInt(rb.gasUsed)} status ${rb.status}`,
      );
  }
  const failed = a.receipts.filter((r) => r.status !== "0x1").length;
  return {
    number: a.number,
    anvilNumber: b.number,
    gasUsed: BigInt(a.gasUsed),
    failed,
    hashes: a.hashes,
    receipts: a.receipts,
    building: {
      sonde: { sendRawTransactionMs: a.sendMs, evmMineMs: a.mineMs },
      anvil: { sendRawTransactionMs: b.sendMs, evmMineMs: b.mineMs },
    },
  };
}

/**
 * `calls` sequential requests per node, in chunks of 100 alternating between the nodes
 * (after 50 untimed ones each), so that a change in machine load hits both alike.
 */
async function timeSequential(sides, calls, method, params) {
  const ms = { sonde: [], anvil: [] };
  const wall = { sonde: 0, anvil: 0 };
  for (const s of sides) for (let i = 0; i < 50; i++) await s.client.rpc(method, params);
  const chunk = 100;
  for (let done = 0, round = 0; done < calls; done += chunk, round++) {
    const n = Math.min(chunk, calls - done);
    const order = round % 2 === 0 ? sides : [...sides].reverse();
    for (const s of order) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) {
        const r = await s.client.timed(method, params);
        ms[s.name].push(r.ms);
      }
      wall[s.name] += Number(process.hrtime.bigint() - t0) / 1e6;
    }
  }
  const out = {};
  for (const s of sides) {
    out[s.name] = { ...stats(ms[s.name]), calls, perSecond: calls / (wall[s.name] / 1000) };
  }
  return out;
}

/** `calls` requests per node with `concurrency` in flight; one node at a time. */
async function timeConcurrent(sides, calls, concurrency, method, params) {
  const out = {};
  for (const s of sides) {
    for (let i = 0; i < 50; i++) await s.client.rpc(method, params);
    const ms = [];
    let next = 0;
    const t0 = process.hrtime.bigint();
    const worker = async () => {
      while (next < calls) {
        next++;
        ms.push((await s.client.timed(method, params)).ms);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
    out[s.name] = { ...stats(ms), calls, concurrency, perSecond: calls / (wallMs / 1000) };
  }
  return out;
}

/**
 * `runs` timed requests per node, alternating the nodes (and which goes first), after one
 * untimed request each whose result goes to `check` (and a second one to Sonde, to warm
 * up its JIT). After every request the script waits
 * until both nodes have used no CPU for 100 ms (a large response keeps a node busy for a
 * while after its last byte), so that the next request does not share the cores with it.
 */
async function timeRuns(sides, runs, method, params, check) {
  const first = {};
  for (const s of sides) {
    const r = await s.client.timed(method, params(s));
    first[s.name] = { result: parseTimed(s.name, method, r.buf), bytes: r.bytes };
    for (const x of sides) await waitIdle(x.pid);
  }
  const verdict = check(first.sonde.result, first.anvil.result);
  // One more untimed request to Sonde: its first one ran partly unoptimised JavaScript.
  const sondeSide = sides.find((s) => s.name === "sonde");
  await sondeSide.client.timed(method, params(sondeSide));
  for (const x of sides) await waitIdle(x.pid);
  const ms = { sonde: [], anvil: [] };
  for (let i = 0; i < runs; i++) {
    const order = i % 2 === 0 ? sides : [...sides].reverse();
    for (const s of order) {
      ms[s.name].push((await s.client.timed(method, params(s))).ms);
      for (const x of sides) await waitIdle(x.pid);
    }
    log(".");
  }
  const out = { check: verdict };
  for (const s of sides) {
    out[s.name] = { ...stats(ms[s.name]), runsMs: ms[s.name].map((x) => Math.round(x * 1000) / 1000) };
    out[s.name].responseBytes = first[s.name].bytes;
  }
  return out;
}

/** The per-transaction results of debug_traceBlockByNumber: [{txHash, result}] or bare results. */
const entries = (r) => (Array.isArray(r) ? r.map((e) => (e && "result" in e ? e.result : e)) : null);

/**
 * Checks two block traces: 200 entries each, in block order (txHash, when given) and, for
 * callTracer and the struct logger, each transaction's gas used equal to its receipt's (the
 * receipts were already found equal on both nodes). anvil 1.7.1 reports a mined
 * transaction's *cumulative* block gas in its traces (foundry-rs/foundry#15893): an anvil
 * figure equal to the receipt's cumulativeGasUsed is counted as that known bug, not as a
 * disagreement; any other difference is.
 */
function traceCheck(name, block) {
  const { hashes, receipts } = block;
  return (a, b) => {
    const ea = entries(a);
    const eb = entries(b);
    if (ea === null || eb === null) return { ok: false, note: "not an array" };
    if (ea.length !== BLOCK_TXS || eb.length !== BLOCK_TXS)
      return { ok: false, note: `entries: Sonde ${ea.length}, anvil ${eb.length}, expected ${BLOCK_TXS}` };
    const diffs = [];
    let cumulative = 0;
    for (let i = 0; i < BLOCK_TXS; i++) {
      const ha = a[i]?.txHash;
      const hb = b[i]?.txHash;
      if ((ha !== undefined && ha !== hashes[i]) || (hb !== undefined && hb !== hashes[i]))
        diffs.push(`tx ${i}: txHash Sonde ${ha}, anvil ${hb}, block ${hashes[i]}`);
      const field = name.startsWith("trace-call") ? "gasUsed" : name === "trace-struct" ? "gas" : null;
      if (field === null) continue;
      const own = BigInt(receipts[i].gasUsed);
      const cum = BigInt(receipts[i].cumulativeGasUsed);
      const ga = ea[i]?.[field];
      const gb = eb[i]?.[field];
      if (ga === undefined || BigInt(ga) !== own)
        diffs.push(`tx ${i}: Sonde's trace says gas ${ga}, receipt ${own}`);
      if (gb !== undefined && BigInt(gb) === own) continue;
      if (gb !== undefined && BigInt(gb) === cum) cumulative++;
      else diffs.push(`tx ${i}: anvil's trace says gas ${gb}, receipt ${own} (cumulative ${cum})`);
    }
    if (name === "trace-struct" && countSteps(ea) !== countSteps(eb))
      diffs.push(`struct-log entries: Sonde ${countSteps(ea)}, anvil ${countSteps(eb)}`);
    if (diffs.length > 0)
      return {
        ok: false,
        gasMismatch: true,
        note: `${diffs.length} difference(s): ${diffs.slice(0, 3).join("; ")}`,
      };
    const parts = [`${BLOCK_TXS} entries`];
    if (name !== "trace-prestate") parts.push("Sonde's gas used = receipts'");
    if (cumulative > 0) parts.push(`anvil gives cumulative block gas for ${cumulative} (foundry#15893)`);
    if (name === "trace-struct") parts.push(`${countSteps(ea)} / ${countSteps(eb)} struct-log entries`);
    return { ok: true, anvilCumulativeGas: cumulative, note: parts.join(", ") };
  };
}

const countSteps = (list) => list.reduce((n, r) => n + (r?.structLogs?.length ?? 0), 0);

export async function main(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      only: { type: "string" },
      runs: { type: "string", default: "5" },
      calls: { type: "string", default: "2000" },
      concurrency: { type: "string", default: "8" },
      "no-build": { type: "boolean", default: false },
      "cpu-prof": { type: "string" },
      "no-steps-tracing": { type: "boolean", default: false },
      out: { type: "string", default: join(BENCH_DIR, "results", "node.json") },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      `${HELP}\nworkloads:\n${WORKLOADS.map((w) => `  ${w.name.padEnd(16)} ${w.what}`).join("\n")}\n`,
    );
    return 0;
  }
  const positive = (name) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`--${name}: expected a positive integer, got "${values[name]}"`);
    return n;
  };
  const runs = positive("runs");
  const calls = positive("calls");
  const concurrency = positive("concurrency");
  let selected = WORKLOADS;
  if (values.only !== undefined) {
    const want = values.only.split(",").map((s) => s.trim());
    for (const n of want) {
      if (!WORKLOADS.some((w) => w.name === n))
        throw new Error(`--only: unknown workload "${n}" (have ${WORKLOADS.map((w) => w.name).join(", ")})`);
    }
    selected = WORKLOADS.filter((w) => want.includes(w.name));
  }

  if (!values["no-build"]) buildSonde();
  const work = nodeWorkload();
  const cpuProfDir = values["cpu-prof"] === undefined ? null : resolve(values["cpu-prof"]);
  const startedAt = new Date().toISOString();
  const startLoad = os.loadavg();
  const problems = [];
  const results = [];
  let sonde = null;
  let anvil = null;
  const sides = [];
  const onSignal = (sig) => {
    anvil?.stop();
    if (sonde !== null) process.kill(sonde.pid, "SIGKILL");
    process.exit(sig === "SIGINT" ? 130 : 143);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  let block = null;
  try {
    sonde = await startSondeNode(REPO_DIR, { cpuProfDir });
    anvil = await startAnvil(REPO_DIR, {
      hardfork: FORK,
      chainId: CHAIN_ID,
      timestamp: null,
      accounts: 10,
      gasLimit: 30_000_000,
      stepsTracing: !values["no-steps-tracing"],
      extraArgs: ["--order", "fifo"],
    });
    sides.push(
      { name: "sonde", pid: sonde.pid, client: createRpcClient(sonde.url, { name: "sonde" }) },
      { name: "anvil", pid: anvil.pid, client: createRpcClient(anvil.url, { name: "anvil" }) },
    );
    log(
      `sonde: ${sonde.version} (pid ${sonde.pid}, ${sonde.url})\nanvil: ${anvil.version} (pid ${anvil.pid}, ${anvil.url})\n`,
    );

    // Same chain on both: chain id, fork-dependent head fields, funded accounts.
    for (const s of sides) {
      const id = Number(await s.client.rpc("eth_chainId"));
      if (id !== CHAIN_ID) throw new Error(`${s.name}: chain id ${id}, expected ${CHAIN_ID}`);
      for (const a of work.accounts.slice(0, ACCOUNT_COUNT)) {
        const bal = BigInt(await s.client.rpc("eth_getBalance", [a, "latest"]));
        if (bal < 10n ** 21n) throw new Error(`${s.name}: dev account ${a} holds only ${bal} wei`);
      }
    }
    const nonces = await Promise.all(
      work.accounts.map(async (a) =>
        Number(await sides[0].client.rpc("eth_getTransactionCount", [a, "latest"])),
      ),
    );
    for (const [i, a] of work.accounts.entries()) {
      const n = Number(await sides[1].client.rpc("eth_getTransactionCount", [a, "latest"]));
      if (n !== nonces[i]) throw new Error(`account ${a}: nonce ${nonces[i]} on Sonde, ${n} on anvil`);
    }
    log("deploying contracts… ");
    await runSetup(sides, await work.sign(work.setup, nonces), problems);
    for (const s of sides) {
      const code = await s.client.rpc("eth_getCode", [work.contracts.token, "latest"]);
      if (code === "0x") throw new Error(`${s.name}: no BenchToken code at ${work.contracts.token}`);
    }
    log("done\n");

    const needBlock = selected.some((w) => w.kind === "trace");
    if (needBlock) {
      log(`building a block of ${BLOCK_TXS} transactions on each node… `);
      const txs = await work.sign(work.blockTransactions(BLOCK_TXS), nonces);
      block = await buildBlock(sides, txs, problems);
      block.kinds = Object.fromEntries(
        [...new Set(txs.map((t) => t.what))].map((k) => [k, txs.filter((t) => t.what === k).length]),
      );
      log(
        `block ${BigInt(block.number)}: ${BLOCK_TXS} transactions, ${block.gasUsed} gas, ${block.failed} reverted\n`,
      );
      if (block.number !== block.anvilNumber)
        throw new Error(`block numbers differ: Sonde ${block.number}, anvil ${block.anvilNumber}`);
    }

    const balanceCall = [{ to: work.contracts.token, data: work.call.balanceOf(work.accounts[1]) }, "latest"];
    const heavyCall = (to) => ({ to, data: work.call.hashChain(HEAVY_ROUNDS), gas: hex(HEAVY_GAS) });
    const sameResult = (a, b) =>
      a === b
        ? { ok: true, note: "same result" }
        : { ok: false, note: `results differ: Sonde ${a}, anvil ${b}` };
    for (const w of selected) {
      log(`${w.name}: `);
      let r;
      if (w.kind === "sequential" || w.kind === "concurrent") {
        const [method, params] = w.name === "rpc-overhead" ? ["eth_chainId", []] : ["eth_call", balanceCall];
        const answers = await Promise.all(sides.map((s) => s.client.rpc(method, params)));
        const check = sameResult(...answers);
        r =
          w.kind === "sequential"
            ? await timeSequential(sides, calls, method, params)
            : await timeConcurrent(sides, calls, concurrency, method, params);
        r.check = check;
      } else if (w.kind === "runs") {
        const params =
          w.name === "call-heavy"
            ? () => [heavyCall(work.contracts.hash), "latest"]
            : () => [
                heavyCall(OVERRIDE_ADDRESS),
                "latest",
                { [OVERRIDE_ADDRESS]: { code: work.hashRuntime } },
              ];
        r = await timeRuns(sides, runs, "eth_call", params, sameResult);
      } else {
        const check = traceCheck(w.name, block);
        r = await timeRuns(sides, runs, "debug_traceBlockByNumber", () => [block.number, w.config], check);
      }
      const entry = { name: w.name, what: w.what, kind: w.kind, config: w.config ?? null, ...r };
      entry.ratio = r.sonde.medianMs / r.anvil.medianMs;
      results.push(entry);
      if (r.check.ok === false)
        problems.push(`${w.name}: ${r.check.gasMismatch ? "GAS MISMATCH: " : ""}${r.check.note}`);
      log(` Sonde ${fmt(r.sonde.medianMs, 3)} ms, anvil ${fmt(r.anvil.medianMs, 3)} ms; ${r.check.note}\n`);
    }
  } finally {
    for (const s of sides) s.client.close();
    anvil?.stop();
    await sonde?.stop();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }

  const MB = 1024 * 1024;
  const header = [
    "workload",
    "Sonde ms",
    "p95",
    "anvil ms",
    "p95",
    "Sonde ÷ anvil",
    "Sonde /s",
    "anvil /s",
    "MB",
    "check",
  ];
  const rows = results.map((r) => {
    const perCall = r.kind === "sequential" || r.kind === "concurrent";
    const d = perCall ? 3 : 1;
    return [
      r.name,
      fmt(r.sonde.medianMs, d),
      perCall ? fmt(r.sonde.p95Ms, d) : "-",
      fmt(r.anvil.medianMs, d),
      perCall ? fmt(r.anvil.p95Ms, d) : "-",
      fmt(r.ratio, 2),
      perCall ? fmt(r.sonde.perSecond, 0) : "-",
      perCall ? fmt(r.anvil.perSecond, 0) : "-",
      r.kind === "trace"
        ? `${fmt(r.sonde.responseBytes / MB, 2)} / ${fmt(r.anvil.responseBytes / MB, 2)}`
        : "-",
      r.check.ok ? "ok" : "DIFFER",
    ];
  });
  const text = table(header, rows);
  const load = startLoad.map((x) => x.toFixed(2)).join(" ");
  process.stdout.write(
    `fork ${FORK}, chain id ${CHAIN_ID}; ${calls} calls per node (concurrency ${concurrency}), ` +
      `${runs} timed runs for heavy calls and traces; load at start ${load}\n\n${text}\n`,
  );
  if (block !== null) {
    const b = block.building;
    process.stdout.write(
      `\nbuilding the ${BLOCK_TXS}-transaction block (one measurement each): ${BLOCK_TXS} sequential ` +
        `eth_sendRawTransaction Sonde ${fmt(b.sonde.sendRawTransactionMs, 0)} ms, anvil ` +
        `${fmt(b.anvil.sendRawTransactionMs, 0)} ms; evm_mine Sonde ${fmt(b.sonde.evmMineMs, 0)} ms, ` +
        `anvil ${fmt(b.anvil.evmMineMs, 0)} ms\n`,
    );
  }
  if (problems.length > 0) {
    process.stdout.write(`\n${"!".repeat(72)}\n`);
    for (const p of problems) process.stdout.write(`!! ${p}\n`);
    process.stdout.write(`${"!".repeat(72)}\n`);
  }
  const out = {
    benchmark: "node",
    startedAt,
    finishedAt: new Date().toISOString(),
    sonde: { commit: gitDescribe(), version: sonde?.version ?? null },
    anvil: anvil?.version ?? null,
    fork: FORK,
    chainId: CHAIN_ID,
    machine: machineInfo(startLoad),
    options: { runs, calls, concurrency, heavyRounds: HEAVY_ROUNDS, blockTransactions: BLOCK_TXS },
    timing:
      "wall time of one HTTP request on a keep-alive connection (node:http client), from sending " +
      "to the last byte of the response; both nodes on 127.0.0.1",
    block:
      block === null
        ? null
        : {
            number: block.number,
            gasUsed: block.gasUsed.toString(),
            reverted: block.failed,
            kinds: block.kinds,
            building: block.building,
          },
    contracts: work.contracts,
    problems,
    results,
    table: text,
  };
  writeJson(resolve(values.out), out);
  log(`wrote ${resolve(values.out)}\n`);
  if (cpuProfDir !== null) log(`Sonde CPU profile in ${cpuProfDir}\n`);
  return problems.length > 0 ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`bench:node: ${err.stack ?? err.message}\n`);
      process.exitCode = 2;
    },
  );
}
