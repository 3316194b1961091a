/**
 * EIP-2537 BLS12-381 precompiles (Prague), in their final form: 0x0b G1ADD, 0x0c G1MSM,
 * 0x0d G2ADD, 0x0e G2MSM, 0x0f PAIRING_CHECK, 0x10 MAP_FP_TO_G1, 0x11 MAP_FP2_TO_G2.
 *
 * Curve arithmetic, the pairing and the SSWU + isogeny map come from @noble/curves
 * (`bls12_381`): audited, pure JavaScript, already a dependency. Encoding and validation
 * follow the EIP and are done here:
 * - a field element is 64 bytes, big-endian, whose top 16 bytes must be zero and whose
 *   value must be below p; an Fp2 element is c0 then c1;
 * - a point is x then y; all zeros is the point at infinity; a point off the curve is
 *   a failure; MSM and pairing inputs must also be in the order-r subgroup (ADD does
 *   not check the subgroup);
 * - MSM scalars are 32-byte big-endian integers, not required to be below r;
 * - the map precompiles apply map_to_curve (SSWU onto the isogenous curve, then the
 *   isogeny) and clear the cofactor, without any hashing.
 *
 * Failures carry go-ethereum's texts (core/vm/contracts.go, which decodes with
 * gnark-crypto), checked in its order: the input length, then per point each coordinate
 * (top bytes, then below p), then the curve equation; MSM checks each point's subgroup
 * right after decoding it, PAIRING_CHECK decodes both points of a pair before checking
 * the G1 then the G2 subgroup.
 */
import { pippenger } from "@noble/curves/abstract/curve.js";
import type { WeierstrassPoint } from "@noble/curves/abstract/weierstrass.js";
import { bls12_381 } from "@noble/curves/bls12-381.js";
import { bytesToBigInt } from "../../primitives/hex.js";
import { allZero, failure, outOfGas, success, writeBigInt } from "./common.js";
import type { Precompile } from "./types.js";

type Fp2 = { c0: bigint; c1: bigint };
type G1 = WeierstrassPoint<bigint>;
type G2 = WeierstrassPoint<Fp2>;

const { Fp, Fp2, Fp12 } = bls12_381.fields;
const G1Point = bls12_381.G1.Point;
const G2Point = bls12_381.G2.Point;
const P = Fp.ORDER;
const R = G1Point.Fn.ORDER;
const B1 = G1Point.CURVE().b;
const B2 = G2Point.CURVE().b;

export const BLS_G1ADD_GAS = 375;
export const BLS_G2ADD_GAS = 600;
export const BLS_G1MUL_GAS = 12000;
export const BLS_G2MUL_GAS = 22500;
export const BLS_PAIRING_BASE_GAS = 37700;
export const BLS_PAIRING_PER_PAIR_GAS = 32600;
export const BLS_MAP_G1_GAS = 5500;
export const BLS_MAP_G2_GAS = 23800;

