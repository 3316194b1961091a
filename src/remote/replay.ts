/**
 * Re-executes mined transactions locally from a plain JSON-RPC endpoint (no debug API
 * needed), under any tracer, as foundry's `cast run` does.
 *
 * For a transaction at index i of block N: the block (with full transactions) and its
 * parent are fetched; the fork comes from --fork, a known chain's schedule (by --chain
 * or eth_chainId), eth_config (EIP-7910) for blocks of the endpoint's current fork, or
 * else the header's fields (with a note); the transactions are rebuilt from their JSON
 * fields (or, when that does not reproduce the hash, from eth_getRawTransactionByHash)
 * and checked against their hashes and senders. State is read lazily at block N-1
 * (remote-state.ts): the senders, recipients, coinbase, system contracts and the
 * transactions' own access lists are prefetched, plus eth_createAccessList hints where
 * the endpoint offers them. Then, in go-ethereum's block order (core/state_processor.go):
 * the EIP-4788/EIP-2935 system calls, the transactions before i untraced, and
 * transaction i under the tracer, each step on a fresh StateDB over the changes of the
 * steps before it.
 *
 * Every step runs untraced until a run reads nothing that was not fetched (each run's
 * misses are fetched in one batched round trip, then the step starts again), and only
 * then, for a traced transaction, once more under the tracer, so a tracer never sees an
 * aborted run. A traced run whose tracer itself reads unfetched state (a JavaScript
 * tracer's `db`, prestateTracer's lookups) is likewise discarded and repeated. The
 * replayed gas used and status are compared with the endpoint's receipt; a difference is
 * reported as a divergence.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { applyTransaction, type TxResult } from "../block/apply.js";
import { type BlobSchedule, blobBaseFee, blobScheduleFor } from "../block/blobs.js";
import { BEACON_ROOTS_ADDRESS, HISTORY_STORAGE_ADDRESS, SYSTEM_ADDRESS } from "../block/system.js";
import type { Header } from "../chain/block.js";
import { blobScheduleAt } from "../chain/config.js";
import { applyBlockStart } from "../chain/process.js";
import { type ChainSpec, headerFork } from "../chain/validate.js";
import { SondeError } from "../errors.js";
import type { BlockContext } from "../evm/context.js";
import { Fork, forkName } from "../evm/forks.js";
import { createAddress } from "../primitives/address.js";
import { type Address, bytesToHex, hexToBytes, parseAddress, parseBigInt } from "../primitives/hex.js";
import { StateDB, type StateReader } from "../state/statedb.js";
import { runTrace, type TraceConfig, type TracerContext } from "../tracers/index.js";
import type { Hooks, LogRecord } from "../tracing/hooks.js";
import { chainIdFromV, decodeTransaction, txHash } from "../tx/decode.js";
import { recoverSender } from "../tx/sender.js";
import type { AccessList, Authorization, Transaction } from "../tx/types.js";
import { TxValidationError } from "../tx/validate.js";
import { knownChain } from "./chains.js";
import { addSlot, emptyRequest, OverlayState, RemoteState, type StateRequest } from "./remote-state.js";
import type { RpcCall, RpcClient } from "./rpc-client.js";

type Json = Record<string, unknown>;

export interface ReplayOptions {
  /** The tracer for the replayed transaction(s) (default callTracer); null: replay without tracing. */
  tracer?: TraceConfig | null;
  /** Rules to run under, whatever the chain says. */
  fork?: Fork;
  /** A known chain (name or id) whose fork schedule applies. */
  chain?: string;
  /** How a run reacts to state not fetched yet (see remote-state.ts); default "record". */
  missMode?: "record" | "throw";
  /** Use eth_getProof (default: try it, fall back when refused). */
  useProof?: boolean;
  /** Ask eth_createAccessList for what each transaction touches before running (default true). */
  accessListPrefetch?: boolean;
  /** Where transactions come from: their JSON fields, their raw bytes, or fields with raw as fallback (default). */
  transactions?: "auto" | "fields" | "raw";
  /** Called after each transaction of the block is replayed. */
  onProgress?: (done: number, total: number) => void;
  /**
   * Write each traced transaction's result (JSON text) to the file this returns for the
   * transaction's index instead of returning it parsed: a struct logger streams its
   * entries there while the transaction runs, so a trace of millions of steps is never
   * held in memory. The file is rewritten when a traced run has to be repeated.
   */
  resultFile?: (index: number) => string;
}

