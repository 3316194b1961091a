/**
 * Signature checks and sender recovery for transactions, and authority recovery for
 * EIP-7702 authorizations. Signing helpers (`signTransaction`, `signAuthorization`)
 * live here too, for tests and for the dev chain.
 *
 * Legacy `v`: 27/28 (recovery bit v-27, pre-EIP-155 signing hash) or chainId*2+35/36
 * (EIP-155); any other v is invalid. Typed transactions: yParity 0 or 1. r and s must lie
 * in [1, N-1]; from Homestead on (EIP-2) s must not exceed N/2.
 */
import { Fork, LATEST_FORK } from "../evm/forks.js";
import { type Address, bigintToBytes, bytesToHex, concatBytes, hexToBytes } from "../primitives/hex.js";
import { keccak256 } from "../primitives/keccak.js";
import { rlpEncode } from "../primitives/rlp.js";
import { recoverAddress, SECP256K1_HALF_N, SECP256K1_N, signHash } from "../primitives/secp256k1.js";
import { chainIdFromV, signingHash } from "./decode.js";
import type { Authorization, Transaction } from "./types.js";
import { MAX_UINT64 } from "./types.js";
import { TxValidationError } from "./validate.js";

/** The signature does not recover a sender: bad v/yParity, r or s out of range, no point. */
export class InvalidSignatureError extends TxValidationError {
  override name = "InvalidSignatureError";
  constructor(message: string) {
    super(message, "INVALID_SIGNATURE_VRS");
  }
}

/** Recovery bit and the chain id a legacy v commits to; throws for a v no signer produces. */
function legacyRecovery(v: bigint): { recovery: number; chainId: bigint | undefined } {
  if (v === 27n || v === 28n) return { recovery: Number(v - 27n), chainId: undefined };
  if (v >= 35n) return { recovery: Number((v - 35n) & 1n), chainId: chainIdFromV(v) };
  throw new InvalidSignatureError(`invalid v ${v}: expected 27, 28 or chainId*2+35/36`);
}

/**
 * The sender of a signed transaction. `fork` decides whether high-s signatures are
 * allowed (Frontier only). Does not check that the transaction's type or EIP-155 chain id
 * is valid in `fork`: that is `validateTransaction`'s job.
 */
export function recoverSender(tx: Transaction, fork: Fork = LATEST_FORK): Address {
  let recovery: number;
  if (tx.type === 0) {
    const lr = legacyRecovery(tx.v);
    if (lr.chainId !== tx.chainId) {
      throw new InvalidSignatureError(
        `v ${tx.v} does not match the transaction's chain id ${tx.chainId ?? "(none)"}`,
      );
    }
    recovery = lr.recovery;
  } else {
    if (tx.yParity !== 0 && tx.yParity !== 1)
      throw new InvalidSignatureError(`invalid yParity ${tx.yParity}`);
    recovery = tx.yParity;
  }
  const { r, s } = tx;
  if (r === 0n || r >= SECP256K1_N) throw new InvalidSignatureError("r out of range [1, N-1]");
  if (s === 0n || s >= SECP256K1_N) throw new InvalidSignatureError("s out of range [1, N-1]");
  if (fork >= Fork.Homestead && s > SECP256K1_HALF_N) {
    throw new InvalidSignatureError("s is above N/2 (EIP-2 forbids high-s signatures from Homestead)");
  }
  const hash = signingHash(tx);
  const key = `${bytesToHex(hash)}:${recovery}:${r.toString(16)}:${s.toString(16)}`;
  let sender = recovered.get(key);
  if (sender === undefined) {
    const got = recoverAddress(hash, recovery, r, s);
    if (got === null) throw new InvalidSignatureError("public key recovery failed");
    sender = got;
    if (recovered.size >= RECOVERED_MAX) recovered.delete(recovered.keys().next().value!);
    recovered.set(key, sender);
  }
  return sender;
}

/**
 * Senders recovered lately, by signing hash and signature. Recovery costs milliseconds and
 * a node recovers each transaction several times (pool admission, block building, block
 * import); the key holds everything the result depends on, so a hit is exact.
 */
const recovered = new Map<string, Address>();
const RECOVERED_MAX = 16_384;

/** The message an EIP-7702 authority signs: keccak(0x05 ++ rlp([chainId, address, nonce])). */
export function authorizationHash(auth: Pick<Authorization, "chainId" | "address" | "nonce">): Uint8Array {
  const payload = rlpEncode([
    bigintToBytes(auth.chainId),
    hexToBytes(auth.address, "authorization address"),
    bigintToBytes(auth.nonce),
  ]);
  return keccak256(concatBytes(new Uint8Array([0x05]), payload));
}

/**
 * The authority (signer) of an EIP-7702 authorization, or null when the tuple must be
 * skipped: chain id neither 0 nor `chainId` (when given), nonce at 2^64-1, yParity not 0/1,
 * r or s out of range, s above N/2, or no public key. The remaining checks (authority has
 * no code other than a delegation, nonce matches) need state and belong to the caller.
 */
export function recoverAuthority(auth: Authorization, chainId?: bigint): Address | null {
  if (chainId !== undefined && auth.chainId !== 0n && auth.chainId !== chainId) return null;
  if (auth.nonce >= MAX_UINT64) return null;
  if (auth.yParity !== 0 && auth.yParity !== 1) return null;
  if (auth.r === 0n || auth.r >= SECP256K1_N) return null;
  if (auth.s === 0n || auth.s > SECP256K1_HALF_N) return null;
  return recoverAddress(authorizationHash(auth), auth.yParity, auth.r, auth.s);
}

/**
 * Signs a transaction with a 32-byte secret key, returning a copy with its signature set.
 * A legacy transaction gets v = 27/28 when `chainId` is undefined, else chainId*2+35/36.
 */
export function signTransaction<T extends Transaction>(tx: T, key: Uint8Array): T {
  const { r, s, recovery } = signHash(signingHash(tx), key);
  if (tx.type === 0) {
    const v = tx.chainId === undefined ? 27n + BigInt(recovery) : tx.chainId * 2n + 35n + BigInt(recovery);
    return { ...tx, v, r, s };
  }
  return { ...tx, yParity: recovery, r, s };
}

/** Signs an EIP-7702 authorization tuple. */
export function signAuthorization(
  auth: Pick<Authorization, "chainId" | "address" | "nonce">,
  key: Uint8Array,
): Authorization {
  const { r, s, recovery } = signHash(authorizationHash(auth), key);
  return { chainId: auth.chainId, address: auth.address, nonce: auth.nonce, yParity: recovery, r, s };
}
