/**
 * Value and key encodings of the LMDB chain store (see lmdb-store.ts for the schema).
 * Everything is RLP or fixed-width big-endian bytes so that LMDB's byte-wise key order
 * is the order the store needs (address, then slot, then block number).
 *
 * These encodings are Sonde's own storage formats, not consensus encodings: a receipt
 * keeps its fields directly (type, status or post-state root, cumulative gas, bloom,
 * logs) rather than go-ethereum's reduced storage receipt.
 */

import type { Receipt } from "../chain/block.js";
import type { Fork } from "../evm/forks.js";
import {
  type Address,
  bigintToBytes,
  bytesToBigInt,
  bytesToHex,
  concatBytes,
  hexToBytes,
} from "../primitives/hex.js";
import { type RlpDecoded, type RlpInput, rlpDecode, rlpEncode } from "../primitives/rlp.js";
import type { LogRecord } from "../tracing/hooks.js";

export class StoreCorruptError extends Error {
  constructor(what: string) {
    super(`chain store: ${what} is malformed`);
    this.name = "StoreCorruptError";
  }
}

function list(item: RlpDecoded | undefined, what: string): RlpDecoded[] {
  if (!Array.isArray(item)) throw new StoreCorruptError(what);
  return item;
}

function bytes(item: RlpDecoded | undefined, what: string): Uint8Array {
  if (item === undefined || Array.isArray(item)) throw new StoreCorruptError(what);
  return item;
}

const uint = (item: RlpDecoded | undefined, what: string): bigint => bytesToBigInt(bytes(item, what));

// ---- keys ----

/** 8-byte big-endian block number. */
export function be8(n: bigint | number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n));
  return out;
}

export function readBe8(b: Uint8Array, at = 0): bigint {
  return new DataView(b.buffer, b.byteOffset + at, 8).getBigUint64(0);
}

export const addressBytes = (a: Address): Uint8Array => hexToBytes(a);
export const slotBytes = (slot: bigint): Uint8Array => bigintToBytes(slot, 32);
export const hashBytes = (h: string): Uint8Array => hexToBytes(h);

/** A key past every key that starts with `prefix` followed by up to `rest` more bytes. */
export function prefixEnd(prefix: Uint8Array, rest: number): Uint8Array {
  return concatBytes(prefix, new Uint8Array(rest + 1).fill(0xff));
}

// ---- accounts ----

/** An account in the flat state, a checkpoint or a diff: code is referenced by hash. */
export interface StoredAccount {
  nonce: bigint;
  balance: bigint;
  /** keccak of the code; empty for an account without code. */
  codeHash: Uint8Array;
}

export function encodeAccount(a: StoredAccount): Uint8Array {
  return rlpEncode(accountItems(a));
}

function accountItems(a: StoredAccount): RlpInput {
  return [bigintToBytes(a.nonce), bigintToBytes(a.balance), a.codeHash];
}

function accountFromItems(item: RlpDecoded | undefined, what: string): StoredAccount {
  const f = list(item, what);
  return { nonce: uint(f[0], what), balance: uint(f[1], what), codeHash: bytes(f[2], what) };
}

export function decodeAccount(raw: Uint8Array): StoredAccount {
  return accountFromItems(rlpDecode(raw), "account");
}

/** A history value: 0x00 = the account did not exist, 0x01 ++ account otherwise. */
export function encodeOptAccount(a: StoredAccount | undefined): Uint8Array {
  return a === undefined ? new Uint8Array([0]) : concatBytes(new Uint8Array([1]), encodeAccount(a));
}

export function decodeOptAccount(raw: Uint8Array): StoredAccount | undefined {
  if (raw[0] === 0) return undefined;
  if (raw[0] !== 1) throw new StoreCorruptError("account history value");
  return decodeAccount(raw.subarray(1));
}

/** Storage values: minimal big-endian bytes, never zero in the flat state. */
export const encodeSlotValue = (v: bigint): Uint8Array => bigintToBytes(v);
export const decodeSlotValue = (raw: Uint8Array): bigint => bytesToBigInt(raw);

// ---- per-block state diffs ----

/** One account's change in a block, as stored: final values (see StateDB.changedAccounts). */
export interface StoredChange {
  address: Address;
  account: StoredAccount | undefined;
  storageReset: boolean;
  storage: Map<bigint, bigint>;
}

export function encodeDiff(changes: readonly StoredChange[]): Uint8Array {
  return rlpEncode(
    changes.map((c) => [
      addressBytes(c.address),
      c.account === undefined ? [] : accountItems(c.account),
      new Uint8Array(c.storageReset ? [1] : []),
      [...c.storage].map(([k, v]) => [bigintToBytes(k), bigintToBytes(v)]),
    ]),
  );
}

