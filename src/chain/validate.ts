/**
 * Header and body validation of a block against its parent, following go-ethereum's
 * consensus/beacon (post-merge headers), consensus/ethash (pre-merge headers),
 * consensus/misc (gas limit, EIP-1559, EIP-4844) and core/block_validator.go (body).
 *
 * A header with difficulty 0 is a proof-of-stake header (go-ethereum's heuristic) and
 * gets the beacon rules: extraData ≤ 32 bytes, nonce 0, empty uncle hash, timestamp
 * after the parent's, difficulty 0, gas limit ≤ 2^63-1, gas used ≤ gas limit, number =
 * parent + 1, EIP-1559 gas limit bounds and base fee, withdrawalsRoot present exactly
 * from Shanghai, blobGasUsed/excessBlobGas/parentBeaconBlockRoot exactly from Cancun
 * (blob gas used within the fork's maximum and a multiple of the per-blob gas, excess
 * blob gas from the parent's), requestsHash exactly from Prague. A proof-of-stake
 * parent may not have a proof-of-work child.
 *
 * A header with difficulty > 0 gets the ethash rules: extraData ≤ 32 bytes, timestamp
 * after the parent's, the difficulty formula of its fork (Frontier, Homestead, Byzantium
 * and the bomb delays of Constantinople, Muir Glacier, London, Arrow Glacier and Gray
 * Glacier), gas limit bounds (1/1024 of the parent's, at least 5000; from London the
 * EIP-1559 rules, including the doubled parent limit at the transition block), number =
 * parent + 1, no post-London fields, and the DAO fork's extraData rule (dao.ts: exactly
 * "dao-hard-fork" in the ten blocks from daoForkBlock on a chain supporting the fork,
 * anything but it on a chain opposing it). Uncles: at most 2, not duplicated or already
 * included in the last 7 generations, not ancestors, with a parent among the 7 ancestors
 * other than the block's own parent, and a valid header (as ethash checks it) against
 * that parent.
 *
 * Not verified: proof-of-work seals (mixHash/nonce against the ethash dataset), the
 * "block from the future" wall-clock rule, and that the terminal total difficulty is
 * reached exactly at the transition (the difficulty-0 heuristic stands in for it, as in
 * go-ethereum).
 */

import { blobScheduleFor, GAS_PER_BLOB } from "../block/blobs.js";
import {
  blobScheduleAt,
  type ChainConfig,
  forkAt,
  nextExcessBlobGas,
  parseChainConfig,
} from "../chain/config.js";
import { SondeError } from "../errors.js";
import { Fork } from "../evm/forks.js";
import type { EngineVariant } from "../evm/variants.js";
import { type Address, bytesEqual, bytesToHex, parseAddress, parseBigInt } from "../primitives/hex.js";
import {
  type Block,
  EMPTY_UNCLE_HASH,
  type Header,
  headerHash,
  transactionsRoot,
  uncleHash,
  withdrawalsRoot,
} from "./block.js";
import { daoExtraDataViolation } from "./dao.js";

/** A chain config plus the genesis-config fields block processing needs beyond the fork schedule. */
export interface ChainSpec {
  config: ChainConfig;
  /** EIP-6110 deposit contract (Prague). */
  depositContractAddress?: Address | undefined;
  /** Difficulty-bomb delays (EIP-2384, EIP-4345, EIP-5133). */
  muirGlacierBlock?: bigint | undefined;
  arrowGlacierBlock?: bigint | undefined;
  grayGlacierBlock?: bigint | undefined;
  /** Run with one rule deliberately changed (fault injection; see src/evm/variants.ts). */
  engine?: EngineVariant | undefined;
}

function optionalField(raw: Record<string, unknown>, key: string): unknown {
  if (key in raw) return raw[key];
  const lower = key.toLowerCase();
  for (const k of Object.keys(raw)) if (k.toLowerCase() === lower) return raw[k];
  return undefined;
}

