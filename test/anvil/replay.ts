/**
 * Re-executes a transaction (or a debug_traceCall message) that anvil ran, in Sonde, on
 * the same pre-state and block context, under a tracer.
 *
 * The pre-state is rebuilt from anvil: the accounts its prestateTracer reports for the
 * transaction, plus the sender, the recipient and the coinbase; each account's balance,
 * nonce and code are read with eth_getBalance/eth_getTransactionCount/eth_getCode at the
 * parent block (so they do not depend on the tracer under test), and each storage slot the
 * prestateTracer names is read with eth_getStorageAt. The block context comes from the
 * block header (automine: one transaction per block), the transaction from its raw bytes.
 */
import { applyTransaction } from "../../src/block/apply.js";
import { blobBaseFee, blobScheduleFor } from "../../src/block/blobs.js";
import type { BlockContext } from "../../src/evm/context.js";
import type { Fork } from "../../src/evm/forks.js";
import { type Address, hexToBytes, parseAddress, parseBigInt } from "../../src/primitives/hex.js";
import { parseAlloc } from "../../src/runners/statetest.js";
import { StateDB } from "../../src/state/statedb.js";
import { runTrace, type TraceConfig } from "../../src/tracers/index.js";
import { decodeTransaction } from "../../src/tx/decode.js";
import { recoverSender } from "../../src/tx/sender.js";
import type { LegacyTransaction, Transaction } from "../../src/tx/types.js";
import type { Anvil } from "./anvil.js";

type Json = Record<string, unknown>;

export interface Replay {
  block: BlockContext;
  tx: Transaction;
  sender: Address;
  /** The alloc-style pre-state Sonde starts from (each run builds a fresh StateDB from it). */
  alloc: Record<string, Json>;
}

/** A tag or number for eth_get* "at block" parameters. */
const tag = (n: bigint) => `0x${n.toString(16)}`;

/** The block context of block `header`, with BLOCKHASH answered from anvil's chain. */
export async function blockContext(
  anvil: Anvil,
  header: Json,
  fork: Fork,
  chainId: bigint,
): Promise<BlockContext> {
  const number = parseBigInt(header.number, "block.number");
  const lo = number > 256n ? number - 256n : 0n;
  const calls: [string, unknown[]][] = [];
  for (let n = lo; n < number; n++) calls.push(["eth_getBlockByNumber", [tag(n), false]]);
  const hashes = new Map<bigint, bigint>();
  const blocks = await anvil.batch<Json>(calls);
  blocks.forEach((b, i) => {
    hashes.set(lo + BigInt(i), parseBigInt(b.hash, "block hash"));
  });
  return {
    coinbase: parseAddress(header.miner, "block.miner"),
    number,
    timestamp: parseBigInt(header.timestamp, "block.timestamp"),
    gasLimit: parseBigInt(header.gasLimit, "block.gasLimit"),
    difficulty: parseBigInt(header.difficulty ?? "0x0", "block.difficulty"),
    prevRandao: parseBigInt(header.mixHash ?? "0x0", "block.mixHash"),
    baseFee: parseBigInt(header.baseFeePerGas ?? "0x0", "block.baseFeePerGas"),
    blobBaseFee: blobBaseFee(
      parseBigInt(header.excessBlobGas ?? "0x0", "block.excessBlobGas"),
      blobScheduleFor(fork),
    ),
    chainId,
    getBlockHash: (n) => hashes.get(n) ?? 0n,
  };
}

/**
 * Reads the accounts `addresses` (and the slots `slots` names) at block `at` into an
 * alloc-style object. Accounts that are empty and have no storage are left out: on a
 * post-EIP-161 chain they do not exist.
 */
export async function readAccounts(
  anvil: Anvil,
  addresses: Iterable<Address>,
  slots: Map<Address, Set<string>>,
  at: string,
): Promise<Record<string, Json>> {
  const addrs = [...new Set(addresses)].sort();
  const calls: [string, unknown[]][] = [];
  for (const a of addrs) {
    calls.push(["eth_getBalance", [a, at]], ["eth_getTransactionCount", [a, at]], ["eth_getCode", [a, at]]);
    for (const k of slots.get(a) ?? []) calls.push(["eth_getStorageAt", [a, k, at]]);
  }
  const results = await anvil.batch<string>(calls);
  let i = 0;
  const alloc: Record<string, Json> = {};
  for (const a of addrs) {
    const balance = results[i++]!;
    const nonce = results[i++]!;
    const code = results[i++]!;
    const storage: Record<string, string> = {};
    for (const k of slots.get(a) ?? []) {
      const v = results[i++]!;
      if (BigInt(v) !== 0n) storage[k] = v;
    }
    const empty = BigInt(balance) === 0n && BigInt(nonce) === 0n && code === "0x";
    if (empty && Object.keys(storage).length === 0) continue;
    alloc[a] = { balance, nonce, code, storage };
  }
  return alloc;
}