export function decodeDiff(raw: Uint8Array): StoredChange[] {
  return list(rlpDecode(raw), "state diff").map((item) => {
    const f = list(item, "state diff entry");
    const acc = list(f[1], "state diff account");
    const storage = new Map<bigint, bigint>();
    for (const s of list(f[3], "state diff storage")) {
      const kv = list(s, "state diff slot");
      storage.set(uint(kv[0], "slot"), uint(kv[1], "slot value"));
    }
    return {
      address: bytesToHex(bytes(f[0], "state diff address")),
      account: acc.length === 0 ? undefined : accountFromItems(acc, "state diff account"),
      storageReset: bytes(f[2], "state diff reset flag").length > 0,
      storage,
    };
  });
}

// ---- receipts ----

function logItems(l: LogRecord): RlpInput {
  return [addressBytes(l.address), l.topics.map((t) => bigintToBytes(t, 32)), l.data];
}

/** A block's receipts with the fork it was processed under: rlp([fork, [receipt...]]). */
export function encodeReceipts(fork: Fork | undefined, receipts: readonly Receipt[]): Uint8Array {
  return rlpEncode([
    fork === undefined ? new Uint8Array(0) : new Uint8Array([1, fork]),
    receipts.map((r) => [
      bigintToBytes(BigInt(r.type)),
      r.postState !== undefined
        ? [new Uint8Array([1]), r.postState]
        : [new Uint8Array([0]), new Uint8Array(r.status ? [1] : [])],
      bigintToBytes(r.cumulativeGasUsed),
      r.bloom,
      r.logs.map(logItems),
    ]),
  ]);
}

export function decodeReceipts(raw: Uint8Array): { fork: Fork | undefined; receipts: Receipt[] } {
  const top = list(rlpDecode(raw), "receipts");
  const f = bytes(top[0], "receipts fork");
  const fork = f.length === 2 ? (f[1] as Fork) : undefined;
  const receipts = list(top[1], "receipts").map((item): Receipt => {
    const r = list(item, "receipt");
    const outcome = list(r[1], "receipt outcome");
    const logs = list(r[4], "receipt logs").map((li): LogRecord => {
      const l = list(li, "log");
      return {
        address: bytesToHex(bytes(l[0], "log address")),
        topics: list(l[1], "log topics").map((t) => uint(t, "log topic")),
        data: bytes(l[2], "log data"),
      };
    });
    const out: Receipt = {
      type: Number(uint(r[0], "receipt type")),
      cumulativeGasUsed: uint(r[2], "receipt gas"),
      logs,
      bloom: bytes(r[3], "receipt bloom"),
    };
    if (bytes(outcome[0], "receipt outcome")[0] === 1)
      out.postState = bytes(outcome[1], "receipt post state");
    else out.status = bytes(outcome[1], "receipt status").length > 0;
    return out;
  });
  return { fork, receipts };
}

// ---- transaction lookup ----

export function encodeTxLocation(blockHash: string, index: number): Uint8Array {
  const out = new Uint8Array(36);
  out.set(hashBytes(blockHash), 0);
  new DataView(out.buffer).setUint32(32, index);
  return out;
}

export function decodeTxLocation(raw: Uint8Array): { blockHash: string; index: number } {
  if (raw.length !== 36) throw new StoreCorruptError("transaction lookup entry");
  return {
    blockHash: bytesToHex(raw.subarray(0, 32)),
    index: new DataView(raw.buffer, raw.byteOffset + 32, 4).getUint32(0),
  };
}

// ---- bad blocks ----

export interface StoredBadBlock {
  /** encodeBlock of the block. */
  rlp: Uint8Array;
  number: bigint;
  hash: string;
  reason: string;
}

export function encodeBadBlocks(list_: readonly StoredBadBlock[]): Uint8Array {
  const enc = new TextEncoder();
  return rlpEncode(
    list_.map((b) => [b.rlp, bigintToBytes(b.number), hashBytes(b.hash), enc.encode(b.reason)]),
  );
}

export function decodeBadBlocks(raw: Uint8Array): StoredBadBlock[] {
  const dec = new TextDecoder();
  return list(rlpDecode(raw), "bad blocks").map((item) => {
    const f = list(item, "bad block");
    return {
      rlp: bytes(f[0], "bad block rlp"),
      number: uint(f[1], "bad block number"),
      hash: bytesToHex(bytes(f[2], "bad block hash")),
      reason: dec.decode(bytes(f[3], "bad block reason")),
    };
  });
}
