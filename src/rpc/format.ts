/**
 * JSON shapes of blocks, transactions, receipts and logs, as go-ethereum's
 * internal/ethapi (RPCMarshalHeader/RPCMarshalBlock, RPCTransaction, MarshalReceipt) and
 * the execution-apis schemas give them: quantities as minimal hex, data as 0x-hex,
 * addresses lowercase.
 */
import { effectiveGasPrice } from "../block/apply.js";
import { blobBaseFee, GAS_PER_BLOB } from "../block/blobs.js";
import { type Block, encodeBlock, type Header, headerHash, type Receipt } from "../chain/block.js";
import type { StoredBlock } from "../chain/blockchain.js";
import { blobScheduleAt } from "../chain/config.js";
import { type ChainSpec, headerFork } from "../chain/validate.js";
import type { Fork } from "../evm/forks.js";
import { createAddress } from "../primitives/address.js";
import { type Address, bigintToHex, bytesToHex, wordToBytes } from "../primitives/hex.js";
import type { LogRecord } from "../tracing/hooks.js";
import { txHash } from "../tx/decode.js";
import type { Transaction } from "../tx/types.js";

type Json = Record<string, unknown>;

export const q = bigintToHex;
const qn = (n: number) => `0x${n.toString(16)}`;
const word = (v: bigint) => bytesToHex(wordToBytes(v));

export function formatHeader(h: Header, hash?: string): Json {
  const out: Json = {
    number: q(h.number),
    hash: hash ?? bytesToHex(headerHash(h)),
    parentHash: bytesToHex(h.parentHash),
    nonce: bytesToHex(h.nonce),
    mixHash: bytesToHex(h.mixHash),
    sha3Uncles: bytesToHex(h.uncleHash),
    logsBloom: bytesToHex(h.logsBloom),
    stateRoot: bytesToHex(h.stateRoot),
    miner: h.coinbase,
    difficulty: q(h.difficulty),
    extraData: bytesToHex(h.extraData),
    gasLimit: q(h.gasLimit),
    gasUsed: q(h.gasUsed),
    timestamp: q(h.timestamp),
    transactionsRoot: bytesToHex(h.transactionsRoot),
    receiptsRoot: bytesToHex(h.receiptsRoot),
  };
  if (h.baseFeePerGas !== undefined) out.baseFeePerGas = q(h.baseFeePerGas);
  if (h.withdrawalsRoot !== undefined) out.withdrawalsRoot = bytesToHex(h.withdrawalsRoot);
  if (h.blobGasUsed !== undefined) out.blobGasUsed = q(h.blobGasUsed);
  if (h.excessBlobGas !== undefined) out.excessBlobGas = q(h.excessBlobGas);
  if (h.parentBeaconBlockRoot !== undefined) out.parentBeaconBlockRoot = bytesToHex(h.parentBeaconBlockRoot);
  if (h.requestsHash !== undefined) out.requestsHash = bytesToHex(h.requestsHash);
  return out;
}

/** Where a transaction sits, for the block fields of its JSON (null while pending). */
export interface TxPlace {
  blockHash: string;
  blockNumber: bigint;
  index: number;
  baseFee: bigint | undefined;
  fork: Fork;
  blockTimestamp?: bigint;
}

export function formatTransaction(
  tx: Transaction,
  from: Address,
  place: TxPlace | null,
  hash?: string,
): Json {
  const out: Json = {
    blockHash: place?.blockHash ?? null,
    blockNumber: place === null ? null : q(place.blockNumber),
    from,
    gas: q(tx.gasLimit),
    gasPrice: "0x0",
    hash: hash ?? bytesToHex(txHash(tx)),
    input: bytesToHex(tx.data),
    nonce: q(tx.nonce),
    to: tx.to,
    transactionIndex: place === null ? null : qn(place.index),
    value: q(tx.value),
    type: qn(tx.type),
  };
  // go-ethereum: null for a transaction not in a block (pool, pending).
  if (place === null) out.blockTimestamp = null;
  else if (place.blockTimestamp !== undefined) out.blockTimestamp = q(place.blockTimestamp);
  if (tx.type === 0) {
    out.gasPrice = q(tx.gasPrice);
    if (tx.chainId !== undefined) out.chainId = q(tx.chainId);
    out.v = q(tx.v);
  } else {
    out.chainId = q(tx.chainId);
    out.accessList = tx.accessList.map((e) => ({
      address: e.address,
      storageKeys: e.storageKeys.map(word),
    }));
    if (tx.type === 1) out.gasPrice = q(tx.gasPrice);
    else {
      out.maxFeePerGas = q(tx.maxFeePerGas);
      out.maxPriorityFeePerGas = q(tx.maxPriorityFeePerGas);
      // In a block: the effective price; pending: the fee cap (go-ethereum's newRPCTransaction).
      out.gasPrice =
        place !== null && place.baseFee !== undefined
          ? q(effectiveGasPrice(tx, place.baseFee, place.fork))
          : q(tx.maxFeePerGas);
    }
    if (tx.type === 3) {
      out.maxFeePerBlobGas = q(tx.maxFeePerBlobGas);
      out.blobVersionedHashes = tx.blobVersionedHashes.map(bytesToHex);
    }
    if (tx.type === 4) {
      out.authorizationList = tx.authorizationList.map((a) => ({
        chainId: q(a.chainId),
        address: a.address,
        nonce: q(a.nonce),
        yParity: qn(a.yParity),
        r: q(a.r),
        s: q(a.s),
      }));
    }
    out.v = qn(tx.yParity);
    out.yParity = qn(tx.yParity);
  }
  out.r = q(tx.r);
  out.s = q(tx.s);
  return out;
}

