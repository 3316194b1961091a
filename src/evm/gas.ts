/**
 * Gas constants, by the EIP or fork that introduced them, and the memory-expansion
 * cost function. Dynamic gas functions live beside their instructions and are named by
 * EIP (e.g. `sstoreGasEip2200`).
 */

export const G = {
  ZERO: 0,
  BASE: 2,
  VERYLOW: 3,
  LOW: 5,
  MID: 8,
  HIGH: 10,
  JUMPDEST: 1,
  EXP: 10,
  EXP_BYTE_FRONTIER: 10,
  EXP_BYTE_EIP160: 50,
  KECCAK: 30,
  KECCAK_WORD: 6,
  COPY_WORD: 3,
  MEMORY: 3,
  QUAD_DIVISOR: 512,
  LOG: 375,
  LOG_TOPIC: 375,
  LOG_DATA: 8,
  CREATE: 32000,
  CODE_DEPOSIT: 200,
  INITCODE_WORD: 2, // EIP-3860
  CALL_VALUE: 9000,
  CALL_STIPEND: 2300,
  CALL_NEW_ACCOUNT: 25000,
  SELFDESTRUCT_EIP150: 5000,
  SELFDESTRUCT_REFUND: 24000,
  // Frontier / Homestead
  BALANCE_FRONTIER: 20,
  EXTCODE_FRONTIER: 20,
  SLOAD_FRONTIER: 50,
  CALL_FRONTIER: 40,
  SSTORE_SET: 20000,
  SSTORE_RESET: 5000,
  SSTORE_CLEAR_REFUND: 15000,
  // EIP-150 (Tangerine Whistle)
  BALANCE_EIP150: 400,
  EXTCODE_EIP150: 700,
  SLOAD_EIP150: 200,
  CALL_EIP150: 700,
  // EIP-1884 (Istanbul)
  BALANCE_EIP1884: 700,
  SLOAD_EIP1884: 800,
  EXTCODEHASH_EIP1884: 700,
  EXTCODEHASH_CONSTANTINOPLE: 400,
  // EIP-1283 (Constantinople) / EIP-2200 (Istanbul)
  SSTORE_NOOP_EIP1283: 200,
  SSTORE_SENTRY_EIP2200: 2300,
  // EIP-2929 (Berlin)
  COLD_SLOAD: 2100,
  COLD_ACCOUNT_ACCESS: 2600,
  WARM_STORAGE_READ: 100,
  // EIP-3529 (London)
  SSTORE_CLEARS_SCHEDULE_EIP3529: 4800,
  // EIP-1153
  TRANSIENT: 100,
} as const;

/** Largest memory size we let a frame reach; anything beyond costs more gas than exists. */
export const MAX_MEMORY = 0x1_0000_0000; // 4 GiB: memory gas for it is ~3.6e13, above any block gas

/** Cost of `words` 32-byte words of memory: 3w + w²/512. */
export function memoryCost(words: number): number {
  return G.MEMORY * words + Math.floor((words * words) / G.QUAD_DIVISOR);
}

/** Number of 32-byte words covering `bytes` bytes. */
export function toWords(bytes: number): number {
  return Math.ceil(bytes / 32);
}
