/**
 * The `eth` namespace, with go-ethereum's shapes and errors (internal/ethapi, eth/filters,
 * eth/gasprice). Block tags: latest, pending and safe/finalized all name the head (a dev
 * chain finalises each block; there is no separate pending block), earliest the genesis;
 * eth_getTransactionCount with "pending" counts the pool's pending transactions as
 * go-ethereum does.
 *
 * Fee suggestions (eth_gasPrice, eth_maxPriorityFeePerGas) follow go-ethereum's oracle in
 * a simplified form: the 60th percentile of the three lowest tips of each of the last 20
 * blocks, 1 Gwei when those blocks hold no transactions.
 *
 * eth_getProof (EIP-1186) rebuilds the tries of the state it proves (src/state/proof.ts);
 * eth_createAccessList follows go-ethereum's AccessList (internal/ethapi): fee defaults
 * as for a transaction, then runs with the access-list tracer until the list stops
 * changing. Polling filters live in filters.ts.
 */
import { blobBaseFee, GAS_PER_BLOB } from "../block/blobs.js";
import type { StoredBlock } from "../chain/blockchain.js";
import { blobScheduleAt, nextExcessBlobGas } from "../chain/config.js";
import { calcBaseFee, headerFork } from "../chain/validate.js";
import { Fork } from "../evm/forks.js";
import { precompilesFor } from "../evm/precompiles/index.js";
import { effectiveTip, TxPoolError } from "../node/txpool.js";
import { createAddress } from "../primitives/address.js";
import { bloomAdd } from "../primitives/bloom.js";
import type { Address } from "../primitives/hex.js";
import { bigintToBytes, bytesToHex, hexToBytes, wordToBytes } from "../primitives/hex.js";
import { KECCAK_EMPTY, keccak256 } from "../primitives/keccak.js";
import { rlpEncode } from "../primitives/rlp.js";
import { proveAccount } from "../state/proof.js";
import { storageRoot } from "../state/statedb.js";
import { AccessListCollector } from "../tracers/native/access-list.js";
import type { LogRecord } from "../tracing/hooks.js";
import { encodeTransaction as encodeTx, txHash } from "../tx/decode.js";
import { recoverAuthority, signTransaction } from "../tx/sender.js";
import type { Transaction } from "../tx/types.js";
import { ethCapabilities, ethConfig } from "./config.js";
import { INVALID_PARAMS, invalidParam, RpcError, serverError } from "./errors.js";
import {
  callFailure,
  callGas,
  DEFAULT_EVM_TIMEOUT_MS,
  doCall,
  estimateGas,
  findBlock,
  prepareCall,
  resolveBlock,
  runPrepared,
  stateOf,
} from "./exec.js";
import { FilterManager, type LogCriteria, withinBounds } from "./filters.js";
import {
  formatBlock,
  formatHeader,
  formatLog,
  formatReceipt,
  formatTransaction,
  logOffsets,
  q,
  txPlace,
} from "./format.js";
import {
  args,
  type BlockRef,
  type CallArgs,
  optParam,
  ParamError,
  param,
  readAddress,
  readBlockNumber,
  readBlockOverrides,
  readBlockRef,
  readBool,
  readCallArgs,
  readData,
  readHash,
  readQuantity,
  readStateOverrides,
  readStorageRequests,
} from "./params.js";
import { simulateV1 } from "./simulate.js";
import type { Namespace, RpcEnv } from "./types.js";

const LATEST: BlockRef = { tag: "latest" };
const GWEI = 1_000_000_000n;
/** go-ethereum's maxHeaderHistory / maxBlockHistory for eth_feeHistory. */
const MAX_FEE_HISTORY = 1024;
const MAX_TOPICS = 4;

type Json = Record<string, unknown>;

// ---------------------------------------------------------------------------
// Log filters

export interface LogFilter {
  addresses: Set<Address>;
  /** Per position: null (any) or the allowed topics. */
  topics: (Set<bigint> | null)[];
}

export function readLogFilterCriteria(v: Json, what: string): LogFilter {
  const addresses = new Set<Address>();
  const a = v.address;
  if (typeof a === "string") addresses.add(readAddress(a, `${what}address`));
  else if (Array.isArray(a)) {
    for (const [i, x] of a.entries()) addresses.add(readAddress(x, `${what}address[${i}]`));
  } else if (a !== undefined && a !== null)
    throw new ParamError(`${what}address: expected an address or an array`);
  const topics: (Set<bigint> | null)[] = [];
  const t = v.topics;
  if (t !== undefined && t !== null) {
    if (!Array.isArray(t)) throw new ParamError(`${what}topics: expected an array`);
    if (t.length > MAX_TOPICS) throw new ParamError("exceed max topics");
    t.forEach((pos, i) => {
      if (pos === null) topics.push(null);
      else if (typeof pos === "string") topics.push(new Set([BigInt(readHash(pos, `${what}topics[${i}]`))]));
      else if (Array.isArray(pos)) {
        if (pos.length === 0 || pos.some((x) => x === null)) topics.push(null);
        else topics.push(new Set(pos.map((x, j) => BigInt(readHash(x, `${what}topics[${i}][${j}]`)))));
      } else throw new ParamError(`${what}topics[${i}]: expected null, a topic or an array of topics`);
    });
  }
  return { addresses, topics };
}

export function logMatches(f: LogFilter, log: LogRecord): boolean {
  if (f.addresses.size > 0 && !f.addresses.has(log.address)) return false;
  if (f.topics.length > log.topics.length) return false;
  for (let i = 0; i < f.topics.length; i++) {
    const want = f.topics[i];
    if (want !== null && want !== undefined && !want.has(log.topics[i]!)) return false;
  }
  return true;
}

