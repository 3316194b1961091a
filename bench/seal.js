#!/usr/bin/env node
/**
 * Block sealing against the size of the state: how long a plain transfer takes to be
 * mined (eth_sendTransaction with a block sealed per transaction, then its receipt) on
 * `sonde node` in memory, `sonde node --datadir`, and anvil, as one contract's storage
 * grows. Before incremental state roots, Sonde's time grew with the whole state (about
 * 17 µs per storage slot per block in memory).
 *
 *   node bench/seal.js [--sizes N,N,…] [--transfers N] [--no-build] [--out FILE]
 *
 * Each node gets the same transactions: a contract whose call stores 1 in `count` fresh
 * slots from a start slot, called until the storage holds each size in turn; at each size,
 * `--transfers` transfers are timed one by one (the median is reported). The three nodes
 * run one after another on 127.0.0.1.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { DEV_ACCOUNT, startAnvil } from "./lib/anvil-node.js";
import { gitDescribe } from "./lib/machine.js";
import { buildSonde } from "./lib/sonde.js";
import { startSondeNode } from "./lib/sonde-node.js";
import { fmt, median, table } from "./lib/stats.js";
import { REPO_DIR } from "./lib/workloads.js";
import { writeJson } from "./lib/write-json.js";

const HELP = `usage: node bench/seal.js [options]
  --sizes N,N,…     storage sizes (slots) at which transfers are timed (default 0,10000,30000)
  --transfers N     transfers timed at each size (default 15)
  --no-build        do not run tsc first
  --out FILE        JSON results (default bench/results/seal-latest.json)`;

// calldata: start slot. Stores 1 in slots start .. start+599 (SSTORE loop), then stops.
//   PUSH0 CALLDATALOAD PUSH2 600 JUMPDEST DUP1 ISZERO PUSH1 24 JUMPI PUSH1 1 DUP3 DUP3 ADD
//   SSTORE PUSH1 1 SWAP1 SUB PUSH1 5 JUMP JUMPDEST STOP
const FILL_RUNTIME = "5f356102585b801560185760018282015560019003600556" + "5b00";
const PER_CALL = 600;
const BOB = "0x00000000000000000000000000000000000000bb";

function hex(n) {
  return `0x${BigInt(n).toString(16)}`;
}

async function rpc(url, method, params = []) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const r = await res.json();
  if (r.error) throw new Error(`${method}: ${r.error.message}`);
  return r.result;
}

async function mined(url, hash) {
  for (let i = 0; i < 6000; i++) {
    const receipt = await rpc(url, "eth_getTransactionReceipt", [hash]);
    if (receipt !== null) return receipt;
    await new Promise((r) => setTimeout(r, 1));
  }
  throw new Error(`${hash} not mined within 30 s`);
}

/** Fills to each size, timing `transfers` transfers there; returns the medians in ms. */
async function measure(url, sizes, transfers) {
  const len = (FILL_RUNTIME.length / 2).toString(16).padStart(2, "0");
  const deploy = await rpc(url, "eth_sendTransaction", [
    { from: DEV_ACCOUNT, data: `0x60${len}8060095f395ff3${FILL_RUNTIME}`, gas: hex(1_000_000) },
  ]);
  const contract = (await mined(url, deploy)).contractAddress;
  let slots = 0;
  const out = [];
  for (const size of sizes) {
    while (slots < size) {
      const h = await rpc(url, "eth_sendTransaction", [
        {
          from: DEV_ACCOUNT,
          to: contract,
          data: `0x${slots.toString(16).padStart(64, "0")}`,
          gas: hex(15_000_000),
        },
      ]);
      const r = await mined(url, h);
      if (r.status !== "0x1") throw new Error(`fill transaction failed: ${h}`);
      slots += PER_CALL;
    }
    const times = [];
    for (let i = 0; i < transfers; i++) {
      const t0 = performance.now();
      const h = await rpc(url, "eth_sendTransaction", [
        { from: DEV_ACCOUNT, to: BOB, value: "0x1", gas: hex(21_000) },
      ]);
      await mined(url, h);
      times.push(performance.now() - t0);
    }
    out.push({ size: slots, ms: median(times) });
  }
  return out;
}

async function main() {
  const { values } = parseArgs({
    options: {
      sizes: { type: "string" },
      transfers: { type: "string" },
      "no-build": { type: "boolean" },
      out: { type: "string" },
      help: { type: "boolean" },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const sizes = (values.sizes ?? "0,10000,30000").split(",").map(Number);
  const transfers = Number(values.transfers ?? 15);
  if (!values["no-build"]) buildSonde();
  const results = {};
  const dir = mkdtempSync(join(tmpdir(), "sonde-seal-"));
  try {
    for (const [name, start] of [
      ["sonde (memory)", () => startSondeNode(REPO_DIR)],
      ["sonde (--datadir)", () => startSondeNode(REPO_DIR, { extraArgs: ["--datadir", dir] })],
      ["anvil", () => startAnvil(REPO_DIR, { hardfork: "osaka", chainId: 1337, stepsTracing: false })],
    ]) {
      const node = await start();
      try {
        console.log(`${name}: filling and timing…`);
        results[name] = await measure(node.url, sizes, transfers);
      } finally {
        await node.stop();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const names = Object.keys(results);
  const rows = results[names[0]].map((r, i) => [
    String(r.size),
    ...names.map((n) => fmt(results[n][i].ms, 1)),
    fmt(results[names[0]][i].ms / results.anvil[i].ms, 2),
    fmt(results[names[1]][i].ms / results.anvil[i].ms, 2),
  ]);
  console.log(
    table(["storage slots", ...names.map((n) => `${n} ms`), "memory ÷ anvil", "datadir ÷ anvil"], rows),
  );
  writeJson(values.out ?? join(REPO_DIR, "bench", "results", "seal-latest.json"), {
    git: gitDescribe(),
    date: new Date().toISOString(),
    transfers,
    results,
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
