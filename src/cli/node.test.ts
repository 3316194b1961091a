import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FORK_BLOCKS_TO_LONDON } from "../chain/config.js";
import { DEFAULT_TRACE_MAX_BYTES } from "../rpc/types.js";
import { parseNodeOptions, startNode } from "./node.js";

const bin = join(import.meta.dirname, "..", "..", "bin", "sonde.js");

describe("sonde node options", () => {
  it("has geth-like defaults with debug, trace and evm only on loopback", () => {
    const o = parseNodeOptions([]);
    if (o === "help") throw new Error("help");
    expect(o.http).toEqual({
      host: "127.0.0.1",
      port: 8545,
      apis: new Set(["eth", "net", "web3", "txpool", "debug", "trace", "evm"]),
    });
    // WebSocket on the HTTP listener by default, as anvil; --no-ws turns it off.
    expect(o.ws).toEqual({ host: "127.0.0.1", port: 8545, apis: o.http.apis });
    const noWs = parseNodeOptions(["--no-ws"]);
    if (noWs === "help") throw new Error("help");
    expect(noWs.ws).toBeUndefined();
    expect(o.blockTime).toBe(0);
    const open = parseNodeOptions(["--http.addr", "0.0.0.0", "--ws"]);
    if (open === "help") throw new Error("help");
    expect(open.http.apis.has("debug")).toBe(false);
    expect(open.http.apis.has("trace")).toBe(false);
    expect(open.http.apis.has("evm")).toBe(false);
    expect(open.ws).toEqual({ host: "0.0.0.0", port: 8545, apis: new Set(["eth", "net", "web3", "txpool"]) });
    const named = parseNodeOptions([
      "--http.addr",
      "0.0.0.0",
      "--http.api",
      "eth,debug",
      "--ws",
      "--ws.port",
      "8546",
    ]);
    if (named === "help") throw new Error("help");
    expect(named.http.apis).toEqual(new Set(["eth", "debug"]));
    expect(named.ws?.port).toBe(8546);
    const rest = parseNodeOptions([
      "--block-time",
      "2",
      "--datadir",
      "/tmp/x",
      "--gcmode",
      "archive",
      "--genesis",
      "g.json",
    ]);
    expect(rest).toMatchObject({ blockTime: 2, datadir: "/tmp/x", gcmode: "archive", genesisFile: "g.json" });
    expect(rest).toMatchObject({ mining: true });
    expect(parseNodeOptions(["--no-mining"])).toMatchObject({ mining: false, blockTime: 0 });
  });

  it("names bad options", () => {
    expect(() => parseNodeOptions(["--http.port", "x"])).toThrow(
      '--http.port: expected a port number 0-65535, got "x"',
    );
    expect(() => parseNodeOptions(["--http.api", "eth,admin"])).toThrow(/unknown API namespace "admin"/);
    expect(() => parseNodeOptions(["--no-ws", "--ws.port", "1"])).toThrow(
      "--ws.port and --no-ws exclude each other",
    );
    expect(() => parseNodeOptions(["--no-ws", "--ws"])).toThrow("--ws and --no-ws exclude each other");
    expect(() => parseNodeOptions(["--block-time", "0"])).toThrow(/--block-time: expected a positive number/);
    expect(() => parseNodeOptions(["--no-mining", "--block-time", "1"])).toThrow(
      "--block-time and --no-mining exclude each other",
    );
    expect(() => parseNodeOptions(["--gcmode", "fast"])).toThrow(
      '--gcmode: expected archive or full, got "fast"',
    );
  });

  it("reads --rpc.gascap, --rpc.evmtimeout and --rpc.trace-max-size, and serves testing only when listed", async () => {
    const o = parseNodeOptions(["--rpc.gascap", "0", "--rpc.evmtimeout", "1m30s"]);
    if (o === "help") throw new Error("help");
    expect(o.gasCap).toBe(0n);
    expect(o.evmTimeoutMs).toBe(90_000);
    expect(o.http.apis.has("testing")).toBe(false);
    const t = parseNodeOptions(["--http.api", "eth,testing", "--rpc.evmtimeout", "0"]);
    if (t === "help") throw new Error("help");
    expect(t.http.apis).toEqual(new Set(["eth", "testing"]));
    expect(t.evmTimeoutMs).toBe(0);
    expect(() => parseNodeOptions(["--rpc.gascap", "-1"])).toThrow(
      '--rpc.gascap: expected a gas amount (0 for no cap), got "-1"',
    );
    expect(() => parseNodeOptions(["--rpc.evmtimeout", "5"])).toThrow(
      '--rpc.evmtimeout: expected a duration such as 5s, 500ms or 1m30s (0 for none), got "5"',
    );
    const m = parseNodeOptions(["--rpc.trace-max-size", "1000000"]);
    if (m === "help") throw new Error("help");
    expect(m.traceMaxBytes).toBe(1_000_000);
    for (const bad of ["0", "1e6", "600000000"]) {
      expect(() => parseNodeOptions(["--rpc.trace-max-size", bad])).toThrow(
        `--rpc.trace-max-size: expected a number of bytes from 1 to 536000000, got "${bad}"`,
      );
    }
    // The defaults reach the RPC layer: go-ethereum's 50M gas cap and 5 s timeout.
    const d = parseNodeOptions(["--http.port", "0"]);
    if (d === "help") throw new Error("help");
    const started = await startNode(d);
    try {
      expect(started.server.handler.env.gasCap).toBe(50_000_000n);
      expect(started.server.handler.env.evmTimeoutMs).toBe(5000);
      expect(started.server.handler.env.traceMaxBytes).toBe(DEFAULT_TRACE_MAX_BYTES);
    } finally {
      await started.close();
    }
  });

  it("prints a one-line error for a bad option or genesis (compiled CLI)", () => {
    const r = spawnSync(process.execPath, [bin, "node", "--http.port", "99999"], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('sonde node: --http.port: expected a port number 0-65535, got "99999"\n');
    const dir = mkdtempSync(join(tmpdir(), "sonde-node-"));
    writeFileSync(join(dir, "g.json"), JSON.stringify({ config: { chainId: 7 }, alloc: { "0xaa": {} } }));
    const g = spawnSync(process.execPath, [bin, "node", "--genesis", join(dir, "g.json")], {
      encoding: "utf8",
    });
    expect(g.status).toBe(2);
    expect(g.stderr).toBe("sonde node: genesis alloc.0xaa: missing balance\n");
  });

  it("starts from a genesis file and serves it (compiled CLI)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sonde-node-"));
    const acct = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";
    writeFileSync(
      join(dir, "g.json"),
      JSON.stringify({
        config: {
          chainId: 4242,
          ...FORK_BLOCKS_TO_LONDON,
          terminalTotalDifficulty: 0,
          shanghaiTime: 0,
        },
        alloc: { [acct]: { balance: "0x100" } },
        gasLimit: "0x1c9c380",
        difficulty: "0x0",
      }),
    );
    const child = spawn(process.execPath, [
      bin,
      "node",
      "--genesis",
      join(dir, "g.json"),
      "--http.port",
      "0",
    ]);
    try {
      let out = "";
      const url = await new Promise<string>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no banner: ${out}`)), 20000);
        child.stdout.on("data", (d) => {
          out += d.toString();
          const m = /HTTP JSON-RPC:\s+(http:\/\/\S+)/.exec(out);
          if (m) {
            clearTimeout(t);
            resolve(m[1]!);
          }
        });
      });
      expect(out).toMatch(/chain id 4242, Shanghai/);
      const res = await fetch(url, {
        method: "POST",
        body: JSON.stringify([
          { jsonrpc: "2.0", id: 1, method: "eth_chainId" },
          { jsonrpc: "2.0", id: 2, method: "eth_getBalance", params: [acct, "latest"] },
          { jsonrpc: "2.0", id: 3, method: "eth_accounts" },
        ]),
      });
      expect(await res.json()).toEqual([
        { jsonrpc: "2.0", id: 1, result: "0x1092" },
        { jsonrpc: "2.0", id: 2, result: "0x100" },
        { jsonrpc: "2.0", id: 3, result: [acct] },
      ]);
    } finally {
      child.kill();
    }
  }, 30000);
});
