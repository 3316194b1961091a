/** What the EVM knows about the block and the transaction it executes in. */
import type { Address } from "../primitives/hex.js";
import type { JumpTable } from "./jumptable.js";
import type { Precompile } from "./precompiles/types.js";

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
  /** Precompiles in place of the fork's (eth_simulateV1 state overrides move or remove them). */
  precompiles?: ReadonlyMap<string, Precompile>;
  /** Instruction table in place of the fork's (an engine variant, see variants.ts). */
  jumpTable?: JumpTable;
}

export interface TxContext {
  origin: Address;
  gasPrice: bigint;
  blobHashes: readonly bigint[];
}