/** One replayed (traced) transaction. */
export interface ReplayedTx {
  index: number;
  hash: string;
  from: Address;
  to: Address | null;
  /** The tracer's JSON result (when traced and the tracer did not fail). */
  result?: unknown;
  /** With ReplayOptions.resultFile: the file holding the result's JSON text. */
  resultFile?: string;
  /** Why the tracer failed (timeout, tracer exception), go-ethereum's text. */
  traceError?: string;
  /** Gas used and outcome as replayed. */
  gasUsed: bigint;
  success: boolean;
  /** The top frame's error text (null on success). */
  error: string | null;
  /** The transaction's type, logs, created contract and the block's gas used up to it (a receipt). */
  type: number;
  logs: LogRecord[];
  contractAddress: Address | null;
  cumulativeGasUsed: bigint;
  /** What the endpoint's receipt says (status undefined before Byzantium). */
  receipt?: { gasUsed: bigint; status: boolean | undefined };
  /** Set when the replay disagrees with the receipt. */
  divergence?: string;
}

export interface ReplayStats {
  /** HTTP requests sent to the endpoint (batches count once; retries included). */
  requests: number;
  /** JSON-RPC calls answered. */
  calls: number;
  /** State fetch rounds (prefetch and misses). */
  fetchRounds: number;
  /** Runs thrown away because they read state not fetched yet. */
  reruns: number;
  accounts: number;
  absentAccounts: number;
  slots: number;
  blockHashes: number;
  misses: number;
  /** eth_createAccessList hints used. */
  accessLists: number;
}

export interface ReplayReport {
  blockNumber: bigint;
  blockHash: string;
  chainId: bigint;
  fork: Fork;
  /** Where the fork came from ("--fork", "chain mainnet", "eth_config", "header fields"). */
  forkSource: string;
  /** The transactions traced: the one asked for, or every transaction of the block. */
  txs: ReplayedTx[];
  /**
   * Reads the state after the last replayed transaction (the block's post-state for
   * replayBlock; system-call and withdrawal effects after the transactions are not
   * applied), fetching what is missing; `read` may run more than once.
   */
  readState<T>(read: (state: StateReader) => T): Promise<T>;
  /** Remarks worth showing (fallbacks taken, guesses made). */
  notes: string[];
  stats: ReplayStats;
}

/** The replay could not be done (not found, invalid, an endpoint inconsistency). */
export class ReplayError extends SondeError {
  override name = "ReplayError";
}

const quantity = (n: bigint) => `0x${n.toString(16)}`;
/** Ring sizes of the EIP-4788 and EIP-2935 system contracts' storage. */
const BEACON_RING = 8191n;
const HISTORY_RING = 8191n;
/** A bound on the fetch-and-rerun loop of one step (each round fetches something new, so it ends anyway). */
const MAX_FETCH_ROUNDS = 10_000;

// ---------------------------------------------------------------- transactions from JSON

function accessListFromJson(v: unknown, what: string): AccessList {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ReplayError(`${what}: accessList is not a list`);
  return v.map((e: Json, i) => ({
    address: parseAddress(e.address, `${what}: accessList[${i}].address`),
    storageKeys: ((e.storageKeys ?? []) as unknown[]).map((k) => parseBigInt(k, `${what}: storage key`)),
  }));
}

function authorizationsFromJson(v: unknown, what: string): Authorization[] {
  if (!Array.isArray(v)) throw new ReplayError(`${what}: authorizationList is not a list`);
  return v.map((a: Json, i) => {
    const w = `${what}: authorizationList[${i}]`;
    return {
      chainId: parseBigInt(a.chainId, `${w}.chainId`),
      address: parseAddress(a.address, `${w}.address`),
      nonce: parseBigInt(a.nonce, `${w}.nonce`),
      yParity: Number(parseBigInt(a.yParity ?? a.v, `${w}.yParity`)),
      r: parseBigInt(a.r, `${w}.r`),
      s: parseBigInt(a.s, `${w}.s`),
    };
  });
}

/**
 * A transaction rebuilt from its JSON-RPC form (eth_getTransactionByHash, or a block's
 * full transactions): the inverse of go-ethereum's RPCTransaction for types 0 to 4.
 */
