/**
 * `sonde import FILE...`: imports blocks into a chain kept in a datadir, from files in the
 * format of go-ethereum's `geth import` / `geth export` — RLP-encoded blocks one after
 * another, gzip-compressed when the file name ends in ".gz" (as go-ethereum decides).
 *
 * Every block goes through Blockchain.insertBlock (header, body and state validation,
 * then fork choice); blocks already in the chain are skipped, as is a genesis block that
 * matches the chain's. The first invalid or undecodable block stops the import with a
 * message naming the block (number, hash, file offset) and the reason; blocks imported
 * before it stay. Also holds what `sonde export` shares: choosing the genesis of a datadir
 * and opening its chain.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { type Block, decodeBlock, headerHash } from "../chain/block.js";
import type { Blockchain } from "../chain/blockchain.js";
import { BlockValidationError } from "../chain/validate.js";
import { InvalidInputError, SondeError } from "../errors.js";
import { devGenesisJson } from "../node/devchain.js";
import { type Genesis, parseGenesis } from "../node/genesis.js";
import { type GcMode, openBlockchain } from "../node/node.js";
import { bytesToHex } from "../primitives/hex.js";
import { parseArgs } from "./args.js";

const HELP = `usage: sonde import --datadir DIR [--genesis FILE] [--gcmode archive|full] FILE...

Imports blocks into the chain in DIR (created when missing) from files written by
\`sonde export\` or \`geth export\`: RLP-encoded blocks one after another, gzip-compressed
when the name ends in .gz. Each block is validated and executed as the node would (header,
body, state root, receipts); blocks already in the chain are skipped. The import stops at
the first invalid block, naming its number and what is wrong; the blocks before it stay.

Proof-of-work seals (ethash nonce and mix digest) are not verified: a pre-merge chain is
imported on the trust that its seals are good.

options:
  --datadir DIR    the chain's directory (required), as for \`sonde node --datadir\`
  --genesis FILE   go-ethereum genesis.json of the chain. Default: the development chain;
                   its genesis is kept in DIR/dev-genesis.json as \`sonde node\` keeps it.
                   Into an empty DIR, a file starting with the development chain's genesis
                   block recreates that genesis (it only differs by its timestamp);
                   other files need --genesis there: a range exported from
                   \`sonde node --datadir SRC\` takes --genesis SRC/dev-genesis.json.
  --gcmode MODE    for a new DIR: full (default, as \`sonde node\`) or archive

Progress (blocks, blocks/s) is printed every few seconds on long files.`;

/** How often progress is printed, in milliseconds. */
const PROGRESS_MS = 5000;

function loadGenesisFile(file: string, opt: string): Genesis {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new InvalidInputError(`${opt}: cannot read ${file}: ${(err as Error).message}`);
  }
  return parseGenesis(json);
}

/**
 * The genesis of the chain in `datadir`: `genesisFile` when given, else the development
 * genesis kept in DIR/dev-genesis.json. Without one (a new DIR), `create` decides: it is
 * given the first block of the import `file` when there is one, which must be a
 * development genesis block (the development genesis with that block's timestamp is then
 * used), else nothing is written and an error asks for --genesis; without a first block a
 * new development genesis is written, as `sonde node` would. Without `create`, an error
 * names the missing file.
 */
