/**
 * Block-test runner for the ethereum/tests BlockchainTests format (as filled by retesteth
 * and execution-spec-tests), following go-ethereum's tests/block_test_util.go.
 *
 * For each test: the chain config comes from `network`; the genesis block is built from
 * `genesisBlockHeader` and `pre`, and its hash must match the header's `hash` and the
 * header inside `genesisRLP`, its state root the allocation's. Each entry of `blocks`
 * is imported from its `rlp` through the chain's validating path (decode, header
 * validation, body validation, processing). An entry with `expectException` (or without
 * `blockHeader`) must be rejected, at decoding or at import; any other must be accepted
 * and hash to its `blockHeader.hash`. Finally the head must be `lastblockhash` and the
 * head state must equal `postState` exactly (every account's balance, nonce, code and
 * storage, no account missing and none extra) or have the root `postStateHash`.
 *
 * Which exception an invalid block names is not compared (go-ethereum does not either):
 * any rejection counts, and the actual reason is reported when a valid block is refused.
 */
import { type Block, BlockDecodeError, decodeBlock, type Header, headerHash } from "../chain/block.js";
import { Blockchain } from "../chain/blockchain.js";
import { type ChainSpec, parseChainSpec } from "../chain/validate.js";
import { InvalidInputError, SondeError } from "../errors.js";
import { bytesToHex, hexToBytes, parseAddress, parseBigInt } from "../primitives/hex.js";
import { StateDB, type StateReader } from "../state/statedb.js";
import { parseAlloc } from "./statetest.js";

export interface BlockTestResult {
  test: string;
  passed: boolean;
  /** What went wrong. */
  message?: string;
  expected?: string;
  actual?: string;
}

export interface BlockTestOptions {
  run?: RegExp;
}

type Json = Record<string, unknown>;

function obj(v: unknown, what: string): Json {
  if (v === null || typeof v !== "object" || Array.isArray(v))
    throw new InvalidInputError(`${what}: expected an object`);
  return v as Json;
}

// ---------------------------------------------------------------------------
// Networks

const BLOCK_FORKS = [
  ["Frontier", undefined],
  ["Homestead", "homesteadBlock"],
  ["EIP150", "eip150Block"],
  ["EIP158", "eip158Block"],
  ["Byzantium", "byzantiumBlock"],
  ["Constantinople", "constantinopleBlock"],
  ["ConstantinopleFix", "petersburgBlock"],
  ["Istanbul", "istanbulBlock"],
  ["MuirGlacier", "muirGlacierBlock"],
  ["Berlin", "berlinBlock"],
  ["London", "londonBlock"],
  ["ArrowGlacier", "arrowGlacierBlock"],
  ["GrayGlacier", "grayGlacierBlock"],
] as const;
const TIME_FORKS = [
  ["Paris", undefined],
  ["Shanghai", "shanghaiTime"],
  ["Cancun", "cancunTime"],
  ["Prague", "pragueTime"],
  ["Osaka", "osakaTime"],
] as const;
const NAME_ALIASES: Record<string, string> = {
  Merge: "Paris",
  TangerineWhistle: "EIP150",
  SpuriousDragon: "EIP158",
  Petersburg: "ConstantinopleFix",
};
const MAINNET_DEPOSIT_CONTRACT = "0x00000000219ab540356cbb839cbe05303d7705fa";
const BLOB_SCHEDULES: Record<string, { target: number; max: number; baseFeeUpdateFraction: number }> = {
  cancun: { target: 3, max: 6, baseFeeUpdateFraction: 3338477 },
  prague: { target: 6, max: 9, baseFeeUpdateFraction: 5007716 },
  osaka: { target: 6, max: 9, baseFeeUpdateFraction: 5007716 },
};

