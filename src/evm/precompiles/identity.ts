/** 0x04 IDENTITY (Frontier): returns a copy of its input. */
import { outOfGas, success, words } from "./common.js";
import type { Precompile } from "./types.js";

export const IDENTITY_BASE_GAS = 15;
export const IDENTITY_WORD_GAS = 3;

export const identity: Precompile = (input, gas) => {
  const cost = IDENTITY_BASE_GAS + IDENTITY_WORD_GAS * words(input.length);
  if (gas < cost) return outOfGas(gas);
  return success(cost, input.slice());
};