export function chainGenesis(
  datadir: string,
  genesisFile: string | undefined,
  create?: { firstBlock?: Block; file?: string },
): Genesis {
  if (genesisFile !== undefined) return loadGenesisFile(genesisFile, "--genesis");
  const file = join(datadir, "dev-genesis.json");
  if (existsSync(file)) return loadGenesisFile(file, "dev-genesis.json");
  if (create === undefined) {
    throw new InvalidInputError(
      `${datadir} has no dev-genesis.json: pass the chain's genesis with --genesis FILE`,
    );
  }
  let json = devGenesisJson();
  const first = create.firstBlock;
  if (first !== undefined) {
    // A new development genesis cannot be the parent of exported blocks (its timestamp is
    // now): without the chain's genesis, refuse before anything is written to DIR, so that
    // the same command with --genesis works.
    const name = create.file ?? "the first file";
    const advice = `and ${datadir} has no dev-genesis.json: pass the genesis of the chain it was exported from, --genesis <source datadir>/dev-genesis.json for a chain kept by \`sonde node --datadir\` (or that chain's genesis.json)`;
    const n = first.header.number;
    if (n !== 0n) {
      const before = n > 1n ? `; blocks ${n === 2n ? "1" : `1..${n - 1n}`} are to be imported before it` : "";
      throw new InvalidInputError(`${name} starts at block ${n}, ${advice}${before}`);
    }
    const candidate = devGenesisJson({ timestamp: first.header.timestamp, gasLimit: first.header.gasLimit });
    const g = parseGenesis(candidate);
    if (bytesToHex(headerHash(g.block.header)) !== bytesToHex(headerHash(first.header))) {
      throw new InvalidInputError(
        `${name} starts with a genesis block that is not the development chain's, ${advice}`,
      );
    }
    json = candidate;
  }
  mkdirSync(datadir, { recursive: true });
  writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
  return parseGenesis(json);
}

/** Opens the chain in `datadir`; gcmode: as given, else the stored one, else full for a new DIR. */
export function openChain(datadir: string, genesis: Genesis, gcmode?: GcMode): Blockchain {
  const fresh = !existsSync(join(datadir, "chaindata.mdb"));
  const mode = gcmode ?? (fresh ? "full" : undefined);
  return openBlockchain(genesis, mode === undefined ? { datadir } : { datadir, gcmode: mode });
}

/** One block item of an export file. */
export interface BlockItem {
  block: Block;
  /** Byte offset of the item in the (decompressed) file. */
  offset: number;
  /** Position of the item in the file, from 0. */
  index: number;
}

/** Thrown for a file that is not a well-formed sequence of RLP blocks. */
export class BlockFileError extends SondeError {
  override name = "BlockFileError";
}

/** The blocks of an export file's bytes, in order; a malformed item throws BlockFileError. */
export function* readBlockItems(data: Uint8Array, name: string): Generator<BlockItem> {
  let offset = 0;
  for (let index = 0; offset < data.length; index++) {
    const b = data[offset]!;
    const where = `${name}: item #${index} at byte ${offset}`;
    if (b < 0xc0) throw new BlockFileError(`${where} is not a block (expected an RLP list)`);
    let header = 1;
    let payload: number;
    if (b <= 0xf7) payload = b - 0xc0;
    else {
      const ll = b - 0xf7;
      header += ll;
      if (offset + header > data.length) {
        throw new BlockFileError(`${where}: file truncated inside the item's length prefix`);
      }
      payload = 0;
      for (let i = 1; i <= ll; i++) payload = payload * 256 + data[offset + i]!;
    }
    const end = offset + header + payload;
    if (end > data.length) {
      throw new BlockFileError(
        `${where}: file truncated: the block needs ${header + payload} bytes, ${data.length - offset} remain`,
      );
    }
    let block: Block;
    try {
      block = decodeBlock(data.subarray(offset, end));
    } catch (err) {
      throw new BlockFileError(`${where} is not a valid block: ${(err as Error).message}`);
    }
    yield { block, offset, index };
    offset = end;
  }
}

/** A file's bytes, gunzipped when the name ends in .gz. */
export function readBlockFile(file: string): Uint8Array {
  let raw: Uint8Array;
  try {
    raw = readFileSync(file);
  } catch (err) {
    throw new InvalidInputError(`cannot read ${file}: ${(err as Error).message}`);
  }
  if (!file.endsWith(".gz")) return raw;
  try {
    return gunzipSync(raw);
  } catch (err) {
    throw new BlockFileError(`${file}: not a valid gzip file: ${(err as Error).message}`);
  }
}

export interface ImportStats {
  imported: number;
  known: number;
}

/**
 * Imports the blocks of `data` into `chain`. Throws BlockFileError for a malformed item
 * and for an invalid block (naming the block and reason). `progress` is called about
 * every PROGRESS_MS with a line to print.
 */
