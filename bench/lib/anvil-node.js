/**
 * anvil for the tracer benchmark (bench/tracers.js), in plain JavaScript: starts the binary
 * of the `@foundry-rs/anvil-linux-amd64` devDependency on 127.0.0.1 (random port) with the
 * settings of the differential tests (test/anvil/anvil.ts: Prague, chain id 31337, the
 * standard test mnemonic, `--steps-tracing` so that debug_traceTransaction's struct logger
 * returns entries), sends transactions, times debug_traceTransaction requests, and reads
 * what Sonde needs to re-execute a mined transaction (the data test/anvil/replay.ts
 * gathers, kept as plain JSON so a child process can rebuild it).
 *
 * anvil is stopped by its process id (SIGKILL), on stop() and whenever this process exits.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

export const ANVIL_SETTINGS = { hardfork: "prague", chainId: 31337, timestamp: 1_750_000_000 };

/** anvil's first dev account (mnemonic "test test … junk"), unlocked. */
export const DEV_ACCOUNT = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";

export function anvilBinary(repoDir) {
  const p = join(repoDir, "node_modules", "@foundry-rs", "anvil-linux-amd64", "bin", "anvil");
  if (!existsSync(p)) {
    throw new Error(
      `anvil binary not found at ${p}: install the devDependency @foundry-rs/anvil-linux-amd64 (npm ci)`,
    );
  }
  return p;
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const hex = (v) => `0x${BigInt(v).toString(16)}`;

/** Reads a field (in kB) of /proc/<pid>/status, or null. */
export function procStatusKb(pid, field) {
  try {
    const m = readFileSync(`/proc/${pid}/status`, "utf8").match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** CPU time (user + system, in clock ticks) a process has used so far, or null. */
export function cpuTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

/**
 * Waits until process `pid` uses no CPU for `quietMs` (at most `maxMs`): anvil keeps working
 * for a while after sending a large response (freeing it), and a Sonde run started then
 * would share the two cores with it. Returns the milliseconds waited.
 */
export async function waitIdle(pid, quietMs = 100, maxMs = 10_000) {
  const t0 = Date.now();
  let last = cpuTicks(pid);
  let quietSince = Date.now();
  while (last !== null && Date.now() - t0 < maxMs) {
    await new Promise((r) => setTimeout(r, 20));
    const now = cpuTicks(pid);
    if (now !== last) quietSince = Date.now();
    else if (Date.now() - quietSince >= quietMs) break;
    last = now;
  }
  return Date.now() - t0;
}

/** Resets a process's peak RSS (VmHWM) to its current RSS; false when the kernel refuses. */
export function resetPeakRss(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts anvil; resolves once it answers. `options` overrides ANVIL_SETTINGS (hardfork,
 * chainId, timestamp: null for anvil's own clock), the number of dev `accounts` (4), the
 * block `gasLimit` (100 M), `stepsTracing: false` to leave out --steps-tracing, and adds
 * `extraArgs`; `readyMs` bounds the wait for an answer.
 */
export async function startAnvil(repoDir, options = {}) {
  const {
    readyMs = 20_000,
    accounts = 4,
    gasLimit = 100_000_000,
    stepsTracing = true,
    extraArgs = [],
  } = options;
  const s = { ...ANVIL_SETTINGS, ...options };
  const binary = anvilBinary(repoDir);
  const port = await freePort();
  const args = ["--host", "127.0.0.1", "--port", String(port), "--hardfork", s.hardfork];
  args.push("--chain-id", String(s.chainId), "--accounts", String(accounts));
  if (s.timestamp !== null) args.push("--timestamp", String(s.timestamp));
  args.push("--mnemonic", "test test test test test test test test test test test junk");
  if (stepsTracing) args.push("--steps-tracing");
  args.push("--gas-limit", String(gasLimit), "--quiet", ...extraArgs);
  const child = spawn(binary, args, { stdio: ["ignore", "ignore", "pipe"] });
  if (child.pid === undefined) throw new Error(`could not start anvil (${binary})`);
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += String(d);
  });
  const url = `http://127.0.0.1:${port}`;
  let id = 0;
  const post = async (body) => {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return res.json();
  };
  const unwrap = (method, r) => {
    if (r?.error) throw new Error(`anvil ${method}: ${r.error.message} (code ${r.error.code})`);
    return r?.result;
  };
  const pid = child.pid;
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* already gone */
      }
    }
  };
  process.once("exit", stop);
  child.once("exit", () => process.off("exit", stop));
  const anvil = {
    url,
    pid,
    stop,
    stderr: () => stderr,
    rpc: async (method, params = []) =>
      unwrap(method, await post({ jsonrpc: "2.0", id: ++id, method, params })),
    async batch(calls) {
      if (calls.length === 0) return [];
      const first = id + 1;
      const replies = await post(
        calls.map(([method, params]) => ({ jsonrpc: "2.0", id: ++id, method, params })),
      );
      const byId = new Map(replies.map((r) => [r.id, r]));
      return calls.map(([method], i) => unwrap(method, byId.get(first + i)));
    },
    /**
     * One timed JSON-RPC request: wall time from sending to the last byte of the response
     * (HTTP and JSON transfer included), the response's size, and the response itself.
     */
    async timed(method, params) {
      const body = JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params });
      const t0 = process.hrtime.bigint();
      const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body });
      const buf = Buffer.from(await res.arrayBuffer());
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      return { ms, bytes: buf.length, buf };
    },
  };
  const deadline = Date.now() + readyMs;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`anvil exited (${child.exitCode}) before answering: ${stderr}`);
    try {
      anvil.version = await anvil.rpc("web3_clientVersion");
      return anvil;
    } catch (e) {
      if (Date.now() > deadline) {
        stop();
        throw new Error(`anvil did not answer on ${url} within ${readyMs} ms: ${e.message}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Sends a transaction from the dev account and waits for its receipt. */
export async function sendTx(anvil, { to, data, gas }) {
  const hash = await anvil.rpc("eth_sendTransaction", [{ from: DEV_ACCOUNT, to, data, gas: hex(gas) }]);
  for (let i = 0; i < 3000; i++) {
    const receipt = await anvil.rpc("eth_getTransactionReceipt", [hash]);
    if (receipt !== null) return { hash, receipt };
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`transaction ${hash} was not mined within 30 s`);
}

/**
 * What Sonde needs to re-execute the mined transaction `hash` (as test/anvil/replay.ts's
 * prepareTransaction): the raw transaction, its sender, the block header fields, the hashes
 * of the 256 blocks before, and the pre-state of the accounts anvil's prestateTracer names
 * (plus sender, recipient and coinbase) read at the parent block.
 */
export async function replayJob(anvil, hash) {
  const [info, raw, prestate] = await anvil.batch([
    ["eth_getTransactionByHash", [hash]],
    ["eth_getRawTransactionByHash", [hash]],
    ["debug_traceTransaction", [hash, { tracer: "prestateTracer" }]],
  ]);
  const number = BigInt(info.blockNumber);
  const header = await anvil.rpc("eth_getBlockByNumber", [hex(number), false]);
  const lo = number > 256n ? number - 256n : 0n;
  const calls = [];
  for (let n = lo; n < number; n++) calls.push(["eth_getBlockByNumber", [hex(n), false]]);
  const blockHashes = {};
  (await anvil.batch(calls)).forEach((b, i) => {
    blockHashes[(lo + BigInt(i)).toString()] = b.hash;
  });
  const slots = new Map();
  for (const [addr, acc] of Object.entries(prestate ?? {})) {
    slots.set(addr.toLowerCase(), Object.keys(acc.storage ?? {}));
  }
  const addrs = [...new Set([...slots.keys(), info.from.toLowerCase(), header.miner.toLowerCase(), info.to])]
    .filter((a) => typeof a === "string")
    .map((a) => a.toLowerCase())
    .sort();
  const at = hex(number - 1n);
  const reads = [];
  for (const a of addrs) {
    reads.push(["eth_getBalance", [a, at]], ["eth_getTransactionCount", [a, at]], ["eth_getCode", [a, at]]);
    for (const k of slots.get(a) ?? []) reads.push(["eth_getStorageAt", [a, k, at]]);
  }
  const results = await anvil.batch(reads);
  let i = 0;
  const alloc = {};
  for (const a of addrs) {
    const balance = results[i++];
    const nonce = results[i++];
    const code = results[i++];
    const storage = {};
    for (const k of slots.get(a) ?? []) {
      const v = results[i++];
      if (BigInt(v) !== 0n) storage[k] = v;
    }
    const empty = BigInt(balance) === 0n && BigInt(nonce) === 0n && code === "0x";
    if (empty && Object.keys(storage).length === 0) continue;
    alloc[a] = { balance, nonce, code, storage };
  }
  return {
    rawTx: raw,
    sender: info.from.toLowerCase(),
    chainId: ANVIL_SETTINGS.chainId,
    gasLimit: info.gas,
    // The same message as an eth_call at the parent block (the untraced baseline).
    call: { from: info.from, to: info.to, data: info.input, gas: info.gas },
    parentBlock: at,
    header,
    blockHashes,
    alloc,
  };
}
