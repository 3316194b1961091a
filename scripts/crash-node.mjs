#!/usr/bin/env node
// Kills `sonde node --datadir` with SIGKILL during continuous block production, restarts
// it, and checks that nothing acknowledged was lost and nothing is corrupt.
//
// Each round starts the node on the same datadir, sends transfers from a development
// account as fast as the node takes them (every transaction is sealed into a block at
// once), records every block the node has reported through eth_getBlockByNumber("latest")
// as acknowledged, and SIGKILLs the process at a random moment. After the restart, every
// acknowledged block must be returned by eth_getBlockByHash at its number, the head must
// be at or above the last acknowledged block, the sender's nonce must equal the number of
// transactions in the chain, and the chain must accept new blocks.
//
// Usage: node scripts/crash-node.mjs [--rounds N] (default 20)
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const sonde = join(root, "bin", "sonde.js");
const at = process.argv.indexOf("--rounds");
const rounds = at >= 0 ? Number(process.argv[at + 1]) : 20;
const FROM = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"; // dev account 0
const TO = "0x00000000000000000000000000000000000000aa";

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

async function rpc(url, method, params = []) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const j = await res.json();
  if (j.error) throw new Error(`${method}: ${j.error.message}`);
  return j.result;
}

async function start(datadir) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [sonde, "node", "--datadir", datadir, "--http.port", String(port)], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  for (let i = 0; ; i++) {
    try {
      await rpc(url, "eth_blockNumber");
      return { child, url };
    } catch (err) {
      if (child.exitCode !== null || i > 200) throw new Error(`node did not start: ${err.message}\n${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

const datadir = mkdtempSync(join(tmpdir(), "sonde-crash-node-"));
const acknowledged = new Map(); // number → hash
let failures = 0;
try {
  for (let round = 1; round <= rounds; round++) {
    const { child, url } = await start(datadir);
    // Check what earlier rounds acknowledged.
    const head = BigInt(await rpc(url, "eth_blockNumber"));
    let lost = 0;
    for (const [n, hash] of acknowledged) {
      const b = await rpc(url, "eth_getBlockByHash", [hash, false]);
      if (b === null || BigInt(b.number) !== n) lost++;
    }
    const maxAck = [...acknowledged.keys()].reduce((a, b) => (b > a ? b : a), 0n);
    const nonce = BigInt(await rpc(url, "eth_getTransactionCount", [FROM, "latest"]));
    let txs = 0n;
    for (let n = 1n; n <= head; n++) txs += BigInt(await rpc(url, "eth_getBlockTransactionCountByNumber", [`0x${n.toString(16)}`]));
    const ok = lost === 0 && head >= maxAck && nonce === txs;
    if (!ok) failures++;
    console.log(
      `round ${round}: restarted at head ${head} (${acknowledged.size} acknowledged blocks, highest ${maxAck}); lost ${lost}; nonce ${nonce} vs ${txs} transactions: ${ok ? "ok" : "FAILED"}`,
    );
    // Produce blocks until a random moment, then SIGKILL.
    const killAfter = 300 + Math.floor(Math.random() * 1200);
    const t0 = Date.now();
    const killer = setTimeout(() => child.kill("SIGKILL"), killAfter);
    try {
      while (Date.now() - t0 < killAfter + 1000 && child.exitCode === null && child.signalCode === null) {
        await rpc(url, "eth_sendTransaction", [{ from: FROM, to: TO, value: "0x1" }]);
        const b = await rpc(url, "eth_getBlockByNumber", ["latest", false]);
        acknowledged.set(BigInt(b.number), b.hash);
      }
    } catch {
      // The node was killed mid-request: expected.
    }
    clearTimeout(killer);
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once("exit", r)));
  }
  // A last start: the chain must still accept blocks.
  const { child, url } = await start(datadir);
  const before = BigInt(await rpc(url, "eth_blockNumber"));
  await rpc(url, "eth_sendTransaction", [{ from: FROM, to: TO, value: "0x1" }]);
  await new Promise((r) => setTimeout(r, 300));
  const after = BigInt(await rpc(url, "eth_blockNumber"));
  child.kill("SIGKILL");
  if (after <= before) failures++;
  console.log(`after ${rounds} kills: ${acknowledged.size} acknowledged blocks; new block sealed: ${after > before}`);
} finally {
  rmSync(datadir, { recursive: true, force: true });
}
console.log(`${rounds + 1 - failures} passed, ${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
