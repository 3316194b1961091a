/**
 * Transaction validation errors and the stateless checks of a transaction in a fork.
 *
 * Every error is a `TxValidationError` with a stable `code`; codes follow the
 * execution-spec-tests `TransactionException` names where one exists, so that conformance
 * runners can compare kinds. `validateTransaction` does the checks that need no state.
 * The stateful checks (sender nonce, balance, fee cap against the base fee, blob fee cap
 * against the blob base fee, sender has code, block gas left) belong to the state
 * transition, which throws the error classes defined at the end of this file.
 *
 * The signature check (`InvalidSignatureError`) lives with sender recovery in sender.ts.
 */
import { SondeError } from "../errors.js";
import { Fork, forkName } from "../evm/forks.js";
import { bytesToHex } from "../primitives/hex.js";
import { type IntrinsicGas, intrinsicGas } from "./intrinsic.js";
import { MAX_UINT64, MAX_UINT256, type Transaction, txFeeCap } from "./types.js";

export class TxValidationError extends SondeError {
  override name = "TxValidationError";
  /** Stable identifier of the kind of error (an execution-spec-tests name where one exists). */
  readonly code: string;

  constructor(message: string, code: string, options: { details?: string; cause?: unknown } = {}) {
    super(message, options);
    this.code = code;
  }
}

// ---------------------------------------------------------------------------
// Stateless errors (thrown by validateTransaction)

/** A field too large for its encoding (a value above 2^256-1, a nonce above 2^64-1, …). */
export class FieldOutOfRangeError extends TxValidationError {
  override name = "FieldOutOfRangeError";
  constructor(field: string, value: bigint, bits: number) {
    super(`${field} ${value} does not fit in ${bits} bits`, "RLP_INVALID_VALUE");
  }
}

/** The transaction type is not yet active in this fork (EIP-2718 types by fork). */
export class TxTypeNotSupportedError extends TxValidationError {
  override name = "TxTypeNotSupportedError";
  constructor(txType: number, fork: Fork) {
    super(`transaction type ${txType} is not supported in ${forkName(fork)}`, "TYPE_NOT_SUPPORTED");
  }
}

/** The transaction's chain id is not the chain's. */
export class InvalidChainIdError extends TxValidationError {
  override name = "InvalidChainIdError";
  constructor(got: bigint, expected: bigint) {
    super(`chain id ${got} does not match the chain's ${expected}`, "INVALID_CHAINID");
  }
}

/** A legacy transaction with an EIP-155 chain id before Spurious Dragon. */
export class Eip155NotActiveError extends TxValidationError {
  override name = "Eip155NotActiveError";
  constructor(fork: Fork) {
    super(
      `EIP-155 replay-protected signature (v >= 35) is not valid in ${forkName(fork)}`,
      "EIP155_NOT_ACTIVE",
    );
  }
}

/** The nonce is 2^64-1 (EIP-2681): in the transaction, or the sender's account nonce. */
export class NonceMaxError extends TxValidationError {
  override name = "NonceMaxError";
  constructor(nonce: bigint) {
    super(`nonce ${nonce} is at or above the maximum 2^64-1`, "NONCE_IS_MAX");
  }
}

/** maxPriorityFeePerGas > maxFeePerGas (EIP-1559). */
export class PriorityFeeGreaterThanMaxFeeError extends TxValidationError {
  override name = "PriorityFeeGreaterThanMaxFeeError";
  constructor(tip: bigint, feeCap: bigint) {
    super(
      `maxPriorityFeePerGas ${tip} is greater than maxFeePerGas ${feeCap}`,
      "PRIORITY_GREATER_THAN_MAX_FEE_PER_GAS",
    );
  }
}

/** gasLimit * (gasPrice or maxFeePerGas) does not fit in 256 bits. */
export class GasLimitPriceProductOverflowError extends TxValidationError {
  override name = "GasLimitPriceProductOverflowError";
  constructor(gasLimit: bigint, price: bigint) {
    super(`gasLimit ${gasLimit} * fee cap ${price} overflows 256 bits`, "GASLIMIT_PRICE_PRODUCT_OVERFLOW");
  }
}

