/**
 * 0x0a POINT_EVALUATION (Cancun, EIP-4844): checks a KZG proof that the blob committed
 * to by `commitment` evaluates to `y` at `z`.
 *
 * Input (exactly 192 bytes): versioned_hash (32), z (32), y (32), commitment (48),
 * proof (48). The versioned hash must be 0x01 ++ sha256(commitment)[1:]. Output:
 * FIELD_ELEMENTS_PER_BLOB and BLS_MODULUS as two 32-byte words.
 *
 * Verification uses `c-kzg` (the reference C library of the KZG ceremony, with the
 * mainnet trusted setup bundled); its setup is loaded once, on first use.
 *
 * Failure texts are go-ethereum's. Its kzgPointEvaluation (core/vm/contracts.go) wraps
 * the backend's error as "error verifying kzg proof: <cause>", and its default backend
 * is go-eth-kzg (crypto/kzg4844, flag --crypto.kzg defaults to "gokzg"), which
 * deserialises y, z, the commitment and the proof in that order, then runs the pairing
 * check. c-kzg only says that something was malformed, so when it rejects the input the
 * cause is worked out here, in go-eth-kzg's order, with gnark-crypto's decoding rules.
 */
import { bls12_381 } from "@noble/curves/bls12-381.js";
import { sha256 } from "@noble/hashes/sha2.js";
import kzg from "c-kzg";
import { bytesToBigInt } from "../../primitives/hex.js";
import { failure, outOfGas, success, writeBigInt } from "./common.js";
import type { Precompile } from "./types.js";

/** go-ethereum core/vm/contracts.go errBlobVerifyInvalidInputLength. */
export const KZG_ERR_INPUT_LENGTH = "invalid input length";
/** go-ethereum core/vm/contracts.go errBlobVerifyMismatchedVersion. */
export const KZG_ERR_VERSIONED_HASH = "mismatched versioned hash";
/** go-ethereum core/vm/contracts.go errBlobVerifyKZGProof, prefixed to the cause with ": ". */
export const KZG_ERR_PREFIX = "error verifying kzg proof";

/**
 * Causes, as go-eth-kzg (v1.5.0 pinned by go-ethereum; these files are unchanged from
 * v1.4.0 to the January 2026 tree) and gnark-crypto v0.18.1 word them.
 */
export const KZG_CAUSE = {
  /** go-eth-kzg errors.go ErrNonCanonicalScalar (DeserializeScalar, for y and z). */
  nonCanonicalScalar: "scalar is not canonical when interpreted as a big integer in big-endian",
  /** go-eth-kzg internal/kzg/errors.go ErrVerifyOpeningProof: the pairing check failed. */
  verifyFailed: "can't verify opening proof",
  /** gnark-crypto ecc/bls12-381/marshal.go ErrInvalidEncoding: flag bits 001, 011 or 111. */
  invalidEncoding: "invalid point encoding",
  /**
   * Go's io.ErrShortBuffer, returned by gnark-crypto's G1Affine.SetBytes when the flag
   * bits announce an uncompressed (96-byte) point but only 48 bytes are given.
   */
  shortBuffer: "short buffer",
  /** gnark-crypto ecc/bls12-381/marshal.go ErrInvalidInfinityEncoding. */
  invalidInfinity: "invalid infinity point encoding",
  /** gnark-crypto ecc/bls12-381/fp/element.go errInvalidEncoding: x ≥ p. */
  nonCanonicalX: "invalid fp.Element encoding",
  /** gnark-crypto ecc/bls12-381/marshal.go G1Affine.setBytes: x³ + 4 has no square root. */
  noSquareRoot: "invalid compressed coordinate: square root doesn't exist",
  /** gnark-crypto ecc/bls12-381/marshal.go G1Affine.setBytes: outside the order-r subgroup. */
  notInSubgroup: "invalid point: subgroup check failed",
} as const;

export const POINT_EVALUATION_GAS = 50000;
export const POINT_EVALUATION_INPUT_LENGTH = 192;
export const FIELD_ELEMENTS_PER_BLOB = 4096n;
export const BLS_MODULUS = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001n;
const VERSIONED_HASH_VERSION_KZG = 0x01;

