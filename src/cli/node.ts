/**
 * `sonde node`: a development node — a chain, a transaction pool and JSON-RPC over HTTP
 * and WebSocket, for viem, ethers, cast and friends. See HELP for the options.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { InvalidInputError } from "../errors.js";
import { forkName } from "../evm/forks.js";
import { engineVariant, VARIANT_NAMES } from "../evm/variants.js";
import { checksumAddress } from "../node/checksum.js";
import { DEV_MNEMONIC, devAccounts, devGenesisJson } from "../node/devchain.js";
import { type Genesis, parseGenesis } from "../node/genesis.js";
import { DevNode, type GcMode } from "../node/node.js";
import { bytesToHex } from "../primitives/hex.js";
import { DEFAULT_EVM_TIMEOUT_MS, DEFAULT_GAS_CAP } from "../rpc/exec.js";
import { ALL_APIS, isLoopback, RpcHandler, RpcServer, type ServerOptions } from "../rpc/server.js";
import { DEFAULT_TRACE_MAX_BYTES, MAX_TRACE_MAX_BYTES } from "../rpc/types.js";
import { parseDuration } from "../tracers/trace.js";
import { parseArgs } from "./args.js";

const HELP = `usage: sonde node [--genesis FILE] [--http.addr A] [--http.port P] [--http.api LIST]
                  [--no-ws] [--ws.addr A] [--ws.port P] [--ws.api LIST]
                  [--block-time SECONDS | --no-mining] [--datadir DIR]
                  [--gcmode archive|full] [--prevrandao random|derived]
                  [--rpc.gascap N] [--rpc.evmtimeout DURATION] [--rpc.trace-max-size BYTES]
                  [--engine-variant NAME]

Runs a development node: JSON-RPC 2.0 over HTTP and WebSocket in front of
a chain with a transaction pool. Without --genesis the chain is the development chain:
chain id 1337, every fork through Osaka active from genesis (merged), and ten accounts
with 10000 ether each, derived from the mnemonic "${DEV_MNEMONIC}"
(m/44'/60'/0'/0/i, Anvil's and Hardhat's defaults); their private keys are printed at
start. Without --datadir the chain is kept in memory and is gone when the node stops.

options:
  --genesis FILE        go-ethereum genesis.json (config, alloc, gasLimit, baseFeePerGas, …)
  --http.addr A         HTTP listen address (default 127.0.0.1)
  --http.port P         HTTP port (default 8545; 0 picks a free port)
  --http.api LIST       namespaces served over HTTP, comma-separated, from
                        ${ALL_APIS.join(",")} (default eth,net,web3,txpool, plus debug,
                        trace and evm when the address is loopback; testing, for
                        testing_buildBlockV1, only when listed)
  --no-ws               no WebSocket JSON-RPC (it is served by default, on the HTTP
                        port, for eth_subscribe; --ws is accepted and changes nothing)
  --ws.addr A           WebSocket address (default: the HTTP address)
  --ws.port P           WebSocket port (default: the HTTP port, one listener for both)
  --ws.api LIST         namespaces served over WebSocket (default as for HTTP)
  --block-time SECONDS  seal a block every SECONDS seconds, empty or not (default: seal
                        a block as soon as a transaction arrives)
  --no-mining           never seal: sent transactions stay in the pool and blocks come
                        only from import (as a client driven by a consensus client)
  --datadir DIR         keep the chain in DIR (LMDB; every acknowledged block survives a
                        crash; restarting with the same DIR continues the chain)
  --gcmode MODE         full (default: the recent 128 states and checkpoints; older ones
                        re-executed, up to 128 blocks) or archive (every state kept)
  --rpc.gascap N        most gas eth_call, eth_estimateGas and the other calls may use
                        (default 50000000; 0: no cap)
  --rpc.evmtimeout D    how long eth_call and eth_estimateGas may run, as a Go duration
                        (default 5s; 0: no limit); then "execution aborted (timeout = D)"
  --rpc.trace-max-size N
                        most bytes of trace output one debug_trace* or trace_* request
                        may produce (default ${DEFAULT_TRACE_MAX_BYTES}, at most ${MAX_TRACE_MAX_BYTES}:
                        a response is one string); past it the trace stops with an
                        error naming this option
  --prevrandao MODE     mixHash (PREVRANDAO) of sealed blocks: random (default, as geth
                        --dev) or derived (keccak256(parent hash, number): two nodes fed
                        the same transactions at the same timestamps seal identical blocks)
  --engine-variant NAME run Sonde's engine with one rule deliberately changed, to test
                        divergence tools such as sonde diff: ${VARIANT_NAMES.join(", ")}

Implemented: web3_*, net_*, eth_* (blocks, transactions, receipts, state, proofs,
calls, gas estimation, access lists, fees, logs, filters, sendRawTransaction,
sendTransaction for the dev accounts, subscriptions over WebSocket), txpool_*,
debug_trace* (Transaction, Call, BlockByNumber/ByHash, Block, BadBlock, Chain via
debug_subscribe), debug_intermediateRoots, debug_standardTrace(Bad)BlockToFile,
debug_getBadBlocks, debug_storageRangeAt, debug_getAccessibleState, debug_getRaw*, and
trace_* (replayTransaction, replayBlockTransactions, transaction, get, block, filter,
call, callMany, rawTransaction), eth_config, eth_capabilities, eth_getStorageValues,
eth_baseFee, eth_simulateV1, evm_mine, evm_setAutomine, evm_getAutomine,
evm_setNextBlockTimestamp, evm_increaseTime (anvil's and Hardhat's dev-chain controls),
and testing_buildBlockV1 (the testing namespace, off unless listed in --http.api).`;

export interface NodeCliOptions {
  genesisFile?: string;
  http: { host: string; port: number; apis: Set<string> };
  ws?: { host: string; port: number; apis: Set<string> };
  blockTime: number;
  /** false with --no-mining (default true). */
  mining?: boolean;
  datadir?: string;
  gcmode: GcMode;
  /** --prevrandao: how sealed blocks get their mixHash (default random). */
  prevRandao?: "random" | "derived";
  /** --engine-variant: run with one rule deliberately changed (src/evm/variants.ts). */
  engineVariant?: string;
  /** --rpc.gascap (default 50M; 0: no cap). */
  gasCap?: bigint;
  /** --rpc.evmtimeout in milliseconds (default 5000; 0: none). */
  evmTimeoutMs?: number;
  /** --rpc.trace-max-size in bytes (default DEFAULT_TRACE_MAX_BYTES). */
  traceMaxBytes?: number;
}

