/**
 * Optional third column: anvil (revm) from the `@foundry-rs/anvil-linux-amd64` npm package,
 * if it is installed (it is not a dependency; nothing here installs it). anvil runs on
 * 127.0.0.1 only; each workload is timed as `eth_call` (which never commits state, so every
 * call starts from the same fresh state), HTTP round trip included. Gas is read from a
 * callTracer `debug_traceCall` minus the intrinsic gas of the call.
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { freePort } from "./anvil-node.js";
import { bytesToHex } from "./workloads.js";

export const ANVIL_PACKAGE = "@foundry-rs/anvil-linux-amd64";

/** The anvil binary inside the npm package, or null with the reason. */
export function findAnvil(repoDir) {
  const pkgDir = join(repoDir, "node_modules", ...ANVIL_PACKAGE.split("/"));
  if (!existsSync(join(pkgDir, "package.json")))
    return { path: null, reason: `${ANVIL_PACKAGE} is not installed` };
  const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
  const candidates = [];
  if (typeof pkg.bin === "string") candidates.push(join(pkgDir, pkg.bin));
  else if (pkg.bin && typeof pkg.bin === "object")
    for (const b of Object.values(pkg.bin)) candidates.push(join(pkgDir, b));
  const walk = (d, depth) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      const st = statSync(p);
      if (st.isDirectory() && depth < 3) walk(p, depth + 1);
      else if (e === "anvil" && st.mode & 0o111) candidates.push(p);
    }
  };
  walk(pkgDir, 0);
  const path = candidates.find((p) => existsSync(p) && statSync(p).isFile());
  return path
    ? { path, reason: null }
    : { path: null, reason: `no anvil binary found in ${dirname(pkgDir)}` };
}

/** Intrinsic gas of a call with this calldata (no access list, no creation). */
export function intrinsicGas(input) {
  let g = 21000;
  for (const b of input) g += b === 0 ? 4 : 16;
  return g;
}

/** Starts anvil; returns { rpc(method, params), stop() }. */
export async function startAnvil(binary, fork) {
  const port = await freePort();
  const args = ["--host", "127.0.0.1", "--port", String(port), "--hardfork", fork];
  args.push("--disable-block-gas-limit", "--disable-code-size-limit", "--silent");
  const child = spawn(binary, args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  let id = 0;
  const url = `http://127.0.0.1:${port}`;
  const rpc = async (method, params) => {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params }),
    });
    const body = await res.json();
    if (body.error) throw new Error(`anvil ${method}: ${body.error.message}`);
    return body.result;
  };
  const stop = () => {
    if (child.exitCode === null) child.kill("SIGTERM");
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`anvil exited (${child.exitCode}): ${stderr.slice(0, 500)}`);
    try {
      await rpc("web3_clientVersion", []);
      break;
    } catch {
      if (Date.now() > deadline) {
        stop();
        throw new Error("anvil did not answer within 20 s");
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return { rpc, stop, version: await rpc("web3_clientVersion", []) };
}

/** Deploys the code at `to` and returns a call descriptor for eth_call / debug_traceCall. */
export async function anvilCall(anvil, { from, to, code, input, gas }) {
  await anvil.rpc("anvil_setCode", [to, bytesToHex(code)]);
  return { from, to, data: bytesToHex(input), gas: `0x${gas.toString(16)}` };
}

/**
 * Gas used by the call's execution as anvil reports it: callTracer's top-level gasUsed
 * (a receipt's figure: refunds already subtracted) less the intrinsic gas.
 */
export async function anvilGas(anvil, call, input) {
  const t = await anvil.rpc("debug_traceCall", [call, "latest", { tracer: "callTracer" }]);
  return BigInt(t.gasUsed) - BigInt(intrinsicGas(input));
}

/**
 * The same figure computed from an engine's execution gas (before refunds) and its final
 * refund counter, with the EIP-3529 cap of a fifth of the transaction's gas used.
 */
export function gasAfterRefund(executionGas, refund, input) {
  const intrinsic = BigInt(intrinsicGas(input));
  const cap = (executionGas + intrinsic) / 5n;
  return executionGas - (refund < cap ? refund : cap);
}