/** The gas limit is above the per-transaction cap (EIP-7825, Osaka: 2^24). */
export class GasLimitCapExceededError extends TxValidationError {
  override name = "GasLimitCapExceededError";
  constructor(gasLimit: bigint, cap: bigint) {
    super(`gas limit ${gasLimit} exceeds the transaction gas limit cap ${cap}`, "GAS_LIMIT_EXCEEDS_MAXIMUM");
  }
}

/** Contract-creation initcode longer than 49152 bytes (EIP-3860, Shanghai). */
export class InitcodeSizeExceededError extends TxValidationError {
  override name = "InitcodeSizeExceededError";
  constructor(size: number, max: number) {
    super(`initcode is ${size} bytes, more than the maximum ${max}`, "INITCODE_SIZE_EXCEEDED");
  }
}

/** The gas limit does not cover the intrinsic gas. */
export class IntrinsicGasTooLowError extends TxValidationError {
  override name = "IntrinsicGasTooLowError";
  constructor(gasLimit: bigint, required: bigint) {
    super(`gas limit ${gasLimit} is below the intrinsic gas ${required}`, "INTRINSIC_GAS_TOO_LOW");
  }
}

/** The gas limit does not cover the EIP-7623 calldata floor (Prague). */
export class FloorDataGasTooLowError extends TxValidationError {
  override name = "FloorDataGasTooLowError";
  constructor(gasLimit: bigint, floor: bigint) {
    super(
      `gas limit ${gasLimit} is below the calldata floor ${floor} (EIP-7623)`,
      "INTRINSIC_GAS_BELOW_FLOOR_GAS_COST",
    );
  }
}

/** A blob transaction without a recipient (EIP-4844 forbids creation). */
export class BlobTxCreateError extends TxValidationError {
  override name = "BlobTxCreateError";
  constructor() {
    super("blob transaction cannot create a contract (to is empty)", "TYPE_3_TX_CONTRACT_CREATION");
  }
}

/** A blob transaction with no blob versioned hashes. */
export class BlobTxNoBlobsError extends TxValidationError {
  override name = "BlobTxNoBlobsError";
  constructor() {
    super("blob transaction has no blob versioned hashes", "TYPE_3_TX_ZERO_BLOBS");
  }
}

/** A versioned hash that is not 32 bytes with version byte 0x01 (KZG). */
export class InvalidBlobVersionedHashError extends TxValidationError {
  override name = "InvalidBlobVersionedHashError";
  constructor(index: number, hash: Uint8Array) {
    super(
      `blobVersionedHashes[${index}] ${bytesToHex(hash)} is not a 32-byte hash with version 0x01`,
      "TYPE_3_TX_INVALID_BLOB_VERSIONED_HASH",
    );
  }
}

/** More blobs in one transaction than allowed per transaction (EIP-7594, Osaka: 6). */
export class BlobCountExceededError extends TxValidationError {
  override name = "BlobCountExceededError";
  constructor(count: number, max: number) {
    super(
      `transaction has ${count} blobs, more than the ${max} allowed per transaction`,
      "TYPE_3_TX_BLOB_COUNT_EXCEEDED",
    );
  }
}

/** More blobs than a block may hold: one transaction alone, or the block's running total. */
export class BlobGasAllowanceExceededError extends TxValidationError {
  override name = "BlobGasAllowanceExceededError";
  constructor(count: number, max: number) {
    super(`${count} blobs exceed the block maximum of ${max}`, "TYPE_3_TX_MAX_BLOB_GAS_ALLOWANCE_EXCEEDED");
  }
}

/** A set-code transaction without a recipient (EIP-7702 forbids creation). */
export class SetCodeTxCreateError extends TxValidationError {
  override name = "SetCodeTxCreateError";
  constructor() {
    super("set-code transaction cannot create a contract (to is empty)", "TYPE_4_TX_CONTRACT_CREATION");
  }
}