/** Reads go-ethereum's genesis `config` object. */
export function parseChainSpec(raw: unknown): ChainSpec {
  const config = parseChainConfig(raw);
  const r = raw as Record<string, unknown>;
  const spec: ChainSpec = { config };
  const dep = optionalField(r, "depositContractAddress");
  if (dep !== undefined && dep !== null)
    spec.depositContractAddress = parseAddress(dep, "depositContractAddress");
  for (const key of ["muirGlacierBlock", "arrowGlacierBlock", "grayGlacierBlock"] as const) {
    const v = optionalField(r, key);
    if (v !== undefined && v !== null) spec[key] = parseBigInt(v, key);
  }
  return spec;
}

/** A block (or header) broke a consensus rule. `code` follows execution-spec-tests' BlockException names. */
export class BlockValidationError extends SondeError {
  override name = "BlockValidationError";
  readonly code: string;
  readonly expected: string | undefined;
  readonly actual: string | undefined;
  constructor(
    code: string,
    message: string,
    opts: { expected?: string; actual?: string; cause?: unknown } = {},
  ) {
    const detail =
      opts.expected !== undefined || opts.actual !== undefined
        ? ` (expected ${opts.expected ?? "?"}, got ${opts.actual ?? "?"})`
        : "";
    super(`${message}${detail}`, opts.cause === undefined ? {} : { cause: opts.cause });
    this.code = code;
    this.expected = opts.expected;
    this.actual = opts.actual;
  }
}

const MAX_EXTRA_DATA = 32;
const MAX_GAS_LIMIT = (1n << 63n) - 1n;
const MIN_GAS_LIMIT = 5000n;
const GAS_LIMIT_BOUND_DIVISOR = 1024n;
const ELASTICITY_MULTIPLIER = 2n;
const BASE_FEE_CHANGE_DENOMINATOR = 8n;
const INITIAL_BASE_FEE = 1_000_000_000n;
const ZERO_NONCE = new Uint8Array(8);
const MAX_UNCLES = 2;
const UNCLE_GENERATIONS = 7;

/** Post-merge (proof-of-stake) header: go-ethereum's difficulty-0 heuristic. */
export function isPoSHeader(h: Header): boolean {
  return h.difficulty === 0n;
}

/** The fork whose rules a header's block runs under. */
export function headerFork(spec: ChainSpec, h: Header): Fork {
  const merged = spec.config.terminalTotalDifficulty !== undefined && isPoSHeader(h);
  return forkAt(spec.config, h.number, h.timestamp, merged);
}

function isLondon(spec: ChainSpec, number: bigint): boolean {
  const at = spec.config.blocks.london;
  return at !== undefined && number >= at;
}

function blockForkActive(spec: ChainSpec, key: keyof ChainConfig["blocks"], number: bigint): boolean {
  const at = spec.config.blocks[key];
  return at !== undefined && number >= at;
}

/** Time forks in go-ethereum's sense (London active and the time reached), whether or not merged. */
function timeForkActive(spec: ChainSpec, key: "shanghai" | "cancun" | "prague", h: Header): boolean {
  const at = spec.config.times[key];
  return isLondon(spec, h.number) && at !== undefined && h.timestamp >= at;
}

/** The gas limit may move by less than parent/1024 per block and not go below 5000. */
export function checkGasLimit(parentGasLimit: bigint, gasLimit: bigint): void {
  const diff = parentGasLimit > gasLimit ? parentGasLimit - gasLimit : gasLimit - parentGasLimit;
  const limit = parentGasLimit / GAS_LIMIT_BOUND_DIVISOR;
  if (diff >= limit) {
    throw new BlockValidationError(
      "INVALID_GASLIMIT",
      `gas limit ${gasLimit} moves too far from the parent's ${parentGasLimit} (at most ±${limit - 1n})`,
    );
  }
  if (gasLimit < MIN_GAS_LIMIT) {
    throw new BlockValidationError(
      "INVALID_GASLIMIT",
      `gas limit ${gasLimit} is below the minimum ${MIN_GAS_LIMIT}`,
    );
  }
}

/** EIP-1559 base fee of the child of `parent`. */
export function calcBaseFee(spec: ChainSpec, parent: Header): bigint {
  if (!isLondon(spec, parent.number)) return INITIAL_BASE_FEE;
  return nextBaseFee(parent.gasLimit, parent.gasUsed, parent.baseFeePerGas ?? 0n);
}

