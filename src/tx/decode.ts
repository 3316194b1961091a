/**
 * Transaction encoding and decoding in the canonical (consensus / EIP-2718) form: a
 * legacy transaction is an RLP list; a typed transaction is its type byte followed by
 * the RLP list of its fields. Blob transactions are decoded in their consensus form
 * (without the blobs/commitments/proofs sidecar of the pooled network form).
 *
 * Decoding is strict and throws `TxDecodeError` naming the field: malformed RLP,
 * trailing bytes, wrong field counts, a list where bytes are expected (or the reverse),
 * integers with leading zero bytes or wider than their type (nonce and gas limit 64 bits,
 * everything else 256 bits, yParity 8 bits), addresses not 20 bytes, storage keys and
 * blob hashes not 32 bytes, unknown type bytes (`UnknownTxTypeError`).
 *
 * Also here: `encodeTransaction`, `signingHash` (the hash the sender signs) and `txHash`,
 * and, separately, the network ("pooled") form of blob transactions that
 * eth_sendRawTransaction and the p2p protocol carry: `decodePooledTransaction` /
 * `encodePooledTransaction` (EIP-4844 sidecar, version 0; EIP-7594 cell proofs, version 1).
 */
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
import type {
  AccessList,
  AccessListTransaction,
  Authorization,
  BlobTransaction,
  FeeMarketTransaction,
  LegacyTransaction,
  SetCodeTransaction,
  Transaction,
} from "./types.js";

/** Why a byte string is not a well-formed transaction. `field` names the offending field. */
export class TxDecodeError extends SondeError {
  override name = "TxDecodeError";
  /** A stable short code: RLP, FIELD_COUNT, NOT_BYTES, NOT_LIST, LEADING_ZEROS, OVERFLOW, SIZE, TYPE. */
  readonly code: string;
  readonly field: string | undefined;

  constructor(message: string, code: string, field?: string, options: { cause?: unknown } = {}) {
    super(field === undefined ? message : `${field}: ${message}`, options);
    this.code = code;
    this.field = field;
  }
}

/** The type byte names no transaction type this decoder knows (EIP-2718). */
export class UnknownTxTypeError extends TxDecodeError {
  override name = "UnknownTxTypeError";
  readonly txType: number;

  constructor(txType: number) {
    super(`unknown transaction type 0x${txType.toString(16).padStart(2, "0")}`, "TYPE", "type");
    this.txType = txType;
  }
}

// ---------------------------------------------------------------------------
// Field readers

function asBytes(item: RlpDecoded | undefined, field: string): Uint8Array {
  if (!(item instanceof Uint8Array))
    throw new TxDecodeError("expected a byte string, got a list", "NOT_BYTES", field);
  return item;
}

function asList(item: RlpDecoded | undefined, field: string): RlpDecoded[] {
  if (!Array.isArray(item)) throw new TxDecodeError("expected a list, got a byte string", "NOT_LIST", field);
  return item;
}

/** A canonical unsigned integer of at most `bits` bits. */
function asUint(item: RlpDecoded | undefined, field: string, bits: number): bigint {
  const b = asBytes(item, field);
  if (b.length > 0 && b[0] === 0)
    throw new TxDecodeError("integer has leading zero bytes", "LEADING_ZEROS", field);
  if (b.length * 8 > bits) throw new TxDecodeError(`integer wider than ${bits} bits`, "OVERFLOW", field);
  return bytesToBigInt(b);
}

function asSmallUint(item: RlpDecoded | undefined, field: string): number {
  return Number(asUint(item, field, 8));
}

function asAddress(item: RlpDecoded | undefined, field: string): Address {
  const b = asBytes(item, field);
  if (b.length !== 20) {
    const what = b.length < 20 ? "too short" : "too long";
    throw new TxDecodeError(`address ${what} (${b.length} bytes, expected 20)`, "SIZE", field);
  }
  return bytesToHex(b);
}

/** `to`: empty = contract creation, else exactly 20 bytes. */
function asTo(item: RlpDecoded | undefined, field: string): Address | null {
  const b = asBytes(item, field);
  if (b.length === 0) return null;
  return asAddress(b, field);
}

function asWord(item: RlpDecoded | undefined, field: string): Uint8Array {
  const b = asBytes(item, field);
  if (b.length !== 32) {
    const what = b.length < 32 ? "too short" : "too long";
    throw new TxDecodeError(`${what} (${b.length} bytes, expected 32)`, "SIZE", field);
  }
  return b;
}