/** A set-code transaction with an empty authorization list. */
export class EmptyAuthorizationListError extends TxValidationError {
  override name = "EmptyAuthorizationListError";
  constructor() {
    super("set-code transaction has an empty authorization list", "TYPE_4_EMPTY_AUTHORIZATION_LIST");
  }
}

// ---------------------------------------------------------------------------
// Stateful errors (thrown by the state transition, defined here to keep one catalogue)

/** Transaction nonce below the sender's account nonce. */
export class NonceTooLowError extends TxValidationError {
  override name = "NonceTooLowError";
  constructor(txNonce: bigint, accountNonce: bigint) {
    super(`nonce too low: transaction ${txNonce}, account ${accountNonce}`, "NONCE_MISMATCH_TOO_LOW");
  }
}

/** Transaction nonce above the sender's account nonce. */
export class NonceTooHighError extends TxValidationError {
  override name = "NonceTooHighError";
  constructor(txNonce: bigint, accountNonce: bigint) {
    super(`nonce too high: transaction ${txNonce}, account ${accountNonce}`, "NONCE_MISMATCH_TOO_HIGH");
  }
}

/** The sender cannot pay gasLimit * feeCap + value (+ blob gas * blob fee cap). */
export class InsufficientFundsError extends TxValidationError {
  override name = "InsufficientFundsError";
  constructor(balance: bigint, required: bigint) {
    super(`insufficient funds: balance ${balance}, required ${required}`, "INSUFFICIENT_ACCOUNT_FUNDS");
  }
}

/** maxFeePerGas (or gasPrice) below the block's base fee (EIP-1559). */
export class FeeCapTooLowError extends TxValidationError {
  override name = "FeeCapTooLowError";
  constructor(feeCap: bigint, baseFee: bigint) {
    super(`max fee per gas ${feeCap} is below the base fee ${baseFee}`, "INSUFFICIENT_MAX_FEE_PER_GAS");
  }
}

/** maxFeePerBlobGas below the block's blob base fee (EIP-4844). */
export class BlobFeeCapTooLowError extends TxValidationError {
  override name = "BlobFeeCapTooLowError";
  constructor(feeCap: bigint, blobBaseFee: bigint) {
    super(
      `max fee per blob gas ${feeCap} is below the blob base fee ${blobBaseFee}`,
      "INSUFFICIENT_MAX_FEE_PER_BLOB_GAS",
    );
  }
}

/** The sender has code that is not an EIP-7702 delegation (EIP-3607). */
export class SenderNotEOAError extends TxValidationError {
  override name = "SenderNotEOAError";
  constructor(sender: string) {
    super(`sender ${sender} is not an externally owned account (it has code)`, "SENDER_NOT_EOA");
  }
}

/** The transaction's gas limit exceeds the gas left in the block. */
export class GasLimitExceedsBlockError extends TxValidationError {
  override name = "GasLimitExceedsBlockError";
  constructor(gasLimit: bigint, available: bigint) {
    super(`gas limit ${gasLimit} exceeds the block's remaining gas ${available}`, "GAS_ALLOWANCE_EXCEEDED");
  }
}

// ---------------------------------------------------------------------------
// Rules

/** EIP-3860 maximum initcode size (2 * 24576). */
export const MAX_INITCODE_SIZE = 49152;
/** EIP-7825 per-transaction gas limit cap (Osaka). */
export const TX_GAS_LIMIT_CAP = 1n << 24n;
/** Version byte of a KZG blob versioned hash (EIP-4844). */
export const VERSIONED_HASH_VERSION_KZG = 0x01;

/** The first fork in which each transaction type is valid. */
const TYPE_ACTIVATION: readonly Fork[] = [Fork.Frontier, Fork.Berlin, Fork.London, Fork.Cancun, Fork.Prague];

/** Default maximum blobs per block: Cancun 6, Prague 9 (EIP-7691), Osaka 9 (before BPO forks). */
export function defaultMaxBlobsPerBlock(fork: Fork): number {
  if (fork >= Fork.Prague) return 9;
  if (fork >= Fork.Cancun) return 6;
  return 0;
}

