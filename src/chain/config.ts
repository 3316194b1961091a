/**
 * Chain configuration in go-ethereum's genesis.json `config` format: which fork rules
 * apply at a given block number and timestamp, and the blob schedule in force.
 *
 * Forks up to London activate by block number, later ones by timestamp. As in
 * go-ethereum, the timestamp forks (Shanghai onwards) only apply once the chain has
 * merged; Paris itself has no block of its own here and is in force when `merged` is
 * true (go-ethereum decides it from the presence of PREVRANDAO in the block context).
 * The DAO fork (`daoForkBlock`, `daoForkSupport`) changes no rules of its own; its
 * header rule and state change are in dao.ts.
 */
import { type BlobSchedule, blobBaseFee, blobScheduleFor, GAS_PER_BLOB } from "../block/blobs.js";
import { Fork } from "../evm/forks.js";
import { parseBigInt } from "../primitives/hex.js";

/**
 * go-ethereum's block-numbered forks from Homestead to London, every one at genesis: the
 * `config` start of chains that begin on London or later (testnets, development chains).
 */
export const FORK_BLOCKS_TO_LONDON = {
  homesteadBlock: 0,
  eip150Block: 0,
  eip155Block: 0,
  eip158Block: 0,
  byzantiumBlock: 0,
  constantinopleBlock: 0,
  petersburgBlock: 0,
  istanbulBlock: 0,
  berlinBlock: 0,
  londonBlock: 0,
} as const;

/** The config fields Sonde reads; unknown fields are kept but ignored. */
export interface ChainConfig {
  chainId: bigint;
  /** Activation block per block-numbered fork (undefined: never). */
  blocks: Partial<Record<BlockFork, bigint>>;
  /** Activation timestamp per timestamp fork. */
  times: Partial<Record<TimeFork, bigint>>;
  /** `terminalTotalDifficulty` (0 means merged from genesis). */
  terminalTotalDifficulty: bigint | undefined;
  /** Blob schedules by their config key (`cancun`, `prague`, `osaka`, `bpo1`, …). */
  blobSchedule: Map<string, BlobSchedule>;
  /** `daoForkBlock`: the DAO hard fork's block (undefined: the chain takes no side). */
  daoForkBlock: bigint | undefined;
  /** `daoForkSupport`: whether the chain supports (true) or opposes (false) the DAO fork. */
  daoForkSupport: boolean;
}

type BlockFork =
  | "homestead"
  | "eip150"
  | "eip158"
  | "byzantium"
  | "constantinople"
  | "petersburg"
  | "istanbul"
  | "berlin"
  | "london";
type TimeFork = "shanghai" | "cancun" | "prague" | "osaka" | "bpo1" | "bpo2" | "bpo3" | "bpo4" | "bpo5";

const BLOCK_FORKS: readonly [BlockFork, Fork][] = [
  ["homestead", Fork.Homestead],
  ["eip150", Fork.TangerineWhistle],
  ["eip158", Fork.SpuriousDragon],
  ["byzantium", Fork.Byzantium],
  ["constantinople", Fork.Constantinople],
  ["petersburg", Fork.Petersburg],
  ["istanbul", Fork.Istanbul],
  ["berlin", Fork.Berlin],
  ["london", Fork.London],
];
const TIME_FORKS: readonly [TimeFork, Fork][] = [
  ["shanghai", Fork.Shanghai],
  ["cancun", Fork.Cancun],
  ["prague", Fork.Prague],
  ["osaka", Fork.Osaka],
];
/** Blob-parameter-only forks (EIP-7892), newest last. */
const BPO_FORKS: readonly TimeFork[] = ["bpo1", "bpo2", "bpo3", "bpo4", "bpo5"];

/** A genesis config that cannot be read. */
export class ChainConfigError extends Error {
  constructor(message: string) {
    super(`chain config: ${message}`);
    this.name = "ChainConfigError";
  }
}

/**
 * A field looked up as Go's encoding/json does: an exact key first, else any key equal
 * ignoring case (go-ethereum reads `"IstanbulBlock"` as `istanbulBlock`).
 */
function field(raw: Record<string, unknown>, key: string): unknown {
  if (key in raw) return raw[key];
  const lower = key.toLowerCase();
  for (const k of Object.keys(raw)) if (k.toLowerCase() === lower) return raw[k];
  return undefined;
}

function optionalNumber(raw: Record<string, unknown>, key: string): bigint | undefined {
  const v = field(raw, key);
  if (v === undefined || v === null) return undefined;
  try {
    return parseBigInt(v, key);
  } catch (e) {
    throw new ChainConfigError((e as Error).message);
  }
}

function optionalBool(raw: Record<string, unknown>, key: string): boolean {
  const v = field(raw, key);
  if (v === undefined || v === null) return false;
  if (typeof v !== "boolean")
    throw new ChainConfigError(`${key}: expected true or false, got ${JSON.stringify(v)}`);
  return v;
}

