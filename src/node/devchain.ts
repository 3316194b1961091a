/**
 * The development chain `sonde node` starts without --genesis: chain id 1337, every fork
 * up to Osaka active from genesis on a merged (proof-of-stake) chain, and ten prefunded
 * accounts derived from a fixed BIP-39 mnemonic along m/44'/60'/0'/0/i — the same
 * mnemonic and path as Hardhat's and Anvil's defaults, so their well-known keys work here.
 *
 * Like go-ethereum's --dev genesis, the precompiles get 1 wei each and the system
 * contracts the forks call into (EIP-4788 beacon roots, EIP-2935 history, EIP-7002
 * withdrawal and EIP-7251 consolidation queues) are pre-deployed with nonce 1. Their
 * runtime code is the bytecode fixed by those EIPs.
 *
 * The keys are public: never use them on a real network.
 */
import { createHmac, pbkdf2Sync } from "node:crypto";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import {
  BEACON_ROOTS_ADDRESS,
  CONSOLIDATION_REQUEST_ADDRESS,
  HISTORY_STORAGE_ADDRESS,
  WITHDRAWAL_REQUEST_ADDRESS,
} from "../block/system.js";
import { FORK_BLOCKS_TO_LONDON } from "../chain/config.js";
import { type Address, bigintToBytes, bigintToHex, bytesToBigInt, bytesToHex } from "../primitives/hex.js";
import { privateKeyToAddress, SECP256K1_N } from "../primitives/secp256k1.js";

export const DEV_CHAIN_ID = 1337n;
export const DEV_MNEMONIC = "test test test test test test test test test test test junk";
export const DEV_ACCOUNT_COUNT = 10;
/** 10 000 ether each. */
export const DEV_BALANCE = 10_000n * 10n ** 18n;
export const DEV_GAS_LIMIT = 30_000_000n;

export interface DevAccount {
  address: Address;
  /** 32-byte secret key. */
  key: Uint8Array;
}

// ---------------------------------------------------------------------------
// BIP-39 seed and BIP-32 derivation (secp256k1)

/** BIP-39: the 64-byte seed of a mnemonic (PBKDF2-HMAC-SHA512, 2048 rounds). */
export function mnemonicToSeed(mnemonic: string, passphrase = ""): Uint8Array {
  const m = mnemonic.normalize("NFKD");
  const salt = `mnemonic${passphrase}`.normalize("NFKD");
  return new Uint8Array(pbkdf2Sync(m, salt, 2048, 64, "sha512"));
}

interface ExtendedKey {
  key: Uint8Array;
  chainCode: Uint8Array;
}

function hmacSha512(key: Uint8Array, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac("sha512", key).update(data).digest());
}

const HARDENED = 0x80000000;

function childKey(parent: ExtendedKey, index: number): ExtendedKey {
  const data = new Uint8Array(37);
  if (index >= HARDENED) {
    data.set(parent.key, 1);
  } else {
    data.set(secp256k1.getPublicKey(parent.key, true), 0);
  }
  new DataView(data.buffer).setUint32(33, index >>> 0);
  const I = hmacSha512(parent.chainCode, data);
  const tweak = bytesToBigInt(I.subarray(0, 32));
  const k = (tweak + bytesToBigInt(parent.key)) % SECP256K1_N;
  if (tweak >= SECP256K1_N || k === 0n) throw new Error(`BIP-32: invalid child key at index ${index}`);
  return { key: bigintToBytes(k, 32), chainCode: I.subarray(32) };
}

/** BIP-32 derivation of a secret key from a seed along a path such as m/44'/60'/0'/0/0. */
export function deriveKey(seed: Uint8Array, path: string): Uint8Array {
  const parts = path.split("/");
  if (parts[0] !== "m") throw new Error(`BIP-32 path must start with m/: ${path}`);
  const I = hmacSha512(new TextEncoder().encode("Bitcoin seed"), seed);
  let node: ExtendedKey = { key: I.subarray(0, 32), chainCode: I.subarray(32) };
  for (const p of parts.slice(1)) {
    const hardened = p.endsWith("'");
    const n = Number(hardened ? p.slice(0, -1) : p);
    if (!Number.isInteger(n) || n < 0 || n >= HARDENED) throw new Error(`BIP-32 path: bad index "${p}"`);
    node = childKey(node, hardened ? n + HARDENED : n);
  }
  return node.key;
}

let cachedAccounts: DevAccount[] | undefined;

/** The ten development accounts (keys derived once and cached). */
export function devAccounts(): DevAccount[] {
  if (cachedAccounts === undefined) {
    const seed = mnemonicToSeed(DEV_MNEMONIC);
    cachedAccounts = [];
    for (let i = 0; i < DEV_ACCOUNT_COUNT; i++) {
      const key = deriveKey(seed, `m/44'/60'/0'/0/${i}`);
      cachedAccounts.push({ address: privateKeyToAddress(key), key });
    }
  }
  return cachedAccounts;
}

// ---------------------------------------------------------------------------
// System contracts (runtime code as specified by their EIPs)