/** go-ethereum's genesis config for a fork with everything up to it active at genesis. */
function forkConfig(name: string): Json | undefined {
  const fork = NAME_ALIASES[name] ?? name;
  const cfg: Json = { chainId: 1 };
  for (const [n, key] of BLOCK_FORKS) {
    if (key !== undefined) cfg[key] = 0;
    if (n === "EIP150") cfg.eip155Block = 0;
    if (n === fork) {
      // go-ethereum's tests name Constantinople with EIP-1283: Petersburg kept far off.
      if (n === "Constantinople") cfg.petersburgBlock = 10_000_000;
      return cfg;
    }
  }
  cfg.terminalTotalDifficulty = 0;
  const schedule: Json = {};
  for (const [n, key] of TIME_FORKS) {
    if (key !== undefined) cfg[key] = 0;
    const lower = n.toLowerCase();
    if (BLOB_SCHEDULES[lower] !== undefined) schedule[lower] = BLOB_SCHEDULES[lower];
    if (n === "Prague") cfg.depositContractAddress = MAINNET_DEPOSIT_CONTRACT;
    if (n === fork) {
      if (Object.keys(schedule).length > 0) cfg.blobSchedule = schedule;
      return cfg;
    }
  }
  return undefined;
}

/**
 * The chain spec for a test's `network`: a fork name (Cancun, Prague, EIP158, …), a
 * transition "AToBAt5" (B from block 5) / "AToBAtTime15k" (B from timestamp 15000), the
 * DAO fork "AToDaoAt5" (A's rules, daoForkBlock 5 supported: "HomesteadToDaoAt5"), or
 * the merge by total difficulty "AToParisAtDiffC0000" (terminal total difficulty 0xC0000).
 */
export function networkSpec(network: string): ChainSpec {
  let cfg = forkConfig(network);
  const diff = /^(\w+?)ToParisAtDiff([0-9A-Fa-f]+)$/.exec(network);
  if (cfg === undefined && diff !== null) {
    const base = forkConfig(diff[1]!);
    if (base !== undefined && base.terminalTotalDifficulty === undefined)
      cfg = { ...base, terminalTotalDifficulty: BigInt(`0x${diff[2]}`).toString() };
  }
  const m = /^(\w+?)To(\w+?)At(Time)?(\d+)(k?)$/.exec(network);
  if (cfg === undefined && m !== null) {
    const base = forkConfig(m[1]!);
    const next = forkConfig(m[2]!);
    if (base !== undefined && m[2] === "Dao" && m[3] === undefined && m[5] === "") {
      // The DAO fork (supported) at block N on top of a proof-of-work fork, as go-ethereum's tests/init.go.
      if (base.terminalTotalDifficulty === undefined)
        cfg = { ...base, daoForkBlock: Number(m[4]), daoForkSupport: true };
    } else if (base !== undefined && next !== undefined) {
      const at = Number(m[4]) * (m[5] === "k" ? 1000 : 1);
      cfg = { ...next };
      for (const k of Object.keys(next)) {
        if (base[k] === undefined && (k.endsWith("Block") || k.endsWith("Time"))) cfg[k] = at;
      }
      // Proof-of-stake from the transition on: a PoW-to-PoS network is not supported.
      if (base.terminalTotalDifficulty === undefined && next.terminalTotalDifficulty !== undefined)
        cfg = undefined;
    }
  }
  if (cfg === undefined) throw new InvalidInputError(`unsupported network "${network}"`);
  return parseChainSpec(cfg);
}

// ---------------------------------------------------------------------------
// JSON headers

function hash32(v: unknown, what: string): Uint8Array {
  const b = hexToBytes(String(v), what);
  if (b.length !== 32) throw new InvalidInputError(`${what}: expected 32 bytes, got ${b.length}`);
  return b;
}

