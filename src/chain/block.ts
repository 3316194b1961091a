/**
 * Blocks, headers, withdrawals and receipts: their shapes, their consensus (RLP)
 * encodings and the roots and hashes derived from them.
 *
 * A header is the 15 legacy fields followed by the fork-dependent trailing fields, each
 * present only if all before it are: baseFeePerGas (London), withdrawalsRoot (Shanghai),
 * blobGasUsed, excessBlobGas and parentBeaconBlockRoot (Cancun), requestsHash (Prague).
 * Whether the present fields suit the block's fork is header validation's business
 * (validate.ts), not decoding's. A block is [header, transactions, uncles] plus
 * withdrawals from Shanghai. Inside a block a legacy transaction is its RLP list and a
 * typed one an RLP byte string holding type byte ++ payload (EIP-2718); receipts follow
 * the same rule in the receipts trie.
 *
 * Decoding is strict, as go-ethereum's RLP decoder: canonical RLP only, no trailing
 * bytes, exact field counts, hashes of 32 bytes, addresses of 20, the nonce of 8, the
 * bloom of 256, 64-bit fields (gas limit, gas used, timestamp, blob gas, withdrawal
 * fields) of at most 8 bytes and integers without leading zeros. Errors are
 * BlockDecodeError naming the field.
 */
import { createHash } from "node:crypto";
import { SondeError } from "../errors.js";
import {
  type Address,
  bigintToBytes,
  bytesToBigInt,
  bytesToHex,
  concatBytes,
  hexToBytes,
} from "../primitives/hex.js";
import { keccak256 } from "../primitives/keccak.js";
import { type RlpDecoded, type RlpInput, rlpDecode, rlpEncode } from "../primitives/rlp.js";
import { trieRoot } from "../state/trie.js";
import type { LogRecord } from "../tracing/hooks.js";
import { decodeTransaction, encodeTransaction, TxDecodeError } from "../tx/decode.js";
import type { Transaction } from "../tx/types.js";

export interface Header {
  parentHash: Uint8Array;
  uncleHash: Uint8Array;
  coinbase: Address;
  stateRoot: Uint8Array;
  transactionsRoot: Uint8Array;
  receiptsRoot: Uint8Array;
  logsBloom: Uint8Array;
  difficulty: bigint;
  number: bigint;
  gasLimit: bigint;
  gasUsed: bigint;
  timestamp: bigint;
  extraData: Uint8Array;
  /** PREVRANDAO after the merge. */
  mixHash: Uint8Array;
  /** 8 bytes. */
  nonce: Uint8Array;
  baseFeePerGas?: bigint | undefined;
  withdrawalsRoot?: Uint8Array | undefined;
  blobGasUsed?: bigint | undefined;
  excessBlobGas?: bigint | undefined;
  parentBeaconBlockRoot?: Uint8Array | undefined;
  requestsHash?: Uint8Array | undefined;
}

/** An EIP-4895 withdrawal; `amount` is in Gwei. */
export interface Withdrawal {
  index: bigint;
  validatorIndex: bigint;
  address: Address;
  amount: bigint;
}

export interface Block {
  header: Header;
  transactions: Transaction[];
  uncles: Header[];
  /** Present from Shanghai (an empty list is not the same as none). */
  withdrawals?: Withdrawal[] | undefined;
}

export interface Receipt {
  type: number;
  /** Byzantium on: true for success. Before: undefined (postState is used instead). */
  status?: boolean | undefined;
  /** Before Byzantium: the state root after the transaction. */
  postState?: Uint8Array | undefined;
  cumulativeGasUsed: bigint;
  logs: LogRecord[];
  bloom: Uint8Array;
}

/** keccak(rlp([])): the uncle hash of a block without uncles. */
export const EMPTY_UNCLE_HASH = keccak256(rlpEncode([]));

/** Why bytes are not a well-formed block. `field` names what was wrong. */
export class BlockDecodeError extends SondeError {
  override name = "BlockDecodeError";
  readonly field: string | undefined;
  constructor(message: string, field?: string, options: { cause?: unknown } = {}) {
    super(field === undefined ? message : `${field}: ${message}`, options);
    this.field = field;
  }
}