export function transactionFromJson(j: Json): Transaction {
  const what = `transaction ${String(j.hash ?? "")}`.trim();
  const type = Number(parseBigInt(j.type ?? "0x0", `${what}: type`));
  if (type > 4) {
    throw new ReplayError(
      `${what}: transaction type 0x${type.toString(16)} is not an Ethereum transaction type Sonde can run` +
        (type === 0x7e ? " (an OP-stack deposit transaction)" : ""),
    );
  }
  const to = j.to === null || j.to === undefined ? null : parseAddress(j.to, `${what}: to`);
  const common = {
    nonce: parseBigInt(j.nonce, `${what}: nonce`),
    gasLimit: parseBigInt(j.gas, `${what}: gas`),
    to,
    value: parseBigInt(j.value ?? "0x0", `${what}: value`),
    data: hexToBytes(String(j.input ?? j.data ?? "0x"), `${what}: input`),
    r: parseBigInt(j.r, `${what}: r`),
    s: parseBigInt(j.s, `${what}: s`),
  };
  if (type === 0) {
    const v = parseBigInt(j.v, `${what}: v`);
    return {
      type: 0,
      ...common,
      chainId: chainIdFromV(v),
      gasPrice: parseBigInt(j.gasPrice, `${what}: gasPrice`),
      v,
    };
  }
  const typed = {
    ...common,
    chainId: parseBigInt(j.chainId, `${what}: chainId`),
    accessList: accessListFromJson(j.accessList, what),
    yParity: Number(parseBigInt(j.yParity ?? j.v, `${what}: yParity`)),
  };
  const fees = () => ({
    maxPriorityFeePerGas: parseBigInt(j.maxPriorityFeePerGas, `${what}: maxPriorityFeePerGas`),
    maxFeePerGas: parseBigInt(j.maxFeePerGas, `${what}: maxFeePerGas`),
  });
  switch (type) {
    case 1:
      return { type: 1, ...typed, gasPrice: parseBigInt(j.gasPrice, `${what}: gasPrice`) };
    case 2:
      return { type: 2, ...typed, ...fees() };
    case 3:
      return {
        type: 3,
        ...typed,
        ...fees(),
        maxFeePerBlobGas: parseBigInt(j.maxFeePerBlobGas, `${what}: maxFeePerBlobGas`),
        blobVersionedHashes: ((j.blobVersionedHashes ?? []) as unknown[]).map((h) =>
          hexToBytes(String(h), `${what}: blob versioned hash`),
        ),
      };
    default: // 4 (types above 4 were refused above)
      return {
        type: 4,
        ...typed,
        ...fees(),
        authorizationList: authorizationsFromJson(j.authorizationList, what),
      };
  }
}

// ---------------------------------------------------------------- headers and forks

interface RemoteHeader {
  header: Header;
  hash: string;
}

function headerFromJson(j: Json, what: string): RemoteHeader {
  const b = (k: string) => hexToBytes(String(j[k] ?? "0x"), `${what}: ${k}`);
  const opt = (k: string) =>
    j[k] === undefined || j[k] === null ? undefined : parseBigInt(j[k], `${what}: ${k}`);
  const optBytes = (k: string) => (j[k] === undefined || j[k] === null ? undefined : b(k));
  return {
    hash: String(j.hash),
    header: {
      parentHash: b("parentHash"),
      uncleHash: b("sha3Uncles"),
      coinbase: parseAddress(j.miner, `${what}: miner`),
      stateRoot: b("stateRoot"),
      transactionsRoot: b("transactionsRoot"),
      receiptsRoot: b("receiptsRoot"),
      logsBloom: b("logsBloom"),
      difficulty: parseBigInt(j.difficulty ?? "0x0", `${what}: difficulty`),
      number: parseBigInt(j.number, `${what}: number`),
      gasLimit: parseBigInt(j.gasLimit, `${what}: gasLimit`),
      gasUsed: parseBigInt(j.gasUsed, `${what}: gasUsed`),
      timestamp: parseBigInt(j.timestamp, `${what}: timestamp`),
      extraData: b("extraData"),
      mixHash: b("mixHash"),
      nonce: b("nonce"),
      baseFeePerGas: opt("baseFeePerGas"),
      withdrawalsRoot: optBytes("withdrawalsRoot"),
      blobGasUsed: opt("blobGasUsed"),
      excessBlobGas: opt("excessBlobGas"),
      parentBeaconBlockRoot: optBytes("parentBeaconBlockRoot"),
      requestsHash: optBytes("requestsHash"),
    },
  };
}

interface ForkChoice {
  fork: Fork;
  source: string;
  spec?: ChainSpec;
  schedule: BlobSchedule;
  notes: string[];
}

