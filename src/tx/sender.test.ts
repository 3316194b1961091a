/** Sender recovery (v rules, EIP-2 high-s, ranges) and EIP-7702 authority recovery. */
import { describe, expect, it } from "vitest";
import { SondeError } from "../errors.js";
import { Fork } from "../evm/forks.js";
import { hexToBytes } from "../primitives/hex.js";
import { privateKeyToAddress, SECP256K1_HALF_N, SECP256K1_N } from "../primitives/secp256k1.js";
import {
  InvalidSignatureError,
  recoverAuthority,
  recoverSender,
  signAuthorization,
  signTransaction,
} from "./sender.js";
import type { FeeMarketTransaction, LegacyTransaction } from "./types.js";
import { TxValidationError } from "./validate.js";

const KEY = hexToBytes("0x8a1f9a8f95be41cd7ccb6168179afb4504aefe388d1e14474d32c45c72ce7b7a");
const ADDRESS = privateKeyToAddress(KEY);
const DELEGATE = "0x3000000000000000000000000000000000000003";

function legacy(chainId: bigint | undefined): LegacyTransaction {
  return {
    type: 0,
    chainId,
    nonce: 0n,
    gasPrice: 1n,
    gasLimit: 21000n,
    to: DELEGATE,
    value: 0n,
    data: new Uint8Array(0),
    v: 0n,
    r: 0n,
    s: 0n,
  };
}

function dynamic(): FeeMarketTransaction {
  return {
    type: 2,
    chainId: 1n,
    nonce: 0n,
    maxPriorityFeePerGas: 1n,
    maxFeePerGas: 1n,
    gasLimit: 21000n,
    to: DELEGATE,
    value: 0n,
    data: new Uint8Array(0),
    accessList: [],
    yParity: 0,
    r: 0n,
    s: 0n,
  };
}

function expectInvalid(fn: () => unknown, pattern: RegExp): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidSignatureError);
    expect(err).toBeInstanceOf(TxValidationError);
    expect(err).toBeInstanceOf(SondeError);
    expect((err as InvalidSignatureError).code).toBe("INVALID_SIGNATURE_VRS");
    expect((err as Error).message).toMatch(pattern);
    return;
  }
  throw new Error("expected InvalidSignatureError");
}

describe("recoverSender", () => {
  it("recovers legacy, EIP-155 and typed senders", () => {
    expect(recoverSender(signTransaction(legacy(undefined), KEY), Fork.Frontier)).toBe(ADDRESS);
    expect(recoverSender(signTransaction(legacy(1n), KEY))).toBe(ADDRESS);
    expect(recoverSender(signTransaction(legacy(1337n), KEY))).toBe(ADDRESS);
    expect(recoverSender(signTransaction(dynamic(), KEY))).toBe(ADDRESS);
  });

  it("answers repeated recoveries from its cache, and only for the same signed content", () => {
    const signed = signTransaction(dynamic(), KEY);
    expect(recoverSender(signed)).toBe(ADDRESS);
    expect(recoverSender({ ...signed })).toBe(ADDRESS);
    // Same signature over other content: another (random) signer, not the cached one.
    const other = recoverSender({ ...signed, nonce: signed.nonce + 1n });
    expect(other).not.toBe(ADDRESS);
    expect(recoverSender({ ...signed, nonce: signed.nonce + 1n })).toBe(other);
  });

  it("accepts high s in Frontier only (EIP-2)", () => {
    const signed = signTransaction(legacy(undefined), KEY);
    // (r, N - s) with the other recovery bit is the same signature in high-s form.
    const high: LegacyTransaction = { ...signed, s: SECP256K1_N - signed.s, v: signed.v === 27n ? 28n : 27n };
    expect(high.s > SECP256K1_HALF_N).toBe(true);
    expect(recoverSender(high, Fork.Frontier)).toBe(ADDRESS);
    expectInvalid(() => recoverSender(high, Fork.Homestead), /above N\/2/);
  });

  it("rejects v values no signer produces", () => {
    const signed = signTransaction(legacy(undefined), KEY);
    for (const v of [0n, 1n, 26n, 29n, 34n])
      expectInvalid(() => recoverSender({ ...signed, v }), /invalid v/);
  });

  it("rejects a v inconsistent with the chain id", () => {
    const signed = signTransaction(legacy(1n), KEY);
    expectInvalid(() => recoverSender({ ...signed, chainId: 2n }), /does not match/);
  });

  it("rejects yParity other than 0/1 and r, s out of range", () => {
    const signed = signTransaction(dynamic(), KEY);
    expectInvalid(() => recoverSender({ ...signed, yParity: 2 }), /yParity/);
    expectInvalid(() => recoverSender({ ...signed, r: 0n }), /r out of range/);
    expectInvalid(() => recoverSender({ ...signed, r: SECP256K1_N }), /r out of range/);
    expectInvalid(() => recoverSender({ ...signed, s: 0n }), /s out of range/);
    expectInvalid(() => recoverSender({ ...signed, s: SECP256K1_N }, Fork.Frontier), /s out of range/);
  });

  it("reports a failed recovery", () => {
    // r = 5 is not the x coordinate of a curve point (5^3 + 7 = 132 is not a square mod p).
    expectInvalid(() => recoverSender({ ...signTransaction(dynamic(), KEY), r: 5n }), /recovery failed/);
  });

  it("a different signed message recovers a different sender", () => {
    const signed = signTransaction(dynamic(), KEY);
    expect(recoverSender({ ...signed, nonce: 1n })).not.toBe(ADDRESS);
  });
});

describe("recoverAuthority", () => {
  const auth = signAuthorization({ chainId: 1n, address: DELEGATE, nonce: 4n }, KEY);

  it("recovers the signer", () => {
    expect(recoverAuthority(auth)).toBe(ADDRESS);
    expect(recoverAuthority(auth, 1n)).toBe(ADDRESS);
  });
  it("accepts chain id 0 on any chain", () => {
    const any = signAuthorization({ chainId: 0n, address: DELEGATE, nonce: 0n }, KEY);
    expect(recoverAuthority(any, 12345n)).toBe(ADDRESS);
  });
  it("returns null for a foreign chain id", () => {
    expect(recoverAuthority(auth, 2n)).toBeNull();
  });
  it("returns null for nonce 2^64-1, bad yParity, r/s out of range, high s", () => {
    const maxNonce = signAuthorization({ chainId: 1n, address: DELEGATE, nonce: (1n << 64n) - 1n }, KEY);
    expect(recoverAuthority(maxNonce)).toBeNull();
    expect(recoverAuthority({ ...auth, yParity: 2 })).toBeNull();
    expect(recoverAuthority({ ...auth, r: 0n })).toBeNull();
    expect(recoverAuthority({ ...auth, s: 0n })).toBeNull();
    expect(recoverAuthority({ ...auth, s: SECP256K1_N - auth.s, yParity: 1 - auth.yParity })).toBeNull();
  });
  it("returns null when recovery fails", () => {
    expect(recoverAuthority({ ...auth, r: 5n })).toBeNull();
  });
});