/** Default maximum blobs per transaction: 6 from Osaka (EIP-7594); before, only the block limit applies. */
export function defaultMaxBlobsPerTx(fork: Fork): number | undefined {
  return fork >= Fork.Osaka ? 6 : undefined;
}

export interface ValidateOptions {
  /** The chain's id; a transaction that commits to a chain id must match it. */
  chainId: bigint;
  /** Maximum blobs in one block (default by fork: Cancun 6, Prague/Osaka 9). */
  maxBlobsPerBlock?: number;
  /** Maximum blobs in one transaction (default 6 from Osaka, none before). */
  maxBlobsPerTx?: number;
}

/**
 * The stateless checks of a (decoded) transaction in `fork`. Returns its intrinsic gas and
 * EIP-7623 floor; throws a TxValidationError subclass. The signature is not checked here
 * (see `recoverSender`).
 */
export function validateTransaction(tx: Transaction, fork: Fork, opts: ValidateOptions): IntrinsicGas {
  const activation = TYPE_ACTIVATION[tx.type];
  if (activation === undefined || fork < activation) throw new TxTypeNotSupportedError(tx.type, fork);

  // EIP-2681: a transaction may not use nonce 2^64-1 (it would overflow the sender's nonce).
  if (tx.nonce >= MAX_UINT64) throw new NonceMaxError(tx.nonce);

  if (tx.type === 0) {
    if (tx.chainId !== undefined) {
      if (fork < Fork.SpuriousDragon) throw new Eip155NotActiveError(fork);
      if (tx.chainId !== opts.chainId) throw new InvalidChainIdError(tx.chainId, opts.chainId);
    }
  } else if (tx.chainId !== opts.chainId) {
    throw new InvalidChainIdError(tx.chainId, opts.chainId);
  }

  if (tx.type === 2 || tx.type === 3 || tx.type === 4) {
    if (tx.maxPriorityFeePerGas > tx.maxFeePerGas) {
      throw new PriorityFeeGreaterThanMaxFeeError(tx.maxPriorityFeePerGas, tx.maxFeePerGas);
    }
  }
  const feeCap = txFeeCap(tx);
  if (tx.gasLimit * feeCap > MAX_UINT256) throw new GasLimitPriceProductOverflowError(tx.gasLimit, feeCap);

  if (fork >= Fork.Osaka && tx.gasLimit > TX_GAS_LIMIT_CAP) {
    throw new GasLimitCapExceededError(tx.gasLimit, TX_GAS_LIMIT_CAP);
  }

  if (tx.to === null && fork >= Fork.Shanghai && tx.data.length > MAX_INITCODE_SIZE) {
    throw new InitcodeSizeExceededError(tx.data.length, MAX_INITCODE_SIZE);
  }

  if (tx.type === 3) {
    if (tx.to === null) throw new BlobTxCreateError();
    const count = tx.blobVersionedHashes.length;
    if (count === 0) throw new BlobTxNoBlobsError();
    tx.blobVersionedHashes.forEach((h, i) => {
      if (h.length !== 32 || h[0] !== VERSIONED_HASH_VERSION_KZG)
        throw new InvalidBlobVersionedHashError(i, h);
    });
    const perTx = opts.maxBlobsPerTx ?? defaultMaxBlobsPerTx(fork);
    const perBlock = opts.maxBlobsPerBlock ?? defaultMaxBlobsPerBlock(fork);
    // Past the block's limit is reported as such even when the per-transaction limit is also exceeded.
    if (count > perBlock) throw new BlobGasAllowanceExceededError(count, perBlock);
    if (perTx !== undefined && count > perTx) throw new BlobCountExceededError(count, perTx);
  }

  if (tx.type === 4) {
    if (tx.to === null) throw new SetCodeTxCreateError();
    if (tx.authorizationList.length === 0) throw new EmptyAuthorizationListError();
  }

  const ig = intrinsicGas(tx, fork);
  if (tx.gasLimit < ig.gas) throw new IntrinsicGasTooLowError(tx.gasLimit, ig.gas);
  if (tx.gasLimit < ig.floor) throw new FloorDataGasTooLowError(tx.gasLimit, ig.floor);
  return ig;
}
