/**
 * `sonde node` as a child process for the node benchmark (bench/node.js): the development
 * chain (chain id 1337, Osaka, the test-mnemonic accounts funded) on 127.0.0.1 and a free
 * port, run from dist/ through bin/sonde.js. Resolves once it answers JSON-RPC; stopped by
 * its process id (SIGKILL) on stop() and whenever this process exits.
 *
 * With `cpuProfDir`, Node writes a V8 CPU profile (--cpu-prof) there; stop() then sends
 * SIGTERM, which a preloaded module turns into process.exit() so the profile is written.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "./anvil-node.js";
import { createRpcClient } from "./jsonrpc.js";

const EXIT_ON_SIGTERM = fileURLToPath(new URL("./exit-on-sigterm.js", import.meta.url));

export async function startSondeNode(repoDir, { cpuProfDir = null, readyMs = 30_000, extraArgs = [] } = {}) {
  const port = await freePort();
  const nodeArgs = [];
  if (cpuProfDir !== null)
    nodeArgs.push("--cpu-prof", "--cpu-prof-dir", cpuProfDir, "--import", EXIT_ON_SIGTERM);
  const args = [...nodeArgs, join(repoDir, "bin", "sonde.js"), "node", "--http.addr", "127.0.0.1"];
  args.push("--http.port", String(port), ...extraArgs);
  const child = spawn(process.execPath, args, { cwd: repoDir, stdio: ["ignore", "pipe", "pipe"] });
  if (child.pid === undefined) throw new Error("could not start `node bin/sonde.js node`");
  let output = "";
  const keep = (d) => {
    if (output.length < 20_000) output += String(d);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const pid = child.pid;
  const running = () => child.exitCode === null && child.signalCode === null;
  const kill = () => {
    if (running()) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* already gone */
      }
    }
  };
  process.once("exit", kill);
  child.once("exit", () => process.off("exit", kill));
  /** Stops the node; with a CPU profile, waits (up to 20 s) for it to be written. */
  const stop = async () => {
    if (!running()) return;
    if (cpuProfDir === null) return kill();
    const exited = new Promise((r) => child.once("exit", r));
    process.kill(pid, "SIGTERM");
    const timer = setTimeout(kill, 20_000);
    await exited;
    clearTimeout(timer);
  };
  const url = `http://127.0.0.1:${port}`;
  const probe = createRpcClient(url, { name: "sonde", maxSockets: 1 });
  const deadline = Date.now() + readyMs;
  try {
    for (;;) {
      if (!running()) throw new Error(`sonde node exited (${child.exitCode ?? child.signalCode}): ${output}`);
      try {
        const version = await probe.rpc("web3_clientVersion");
        return { url, pid, stop, version, output: () => output };
      } catch (e) {
        if (Date.now() > deadline)
          throw new Error(`sonde node did not answer on ${url} within ${readyMs} ms: ${e.message}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } catch (e) {
    kill();
    throw e;
  } finally {
    probe.close();
  }
}