/** Could the block contain matching logs? (Bloom test; false positives allowed.) */
function bloomMayMatch(f: LogFilter, bloom: Uint8Array): boolean {
  const has = (item: Uint8Array) => {
    const bits = new Uint8Array(256);
    bloomAdd(bits, item);
    for (let i = 0; i < 256; i++) if ((bits[i]! & bloom[i]!) !== bits[i]) return false;
    return true;
  };
  if (f.addresses.size > 0 && ![...f.addresses].some((a) => has(hexToBytes(a)))) return false;
  for (const set of f.topics) {
    if (set !== null && ![...set].some((t) => has(wordToBytes(t)))) return false;
  }
  return true;
}

/** Matching logs of one block, formatted. */
export function blockLogs(b: StoredBlock, f: LogFilter): Json[] {
  const out: Json[] = [];
  if (!bloomMayMatch(f, b.block.header.logsBloom)) return out;
  const offsets = logOffsets(b.receipts);
  b.receipts.forEach((r, i) => {
    const hash = bytesToHex(txHash(b.block.transactions[i]!));
    r.logs.forEach((l, j) => {
      if (logMatches(f, l)) out.push(formatLog(l, b, i, hash, offsets[i]! + j));
    });
  });
  return out;
}

// ---------------------------------------------------------------------------
// Fees

/** go-ethereum-like tip suggestion (see the module comment). */
export function suggestTip(env: RpcEnv): bigint {
  const chain = env.node.chain;
  const head = chain.head.block.header.number;
  const samples: bigint[] = [];
  for (let n = head; n >= 0n && n > head - 20n; n--) {
    const b = chain.canonicalAt(n);
    if (b === undefined) break;
    const baseFee = b.block.header.baseFeePerGas ?? 0n;
    const tips = b.block.transactions.map((tx) => effectiveTip(tx, baseFee)).filter((t) => t >= 2n);
    tips.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    samples.push(...tips.slice(0, 3));
  }
  if (samples.length === 0) return GWEI;
  samples.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  return samples[Math.floor(((samples.length - 1) * 60) / 100)]!;
}

function feeHistory(env: RpcEnv, countArg: unknown, newestArg: unknown, pctArg: unknown): Json {
  const node = env.node;
  const spec = node.genesis.spec;
  let count: number;
  if (typeof countArg === "number" && Number.isInteger(countArg) && countArg >= 0) count = countArg;
  else if (typeof countArg === "string" && /^[0-9]+$/.test(countArg)) count = Number(countArg);
  else count = Number(param([countArg], 0, (v, w) => readQuantity(v, w, 64)));
  const newestRef = param([undefined, newestArg], 1, readBlockNumber);
  let percentiles: number[] | undefined;
  if (pctArg !== undefined && pctArg !== null) {
    if (!Array.isArray(pctArg) || pctArg.some((p) => typeof p !== "number")) {
      throw new RpcError(INVALID_PARAMS, "invalid argument 2: expected an array of numbers");
    }
    percentiles = pctArg as number[];
  }
  // go-ethereum's oracle answers no blocks with no data (oldestBlock 0, gasUsedRatio null,
  // the other keys omitted), before it looks at the percentiles or the newest block.
  if (count === 0) return { oldestBlock: "0x0", gasUsedRatio: null };
  if (percentiles !== undefined) {
    for (let i = 0; i < percentiles.length; i++) {
      const p = percentiles[i]!;
      if (p < 0 || p > 100) throw serverError(`invalid reward percentile: ${p}`);
      if (i > 0 && p <= percentiles[i - 1]!) {
        throw serverError(`invalid reward percentile: #${i - 1}:${percentiles[i - 1]} >= #${i}:${p}`);
      }
    }
  }
  const newest = resolveBlock(node, newestRef);
  if (count > MAX_FEE_HISTORY) count = MAX_FEE_HISTORY;
  const newestN = newest.block.header.number;
  if (BigInt(count) > newestN + 1n) count = Number(newestN + 1n);
  const oldest = newestN + 1n - BigInt(count);
  const baseFees: string[] = [];
  const blobFees: string[] = [];
  const ratios: number[] = [];
  const blobRatios: number[] = [];
  const rewards: string[][] = [];
  for (let n = oldest; n <= newestN; n++) {
    const b = node.chain.canonicalAt(n)!;
    const h = b.block.header;
    const fork = headerFork(spec, h);
    baseFees.push(q(h.baseFeePerGas ?? 0n));
    ratios.push(h.gasLimit === 0n ? 0 : Number(h.gasUsed) / Number(h.gasLimit));
    const schedule = blobScheduleAt(spec.config, fork, h.timestamp);
    if (fork >= Fork.Cancun) {
      blobFees.push(q(blobBaseFee(h.excessBlobGas ?? 0n, schedule)));
      blobRatios.push(Number(h.blobGasUsed ?? 0n) / Number(BigInt(schedule.max) * GAS_PER_BLOB));
    } else {
      blobFees.push("0x0");
      blobRatios.push(0);
    }
    if (percentiles !== undefined) {
      const baseFee = h.baseFeePerGas ?? 0n;
      const items = b.block.transactions.map((tx, i) => ({
        tip: effectiveTip(tx, baseFee),
        gas: b.receipts[i]!.cumulativeGasUsed - (i === 0 ? 0n : b.receipts[i - 1]!.cumulativeGasUsed),
      }));
      items.sort((x, y) => (x.tip < y.tip ? -1 : x.tip > y.tip ? 1 : 0));
      rewards.push(
        percentiles.map((p) => {
          if (items.length === 0) return "0x0";
          const threshold = (Number(h.gasUsed) * p) / 100;
          let sum = 0;
          for (const it of items) {
            sum += Number(it.gas);
            if (sum >= threshold) return q(it.tip);
          }
          return q(items[items.length - 1]!.tip);
        }),
      );
    }
  }
  // The entry after the newest block: its base fee and blob base fee.
  const nh = newest.block.header;
  const nextFork = headerFork(spec, { ...nh, number: nh.number + 1n, timestamp: nh.timestamp + 1n });
  baseFees.push(q(nextFork >= Fork.London ? calcBaseFee(spec, nh) : 0n));
  if (nextFork >= Fork.Cancun) {
    const schedule = blobScheduleAt(spec.config, nextFork, nh.timestamp + 1n);
    const excess = nextExcessBlobGas(
      nextFork,
      schedule,
      nh.excessBlobGas ?? 0n,
      nh.blobGasUsed ?? 0n,
      nh.baseFeePerGas ?? 0n,
    );
    blobFees.push(q(blobBaseFee(excess, schedule)));
  } else blobFees.push("0x0");
  const out: Json = {
    oldestBlock: q(oldest),
    baseFeePerGas: baseFees,
    gasUsedRatio: ratios,
    baseFeePerBlobGas: blobFees,
    blobGasUsedRatio: blobRatios,
  };
  if (percentiles !== undefined) out.reward = rewards;
  return out;
}