/** EIP-2537 MSM discounts (per mille) for k = 1..128 pairs; beyond 128 the last applies. */
// biome-ignore format: a table
const G1_MSM_DISCOUNT: readonly number[] = [
  1000, 949, 848, 797, 764, 750, 738, 728, 719, 712, 705, 698, 692, 687, 682, 677, 673, 669, 665, 661, 658, 654, 651,
  648, 645, 642, 640, 637, 635, 632, 630, 627, 625, 623, 621, 619, 617, 615, 613, 611, 609, 608, 606, 604, 603, 601,
  599, 598, 596, 595, 593, 592, 591, 589, 588, 586, 585, 584, 582, 581, 580, 579, 577, 576, 575, 574, 573, 572, 570,
  569, 568, 567, 566, 565, 564, 563, 562, 561, 560, 559, 558, 557, 556, 555, 554, 553, 552, 551, 550, 549, 548, 547,
  547, 546, 545, 544, 543, 542, 541, 540, 540, 539, 538, 537, 536, 536, 535, 534, 533, 532, 532, 531, 530, 529, 528,
  528, 527, 526, 525, 525, 524, 523, 522, 522, 521, 520, 520, 519,
];
// biome-ignore format: a table
const G2_MSM_DISCOUNT: readonly number[] = [
  1000, 1000, 923, 884, 855, 832, 812, 796, 782, 770, 759, 749, 740, 732, 724, 717, 711, 704, 699, 693, 688, 683, 679,
  674, 670, 666, 663, 659, 655, 652, 649, 646, 643, 640, 637, 634, 632, 629, 627, 624, 622, 620, 618, 615, 613, 611,
  609, 607, 606, 604, 602, 600, 598, 597, 595, 593, 592, 590, 589, 587, 586, 584, 583, 582, 580, 579, 578, 576, 575,
  574, 573, 571, 570, 569, 568, 567, 566, 565, 563, 562, 561, 560, 559, 558, 557, 556, 555, 554, 553, 552, 552, 551,
  550, 549, 548, 547, 546, 545, 545, 544, 543, 542, 541, 541, 540, 539, 538, 537, 537, 536, 535, 535, 534, 533, 532,
  532, 531, 530, 530, 529, 528, 528, 527, 526, 526, 525, 524, 524,
];

const G1_LEN = 128;
const G2_LEN = 256;
const SCALAR_LEN = 32;

class InvalidInput extends Error {}

/** go-ethereum core/vm/contracts.go errBLS12381InvalidInputLength. */
export const BLS_ERR_INPUT_LENGTH = "invalid input length";
/** go-ethereum core/vm/contracts.go errBLS12381InvalidFieldElementTopBytes. */
export const BLS_ERR_TOP_BYTES = "invalid field element top bytes";
/**
 * A field element ≥ p. go-ethereum's decodeBLS12381FieldElement returns the error of
 * gnark-crypto's fp.BigEndian.Element; in gnark-crypto v0.18.1 (pinned by go-ethereum's
 * go.mod) ecc/bls12-381/fp/element.go has
 * `var errInvalidEncoding = errors.New("invalid fp.Element encoding")`.
 */
export const BLS_ERR_NON_CANONICAL = "invalid fp.Element encoding";
/** go-ethereum core/vm/contracts.go decodePointG1 / decodePointG2 (either group). */
export const BLS_ERR_NOT_ON_CURVE = "invalid point: not on curve";
/** go-ethereum core/vm/contracts.go errBLS12381G1PointSubgroup. */
export const BLS_ERR_G1_SUBGROUP = "g1 point is not on correct subgroup";
/** go-ethereum core/vm/contracts.go errBLS12381G2PointSubgroup. */
export const BLS_ERR_G2_SUBGROUP = "g2 point is not on correct subgroup";

/** A base-field element from 64 bytes at `offset`; throws InvalidInput. */
function decodeFp(bytes: Uint8Array, offset: number): bigint {
  if (!allZero(bytes, offset, offset + 16)) throw new InvalidInput(BLS_ERR_TOP_BYTES);
  const value = bytesToBigInt(bytes.subarray(offset + 16, offset + 64));
  if (value >= P) throw new InvalidInput(BLS_ERR_NON_CANONICAL);
  return value;
}

function decodeFp2(bytes: Uint8Array, offset: number): Fp2 {
  return Fp2.create({ c0: decodeFp(bytes, offset), c1: decodeFp(bytes, offset + 64) });
}

/** A G1 point (128 bytes at `offset`), on the curve and, if `subgroup`, in G1. */
function decodeG1(bytes: Uint8Array, offset: number, subgroup: boolean): G1 {
  const x = decodeFp(bytes, offset);
  const y = decodeFp(bytes, offset + 64);
  if (x === 0n && y === 0n) return G1Point.ZERO;
  if (Fp.sqr(y) !== Fp.add(Fp.mul(Fp.sqr(x), x), B1)) throw new InvalidInput(BLS_ERR_NOT_ON_CURVE);
  const point = new G1Point(x, y, 1n);
  if (subgroup) requireInG1(point);
  return point;
}

