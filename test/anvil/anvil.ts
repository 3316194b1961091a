/**
 * anvil (foundry's dev node, revm underneath) as a reference for differential tests:
 * locating the binary installed by the `@foundry-rs/anvil-linux-amd64` devDependency,
 * starting it on 127.0.0.1 with fixed settings (or from a genesis.json), a JSON-RPC client
 * over plain fetch (also used for other servers), and stopping it by its process id.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const repoDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Where the devDependency puts the binary. */
export const ANVIL_BINARY = join(repoDir, "node_modules", "@foundry-rs", "anvil-linux-amd64", "bin", "anvil");

/** The path of the anvil binary; throws (never skips) when it is not installed. */
export function findAnvil(): string {
  if (!existsSync(ANVIL_BINARY)) {
    throw new Error(
      `anvil binary not found at ${ANVIL_BINARY}: install the devDependency @foundry-rs/anvil-linux-amd64 (npm ci)`,
    );
  }
  return ANVIL_BINARY;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      const port = typeof addr === "object" && addr !== null ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export class RpcError extends Error {
  constructor(
    readonly method: string,
    readonly code: number,
    message: string,
    readonly data: unknown,
    label = "anvil",
  ) {
    super(`${label} ${method}: ${message} (code ${code})`);
    this.name = "RpcError";
  }
}

/** A JSON-RPC client over HTTP (plain fetch). */
export interface RpcClient {
  url: string;
  rpc<T = unknown>(method: string, params?: unknown[]): Promise<T>;
  /** Several calls in one JSON-RPC batch; results in order, errors thrown. */
  batch<T = unknown>(calls: [string, unknown[]][]): Promise<T[]>;
}

/** A JSON-RPC client for `url`; `label` names the server in errors. */
export function rpcClient(url: string, label: string): RpcClient {
  let id = 0;
  const post = async (body: unknown): Promise<unknown> => {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return res.json();
  };
  type Reply = { result?: unknown; error?: { code: number; message: string; data?: unknown } };
  const unwrap = (method: string, r: Reply) => {
    if (r.error) throw new RpcError(method, r.error.code, r.error.message, r.error.data, label);
    return r.result;
  };
  return {
    url,
    async rpc<T>(method: string, params: unknown[] = []) {
      return unwrap(method, (await post({ jsonrpc: "2.0", id: ++id, method, params })) as Reply) as T;
    },
    async batch<T>(calls: [string, unknown[]][]) {
      if (calls.length === 0) return [];
      const first = id + 1;
      const body = calls.map(([method, params]) => ({ jsonrpc: "2.0", id: ++id, method, params }));
      const replies = (await post(body)) as (Reply & { id: number })[];
      if (!Array.isArray(replies))
        throw new Error(`${label}: a batch got ${JSON.stringify(replies).slice(0, 200)}`);
      const byId = new Map(replies.map((r) => [r.id, r]));
      return calls.map(([method], i) => unwrap(method, byId.get(first + i) ?? {})) as T[];
    },
  };
}

export interface Anvil extends RpcClient {
  pid: number;
  stop(): void;
}

export interface AnvilSettings {
  hardfork: string;
  /** Chain id; with `init`, taken from the genesis file when left out. */
  chainId?: number;
  /** Genesis timestamp (later blocks follow the wall clock); with `init`, from the genesis file when left out. */
  timestamp?: number;
  /**
   * A go-ethereum genesis.json to start from (anvil's --init): its config, header fields and
   * alloc. The mnemonic's dev accounts are still funded with anvil's default balance.
   */
  init?: string;
  /** How many of the mnemonic's dev accounts anvil funds and unlocks (default 4). */
  accounts?: number;
  /**
   * Record every step at mining time (--steps-tracing, default true): anvil serves the default
   * (struct-logger) trace of a mined transaction from that record, and returns no structLogs without it.
   */
  stepsTracing?: boolean;
  /** Further command-line options (e.g. --disable-default-create2-deployer). */
  extraArgs?: string[];
}

/** Starts anvil and resolves once it answers JSON-RPC (rejects after `readyMs`). */
export async function startAnvil(settings: AnvilSettings, readyMs = 15_000): Promise<Anvil> {
  const binary = findAnvil();
  const port = await freePort();
  const args = [
    "--host",
    "127.0.0.1",
    "--port",
    String(port),
    "--hardfork",
    settings.hardfork,
    ...(settings.chainId === undefined ? [] : ["--chain-id", String(settings.chainId)]),
    ...(settings.timestamp === undefined ? [] : ["--timestamp", String(settings.timestamp)]),
    ...(settings.init === undefined ? [] : ["--init", settings.init]),
    "--accounts",
    String(settings.accounts ?? 4),
    "--mnemonic",
    "test test test test test test test test test test test junk",
    ...(settings.stepsTracing === false ? [] : ["--steps-tracing"]),
    "--quiet",
    ...(settings.extraArgs ?? []),
  ];
  const child: ChildProcess = spawn(binary, args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  let exited: string | null = null;
  child.stderr?.on("data", (d) => {
    stderr += String(d);
  });
  child.on("exit", (code, signal) => {
    exited = `exited with ${code ?? signal}`;
  });
  const url = `http://127.0.0.1:${port}`;
  const anvil: Anvil = {
    ...rpcClient(url, "anvil"),
    pid: child.pid ?? -1,
    stop() {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        process.kill(child.pid, "SIGKILL");
      }
    },
  };
  if (child.pid === undefined) throw new Error(`could not start anvil (${binary})`);
  // Should the caller never reach stop() (a crash, an early exit), still end anvil with us.
  const onExit = () => anvil.stop();
  process.once("exit", onExit);
  child.once("exit", () => process.off("exit", onExit));
  const deadline = Date.now() + readyMs;
  for (;;) {
    if (exited !== null) throw new Error(`anvil ${exited} before answering: ${stderr.trim()}`);
    try {
      await anvil.rpc("web3_clientVersion");
      return anvil;
    } catch (e) {
      if (Date.now() > deadline) {
        anvil.stop();
        throw new Error(`anvil did not answer on ${url} within ${readyMs} ms: ${(e as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
