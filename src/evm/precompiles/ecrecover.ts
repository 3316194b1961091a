/**
 * 0x01 ECRECOVER (Frontier): the address that signed a 32-byte hash. A signature that
 * does not recover is a success with empty output, not a failure.
 */
import { bytesToBigInt, hexToBytes } from "../../primitives/hex.js";
import { recoverAddress } from "../../primitives/secp256k1.js";
import { allZero, EMPTY_OUTPUT, outOfGas, readPadded, success } from "./common.js";
import type { Precompile } from "./types.js";

export const ECRECOVER_GAS = 3000;

export const ecrecover: Precompile = (input, gas) => {
  if (gas < ECRECOVER_GAS) return outOfGas(gas);
  const data = readPadded(input, 0, 128);
  // v is a whole 32-byte word and must be exactly 27 or 28.
  const v = data[63]!;
  if (!allZero(data, 32, 63) || (v !== 27 && v !== 28)) return success(ECRECOVER_GAS, EMPTY_OUTPUT);
  const r = bytesToBigInt(data.subarray(64, 96));
  const s = bytesToBigInt(data.subarray(96, 128));
  const address = recoverAddress(data.subarray(0, 32), v - 27, r, s);
  if (address === null) return success(ECRECOVER_GAS, EMPTY_OUTPUT);
  const out = new Uint8Array(32);
  out.set(hexToBytes(address), 12);
  return success(ECRECOVER_GAS, out);
};