// ---------------------------------------------------------------------------
// Field readers

function bytesAt(item: RlpDecoded | undefined, field: string): Uint8Array {
  if (item === undefined) throw new BlockDecodeError("missing", field);
  if (!(item instanceof Uint8Array)) throw new BlockDecodeError("expected a byte string, got a list", field);
  return item;
}

function listAt(item: RlpDecoded | undefined, field: string): RlpDecoded[] {
  if (item === undefined) throw new BlockDecodeError("missing", field);
  if (!Array.isArray(item)) throw new BlockDecodeError("expected a list, got a byte string", field);
  return item;
}

function fixedAt(item: RlpDecoded | undefined, field: string, size: number): Uint8Array {
  const b = bytesAt(item, field);
  if (b.length !== size) throw new BlockDecodeError(`expected ${size} bytes, got ${b.length}`, field);
  return b;
}

function uintAt(item: RlpDecoded | undefined, field: string, bits: number): bigint {
  const b = bytesAt(item, field);
  if (b.length > 0 && b[0] === 0) throw new BlockDecodeError("integer has leading zero bytes", field);
  if (b.length * 8 > bits) throw new BlockDecodeError(`integer wider than ${bits} bits`, field);
  return bytesToBigInt(b);
}

function addressAt(item: RlpDecoded | undefined, field: string): Address {
  return bytesToHex(fixedAt(item, field, 20));
}

function decodeRlpStrict(bytes: Uint8Array, what: string): RlpDecoded {
  try {
    return rlpDecode(bytes);
  } catch (err) {
    throw new BlockDecodeError(`invalid RLP: ${err instanceof Error ? err.message : String(err)}`, what, {
      cause: err,
    });
  }
}

// ---------------------------------------------------------------------------
// Headers

const HEADER_FIELDS = [
  "parentHash",
  "uncleHash",
  "coinbase",
  "stateRoot",
  "transactionsRoot",
  "receiptsRoot",
  "logsBloom",
  "difficulty",
  "number",
  "gasLimit",
  "gasUsed",
  "timestamp",
  "extraData",
  "mixHash",
  "nonce",
  "baseFeePerGas",
  "withdrawalsRoot",
  "blobGasUsed",
  "excessBlobGas",
  "parentBeaconBlockRoot",
  "requestsHash",
] as const;
const LEGACY_HEADER_FIELDS = 15;

/** Decodes a header from its RLP list items. `where` prefixes field names in errors. */
export function decodeHeaderItems(item: RlpDecoded | undefined, where = "header"): Header {
  const f = listAt(item, where);
  if (f.length < LEGACY_HEADER_FIELDS || f.length > HEADER_FIELDS.length) {
    throw new BlockDecodeError(
      `expected ${LEGACY_HEADER_FIELDS} to ${HEADER_FIELDS.length} fields, got ${f.length}`,
      where,
    );
  }
  const n = (i: number) => `${where}.${HEADER_FIELDS[i]}`;
  const h: Header = {
    parentHash: fixedAt(f[0], n(0), 32),
    uncleHash: fixedAt(f[1], n(1), 32),
    coinbase: addressAt(f[2], n(2)),
    stateRoot: fixedAt(f[3], n(3), 32),
    transactionsRoot: fixedAt(f[4], n(4), 32),
    receiptsRoot: fixedAt(f[5], n(5), 32),
    logsBloom: fixedAt(f[6], n(6), 256),
    difficulty: uintAt(f[7], n(7), 256),
    number: uintAt(f[8], n(8), 256),
    gasLimit: uintAt(f[9], n(9), 64),
    gasUsed: uintAt(f[10], n(10), 64),
    timestamp: uintAt(f[11], n(11), 64),
    extraData: bytesAt(f[12], n(12)),
    mixHash: fixedAt(f[13], n(13), 32),
    nonce: fixedAt(f[14], n(14), 8),
  };
  if (f.length > 15) h.baseFeePerGas = uintAt(f[15], n(15), 256);
  if (f.length > 16) h.withdrawalsRoot = fixedAt(f[16], n(16), 32);
  if (f.length > 17) h.blobGasUsed = uintAt(f[17], n(17), 64);
  if (f.length > 18) h.excessBlobGas = uintAt(f[18], n(18), 64);
  if (f.length > 19) h.parentBeaconBlockRoot = fixedAt(f[19], n(19), 32);
  if (f.length > 20) h.requestsHash = fixedAt(f[20], n(20), 32);
  return h;
}

