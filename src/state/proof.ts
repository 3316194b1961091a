/**
 * EIP-1186 account and storage proofs (eth_getProof) over a state held as maps.
 *
 * Sonde keeps no trie nodes, so a proof rebuilds the account trie (and the account's
 * storage trie) from the whole state and lists the nodes on the path to each key
 * (trie.ts `trieProofs`). What is returned follows go-ethereum's GetProof: an account
 * that does not exist has a zero code hash and a zero storage hash, and storage keys of an
 * account without storage get an empty proof.
 */
import { type Address, bigintToBytes, hexToBytes } from "../primitives/hex.js";
import { KECCAK_EMPTY, keccak256 } from "../primitives/keccak.js";
import { rlpEncode } from "../primitives/rlp.js";
import { type AccountData, accountRlp, type StateReader, storageRoot } from "./statedb.js";
import { EMPTY_TRIE_ROOT, secureTrieProofs } from "./trie.js";

export interface StorageProof {
  slot: bigint;
  value: bigint;
  /** RLP-encoded trie nodes, root first. */
  proof: Uint8Array[];
}

export interface AccountProof {
  address: Address;
  /** RLP-encoded account-trie nodes, root first. */
  accountProof: Uint8Array[];
  balance: bigint;
  nonce: bigint;
  /** keccak256 of the code; 32 zero bytes when the account does not exist. */
  codeHash: Uint8Array;
  /** The storage root; 32 zero bytes when the account does not exist. */
  storageHash: Uint8Array;
  storageProof: StorageProof[];
}

/** Thrown when the state cannot list its accounts (a proof needs all of them). */
export class ProofUnavailableError extends Error {
  override name = "ProofUnavailableError";
}

/** Storage slots of an account as secure-trie pairs (slot word → RLP of the value). */
function storagePairs(storage: Map<bigint, bigint>): [Uint8Array, Uint8Array][] {
  const pairs: [Uint8Array, Uint8Array][] = [];
  for (const [k, v] of storage) if (v !== 0n) pairs.push([bigintToBytes(k, 32), rlpEncode(bigintToBytes(v))]);
  return pairs;
}

/** The EIP-1186 proof of `address` and its storage `slots` in the state `reader` holds. */
export function proveAccount(reader: StateReader, address: Address, slots: bigint[]): AccountProof {
  if (reader.entries === undefined) {
    throw new ProofUnavailableError("this state cannot list its accounts, which a proof needs");
  }
  const pairs: [Uint8Array, Uint8Array][] = [];
  let account: AccountData | undefined;
  for (const [a, data] of reader.entries()) {
    pairs.push([hexToBytes(a), accountRlp(data)]);
    if (a === address) account = data;
  }
  const [accountProof] = secureTrieProofs(pairs, [hexToBytes(address)]);
  const zero = new Uint8Array(32);
  let storageProof: StorageProof[];
  if (account === undefined || account.storage.size === 0) {
    storageProof = slots.map((slot) => ({ slot, value: 0n, proof: [] }));
  } else {
    const proofs = secureTrieProofs(
      storagePairs(account.storage),
      slots.map((s) => bigintToBytes(s, 32)),
    );
    storageProof = slots.map((slot, i) => ({
      slot,
      value: account.storage.get(slot) ?? 0n,
      proof: proofs[i]!,
    }));
  }
  return {
    address,
    accountProof: accountProof!,
    balance: account?.balance ?? 0n,
    nonce: account?.nonce ?? 0n,
    codeHash:
      account === undefined ? zero : account.code.length === 0 ? KECCAK_EMPTY : keccak256(account.code),
    storageHash:
      account === undefined
        ? zero
        : account.storage.size === 0
          ? EMPTY_TRIE_ROOT
          : storageRoot(account.storage),
    storageProof,
  };
}
