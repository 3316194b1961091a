/**
 * The chain the mix (./mix.ts) is sent on, shared by the tests that send it: the
 * go-ethereum genesis.json (devGenesisJson on chain 31337, forks through Prague), anvil
 * started from it, and sending the mix block by block (pinned timestamps; a block of
 * several transactions is mined with evm_setAutomine(false) + evm_mine) to one node or
 * several at once.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { calcBaseFee } from "../../src/compare/normalise.js";
import { devAccounts, devGenesisJson } from "../../src/node/devchain.js";
import { type Anvil, type RpcClient, startAnvil } from "./anvil.js";
import { buildMix, CHAIN_ID, emptyWorld, learn, type MixTx, type SignedTx, signMixTx } from "./mix.js";

type Json = Record<string, unknown>;

/** Genesis timestamp; block n is mined at GENESIS_TIME + n × BLOCK_SECONDS. */
export const GENESIS_TIME = 1_750_000_000;
export const BLOCK_SECONDS = 12;

const qty = (n: number | bigint) => `0x${n.toString(16)}`;

/** The genesis of the mix: the dev chain's, on chain 31337, with forks up to Prague (anvil runs --hardfork prague). */
export function mixGenesis(): Json {
  const g = devGenesisJson({ chainId: BigInt(CHAIN_ID), timestamp: BigInt(GENESIS_TIME) });
  const config = g.config as Json;
  delete config.osakaTime;
  delete (config.blobSchedule as Json).osaka;
  return g;
}

/** Writes mixGenesis() to `dir`/genesis.json; returns the genesis and the file. */
export function writeMixGenesis(dir: string): { genesis: Json; file: string } {
  const genesis = mixGenesis();
  const file = join(dir, "genesis.json");
  writeFileSync(file, JSON.stringify(genesis, null, 2));
  return { genesis, file };
}

/**
 * anvil started from the genesis file `file` (Prague, the mnemonic's ten accounts). Without
 * --disable-default-create2-deployer anvil adds a CREATE2 deployer contract (0x4e59b448…)
 * to the genesis state, an account go-ethereum's genesis does not have.
 */
export function startMixAnvil(file: string): Promise<Anvil> {
  return startAnvil({
    hardfork: "prague",
    init: file,
    accounts: 10,
    // No struct-logger traces are used with the mix; without step records anvil stays small.
    stepsTracing: false,
    extraArgs: ["--disable-default-create2-deployer"],
  });
}

/** go-ethereum's CalcBaseFee for the block after `parent` (src/compare/normalise.ts). */
export const nextBaseFee = (parent: Json): bigint => calcBaseFee(parent);

/**
 * anvil gives its first block the genesis base fee itself, go-ethereum derives block 1's from
 * the genesis header (rule anvil-first-block-base-fee, src/compare/normalise.ts): anvil is told
 * go-ethereum's value, computed from anvil's own genesis header, before the first block.
 */
export async function setGethFirstBaseFee(anvil: RpcClient): Promise<void> {
  const genesis = await anvil.rpc<Json>("eth_getBlockByNumber", ["0x0", false]);
  await anvil.rpc("anvil_setNextBlockBaseFeePerGas", [qty(nextBaseFee(genesis))]);
}

/** The receipt of `hash` on `c` (named `node` in errors), waiting up to 10 s for it. */
export async function waitReceipt(c: RpcClient, hash: string, what: string, node: string): Promise<Json> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = await c.rpc<Json | null>("eth_getTransactionReceipt", [hash]);
    if (r !== null) return r;
    if (Date.now() > deadline) throw new Error(`${what} was not mined on ${node} within 10 s`);
    await new Promise((res) => setTimeout(res, 5));
  }
}

/** Splits `calls` into JSON-RPC batches of `size`. */
export async function batched<T>(c: RpcClient, calls: [string, unknown[]][], size = 100): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < calls.length; i += size) out.push(...(await c.batch<T>(calls.slice(i, i + size))));
  return out;
}

/**
 * Sends one block's signed transactions to one node (automine for one, evm_mine for several)
 * and returns the receipts; `after` runs once they are all there.
 */
export async function mineOn(
  c: RpcClient,
  node: string,
  raws: string[],
  timestamp: number,
  names: string[],
  after?: () => Promise<void>,
): Promise<Json[]> {
  const multi = raws.length > 1;
  if (multi) await c.rpc("evm_setAutomine", [false]);
  else await c.rpc("evm_setNextBlockTimestamp", [timestamp]);
  const hashes: string[] = [];
  for (const [i, raw] of raws.entries()) {
    hashes.push(
      await c.rpc<string>("eth_sendRawTransaction", [raw]).catch((e: Error) => {
        throw new Error(`${names[i]}: ${e.message}`);
      }),
    );
  }
  if (multi) {
    await c.rpc("evm_setNextBlockTimestamp", [timestamp]);
    await c.rpc("evm_mine", []);
    await c.rpc("evm_setAutomine", [true]);
  }
  const out: Json[] = [];
  for (const [i, h] of hashes.entries()) out.push(await waitReceipt(c, h, names[i]!, node));
  await after?.();
  return out;
}

/** A transaction of the mix as sent. */
export interface SentMixTx {
  /** Position in the mix (0 to 199). */
  index: number;
  name: string;
  hash: string;
  /** The block it was mined in. */
  block: number;
  gasLimit: bigint;
  tx: MixTx;
}

/** One block of the mix, signed, for a node (or nodes) to mine. */
export interface MixBlockToMine {
  /** Its number (1, 2, …). */
  number: number;
  timestamp: number;
  txs: MixTx[];
  signed: SignedTx[];
  raws: string[];
  /** `transaction #i "name"`, for errors. */
  names: string[];
}

/**
 * Sends the whole mix: signs each block (nonces and addresses learnt as it goes) and has
 * `mine` mine it, which returns the block's receipts in order (those of the node whose
 * hashes and contract addresses the later transactions use).
 */
export async function sendMix(
  mine: (block: MixBlockToMine) => Promise<Json[]>,
): Promise<{ sent: SentMixTx[]; blocks: number }> {
  const nonces = devAccounts().map(() => 0n);
  const world = emptyWorld();
  const sent: SentMixTx[] = [];
  let timestamp = GENESIS_TIME;
  let number = 0;
  for (const block of await buildMix()) {
    timestamp += BLOCK_SECONDS;
    number++;
    const multi = block.length > 1;
    const signed: SignedTx[] = [];
    for (const [i, tx] of block.entries())
      signed.push(await signMixTx(tx, world, nonces, multi ? i : undefined));
    const names = block.map((tx, i) => `transaction #${sent.length + i} "${tx.name}"`);
    const receipts = await mine({
      number,
      timestamp,
      txs: block,
      signed,
      raws: signed.map((x) => x.raw),
      names,
    });
    for (const [i, tx] of block.entries()) {
      const r = receipts[i];
      if (r === undefined) throw new Error(`${names[i]}: no receipt`);
      sent.push({
        index: sent.length,
        name: tx.name,
        hash: String(r.transactionHash),
        block: number,
        gasLimit: signed[i]!.fields.gas,
        tx,
      });
      learn(world, tx, r);
    }
  }
  return { sent, blocks: number };
}