function asAccessList(item: RlpDecoded | undefined, field: string): AccessList {
  const list = asList(item, field);
  return list.map((entry, i) => {
    const where = `${field}[${i}]`;
    const pair = asList(entry, where);
    if (pair.length !== 2)
      throw new TxDecodeError(
        `expected [address, storageKeys], got ${pair.length} items`,
        "FIELD_COUNT",
        where,
      );
    const address = asAddress(pair[0], `${where}.address`);
    const keys = asList(pair[1], `${where}.storageKeys`).map((k, j) =>
      bytesToBigInt(asWord(k, `${where}.storageKeys[${j}]`)),
    );
    return { address, storageKeys: keys };
  });
}

function asAuthorizationList(item: RlpDecoded | undefined, field: string): Authorization[] {
  const list = asList(item, field);
  return list.map((entry, i) => {
    const where = `${field}[${i}]`;
    const t = asList(entry, where);
    if (t.length !== 6)
      throw new TxDecodeError(
        `expected 6 items [chainId, address, nonce, yParity, r, s], got ${t.length}`,
        "FIELD_COUNT",
        where,
      );
    return {
      chainId: asUint(t[0], `${where}.chainId`, 256),
      address: asAddress(t[1], `${where}.address`),
      nonce: asUint(t[2], `${where}.nonce`, 64),
      yParity: asSmallUint(t[3], `${where}.yParity`),
      r: asUint(t[4], `${where}.r`, 256),
      s: asUint(t[5], `${where}.s`, 256),
    };
  });
}

function expectFields(fields: RlpDecoded[], names: readonly string[], kind: string): void {
  if (fields.length !== names.length) {
    const which = fields.length < names.length ? "too few" : "too many";
    throw new TxDecodeError(
      `${kind}: ${which} fields (expected ${names.length}: ${names.join(", ")}; got ${fields.length})`,
      "FIELD_COUNT",
    );
  }
}

function decodeRlp(bytes: Uint8Array, what: string): RlpDecoded {
  try {
    return rlpDecode(bytes);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    throw new TxDecodeError(`${what}: ${msg}`, "RLP", undefined, { cause: err });
  }
}

// ---------------------------------------------------------------------------
// Decoding

const LEGACY_FIELDS = ["nonce", "gasPrice", "gasLimit", "to", "value", "data", "v", "r", "s"] as const;
const ACCESS_LIST_FIELDS = [
  "chainId",
  "nonce",
  "gasPrice",
  "gasLimit",
  "to",
  "value",
  "data",
  "accessList",
  "yParity",
  "r",
  "s",
] as const;
const FEE_MARKET_FIELDS = [
  "chainId",
  "nonce",
  "maxPriorityFeePerGas",
  "maxFeePerGas",
  "gasLimit",
  "to",
  "value",
  "data",
  "accessList",
  "yParity",
  "r",
  "s",
] as const;
const BLOB_FIELDS = [
  "chainId",
  "nonce",
  "maxPriorityFeePerGas",
  "maxFeePerGas",
  "gasLimit",
  "to",
  "value",
  "data",
  "accessList",
  "maxFeePerBlobGas",
  "blobVersionedHashes",
  "yParity",
  "r",
  "s",
] as const;
const SET_CODE_FIELDS = [
  "chainId",
  "nonce",
  "maxPriorityFeePerGas",
  "maxFeePerGas",
  "gasLimit",
  "to",
  "value",
  "data",
  "accessList",
  "authorizationList",
  "yParity",
  "r",
  "s",
] as const;

/** The chain id a legacy `v` commits to: undefined for 27/28 (and for invalid v < 35). */
export function chainIdFromV(v: bigint): bigint | undefined {
  return v >= 35n ? (v - 35n) >> 1n : undefined;
}

function decodeLegacy(raw: Uint8Array): LegacyTransaction {
  const f = asList(decodeRlp(raw, "legacy transaction"), "transaction");
  expectFields(f, LEGACY_FIELDS, "legacy transaction");
  const v = asUint(f[6], "v", 256);
  return {
    type: 0,
    chainId: chainIdFromV(v),
    nonce: asUint(f[0], "nonce", 64),
    gasPrice: asUint(f[1], "gasPrice", 256),
    gasLimit: asUint(f[2], "gasLimit", 64),
    to: asTo(f[3], "to"),
    value: asUint(f[4], "value", 256),
    data: asBytes(f[5], "data"),
    v,
    r: asUint(f[7], "r", 256),
    s: asUint(f[8], "s", 256),
  };
}

