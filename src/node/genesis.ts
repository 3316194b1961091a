/**
 * go-ethereum's genesis.json: the chain config, the allocation and the header fields,
 * turned into a chain spec, a genesis state and the genesis block.
 *
 * The block follows go-ethereum's Genesis.ToBlock: gas limit 4712388 when absent;
 * difficulty 0 without an `ethash` section in the config, else 131072 when neither a
 * difficulty nor a mixHash is given; from London at block 0 the base fee (1 Gwei when
 * absent); from Shanghai an empty withdrawals root and an empty withdrawal list; from
 * Cancun a zero parent beacon root and the blob gas fields (0 when absent); from Prague
 * the empty requests hash. Fork activation is decided as go-ethereum's ChainConfig does it
 * for the genesis block (timestamp forks need London at block 0). Errors name the field.
 */
import { type Block, EMPTY_UNCLE_HASH, type Header, requestsHash, withdrawalsRoot } from "../chain/block.js";
import { type ChainSpec, parseChainSpec } from "../chain/validate.js";
import { InvalidInputError } from "../errors.js";
import {
  type Address,
  bigintToBytes,
  bytesToBigInt,
  hexToBytes,
  parseAddress,
  parseBigInt,
} from "../primitives/hex.js";
import { type AccountData, MemoryState, StateDB } from "../state/statedb.js";
import { EMPTY_TRIE_ROOT } from "../state/trie.js";

/** go-ethereum's params.GenesisGasLimit. */
export const GENESIS_GAS_LIMIT = 4712388n;
/** go-ethereum's params.GenesisDifficulty (proof-of-work genesis without a mixHash). */
export const GENESIS_DIFFICULTY = 131072n;
/** EIP-1559 initial base fee. */
export const INITIAL_BASE_FEE = 1_000_000_000n;

