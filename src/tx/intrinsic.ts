/**
 * Intrinsic gas: what a transaction costs before its first opcode runs, and the
 * EIP-7623 calldata floor.
 *
 * gas = 21000
 *     + 32000 for contract creation (Homestead on)
 *     + calldata: 4 per zero byte, 68 per non-zero byte (16 from Istanbul, EIP-2028)
 *     + 2 per 32-byte word of initcode for creation (Shanghai on, EIP-3860)
 *     + 2400 per access-list address + 1900 per storage key (EIP-2930)
 *     + 25000 per EIP-7702 authorization (PER_EMPTY_ACCOUNT_COST)
 *
 * floor (EIP-7623, Prague on) = 21000 + 10 * tokens, tokens = zero bytes + 4 * non-zero
 * bytes of calldata. Before Prague `floor` is 0. A transaction must supply
 * max(gas, floor) and, after execution, is charged at least `floor`.
 */
import { Fork } from "../evm/forks.js";
import type { Transaction } from "./types.js";

export const TX_GAS = 21000n;
export const TX_CREATE_GAS = 32000n;
export const TX_DATA_ZERO_GAS = 4n;
export const TX_DATA_NONZERO_GAS_FRONTIER = 68n;
export const TX_DATA_NONZERO_GAS_EIP2028 = 16n;
export const INITCODE_WORD_GAS = 2n;
export const ACCESS_LIST_ADDRESS_GAS = 2400n;
export const ACCESS_LIST_STORAGE_KEY_GAS = 1900n;
export const PER_EMPTY_ACCOUNT_COST = 25000n;
export const TOTAL_COST_FLOOR_PER_TOKEN = 10n;
/** EIP-7623: a non-zero calldata byte counts as this many tokens. */
export const NONZERO_BYTE_TOKENS = 4n;

export interface IntrinsicGas {
  /** Intrinsic gas charged up front. */
  gas: bigint;
  /** EIP-7623 minimum gas used (0 before Prague). */
  floor: bigint;
}

function countZeroBytes(data: Uint8Array): number {
  let zeros = 0;
  for (let i = 0; i < data.length; i++) if (data[i] === 0) zeros++;
  return zeros;
}

export function intrinsicGas(tx: Transaction, fork: Fork): IntrinsicGas {
  const data = tx.data;
  const zeros = BigInt(countZeroBytes(data));
  const nonZeros = BigInt(data.length) - zeros;
  const isCreate = tx.to === null;

  let gas = TX_GAS;
  if (isCreate && fork >= Fork.Homestead) gas += TX_CREATE_GAS;
  const nonZeroCost = fork >= Fork.Istanbul ? TX_DATA_NONZERO_GAS_EIP2028 : TX_DATA_NONZERO_GAS_FRONTIER;
  gas += zeros * TX_DATA_ZERO_GAS + nonZeros * nonZeroCost;
  if (isCreate && fork >= Fork.Shanghai) gas += INITCODE_WORD_GAS * ((BigInt(data.length) + 31n) / 32n);
  if (tx.type !== 0) {
    for (const entry of tx.accessList) {
      gas += ACCESS_LIST_ADDRESS_GAS + ACCESS_LIST_STORAGE_KEY_GAS * BigInt(entry.storageKeys.length);
    }
  }
  if (tx.type === 4) gas += PER_EMPTY_ACCOUNT_COST * BigInt(tx.authorizationList.length);

  let floor = 0n;
  if (fork >= Fork.Prague)
    floor = TX_GAS + TOTAL_COST_FLOOR_PER_TOKEN * (zeros + NONZERO_BYTE_TOKENS * nonZeros);
  return { gas, floor };
}
