/**
 * The `testing` namespace (execution-apis src/testing): testing_buildBlockV1(parentHash,
 * payloadAttributes, transactions, extraData?) builds a block on `parentHash` and returns
 * it as an engine-API ExecutionPayloadEnvelope ({executionPayload, blockValue,
 * blobsBundle, executionRequests, shouldOverrideBuilder}) without importing it: the
 * chain, its head and the transaction pool are left as they were.
 *
 * Semantics follow go-ethereum's eth/catalyst testing API and its miner:
 * - `transactions` [] builds an empty block; null fills the block from the pool (the
 *   pool's pending transactions by tip; a transaction the block cannot take is left
 *   out, with its sender's later ones, and stays in the pool); a non-empty list is
 *   included as given, in order, and any transaction that cannot be applied fails the
 *   call. A blob transaction in the list needs its network form (with the sidecar),
 *   whose blobs then appear in `blobsBundle`.
 * - The gas limit moves from the parent's towards the miner's gas ceiling (go-ethereum's
 *   default, 60M) by at most parent/1024 - 1 (CalcGasLimit); the timestamp must be after
 *   the parent's; `extraData` defaults to empty; `prevRandao` becomes the mixHash,
 *   `suggestedFeeRecipient` the coinbase.
 * - `blockValue` is the sum of each transaction's effective tip times its gas used;
 *   `executionRequests` is null before Prague, else the non-empty requests.
 *
 * Not as go-ethereum: the parent may be any stored block (go-ethereum only accepts the
 * current head: "parentHash is not current head"), as the specification asks for the
 * given parent. Like go-ethereum the namespace is served only when asked for
 * (`--http.api ...,testing`), never by default.
 */
import { blobBaseFee } from "../block/blobs.js";
import type { Withdrawal } from "../chain/block.js";
import { headerHash } from "../chain/block.js";
import type { BuiltBlock } from "../chain/blockchain.js";
import { blobScheduleAt, nextExcessBlobGas } from "../chain/config.js";
import { BlockValidationError, calcBaseFee, headerFork } from "../chain/validate.js";
import { Fork } from "../evm/forks.js";
import { BlobSidecarError, checkBlobSidecar } from "../node/blobs.js";
import { effectiveTip, type PoolTx } from "../node/txpool.js";
import { type Address, bytesToHex, hexToBytes } from "../primitives/hex.js";
import { type BlobSidecar, decodePooledTransaction, encodeTransaction } from "../tx/decode.js";
import type { Transaction } from "../tx/types.js";
import { serverError } from "./errors.js";
import { q } from "./format.js";
import {
  args,
  optParam,
  ParamError,
  param,
  readAddress,
  readData,
  readHash,
  readQuantity,
} from "./params.js";
import type { Namespace, RpcEnv } from "./types.js";

type Json = Record<string, unknown>;

/** go-ethereum's default miner gas ceiling (miner.DefaultConfig.GasCeil). */
export const DEFAULT_GAS_CEIL = 60_000_000n;
const GAS_LIMIT_BOUND_DIVISOR = 1024n;
const MIN_GAS_LIMIT = 5000n;
const MAX_EXTRA_DATA = 32;

/** go-ethereum's CalcGasLimit: the parent's limit moved towards `desired` by at most parent/1024 - 1. */
export function calcGasLimit(parentGasLimit: bigint, desired: bigint): bigint {
  const delta = parentGasLimit / GAS_LIMIT_BOUND_DIVISOR - 1n;
  const want = desired < MIN_GAS_LIMIT ? MIN_GAS_LIMIT : desired;
  if (parentGasLimit < want) {
    const up = parentGasLimit + delta;
    return up > want ? want : up;
  }
  if (parentGasLimit > want) {
    const down = parentGasLimit - delta;
    return down < want ? want : down;
  }
  return parentGasLimit;
}

export interface PayloadAttributes {
  timestamp: bigint;
  prevRandao: Uint8Array;
  suggestedFeeRecipient: Address;
  withdrawals?: Withdrawal[];
  parentBeaconBlockRoot?: Uint8Array;
}

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function readWithdrawals(v: unknown, what: string): Withdrawal[] {
  if (!Array.isArray(v)) throw new ParamError(`${what}: expected an array of withdrawals`);
  return v.map((e, i) => {
    const w = `${what}[${i}]`;
    if (!isObject(e)) throw new ParamError(`${w}: expected a withdrawal object`);
    return {
      index: readQuantity(e.index, `${w}.index`, 64),
      validatorIndex: readQuantity(e.validatorIndex, `${w}.validatorIndex`, 64),
      address: readAddress(e.address, `${w}.address`),
      amount: readQuantity(e.amount, `${w}.amount`, 64),
    };
  });
}