/** The fork a header's fields show at least (post-merge forks added header fields). */
export function forkFromHeader(h: Header): { fork: Fork; note?: string } {
  if (h.requestsHash !== undefined)
    return {
      fork: Fork.Prague,
      note: "Osaka and later add no header field: pass --fork osaka if it applies",
    };
  if (h.parentBeaconBlockRoot !== undefined || h.excessBlobGas !== undefined) return { fork: Fork.Cancun };
  if (h.withdrawalsRoot !== undefined) return { fork: Fork.Shanghai };
  if (h.baseFeePerGas !== undefined) return { fork: h.difficulty === 0n ? Fork.Paris : Fork.London };
  return {
    fork: Fork.Berlin,
    note: "a pre-London header does not tell its fork: Berlin assumed, pass --fork",
  };
}

/** The fork of the endpoint's current rules from eth_config's precompile list, if it tells. */
function forkFromEthConfig(current: Json): Fork | undefined {
  const addrs = new Set(
    Object.values((current.precompiles ?? {}) as Record<string, unknown>).map((a) => BigInt(String(a))),
  );
  if (addrs.has(0x100n)) return Fork.Osaka;
  if (addrs.has(0x0bn)) return Fork.Prague;
  if (addrs.has(0x0an)) return Fork.Cancun;
  return undefined;
}

function chooseFork(h: Header, chainId: bigint, ethConfig: unknown, opts: ReplayOptions): ForkChoice {
  const notes: string[] = [];
  let spec: ChainSpec | undefined;
  let chainLabel: string | undefined;
  if (opts.chain !== undefined) {
    const known = knownChain(opts.chain);
    if (known === undefined) {
      throw new ReplayError(
        `--chain: unknown chain "${opts.chain}" (known: mainnet, sepolia, holesky, hoodi)`,
      );
    }
    if (known.spec.config.chainId !== chainId) {
      throw new ReplayError(
        `--chain ${known.name} has chain id ${known.spec.config.chainId}, but the endpoint says ${chainId}`,
      );
    }
    spec = known.spec;
    chainLabel = known.name;
  } else {
    const known = knownChain(chainId);
    if (known !== undefined) {
      spec = known.spec;
      chainLabel = known.name;
    }
  }
  const withSpec = (fork: Fork, source: string, schedule?: BlobSchedule): ForkChoice => ({
    fork,
    source,
    ...(spec === undefined ? {} : { spec }),
    schedule:
      schedule ??
      (spec !== undefined ? blobScheduleAt(spec.config, fork, h.timestamp) : blobScheduleFor(fork)),
    notes,
  });
  if (opts.fork !== undefined) return withSpec(opts.fork, "--fork");
  if (spec !== undefined) return withSpec(headerFork(spec, h), `chain ${chainLabel}`);
  const current = (ethConfig as Json | null | undefined)?.current as Json | undefined;
  if (current !== undefined && current !== null) {
    const activation = parseBigInt(current.activationTime ?? 0, "eth_config activationTime");
    const fork = forkFromEthConfig(current);
    if (fork !== undefined && h.timestamp >= activation) {
      const bs = current.blobSchedule as Json | undefined;
      const schedule =
        bs !== undefined && bs !== null
          ? {
              target: Number(bs.target),
              max: Number(bs.max),
              updateFraction: parseBigInt(bs.baseFeeUpdateFraction, "eth_config blobSchedule"),
            }
          : undefined;
      return withSpec(fork, "eth_config", schedule);
    }
  }
  const guess = forkFromHeader(h);
  notes.push(
    `fork ${forkName(guess.fork)} inferred from the block header (unknown chain ${chainId}, no usable eth_config)` +
      (guess.note === undefined ? "" : `; ${guess.note}`),
  );
  return withSpec(guess.fork, "header fields");
}

// ---------------------------------------------------------------- the replay

interface Prepared {
  number: bigint;
  blockHash: string;
  header: Header;
  chainId: bigint;
  choice: ForkChoice;
  txs: { tx: Transaction; hash: string; sender: Address }[];
}

/** Re-executes the mined transaction `hash` (after the ones before it in its block) under the tracer. */
export async function replayTransaction(
  client: RpcClient,
  hash: string,
  opts: ReplayOptions = {},
): Promise<ReplayReport> {
  if (!/^0x[0-9a-fA-F]{64}$/.test(hash)) throw new ReplayError(`not a transaction hash: "${hash}"`);
  const [txOut, receiptOut] = await client.batch([
    { method: "eth_getTransactionByHash", params: [hash] },
    { method: "eth_getTransactionReceipt", params: [hash] },
  ]);
  if (!txOut!.ok) throw txOut!.error;
  const txJson = txOut!.result as Json | null;
  if (txJson === null) throw new ReplayError(`transaction ${hash} not found at ${client.endpoint}`);
  if (txJson.blockNumber === null || txJson.blockNumber === undefined) {
    throw new ReplayError(`transaction ${hash} is not mined yet`);
  }
  const number = parseBigInt(txJson.blockNumber, "transaction blockNumber");
  const index = Number(parseBigInt(txJson.transactionIndex, "transaction transactionIndex"));
  const receipt = receiptOut!.ok ? (receiptOut!.result as Json | null) : null;
  return replay(
    client,
    number,
    [index],
    opts,
    receipt === null ? undefined : new Map([[index, receipt]]),
    hash,
  );
}