export interface Genesis {
  spec: ChainSpec;
  /** The `config` object as read, for eth_config-style reporting. */
  rawConfig: Record<string, unknown>;
  block: Block;
  state: MemoryState;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Go's encoding/json key lookup: exact first, then case-insensitive. */
function field(raw: Json, key: string): unknown {
  if (key in raw) return raw[key];
  const lower = key.toLowerCase();
  for (const k of Object.keys(raw)) if (k.toLowerCase() === lower) return raw[k];
  return undefined;
}

function num(raw: Json, key: string): bigint | undefined {
  const v = field(raw, key);
  if (v === undefined || v === null) return undefined;
  return parseBigInt(v, `genesis ${key}`);
}

function fixedHex(raw: Json, key: string, size: number): Uint8Array | undefined {
  const v = field(raw, key);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw new InvalidInputError(`genesis ${key}: expected a hex string`);
  const b = hexToBytes(v, `genesis ${key}`);
  if (b.length > size) throw new InvalidInputError(`genesis ${key}: longer than ${size} bytes`);
  const out = new Uint8Array(size);
  out.set(b, size - b.length);
  return out;
}

/** Parses a genesis `alloc` (addresses with or without 0x; storage keys and values as hashes). */
export function parseGenesisAlloc(alloc: unknown): MemoryState {
  const state = new MemoryState();
  if (alloc === undefined || alloc === null) return state;
  if (!isObject(alloc)) throw new InvalidInputError("genesis alloc: expected an object");
  for (const [addr, raw] of Object.entries(alloc)) {
    const where = `genesis alloc.${addr}`;
    if (!isObject(raw)) throw new InvalidInputError(`${where}: expected an object`);
    const address = parseAddress(addr.startsWith("0x") ? addr : `0x${addr}`, `${where} address`);
    const storage = new Map<bigint, bigint>();
    const st = field(raw, "storage");
    if (st !== undefined && st !== null) {
      if (!isObject(st)) throw new InvalidInputError(`${where}.storage: expected an object`);
      for (const [k, v] of Object.entries(st)) {
        if (typeof v !== "string")
          throw new InvalidInputError(`${where}.storage[${k}]: expected a hex string`);
        const value = bytesToBigInt(hexToBytes(v, `${where}.storage[${k}]`));
        if (value !== 0n) storage.set(bytesToBigInt(hexToBytes(k, `${where}.storage key`)), value);
      }
    }
    const code = field(raw, "code");
    if (code !== undefined && code !== null && typeof code !== "string") {
      throw new InvalidInputError(`${where}.code: expected a hex string`);
    }
    const balance = num(raw, "balance");
    if (balance === undefined) throw new InvalidInputError(`${where}: missing balance`);
    const data: AccountData = {
      nonce: num(raw, "nonce") ?? 0n,
      balance,
      code: typeof code === "string" ? hexToBytes(code, `${where}.code`) : new Uint8Array(0),
      storage,
    };
    state.accounts.set(address, data);
  }
  return state;
}

/** Reads a genesis.json document (already parsed from JSON). */
export function parseGenesis(raw: unknown): Genesis {
  if (!isObject(raw)) throw new InvalidInputError("genesis: expected a JSON object");
  const cfg = field(raw, "config");
  if (!isObject(cfg)) throw new InvalidInputError("genesis config: expected an object");
  let spec: ChainSpec;
  try {
    spec = parseChainSpec(cfg);
  } catch (err) {
    throw new InvalidInputError(`genesis ${(err as Error).message}`);
  }
  const number = num(raw, "number") ?? 0n;
  if (number !== 0n) throw new InvalidInputError("genesis number: must be 0");
  const state = parseGenesisAlloc(field(raw, "alloc"));
  const timestamp = num(raw, "timestamp") ?? 0n;
  const mixHash = fixedHex(raw, "mixHash", 32) ?? new Uint8Array(32);
  const ethash = field(cfg, "ethash") !== undefined && field(cfg, "ethash") !== null;
  let difficulty = num(raw, "difficulty");
  if (difficulty === undefined) {
    difficulty = ethash && bytesToBigInt(mixHash) === 0n ? GENESIS_DIFFICULTY : 0n;
  }
  const gasLimit = num(raw, "gasLimit") || GENESIS_GAS_LIMIT;
  const extraData = field(raw, "extraData");
  if (extraData !== undefined && extraData !== null && typeof extraData !== "string") {
    throw new InvalidInputError("genesis extraData: expected a hex string");
  }
  const coinbaseRaw = field(raw, "coinbase");
  const coinbase: Address =
    coinbaseRaw === undefined || coinbaseRaw === null
      ? "0x0000000000000000000000000000000000000000"
      : parseAddress(coinbaseRaw, "genesis coinbase");
  const header: Header = {
    parentHash: fixedHex(raw, "parentHash", 32) ?? new Uint8Array(32),
    uncleHash: EMPTY_UNCLE_HASH,
    coinbase,
    stateRoot: new StateDB(state).stateRoot(),
    transactionsRoot: EMPTY_TRIE_ROOT,
    receiptsRoot: EMPTY_TRIE_ROOT,
    logsBloom: new Uint8Array(256),
    difficulty,
    number: 0n,
    gasLimit,
    gasUsed: num(raw, "gasUsed") ?? 0n,
    timestamp,
    extraData: typeof extraData === "string" ? hexToBytes(extraData, "genesis extraData") : new Uint8Array(0),
    mixHash,
    nonce: bigintToBytes(num(raw, "nonce") ?? 0n, 8),
  };
  const c = spec.config;
  const london = c.blocks.london === 0n;
  const timeFork = (at: bigint | undefined) => london && at !== undefined && timestamp >= at;
  const block: Block = { header, transactions: [], uncles: [] };
  if (london) header.baseFeePerGas = num(raw, "baseFeePerGas") ?? INITIAL_BASE_FEE;
  if (timeFork(c.times.shanghai)) {
    header.withdrawalsRoot = withdrawalsRoot([]);
    block.withdrawals = [];
  }
  if (timeFork(c.times.cancun)) {
    header.blobGasUsed = num(raw, "blobGasUsed") ?? 0n;
    header.excessBlobGas = num(raw, "excessBlobGas") ?? 0n;
    header.parentBeaconBlockRoot = new Uint8Array(32);
  }
  if (timeFork(c.times.prague)) header.requestsHash = requestsHash([]);
  return { spec, rawConfig: cfg, block, state };
}