// ---------------------------------------------------------------------------
// Sending

function sendTransaction(env: RpcEnv, a: CallArgs): string {
  const node = env.node;
  if (a.from === undefined) throw serverError("missing from address");
  const key = node.keyOf(a.from);
  if (key === undefined) throw serverError("unknown account");
  if (a.chainId !== undefined && a.chainId !== node.chainId) {
    throw serverError(`chainId does not match node's (have=${a.chainId}, want=${node.chainId})`);
  }
  if (a.blobVersionedHashes !== undefined)
    throw serverError("blob transactions are not supported by eth_sendTransaction");
  if (a.gasPrice !== undefined && (a.maxFeePerGas !== undefined || a.maxPriorityFeePerGas !== undefined)) {
    throw serverError("both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified");
  }
  const nonce = a.nonce ?? node.pool.nextNonce(a.from);
  const london = node.nextFork() >= Fork.London;
  const filled: CallArgs = { ...a };
  if (a.gasPrice === undefined && london) {
    const tip = a.maxPriorityFeePerGas ?? suggestTip(env);
    const cap = a.maxFeePerGas ?? tip + 2n * node.nextBaseFee();
    if (cap < tip) throw serverError(`maxFeePerGas (${cap}) < maxPriorityFeePerGas (${tip})`);
    filled.maxPriorityFeePerGas = tip;
    filled.maxFeePerGas = cap;
  } else if (a.gasPrice === undefined) {
    filled.gasPrice = suggestTip(env) + (node.head.block.header.baseFeePerGas ?? 0n);
  }
  const gas =
    a.gas ??
    estimateGas(node, { args: filled, block: node.head, gasCap: env.gasCap, timeoutMs: evmTimeout(env) });
  const base = {
    nonce,
    gasLimit: gas,
    to: a.to ?? null,
    value: a.value ?? 0n,
    data: a.data ?? new Uint8Array(0),
    r: 0n,
    s: 0n,
  };
  let tx: Transaction;
  if (filled.gasPrice !== undefined) {
    tx =
      a.accessList !== undefined
        ? {
            ...base,
            type: 1,
            chainId: node.chainId,
            accessList: a.accessList,
            yParity: 0,
            gasPrice: filled.gasPrice,
          }
        : { ...base, type: 0, chainId: node.chainId, gasPrice: filled.gasPrice, v: 0n };
  } else {
    const fee = {
      ...base,
      chainId: node.chainId,
      accessList: a.accessList ?? [],
      yParity: 0,
      maxFeePerGas: filled.maxFeePerGas!,
      maxPriorityFeePerGas: filled.maxPriorityFeePerGas!,
    };
    tx =
      a.authorizationList !== undefined
        ? { ...fee, type: 4, authorizationList: a.authorizationList }
        : { ...fee, type: 2 };
  }
  return submit(env, signTransaction(tx, key));
}

function submit(env: RpcEnv, tx: Transaction): string {
  try {
    return env.node.submit(tx).hash;
  } catch (err) {
    if (err instanceof TxPoolError) throw serverError(err.message);
    throw err;
  }
}

// ---------------------------------------------------------------------------

/** An account-reading method: (address, block = latest). */
function accountLike<T>(
  env: RpcEnv,
  params: unknown[],
  read: (acc: ReturnType<ReturnType<typeof stateOf>["getAccount"]>) => T,
): T {
  args(params, 2, 1);
  const address = param(params, 0, readAddress);
  const ref = optParam(params, 1, readBlockRef, LATEST);
  const b = resolveBlock(env.node, ref);
  return read(stateOf(env.node, b).getAccount(address));
}

function blockTxByIndex(env: RpcEnv, b: StoredBlock | undefined, index: bigint): Json | null {
  if (b === undefined) return null;
  const tx = b.block.transactions[Number(index)];
  if (tx === undefined || index >= BigInt(b.block.transactions.length)) return null;
  const hash = bytesToHex(txHash(tx));
  return formatTransaction(
    tx,
    env.node.sender(tx, hash),
    txPlace(env.node.genesis.spec, b, Number(index)),
    hash,
  );
}

function blockReceipts(env: RpcEnv, b: StoredBlock): Json[] {
  const spec = env.node.genesis.spec;
  return b.block.transactions.map((tx, i) =>
    formatReceipt(spec, b, i, b.receipts, env.node.sender(tx, bytesToHex(txHash(tx)))),
  );
}