/** Re-executes every transaction of block `number`, each traced. */
export async function replayBlock(
  client: RpcClient,
  number: bigint,
  opts: ReplayOptions = {},
): Promise<ReplayReport> {
  return replay(client, number, "all", opts);
}

async function prepare(
  client: RpcClient,
  number: bigint,
  last: number | "all",
  opts: ReplayOptions,
): Promise<Prepared> {
  if (number === 0n) throw new ReplayError("block 0 (genesis) has no transactions to replay");
  const [blockOut, parentOut, chainOut, configOut] = await client.batch([
    { method: "eth_getBlockByNumber", params: [quantity(number), true] },
    { method: "eth_getBlockByNumber", params: [quantity(number - 1n), false] },
    { method: "eth_chainId", params: [] },
    { method: "eth_config", params: [] },
  ]);
  if (!blockOut!.ok) throw blockOut!.error;
  if (!parentOut!.ok) throw parentOut!.error;
  if (!chainOut!.ok) throw chainOut!.error;
  const blockJson = blockOut!.result as Json | null;
  if (blockJson === null) throw new ReplayError(`block ${number} not found at ${client.endpoint}`);
  const parentJson = parentOut!.result as Json | null;
  if (parentJson === null)
    throw new ReplayError(`block ${number - 1n} (the parent) not found at ${client.endpoint}`);
  const { header, hash: blockHash } = headerFromJson(blockJson, `block ${number}`);
  const parentHash = bytesToHex(header.parentHash);
  if (String(parentJson.hash).toLowerCase() !== parentHash.toLowerCase()) {
    throw new ReplayError(
      `block ${number}'s parentHash ${parentHash} is not the hash of block ${number - 1n} (${String(parentJson.hash)}): a reorg while reading?`,
    );
  }
  const chainId = parseBigInt(chainOut!.result, "eth_chainId");
  const choice = chooseFork(header, chainId, configOut!.ok ? configOut!.result : undefined, opts);

  const list = (blockJson.transactions ?? []) as unknown[];
  const count = last === "all" ? list.length : last + 1;
  if (count > list.length) throw new ReplayError(`block ${number} has no transaction ${count - 1}`);
  const jsons = list.slice(0, count);
  if (jsons.some((t) => typeof t !== "object" || t === null)) {
    throw new ReplayError(
      `${client.endpoint} returned transaction hashes where full transactions were asked for`,
    );
  }
  const mode = opts.transactions ?? "auto";
  const txs: (Transaction | undefined)[] = jsons.map((j) => {
    if (mode === "raw") return undefined;
    try {
      const tx = transactionFromJson(j as Json);
      return bytesToHex(txHash(tx)) === String((j as Json).hash).toLowerCase() ? tx : undefined;
    } catch (e) {
      if (mode === "fields") throw e;
      return undefined;
    }
  });
  const needRaw = txs.flatMap((t, i) => (t === undefined ? [i] : []));
  if (needRaw.length > 0) {
    if (mode === "fields") {
      const j = jsons[needRaw[0]!] as Json;
      throw new ReplayError(`transaction ${String(j.hash)}: its JSON fields do not reproduce its hash`);
    }
    const raws = await client.batch(
      needRaw.map((i) => ({ method: "eth_getRawTransactionByHash", params: [(jsons[i] as Json).hash] })),
    );
    raws.forEach((o, k) => {
      const i = needRaw[k]!;
      const h = String((jsons[i] as Json).hash).toLowerCase();
      if (!o.ok || typeof o.result !== "string") {
        throw new ReplayError(
          `transaction ${h}: its JSON fields do not reproduce its hash and eth_getRawTransactionByHash ` +
            `gave nothing usable${o.ok ? "" : ` (${o.error.message})`}`,
        );
      }
      const tx = decodeTransaction(hexToBytes(o.result, `raw transaction ${h}`));
      if (bytesToHex(txHash(tx)) !== h) {
        throw new ReplayError(
          `transaction ${h}: the raw bytes the endpoint gave hash to ${bytesToHex(txHash(tx))}`,
        );
      }
      txs[i] = tx;
    });
  }
  const out = txs.map((tx, i) => {
    const j = jsons[i] as Json;
    const hash = String(j.hash).toLowerCase();
    const sender = recoverSender(tx!, choice.fork);
    if (j.from !== undefined && sender !== String(j.from).toLowerCase()) {
      throw new ReplayError(
        `transaction ${hash}: signature recovers ${sender}, the endpoint says from ${String(j.from)}`,
      );
    }
    return { tx: tx!, hash, sender };
  });
  return { number, blockHash, header, chainId, choice, txs: out };
}