function readPort(v: string, opt: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 65535)
    throw new InvalidInputError(`${opt}: expected a port number 0-65535, got "${v}"`);
  return n;
}

function readApis(v: string | undefined, host: string, opt: string): Set<string> {
  if (v === undefined) {
    const out = new Set(["eth", "net", "web3", "txpool"]);
    if (isLoopback(host)) {
      out.add("debug");
      out.add("trace");
      out.add("evm");
    }
    return out;
  }
  const out = new Set<string>();
  for (const raw of v.split(",")) {
    const name = raw.trim();
    if (name === "") continue;
    if (!(ALL_APIS as readonly string[]).includes(name)) {
      throw new InvalidInputError(`${opt}: unknown API namespace "${name}" (known: ${ALL_APIS.join(", ")})`);
    }
    out.add(name);
  }
  return out;
}

export function parseNodeOptions(argv: string[]): NodeCliOptions | "help" {
  const { options, positionals } = parseArgs(argv, {
    genesis: "string",
    "http.addr": "string",
    "http.port": "string",
    "http.api": "string",
    ws: "boolean",
    "no-ws": "boolean",
    "ws.addr": "string",
    "ws.port": "string",
    "ws.api": "string",
    "block-time": "string",
    "no-mining": "boolean",
    datadir: "string",
    gcmode: "string",
    "engine-variant": "string",
    prevrandao: "string",
    "rpc.gascap": "string",
    "rpc.evmtimeout": "string",
    "rpc.trace-max-size": "string",
    help: "boolean",
  });
  if (options.help) return "help";
  if (positionals.length > 0) throw new InvalidInputError(`unexpected argument "${positionals[0]}"`);
  const str = (k: string) => (typeof options[k] === "string" ? (options[k] as string) : undefined);
  const host = str("http.addr") ?? "127.0.0.1";
  const port = str("http.port") === undefined ? 8545 : readPort(str("http.port")!, "--http.port");
  const out: NodeCliOptions = {
    http: { host, port, apis: readApis(str("http.api"), host, "--http.api") },
    blockTime: 0,
    mining: options["no-mining"] !== true,
    gcmode: "full",
  };
  const g = str("genesis");
  if (g !== undefined) out.genesisFile = g;
  const wsOpts = ["ws.addr", "ws.port", "ws.api"].filter((k) => options[k] !== undefined);
  if (options["no-ws"] === true && options.ws === true)
    throw new InvalidInputError("--ws and --no-ws exclude each other");
  if (options["no-ws"] !== true) {
    const wsHost = str("ws.addr") ?? host;
    out.ws = {
      host: wsHost,
      port: str("ws.port") === undefined ? port : readPort(str("ws.port")!, "--ws.port"),
      apis: readApis(str("ws.api"), wsHost, "--ws.api"),
    };
  } else if (wsOpts.length > 0) {
    throw new InvalidInputError(`--${wsOpts[0]} and --no-ws exclude each other`);
  }
  const bt = str("block-time");
  if (bt !== undefined) {
    const n = Number(bt);
    if (bt.trim() === "" || !Number.isFinite(n) || n <= 0) {
      throw new InvalidInputError(`--block-time: expected a positive number of seconds, got "${bt}"`);
    }
    if (out.mining === false) throw new InvalidInputError("--block-time and --no-mining exclude each other");
    out.blockTime = n;
  }
  const dd = str("datadir");
  if (dd !== undefined) out.datadir = dd;
  const randao = str("prevrandao");
  if (randao !== undefined) {
    if (randao !== "random" && randao !== "derived")
      throw new InvalidInputError(`--prevrandao: expected random or derived, got "${randao}"`);
    out.prevRandao = randao;
  }
  const variant = str("engine-variant");
  if (variant !== undefined) {
    engineVariant(variant); // an unknown name fails here, listing the known ones
    out.engineVariant = variant;
  }
  const cap = str("rpc.gascap");
  if (cap !== undefined) {
    if (!/^\d+$/.test(cap) || BigInt(cap) >= 1n << 64n) {
      throw new InvalidInputError(`--rpc.gascap: expected a gas amount (0 for no cap), got "${cap}"`);
    }
    out.gasCap = BigInt(cap);
  }
  const evmTimeout = str("rpc.evmtimeout");
  if (evmTimeout !== undefined) {
    try {
      out.evmTimeoutMs = parseDuration(evmTimeout);
    } catch {
      throw new InvalidInputError(
        `--rpc.evmtimeout: expected a duration such as 5s, 500ms or 1m30s (0 for none), got "${evmTimeout}"`,
      );
    }
  }
  const traceMax = str("rpc.trace-max-size");
  if (traceMax !== undefined) {
    const n = Number(traceMax);
    if (!/^\d+$/.test(traceMax) || n < 1 || n > MAX_TRACE_MAX_BYTES) {
      throw new InvalidInputError(
        `--rpc.trace-max-size: expected a number of bytes from 1 to ${MAX_TRACE_MAX_BYTES}, got "${traceMax}"`,
      );
    }
    out.traceMaxBytes = n;
  }
  const gc = str("gcmode");
  if (gc !== undefined) {
    if (gc !== "archive" && gc !== "full")
      throw new InvalidInputError(`--gcmode: expected archive or full, got "${gc}"`);
    out.gcmode = gc;
  }
  return out;
}

