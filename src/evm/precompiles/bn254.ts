/**
 * 0x06 ECADD, 0x07 ECMUL, 0x08 ECPAIRING on the bn254 (alt_bn128) curve (Byzantium,
 * EIP-196/197; repriced by EIP-1108 in Istanbul).
 *
 * The curve arithmetic and the pairing come from @noble/curves (`bn254`): audited, pure
 * JavaScript, and it follows the Ethereum variant of the curve (EIP-196/197 twist and
 * tower). Decoding and validation are done here, to the EIPs' rules:
 * - G1 points are (x, y), 32-byte big-endian words; (0, 0) is the point at infinity;
 *   a coordinate ≥ p or a point off the curve is a failure.
 * - G2 points are (x, y) over Fp2, each element written imaginary part first; all
 *   zeros is infinity; off the twist or outside the order-r subgroup is a failure.
 * - ECADD and ECMUL right-pad short inputs with zeros and ignore extra bytes; the
 *   pairing input must be a multiple of 192 bytes, and the empty input yields 1.
 *
 * Failure texts are go-ethereum's (they surface in call tracers' `error` fields): its
 * default bn256 backend on amd64/arm64 is crypto/bn256/gnark, whose G1/G2 Unmarshal
 * reports its own curve and subgroup errors and passes gnark-crypto's error through for
 * a coordinate that is not below the field modulus.
 */
import type { WeierstrassPoint } from "@noble/curves/abstract/weierstrass.js";
import { bn254 } from "@noble/curves/bn254.js";
import { bytesToBigInt } from "../../primitives/hex.js";
import { failure, outOfGas, readPadded, success, writeBigInt } from "./common.js";
import type { Precompile } from "./types.js";

type Fp2 = { c0: bigint; c1: bigint };
type G1 = WeierstrassPoint<bigint>;
type G2 = WeierstrassPoint<Fp2>;

const { Fp, Fp2, Fp12 } = bn254.fields;
const G1Point = bn254.G1.Point;
const G2Point = bn254.G2.Point;
const P = Fp.ORDER;
const N = G1Point.Fn.ORDER;
const B1 = G1Point.CURVE().b;
const B2 = G2Point.CURVE().b;

/** Gas schedule of one fork family: Byzantium (EIP-196/197) or Istanbul (EIP-1108). */
export interface Bn254Gas {
  add: number;
  mul: number;
  pairingBase: number;
  pairingPerPair: number;
}

export const BN254_GAS_BYZANTIUM: Bn254Gas = {
  add: 500,
  mul: 40000,
  pairingBase: 100000,
  pairingPerPair: 80000,
};
export const BN254_GAS_ISTANBUL: Bn254Gas = {
  add: 150,
  mul: 6000,
  pairingBase: 45000,
  pairingPerPair: 34000,
};

class InvalidPoint extends Error {}

/**
 * A coordinate ≥ p. go-ethereum's gnark wrapper returns the error of gnark-crypto's
 * fp.Element.SetBytesCanonical; in gnark-crypto v0.18.1 (the version go-ethereum's go.mod
 * pins) ecc/bn254/fp/element.go has
 * `var errInvalidEncoding = errors.New("invalid fp.Element encoding")`, returned by
 * bigEndian.Element when the value is not smaller than the modulus.
 */
export const BN254_ERR_NON_CANONICAL = "invalid fp.Element encoding";
/** go-ethereum crypto/bn256/gnark/g1.go and g2.go, Unmarshal: the point is off the curve. */
export const BN254_ERR_NOT_ON_CURVE = "point is not on curve";
/** go-ethereum crypto/bn256/gnark/g2.go, Unmarshal: a twist point outside the order-r subgroup. */
export const BN254_ERR_NOT_IN_SUBGROUP = "point is not in correct subgroup";
/** go-ethereum core/vm/contracts.go errBadPairingInput: pairing input not a multiple of 192 bytes. */
export const BN254_ERR_PAIRING_SIZE = "bad elliptic curve pairing size";

function word(bytes: Uint8Array, offset: number): bigint {
  return bytesToBigInt(bytes.subarray(offset, offset + 32));
}

/** A G1 point from 64 bytes at `offset`; throws InvalidPoint. */
function decodeG1(bytes: Uint8Array, offset: number): G1 {
  const x = word(bytes, offset);
  const y = word(bytes, offset + 32);
  if (x >= P || y >= P) throw new InvalidPoint(BN254_ERR_NON_CANONICAL);
  if (x === 0n && y === 0n) return G1Point.ZERO;
  // y² = x³ + 3; the group has prime order, so every curve point is in it.
  if (Fp.sqr(y) !== Fp.add(Fp.mul(Fp.sqr(x), x), B1)) throw new InvalidPoint(BN254_ERR_NOT_ON_CURVE);
  return new G1Point(x, y, 1n);
}

