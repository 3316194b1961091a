/**
 * EIP-2124 fork identifiers: a CRC32 (IEEE) checksum over the genesis hash followed by the
 * activation block number or timestamp (8 bytes, big-endian) of every fork passed, plus
 * the next fork to come.
 *
 * The fork list is gathered as go-ethereum's core/forkid does: every `…Block` and
 * `…Time` field it knows in the chain config, sorted and deduplicated per kind, with
 * block-0 forks and timestamp forks at or before the genesis time left out (they are the
 * genesis rules).
 */
import { hexToBytes } from "../primitives/hex.js";

/** The block-numbered fork fields of go-ethereum's ChainConfig (JSON names). */
const BLOCK_FIELDS = [
  "homesteadBlock",
  "daoForkBlock",
  "eip150Block",
  "eip155Block",
  "eip158Block",
  "byzantiumBlock",
  "constantinopleBlock",
  "petersburgBlock",
  "istanbulBlock",
  "muirGlacierBlock",
  "berlinBlock",
  "londonBlock",
  "arrowGlacierBlock",
  "grayGlacierBlock",
  "mergeNetsplitBlock",
] as const;

/** The timestamp fork fields of go-ethereum's ChainConfig (JSON names). */
const TIME_FIELDS = [
  "shanghaiTime",
  "cancunTime",
  "pragueTime",
  "osakaTime",
  "bpo1Time",
  "bpo2Time",
  "bpo3Time",
  "bpo4Time",
  "bpo5Time",
  "amsterdamTime",
  "bogotaTime",
  "ubtTime",
] as const;

let table: Uint32Array | undefined;

function crcTable(): Uint32Array {
  if (table !== undefined) return table;
  table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/** CRC32 (IEEE 802.3 polynomial), continuing from `crc` (0 to start). */
export function crc32(data: Uint8Array, crc = 0): number {
  const t = crcTable();
  let c = ~crc >>> 0;
  for (const b of data) c = t[(c ^ b) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

function lookup(raw: Record<string, unknown>, key: string): unknown {
  if (key in raw) return raw[key];
  const lower = key.toLowerCase();
  for (const k of Object.keys(raw)) if (k.toLowerCase() === lower) return raw[k];
  return undefined;
}

function readNumber(v: unknown, key: string): bigint | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === "string" && /^(0x[0-9a-fA-F]+|[0-9]+)$/.test(v)) return BigInt(v);
  throw new Error(`chain config ${key}: expected a non-negative number, got ${JSON.stringify(v)}`);
}

function sortedUnique(xs: bigint[]): bigint[] {
  const out = [...new Set(xs)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return out;
}

/** The forks of a chain config (go-ethereum's `config` JSON): block numbers and timestamps. */
export function gatherForks(
  rawConfig: Record<string, unknown>,
  genesisTime: bigint,
): { byBlock: bigint[]; byTime: bigint[] } {
  const blocks: bigint[] = [];
  const times: bigint[] = [];
  for (const k of BLOCK_FIELDS) {
    const v = readNumber(lookup(rawConfig, k), k);
    if (v !== undefined) blocks.push(v);
  }
  for (const k of TIME_FIELDS) {
    const v = readNumber(lookup(rawConfig, k), k);
    if (v !== undefined) times.push(v);
  }
  const byBlock = sortedUnique(blocks).filter((b) => b !== 0n);
  const byTime = sortedUnique(times).filter((t) => t > genesisTime);
  return { byBlock, byTime };
}

function be8(n: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, n);
  return out;
}

export interface ForkId {
  /** The 4-byte checksum, as 0x + 8 hex digits. */
  hash: string;
  /** The next fork's block or timestamp; 0 when none is scheduled. */
  next: bigint;
}

/** The fork id at head block `head` and head time `time`. */
export function forkId(
  rawConfig: Record<string, unknown>,
  genesisHash: string,
  genesisTime: bigint,
  head: bigint,
  time: bigint,
): ForkId {
  let crc = crc32(hexToBytes(genesisHash));
  const { byBlock, byTime } = gatherForks(rawConfig, genesisTime);
  const done = (next: bigint): ForkId => ({ hash: `0x${crc.toString(16).padStart(8, "0")}`, next });
  for (const b of byBlock) {
    if (b > head) return done(b);
    crc = crc32(be8(b), crc);
  }
  for (const t of byTime) {
    if (t > time) return done(t);
    crc = crc32(be8(t), crc);
  }
  return done(0n);
}