/** A G2 point (256 bytes at `offset`), on the curve and, if `subgroup`, in G2. */
function decodeG2(bytes: Uint8Array, offset: number, subgroup: boolean): G2 {
  const x = decodeFp2(bytes, offset);
  const y = decodeFp2(bytes, offset + 128);
  if (Fp2.is0(x) && Fp2.is0(y)) return G2Point.ZERO;
  if (!Fp2.eql(Fp2.sqr(y), Fp2.add(Fp2.mul(Fp2.sqr(x), x), B2))) throw new InvalidInput(BLS_ERR_NOT_ON_CURVE);
  const point = new G2Point(x, y, Fp2.ONE);
  if (subgroup) requireInG2(point);
  return point;
}

function requireInG1(point: G1): void {
  if (!point.isTorsionFree()) throw new InvalidInput(BLS_ERR_G1_SUBGROUP);
}

function requireInG2(point: G2): void {
  if (!point.isTorsionFree()) throw new InvalidInput(BLS_ERR_G2_SUBGROUP);
}

function encodeG1(point: G1): Uint8Array {
  const out = new Uint8Array(G1_LEN);
  if (point.is0()) return out;
  const { x, y } = point.toAffine();
  writeBigInt(out, 16, 48, x);
  writeBigInt(out, 80, 48, y);
  return out;
}

function encodeG2(point: G2): Uint8Array {
  const out = new Uint8Array(G2_LEN);
  if (point.is0()) return out;
  const { x, y } = point.toAffine();
  writeBigInt(out, 16, 48, x.c0);
  writeBigInt(out, 80, 48, x.c1);
  writeBigInt(out, 144, 48, y.c0);
  writeBigInt(out, 208, 48, y.c1);
  return out;
}

/**
 * A precompile whose cost depends on the input only; `run` throws InvalidInput (or any
 * library error) to fail.
 */
function precompile(
  costOf: (input: Uint8Array) => number,
  run: (input: Uint8Array) => Uint8Array,
): Precompile {
  return (input, gas) => {
    const cost = costOf(input);
    if (gas < cost) return outOfGas(gas);
    try {
      return success(cost, run(input));
    } catch (e) {
      return failure(gas, e instanceof InvalidInput ? e.message : "invalid input");
    }
  };
}

function requireLength(input: Uint8Array, length: number): void {
  if (input.length !== length) throw new InvalidInput(BLS_ERR_INPUT_LENGTH);
}

function msmCost(input: Uint8Array, pairLen: number, mulGas: number, discounts: readonly number[]): number {
  const k = Math.floor(input.length / pairLen);
  if (k === 0) return 0;
  const discount = discounts[Math.min(k, discounts.length) - 1]!;
  return Math.floor((k * mulGas * discount) / 1000);
}

/** Σ scalar_i · point_i over one group, skipping terms that contribute nothing. */
function msm<T>(
  Point: typeof G1Point | typeof G2Point,
  points: WeierstrassPoint<T>[],
  scalars: bigint[],
): WeierstrassPoint<T> {
  const ps: WeierstrassPoint<T>[] = [];
  const ss: bigint[] = [];
  for (let i = 0; i < points.length; i++) {
    if (scalars[i] !== 0n && !points[i]!.is0()) {
      ps.push(points[i]!);
      ss.push(scalars[i]!);
    }
  }
  if (ps.length === 0) return Point.ZERO as unknown as WeierstrassPoint<T>;
  if (ps.length === 1) return ps[0]!.multiplyUnsafe(ss[0]!);
  // biome-ignore lint/suspicious/noExplicitAny: pippenger is generic over the point constructor
  return pippenger(Point as any, ps as any, ss) as WeierstrassPoint<T>;
}

export const blsG1Add: Precompile = precompile(
  () => BLS_G1ADD_GAS,
  (input) => {
    requireLength(input, 2 * G1_LEN);
    return encodeG1(decodeG1(input, 0, false).add(decodeG1(input, G1_LEN, false)));
  },
);