/** Reads go-ethereum's `config` object. */
export function parseChainConfig(raw: unknown): ChainConfig {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new ChainConfigError("expected an object");
  }
  const r = raw as Record<string, unknown>;
  const blocks: ChainConfig["blocks"] = {};
  for (const [key] of BLOCK_FORKS) {
    const v = optionalNumber(r, `${key}Block`);
    if (v !== undefined) blocks[key] = v;
  }
  const times: ChainConfig["times"] = {};
  for (const key of [...TIME_FORKS.map(([k]) => k), ...BPO_FORKS]) {
    const v = optionalNumber(r, `${key}Time`);
    if (v !== undefined) times[key] = v;
  }
  const blobSchedule = new Map<string, BlobSchedule>();
  const bs = field(r, "blobSchedule");
  if (bs !== undefined && bs !== null) {
    if (typeof bs !== "object" || Array.isArray(bs))
      throw new ChainConfigError("blobSchedule: expected an object");
    for (const [name, entry] of Object.entries(bs as Record<string, unknown>)) {
      if (typeof entry !== "object" || entry === null) {
        throw new ChainConfigError(`blobSchedule.${name}: expected an object`);
      }
      const e = entry as Record<string, unknown>;
      const target = optionalNumber(e, "target");
      const max = optionalNumber(e, "max");
      const fraction = optionalNumber(e, "baseFeeUpdateFraction");
      if (target === undefined || max === undefined || fraction === undefined) {
        throw new ChainConfigError(`blobSchedule.${name}: needs target, max and baseFeeUpdateFraction`);
      }
      blobSchedule.set(name, { target: Number(target), max: Number(max), updateFraction: fraction });
    }
  }
  return {
    chainId: optionalNumber(r, "chainId") ?? 1n,
    blocks,
    times,
    terminalTotalDifficulty: optionalNumber(r, "terminalTotalDifficulty"),
    blobSchedule,
    daoForkBlock: optionalNumber(r, "daoForkBlock"),
    daoForkSupport: optionalBool(r, "daoForkSupport"),
  };
}

function blockActive(cfg: ChainConfig, key: BlockFork, number: bigint): boolean {
  const at = cfg.blocks[key];
  return at !== undefined && number >= at;
}

/**
 * The fork in force at (number, time). `merged` defaults to what the config says
 * (terminalTotalDifficulty of 0); pass it explicitly for chains that merged later.
 */
export function forkAt(
  cfg: ChainConfig,
  number: bigint,
  time: bigint,
  merged = cfg.terminalTotalDifficulty === 0n,
): Fork {
  let fork: Fork = Fork.Frontier;
  for (const [key, f] of BLOCK_FORKS) if (blockActive(cfg, key, number)) fork = f;
  // go-ethereum: without petersburgBlock, Petersburg comes with Constantinople.
  if (fork === Fork.Constantinople && cfg.blocks.petersburg === undefined) fork = Fork.Petersburg;
  if (!merged) return fork;
  if (fork < Fork.London) return fork;
  fork = Fork.Paris;
  for (const [key, f] of TIME_FORKS) {
    const at = cfg.times[key];
    if (at !== undefined && time >= at) fork = f;
  }
  return fork;
}

/**
 * The blob schedule in force at `time` under `fork`: the newest activated
 * blob-parameter-only fork's entry, else the fork's own entry, else the default.
 */
export function blobScheduleAt(cfg: ChainConfig, fork: Fork, time: bigint): BlobSchedule {
  for (let i = BPO_FORKS.length - 1; i >= 0; i--) {
    const key = BPO_FORKS[i]!;
    const at = cfg.times[key];
    const s = cfg.blobSchedule.get(key);
    if (at !== undefined && time >= at && s !== undefined) return s;
  }
  const own = fork >= Fork.Osaka ? "osaka" : fork >= Fork.Prague ? "prague" : "cancun";
  return cfg.blobSchedule.get(own) ?? blobScheduleFor(fork);
}

/** EIP-7918 (Osaka): the execution cost that bounds the blob base fee from below. */
const BLOB_BASE_COST = 1n << 13n;

/**
 * A block's excess blob gas from its parent's (EIP-4844; EIP-7918 from Osaka).
 * `schedule` is the one in force for the child block.
 */
export function nextExcessBlobGas(
  fork: Fork,
  schedule: BlobSchedule,
  parentExcess: bigint,
  parentBlobGasUsed: bigint,
  parentBaseFee: bigint,
): bigint {
  const target = BigInt(schedule.target) * GAS_PER_BLOB;
  if (parentExcess + parentBlobGasUsed < target) return 0n;
  if (
    fork >= Fork.Osaka &&
    BLOB_BASE_COST * parentBaseFee > GAS_PER_BLOB * blobBaseFee(parentExcess, schedule)
  ) {
    const max = BigInt(schedule.max);
    return parentExcess + (parentBlobGasUsed * (max - BigInt(schedule.target))) / max;
  }
  return parentExcess + parentBlobGasUsed - target;
}