/** A G2 point from 128 bytes at `offset`; throws InvalidPoint. */
function decodeG2(bytes: Uint8Array, offset: number): G2 {
  const xIm = word(bytes, offset);
  const xRe = word(bytes, offset + 32);
  const yIm = word(bytes, offset + 64);
  const yRe = word(bytes, offset + 96);
  if (xIm >= P || xRe >= P || yIm >= P || yRe >= P) throw new InvalidPoint(BN254_ERR_NON_CANONICAL);
  if (xIm === 0n && xRe === 0n && yIm === 0n && yRe === 0n) return G2Point.ZERO;
  const x = Fp2.create({ c0: xRe, c1: xIm });
  const y = Fp2.create({ c0: yRe, c1: yIm });
  if (!Fp2.eql(Fp2.sqr(y), Fp2.add(Fp2.mul(Fp2.sqr(x), x), B2)))
    throw new InvalidPoint(BN254_ERR_NOT_ON_CURVE);
  const point = new G2Point(x, y, Fp2.ONE);
  if (!point.isTorsionFree()) throw new InvalidPoint(BN254_ERR_NOT_IN_SUBGROUP);
  return point;
}

function encodeG1(point: G1): Uint8Array {
  const out = new Uint8Array(64);
  if (point.is0()) return out;
  const { x, y } = point.toAffine();
  writeBigInt(out, 0, 32, x);
  writeBigInt(out, 32, 32, y);
  return out;
}

/** Runs `body`, turning an InvalidPoint into a failure that consumes all gas. */
function guarded(gas: number, cost: number, body: () => Uint8Array): ReturnType<Precompile> {
  try {
    return success(cost, body());
  } catch (e) {
    return failure(gas, e instanceof InvalidPoint ? e.message : "invalid input");
  }
}

export function makeBn254Add(cost: number): Precompile {
  return (input, gas) => {
    if (gas < cost) return outOfGas(gas);
    return guarded(gas, cost, () => {
      const data = readPadded(input, 0, 128);
      return encodeG1(decodeG1(data, 0).add(decodeG1(data, 64)));
    });
  };
}

export function makeBn254Mul(cost: number): Precompile {
  return (input, gas) => {
    if (gas < cost) return outOfGas(gas);
    return guarded(gas, cost, () => {
      const data = readPadded(input, 0, 96);
      const point = decodeG1(data, 0);
      // G1 has prime order N, so the scalar can be reduced mod N.
      return encodeG1(point.multiplyUnsafe(word(data, 64) % N));
    });
  };
}

export function makeBn254Pairing(base: number, perPair: number): Precompile {
  return (input, gas) => {
    const cost = base + perPair * Math.floor(input.length / 192);
    if (gas < cost) return outOfGas(gas);
    if (input.length % 192 !== 0) return failure(gas, BN254_ERR_PAIRING_SIZE);
    return guarded(gas, cost, () => {
      const pairs: { g1: G1; g2: G2 }[] = [];
      for (let off = 0; off < input.length; off += 192) {
        const g1 = decodeG1(input, off);
        const g2 = decodeG2(input, off + 64);
        // A pair with a point at infinity contributes the identity to the product.
        if (!g1.is0() && !g2.is0()) pairs.push({ g1, g2 });
      }
      const out = new Uint8Array(32);
      if (pairs.length === 0 || Fp12.eql(bn254.pairingBatch(pairs), Fp12.ONE)) out[31] = 1;
      return out;
    });
  };
}

export const bn254AddByzantium: Precompile = makeBn254Add(BN254_GAS_BYZANTIUM.add);
export const bn254MulByzantium: Precompile = makeBn254Mul(BN254_GAS_BYZANTIUM.mul);
export const bn254PairingByzantium: Precompile = makeBn254Pairing(
  BN254_GAS_BYZANTIUM.pairingBase,
  BN254_GAS_BYZANTIUM.pairingPerPair,
);
export const bn254AddIstanbul: Precompile = makeBn254Add(BN254_GAS_ISTANBUL.add);
export const bn254MulIstanbul: Precompile = makeBn254Mul(BN254_GAS_ISTANBUL.mul);
export const bn254PairingIstanbul: Precompile = makeBn254Pairing(
  BN254_GAS_ISTANBUL.pairingBase,
  BN254_GAS_ISTANBUL.pairingPerPair,
);
