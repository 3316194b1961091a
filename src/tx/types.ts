/**
 * Transaction shapes: legacy (type 0, with or without EIP-155 replay protection),
 * EIP-2930 access-list (1), EIP-1559 fee-market (2), EIP-4844 blob (3) and EIP-7702
 * set-code (4) transactions, as one discriminated union on `type`.
 *
 * Conventions:
 * - Quantities are bigints; `data` is raw bytes; addresses are lowercase 0x-hex.
 * - `to` is null for contract creation. Blob and set-code transactions may not create,
 *   but the field stays nullable so that `validateTransaction` can reject such a
 *   transaction with a named error rather than the type system hiding it.
 * - Access-list storage keys are **bigints** (each encodes as exactly 32 bytes), the form
 *   the state layer uses for storage slots.
 * - A legacy transaction carries `v` as signed (27/28, or chainId*2+35/36); its `chainId`
 *   is derived from `v` (undefined before EIP-155). Typed transactions carry `yParity`.
 */
import type { Address } from "../primitives/hex.js";

export const TxType = {
  Legacy: 0,
  AccessList: 1,
  FeeMarket: 2,
  Blob: 3,
  SetCode: 4,
} as const;
export type TxType = (typeof TxType)[keyof typeof TxType];

export interface AccessListEntry {
  address: Address;
  /** Storage slots; each is encoded as a 32-byte word. */
  storageKeys: bigint[];
}
export type AccessList = AccessListEntry[];

/** An EIP-7702 authorization tuple: [chainId, address, nonce, yParity, r, s]. */
export interface Authorization {
  chainId: bigint;
  address: Address;
  nonce: bigint;
  /** 0 or 1 when valid; decoding accepts any value below 2^8 (EIP-7702 bound). */
  yParity: number;
  r: bigint;
  s: bigint;
}

interface TxCommon {
  nonce: bigint;
  gasLimit: bigint;
  /** null = contract creation. */
  to: Address | null;
  value: bigint;
  data: Uint8Array;
  r: bigint;
  s: bigint;
}

interface TypedTxCommon extends TxCommon {
  chainId: bigint;
  accessList: AccessList;
  /** Signature recovery bit, 0 or 1 when valid (decoding accepts values below 2^8). */
  yParity: number;
}

export interface LegacyTransaction extends TxCommon {
  type: 0;
  /** From `v`: (v - 35) >> 1 when v >= 35, undefined for v = 27/28 (pre-EIP-155). */
  chainId: bigint | undefined;
  gasPrice: bigint;
  v: bigint;
}

export interface AccessListTransaction extends TypedTxCommon {
  type: 1;
  gasPrice: bigint;
}

export interface FeeMarketTransaction extends TypedTxCommon {
  type: 2;
  maxPriorityFeePerGas: bigint;
  maxFeePerGas: bigint;
}

export interface BlobTransaction extends TypedTxCommon {
  type: 3;
  maxPriorityFeePerGas: bigint;
  maxFeePerGas: bigint;
  maxFeePerBlobGas: bigint;
  /** 32-byte versioned hashes (first byte 0x01 for KZG). */
  blobVersionedHashes: Uint8Array[];
}

export interface SetCodeTransaction extends TypedTxCommon {
  type: 4;
  maxPriorityFeePerGas: bigint;
  maxFeePerGas: bigint;
  authorizationList: Authorization[];
}

export type Transaction =
  | LegacyTransaction
  | AccessListTransaction
  | FeeMarketTransaction
  | BlobTransaction
  | SetCodeTransaction;

/** The most the sender pays per gas: gasPrice, or maxFeePerGas for EIP-1559 types. */
export function txFeeCap(tx: Transaction): bigint {
  return tx.type === 0 || tx.type === 1 ? tx.gasPrice : tx.maxFeePerGas;
}

/** The tip cap: gasPrice for legacy/2930 (all of it may go to the coinbase), else maxPriorityFeePerGas. */
export function txTipCap(tx: Transaction): bigint {
  return tx.type === 0 || tx.type === 1 ? tx.gasPrice : tx.maxPriorityFeePerGas;
}

/** The access list, empty for legacy transactions. */
export function txAccessList(tx: Transaction): AccessList {
  return tx.type === 0 ? [] : tx.accessList;
}

/** Largest nonce and gas limit representable (uint64). */
export const MAX_UINT64 = (1n << 64n) - 1n;
export const MAX_UINT256 = (1n << 256n) - 1n;