async function receiptsFor(
  client: RpcClient,
  number: bigint,
  p: Prepared,
  indices: number[],
): Promise<Map<number, Json>> {
  const out = new Map<number, Json>();
  if (indices.length === p.txs.length && indices.length > 1) {
    try {
      const all = await client.call<Json[] | null>("eth_getBlockReceipts", [quantity(number)]);
      if (Array.isArray(all) && all.length === p.txs.length) {
        all.forEach((r, i) => {
          out.set(i, r);
        });
        return out;
      }
    } catch {
      /* fall back to one receipt per transaction */
    }
  }
  const got = await client.batch(
    indices.map((i) => ({ method: "eth_getTransactionReceipt", params: [p.txs[i]!.hash] })),
  );
  got.forEach((o, k) => {
    if (o.ok && o.result !== null && typeof o.result === "object") out.set(indices[k]!, o.result as Json);
  });
  return out;
}

/**
 * What the prefetch asks for: senders, recipients (or the address a creation deploys to),
 * coinbase, the declared access lists, and
 * the system contracts with the slots their block-start calls write (EIP-4788's ring of
 * timestamps and roots, EIP-2935's ring of parent hashes).
 */
function basicRequest(p: Prepared, ctx: BlockContext): StateRequest {
  const req = emptyRequest();
  req.accounts.add(p.header.coinbase);
  const fork = p.choice.fork;
  if (fork >= Fork.Cancun && p.header.parentBeaconBlockRoot !== undefined) {
    req.accounts.add(SYSTEM_ADDRESS);
    const slot = ctx.timestamp % BEACON_RING;
    addSlot(req, BEACON_ROOTS_ADDRESS, slot);
    addSlot(req, BEACON_ROOTS_ADDRESS, slot + BEACON_RING);
  }
  if (fork >= Fork.Prague) {
    req.accounts.add(SYSTEM_ADDRESS);
    addSlot(req, HISTORY_STORAGE_ADDRESS, (ctx.number - 1n) % HISTORY_RING);
  }
  for (const { tx, sender } of p.txs) {
    req.accounts.add(sender);
    req.accounts.add(tx.to ?? createAddress(sender, tx.nonce));
    if (tx.type !== 0) {
      for (const e of tx.accessList) {
        req.accounts.add(e.address);
        for (const k of e.storageKeys) addSlot(req, e.address, k);
      }
    }
  }
  return req;
}

/** eth_createAccessList for each transaction at the parent block: hints of what it touches. */
async function accessListHints(client: RpcClient, p: Prepared, req: StateRequest): Promise<number> {
  const calls: RpcCall[] = p.txs.map(({ tx, sender }) => {
    const data = bytesToHex(tx.data);
    const call: Json = {
      from: sender,
      gas: quantity(tx.gasLimit),
      value: quantity(tx.value),
      input: data,
      data,
    };
    if (tx.to !== null) call.to = tx.to;
    return { method: "eth_createAccessList", params: [call, quantity(p.number - 1n)] };
  });
  let used = 0;
  const outcomes = await client.batch(calls);
  for (const o of outcomes) {
    if (!o.ok) continue;
    const list = (o.result as Json | null)?.accessList;
    if (!Array.isArray(list)) continue;
    used++;
    for (const e of list as Json[]) {
      const a = parseAddress(e.address, "eth_createAccessList address");
      req.accounts.add(a);
      for (const k of (e.storageKeys ?? []) as unknown[])
        addSlot(req, a, parseBigInt(k, "eth_createAccessList key"));
    }
  }
  return used;
}

function statusOf(receipt: Json): boolean | undefined {
  if (receipt.status === undefined || receipt.status === null) return undefined;
  return parseBigInt(receipt.status, "receipt status") === 1n;
}

