// End to end: `sonde node` on 127.0.0.1 with a random port, driven over HTTP by Foundry's
// `cast` (the binary of the `@foundry-rs/cast-linux-amd64` devDependency), unmodified: reads,
// transfers signed with a dev key, a contract deployment, calls, logs, reverts, and `cast run`,
// which re-executes a mined transaction in cast's own EVM (revm) on state it fetches from the
// node, so its gas must equal the receipt's (but for the EIP-7623 floor: see the revert test).
import { execFile } from "node:child_process";
import { accessSync, chmodSync, constants, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type StartedNode, startNode } from "../cli/node.js";
import { checksumAddress } from "../node/checksum.js";
import { devAccounts } from "../node/devchain.js";
import { bytesToHex } from "../primitives/hex.js";
import { keccak256 } from "../primitives/keccak.js";
import { ALL_APIS } from "./server.js";

const repoDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** Where the devDependency puts the binary (as test/anvil/anvil.ts finds anvil). */
const CAST_BINARY = join(repoDir, "node_modules", "@foundry-rs", "cast-linux-amd64", "bin", "cast");

/** The cast binary when it is installed and runs on this platform (made executable if needed). */
function findCast(): string | undefined {
  if (process.platform !== "linux" || process.arch !== "x64" || !existsSync(CAST_BINARY)) return undefined;
  try {
    accessSync(CAST_BINARY, constants.X_OK);
  } catch {
    chmodSync(CAST_BINARY, 0o755);
  }
  return CAST_BINARY;
}
const CAST = findCast();
if (CAST === undefined) {
  console.warn(
    `cast.test.ts skipped: no cast binary at ${CAST_BINARY} (linux-x64 only; install the devDependency @foundry-rs/cast-linux-amd64 with npm ci)`,
  );
}

// The storage contract of server.test.ts. Runtime: no calldata → returns slot 0; a non-zero
// word → stores it and emits Stored(uint256) with it as data; zero → revert Error("zero").
const TOPIC = bytesToHex(keccak256(new TextEncoder().encode("Stored(uint256)")));
const RUNTIME = `36600c575f545f5260205ff35b5f358015603f57805f555f527f${TOPIC.slice(2)}60205fa1005b6308c379a060e01b5f5260206004526004602452637a65726f60e01b60445260645ffd`;
const INIT = `0x60638060095f395ff3${RUNTIME}`;
const word = (n: bigint) => `0x${n.toString(16).padStart(64, "0")}`;
const ETHER = 10n ** 18n;

const accounts = devAccounts();
const addr = (i: number) => accounts[i]!.address.toLowerCase();
const key = (i: number) => bytesToHex(accounts[i]!.key);

interface Receipt {
  type: string;
  status: string;
  transactionHash: string;
  transactionIndex: string;
  blockNumber: string;
  blockHash: string;
  from: string;
  to: string | null;
  contractAddress: string | null;
  gasUsed: string;
  effectiveGasPrice: string;
  logs: { address: string; topics: string[]; data: string; transactionHash: string; logIndex: string }[];
}

interface CastResult {
  code: number;
  stdout: string;
  stderr: string;
}

let started: StartedNode;
let url: string;
let home: string;

/** The environment cast runs in: none of the caller's FOUNDRY_*, ETH_* (ETH_RPC_URL, ETH_FROM, …)
 * or ETHERSCAN_* settings, and a fresh HOME so no ~/.foundry config or cache is read. */
function castEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(FOUNDRY_|ETH_|ETHERSCAN|DAPP_|CHAIN$|RUST_LOG$|XDG_)/i.test(k)) continue;
    env[k] = v;
  }
  env.HOME = home;
  env.NO_COLOR = "1";
  return env;
}

/** Runs cast against the node (`--rpc-url` right after the subcommand, before any trailing
 * arguments such as `send --create CODE [SIG] [ARGS]...`); never throws. */
function cast(args: string[]): Promise<CastResult> {
  const [sub, ...rest] = args;
  const argv = sub === "--version" ? args : [sub!, "--rpc-url", url, ...rest];
  return new Promise((resolve) => {
    execFile(
      CAST!,
      argv,
      { cwd: home, env: castEnv(), timeout: 20_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === "number" ? err.code : -1;
        resolve({ code, stdout: stdout.toString(), stderr: stderr.toString() });
      },
    );
  });
}

