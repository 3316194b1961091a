/**
 * The benchmark workloads: runtime code, calldata and a default size for each.
 * Engine-agnostic (plain bytes), so the benchmark, the hooks-overhead script and the
 * wiring test share one definition.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const BENCH_DIR = resolve(here, "..");
export const REPO_DIR = resolve(BENCH_DIR, "..");
/** shared/ sits beside the repository (…/main and …/shared). */
export const SHARED_PROGRAMS = resolve(REPO_DIR, "..", "shared", "bench-programs");

export function hexToBytes(hex) {
  const h = hex.trim().replace(/^0x/i, "");
  if (h.length % 2 !== 0 || /[^0-9a-f]/i.test(h)) throw new Error(`not even-length hex: ${h.slice(0, 40)}…`);
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function bytesToHex(bytes) {
  let s = "0x";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

/** A uint256 as 32 big-endian bytes. */
export function uint256(n) {
  return hexToBytes(BigInt(n).toString(16).padStart(64, "0"));
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Creation code of the hand-assembled loops (shared/bench-programs/README.md). */
const LOOP_CREATION = {
  loopAR: "601e80600b6000396000f360003560005b8181101561001c5780800260070150600101610005565b00",
  loopSK: "602380600b6000396000f360003560005b8181101561002157806000526020600020600055600101610005565b00",
};
/** Every loop's creation code starts with an 11-byte deployer that returns the rest. */
const DEPLOYER_PREFIX_BYTES = 11;

export function loopRuntime(name) {
  return hexToBytes(LOOP_CREATION[name]).subarray(DEPLOYER_PREFIX_BYTES);
}

export function loadBuild() {
  const file = join(BENCH_DIR, "contracts", "build.json");
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`node bench/compile.js\``);
  return JSON.parse(readFileSync(file, "utf8"));
}

/**
 * @typedef {object} Workload
 * @property {string} name
 * @property {string} what    one line: what the workload does
 * @property {Uint8Array} code runtime code deployed at the receiver
 * @property {number | null} n default size (null when the program takes none)
 * @property {(n: number | null) => Uint8Array} input calldata for size n
 */

/** @returns {Workload[]} */
export function workloads() {
  const build = loadBuild();
  const token = build.contracts.BenchToken;
  const hash = build.contracts.BenchHash;
  const sol = (contract, sig) => {
    const sel = contract.selectors[sig];
    if (!sel) throw new Error(`build.json: no selector for ${sig}`);
    return (n) => concat(hexToBytes(sel), uint256(n));
  };
  const snailFile = join(SHARED_PROGRAMS, "snailtracer.runtime.hex");
  return [
    {
      name: "snailtracer",
      what: "SnailTracer ray tracer, Benchmark() (arithmetic, memory, storage)",
      get code() {
        return hexToBytes(readFileSync(snailFile, "utf8"));
      },
      n: null,
      input: () => hexToBytes("0x30627b7c"),
    },
    {
      name: "loopAR",
      what: "hand-assembled loop, pop(i*i+7): 17 opcodes, 62 gas per iteration",
      code: loopRuntime("loopAR"),
      n: 1_000_000,
      input: (n) => uint256(n),
    },
    {
      name: "loopSK",
      what: "hand-assembled loop, MSTORE, KECCAK256(0,32), SSTORE slot 0: 19 opcodes per iteration",
      code: loopRuntime("loopSK"),
      n: 100_000,
      input: (n) => uint256(n),
    },
    {
      name: "erc20-transfer",
      what: "BenchToken.benchTransfer(n): mint n, then n transfers of 1 to fresh addresses",
      code: hexToBytes(token.runtime),
      n: 5_000,
      input: sol(token, "benchTransfer(uint256)"),
    },
    {
      name: "erc20-mint",
      what: "BenchToken.benchMint(n): n mints to fresh addresses",
      code: hexToBytes(token.runtime),
      n: 5_000,
      input: sol(token, "benchMint(uint256)"),
    },
    {
      name: "erc20-approve",
      what: "BenchToken.benchApprove(n): n approvals to fresh spenders, then n allowance reads",
      code: hexToBytes(token.runtime),
      n: 5_000,
      input: sol(token, "benchApprove(uint256)"),
    },
    {
      name: "hash-chain",
      what: "BenchHash.hashChain(n): n chained keccak256(h, i) over 64 bytes",
      code: hexToBytes(hash.runtime),
      n: 50_000,
      input: sol(hash, "hashChain(uint256)"),
    },
    {
      name: "hash-grow",
      what: "BenchHash.hashGrow(n): keccak256 of a buffer growing by 32 bytes, n rounds",
      code: hexToBytes(hash.runtime),
      n: 1_000,
      input: sol(hash, "hashGrow(uint256)"),
    },
  ];
}