/** A type 3 transaction from its 14 consensus fields (already counted). */
function blobTxFromFields(f: RlpDecoded[]): BlobTransaction {
  return {
    type: 3,
    chainId: asUint(f[0], "chainId", 256),
    nonce: asUint(f[1], "nonce", 64),
    maxPriorityFeePerGas: asUint(f[2], "maxPriorityFeePerGas", 256),
    maxFeePerGas: asUint(f[3], "maxFeePerGas", 256),
    gasLimit: asUint(f[4], "gasLimit", 64),
    to: asTo(f[5], "to"),
    value: asUint(f[6], "value", 256),
    data: asBytes(f[7], "data"),
    accessList: asAccessList(f[8], "accessList"),
    maxFeePerBlobGas: asUint(f[9], "maxFeePerBlobGas", 256),
    blobVersionedHashes: asList(f[10], "blobVersionedHashes").map((h, i) =>
      asWord(h, `blobVersionedHashes[${i}]`),
    ),
    yParity: asSmallUint(f[11], "yParity"),
    r: asUint(f[12], "r", 256),
    s: asUint(f[13], "s", 256),
  };
}

function decodeTyped(type: number, payload: Uint8Array): Transaction {
  const f = asList(decodeRlp(payload, `type ${type} transaction`), "transaction");
  const kind = `type ${type} transaction`;
  switch (type) {
    case 1: {
      expectFields(f, ACCESS_LIST_FIELDS, kind);
      const tx: AccessListTransaction = {
        type: 1,
        chainId: asUint(f[0], "chainId", 256),
        nonce: asUint(f[1], "nonce", 64),
        gasPrice: asUint(f[2], "gasPrice", 256),
        gasLimit: asUint(f[3], "gasLimit", 64),
        to: asTo(f[4], "to"),
        value: asUint(f[5], "value", 256),
        data: asBytes(f[6], "data"),
        accessList: asAccessList(f[7], "accessList"),
        yParity: asSmallUint(f[8], "yParity"),
        r: asUint(f[9], "r", 256),
        s: asUint(f[10], "s", 256),
      };
      return tx;
    }
    case 2: {
      expectFields(f, FEE_MARKET_FIELDS, kind);
      const tx: FeeMarketTransaction = {
        type: 2,
        chainId: asUint(f[0], "chainId", 256),
        nonce: asUint(f[1], "nonce", 64),
        maxPriorityFeePerGas: asUint(f[2], "maxPriorityFeePerGas", 256),
        maxFeePerGas: asUint(f[3], "maxFeePerGas", 256),
        gasLimit: asUint(f[4], "gasLimit", 64),
        to: asTo(f[5], "to"),
        value: asUint(f[6], "value", 256),
        data: asBytes(f[7], "data"),
        accessList: asAccessList(f[8], "accessList"),
        yParity: asSmallUint(f[9], "yParity"),
        r: asUint(f[10], "r", 256),
        s: asUint(f[11], "s", 256),
      };
      return tx;
    }
    case 3:
      expectFields(f, BLOB_FIELDS, kind);
      return blobTxFromFields(f);
    case 4: {
      expectFields(f, SET_CODE_FIELDS, kind);
      const tx: SetCodeTransaction = {
        type: 4,
        chainId: asUint(f[0], "chainId", 256),
        nonce: asUint(f[1], "nonce", 64),
        maxPriorityFeePerGas: asUint(f[2], "maxPriorityFeePerGas", 256),
        maxFeePerGas: asUint(f[3], "maxFeePerGas", 256),
        gasLimit: asUint(f[4], "gasLimit", 64),
        to: asTo(f[5], "to"),
        value: asUint(f[6], "value", 256),
        data: asBytes(f[7], "data"),
        accessList: asAccessList(f[8], "accessList"),
        authorizationList: asAuthorizationList(f[9], "authorizationList"),
        yParity: asSmallUint(f[10], "yParity"),
        r: asUint(f[11], "r", 256),
        s: asUint(f[12], "s", 256),
      };
      return tx;
    }
    default:
      throw new UnknownTxTypeError(type);
  }
}

/**
 * Decodes a transaction from its canonical encoding (legacy RLP list, or
 * type byte ++ RLP payload). Throws TxDecodeError / UnknownTxTypeError.
 */