/** EIP-1559's base fee after a London block with this gas limit, gas used and base fee. */
export function nextBaseFee(gasLimit: bigint, gasUsed: bigint, baseFee: bigint): bigint {
  const target = gasLimit / ELASTICITY_MULTIPLIER;
  if (gasUsed === target) return baseFee;
  if (gasUsed > target) {
    const delta = (baseFee * (gasUsed - target)) / target / BASE_FEE_CHANGE_DENOMINATOR;
    return baseFee + (delta < 1n ? 1n : delta);
  }
  const delta = (baseFee * (target - gasUsed)) / target / BASE_FEE_CHANGE_DENOMINATOR;
  const fee = baseFee - delta;
  return fee < 0n ? 0n : fee;
}

function checkEip1559(spec: ChainSpec, parent: Header, h: Header): void {
  // The London transition block may use twice the parent's limit (the elasticity).
  const parentGasLimit = isLondon(spec, parent.number)
    ? parent.gasLimit
    : parent.gasLimit * ELASTICITY_MULTIPLIER;
  checkGasLimit(parentGasLimit, h.gasLimit);
  if (h.baseFeePerGas === undefined)
    throw new BlockValidationError("INVALID_HEADER", "header is missing baseFeePerGas");
  if (isLondon(spec, parent.number) && parent.baseFeePerGas === undefined) {
    throw new BlockValidationError("INVALID_HEADER", "parent header is missing baseFeePerGas");
  }
  const want = calcBaseFee(spec, parent);
  if (h.baseFeePerGas !== want) {
    throw new BlockValidationError("INVALID_BASEFEE_PER_GAS", "invalid base fee per gas", {
      expected: String(want),
      actual: String(h.baseFeePerGas),
    });
  }
}

// ---- ethash difficulty ----

const DIFFICULTY_BOUND_DIVISOR = 2048n;
const MINIMUM_DIFFICULTY = 131072n;
const DURATION_LIMIT = 13n;
const EXP_DIFF_PERIOD = 100000n;

function bomb(periodCount: bigint): bigint {
  return periodCount > 1n ? 2n ** (periodCount - 2n) : 0n;
}

function difficultyFrontier(time: bigint, parent: Header): bigint {
  const adjust = parent.difficulty / DIFFICULTY_BOUND_DIVISOR;
  let diff =
    time - parent.timestamp < DURATION_LIMIT ? parent.difficulty + adjust : parent.difficulty - adjust;
  if (diff < MINIMUM_DIFFICULTY) diff = MINIMUM_DIFFICULTY;
  diff += bomb((parent.number + 1n) / EXP_DIFF_PERIOD);
  return diff < MINIMUM_DIFFICULTY ? MINIMUM_DIFFICULTY : diff;
}

function difficultyHomestead(time: bigint, parent: Header): bigint {
  let factor = 1n - (time - parent.timestamp) / 10n;
  if (factor < -99n) factor = -99n;
  let diff = parent.difficulty + (parent.difficulty / DIFFICULTY_BOUND_DIVISOR) * factor;
  if (diff < MINIMUM_DIFFICULTY) diff = MINIMUM_DIFFICULTY;
  return diff + bomb((parent.number + 1n) / EXP_DIFF_PERIOD);
}

/** Byzantium's formula (EIP-100: uncles count) with the bomb pushed back by `delay` blocks. */
function difficultyDelayed(time: bigint, parent: Header, delay: bigint): bigint {
  const hadUncles = !bytesEqual(parent.uncleHash, EMPTY_UNCLE_HASH);
  let factor = (hadUncles ? 2n : 1n) - (time - parent.timestamp) / 9n;
  if (factor < -99n) factor = -99n;
  let diff = parent.difficulty + (parent.difficulty / DIFFICULTY_BOUND_DIVISOR) * factor;
  if (diff < MINIMUM_DIFFICULTY) diff = MINIMUM_DIFFICULTY;
  // The delay counts from the block; the formula looks at the parent, one below.
  const fromParent = delay - 1n;
  const fake = parent.number >= fromParent ? parent.number - fromParent : 0n;
  return diff + bomb(fake / EXP_DIFF_PERIOD);
}

