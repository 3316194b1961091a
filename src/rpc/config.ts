/**
 * eth_config (EIP-7910) and eth_capabilities (execution-apis #755), shaped as
 * go-ethereum's internal/ethapi answers them.
 *
 * eth_config describes the fork in force at the head's timestamp ("current"), the
 * timestamp fork after it ("next", null when that fork is not scheduled) and the last
 * scheduled one ("last", null when there is no next). Only timestamp forks (Shanghai
 * onwards, BPO forks included) have an entry: before Shanghai "current" is null. Each
 * entry has the activation time (0 when at or before genesis), the blob schedule (the
 * newest configured BPO/Prague/Cancun entry at or below the fork, as go-ethereum looks it
 * up), the chain id, the EIP-2124 fork id at that time, the active precompiles by
 * go-ethereum's names and the system contracts.
 *
 * eth_capabilities says which history this node serves: everything from genesis, except
 * state (and proofs) on a pruning datadir (gcmode full), which keeps a window of the
 * recent 128 blocks. Logs are found by scanning blocks, not through an index, so they
 * have no retention window.
 */
import {
  BEACON_ROOTS_ADDRESS,
  CONSOLIDATION_REQUEST_ADDRESS,
  HISTORY_STORAGE_ADDRESS,
  WITHDRAWAL_REQUEST_ADDRESS,
} from "../block/system.js";
import { Fork } from "../evm/forks.js";
import { precompilesFor } from "../evm/precompiles/index.js";
import { forkId } from "../node/forkid.js";
import type { DevNode } from "../node/node.js";
import { q } from "./format.js";

type Json = Record<string, unknown>;

/** go-ethereum's precompile names, by address. */
const PRECOMPILE_NAMES: Record<string, string> = {
  "0x0000000000000000000000000000000000000001": "ECREC",
  "0x0000000000000000000000000000000000000002": "SHA256",
  "0x0000000000000000000000000000000000000003": "RIPEMD160",
  "0x0000000000000000000000000000000000000004": "ID",
  "0x0000000000000000000000000000000000000005": "MODEXP",
  "0x0000000000000000000000000000000000000006": "BN254_ADD",
  "0x0000000000000000000000000000000000000007": "BN254_MUL",
  "0x0000000000000000000000000000000000000008": "BN254_PAIRING",
  "0x0000000000000000000000000000000000000009": "BLAKE2F",
  "0x000000000000000000000000000000000000000a": "KZG_POINT_EVALUATION",
  "0x000000000000000000000000000000000000000b": "BLS12_G1ADD",
  "0x000000000000000000000000000000000000000c": "BLS12_G1MSM",
  "0x000000000000000000000000000000000000000d": "BLS12_G2ADD",
  "0x000000000000000000000000000000000000000e": "BLS12_G2MSM",
  "0x000000000000000000000000000000000000000f": "BLS12_PAIRING_CHECK",
  "0x0000000000000000000000000000000000000010": "BLS12_MAP_FP_TO_G1",
  "0x0000000000000000000000000000000000000011": "BLS12_MAP_FP2_TO_G2",
  "0x0000000000000000000000000000000000000100": "P256VERIFY",
};

/** The timestamp forks in order, with the engine rules each runs under. */
const TIME_FORKS: readonly { key: string; fork: Fork }[] = [
  { key: "shanghai", fork: Fork.Shanghai },
  { key: "cancun", fork: Fork.Cancun },
  { key: "prague", fork: Fork.Prague },
  { key: "osaka", fork: Fork.Osaka },
  { key: "bpo1", fork: Fork.Osaka },
  { key: "bpo2", fork: Fork.Osaka },
  { key: "bpo3", fork: Fork.Osaka },
  { key: "bpo4", fork: Fork.Osaka },
  { key: "bpo5", fork: Fork.Osaka },
];