/** The EVM timeout of eth_call and eth_estimateGas (--rpc.evmtimeout), in milliseconds. */
function evmTimeout(env: RpcEnv): number {
  return env.evmTimeoutMs ?? DEFAULT_EVM_TIMEOUT_MS;
}

function callParams(env: RpcEnv, params: unknown[]) {
  args(params, 4, 1);
  const a = param(params, 0, readCallArgs);
  const ref = optParam(params, 1, readBlockRef, LATEST);
  const stateOverrides = optParam(params, 2, readStateOverrides, undefined);
  const blockOverrides = optParam(params, 3, readBlockOverrides, undefined);
  const block = resolveBlock(env.node, ref);
  return { args: a, block, stateOverrides, blockOverrides, gasCap: env.gasCap, timeoutMs: evmTimeout(env) };
}

// ---------------------------------------------------------------------------
// eth_getProof

/** go-ethereum's maxGetProofKeys. */
const MAX_PROOF_KEYS = 1024;

/** go-ethereum's decodeStorageKey: up to 32 bytes of hex, 0x optional, odd length allowed. */
function readStorageKey(v: unknown): { slot: bigint; length: number } {
  if (typeof v !== "string") throw invalidParam(1, "expected an array of storage keys (hex strings)");
  let d = v.startsWith("0x") || v.startsWith("0X") ? v.slice(2) : v;
  if (d.length % 2 === 1) d = `0${d}`;
  if (d.length > 64) {
    throw new RpcError(INVALID_PARAMS, `storage key too long (want at most 32 bytes): "${v}"`);
  }
  if (!/^[0-9a-fA-F]*$/.test(d)) throw new RpcError(INVALID_PARAMS, `invalid hex in storage key: "${v}"`);
  return { slot: d.length === 0 ? 0n : BigInt(`0x${d}`), length: d.length / 2 };
}

function getProof(env: RpcEnv, params: unknown[]): Json {
  args(params, 3, 2);
  const address = param(params, 0, readAddress);
  const rawKeys = params[1];
  if (!Array.isArray(rawKeys)) throw invalidParam(1, "expected an array of storage keys");
  if (rawKeys.length > MAX_PROOF_KEYS) {
    throw new RpcError(
      INVALID_PARAMS,
      `too many storage keys requested (max ${MAX_PROOF_KEYS}, got ${rawKeys.length})`,
    );
  }
  const keys = rawKeys.map(readStorageKey);
  const b = resolveBlock(env.node, optParam(params, 2, readBlockRef, LATEST));
  const p = proveAccount(
    stateOf(env.node, b),
    address,
    keys.map((k) => k.slot),
  );
  const hexList = (nodes: Uint8Array[]) => nodes.map(bytesToHex);
  return {
    address,
    accountProof: hexList(p.accountProof),
    balance: q(p.balance),
    codeHash: bytesToHex(p.codeHash),
    nonce: q(p.nonce),
    storageHash: bytesToHex(p.storageHash),
    storageProof: p.storageProof.map((sp, i) => ({
      // As go-ethereum: a 32-byte key is echoed as a hash, any other as a quantity.
      key: keys[i]!.length === 32 ? `0x${sp.slot.toString(16).padStart(64, "0")}` : q(sp.slot),
      value: q(sp.value),
      proof: hexList(sp.proof),
    })),
  };
}

// ---------------------------------------------------------------------------
// eth_getStorageValues

/** go-ethereum's maxGetStorageSlots: most slots in one eth_getStorageValues call. */
export const MAX_STORAGE_SLOTS = 1024;
/** go-ethereum's errCodeClientLimitExceeded. */
const CLIENT_LIMIT_EXCEEDED = -38026;

/**
 * eth_getStorageValues, as go-ethereum: {address: [slot…]} and a block (default latest)
 * → {address: [32-byte value…]}; at most 1024 slots in all (-38026), at least one (-32602
 * "empty request"). Missing accounts and slots read as zero.
 */
function getStorageValues(env: RpcEnv, params: unknown[]): Json {
  args(params, 2, 1);
  const requests = param(params, 0, readStorageRequests);
  let total = 0;
  for (const slots of requests.values()) {
    total += slots.length;
    if (total > MAX_STORAGE_SLOTS) {
      throw new RpcError(CLIENT_LIMIT_EXCEEDED, `too many slots (max ${MAX_STORAGE_SLOTS})`);
    }
  }
  if (total === 0) throw new RpcError(INVALID_PARAMS, "empty request");
  const b = resolveBlock(env.node, optParam(params, 1, readBlockRef, LATEST));
  const state = stateOf(env.node, b);
  const out: Json = {};
  for (const [address, slots] of requests) {
    const storage = state.getAccount(address)?.storage;
    out[address] = slots.map((slot) => {
      const v = storage?.get(BigInt(slot)) ?? 0n;
      return `0x${v.toString(16).padStart(64, "0")}`;
    });
  }
  return out;
}

// ---------------------------------------------------------------------------
// eth_createAccessList

/** EIP-7702's per-authorization gas (go-ethereum's CallNewAccountGas bound). */
const CALL_NEW_ACCOUNT_GAS = 25000n;