/** The ethash difficulty of a block at `time` on top of `parent`. */
export function calcDifficulty(spec: ChainSpec, time: bigint, parent: Header): bigint {
  const next = parent.number + 1n;
  const at = (b: bigint | undefined) => b !== undefined && next >= b;
  if (at(spec.grayGlacierBlock)) return difficultyDelayed(time, parent, 11_400_000n);
  if (at(spec.arrowGlacierBlock)) return difficultyDelayed(time, parent, 10_700_000n);
  if (blockForkActive(spec, "london", next)) return difficultyDelayed(time, parent, 9_700_000n);
  if (at(spec.muirGlacierBlock)) return difficultyDelayed(time, parent, 9_000_000n);
  if (blockForkActive(spec, "constantinople", next)) return difficultyDelayed(time, parent, 5_000_000n);
  if (blockForkActive(spec, "byzantium", next)) return difficultyDelayed(time, parent, 3_000_000n);
  if (blockForkActive(spec, "homestead", next)) return difficultyHomestead(time, parent);
  return difficultyFrontier(time, parent);
}

// ---- headers ----

function checkCommon(h: Header, parent: Header): void {
  if (h.extraData.length > MAX_EXTRA_DATA) {
    throw new BlockValidationError(
      "EXTRA_DATA_TOO_BIG",
      `extraData is ${h.extraData.length} bytes, more than ${MAX_EXTRA_DATA}`,
    );
  }
  if (h.timestamp <= parent.timestamp) {
    throw new BlockValidationError(
      "INVALID_BLOCK_TIMESTAMP_OLDER_THAN_PARENT",
      `timestamp ${h.timestamp} is not after the parent's ${parent.timestamp}`,
    );
  }
}

function checkGasUsed(h: Header): void {
  if (h.gasLimit > MAX_GAS_LIMIT) {
    throw new BlockValidationError("GASLIMIT_TOO_BIG", `gas limit ${h.gasLimit} is above 2^63-1`);
  }
  if (h.gasUsed > h.gasLimit) {
    throw new BlockValidationError(
      "GAS_USED_OVERFLOW",
      `gas used ${h.gasUsed} is above the gas limit ${h.gasLimit}`,
    );
  }
}

function checkNumber(h: Header, parent: Header): void {
  if (h.number !== parent.number + 1n) {
    throw new BlockValidationError("INVALID_BLOCK_NUMBER", "block number is not the parent's + 1", {
      expected: String(parent.number + 1n),
      actual: String(h.number),
    });
  }
}

function checkNoPostLondonFields(h: Header, what: string): void {
  const present: [string, unknown][] = [
    ["withdrawalsRoot", h.withdrawalsRoot],
    ["blobGasUsed", h.blobGasUsed],
    ["excessBlobGas", h.excessBlobGas],
    ["parentBeaconBlockRoot", h.parentBeaconBlockRoot],
    ["requestsHash", h.requestsHash],
  ];
  for (const [name, v] of present) {
    if (v !== undefined)
      throw new BlockValidationError("INVALID_HEADER", `${name} is present in a ${what} header`);
  }
}

/** ethash's header rules (the same for uncles, since the future-block check is skipped). */
function validateEthashHeader(spec: ChainSpec, h: Header, parent: Header): void {
  checkCommon(h, parent);
  const want = calcDifficulty(spec, h.timestamp, parent);
  if (h.difficulty !== want) {
    throw new BlockValidationError("INVALID_DIFFICULTY", "invalid difficulty", {
      expected: String(want),
      actual: String(h.difficulty),
    });
  }
  checkGasUsed(h);
  if (!isLondon(spec, h.number)) {
    if (h.baseFeePerGas !== undefined) {
      throw new BlockValidationError("INVALID_HEADER", "baseFeePerGas is present before London");
    }
    checkGasLimit(parent.gasLimit, h.gasLimit);
  } else {
    checkEip1559(spec, parent, h);
  }
  checkNumber(h, parent);
  if (timeForkActive(spec, "shanghai", h)) {
    throw new BlockValidationError(
      "IMPORT_IMPOSSIBLE_DIFFICULTY_OVER_PARIS",
      "proof-of-work header (difficulty > 0) in a post-merge fork",
    );
  }
  checkNoPostLondonFields(h, "proof-of-work");
  const dao = daoExtraDataViolation(spec.config, h);
  if (dao !== null) throw new BlockValidationError("EXTRA_DATA_INVALID_DAO", dao);
}