/** The engine API's PayloadAttributes (V1-V3); timestamp, prevRandao and suggestedFeeRecipient are required. */
export function readPayloadAttributes(v: unknown, what: string): PayloadAttributes {
  if (!isObject(v)) throw new ParamError(`${what}: expected a payload attributes object`);
  const w = (k: string) => (what === "" ? k : `${what}.${k}`);
  const has = (k: string) => v[k] !== undefined && v[k] !== null;
  for (const k of ["timestamp", "prevRandao", "suggestedFeeRecipient"]) {
    if (!has(k)) throw new ParamError(`missing required field '${k}' for PayloadAttributes`);
  }
  const out: PayloadAttributes = {
    timestamp: readQuantity(v.timestamp, w("timestamp"), 64),
    prevRandao: hexToBytes(readHash(v.prevRandao, w("prevRandao"))),
    suggestedFeeRecipient: readAddress(v.suggestedFeeRecipient, w("suggestedFeeRecipient")),
  };
  if (has("withdrawals")) out.withdrawals = readWithdrawals(v.withdrawals, w("withdrawals"));
  if (has("parentBeaconBlockRoot")) {
    out.parentBeaconBlockRoot = hexToBytes(readHash(v.parentBeaconBlockRoot, w("parentBeaconBlockRoot")));
  }
  return out;
}

/** The transactions argument: null (from the pool) or an array of raw transactions. */
function readRawTransactions(v: unknown, what: string): Uint8Array[] | null {
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v)) throw new ParamError(`${what}: expected an array of raw transactions or null`);
  return v.map((x, i) => readData(x, `${what}[${i}]`));
}

interface Candidate {
  tx: Transaction;
  sender?: Address;
  sidecar?: BlobSidecar | undefined;
}

/** The envelope go-ethereum's BlockToExecutableData makes of a built block. */
function envelope(built: BuiltBlock, candidates: readonly Candidate[]): Json {
  const { block, receipts, requests } = built;
  const h = block.header;
  const baseFee = h.baseFeePerGas ?? 0n;
  let value = 0n;
  block.transactions.forEach((tx, i) => {
    const used = receipts[i]!.cumulativeGasUsed - (i === 0 ? 0n : receipts[i - 1]!.cumulativeGasUsed);
    value += effectiveTip(tx, baseFee) * used;
  });
  const bundle = { commitments: [] as string[], proofs: [] as string[], blobs: [] as string[] };
  for (const c of candidates) {
    if (c.sidecar === undefined) continue;
    bundle.commitments.push(...c.sidecar.commitments.map(bytesToHex));
    bundle.proofs.push(...c.sidecar.proofs.map(bytesToHex));
    bundle.blobs.push(...c.sidecar.blobs.map(bytesToHex));
  }
  return {
    executionPayload: {
      parentHash: bytesToHex(h.parentHash),
      feeRecipient: h.coinbase,
      stateRoot: bytesToHex(h.stateRoot),
      receiptsRoot: bytesToHex(h.receiptsRoot),
      logsBloom: bytesToHex(h.logsBloom),
      prevRandao: bytesToHex(h.mixHash),
      blockNumber: q(h.number),
      gasLimit: q(h.gasLimit),
      gasUsed: q(h.gasUsed),
      timestamp: q(h.timestamp),
      extraData: bytesToHex(h.extraData),
      baseFeePerGas: h.baseFeePerGas === undefined ? null : q(h.baseFeePerGas),
      blockHash: bytesToHex(headerHash(h)),
      transactions: block.transactions.map((tx) => bytesToHex(encodeTransaction(tx))),
      withdrawals:
        block.withdrawals === undefined
          ? null
          : block.withdrawals.map((w) => ({
              index: q(w.index),
              validatorIndex: q(w.validatorIndex),
              address: w.address,
              amount: q(w.amount),
            })),
      blobGasUsed: h.blobGasUsed === undefined ? null : q(h.blobGasUsed),
      excessBlobGas: h.excessBlobGas === undefined ? null : q(h.excessBlobGas),
    },
    blockValue: q(value),
    blobsBundle: bundle,
    executionRequests: requests === undefined ? null : requests.filter((r) => r.length > 1).map(bytesToHex),
    shouldOverrideBuilder: false,
  };
}