export const BEACON_ROOTS_CODE =
  "0x3373fffffffffffffffffffffffffffffffffffffffe14604d57602036146024575f5ffd5b5f35801560495762001fff810690815414603c575f5ffd5b62001fff01545f5260205ff35b5f5ffd5b62001fff42064281555f359062001fff015500";
export const HISTORY_STORAGE_CODE =
  "0x3373fffffffffffffffffffffffffffffffffffffffe14604657602036036042575f35600143038111604257611fff81430311604257611fff9006545f5260205ff35b5f5ffd5b5f35611fff60014303065500";
export const WITHDRAWAL_QUEUE_CODE =
  "0x3373fffffffffffffffffffffffffffffffffffffffe1460cb5760115f54807fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff146101f457600182026001905f5b5f82111560685781019083028483029004916001019190604d565b909390049250505036603814608857366101f457346101f4575f5260205ff35b34106101f457600154600101600155600354806003026004013381556001015f35815560010160203590553360601b5f5260385f601437604c5fa0600101600355005b6003546002548082038060101160df575060105b5f5b8181146101835782810160030260040181604c02815460601b8152601401816001015481526020019060020154807fffffffffffffffffffffffffffffffff00000000000000000000000000000000168252906010019060401c908160381c81600701538160301c81600601538160281c81600501538160201c81600401538160181c81600301538160101c81600201538160081c81600101535360010160e1565b910180921461019557906002556101a0565b90505f6002555f6003555b5f54807fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff14156101cd57505f5b6001546002828201116101e25750505f6101e8565b01600290035b5f555f600155604c025ff35b5f5ffd";
export const CONSOLIDATION_QUEUE_CODE =
  "0x3373fffffffffffffffffffffffffffffffffffffffe1460d35760115f54807fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff1461019a57600182026001905f5b5f82111560685781019083028483029004916001019190604d565b9093900492505050366060146088573661019a573461019a575f5260205ff35b341061019a57600154600101600155600354806004026004013381556001015f358155600101602035815560010160403590553360601b5f5260605f60143760745fa0600101600355005b6003546002548082038060021160e7575060025b5f5b8181146101295782810160040260040181607402815460601b815260140181600101548152602001816002015481526020019060030154905260010160e9565b910180921461013b5790600255610146565b90505f6002555f6003555b5f54807fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff141561017357505f5b6001546001828201116101885750505f61018e565b01600190035b5f555f6001556074025ff35b5f5ffd";

/** Precompile addresses through Osaka (0x01-0x11 and P256VERIFY at 0x0100). */
const PRECOMPILES: string[] = [
  ...Array.from({ length: 0x11 }, (_, i) => `0x${(i + 1).toString(16).padStart(40, "0")}`),
  `0x${"100".padStart(40, "0")}`,
];

export interface DevGenesisOptions {
  gasLimit?: bigint;
  chainId?: bigint;
  /** Genesis timestamp (default: now). */
  timestamp?: bigint;
}

/** The development chain's genesis.json document (go-ethereum's format). */
export function devGenesisJson(opts: DevGenesisOptions = {}): Record<string, unknown> {
  const alloc: Record<string, unknown> = {};
  for (const p of PRECOMPILES) alloc[p] = { balance: "0x1" };
  for (const [address, code] of [
    [BEACON_ROOTS_ADDRESS, BEACON_ROOTS_CODE],
    [HISTORY_STORAGE_ADDRESS, HISTORY_STORAGE_CODE],
    [WITHDRAWAL_REQUEST_ADDRESS, WITHDRAWAL_QUEUE_CODE],
    [CONSOLIDATION_REQUEST_ADDRESS, CONSOLIDATION_QUEUE_CODE],
  ] as const) {
    alloc[address] = { balance: "0x0", nonce: "0x1", code };
  }
  for (const a of devAccounts()) alloc[a.address] = { balance: bigintToHex(DEV_BALANCE) };
  const config: Record<string, unknown> = {
    chainId: Number(opts.chainId ?? DEV_CHAIN_ID),
    ...FORK_BLOCKS_TO_LONDON,
    muirGlacierBlock: 0,
    arrowGlacierBlock: 0,
    grayGlacierBlock: 0,
    mergeNetsplitBlock: 0,
    terminalTotalDifficulty: 0,
    shanghaiTime: 0,
    cancunTime: 0,
    pragueTime: 0,
    osakaTime: 0,
    blobSchedule: {
      cancun: { target: 3, max: 6, baseFeeUpdateFraction: 3338477 },
      prague: { target: 6, max: 9, baseFeeUpdateFraction: 5007716 },
      osaka: { target: 6, max: 9, baseFeeUpdateFraction: 5007716 },
    },
  };
  const timestamp = opts.timestamp ?? BigInt(Math.floor(Date.now() / 1000));
  return {
    config,
    nonce: "0x0",
    timestamp: bigintToHex(timestamp),
    extraData: "0x",
    gasLimit: bigintToHex(opts.gasLimit ?? DEV_GAS_LIMIT),
    difficulty: "0x0",
    mixHash: bytesToHex(new Uint8Array(32)),
    coinbase: "0x0000000000000000000000000000000000000000",
    baseFeePerGas: "0x3b9aca00",
    alloc,
  };
}