function validateBeaconHeader(spec: ChainSpec, h: Header, parent: Header): void {
  if (h.extraData.length > MAX_EXTRA_DATA) {
    throw new BlockValidationError(
      "EXTRA_DATA_TOO_BIG",
      `extraData is ${h.extraData.length} bytes, more than ${MAX_EXTRA_DATA}`,
    );
  }
  if (!bytesEqual(h.nonce, ZERO_NONCE)) {
    throw new BlockValidationError("INVALID_NONCE", "post-merge nonce must be 0", {
      expected: bytesToHex(ZERO_NONCE),
      actual: bytesToHex(h.nonce),
    });
  }
  if (!bytesEqual(h.uncleHash, EMPTY_UNCLE_HASH)) {
    throw new BlockValidationError(
      "IMPORT_IMPOSSIBLE_UNCLES_OVER_PARIS",
      "post-merge uncle hash must be the empty list's",
      {
        expected: bytesToHex(EMPTY_UNCLE_HASH),
        actual: bytesToHex(h.uncleHash),
      },
    );
  }
  if (h.timestamp <= parent.timestamp) {
    throw new BlockValidationError(
      "INVALID_BLOCK_TIMESTAMP_OLDER_THAN_PARENT",
      `timestamp ${h.timestamp} is not after the parent's ${parent.timestamp}`,
    );
  }
  checkGasUsed(h);
  checkNumber(h, parent);
  checkEip1559(spec, parent, h);

  const shanghai = timeForkActive(spec, "shanghai", h);
  if (shanghai && h.withdrawalsRoot === undefined) {
    throw new BlockValidationError("INVALID_HEADER", "withdrawalsRoot is missing (Shanghai)");
  }
  if (!shanghai && h.withdrawalsRoot !== undefined) {
    throw new BlockValidationError("INVALID_HEADER", "withdrawalsRoot is present before Shanghai");
  }
  const cancun = timeForkActive(spec, "cancun", h);
  if (!cancun) {
    if (
      h.excessBlobGas !== undefined ||
      h.blobGasUsed !== undefined ||
      h.parentBeaconBlockRoot !== undefined
    ) {
      throw new BlockValidationError(
        "INVALID_HEADER",
        "blob gas fields or parentBeaconBlockRoot present before Cancun",
      );
    }
  } else {
    if (h.parentBeaconBlockRoot === undefined) {
      throw new BlockValidationError("INVALID_HEADER", "parentBeaconBlockRoot is missing (Cancun)");
    }
    checkBlobGas(spec, h, parent);
  }
  const prague = timeForkActive(spec, "prague", h);
  if (prague && h.requestsHash === undefined) {
    throw new BlockValidationError("INVALID_HEADER", "requestsHash is missing (Prague)");
  }
  if (!prague && h.requestsHash !== undefined) {
    throw new BlockValidationError("INVALID_HEADER", "requestsHash is present before Prague");
  }
}