/** Runs cast and returns its trimmed stdout; fails the test with cast's stderr if it exits non-zero. */
async function ok(args: string[]): Promise<string> {
  const r = await cast(args);
  if (r.code !== 0) throw new Error(`cast ${args.join(" ")} exited ${r.code}: ${r.stderr}${r.stdout}`);
  return r.stdout.trim();
}

async function json<T = Record<string, unknown>>(args: string[]): Promise<T> {
  return JSON.parse(await ok(args)) as T;
}

const sendJson = (args: string[]) => json<Receipt>(["send", "--json", ...args]);

describe.skipIf(CAST === undefined)("cast against sonde node", () => {
  let contract: string;
  let storeTx: Receipt;
  let deployTx: Receipt;

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), "sonde-cast-"));
    const apis = new Set<string>(ALL_APIS);
    started = await startNode({ http: { host: "127.0.0.1", port: 0, apis }, blockTime: 0, gcmode: "full" });
    url = started.server.httpUrl;
  });
  afterAll(async () => {
    await started?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it("reads the chain id, block number, balances and blocks", async () => {
    expect((await ok(["--version"])).split("\n")[0]).toMatch(/^cast Version: \d+\.\d+\.\d+/);
    expect(await ok(["chain-id"])).toBe("1337");
    expect(await ok(["block-number"])).toBe("0");
    expect(await ok(["balance", addr(0)])).toBe((10_000n * ETHER).toString());
    expect(await ok(["balance", "--ether", addr(1)])).toBe("10000.000000000000000000");
    expect(await ok(["nonce", addr(0)])).toBe("0");
    expect(await ok(["client"])).toMatch(/^Sonde\//);
    const block = await json<{ number: string; hash: string; transactions: unknown[] }>([
      "rpc",
      "eth_getBlockByNumber",
      "latest",
      "false",
    ]);
    expect(block.number).toBe("0x0");
    expect(block.hash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(block.transactions).toEqual([]);
    const viaBlock = await json<{ hash: string; number: string }>(["block", "latest", "--json"]);
    expect(viaBlock).toMatchObject({ hash: block.hash, number: "0x0" });
  });

  it("sends a transfer signed with a dev key; the receipt, transaction and balances agree", async () => {
    const value = (5n * ETHER) / 4n;
    const sent = await sendJson(["--private-key", key(2), addr(3), "--value", "1.25ether"]);
    expect(sent.status).toBe("0x1");
    const receipt = await json<Receipt>(["receipt", sent.transactionHash, "--json"]);
    expect(receipt).toMatchObject({
      status: "0x1",
      from: addr(2),
      to: addr(3),
      contractAddress: null,
      gasUsed: "0x5208",
      transactionHash: sent.transactionHash,
      blockNumber: "0x1",
    });
    expect(await ok(["receipt", sent.transactionHash, "status"])).toMatch(/^(1 \(success\)|true)$/);
    const tx = await json(["tx", sent.transactionHash, "--json"]);
    expect(tx).toMatchObject({
      hash: sent.transactionHash,
      from: addr(2),
      to: addr(3),
      value: `0x${value.toString(16)}`,
      nonce: "0x0",
      chainId: "0x539",
      blockNumber: "0x1",
    });
    expect(await ok(["block-number"])).toBe("1");
    expect(await ok(["nonce", addr(2)])).toBe("1");
    expect(BigInt(await ok(["balance", addr(3)]))).toBe(10_000n * ETHER + value);
    const fee = BigInt(receipt.gasUsed) * BigInt(receipt.effectiveGasPrice);
    expect(BigInt(await ok(["balance", addr(2)]))).toBe(10_000n * ETHER - value - fee);
    // cast run replays it in revm on the node's state: a plain value transfer.
    const run = await ok(["run", sent.transactionHash]);
    expect(run).toContain(`${checksumAddress(addr(3))}::fallback{value: ${value}}()`);
    expect(run).toContain("Transaction successfully executed.");
    expect(run).toContain("Gas used: 21000");
  });

  it("sends legacy and node-signed (eth_sendTransaction, --unlocked) transactions", async () => {
    const legacy = await sendJson(["--legacy", "--private-key", key(4), addr(5), "--value", "7"]);
    expect(legacy).toMatchObject({ type: "0x0", status: "0x1", from: addr(4), to: addr(5) });
    const unlocked = await sendJson(["--unlocked", "--from", addr(4), addr(5), "--value", "9"]);
    expect(unlocked).toMatchObject({ type: "0x2", status: "0x1", from: addr(4), to: addr(5) });
    expect(BigInt(await ok(["balance", addr(5)]))).toBe(10_000n * ETHER + 16n);
  });

  it("deploys a contract with --create, stores through it, calls it and reads its logs", async () => {
    deployTx = await sendJson(["--private-key", key(0), "--create", INIT]);
    expect(deployTx).toMatchObject({ status: "0x1", from: addr(0), to: null });
    contract = deployTx.contractAddress!;
    expect(contract).toMatch(/^0x[0-9a-f]{40}$/);
    expect(await ok(["code", contract])).toBe(`0x${RUNTIME}`);
    expect(await ok(["codesize", contract])).toBe(String(RUNTIME.length / 2));
    expect(await ok(["call", contract])).toBe(word(0n));

    storeTx = await sendJson(["--private-key", key(0), contract, word(42n)]);
    expect(storeTx).toMatchObject({ status: "0x1", from: addr(0), to: contract });
    expect(storeTx.logs).toHaveLength(1);
    expect(storeTx.logs[0]).toMatchObject({ address: contract, topics: [TOPIC], data: word(42n) });

    expect(await ok(["call", contract])).toBe(word(42n));
    expect(await ok(["call", contract, "--block", storeTx.blockNumber])).toBe(word(42n));
    expect(await ok(["call", contract, "--block", deployTx.blockNumber])).toBe(word(0n));
    expect(await ok(["storage", contract, "0"])).toBe(word(42n));

    const receipt = await json<Receipt>(["receipt", storeTx.transactionHash, "--json"]);
    expect(receipt.logs).toEqual(storeTx.logs);
    const logs = await json<Receipt["logs"]>([
      "logs",
      "--from-block",
      "0",
      "--address",
      contract,
      "Stored(uint256)",
      "--json",
    ]);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({
      address: contract,
      topics: [TOPIC],
      data: word(42n),
      transactionHash: storeTx.transactionHash,
    });
    // Filtering by the topic given as a hash works too; another topic finds nothing.
    expect(
      await json<unknown[]>(["logs", "--from-block", "0", "--address", contract, TOPIC, "--json"]),
    ).toHaveLength(1);
    expect(
      await json<unknown[]>(["logs", "--from-block", "0", "--address", contract, word(1n), "--json"]),
    ).toEqual([]);

    const estimate = BigInt(await ok(["estimate", "--from", addr(0), contract, word(43n)]));
    expect(estimate).toBeGreaterThanOrEqual(21_000n + 5_000n);
    expect(estimate).toBeLessThan(40_000n);
  });

  it("reports a revert with its reason, for calls, gas estimation and a mined failing transaction", async () => {
    const call = await cast(["call", contract, word(0n)]);
    expect(call.code).not.toBe(0);
    expect(call.stderr).toMatch(/execution reverted: zero/);
    const send = await cast(["send", "--private-key", key(1), contract, word(0n)]);
    expect(send.code).not.toBe(0);
    expect(send.stderr).toMatch(/estimate gas.*execution reverted: zero/s);
    // With a gas limit cast skips estimation: the transaction is mined and fails.
    const failed = await sendJson(["--private-key", key(1), "--gas-limit", "100000", contract, word(0n)]);
    expect(failed).toMatchObject({ status: "0x0", from: addr(1), to: contract, logs: [] });
    // 32 zero bytes of calldata: intrinsic 21000 + 32 * 4 = 21128, plus 105 of execution,
    // is below the EIP-7623 floor 21000 + 32 tokens * 10 = 21320, which the receipt charges
    // (as anvil's does). cast run prints revm's gas before the floor, as it does against anvil.
    expect(BigInt(failed.gasUsed)).toBe(21_320n);
    const run = await ok(["run", failed.transactionHash]);
    expect(run).toContain(`[105] ${checksumAddress(contract)}::00000000(`);
    expect(run).toContain("[Revert] zero");
    expect(run).toContain("Gas used: 21233");
    expect(await ok(["call", contract])).toBe(word(42n));
  });

  it("cast run replays a contract call and a deployment with the receipt's gas (also --quick)", async () => {
    const target = checksumAddress(contract);
    const run = await ok(["run", storeTx.transactionHash]);
    expect(run).toContain(`${target}::00000000(${"00".repeat(31).slice(8)}2a)`);
    expect(run).toContain(`emit topic 0: ${TOPIC}`);
    expect(run).toContain(`data: ${word(42n)}`);
    expect(run).toContain("[Stop]");
    expect(run).toContain("Transaction successfully executed.");
    expect(run).toContain(`Gas used: ${BigInt(storeTx.gasUsed)}`);

    const quick = await ok(["run", "--quick", storeTx.transactionHash]);
    expect(quick).not.toContain("Executing previous transactions");
    expect(quick).toContain(`emit topic 0: ${TOPIC}`);
    expect(quick).toContain(`Gas used: ${BigInt(storeTx.gasUsed)}`);

    const deploy = await ok(["run", deployTx.transactionHash]);
    expect(deploy).toContain(`new <unknown>@${target}`);
    expect(deploy).toContain(`[Return] ${RUNTIME.length / 2} bytes of code`);
    expect(deploy).toContain(`Gas used: ${BigInt(deployTx.gasUsed)}`);

    // --trace-printer: revm's opcode-by-opcode printout of the same execution.
    const printed = await ok(["run", "--trace-printer", storeTx.transactionHash]);
    expect(printed).toContain('OPCODE: "CALLDATASIZE"');
    expect(printed).toContain('OPCODE: "SSTORE"');
    expect(printed).toContain('OPCODE: "LOG1"');
  });

  it("cast run replays the second transaction of a block after the first (automine off)", async () => {
    expect(await ok(["rpc", "evm_setAutomine", "false"])).toBe("true");
    const first = await ok(["send", "--async", "--private-key", key(6), contract, word(7n)]);
    const second = await ok(["send", "--async", "--private-key", key(7), contract, word(9n)]);
    expect(first).toMatch(/^0x[0-9a-f]{64}$/);
    expect(second).toMatch(/^0x[0-9a-f]{64}$/);
    expect(await json(["rpc", "txpool_status"])).toEqual({ pending: "0x2", queued: "0x0" });
    await ok(["rpc", "evm_mine"]);
    expect(await ok(["rpc", "evm_setAutomine", "true"])).toBe("true");

    const r1 = await json<Receipt>(["receipt", first, "--json"]);
    const r2 = await json<Receipt>(["receipt", second, "--json"]);
    expect(r2.blockNumber).toBe(r1.blockNumber);
    expect([r1.transactionIndex, r2.transactionIndex].sort()).toEqual(["0x0", "0x1"]);
    const [earlier, later] = r1.transactionIndex === "0x0" ? [r1, r2] : [r2, r1];
    expect(await ok(["call", contract])).toBe(later === r2 ? word(9n) : word(7n));

    const run = await ok(["run", later.transactionHash]);
    expect(run).toContain("Executing previous transactions from the block.");
    expect(run).toContain(`data: ${later.logs[0]!.data}`);
    expect(run).toContain(`Gas used: ${BigInt(later.gasUsed)}`);
    expect(BigInt(earlier.gasUsed)).toBeGreaterThan(21_000n);
  });

  it("cast rpc passes debug_traceTransaction and its tracer options through", async () => {
    const logger = await json<{
      gas: number;
      failed: boolean;
      returnValue: string;
      structLogs: { op: string }[];
    }>(["rpc", "debug_traceTransaction", storeTx.transactionHash]);
    expect(logger.failed).toBe(false);
    expect(logger.gas).toBe(Number(BigInt(storeTx.gasUsed)));
    expect(logger.structLogs.map((s) => s.op)).toEqual(expect.arrayContaining(["SSTORE", "LOG1", "STOP"]));

    const calls = await json([
      "rpc",
      "debug_traceTransaction",
      storeTx.transactionHash,
      JSON.stringify({ tracer: "callTracer", tracerConfig: { withLog: true } }),
    ]);
    expect(calls).toMatchObject({
      type: "CALL",
      from: addr(0),
      to: contract,
      input: word(42n),
      gasUsed: storeTx.gasUsed,
      logs: [{ address: contract, topics: [TOPIC], data: word(42n) }],
    });
  });

  it("sends an EIP-7702 authorization (--auth) that delegates an account to the contract", async () => {
    const sent = await sendJson(["--private-key", key(8), "--auth", contract, addr(8)]);
    expect(sent).toMatchObject({ type: "0x4", status: "0x1", from: addr(8), to: addr(8) });
    expect(await ok(["code", addr(8)])).toBe(`0xef0100${contract.slice(2)}`);
    // The delegated account runs the contract's code on its own (empty) storage.
    expect(await ok(["call", addr(8)])).toBe(word(0n));
  });
});
