/**
 * 0x100 P256VERIFY (Osaka, EIP-7951): ECDSA verification over secp256r1.
 *
 * Input (exactly 160 bytes): hash, r, s, qx, qy, 32-byte big-endian words. Output: the
 * word 1 when the signature is valid, otherwise empty output. An invalid signature or
 * input is not a failure: the gas is charged and the call succeeds with empty output.
 *
 * The curve arithmetic is @noble/curves' `p256` (audited, pure JavaScript), used on the
 * hash as given (no prehash) and without a low-s rule; ranges are checked here first.
 */
import { p256 } from "@noble/curves/nist.js";
import { bytesToBigInt } from "../../primitives/hex.js";
import { EMPTY_OUTPUT, outOfGas, success } from "./common.js";
import type { Precompile } from "./types.js";

export const P256VERIFY_GAS = 6900;
export const P256VERIFY_INPUT_LENGTH = 160;

const { Fp, Fn } = p256.Point;
const B = p256.Point.CURVE().b;
const A = p256.Point.CURVE().a;

/** True when (x, y) is a finite point of the curve with both coordinates below p. */
function isCurvePoint(x: bigint, y: bigint): boolean {
  if (x >= Fp.ORDER || y >= Fp.ORDER) return false;
  if (x === 0n && y === 0n) return false; // the encoding of infinity is not a valid key
  const rhs = Fp.add(Fp.add(Fp.mul(Fp.sqr(x), x), Fp.mul(A, x)), B);
  return Fp.sqr(y) === rhs;
}

function verify(input: Uint8Array): boolean {
  const r = bytesToBigInt(input.subarray(32, 64));
  const s = bytesToBigInt(input.subarray(64, 96));
  if (r === 0n || r >= Fn.ORDER || s === 0n || s >= Fn.ORDER) return false;
  const x = bytesToBigInt(input.subarray(96, 128));
  const y = bytesToBigInt(input.subarray(128, 160));
  if (!isCurvePoint(x, y)) return false;
  const publicKey = new Uint8Array(65);
  publicKey[0] = 0x04;
  publicKey.set(input.subarray(96, 160), 1);
  try {
    return p256.verify(input.subarray(32, 96), input.subarray(0, 32), publicKey, {
      prehash: false,
      lowS: false,
      format: "compact",
    });
  } catch {
    return false;
  }
}

export const p256Verify: Precompile = (input, gas) => {
  if (gas < P256VERIFY_GAS) return outOfGas(gas);
  if (input.length !== P256VERIFY_INPUT_LENGTH || !verify(input))
    return success(P256VERIFY_GAS, EMPTY_OUTPUT);
  const out = new Uint8Array(32);
  out[31] = 1;
  return success(P256VERIFY_GAS, out);
};