export const blsG2Add: Precompile = precompile(
  () => BLS_G2ADD_GAS,
  (input) => {
    requireLength(input, 2 * G2_LEN);
    return encodeG2(decodeG2(input, 0, false).add(decodeG2(input, G2_LEN, false)));
  },
);

const G1_PAIR = G1_LEN + SCALAR_LEN;
const G2_PAIR = G2_LEN + SCALAR_LEN;

export const blsG1Msm: Precompile = precompile(
  (input) => msmCost(input, G1_PAIR, BLS_G1MUL_GAS, G1_MSM_DISCOUNT),
  (input) => {
    if (input.length === 0 || input.length % G1_PAIR !== 0) throw new InvalidInput(BLS_ERR_INPUT_LENGTH);
    const points: G1[] = [];
    const scalars: bigint[] = [];
    for (let off = 0; off < input.length; off += G1_PAIR) {
      points.push(decodeG1(input, off, true));
      scalars.push(bytesToBigInt(input.subarray(off + G1_LEN, off + G1_PAIR)) % R);
    }
    return encodeG1(msm(G1Point, points, scalars));
  },
);

export const blsG2Msm: Precompile = precompile(
  (input) => msmCost(input, G2_PAIR, BLS_G2MUL_GAS, G2_MSM_DISCOUNT),
  (input) => {
    if (input.length === 0 || input.length % G2_PAIR !== 0) throw new InvalidInput(BLS_ERR_INPUT_LENGTH);
    const points: G2[] = [];
    const scalars: bigint[] = [];
    for (let off = 0; off < input.length; off += G2_PAIR) {
      points.push(decodeG2(input, off, true));
      scalars.push(bytesToBigInt(input.subarray(off + G2_LEN, off + G2_PAIR)) % R);
    }
    return encodeG2(msm(G2Point, points, scalars));
  },
);

const PAIR_LEN = G1_LEN + G2_LEN;

export const blsPairingCheck: Precompile = precompile(
  (input) => BLS_PAIRING_BASE_GAS + BLS_PAIRING_PER_PAIR_GAS * Math.floor(input.length / PAIR_LEN),
  (input) => {
    if (input.length === 0 || input.length % PAIR_LEN !== 0) throw new InvalidInput(BLS_ERR_INPUT_LENGTH);
    const pairs: { g1: G1; g2: G2 }[] = [];
    for (let off = 0; off < input.length; off += PAIR_LEN) {
      // Both points are decoded (curve checks) before either subgroup check.
      const g1 = decodeG1(input, off, false);
      const g2 = decodeG2(input, off + G1_LEN, false);
      requireInG1(g1);
      requireInG2(g2);
      // A pair with a point at infinity contributes the identity to the product.
      if (!g1.is0() && !g2.is0()) pairs.push({ g1, g2 });
    }
    const out = new Uint8Array(32);
    if (pairs.length === 0 || Fp12.eql(bls12_381.pairingBatch(pairs), Fp12.ONE)) out[31] = 1;
    return out;
  },
);

// noble's hasher `mapToCurve` is map_to_curve followed by clear_cofactor, with no
// hashing; G1 takes one field element (a bigint), G2 the pair [c0, c1]. Its declared
// type (an affine point from a scalar array) does not match what it returns (a point).
const mapToG1 = bls12_381.G1.mapToCurve as unknown as (u: bigint) => G1;
const mapToG2 = bls12_381.G2.mapToCurve as unknown as (u: [bigint, bigint]) => G2;

export const blsMapFpToG1: Precompile = precompile(
  () => BLS_MAP_G1_GAS,
  (input) => {
    requireLength(input, 64);
    return encodeG1(mapToG1(decodeFp(input, 0)));
  },
);

export const blsMapFp2ToG2: Precompile = precompile(
  () => BLS_MAP_G2_GAS,
  (input) => {
    requireLength(input, 128);
    const u = decodeFp2(input, 0);
    return encodeG2(mapToG2([u.c0, u.c1]));
  },
);