function checkBlobGas(spec: ChainSpec, h: Header, parent: Header): void {
  if (h.excessBlobGas === undefined)
    throw new BlockValidationError("INVALID_HEADER", "excessBlobGas is missing (Cancun)");
  if (h.blobGasUsed === undefined)
    throw new BlockValidationError("INVALID_HEADER", "blobGasUsed is missing (Cancun)");
  const fork = headerFork(spec, h);
  const schedule = blobScheduleAt(spec.config, fork, h.timestamp);
  const max = BigInt(schedule.max) * GAS_PER_BLOB;
  if (h.blobGasUsed > max) {
    throw new BlockValidationError(
      "BLOB_GAS_USED_ABOVE_LIMIT",
      `blob gas used ${h.blobGasUsed} exceeds the maximum ${max}`,
    );
  }
  if (h.blobGasUsed % GAS_PER_BLOB !== 0n) {
    throw new BlockValidationError(
      "INCORRECT_BLOB_GAS_USED",
      `blob gas used ${h.blobGasUsed} is not a multiple of ${GAS_PER_BLOB}`,
    );
  }
  const want = nextExcessBlobGas(
    fork,
    schedule,
    parent.excessBlobGas ?? 0n,
    parent.excessBlobGas === undefined ? 0n : (parent.blobGasUsed ?? 0n),
    parent.baseFeePerGas ?? 0n,
  );
  if (h.excessBlobGas !== want) {
    throw new BlockValidationError("INCORRECT_EXCESS_BLOB_GAS", "invalid excess blob gas", {
      expected: String(want),
      actual: String(h.excessBlobGas),
    });
  }
}

/**
 * The merge by total difficulty (EIP-3675), as go-ethereum's beacon engine decides it:
 * once the parent's total difficulty has reached the terminal total difficulty every
 * block must be proof-of-stake (difficulty 0), and none may be before.
 */
export function checkTerminalDifficulty(spec: ChainSpec, h: Header, parentTd: bigint): void {
  const ttd = spec.config.terminalTotalDifficulty;
  if (ttd === undefined) return;
  const reached = parentTd >= ttd;
  if (reached && !isPoSHeader(h)) {
    throw new BlockValidationError(
      "IMPORT_IMPOSSIBLE_DIFFICULTY_OVER_PARIS",
      `proof-of-work block (difficulty ${h.difficulty}) after the terminal total difficulty ${ttd} was reached`,
    );
  }
  if (!reached && isPoSHeader(h)) {
    throw new BlockValidationError(
      "INVALID_DIFFICULTY",
      `proof-of-stake block before the terminal total difficulty ${ttd} (parent total difficulty ${parentTd})`,
    );
  }
}

/**
 * Checks `h` against its parent. Throws a BlockValidationError naming the rule broken.
 * Whether the parent is known is the caller's concern.
 */
export function validateHeader(spec: ChainSpec, h: Header, parent: Header): void {
  if (isPoSHeader(parent) && !isPoSHeader(h) && spec.config.terminalTotalDifficulty !== undefined) {
    throw new BlockValidationError(
      "IMPORT_IMPOSSIBLE_DIFFICULTY_OVER_PARIS",
      `proof-of-work header (difficulty ${h.difficulty}) after a proof-of-stake parent`,
    );
  }
  if (!isPoSHeader(h) || spec.config.terminalTotalDifficulty === undefined)
    validateEthashHeader(spec, h, parent);
  else validateBeaconHeader(spec, h, parent);
}

// ---- bodies ----

/** What uncle validation needs from the chain: headers and uncle lists by hash. */
export interface HeaderSource {
  header(hash: string): Header | undefined;
  uncles(hash: string): readonly Header[] | undefined;
}