export function decodeTransaction(raw: Uint8Array): Transaction {
  if (raw.length === 0) throw new TxDecodeError("empty input", "RLP");
  const first = raw[0]!;
  if (first >= 0xc0) return decodeLegacy(raw);
  if (first <= 0x7f) {
    if (first < 1 || first > 4) throw new UnknownTxTypeError(first);
    return decodeTyped(first, raw.subarray(1));
  }
  throw new TxDecodeError(
    `starts with 0x${first.toString(16)}: an RLP byte string, neither a list (legacy) nor a type byte`,
    "TYPE",
  );
}

// ---------------------------------------------------------------------------
// Encoding

function uint(v: bigint): Uint8Array {
  return bigintToBytes(v);
}

function toField(to: Address | null): Uint8Array {
  return to === null ? new Uint8Array(0) : hexToBytes(to, "to");
}

function accessListField(list: AccessList): RlpInput {
  return list.map((e) => [
    hexToBytes(e.address, "accessList address"),
    e.storageKeys.map((k) => bigintToBytes(k, 32)),
  ]);
}

function authorizationListField(list: Authorization[]): RlpInput {
  return list.map((a) => [
    uint(a.chainId),
    hexToBytes(a.address, "authorization address"),
    uint(a.nonce),
    uint(BigInt(a.yParity)),
    uint(a.r),
    uint(a.s),
  ]);
}

/** The fields of a transaction before its signature, in encoding order. */
function unsignedFields(tx: Transaction): RlpInput[] {
  switch (tx.type) {
    case 0:
      return [uint(tx.nonce), uint(tx.gasPrice), uint(tx.gasLimit), toField(tx.to), uint(tx.value), tx.data];
    case 1:
      return [
        uint(tx.chainId),
        uint(tx.nonce),
        uint(tx.gasPrice),
        uint(tx.gasLimit),
        toField(tx.to),
        uint(tx.value),
        tx.data,
        accessListField(tx.accessList),
      ];
    case 2:
      return [
        uint(tx.chainId),
        uint(tx.nonce),
        uint(tx.maxPriorityFeePerGas),
        uint(tx.maxFeePerGas),
        uint(tx.gasLimit),
        toField(tx.to),
        uint(tx.value),
        tx.data,
        accessListField(tx.accessList),
      ];
    case 3:
      return [
        uint(tx.chainId),
        uint(tx.nonce),
        uint(tx.maxPriorityFeePerGas),
        uint(tx.maxFeePerGas),
        uint(tx.gasLimit),
        toField(tx.to),
        uint(tx.value),
        tx.data,
        accessListField(tx.accessList),
        uint(tx.maxFeePerBlobGas),
        tx.blobVersionedHashes,
      ];
    case 4:
      return [
        uint(tx.chainId),
        uint(tx.nonce),
        uint(tx.maxPriorityFeePerGas),
        uint(tx.maxFeePerGas),
        uint(tx.gasLimit),
        toField(tx.to),
        uint(tx.value),
        tx.data,
        accessListField(tx.accessList),
        authorizationListField(tx.authorizationList),
      ];
  }
}

/** The canonical encoding: what `decodeTransaction` reads and what `txHash` hashes. */
export function encodeTransaction(tx: Transaction): Uint8Array {
  const fields = unsignedFields(tx);
  if (tx.type === 0) {
    fields.push(uint(tx.v), uint(tx.r), uint(tx.s));
    return rlpEncode(fields);
  }
  fields.push(uint(BigInt(tx.yParity)), uint(tx.r), uint(tx.s));
  return concatBytes(new Uint8Array([tx.type]), rlpEncode(fields));
}

/**
 * The hash the sender signs. Legacy: keccak(rlp(6 fields)) before EIP-155, or
 * keccak(rlp(6 fields ++ [chainId, 0, 0])) with a chain id. Typed: keccak(type ++ rlp(fields)).
 */
export function signingHash(tx: Transaction): Uint8Array {
  const fields = unsignedFields(tx);
  if (tx.type === 0) {
    if (tx.chainId !== undefined) fields.push(uint(tx.chainId), new Uint8Array(0), new Uint8Array(0));
    return keccak256(rlpEncode(fields));
  }
  return keccak256(concatBytes(new Uint8Array([tx.type]), rlpEncode(fields)));
}