async function replay(
  client: RpcClient,
  number: bigint,
  targets: number[] | "all",
  opts: ReplayOptions,
  knownReceipts?: Map<number, Json>,
  /** The hash the (single) target must have. */
  expectHash?: string,
): Promise<ReplayReport> {
  const last = targets === "all" ? "all" : Math.max(...targets);
  const p = await prepare(client, number, last, opts);
  if (expectHash !== undefined && targets !== "all") {
    const got = p.txs[targets[0]!]?.hash;
    if (got !== expectHash.toLowerCase()) {
      throw new ReplayError(
        `block ${number} holds ${got ?? "nothing"} at index ${targets[0]}, not ${expectHash}: a reorg while reading?`,
      );
    }
  }
  const traced = new Set(targets === "all" ? p.txs.map((_, i) => i) : targets);
  const receipts =
    knownReceipts?.size === traced.size
      ? knownReceipts
      : await receiptsFor(
          client,
          number,
          p,
          [...traced].sort((a, b) => a - b),
        );
  const { header, choice } = p;
  const fork = choice.fork;

  const remote = new RemoteState(client, number - 1n, {
    ...(opts.missMode === undefined ? {} : { missMode: opts.missMode }),
    ...(opts.useProof === undefined ? {} : { useProof: opts.useProof }),
  });
  remote.knowBlockHash(number - 1n, BigInt(bytesToHex(header.parentHash)));
  const overlay = new OverlayState(remote);
  const ctx: BlockContext = {
    coinbase: header.coinbase,
    number,
    timestamp: header.timestamp,
    gasLimit: header.gasLimit,
    difficulty: header.difficulty,
    prevRandao: BigInt(bytesToHex(header.mixHash)),
    baseFee: header.baseFeePerGas ?? 0n,
    blobBaseFee: fork >= Fork.Cancun ? blobBaseFee(header.excessBlobGas ?? 0n, choice.schedule) : 0n,
    chainId: p.chainId,
    getBlockHash: (n) => remote.blockHash(n),
  };

  // Prefetch: one round for the hints, one for the state.
  const req = basicRequest(p, ctx);
  let accessLists = 0;
  if (opts.accessListPrefetch !== false && p.txs.length > 0)
    accessLists = await accessListHints(client, p, req);
  await remote.fetch(req);

  let reruns = 0;
  /** Runs `exec` on fresh StateDBs until a run misses nothing; returns that run's StateDB and value. */
  const complete = async <T>(exec: (db: StateDB) => T): Promise<{ db: StateDB; value: T }> => {
    for (let round = 0; ; round++) {
      const db = new StateDB(overlay);
      let value: T | undefined;
      let error: unknown;
      let failed = false;
      try {
        value = exec(db);
      } catch (e) {
        error = e;
        failed = true;
      }
      if (remote.hasMisses()) {
        if (round >= MAX_FETCH_ROUNDS) throw new ReplayError("state fetching does not converge");
        reruns++;
        await remote.fetchMisses();
        continue;
      }
      if (failed) throw error;
      return { db, value: value as T };
    }
  };

  // What the block does before its transactions (the DAO drain, the EIP-4788 and
  // EIP-2935 system calls), as block processing does it.
  const sys = await complete((db) => applyBlockStart(choice.spec?.config, db, ctx, fork, header));
  overlay.commit(sys.db);

  const maxBlobs = fork >= Fork.Cancun ? choice.schedule.max : undefined;
  const tracerConfig = opts.tracer === undefined ? { tracer: "callTracer" } : opts.tracer;
  const out: ReplayedTx[] = [];
  let gasUsed = 0n;
  for (const [i, { tx, hash, sender }] of p.txs.entries()) {
    const applyOpts = {
      blockGasAvailable: header.gasLimit - gasUsed,
      ...(maxBlobs === undefined ? {} : { maxBlobsPerBlock: maxBlobs }),
    };
    let run: { db: StateDB; value: TxResult };
    try {
      run = await complete((db) => applyTransaction(db, ctx, tx, sender, fork, null, applyOpts));
    } catch (e) {
      if (e instanceof TxValidationError) {
        throw new ReplayError(
          `transaction ${i} of block ${number} (${hash}) cannot be replayed: ${e.message}` +
            " (the state or the fork rules differ from the chain's)",
          { cause: e },
        );
      }
      throw e;
    }
    const r = run.value;
    gasUsed += r.gasUsed;
    if (traced.has(i)) {
      const entry: ReplayedTx = {
        index: i,
        hash,
        from: sender,
        to: tx.to,
        gasUsed: r.gasUsed,
        success: r.success,
        error: r.error,
        type: tx.type,
        logs: r.logs,
        contractAddress: r.contractAddress,
        cumulativeGasUsed: gasUsed,
      };
      if (tracerConfig !== null) {
        const tctx: TracerContext = {
          fork,
          ...(choice.spec === undefined ? {} : { chainConfig: choice.spec.config }),
          blockHash: p.blockHash,
          blockNumber: number,
          txIndex: i,
          txHash: hash,
        };
        const file = opts.resultFile?.(i);
        const t = await traceOnce(
          tracerConfig,
          tctx,
          overlay,
          remote,
          (db, hooks, deadline) =>
            applyTransaction(db, ctx, tx, sender, fork, hooks, {
              ...applyOpts,
              deadline,
            }),
          file,
        );
        reruns += t.reruns;
        if (t.error !== undefined) entry.traceError = t.error;
        else if (file !== undefined) entry.resultFile = file;
        else entry.result = t.result;
      }
      const receipt = receipts.get(i);
      if (receipt !== undefined) {
        const rc = {
          gasUsed: parseBigInt(receipt.gasUsed, "receipt gasUsed"),
          status: statusOf(receipt),
        };
        entry.receipt = rc;
        if (rc.gasUsed !== r.gasUsed || (rc.status !== undefined && rc.status !== r.success)) {
          const show = (g: bigint, s: boolean | undefined) =>
            `gasUsed ${g}${s === undefined ? "" : `, status ${s ? "success" : "failed"}`}`;
          entry.divergence =
            `replayed ${show(r.gasUsed, r.success)} but the endpoint's receipt says ${show(rc.gasUsed, rc.status)}: ` +
            "the replay diverged from the chain (wrong fork rules, or a state read went wrong)";
        }
      }
      out.push(entry);
    }
    overlay.commit(run.db);
    opts.onProgress?.(i + 1, p.txs.length);
  }

  const s = remote.stats;
  return {
    blockNumber: number,
    blockHash: p.blockHash,
    chainId: p.chainId,
    fork,
    forkSource: choice.source,
    txs: out,
    readState: async <T>(read: (state: StateReader) => T): Promise<T> => {
      for (let round = 0; ; round++) {
        const value = read(overlay);
        if (!remote.hasMisses()) return value;
        if (round >= MAX_FETCH_ROUNDS) throw new ReplayError("state fetching does not converge");
        await remote.fetchMisses();
      }
    },
    notes: [...choice.notes, ...remote.notes],
    stats: {
      requests: client.stats.requests,
      calls: client.stats.calls,
      fetchRounds: s.fetchRounds,
      reruns,
      accounts: s.accounts,
      absentAccounts: s.absentAccounts,
      slots: s.slots,
      blockHashes: s.blockHashes,
      misses: s.misses,
      accessLists,
    },
  };
}