export function importBlocks(
  chain: Blockchain,
  data: Uint8Array,
  name: string,
  progress: (line: string) => void,
  stats: ImportStats = { imported: 0, known: 0 },
): ImportStats {
  const start = Date.now();
  let lastReport = start;
  let sinceReport = 0;
  for (const { block, offset } of readBlockItems(data, name)) {
    const h = block.header;
    const hash = bytesToHex(headerHash(h));
    if (h.number === 0n) {
      if (hash !== chain.genesis.hash) {
        throw new BlockFileError(
          `${name}: the file's genesis block ${hash} is not this chain's genesis ${chain.genesis.hash}: pass the genesis it was exported from with --genesis`,
        );
      }
      stats.known++;
      continue;
    }
    try {
      const r = chain.insertBlock(block);
      if (r.status === "known") stats.known++;
      else {
        stats.imported++;
        sinceReport++;
      }
    } catch (err) {
      if (!(err instanceof BlockValidationError)) throw err;
      let msg = `${name}: block ${h.number} (${hash}, at byte ${offset}) is invalid: ${err.message}`;
      if (err.code === "UNKNOWN_PARENT" || err.code === "UNKNOWN_PARENT_ZERO") {
        msg += `; the chain's genesis is ${chain.genesis.hash}: if the file comes from another chain, pass its genesis with --genesis`;
      }
      throw new BlockFileError(msg);
    }
    const now = Date.now();
    if (now - lastReport >= PROGRESS_MS) {
      const rate = (sinceReport * 1000) / (now - lastReport);
      progress(
        `${name}: block ${h.number}, ${stats.imported} imported, ${rate.toFixed(1)} blocks/s, ${((now - start) / 1000).toFixed(0)} s`,
      );
      lastReport = now;
      sinceReport = 0;
    }
  }
  return stats;
}

export async function importCommand(argv: string[]): Promise<number> {
  const { options, positionals } = parseArgs(argv, {
    datadir: "string",
    genesis: "string",
    gcmode: "string",
    help: "boolean",
  });
  if (options.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const datadir = options.datadir as string | undefined;
  if (datadir === undefined) throw new InvalidInputError("--datadir DIR is required");
  if (positionals.length === 0)
    throw new InvalidInputError("no file to import (usage: sonde import FILE...)");
  const gc = options.gcmode as string | undefined;
  if (gc !== undefined && gc !== "archive" && gc !== "full") {
    throw new InvalidInputError(`--gcmode: expected archive or full, got "${gc}"`);
  }
  // The first file is read first: its genesis block can recreate a development genesis.
  const first = readBlockFile(positionals[0]!);
  let firstBlock: Block | undefined;
  try {
    firstBlock = readBlockItems(first, positionals[0]!).next().value?.block;
  } catch {
    firstBlock = undefined; // reported when the file is imported
  }
  const genesis = chainGenesis(
    datadir,
    options.genesis as string | undefined,
    firstBlock === undefined ? {} : { firstBlock, file: positionals[0]! },
  );
  const chain = openChain(datadir, genesis, gc as GcMode | undefined);
  const started = Date.now();
  const stats: ImportStats = { imported: 0, known: 0 };
  try {
    for (const [i, file] of positionals.entries()) {
      const data = i === 0 ? first : readBlockFile(file);
      try {
        importBlocks(chain, data, file, (line) => process.stderr.write(`${line}\n`), stats);
      } catch (err) {
        if (!(err instanceof BlockFileError)) throw err;
        process.stderr.write(`sonde import: ${err.message}\n`);
        process.stderr.write(
          `sonde import: stopped; ${stats.imported} blocks imported before it, head #${chain.head.block.header.number} ${chain.head.hash}\n`,
        );
        return 1;
      }
    }
    const secs = (Date.now() - started) / 1000;
    process.stdout.write(
      `imported ${stats.imported} blocks (${stats.known} already known) in ${secs.toFixed(1)} s; head #${chain.head.block.header.number} ${chain.head.hash}\n`,
    );
    return 0;
  } finally {
    chain.close();
  }
}
