/** Stateless validation per fork: every TxValidationError class, thrown at least once. */
import { describe, expect, it } from "vitest";
import { SondeError } from "../errors.js";
import { Fork } from "../evm/forks.js";
import type {
  AccessListTransaction,
  BlobTransaction,
  FeeMarketTransaction,
  LegacyTransaction,
  SetCodeTransaction,
  Transaction,
} from "./types.js";
import {
  BlobCountExceededError,
  BlobFeeCapTooLowError,
  BlobGasAllowanceExceededError,
  BlobTxCreateError,
  BlobTxNoBlobsError,
  Eip155NotActiveError,
  EmptyAuthorizationListError,
  FeeCapTooLowError,
  FloorDataGasTooLowError,
  GasLimitCapExceededError,
  GasLimitExceedsBlockError,
  GasLimitPriceProductOverflowError,
  InitcodeSizeExceededError,
  InsufficientFundsError,
  IntrinsicGasTooLowError,
  InvalidBlobVersionedHashError,
  InvalidChainIdError,
  NonceMaxError,
  NonceTooHighError,
  NonceTooLowError,
  PriorityFeeGreaterThanMaxFeeError,
  SenderNotEOAError,
  SetCodeTxCreateError,
  TxTypeNotSupportedError,
  TxValidationError,
  type ValidateOptions,
  validateTransaction,
} from "./validate.js";

const TO = "0x5000000000000000000000000000000000000005";
const OPTS: ValidateOptions = { chainId: 1n };

const base = {
  nonce: 0n,
  gasLimit: 100_000n,
  to: TO as string | null,
  value: 0n,
  data: new Uint8Array(0),
  r: 1n,
  s: 1n,
};

const legacy = (over: Partial<LegacyTransaction> = {}): LegacyTransaction => ({
  ...base,
  type: 0,
  chainId: undefined,
  gasPrice: 1n,
  v: 27n,
  ...over,
});
const accessList = (over: Partial<AccessListTransaction> = {}): AccessListTransaction => ({
  ...base,
  type: 1,
  chainId: 1n,
  gasPrice: 1n,
  accessList: [],
  yParity: 0,
  ...over,
});
const dynamic = (over: Partial<FeeMarketTransaction> = {}): FeeMarketTransaction => ({
  ...base,
  type: 2,
  chainId: 1n,
  maxPriorityFeePerGas: 1n,
  maxFeePerGas: 2n,
  accessList: [],
  yParity: 0,
  ...over,
});
function hash(version: number): Uint8Array {
  const h = new Uint8Array(32);
  h[0] = version;
  return h;
}
const blob = (over: Partial<BlobTransaction> = {}): BlobTransaction => ({
  ...base,
  type: 3,
  chainId: 1n,
  maxPriorityFeePerGas: 1n,
  maxFeePerGas: 2n,
  accessList: [],
  maxFeePerBlobGas: 1n,
  blobVersionedHashes: [hash(1)],
  yParity: 0,
  ...over,
});
const setCode = (over: Partial<SetCodeTransaction> = {}): SetCodeTransaction => ({
  ...base,
  type: 4,
  chainId: 1n,
  maxPriorityFeePerGas: 1n,
  maxFeePerGas: 2n,
  accessList: [],
  authorizationList: [{ chainId: 1n, address: TO, nonce: 0n, yParity: 0, r: 1n, s: 1n }],
  yParity: 0,
  ...over,
});