/** testing_buildBlockV1 (see the module comment). */
export function buildBlockV1(
  env: RpcEnv,
  parentHash: string,
  attrs: PayloadAttributes,
  raw: Uint8Array[] | null,
  extraData: Uint8Array,
): Json {
  const node = env.node;
  const chain = node.chain;
  const spec = node.genesis.spec;
  const parent = chain.get(parentHash);
  if (parent === undefined) throw serverError(`missing parent: block ${parentHash} is not known`);
  const ph = parent.block.header;
  if (attrs.timestamp <= ph.timestamp) {
    throw serverError(`invalid timestamp, parent ${ph.timestamp} given ${attrs.timestamp}`);
  }
  if (extraData.length > MAX_EXTRA_DATA) {
    throw serverError(`invalid extraData: ${extraData.length} bytes, at most ${MAX_EXTRA_DATA}`);
  }
  const ceil = env.gasCeil ?? DEFAULT_GAS_CEIL;
  const parentFork = headerFork(spec, ph);
  const number = ph.number + 1n;
  // The header's fork, as buildBlock will derive it (post-merge: difficulty 0).
  const ttd = spec.config.terminalTotalDifficulty;
  const probe = {
    ...ph,
    number,
    timestamp: attrs.timestamp,
    difficulty: ttd !== undefined && parent.td >= ttd ? 0n : 1n,
  };
  const fork = headerFork(spec, probe);
  let gasLimit = calcGasLimit(ph.gasLimit, ceil);
  if (fork >= Fork.London && parentFork < Fork.London) gasLimit = calcGasLimit(ph.gasLimit * 2n, ceil);
  if (fork < Fork.Shanghai && attrs.withdrawals !== undefined) {
    throw serverError("unexpected withdrawals before shanghai");
  }
  if (fork >= Fork.Cancun && attrs.parentBeaconBlockRoot === undefined) {
    throw serverError("missing parentBeaconBlockRoot: Cancun is active for the new block");
  }
  const build = (txs: readonly Candidate[]): BuiltBlock => {
    const opts: Parameters<typeof chain.buildPayload>[0] = {
      parent: parent.hash,
      transactions: txs.map((c) => c.tx),
      timestamp: attrs.timestamp,
      coinbase: attrs.suggestedFeeRecipient,
      gasLimit,
      extraData,
      mixHash: attrs.prevRandao,
    };
    if (fork >= Fork.Shanghai) opts.withdrawals = attrs.withdrawals ?? [];
    if (attrs.parentBeaconBlockRoot !== undefined) opts.parentBeaconBlockRoot = attrs.parentBeaconBlockRoot;
    return chain.buildPayload(opts);
  };

  if (raw !== null) {
    // The given transactions, all of them, in order.
    const candidates: Candidate[] = raw.map((bytes, i) => {
      let decoded: ReturnType<typeof decodePooledTransaction>;
      try {
        decoded = decodePooledTransaction(bytes);
      } catch (err) {
        throw serverError(`transaction ${i} is not valid: ${(err as Error).message}`);
      }
      const tx = decoded.tx;
      if (tx.type !== 3) return { tx };
      if (decoded.sidecar === undefined) {
        throw serverError(
          `transaction ${i} is a blob transaction without its sidecar: give it in its network form (with blobs, commitments and proofs)`,
        );
      }
      try {
        return { tx, sidecar: checkBlobSidecar(tx, decoded.sidecar, fork) };
      } catch (err) {
        if (err instanceof BlobSidecarError) throw serverError(`transaction ${i}: ${err.message}`);
        throw err;
      }
    });
    try {
      return envelope(build(candidates), candidates);
    } catch (err) {
      if (err instanceof BlockValidationError) throw serverError(err.message);
      throw err;
    }
  }

  // From the pool: its selection for a block of this gas limit and base fee; a
  // transaction the block refuses is left out with its sender's later ones.
  const baseFee = fork >= Fork.London ? calcBaseFee(spec, ph) : 0n;
  let blobs: { maxPerBlock: number; baseFee: bigint } | undefined;
  if (fork >= Fork.Cancun) {
    const schedule = blobScheduleAt(spec.config, fork, attrs.timestamp);
    const excess = nextExcessBlobGas(
      fork,
      schedule,
      ph.excessBlobGas ?? 0n,
      ph.excessBlobGas === undefined ? 0n : (ph.blobGasUsed ?? 0n),
      ph.baseFeePerGas ?? 0n,
    );
    blobs = { maxPerBlock: schedule.max, baseFee: blobBaseFee(excess, schedule) };
  }
  let picked: PoolTx[] = node.pool.select(gasLimit, baseFee, blobs);
  for (;;) {
    const candidates = picked.map((e) => ({ tx: e.tx, sender: e.sender, sidecar: e.sidecar }));
    try {
      return envelope(build(candidates), candidates);
    } catch (err) {
      const m = err instanceof BlockValidationError ? /^transaction (\d+):/.exec(err.message) : null;
      const bad = m === null ? undefined : picked[Number(m[1])];
      if (bad === undefined) {
        if (err instanceof BlockValidationError) throw serverError(err.message);
        throw err;
      }
      picked = picked.filter((c) => c.sender !== bad.sender || c.tx.nonce < bad.tx.nonce);
    }
  }
}

export function testingNamespace(env: RpcEnv): Namespace {
  return {
    testing_buildBlockV1: (p) => {
      args(p, 4, 2);
      const parentHash = param(p, 0, readHash);
      const attrs = param(p, 1, readPayloadAttributes);
      const raw = param(p, 2, readRawTransactions);
      const extra = optParam(p, 3, readData, new Uint8Array(0));
      return buildBlockV1(env, parentHash, attrs, raw, extra);
    },
  };
}
