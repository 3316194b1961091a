/**
 * A small deterministic dev chain for the chain store's tests and for the child process
 * of its crash test (crash-child.ts): a Shanghai proof-of-stake spec (so SELFDESTRUCT
 * still deletes accounts), a funded sender key, a contract that stores calldata word 1
 * at slot calldata word 0, and one that self-destructs with storage.
 */
import type { Block, Header } from "../chain/block.js";
import { EMPTY_UNCLE_HASH } from "../chain/block.js";
import { FORK_BLOCKS_TO_LONDON } from "../chain/config.js";
import { parseChainSpec } from "../chain/validate.js";
import { type Address, bigintToBytes, concatBytes, hexToBytes } from "../primitives/hex.js";
import { privateKeyToAddress } from "../primitives/secp256k1.js";
import { MemoryState, StateDB } from "../state/statedb.js";
import { EMPTY_TRIE_ROOT } from "../state/trie.js";
import { signTransaction } from "../tx/sender.js";
import type { FeeMarketTransaction } from "../tx/types.js";

export const KEY = hexToBytes("0x45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8");
export const SENDER: Address = privateKeyToAddress(KEY);
export const ETH = 10n ** 18n;
/** SSTORE(calldata[0..32], calldata[32..64]). */
export const STORE: Address = "0x00000000000000000000000000000000000005e7";
/** SELFDESTRUCT to the caller; holds slots 1 and 2. */
export const KILL: Address = "0x000000000000000000000000000000000000d1e0";

export const SPEC = parseChainSpec({
  chainId: 1,
  ...FORK_BLOCKS_TO_LONDON,
  terminalTotalDifficulty: 0,
  shanghaiTime: 0,
});

export function alloc(): MemoryState {
  const s = new MemoryState();
  s.accounts.set(SENDER, { nonce: 0n, balance: 1000n * ETH, code: new Uint8Array(0), storage: new Map() });
  s.accounts.set(STORE, {
    nonce: 1n,
    balance: 0n,
    code: hexToBytes("0x6020356000355500"),
    storage: new Map([[7n, 7n]]),
  });
  s.accounts.set(KILL, {
    nonce: 1n,
    balance: 5n,
    code: hexToBytes("0x33ff"),
    storage: new Map([
      [1n, 1n],
      [2n, 2n],
    ]),
  });
  return s;
}

export function genesisBlock(extra = 0): Block {
  const header: Header = {
    parentHash: new Uint8Array(32),
    uncleHash: EMPTY_UNCLE_HASH,
    coinbase: "0x0000000000000000000000000000000000000000",
    stateRoot: new StateDB(alloc()).stateRoot(),
    transactionsRoot: EMPTY_TRIE_ROOT,
    receiptsRoot: EMPTY_TRIE_ROOT,
    logsBloom: new Uint8Array(256),
    difficulty: 0n,
    number: 0n,
    gasLimit: 30_000_000n,
    gasUsed: 0n,
    timestamp: 1000n,
    extraData: new Uint8Array(extra === 0 ? [] : [extra]),
    mixHash: new Uint8Array(32),
    nonce: new Uint8Array(8),
    baseFeePerGas: 1_000_000_000n,
    withdrawalsRoot: EMPTY_TRIE_ROOT,
  };
  return { header, transactions: [], uncles: [], withdrawals: [] };
}

export function tx(
  nonce: bigint,
  to: Address,
  value: bigint,
  data = new Uint8Array(0),
): FeeMarketTransaction {
  return signTransaction(
    {
      type: 2,
      chainId: 1n,
      nonce,
      maxPriorityFeePerGas: 1_000_000_000n,
      maxFeePerGas: 20_000_000_000n,
      gasLimit: 100_000n,
      to,
      value,
      data,
      accessList: [],
      yParity: 0,
      r: 0n,
      s: 0n,
    },
    KEY,
  );
}

/** A call to STORE writing `value` at `slot`. */
export function storeTx(nonce: bigint, slot: bigint, value: bigint): FeeMarketTransaction {
  return tx(nonce, STORE, 0n, new Uint8Array(concatBytes(bigintToBytes(slot, 32), bigintToBytes(value, 32))));
}