/** Blob schedule lookup order (go-ethereum's BlobConfig): newest first, no named-fork entries after Prague. */
const BLOB_KEYS: readonly { key: string; from: number }[] = [
  { key: "bpo5", from: 8 },
  { key: "bpo4", from: 7 },
  { key: "bpo3", from: 6 },
  { key: "bpo2", from: 5 },
  { key: "bpo1", from: 4 },
  { key: "prague", from: 2 },
  { key: "cancun", from: 1 },
];

function sortedObject(entries: [string, unknown][]): Json {
  return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Index in TIME_FORKS of the newest fork active at `time`; -1 before Shanghai. */
function latestForkIndex(times: Partial<Record<string, bigint>>, time: bigint): number {
  for (let i = TIME_FORKS.length - 1; i >= 0; i--) {
    const at = times[TIME_FORKS[i]!.key];
    if (at !== undefined && time >= at) return i;
  }
  return -1;
}

function forkConfig(node: DevNode, index: number): Json | null {
  const entry = TIME_FORKS[index];
  if (entry === undefined) return null;
  const cfg = node.genesis.spec.config;
  const times = cfg.times as Partial<Record<string, bigint>>;
  const t = times[entry.key];
  if (t === undefined) return null;
  const genesis = node.chain.genesis;
  const genesisTime = genesis.block.header.timestamp;
  let blobSchedule: Json | null = null;
  for (const b of BLOB_KEYS) {
    const s = cfg.blobSchedule.get(b.key);
    if (b.from <= index && s !== undefined) {
      blobSchedule = { target: s.target, max: s.max, baseFeeUpdateFraction: Number(s.updateFraction) };
      break;
    }
  }
  const precompiles: [string, unknown][] = [];
  for (const address of precompilesFor(entry.fork).keys()) {
    precompiles.push([PRECOMPILE_NAMES[address] ?? address, address]);
  }
  const system: [string, unknown][] = [];
  if (entry.fork >= Fork.Cancun) system.push(["BEACON_ROOTS_ADDRESS", BEACON_ROOTS_ADDRESS]);
  if (entry.fork >= Fork.Prague) {
    system.push(
      ["CONSOLIDATION_REQUEST_PREDEPLOY_ADDRESS", CONSOLIDATION_REQUEST_ADDRESS],
      [
        "DEPOSIT_CONTRACT_ADDRESS",
        node.genesis.spec.depositContractAddress ?? "0x0000000000000000000000000000000000000000",
      ],
      ["HISTORY_STORAGE_ADDRESS", HISTORY_STORAGE_ADDRESS],
      ["WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS", WITHDRAWAL_REQUEST_ADDRESS],
    );
  }
  const id = forkId(node.genesis.rawConfig, genesis.hash, genesisTime, (1n << 64n) - 1n, t);
  return {
    activationTime: genesisTime >= t ? 0 : Number(t),
    blobSchedule,
    chainId: q(cfg.chainId),
    forkId: id.hash,
    precompiles: sortedObject(precompiles),
    systemContracts: sortedObject(system),
  };
}

/** The eth_config answer at the node's head. */
export function ethConfig(node: DevNode): Json {
  const times = node.genesis.spec.config.times as Partial<Record<string, bigint>>;
  const now = latestForkIndex(times, node.head.block.header.timestamp);
  const last = latestForkIndex(times, (1n << 64n) - 1n);
  const next = forkConfig(node, now + 1);
  return {
    current: forkConfig(node, now),
    next,
    last: next === null ? null : forkConfig(node, last),
  };
}

/** The eth_capabilities answer. */
export function ethCapabilities(node: DevNode): Json {
  const head = node.head;
  const all = { disabled: false, oldestBlock: "0x0" };
  const window = node.stateHistory;
  let state: Json = all;
  if (window > 0n) {
    const n = head.block.header.number;
    state = {
      disabled: false,
      oldestBlock: q(n + 1n > window ? n + 1n - window : 0n),
      deleteStrategy: { type: "window", retentionBlocks: q(window) },
    };
  }
  return {
    head: { number: q(head.block.header.number), hash: head.hash },
    state,
    tx: all,
    logs: all,
    receipts: all,
    blocks: all,
    stateproofs: state,
  };
}