function loadGenesis(file: string): Genesis {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new InvalidInputError(`--genesis: cannot read ${file}: ${(err as Error).message}`);
  }
  return parseGenesis(json);
}

export function clientVersion(): string {
  return `Sonde/v0.1.0/${process.platform}-${process.arch}/node${process.versions.node}`;
}

export interface StartedNode {
  node: DevNode;
  server: RpcServer;
  close(): Promise<void>;
}

/**
 * The development chain's genesis. Its timestamp is the time of first start, so with a
 * datadir the genesis is written there on first start and read back on later ones
 * (otherwise a restart would make a different genesis and refuse the datadir).
 */
function devGenesis(datadir: string | undefined) {
  if (datadir === undefined) return parseGenesis(devGenesisJson());
  const file = join(datadir, "dev-genesis.json");
  if (existsSync(file)) return loadGenesis(file);
  const json = devGenesisJson();
  mkdirSync(datadir, { recursive: true });
  writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
  return parseGenesis(json);
}

/** Builds the node and starts its servers (also used by tests). */
export async function startNode(o: NodeCliOptions): Promise<StartedNode> {
  await (await import("../tracers/js/index.js")).initJsTracers();
  const genesis = o.genesisFile === undefined ? devGenesis(o.datadir) : loadGenesis(o.genesisFile);
  if (o.engineVariant !== undefined) genesis.spec.engine = engineVariant(o.engineVariant);
  // With a custom genesis, the dev keys are kept for the dev accounts it funds.
  const accounts =
    o.genesisFile === undefined
      ? devAccounts()
      : devAccounts().filter((a) => genesis.state.getAccount(a.address));
  const store: { datadir?: string; gcmode?: GcMode } = { gcmode: o.gcmode };
  if (o.datadir !== undefined) store.datadir = o.datadir;
  const node = new DevNode({
    genesis,
    accounts,
    blockTime: o.blockTime,
    mining: o.mining !== false,
    store,
    prevRandao: o.prevRandao ?? "random",
  });
  const handler = new RpcHandler({
    node,
    gasCap: o.gasCap ?? DEFAULT_GAS_CAP,
    evmTimeoutMs: o.evmTimeoutMs ?? DEFAULT_EVM_TIMEOUT_MS,
    traceMaxBytes: o.traceMaxBytes ?? DEFAULT_TRACE_MAX_BYTES,
    clientVersion: clientVersion(),
  });
  const sopts: ServerOptions = { http: o.http, ws: o.ws };
  const server = new RpcServer(handler, sopts);
  try {
    await server.start();
  } catch (err) {
    node.close();
    await server.close().catch(() => {});
    const e = err as NodeJS.ErrnoException;
    const why = e.code === "EADDRINUSE" ? "address already in use" : e.message;
    throw new InvalidInputError(`cannot listen: ${why}`);
  }
  return {
    node,
    server,
    close: async () => {
      node.close();
      await server.close();
    },
  };
}