/** The header's RLP items; trailing optional fields stop at the first one absent. */
export function headerItems(h: Header): RlpInput[] {
  const items: RlpInput[] = [
    h.parentHash,
    h.uncleHash,
    hexToBytes(h.coinbase),
    h.stateRoot,
    h.transactionsRoot,
    h.receiptsRoot,
    h.logsBloom,
    bigintToBytes(h.difficulty),
    bigintToBytes(h.number),
    bigintToBytes(h.gasLimit),
    bigintToBytes(h.gasUsed),
    bigintToBytes(h.timestamp),
    h.extraData,
    h.mixHash,
    h.nonce,
  ];
  const optional: (RlpInput | undefined)[] = [
    h.baseFeePerGas === undefined ? undefined : bigintToBytes(h.baseFeePerGas),
    h.withdrawalsRoot,
    h.blobGasUsed === undefined ? undefined : bigintToBytes(h.blobGasUsed),
    h.excessBlobGas === undefined ? undefined : bigintToBytes(h.excessBlobGas),
    h.parentBeaconBlockRoot,
    h.requestsHash,
  ];
  for (const o of optional) {
    if (o === undefined) break;
    items.push(o);
  }
  return items;
}

export function encodeHeader(h: Header): Uint8Array {
  return rlpEncode(headerItems(h));
}

export function decodeHeader(raw: Uint8Array): Header {
  return decodeHeaderItems(decodeRlpStrict(raw, "header"));
}

/** The block hash: keccak of the header's RLP. */
export function headerHash(h: Header): Uint8Array {
  return keccak256(encodeHeader(h));
}

// ---------------------------------------------------------------------------
// Withdrawals

function decodeWithdrawal(item: RlpDecoded, where: string): Withdrawal {
  const f = listAt(item, where);
  if (f.length !== 4)
    throw new BlockDecodeError(
      `expected 4 fields [index, validatorIndex, address, amount], got ${f.length}`,
      where,
    );
  return {
    index: uintAt(f[0], `${where}.index`, 64),
    validatorIndex: uintAt(f[1], `${where}.validatorIndex`, 64),
    address: addressAt(f[2], `${where}.address`),
    amount: uintAt(f[3], `${where}.amount`, 64),
  };
}

export function encodeWithdrawal(w: Withdrawal): Uint8Array {
  return rlpEncode(withdrawalItems(w));
}

function withdrawalItems(w: Withdrawal): RlpInput {
  return [
    bigintToBytes(w.index),
    bigintToBytes(w.validatorIndex),
    hexToBytes(w.address),
    bigintToBytes(w.amount),
  ];
}

// ---------------------------------------------------------------------------
// Blocks

/** A transaction as a block body item: a legacy list, or a byte string for typed ones. */
function decodeBodyTransaction(item: RlpDecoded, where: string): Transaction {
  try {
    if (Array.isArray(item)) return decodeTransaction(rlpEncode(item as RlpInput));
    if (item.length <= 1) throw new BlockDecodeError("typed transaction too short", where);
    if (item[0]! >= 0x80) {
      throw new BlockDecodeError(
        `byte string starting 0x${item[0]!.toString(16)} is not a typed transaction`,
        where,
      );
    }
    return decodeTransaction(item);
  } catch (err) {
    if (err instanceof TxDecodeError) throw new BlockDecodeError(err.message, where, { cause: err });
    throw err;
  }
}