function createAccessList(env: RpcEnv, params: unknown[]): Json {
  const node = env.node;
  args(params, 3, 1);
  const a = param(params, 0, readCallArgs);
  const block = resolveBlock(node, optParam(params, 1, readBlockRef, LATEST));
  const stateOverrides = optParam(params, 2, readStateOverrides, undefined);
  // go-ethereum's setFeeDefaults: a call priced like a transaction would be.
  const filled: CallArgs = { ...a };
  if (a.maxFeePerBlobGas !== undefined && a.maxFeePerBlobGas === 0n) {
    throw serverError("maxFeePerBlobGas, if specified, must be non-zero");
  }
  if (a.gasPrice !== undefined && (a.maxFeePerGas !== undefined || a.maxPriorityFeePerGas !== undefined)) {
    throw serverError("both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified");
  }
  const header = block.block.header;
  const london = headerFork(node.genesis.spec, header) >= Fork.London;
  if (a.gasPrice === undefined && a.maxFeePerGas !== undefined && a.maxPriorityFeePerGas !== undefined) {
    if (a.maxFeePerGas === 0n) throw serverError("maxFeePerGas must be non-zero");
    if (a.maxFeePerGas < a.maxPriorityFeePerGas) {
      throw serverError(
        `maxFeePerGas (${a.maxFeePerGas}) < maxPriorityFeePerGas (${a.maxPriorityFeePerGas})`,
      );
    }
  } else if (a.gasPrice !== undefined) {
    if (a.gasPrice === 0n && london) throw serverError("gasPrice must be non-zero after london fork");
  } else if (london) {
    const tip = a.maxPriorityFeePerGas ?? suggestTip(env);
    const cap = a.maxFeePerGas ?? tip + 2n * (header.baseFeePerGas ?? 0n);
    if (cap < tip) throw serverError(`maxFeePerGas (${cap}) < maxPriorityFeePerGas (${tip})`);
    filled.maxPriorityFeePerGas = tip;
    filled.maxFeePerGas = cap;
  } else {
    if (a.maxFeePerGas !== undefined || a.maxPriorityFeePerGas !== undefined) {
      throw serverError("maxFeePerGas and maxPriorityFeePerGas are not valid before London is active");
    }
    filled.gasPrice = suggestTip(env);
  }
  const prepared = prepareCall(node, { args: filled, block, stateOverrides, gasCap: env.gasCap });
  const gas = callGas(a, env.gasCap);
  const nonce = a.nonce ?? prepared.nonce;
  const from = prepared.from;
  const to = a.to ?? createAddress(from, nonce);
  const exclude = new Set<Address>([from, to, ...precompilesFor(prepared.env.fork).keys()]);
  const auths = a.authorizationList ?? [];
  if (BigInt(auths.length) > gas / CALL_NEW_ACCOUNT_GAS) {
    throw serverError("insufficient gas to process all authorizations");
  }
  for (const auth of auths) {
    const authority = recoverAuthority(auth, node.chainId);
    if (authority !== null) exclude.add(authority);
  }
  let prev = new AccessListCollector(a.accessList ?? [], exclude);
  for (;;) {
    const list = prev.accessList();
    const tracer = new AccessListCollector(list, exclude);
    const out = runPrepared({ ...prepared, args: { ...filled, accessList: list } }, gas, tracer.hooks);
    if (out.error !== undefined) {
      const legacy = rlpEncode([
        bigintToBytes(nonce),
        bigintToBytes(filled.gasPrice ?? 0n),
        bigintToBytes(gas),
        a.to === undefined || a.to === null ? new Uint8Array(0) : hexToBytes(a.to),
        bigintToBytes(a.value ?? 0n),
        a.data ?? new Uint8Array(0),
        new Uint8Array(0),
        new Uint8Array(0),
        new Uint8Array(0),
      ]);
      throw serverError(`failed to apply transaction: ${bytesToHex(keccak256(legacy))} err: ${out.error}`);
    }
    if (tracer.equals(prev)) {
      const r = out.result;
      const result: Json = {
        accessList: list.map((e) => ({
          address: e.address,
          storageKeys: e.storageKeys.map((k) => `0x${k.toString(16).padStart(64, "0")}`),
        })),
      };
      if (r.error !== undefined && r.error !== null) result.error = r.error;
      result.gasUsed = q(r.gasUsed);
      return result;
    }
    prev = tracer;
  }
}

// ---------------------------------------------------------------------------
// Log ranges and filters

/**
 * Logs of canonical blocks from..to, with go-ethereum's range errors (-32602): "invalid
 * block range params" when from > to, "block range extends beyond current head block"
 * when to is past the head.
 */
function rangeLogs(env: RpcEnv, from: bigint, to: bigint, filter: LogFilter): Json[] {
  const node = env.node;
  const headN = node.head.block.header.number;
  if (from > to) throw new RpcError(INVALID_PARAMS, "invalid block range params");
  if (to > headN) throw new RpcError(INVALID_PARAMS, "block range extends beyond current head block");
  const out: Json[] = [];
  for (let n = from; n <= to; n++) {
    const b = node.chain.canonicalAt(n);
    if (b !== undefined) out.push(...blockLogs(b, filter));
  }
  return out;
}

/**
 * go-ethereum's SubscribeLogs and GetLogs: a "pending" fromBlock or toBlock is refused
 * (pending logs are no longer served), for eth_getLogs, eth_newFilter and logs subscriptions.
 */
function refusePendingLogs(c: Json): void {
  if (c.fromBlock === "pending" || c.toBlock === "pending") {
    throw new RpcError(INVALID_PARAMS, "pending logs are not supported");
  }
}

/**
 * go-ethereum's SubscribeLogs, behind eth_newFilter and eth_subscribe("logs"): after the
 * pending refusal, only latest..latest, n..m with n <= m, and n..latest are followed, with
 * "earliest" as fromBlock standing for block 0. Anything else (fromBlock after toBlock, a
 * "latest" start with a numbered end, "safe"/"finalized", an "earliest" end) is "invalid
 * block range params" (-32602). An absent bound is "latest".
 */