/** Addresses and storage slots named by a (non-diff) prestateTracer result. */
export function touchedBy(prestate: unknown): { addresses: Address[]; slots: Map<Address, Set<string>> } {
  const addresses: Address[] = [];
  const slots = new Map<Address, Set<string>>();
  for (const [addr, acc] of Object.entries((prestate ?? {}) as Record<string, Json>)) {
    const a = parseAddress(addr, "prestate address");
    addresses.push(a);
    const s = new Set<string>();
    for (const k of Object.keys((acc.storage ?? {}) as Json)) s.add(k);
    slots.set(a, s);
  }
  return { addresses, slots };
}

/** Everything Sonde needs to re-run the mined transaction `hash`. */
export async function prepareTransaction(
  anvil: Anvil,
  hash: string,
  fork: Fork,
  chainId: bigint,
): Promise<Replay> {
  const [info, raw, prestate] = await anvil.batch<unknown>([
    ["eth_getTransactionByHash", [hash]],
    ["eth_getRawTransactionByHash", [hash]],
    ["debug_traceTransaction", [hash, { tracer: "prestateTracer" }]],
  ]);
  const txInfo = info as Json;
  const number = parseBigInt(txInfo.blockNumber, "tx.blockNumber");
  const header = await anvil.rpc<Json>("eth_getBlockByNumber", [tag(number), false]);
  const block = await blockContext(anvil, header, fork, chainId);
  const tx = decodeTransaction(hexToBytes(raw as string, "raw transaction"));
  const sender = recoverSender(tx, fork);
  const { addresses, slots } = touchedBy(prestate);
  addresses.push(sender, block.coinbase);
  if (tx.to !== null) addresses.push(tx.to);
  const alloc = await readAccounts(anvil, addresses, slots, tag(number - 1n));
  return { block, tx, sender, alloc };
}

/** A debug_traceCall message as Sonde runs it: an unsigned legacy transaction from `from`. */
export interface CallMessage {
  from: Address;
  to: Address;
  data: string;
  gas: bigint;
  gasPrice: bigint;
  value?: bigint;
}

/** Everything Sonde needs to re-run `msg` on top of the latest block, as debug_traceCall does. */
export async function prepareCall(
  anvil: Anvil,
  msg: CallMessage,
  fork: Fork,
  chainId: bigint,
): Promise<Replay> {
  const callObj: Json = {
    from: msg.from,
    to: msg.to,
    data: msg.data,
    gas: tag(msg.gas),
    gasPrice: tag(msg.gasPrice),
  };
  if (msg.value !== undefined) callObj.value = tag(msg.value);
  const header = await anvil.rpc<Json>("eth_getBlockByNumber", ["latest", false]);
  const number = parseBigInt(header.number, "block.number");
  const prestate = await anvil.rpc("debug_traceCall", [callObj, tag(number), { tracer: "prestateTracer" }]);
  const block = await blockContext(anvil, header, fork, chainId);
  const { addresses, slots } = touchedBy(prestate);
  addresses.push(msg.from, msg.to, block.coinbase);
  const alloc = await readAccounts(anvil, addresses, slots, tag(number));
  const nonce = parseBigInt(alloc[msg.from]?.nonce ?? "0x0", "sender nonce");
  const tx: LegacyTransaction = {
    type: 0,
    chainId: undefined,
    nonce,
    gasPrice: msg.gasPrice,
    gasLimit: msg.gas,
    to: msg.to,
    value: msg.value ?? 0n,
    data: hexToBytes(msg.data, "call data"),
    v: 27n,
    r: 0n,
    s: 0n,
  };
  return { block, tx, sender: msg.from, alloc };
}

/** Runs the prepared execution in Sonde under `config`; returns the tracer's result as JSON. */
export function sondeTrace(prep: Replay, fork: Fork, config: TraceConfig): unknown {
  const state = new StateDB(parseAlloc(prep.alloc, "anvil pre-state"));
  const run = runTrace({ timeout: "60s", ...config }, { fork }, (hooks) => {
    state.hooks = hooks;
    return applyTransaction(state, prep.block, prep.tx, prep.sender, fork, hooks, {
      blockGasAvailable: prep.block.gasLimit,
    });
  });
  try {
    if (run.error !== null) throw new Error(`Sonde trace stopped: ${run.error.message}`);
    return JSON.parse(JSON.stringify(run.tracer.getResult()));
  } finally {
    run.tracer.dispose?.();
  }
}
