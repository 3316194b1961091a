/** What the EVM knows about the block and the transaction it executes in. */
import type { Address } from "../primitives/hex.js";

export interface BlockContext {
  coinbase: Address;
  number: bigint;
  timestamp: bigint;
  gasLimit: bigint;
  /** DIFFICULTY before Paris, PREVRANDAO (EIP-4399) from Paris. */
  difficulty: bigint;
  prevRandao: bigint;
  baseFee: bigint;
  /** EIP-4844 blob base fee. */
  blobBaseFee: bigint;
  chainId: bigint;
  /** BLOCKHASH: hash of an ancestor (already range-checked by the caller of this). */
  getBlockHash(number: bigint): bigint;
}

export interface TxContext {
  origin: Address;
  gasPrice: bigint;
  blobHashes: readonly bigint[];
}