export function txPlace(spec: ChainSpec, b: StoredBlock, index: number): TxPlace {
  const h = b.block.header;
  return {
    blockHash: b.hash,
    blockNumber: h.number,
    index,
    baseFee: h.baseFeePerGas,
    fork: headerFork(spec, h),
    blockTimestamp: h.timestamp,
  };
}

export function formatBlock(
  spec: ChainSpec,
  b: StoredBlock,
  full: boolean,
  senderOf: (tx: Transaction, hash: string) => Address,
): Json {
  const block: Block = b.block;
  const out = formatHeader(block.header, b.hash);
  out.size = qn(encodeBlock(block).length);
  out.uncles = block.uncles.map((u) => bytesToHex(headerHash(u)));
  out.transactions = block.transactions.map((tx, i) => {
    const hash = bytesToHex(txHash(tx));
    return full ? formatTransaction(tx, senderOf(tx, hash), txPlace(spec, b, i), hash) : hash;
  });
  if (block.withdrawals !== undefined) {
    out.withdrawals = block.withdrawals.map((w) => ({
      index: q(w.index),
      validatorIndex: q(w.validatorIndex),
      address: w.address,
      amount: q(w.amount),
    }));
  }
  return out;
}

export function formatLog(
  log: LogRecord,
  b: StoredBlock,
  txIndex: number,
  txHashHex: string,
  logIndex: number,
  removed = false,
): Json {
  return {
    address: log.address,
    topics: log.topics.map(word),
    data: bytesToHex(log.data),
    blockNumber: q(b.block.header.number),
    transactionHash: txHashHex,
    transactionIndex: qn(txIndex),
    blockHash: b.hash,
    blockTimestamp: q(b.block.header.timestamp),
    logIndex: qn(logIndex),
    removed,
  };
}

/** Index of the first log of each receipt within the block. */
export function logOffsets(receipts: readonly Receipt[]): number[] {
  const out: number[] = [];
  let n = 0;
  for (const r of receipts) {
    out.push(n);
    n += r.logs.length;
  }
  return out;
}

export function formatReceipt(
  spec: ChainSpec,
  b: StoredBlock,
  index: number,
  receipts: readonly Receipt[],
  from: Address,
): Json {
  const tx = b.block.transactions[index]!;
  const r = receipts[index]!;
  const h = b.block.header;
  const fork = headerFork(spec, h);
  const hash = bytesToHex(txHash(tx));
  const prevCum = index === 0 ? 0n : receipts[index - 1]!.cumulativeGasUsed;
  const firstLog = logOffsets(receipts)[index]!;
  const out: Json = {
    blockHash: b.hash,
    blockNumber: q(h.number),
    contractAddress: tx.to === null ? createAddress(from, tx.nonce) : null,
    cumulativeGasUsed: q(r.cumulativeGasUsed),
    effectiveGasPrice: q(effectiveGasPrice(tx, h.baseFeePerGas ?? 0n, fork)),
    from,
    gasUsed: q(r.cumulativeGasUsed - prevCum),
    logs: r.logs.map((l, i) => formatLog(l, b, index, hash, firstLog + i)),
    logsBloom: bytesToHex(r.bloom),
    to: tx.to,
    transactionHash: hash,
    transactionIndex: qn(index),
    type: qn(tx.type),
  };
  if (r.postState !== undefined) out.root = bytesToHex(r.postState);
  else out.status = r.status ? "0x1" : "0x0";
  if (tx.type === 3) {
    out.blobGasUsed = q(BigInt(tx.blobVersionedHashes.length) * GAS_PER_BLOB);
    out.blobGasPrice = q(blobBaseFee(h.excessBlobGas ?? 0n, blobScheduleAt(spec.config, fork, h.timestamp)));
  }
  return out;
}
