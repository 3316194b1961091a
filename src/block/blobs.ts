/** EIP-4844 blob gas: per-blob gas, the fork's blob schedule and the blob base fee. */
import { Fork } from "../evm/forks.js";

export const GAS_PER_BLOB = 131072n;
export const MIN_BLOB_BASE_FEE = 1n;

export interface BlobSchedule {
  target: number;
  max: number;
  updateFraction: bigint;
}

/** The default schedule of a fork (EIP-4844 Cancun, EIP-7691 Prague; Osaka keeps Prague's). */
export function blobScheduleFor(fork: Fork): BlobSchedule {
  if (fork >= Fork.Prague) return { target: 6, max: 9, updateFraction: 5007716n };
  return { target: 3, max: 6, updateFraction: 3338477n };
}

/** factor × e^(numerator / denominator), approximated by Taylor expansion in integers. */
export function fakeExponential(factor: bigint, numerator: bigint, denominator: bigint): bigint {
  let i = 1n;
  let output = 0n;
  let acc = factor * denominator;
  while (acc > 0n) {
    output += acc;
    acc = (acc * numerator) / (denominator * i);
    i++;
  }
  return output / denominator;
}

export function blobBaseFee(excessBlobGas: bigint, schedule: BlobSchedule): bigint {
  return fakeExponential(MIN_BLOB_BASE_FEE, excessBlobGas, schedule.updateFraction);
}