/** The transaction hash: keccak of the canonical encoding. */
export function txHash(tx: Transaction): Uint8Array {
  return keccak256(encodeTransaction(tx));
}

// ---------------------------------------------------------------------------
// Network (pooled) form of blob transactions

/** EIP-4844 sizes: a blob is 4096 field elements of 32 bytes; commitments and proofs are G1 points. */
export const BYTES_PER_BLOB = 131072;
export const BYTES_PER_COMMITMENT = 48;
export const BYTES_PER_PROOF = 48;

/**
 * The blobs of a blob transaction with their KZG commitments and proofs. Version 0
 * (EIP-4844): one proof per blob. Version 1 (EIP-7594, Osaka): 128 cell proofs per blob.
 */
export interface BlobSidecar {
  version: 0 | 1;
  blobs: Uint8Array[];
  commitments: Uint8Array[];
  proofs: Uint8Array[];
}

/** A transaction as submitted: a blob transaction may carry its sidecar. */
export interface PooledTransaction {
  tx: Transaction;
  sidecar?: BlobSidecar;
}

function fixedList(item: RlpDecoded | undefined, field: string, size: number): Uint8Array[] {
  return asList(item, field).map((x, i) => {
    const b = asBytes(x, `${field}[${i}]`);
    if (b.length !== size) {
      throw new TxDecodeError(`expected ${size} bytes, got ${b.length}`, "SIZE", `${field}[${i}]`);
    }
    return b;
  });
}

/**
 * Decodes a transaction in the form eth_sendRawTransaction accepts: any canonical
 * transaction, or a type 3 transaction in the network form 0x03 ++ rlp([tx_fields, blobs,
 * commitments, proofs]) (sidecar version 0) or 0x03 ++ rlp([tx_fields, version, blobs,
 * commitments, cell_proofs]) (version 1; any other version byte is refused). The two
 * are told apart as go-ethereum does: the network form's first element is a list (the
 * canonical form's is the chain id), and a version byte where version 0 has the blob list.
 * Only the shape is checked here (sizes of blobs, commitments and proofs); whether they
 * match each other and the versioned hashes is the pool's business.
 */
export function decodePooledTransaction(raw: Uint8Array): PooledTransaction {
  if (raw.length === 0 || raw[0] !== 3) return { tx: decodeTransaction(raw) };
  const outer = asList(decodeRlp(raw.subarray(1), "type 3 transaction"), "transaction");
  if (!Array.isArray(outer[0])) return { tx: decodeTransaction(raw) };
  const inner = outer[0];
  expectFields(inner, BLOB_FIELDS, "type 3 transaction");
  const tx = blobTxFromFields(inner);
  let version: 0 | 1;
  let rest: RlpDecoded[];
  if (Array.isArray(outer[1])) {
    version = 0;
    rest = outer.slice(1);
    if (rest.length !== 3) {
      throw new TxDecodeError(
        `blob transaction network form: expected 4 elements (tx, blobs, commitments, proofs), got ${outer.length}`,
        "FIELD_COUNT",
      );
    }
  } else {
    const v = asUint(outer[1], "sidecar version", 8);
    if (v !== 1n) throw new TxDecodeError(`unsupported blob sidecar version ${v}`, "TYPE", "sidecar version");
    version = 1;
    rest = outer.slice(2);
    if (rest.length !== 3) {
      throw new TxDecodeError(
        `blob transaction network form: expected 5 elements (tx, version, blobs, commitments, cell proofs), got ${outer.length}`,
        "FIELD_COUNT",
      );
    }
  }
  return {
    tx,
    sidecar: {
      version,
      blobs: fixedList(rest[0], "blobs", BYTES_PER_BLOB),
      commitments: fixedList(rest[1], "commitments", BYTES_PER_COMMITMENT),
      proofs: fixedList(rest[2], "proofs", BYTES_PER_PROOF),
    },
  };
}

/** The network form of a blob transaction with its sidecar (what decodePooledTransaction reads). */
export function encodePooledTransaction(tx: BlobTransaction, sidecar: BlobSidecar): Uint8Array {
  const fields = unsignedFields(tx);
  fields.push(uint(BigInt(tx.yParity)), uint(tx.r), uint(tx.s));
  const parts: RlpInput[] = [fields];
  if (sidecar.version === 1) parts.push(uint(1n));
  parts.push(sidecar.blobs, sidecar.commitments, sidecar.proofs);
  return concatBytes(new Uint8Array([3]), rlpEncode(parts));
}