function checkSubscribeRange(c: Json): void {
  refusePendingLogs(c);
  const bound = (k: "fromBlock" | "toBlock"): bigint | "latest" | null => {
    const v = c[k];
    if (v === undefined || v === null) return "latest";
    const ref = param([v], 0, (x) => readBlockNumber(x, k));
    if ("number" in ref) return ref.number;
    const tag = (ref as { tag: string }).tag;
    if (tag === "latest") return "latest";
    if (tag === "earliest" && k === "fromBlock") return 0n;
    return null;
  };
  const from = bound("fromBlock");
  const to = bound("toBlock");
  const ok =
    (from === "latest" && to === "latest") ||
    (typeof from === "bigint" && (to === "latest" || (typeof to === "bigint" && to >= from)));
  if (!ok) throw new RpcError(INVALID_PARAMS, "invalid block range params");
}

/** A filter's block bound (checked by checkSubscribeRange): a number, 0 for earliest, undefined for latest. */
function filterBound(v: unknown, what: string): bigint | undefined {
  if (v === undefined || v === null) return undefined;
  const ref = param([v], 0, (x) => readBlockNumber(x, what));
  if ("number" in ref) return ref.number;
  return (ref as { tag: string }).tag === "earliest" ? 0n : undefined;
}

/** A filter's or log subscription's numeric bounds, after checkSubscribeRange accepted them. */
function filterBounds(c: Json): { from?: bigint; to?: bigint } {
  const out: { from?: bigint; to?: bigint } = {};
  const from = filterBound(c.fromBlock, "fromBlock");
  const to = filterBound(c.toBlock, "toBlock");
  if (from !== undefined) out.from = from;
  if (to !== undefined) out.to = to;
  return out;
}

function readFilterCriteria(p: unknown[]): LogCriteria {
  const crit = p[0];
  if (typeof crit !== "object" || crit === null || Array.isArray(crit)) {
    throw new RpcError(INVALID_PARAMS, "invalid argument 0: expected a filter object");
  }
  const c = crit as Json;
  const filter = param(p, 0, (v) => readLogFilterCriteria(v as Json, ""));
  const has = (k: string) => c[k] !== undefined && c[k] !== null;
  if (has("blockHash")) {
    if (has("fromBlock") || has("toBlock")) {
      throw new RpcError(
        INVALID_PARAMS,
        "invalid argument 0: cannot specify both BlockHash and FromBlock/ToBlock, choose one or the other",
      );
    }
    return { filter, blockHash: param([c.blockHash], 0, readHash) };
  }
  checkSubscribeRange(c);
  return { filter, ...filterBounds(c) };
}

function filterId(p: unknown[]): string {
  args(p, 1, 1);
  if (typeof p[0] !== "string") throw invalidParam(0, "expected a filter id");
  return p[0];
}

/** A method without parameters (more are -32602, as go-ethereum). */
function none(fn: () => unknown) {
  return (p: unknown[]) => {
    args(p, 0, 0);
    return fn();
  };
}