/** ethash's uncle rules; post-merge blocks may have none. */
export function validateUncles(spec: ChainSpec, block: Block, chain: HeaderSource): void {
  const h = block.header;
  if (isPoSHeader(h) && spec.config.terminalTotalDifficulty !== undefined) {
    if (block.uncles.length > 0) {
      throw new BlockValidationError("IMPORT_IMPOSSIBLE_UNCLES_OVER_PARIS", "post-merge block has uncles", {
        expected: "0",
        actual: String(block.uncles.length),
      });
    }
    return;
  }
  if (block.uncles.length > MAX_UNCLES) {
    throw new BlockValidationError("TOO_MANY_UNCLES", `${block.uncles.length} uncles, at most ${MAX_UNCLES}`);
  }
  if (block.uncles.length === 0) return;
  const seen = new Set<string>();
  const ancestors = new Map<string, Header>();
  let hash = bytesToHex(h.parentHash);
  for (let i = 0; i < UNCLE_GENERATIONS; i++) {
    const anc = chain.header(hash);
    if (anc === undefined) break;
    ancestors.set(hash, anc);
    for (const u of chain.uncles(hash) ?? []) seen.add(bytesToHex(headerHash(u)));
    hash = bytesToHex(anc.parentHash);
  }
  const own = bytesToHex(headerHash(h));
  ancestors.set(own, h);
  seen.add(own);
  for (const [i, u] of block.uncles.entries()) {
    const uh = bytesToHex(headerHash(u));
    if (seen.has(uh))
      throw new BlockValidationError("DUPLICATE_UNCLE", `uncle ${i} (${uh}) is included twice`);
    seen.add(uh);
    if (ancestors.has(uh))
      throw new BlockValidationError("UNCLE_IS_ANCESTOR", `uncle ${i} (${uh}) is an ancestor`);
    const up = bytesToHex(u.parentHash);
    const uparent = ancestors.get(up);
    if (uparent === undefined || up === bytesToHex(h.parentHash)) {
      throw new BlockValidationError(
        "UNCLE_PARENT_INCORRECT",
        `uncle ${i}'s parent ${up} is not one of the block's earlier ancestors`,
      );
    }
    try {
      validateEthashHeader(spec, u, uparent);
    } catch (err) {
      if (err instanceof BlockValidationError) {
        throw new BlockValidationError(err.code, `uncle ${i}: ${err.message}`, { cause: err });
      }
      throw err;
    }
  }
}

/**
 * The body against the header: uncle hash, transactions root, withdrawals (present
 * exactly when the header has a withdrawals root, and matching it) and the blob count
 * against blobGasUsed.
 */
export function validateBody(block: Block): void {
  const h = block.header;
  const uh = uncleHash(block.uncles);
  if (!bytesEqual(uh, h.uncleHash)) {
    throw new BlockValidationError("INVALID_UNCLES_HASH", "uncle hash mismatch", {
      expected: bytesToHex(h.uncleHash),
      actual: bytesToHex(uh),
    });
  }
  const tr = transactionsRoot(block.transactions);
  if (!bytesEqual(tr, h.transactionsRoot)) {
    throw new BlockValidationError("INVALID_TRANSACTIONS_ROOT", "transactions root mismatch", {
      expected: bytesToHex(h.transactionsRoot),
      actual: bytesToHex(tr),
    });
  }
  if (h.withdrawalsRoot !== undefined) {
    if (block.withdrawals === undefined) {
      throw new BlockValidationError(
        "RLP_WITHDRAWALS_NOT_READ",
        "block body has no withdrawals list (Shanghai)",
      );
    }
    const wr = withdrawalsRoot(block.withdrawals);
    if (!bytesEqual(wr, h.withdrawalsRoot)) {
      throw new BlockValidationError("INVALID_WITHDRAWALS_ROOT", "withdrawals root mismatch", {
        expected: bytesToHex(h.withdrawalsRoot),
        actual: bytesToHex(wr),
      });
    }
  } else if (block.withdrawals !== undefined) {
    throw new BlockValidationError(
      "INVALID_HEADER",
      "block body has withdrawals but the header has no withdrawals root",
    );
  }
  let blobs = 0n;
  for (const tx of block.transactions) if (tx.type === 3) blobs += BigInt(tx.blobVersionedHashes.length);
  if (h.blobGasUsed !== undefined) {
    if (blobs !== h.blobGasUsed / GAS_PER_BLOB) {
      throw new BlockValidationError(
        "INCORRECT_BLOB_GAS_USED",
        "blob gas used does not match the block's blobs",
        {
          expected: String(h.blobGasUsed),
          actual: String(blobs * GAS_PER_BLOB),
        },
      );
    }
  } else if (blobs > 0n) {
    throw new BlockValidationError("INVALID_HEADER", "block has blob transactions but no blobGasUsed");
  }
}

/** The blob schedule's maximum blobs per block in force for a header. */
export function maxBlobsFor(spec: ChainSpec, h: Header): number {
  const fork = headerFork(spec, h);
  if (fork < Fork.Cancun) return blobScheduleFor(Fork.Cancun).max;
  return blobScheduleAt(spec.config, fork, h.timestamp).max;
}