function rejects(
  tx: Transaction,
  fork: Fork,
  cls: new (...args: never[]) => TxValidationError,
  code: string,
  opts: ValidateOptions = OPTS,
): void {
  let caught: unknown;
  try {
    validateTransaction(tx, fork, opts);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(cls);
  expect(caught).toBeInstanceOf(TxValidationError);
  expect(caught).toBeInstanceOf(SondeError);
  expect((caught as TxValidationError).code).toBe(code);
}

describe("validateTransaction accepts", () => {
  it("each type from its fork and returns the intrinsic gas", () => {
    expect(validateTransaction(legacy(), Fork.Frontier, OPTS)).toEqual({ gas: 21000n, floor: 0n });
    expect(validateTransaction(accessList(), Fork.Berlin, OPTS).gas).toBe(21000n);
    expect(validateTransaction(dynamic(), Fork.London, OPTS).gas).toBe(21000n);
    expect(validateTransaction(blob(), Fork.Cancun, OPTS).gas).toBe(21000n);
    expect(validateTransaction(setCode(), Fork.Prague, OPTS)).toEqual({ gas: 46000n, floor: 21000n });
  });
  it("EIP-155 legacy from Spurious Dragon; pre-155 legacy in every fork", () => {
    expect(() =>
      validateTransaction(legacy({ chainId: 1n, v: 37n }), Fork.SpuriousDragon, OPTS),
    ).not.toThrow();
    expect(() => validateTransaction(legacy(), Fork.Osaka, OPTS)).not.toThrow();
  });
  it("nonce 2^64-2 and gas limit exactly the intrinsic gas", () => {
    expect(() =>
      validateTransaction(legacy({ nonce: (1n << 64n) - 2n, gasLimit: 21000n }), Fork.Cancun, OPTS),
    ).not.toThrow();
  });
  it("gas price * gas limit of exactly 2^256-1", () => {
    // 2^256-1 is the product of the Fermat numbers F0..F7, so F4 = 65537 (>= 21000 gas) divides it.
    const gasLimit = 65537n;
    const gasPrice = ((1n << 256n) - 1n) / gasLimit;
    expect(gasLimit * gasPrice).toBe((1n << 256n) - 1n);
    expect(() => validateTransaction(legacy({ gasLimit, gasPrice }), Fork.Frontier, OPTS)).not.toThrow();
  });
  it("blob limits: 6 in Cancun, 9 in Prague, configurable", () => {
    const six = blob({ blobVersionedHashes: new Array(6).fill(hash(1)) });
    const nine = blob({ blobVersionedHashes: new Array(9).fill(hash(1)) });
    expect(() => validateTransaction(six, Fork.Cancun, OPTS)).not.toThrow();
    expect(() => validateTransaction(nine, Fork.Prague, OPTS)).not.toThrow();
    expect(() => validateTransaction(nine, Fork.Cancun, { chainId: 1n, maxBlobsPerBlock: 9 })).not.toThrow();
  });
});

describe("validateTransaction rejects", () => {
  it("types before their fork", () => {
    rejects(accessList(), Fork.Istanbul, TxTypeNotSupportedError, "TYPE_NOT_SUPPORTED");
    rejects(dynamic(), Fork.Berlin, TxTypeNotSupportedError, "TYPE_NOT_SUPPORTED");
    rejects(blob(), Fork.Shanghai, TxTypeNotSupportedError, "TYPE_NOT_SUPPORTED");
    rejects(setCode(), Fork.Cancun, TxTypeNotSupportedError, "TYPE_NOT_SUPPORTED");
  });
  it("a foreign chain id", () => {
    rejects(dynamic({ chainId: 5n }), Fork.London, InvalidChainIdError, "INVALID_CHAINID");
    rejects(legacy({ chainId: 0n, v: 35n }), Fork.London, InvalidChainIdError, "INVALID_CHAINID");
  });
  it("EIP-155 before Spurious Dragon", () => {
    rejects(
      legacy({ chainId: 1n, v: 37n }),
      Fork.TangerineWhistle,
      Eip155NotActiveError,
      "EIP155_NOT_ACTIVE",
    );
  });
  it("nonce 2^64-1 (EIP-2681)", () => {
    rejects(legacy({ nonce: (1n << 64n) - 1n }), Fork.Frontier, NonceMaxError, "NONCE_IS_MAX");
  });
  it("priority fee above max fee", () => {
    rejects(
      dynamic({ maxPriorityFeePerGas: 3n }),
      Fork.London,
      PriorityFeeGreaterThanMaxFeeError,
      "PRIORITY_GREATER_THAN_MAX_FEE_PER_GAS",
    );
  });
  it("gas limit * fee cap over 256 bits", () => {
    const gasPrice = ((1n << 256n) - 1n) / 65537n + 1n;
    rejects(
      legacy({ gasLimit: 65537n, gasPrice }),
      Fork.Frontier,
      GasLimitPriceProductOverflowError,
      "GASLIMIT_PRICE_PRODUCT_OVERFLOW",
    );
    rejects(
      dynamic({ maxFeePerGas: 1n << 255n, maxPriorityFeePerGas: 0n }),
      Fork.London,
      GasLimitPriceProductOverflowError,
      "GASLIMIT_PRICE_PRODUCT_OVERFLOW",
    );
  });
  it("gas limit above 2^24 from Osaka (EIP-7825)", () => {
    const tx = dynamic({ gasLimit: (1n << 24n) + 1n });
    expect(() => validateTransaction(tx, Fork.Prague, OPTS)).not.toThrow();
    expect(() => validateTransaction(dynamic({ gasLimit: 1n << 24n }), Fork.Osaka, OPTS)).not.toThrow();
    rejects(tx, Fork.Osaka, GasLimitCapExceededError, "GAS_LIMIT_EXCEEDS_MAXIMUM");
  });
  it("initcode over 49152 bytes from Shanghai (EIP-3860)", () => {
    const tx = legacy({ to: null, data: new Uint8Array(49153), gasLimit: 10_000_000n });
    expect(() => validateTransaction(tx, Fork.Paris, OPTS)).not.toThrow();
    expect(() =>
      validateTransaction({ ...tx, data: new Uint8Array(49152) }, Fork.Shanghai, OPTS),
    ).not.toThrow();
    rejects(tx, Fork.Shanghai, InitcodeSizeExceededError, "INITCODE_SIZE_EXCEEDED");
  });
  it("gas limit below the intrinsic gas", () => {
    rejects(legacy({ gasLimit: 20999n }), Fork.Frontier, IntrinsicGasTooLowError, "INTRINSIC_GAS_TOO_LOW");
    rejects(
      legacy({ to: null, gasLimit: 52999n }),
      Fork.Homestead,
      IntrinsicGasTooLowError,
      "INTRINSIC_GAS_TOO_LOW",
    );
  });
  it("gas limit below the EIP-7623 floor from Prague", () => {
    // 100 non-zero bytes: intrinsic 21000 + 1600 = 22600, floor 21000 + 4000 = 25000.
    const tx = dynamic({ data: new Uint8Array(100).fill(1), gasLimit: 24000n });
    expect(() => validateTransaction(tx, Fork.Cancun, OPTS)).not.toThrow();
    rejects(tx, Fork.Prague, FloorDataGasTooLowError, "INTRINSIC_GAS_BELOW_FLOOR_GAS_COST");
  });
  it("blob transactions that create, carry no blobs or bad hashes", () => {
    rejects(blob({ to: null }), Fork.Cancun, BlobTxCreateError, "TYPE_3_TX_CONTRACT_CREATION");
    rejects(blob({ blobVersionedHashes: [] }), Fork.Cancun, BlobTxNoBlobsError, "TYPE_3_TX_ZERO_BLOBS");
    rejects(
      blob({ blobVersionedHashes: [hash(1), hash(2)] }),
      Fork.Cancun,
      InvalidBlobVersionedHashError,
      "TYPE_3_TX_INVALID_BLOB_VERSIONED_HASH",
    );
  });
  it("too many blobs for the block, and per transaction from Osaka (EIP-7594)", () => {
    const seven = blob({ blobVersionedHashes: new Array(7).fill(hash(1)) });
    const ten = blob({ blobVersionedHashes: new Array(10).fill(hash(1)) });
    rejects(seven, Fork.Cancun, BlobGasAllowanceExceededError, "TYPE_3_TX_MAX_BLOB_GAS_ALLOWANCE_EXCEEDED");
    expect(() => validateTransaction(seven, Fork.Prague, OPTS)).not.toThrow();
    rejects(ten, Fork.Prague, BlobGasAllowanceExceededError, "TYPE_3_TX_MAX_BLOB_GAS_ALLOWANCE_EXCEEDED");
    rejects(seven, Fork.Osaka, BlobCountExceededError, "TYPE_3_TX_BLOB_COUNT_EXCEEDED");
    rejects(ten, Fork.Osaka, BlobGasAllowanceExceededError, "TYPE_3_TX_MAX_BLOB_GAS_ALLOWANCE_EXCEEDED");
    rejects(
      blob({ blobVersionedHashes: [hash(1), hash(1)] }),
      Fork.Prague,
      BlobCountExceededError,
      "TYPE_3_TX_BLOB_COUNT_EXCEEDED",
      {
        chainId: 1n,
        maxBlobsPerTx: 1,
      },
    );
  });
  it("set-code transactions that create or carry no authorizations", () => {
    rejects(setCode({ to: null }), Fork.Prague, SetCodeTxCreateError, "TYPE_4_TX_CONTRACT_CREATION");
    rejects(
      setCode({ authorizationList: [] }),
      Fork.Prague,
      EmptyAuthorizationListError,
      "TYPE_4_EMPTY_AUTHORIZATION_LIST",
    );
  });
});

describe("stateful error classes", () => {
  it("carry their codes and messages", () => {
    const cases: [TxValidationError, string, RegExp][] = [
      [new NonceTooLowError(1n, 2n), "NONCE_MISMATCH_TOO_LOW", /transaction 1, account 2/],
      [new NonceTooHighError(3n, 2n), "NONCE_MISMATCH_TOO_HIGH", /too high/],
      [new NonceMaxError((1n << 64n) - 1n), "NONCE_IS_MAX", /maximum/],
      [new InsufficientFundsError(5n, 6n), "INSUFFICIENT_ACCOUNT_FUNDS", /balance 5, required 6/],
      [new FeeCapTooLowError(1n, 7n), "INSUFFICIENT_MAX_FEE_PER_GAS", /base fee 7/],
      [new BlobFeeCapTooLowError(1n, 9n), "INSUFFICIENT_MAX_FEE_PER_BLOB_GAS", /blob base fee 9/],
      [new SenderNotEOAError(TO), "SENDER_NOT_EOA", /has code/],
      [new GasLimitExceedsBlockError(10n, 9n), "GAS_ALLOWANCE_EXCEEDED", /remaining gas 9/],
    ];
    for (const [err, code, message] of cases) {
      expect(err).toBeInstanceOf(TxValidationError);
      expect(err).toBeInstanceOf(SondeError);
      expect(err.code).toBe(code);
      expect(err.message).toMatch(message);
      expect(err.name).toBe(err.constructor.name);
    }
  });
});