function banner(s: StartedNode, o: NodeCliOptions): string {
  const { node, server } = s;
  const g = node.genesis.block.header;
  const fork = forkName(node.nextFork());
  const variant = node.genesis.spec.engine;
  const lines = [
    ...(variant === undefined
      ? []
      : [
          `WARNING: engine variant "${variant.name}": ${variant.description}.`,
          "This node implements the chain wrongly on purpose (fault injection for sonde diff).",
          "",
        ]),
    `Sonde development node — chain id ${node.chainId}, ${fork}, ${o.datadir === undefined ? "chain in memory" : `chain in ${o.datadir} (gcmode ${o.gcmode})`}`,
    `genesis ${node.chain.genesis.hash} (gas limit ${g.gasLimit})`,
  ];
  if (node.accounts.length > 0) {
    lines.push("", "Accounts (development keys, public: never use them on a real network)");
    node.accounts.forEach((a, i) => {
      const bal = node.headState().getAccount(a.address)?.balance ?? 0n;
      lines.push(`(${i}) ${checksumAddress(a.address)} (${bal / 10n ** 18n} ETH)  key ${bytesToHex(a.key)}`);
    });
    if (o.genesisFile === undefined) lines.push(`mnemonic: ${DEV_MNEMONIC}`, "path:     m/44'/60'/0'/0/i");
  }
  lines.push(
    "",
    `sealing: ${o.mining === false ? "none (--no-mining)" : o.blockTime > 0 ? `a block every ${o.blockTime} s` : "a block for each transaction"}`,
    `HTTP JSON-RPC:      ${server.httpUrl} (${[...o.http.apis].join(", ")})`,
  );
  if (server.wsUrl !== undefined && o.ws !== undefined) {
    lines.push(`WebSocket JSON-RPC: ${server.wsUrl} (${[...o.ws.apis].join(", ")})`);
  }
  return `${lines.join("\n")}\n`;
}

export async function nodeCommand(argv: string[]): Promise<number> {
  const o = parseNodeOptions(argv);
  if (o === "help") {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const started = await startNode(o);
  process.stdout.write(banner(started, o));
  // Runs until the process is stopped.
  return new Promise<number>(() => {});
}