/** A header from its JSON form (`genesisBlockHeader`, `blockHeader`). */
export function headerFromJson(raw: unknown, what: string): Header {
  const j = obj(raw, what);
  const num = (k: string) => parseBigInt(j[k], `${what}.${k}`);
  const h: Header = {
    parentHash: hash32(j.parentHash, `${what}.parentHash`),
    uncleHash: hash32(j.uncleHash, `${what}.uncleHash`),
    coinbase: parseAddress(j.coinbase, `${what}.coinbase`),
    stateRoot: hash32(j.stateRoot, `${what}.stateRoot`),
    transactionsRoot: hash32(j.transactionsTrie, `${what}.transactionsTrie`),
    receiptsRoot: hash32(j.receiptTrie, `${what}.receiptTrie`),
    logsBloom: hexToBytes(String(j.bloom), `${what}.bloom`),
    difficulty: num("difficulty"),
    number: num("number"),
    gasLimit: num("gasLimit"),
    gasUsed: num("gasUsed"),
    timestamp: num("timestamp"),
    extraData: hexToBytes(String(j.extraData ?? "0x"), `${what}.extraData`),
    mixHash: hash32(j.mixHash, `${what}.mixHash`),
    nonce: hexToBytes(String(j.nonce), `${what}.nonce`),
  };
  if (j.baseFeePerGas !== undefined) h.baseFeePerGas = num("baseFeePerGas");
  if (j.withdrawalsRoot !== undefined)
    h.withdrawalsRoot = hash32(j.withdrawalsRoot, `${what}.withdrawalsRoot`);
  if (j.blobGasUsed !== undefined) h.blobGasUsed = num("blobGasUsed");
  if (j.excessBlobGas !== undefined) h.excessBlobGas = num("excessBlobGas");
  if (j.parentBeaconBlockRoot !== undefined)
    h.parentBeaconBlockRoot = hash32(j.parentBeaconBlockRoot, `${what}.parentBeaconBlockRoot`);
  if (j.requestsHash !== undefined) h.requestsHash = hash32(j.requestsHash, `${what}.requestsHash`);
  return h;
}

// ---------------------------------------------------------------------------
// Running

class TestFailure extends SondeError {
  override name = "TestFailure";
  constructor(
    message: string,
    readonly expected?: string,
    readonly actual?: string,
  ) {
    super(message);
  }
}

function describe(err: unknown): string {
  if (err instanceof SondeError) return err.message;
  if (err instanceof Error) return `internal error: ${err.stack ?? err.message}`;
  return String(err);
}

function buildGenesis(test: Json, name: string): Block {
  const header = headerFromJson(test.genesisBlockHeader, `${name}.genesisBlockHeader`);
  const hash = bytesToHex(headerHash(header));
  const gh = obj(test.genesisBlockHeader, "genesisBlockHeader");
  if (typeof gh.hash === "string" && gh.hash.toLowerCase() !== hash) {
    throw new TestFailure("genesis block hash mismatch", gh.hash.toLowerCase(), hash);
  }
  let block: Block = { header, transactions: [], uncles: [] };
  if (header.withdrawalsRoot !== undefined) block.withdrawals = [];
  if (typeof test.genesisRLP === "string") {
    const decoded = decodeBlock(hexToBytes(test.genesisRLP, "genesisRLP"));
    const rlpHash = bytesToHex(headerHash(decoded.header));
    if (rlpHash !== hash) throw new TestFailure("genesisRLP hash mismatch", hash, rlpHash);
    block = decoded;
  }
  return block;
}

function headState(chain: Blockchain): StateReader {
  const s = chain.stateAt(chain.head.hash);
  if (s === undefined) throw new Error(`state of head ${chain.head.hash} is missing`);
  return s;
}