const RETURN_VALUE: Uint8Array = (() => {
  const out = new Uint8Array(64);
  writeBigInt(out, 0, 32, FIELD_ELEMENTS_PER_BLOB);
  writeBigInt(out, 32, 32, BLS_MODULUS);
  return out;
})();

let setupLoaded = false;

/** Loads c-kzg's bundled mainnet trusted setup once (another module may have done so). */
function ensureTrustedSetup(): void {
  if (setupLoaded) return;
  try {
    kzg.loadTrustedSetup(0);
  } catch (e) {
    if (!(e instanceof Error && /already loaded/i.test(e.message))) throw e;
  }
  setupLoaded = true;
}

const G1Point = bls12_381.G1.Point;
const Fp = bls12_381.fields.Fp;
const B1 = G1Point.CURVE().b;

/**
 * Why gnark-crypto's G1Affine.SetBytes rejects a 48-byte G1 encoding, or null when it
 * accepts it. The top three bits are flags: compressed, infinity, sign of y.
 */
function g1DecodeError(bytes: Uint8Array): string | null {
  const flags = bytes[0]! & 0xe0;
  if (flags === 0xe0 || flags === 0x60 || flags === 0x20) return KZG_CAUSE.invalidEncoding;
  if (flags === 0x00 || flags === 0x40) return KZG_CAUSE.shortBuffer;
  if (flags === 0xc0) {
    if ((bytes[0]! & 0x1f) !== 0) return KZG_CAUSE.invalidInfinity;
    for (let i = 1; i < 48; i++) if (bytes[i] !== 0) return KZG_CAUSE.invalidInfinity;
    return null;
  }
  const xBytes = bytes.slice(0, 48);
  xBytes[0] = xBytes[0]! & 0x1f;
  const x = bytesToBigInt(xBytes);
  if (x >= Fp.ORDER) return KZG_CAUSE.nonCanonicalX;
  let y: bigint;
  try {
    y = Fp.sqrt(Fp.add(Fp.mul(Fp.sqr(x), x), B1));
  } catch {
    return KZG_CAUSE.noSquareRoot;
  }
  // The sign bit picks y or −y; either is in the subgroup exactly when the other is.
  if (!new G1Point(x, y, 1n).isTorsionFree()) return KZG_CAUSE.notInSubgroup;
  return null;
}

/** The first malformed input in go-eth-kzg's order (y, z, commitment, proof), if any. */
function inputError(input: Uint8Array): string | null {
  const y = bytesToBigInt(input.subarray(64, 96));
  const z = bytesToBigInt(input.subarray(32, 64));
  if (y >= BLS_MODULUS || z >= BLS_MODULUS) return KZG_CAUSE.nonCanonicalScalar;
  return g1DecodeError(input.subarray(96, 144)) ?? g1DecodeError(input.subarray(144, 192));
}

function kzgFailure(gas: number, cause: string) {
  return failure(gas, `${KZG_ERR_PREFIX}: ${cause}`);
}

export const pointEvaluation: Precompile = (input, gas) => {
  if (gas < POINT_EVALUATION_GAS) return outOfGas(gas);
  if (input.length !== POINT_EVALUATION_INPUT_LENGTH) return failure(gas, KZG_ERR_INPUT_LENGTH);
  const commitment = input.subarray(96, 144);
  const hash = sha256(commitment);
  hash[0] = VERSIONED_HASH_VERSION_KZG;
  for (let i = 0; i < 32; i++) if (hash[i] !== input[i]) return failure(gas, KZG_ERR_VERSIONED_HASH);
  ensureTrustedSetup();
  let valid: boolean;
  try {
    valid = kzg.verifyKzgProof(
      commitment,
      input.subarray(32, 64),
      input.subarray(64, 96),
      input.subarray(144, 192),
    );
  } catch {
    // c-kzg rejected a scalar or a point; name the cause as go-ethereum does. Both
    // libraries accept the same encodings, so the fallback is not expected to be used.
    return kzgFailure(gas, inputError(input) ?? KZG_CAUSE.invalidEncoding);
  }
  if (!valid) return kzgFailure(gas, KZG_CAUSE.verifyFailed);
  return success(POINT_EVALUATION_GAS, RETURN_VALUE.slice());
};