/**
 * Runs one transaction under the tracer on a fresh StateDB over `overlay`; a run in
 * which anything (the tracer included) read unfetched state is discarded, the state
 * fetched and the run repeated with a new tracer.
 */
async function traceOnce(
  config: TraceConfig,
  tctx: TracerContext,
  overlay: OverlayState,
  remote: RemoteState,
  exec: (db: StateDB, hooks: Hooks, deadline: number | undefined) => TxResult,
  file?: string,
): Promise<{ result?: unknown; error?: string; reruns: number }> {
  for (let reruns = 0; ; reruns++) {
    const db = new StateDB(overlay);
    let run: ReturnType<typeof runTrace<TxResult>> | undefined;
    let thrown: unknown;
    // With a file, the result goes there: a streaming tracer writes while it runs.
    const fd = file === undefined ? undefined : openSync(file, "w");
    const write = fd === undefined ? undefined : (c: string) => void writeSync(fd, c);
    try {
      try {
        run = runTrace(config, write === undefined ? tctx : { ...tctx, sink: write }, (hooks, deadline) =>
          exec(db, hooks, deadline),
        );
      } catch (e) {
        thrown = e;
      }
      if (remote.hasMisses()) {
        run?.tracer.dispose?.();
        await remote.fetchMisses();
        continue;
      }
      if (run === undefined) throw thrown;
      try {
        if (run.error !== null) return { error: run.error.message, reruns };
        if (write !== undefined) {
          run.tracer.writeResult(write);
          return { reruns };
        }
        const parts: string[] = [];
        run.tracer.writeResult((c) => {
          parts.push(c);
        });
        return { result: JSON.parse(parts.join("")), reruns };
      } catch (e) {
        if (e instanceof Error && e.name === "TracerError") return { error: e.message, reruns };
        throw e;
      } finally {
        run.tracer.dispose?.();
      }
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }
}