function checkPostState(chain: Blockchain, test: Json): void {
  if (typeof test.postStateHash === "string" && test.postState === undefined) {
    const root = bytesToHex(new StateDB(headState(chain)).stateRoot());
    const want = test.postStateHash.toLowerCase();
    if (root !== want) throw new TestFailure("post state root mismatch", want, root);
    return;
  }
  const expected = parseAlloc(test.postState, "postState");
  const actual = headState(chain);
  const problems: string[] = [];
  for (const [address, want] of expected.accounts) {
    const got = actual.getAccount(address);
    if (got === undefined) {
      problems.push(`${address}: missing`);
      continue;
    }
    if (got.balance !== want.balance)
      problems.push(`${address}: balance expected ${want.balance}, got ${got.balance}`);
    if (got.nonce !== want.nonce) problems.push(`${address}: nonce expected ${want.nonce}, got ${got.nonce}`);
    if (bytesToHex(got.code) !== bytesToHex(want.code))
      problems.push(`${address}: code expected ${bytesToHex(want.code)}, got ${bytesToHex(got.code)}`);
    const slots = new Set<bigint>([...want.storage.keys(), ...got.storage.keys()]);
    for (const k of slots) {
      const w = want.storage.get(k) ?? 0n;
      const g = got.storage.get(k) ?? 0n;
      if (w !== g)
        problems.push(
          `${address}: storage[0x${k.toString(16)}] expected 0x${w.toString(16)}, got 0x${g.toString(16)}`,
        );
    }
  }
  for (const [address] of actual.entries?.() ?? []) {
    if (!expected.accounts.has(address)) problems.push(`${address}: unexpected account`);
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 8).join("; ");
    const more = problems.length > 8 ? ` (and ${problems.length - 8} more)` : "";
    throw new TestFailure(`post state mismatch: ${shown}${more}`);
  }
}

function runOne(name: string, test: Json): BlockTestResult {
  const network = String(test.network);
  const spec = networkSpec(network);
  const genesis = buildGenesis(test, name);
  const chain = new Blockchain(spec, genesis, parseAlloc(test.pre, `${name}.pre`));
  const blocks = test.blocks;
  if (!Array.isArray(blocks)) throw new InvalidInputError(`${name}.blocks: expected an array`);
  for (const [i, raw] of blocks.entries()) {
    const b = obj(raw, `${name}.blocks[${i}]`);
    const expectInvalid = b.expectException !== undefined || b.blockHeader === undefined;
    const label = `block ${i}${b.blocknumber !== undefined ? ` (number ${b.blocknumber})` : ""}`;
    let block: Block;
    try {
      block = decodeBlock(hexToBytes(String(b.rlp), `${name}.blocks[${i}].rlp`));
    } catch (err) {
      if (expectInvalid && (err instanceof BlockDecodeError || err instanceof InvalidInputError)) continue;
      throw new TestFailure(`${label}: RLP decoding failed: ${describe(err)}`);
    }
    try {
      chain.insertBlock(block);
    } catch (err) {
      if (expectInvalid && err instanceof SondeError && !(err instanceof TestFailure)) continue;
      throw new TestFailure(`${label}: valid block rejected`, "accepted", describe(err));
    }
    if (expectInvalid) {
      throw new TestFailure(
        `${label}: accepted but should have been rejected`,
        String(b.expectException ?? "rejection"),
        "accepted",
      );
    }
    const bh = obj(b.blockHeader, `${name}.blocks[${i}].blockHeader`);
    const got = bytesToHex(headerHash(block.header));
    if (typeof bh.hash === "string" && bh.hash.toLowerCase() !== got) {
      throw new TestFailure(`${label}: block hash differs from blockHeader.hash`, bh.hash.toLowerCase(), got);
    }
  }
  const want = String(test.lastblockhash).toLowerCase();
  const wantHash = want.startsWith("0x") ? want : `0x${want}`;
  if (chain.head.hash !== wantHash) {
    throw new TestFailure("last block hash mismatch", wantHash, chain.head.hash);
  }
  checkPostState(chain, test);
  return { test: name, passed: true };
}

/** Runs every test of one parsed BlockchainTests file. */
export function runBlockTestFile(content: unknown, opts: BlockTestOptions = {}): BlockTestResult[] {
  const results: BlockTestResult[] = [];
  for (const [name, raw] of Object.entries(obj(content, "file"))) {
    if (opts.run && !opts.run.test(name)) continue;
    try {
      results.push(runOne(name, obj(raw, name)));
    } catch (err) {
      const r: BlockTestResult = { test: name, passed: false, message: describe(err) };
      if (err instanceof TestFailure) {
        if (err.expected !== undefined) r.expected = err.expected;
        if (err.actual !== undefined) r.actual = err.actual;
      }
      results.push(r);
    }
  }
  return results;
}