export function ethNamespace(env: RpcEnv): Namespace {
  const node = env.node;
  const spec = node.genesis.spec;
  const senderOf = (tx: Transaction, hash: string) => node.sender(tx, hash);
  const filters = new FilterManager(node, blockLogs);
  return {
    eth_chainId: none(() => q(node.chainId)),
    eth_blockNumber: none(() => q(node.head.block.header.number)),
    eth_syncing: none(() => false),
    eth_mining: none(() => node.sealer.automine || (node.mining && node.blockTime > 0)),
    eth_hashrate: none(() => "0x0"),
    eth_coinbase: none(() => node.coinbase),
    eth_accounts: none(() => node.accounts.map((a) => a.address)),
    eth_gasPrice: none(() => q(suggestTip(env) + (node.head.block.header.baseFeePerGas ?? 0n))),
    eth_maxPriorityFeePerGas: none(() => q(suggestTip(env))),
    // go-ethereum: the base fee of the next block (null before London).
    eth_baseFee: none(() => (node.nextFork() >= Fork.London ? q(node.nextBaseFee()) : null)),
    eth_blobBaseFee: none(() => {
      const h = node.head.block.header;
      const fork = headerFork(spec, h);
      // go-ethereum: no blob base fee (null) while the head has no excessBlobGas.
      if (fork < Fork.Cancun) return null;
      return q(blobBaseFee(h.excessBlobGas ?? 0n, blobScheduleAt(spec.config, fork, h.timestamp)));
    }),
    eth_feeHistory: (p) => {
      args(p, 3, 2);
      return feeHistory(env, p[0], p[1], p[2]);
    },
    eth_getBalance: (p) => accountLike(env, p, (a) => q(a?.balance ?? 0n)),
    eth_getCode: (p) => accountLike(env, p, (a) => bytesToHex(a?.code ?? new Uint8Array(0))),
    // Extensions of reth and anvil (not go-ethereum); cast asks eth_getAccountInfo first.
    // eth_getAccountInfo: balance, nonce and code, zeros for an account that does not exist.
    eth_getAccountInfo: (p) =>
      accountLike(env, p, (a) => ({
        balance: q(a?.balance ?? 0n),
        nonce: q(a?.nonce ?? 0n),
        code: bytesToHex(a?.code ?? new Uint8Array(0)),
      })),
    // eth_getAccount: the account's trie fields, null when it does not exist (as reth).
    eth_getAccount: (p) =>
      accountLike(env, p, (a) =>
        a === undefined
          ? null
          : {
              nonce: q(a.nonce),
              balance: q(a.balance),
              storageRoot: bytesToHex(storageRoot(a.storage)),
              codeHash: bytesToHex(a.code.length === 0 ? KECCAK_EMPTY : keccak256(a.code)),
            },
      ),
    eth_getTransactionCount: (p) => {
      args(p, 2, 1);
      const address = param(p, 0, readAddress);
      const ref = optParam(p, 1, readBlockRef, LATEST);
      if ("tag" in ref && ref.tag === "pending") return q(node.pool.nextNonce(address));
      const b = resolveBlock(node, ref);
      return q(stateOf(node, b).getAccount(address)?.nonce ?? 0n);
    },
    eth_getStorageAt: (p) => {
      args(p, 3, 2);
      const address = param(p, 0, readAddress);
      const slot = param(p, 1, (v, w) => {
        // go-ethereum accepts any hex string up to 32 bytes as the slot.
        if (typeof v !== "string" || !/^0x[0-9a-fA-F]{1,64}$/.test(v)) {
          throw new ParamError(`${w}: unable to decode storage key: hex string invalid`);
        }
        return BigInt(v);
      });
      const b = resolveBlock(node, optParam(p, 2, readBlockRef, LATEST));
      const v = stateOf(node, b).getAccount(address)?.storage.get(slot) ?? 0n;
      return `0x${v.toString(16).padStart(64, "0")}`;
    },
    eth_getStorageValues: (p) => getStorageValues(env, p),
    eth_getBlockByNumber: (p) => {
      args(p, 2, 1);
      const ref = param(p, 0, readBlockNumber);
      const full = optParam(p, 1, readBool, false);
      const b = findBlock(node, ref);
      return b === undefined ? null : formatBlock(spec, b, full, senderOf);
    },
    eth_getBlockByHash: (p) => {
      args(p, 2, 1);
      const hash = param(p, 0, readHash);
      const full = optParam(p, 1, readBool, false);
      const b = node.chain.get(hash);
      return b === undefined ? null : formatBlock(spec, b, full, senderOf);
    },
    eth_getHeaderByNumber: (p) => {
      args(p, 1, 1);
      const b = findBlock(node, param(p, 0, readBlockNumber));
      return b === undefined ? null : formatHeader(b.block.header, b.hash);
    },
    eth_getHeaderByHash: (p) => {
      args(p, 1, 1);
      const b = node.chain.get(param(p, 0, readHash));
      return b === undefined ? null : formatHeader(b.block.header, b.hash);
    },
    eth_getBlockTransactionCountByNumber: (p) => {
      args(p, 1, 1);
      const b = findBlock(node, param(p, 0, readBlockNumber));
      return b === undefined ? null : q(BigInt(b.block.transactions.length));
    },
    eth_getBlockTransactionCountByHash: (p) => {
      args(p, 1, 1);
      const b = node.chain.get(param(p, 0, readHash));
      return b === undefined ? null : q(BigInt(b.block.transactions.length));
    },
    eth_getUncleCountByBlockNumber: (p) => {
      args(p, 1, 1);
      const b = findBlock(node, param(p, 0, readBlockNumber));
      return b === undefined ? null : q(BigInt(b.block.uncles.length));
    },
    eth_getUncleCountByBlockHash: (p) => {
      args(p, 1, 1);
      const b = node.chain.get(param(p, 0, readHash));
      return b === undefined ? null : q(BigInt(b.block.uncles.length));
    },
    eth_getTransactionByHash: (p) => {
      args(p, 1, 1);
      const hash = param(p, 0, readHash);
      const loc = node.locate(hash);
      if (loc !== undefined) {
        const b = node.chain.get(loc.blockHash)!;
        return blockTxByIndex(env, b, BigInt(loc.index));
      }
      const pooled = node.pool.get(hash);
      return pooled === undefined ? null : formatTransaction(pooled.tx, pooled.sender, null, pooled.hash);
    },
    eth_getTransactionByBlockHashAndIndex: (p) => {
      args(p, 2, 2);
      const b = node.chain.get(param(p, 0, readHash));
      return blockTxByIndex(
        env,
        b,
        param(p, 1, (v, w) => readQuantity(v, w, 64)),
      );
    },
    eth_getTransactionByBlockNumberAndIndex: (p) => {
      args(p, 2, 2);
      const b = findBlock(node, param(p, 0, readBlockNumber));
      return blockTxByIndex(
        env,
        b,
        param(p, 1, (v, w) => readQuantity(v, w, 64)),
      );
    },
    eth_getRawTransactionByHash: (p) => {
      args(p, 1, 1);
      const hash = param(p, 0, readHash);
      const loc = node.locate(hash);
      const tx =
        loc !== undefined
          ? node.chain.get(loc.blockHash)!.block.transactions[loc.index]
          : node.pool.get(hash)?.tx;
      return tx === undefined ? null : bytesToHex(encodeTx(tx));
    },
    eth_getTransactionReceipt: (p) => {
      args(p, 1, 1);
      const hash = param(p, 0, readHash);
      const loc = node.locate(hash);
      if (loc === undefined) return null;
      const b = node.chain.get(loc.blockHash)!;
      const tx = b.block.transactions[loc.index]!;
      return formatReceipt(spec, b, loc.index, b.receipts, node.sender(tx, hash));
    },
    eth_getBlockReceipts: (p) => {
      args(p, 1, 1);
      const b = findBlock(node, param(p, 0, readBlockRef));
      return b === undefined ? null : blockReceipts(env, b);
    },
    eth_sendRawTransaction: (p) => {
      args(p, 1, 1);
      const raw = param(p, 0, readData);
      try {
        return node.submitRaw(raw).hash;
      } catch (err) {
        if (err instanceof TxPoolError) throw serverError(err.message);
        throw err;
      }
    },
    eth_sendTransaction: (p) => {
      args(p, 1, 1);
      return sendTransaction(env, param(p, 0, readCallArgs));
    },
    eth_call: (p) => {
      const r = doCall(node, callParams(env, p));
      if (!r.success) throw callFailure(r);
      return bytesToHex(r.returnData);
    },
    eth_estimateGas: (p) => q(estimateGas(node, callParams(env, p))),
    eth_getLogs: (p) => {
      args(p, 1, 1);
      const crit = p[0];
      if (typeof crit !== "object" || crit === null || Array.isArray(crit)) {
        throw new RpcError(INVALID_PARAMS, "invalid argument 0: expected a filter object");
      }
      const c = crit as Json;
      const filter = param(p, 0, (v) => readLogFilterCriteria(v as Json, ""));
      const has = (k: string) => c[k] !== undefined && c[k] !== null;
      if (has("blockHash")) {
        if (has("fromBlock") || has("toBlock")) {
          throw new RpcError(
            INVALID_PARAMS,
            "invalid argument 0: cannot specify both BlockHash and FromBlock/ToBlock, choose one or the other",
          );
        }
        const b = node.chain.get(param([c.blockHash], 0, readHash));
        if (b === undefined) throw serverError("unknown block");
        return blockLogs(b, filter);
      }
      const headN = node.head.block.header.number;
      const ref = (k: string): BlockRef => (has(k) ? param([c[k]], 0, readBlockNumber) : LATEST);
      const fromRef = ref("fromBlock");
      const toRef = ref("toBlock");
      const tagOf = (r: BlockRef) => ("tag" in r ? r.tag : undefined);
      if (tagOf(fromRef) === "pending" || tagOf(toRef) === "pending") {
        throw new RpcError(INVALID_PARAMS, "pending logs are not supported");
      }
      // Two explicit numbers in the wrong order are refused before anything is resolved.
      if ("number" in fromRef && "number" in toRef && fromRef.number > 0n && fromRef.number > toRef.number) {
        throw new RpcError(INVALID_PARAMS, "invalid block range params");
      }
      const num = (r: BlockRef): bigint => ("number" in r ? r.number : tagOf(r) === "earliest" ? 0n : headN);
      return rangeLogs(env, num(fromRef), num(toRef), filter);
    },
    eth_subscribe: (p, ctx) => {
      if (ctx.subscriptions === undefined) throw new RpcError(-32601, "notifications not supported");
      args(p, 2, 1);
      const kind = p[0];
      const subs = ctx.subscriptions;
      if (kind === "newHeads") {
        return subs.subscribe((notify) => {
          const fn = (b: StoredBlock) => notify(formatHeader(b.block.header, b.hash));
          node.events.on("block", fn);
          return () => node.events.off("block", fn);
        });
      }
      if (kind === "logs") {
        const raw = p[1] ?? {};
        if (typeof raw !== "object" || Array.isArray(raw))
          throw new RpcError(INVALID_PARAMS, "invalid argument 1: expected a filter object");
        const filter = param([raw], 0, (v) => readLogFilterCriteria(v as Json, ""));
        checkSubscribeRange(raw as Json);
        // As go-ethereum's subscription, only logs of blocks within numeric bounds are sent.
        const bounds = filterBounds(raw as Json);
        return subs.subscribe((notify) => {
          const fn = (b: StoredBlock) => {
            if (!withinBounds(bounds, b.block.header.number)) return;
            for (const l of blockLogs(b, filter)) notify(l);
          };
          node.events.on("block", fn);
          return () => node.events.off("block", fn);
        });
      }
      if (kind === "newPendingTransactions") {
        const full = p[1] === true;
        return subs.subscribe((notify) => {
          const fn = (e: { tx: Transaction; hash: string; sender: Address }) =>
            notify(full ? formatTransaction(e.tx, e.sender, null, e.hash) : e.hash);
          node.events.on("pendingTx", fn);
          return () => node.events.off("pendingTx", fn);
        });
      }
      if (kind === "syncing") {
        return subs.subscribe(() => () => {});
      }
      throw serverError(`no "${String(kind)}" subscription in eth namespace`);
    },
    eth_unsubscribe: (p, ctx) => {
      if (ctx.subscriptions === undefined) throw new RpcError(-32601, "notifications not supported");
      args(p, 1, 1);
      if (typeof p[0] !== "string")
        throw new RpcError(INVALID_PARAMS, "invalid argument 0: expected a subscription id");
      return ctx.subscriptions.unsubscribe(p[0]);
    },
    eth_getProof: (p) => getProof(env, p),
    eth_createAccessList: (p) => createAccessList(env, p),
    eth_simulateV1: (p) => simulateV1(env, p),
    eth_config: none(() => ethConfig(node)),
    eth_capabilities: none(() => ethCapabilities(node)),
    eth_newFilter: (p) => {
      args(p, 1, 1);
      return filters.newLogFilter(readFilterCriteria(p));
    },
    eth_newBlockFilter: none(() => filters.newBlockFilter()),
    eth_newPendingTransactionFilter: (p) => {
      args(p, 1, 0);
      return filters.newPendingTxFilter(optParam(p, 0, readBool, false));
    },
    eth_getFilterChanges: (p) => filters.changes(filterId(p)),
    eth_getFilterLogs: (p) => {
      const crit = filters.logCriteria(filterId(p));
      if (crit.blockHash !== undefined) {
        const b = node.chain.get(crit.blockHash);
        if (b === undefined) throw serverError("unknown block");
        return blockLogs(b, crit.filter);
      }
      const headN = node.head.block.header.number;
      return rangeLogs(env, crit.from ?? headN, crit.to ?? headN, crit.filter);
    },
    eth_uninstallFilter: (p) => filters.uninstall(filterId(p)),
  };
}
