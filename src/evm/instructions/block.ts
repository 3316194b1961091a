/** Block information: BLOCKHASH, COINBASE, TIMESTAMP, NUMBER, DIFFICULTY/PREVRANDAO, GASLIMIT, BASEFEE, BLOBHASH, BLOBBASEFEE. */
import { Fork } from "../forks.js";
import type { Frame } from "../frame.js";

export function opBlockhash(f: Frame): void {
  const s = f.stack;
  const n = s[f.sp - 1]!;
  const current = f.evm.block.number;
  s[f.sp - 1] = n < current && n + 256n >= current ? f.evm.block.getBlockHash(n) : 0n;
}

export function opCoinbase(f: Frame): void {
  f.stack[f.sp++] = BigInt(f.evm.block.coinbase);
}

export function opTimestamp(f: Frame): void {
  f.stack[f.sp++] = f.evm.block.timestamp;
}

export function opNumber(f: Frame): void {
  f.stack[f.sp++] = f.evm.block.number;
}

export function opDifficulty(f: Frame): void {
  const b = f.evm.block;
  f.stack[f.sp++] = f.evm.fork >= Fork.Paris ? b.prevRandao : b.difficulty;
}

export function opGaslimit(f: Frame): void {
  f.stack[f.sp++] = f.evm.block.gasLimit;
}

export function opBasefee(f: Frame): void {
  f.stack[f.sp++] = f.evm.block.baseFee;
}

export function opBlobhash(f: Frame): void {
  const s = f.stack;
  const i = s[f.sp - 1]!;
  const hashes = f.evm.tx.blobHashes;
  s[f.sp - 1] = i < BigInt(hashes.length) ? hashes[Number(i)]! : 0n;
}

export function opBlobbasefee(f: Frame): void {
  f.stack[f.sp++] = f.evm.block.blobBaseFee;
}
