/**
 * `sonde export FILE [FIRST [LAST]]`: writes canonical blocks FIRST..LAST of the chain in
 * a datadir to FILE in the format of go-ethereum's `geth export` (RLP blocks one after
 * another; gzip when FILE ends in ".gz"). Default range: the genesis to the head, as
 * go-ethereum's. `sonde import` reads the file back.
 */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { encodeBlock } from "../chain/block.js";
import { InvalidInputError } from "../errors.js";
import { parseArgs } from "./args.js";
import { chainGenesis, openChain } from "./import.js";

const HELP = `usage: sonde export --datadir DIR [--genesis FILE] FILE [FIRST [LAST]]

Writes the canonical blocks FIRST..LAST (default: 0 to the head) of the chain in DIR to
FILE, as \`geth export\` does: RLP-encoded blocks one after another, gzip-compressed when
FILE ends in .gz. FILE is overwritten.

options:
  --datadir DIR    the chain's directory (required)
  --genesis FILE   the chain's genesis.json; default: DIR/dev-genesis.json (the
                   development chain of \`sonde node --datadir DIR\`)`;

function readNumber(v: string, what: string): bigint {
  if (!/^[0-9]+$/.test(v)) throw new InvalidInputError(`${what}: expected a block number, got "${v}"`);
  return BigInt(v);
}

export async function exportCommand(argv: string[]): Promise<number> {
  const { options, positionals } = parseArgs(argv, { datadir: "string", genesis: "string", help: "boolean" });
  if (options.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const datadir = options.datadir as string | undefined;
  if (datadir === undefined) throw new InvalidInputError("--datadir DIR is required");
  const [file, firstArg, lastArg, extra] = positionals;
  if (file === undefined)
    throw new InvalidInputError("no output file (usage: sonde export FILE [FIRST [LAST]])");
  if (extra !== undefined) throw new InvalidInputError(`unexpected argument "${extra}"`);
  if (!existsSync(join(datadir, "chaindata.mdb"))) throw new InvalidInputError(`no chain in ${datadir}`);
  const chain = openChain(datadir, chainGenesis(datadir, options.genesis as string | undefined));
  try {
    const head = chain.head.block.header.number;
    const first = firstArg === undefined ? 0n : readNumber(firstArg, "FIRST");
    const last = lastArg === undefined ? head : readNumber(lastArg, "LAST");
    if (first > last) throw new InvalidInputError(`FIRST (${first}) is greater than LAST (${last})`);
    if (last > head) throw new InvalidInputError(`block ${last} is beyond the chain's head (${head})`);
    const parts: Uint8Array[] = [];
    for (let n = first; n <= last; n++) {
      const b = chain.canonicalAt(n);
      if (b === undefined) throw new InvalidInputError(`canonical block ${n} not found in ${datadir}`);
      parts.push(encodeBlock(b.block));
    }
    const data = Buffer.concat(parts);
    try {
      writeFileSync(file, file.endsWith(".gz") ? gzipSync(data) : data);
    } catch (err) {
      throw new InvalidInputError(`cannot write ${file}: ${(err as Error).message}`);
    }
    process.stdout.write(
      `exported blocks ${first}..${last} (${parts.length} blocks, ${data.length} bytes) to ${file}\n`,
    );
    return 0;
  } finally {
    chain.close();
  }
}