/** Decodes a block from its RLP. */
export function decodeBlock(raw: Uint8Array): Block {
  const top = listAt(decodeRlpStrict(raw, "block"), "block");
  if (top.length < 3 || top.length > 4) {
    throw new BlockDecodeError(
      `expected 3 or 4 items [header, transactions, uncles, withdrawals?], got ${top.length}`,
      "block",
    );
  }
  const header = decodeHeaderItems(top[0], "header");
  const transactions = listAt(top[1], "transactions").map((t, i) =>
    decodeBodyTransaction(t, `transactions[${i}]`),
  );
  const uncles = listAt(top[2], "uncles").map((u, i) => decodeHeaderItems(u, `uncles[${i}]`));
  const block: Block = { header, transactions, uncles };
  if (top.length === 4) {
    block.withdrawals = listAt(top[3], "withdrawals").map((w, i) => decodeWithdrawal(w, `withdrawals[${i}]`));
  }
  return block;
}

/** A transaction as a body item (typed ones wrapped as a byte string). */
function bodyTransactionItem(tx: Transaction): RlpInput {
  const enc = encodeTransaction(tx);
  return tx.type === 0 ? (rlpDecode(enc) as RlpInput) : enc;
}

export function encodeBlock(block: Block): Uint8Array {
  const items: RlpInput[] = [
    headerItems(block.header),
    block.transactions.map(bodyTransactionItem),
    block.uncles.map(headerItems),
  ];
  if (block.withdrawals !== undefined) items.push(block.withdrawals.map(withdrawalItems));
  return rlpEncode(items);
}

// ---------------------------------------------------------------------------
// Receipts

function logItems(log: LogRecord): RlpInput {
  return [hexToBytes(log.address), log.topics.map((t) => bigintToBytes(t, 32)), log.data];
}

/** The consensus encoding: rlp([status|postState, cumulativeGas, bloom, logs]), typed ones prefixed. */
export function encodeReceipt(r: Receipt): Uint8Array {
  const first = r.postState !== undefined ? r.postState : r.status ? new Uint8Array([1]) : new Uint8Array(0);
  const body = rlpEncode([first, bigintToBytes(r.cumulativeGasUsed), r.bloom, r.logs.map(logItems)]);
  return r.type === 0 ? body : concatBytes(new Uint8Array([r.type]), body);
}

// ---------------------------------------------------------------------------
// Roots and hashes

/** Root of the trie keyed by rlp(index), as the transactions, receipts and withdrawals tries. */
export function indexedTrieRoot(values: Uint8Array[]): Uint8Array {
  return trieRoot(values.map((v, i) => [rlpEncode(bigintToBytes(BigInt(i))), v] as [Uint8Array, Uint8Array]));
}

export function transactionsRoot(txs: readonly Transaction[]): Uint8Array {
  return indexedTrieRoot(txs.map(encodeTransaction));
}

export function receiptsRoot(receipts: readonly Receipt[]): Uint8Array {
  return indexedTrieRoot(receipts.map(encodeReceipt));
}

export function withdrawalsRoot(ws: readonly Withdrawal[]): Uint8Array {
  return indexedTrieRoot(ws.map(encodeWithdrawal));
}

export function uncleHash(uncles: readonly Header[]): Uint8Array {
  return keccak256(rlpEncode(uncles.map(headerItems)));
}

/** The bloom of all the receipts' blooms, ORed. */
export function mergeBlooms(receipts: readonly Receipt[]): Uint8Array {
  const out = new Uint8Array(256);
  for (const r of receipts) for (let i = 0; i < 256; i++) out[i]! |= r.bloom[i]!;
  return out;
}

/**
 * EIP-7685 requests hash: sha256 over the sha256 of each request (type byte ++ data),
 * skipping requests that carry no data.
 */
export function requestsHash(requests: readonly Uint8Array[]): Uint8Array {
  const outer = createHash("sha256");
  for (const r of requests) {
    if (r.length > 1) outer.update(createHash("sha256").update(r).digest());
  }
  return new Uint8Array(outer.digest());
}
