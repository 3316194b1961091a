/**
 * State-test runner for the ethereum/tests and execution-spec-tests formats.
 *
 * A file holds named tests; each names a pre-state, an environment, a transaction with
 * lists of data/gas/value, and per fork a list of post conditions selecting one of each
 * (`indexes`) with the expected state root (`hash`), logs hash (`logs`) and, for invalid
 * transactions, `expectException`. One (test, fork, index) triple is one case.
 */
import { applyTransaction } from "../block/apply.js";
import { type BlobSchedule, blobBaseFee, blobScheduleFor } from "../block/blobs.js";
import { InvalidInputError, SondeError } from "../errors.js";
import type { BlockContext } from "../evm/context.js";
import { type Fork, findFork } from "../evm/forks.js";
import {
  type Address,
  bigintToBytes,
  bytesToHex,
  hexToBytes,
  parseAddress,
  parseBigInt,
} from "../primitives/hex.js";
import { keccak256 } from "../primitives/keccak.js";
import { rlpEncode } from "../primitives/rlp.js";
import { privateKeyToAddress } from "../primitives/secp256k1.js";
import { type AccountData, MemoryState, StateDB } from "../state/statedb.js";
import { BalanceChangeReason, type Hooks, type LogRecord } from "../tracing/hooks.js";
import type { AccessList, Authorization, Transaction } from "../tx/types.js";
import { FieldOutOfRangeError, TxValidationError } from "../tx/validate.js";

export interface CaseResult {
  test: string;
  fork: string;
  /** "d,g,v" indexes. */
  index: string;
  passed: boolean;
  /** What differed, with expected and actual values. */
  message?: string;
  stateRoot?: string;
}

export interface RunOptions {
  fork?: string;
  run?: RegExp;
  /** Hooks factory for tracing a case (--trace). */
  hooksFor?: (c: { test: string; fork: string; index: string }) => Hooks | null;
  /** Called after a traced case with its state root. */
  afterCase?: (r: CaseResult) => void;
}

type Json = Record<string, unknown>;

function obj(v: unknown, what: string): Json {
  if (v === null || typeof v !== "object" || Array.isArray(v))
    throw new InvalidInputError(`${what}: expected an object`);
  return v as Json;
}

function arr(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw new InvalidInputError(`${what}: expected an array`);
  return v;
}

export function parseAlloc(pre: unknown, what = "pre"): MemoryState {
  const state = new MemoryState();
  for (const [addr, raw] of Object.entries(obj(pre, what))) {
    const a = obj(raw, `${what}.${addr}`);
    const storage = new Map<bigint, bigint>();
    if (a.storage !== undefined) {
      for (const [k, v] of Object.entries(obj(a.storage, `${what}.${addr}.storage`))) {
        const value = parseBigInt(v, `${what}.${addr}.storage[${k}]`);
        if (value !== 0n) storage.set(parseBigInt(k, `${what}.${addr}.storage key`), value);
      }
    }
    const data: AccountData = {
      nonce: a.nonce === undefined ? 0n : parseBigInt(a.nonce, `${what}.${addr}.nonce`),
      balance: a.balance === undefined ? 0n : parseBigInt(a.balance, `${what}.${addr}.balance`),
      code: a.code === undefined ? new Uint8Array(0) : hexToBytes(a.code as string, `${what}.${addr}.code`),
      storage,
    };
    state.accounts.set(parseAddress(addr, `${what} address`), data);
  }
  return state;
}

/** BLOCKHASH in state tests: keccak256 of the block number's decimal string (as go-ethereum's runner). */
function testBlockHash(n: bigint): bigint {
  return BigInt(bytesToHex(keccak256(new TextEncoder().encode(n.toString()))));
}

function blockContext(env: Json, schedule: BlobSchedule, chainId: bigint): BlockContext {
  const num = (k: string, d = 0n) => (env[k] === undefined ? d : parseBigInt(env[k], `env.${k}`));
  const excess = num("currentExcessBlobGas");
  return {
    coinbase: parseAddress(env.currentCoinbase, "env.currentCoinbase"),
    number: num("currentNumber"),
    timestamp: num("currentTimestamp"),
    gasLimit: num("currentGasLimit"),
    difficulty: num("currentDifficulty"),
    prevRandao: env.currentRandom === undefined ? num("currentDifficulty") : num("currentRandom"),
    baseFee: num("currentBaseFee", 10n),
    blobBaseFee: blobBaseFee(excess, schedule),
    chainId,
    getBlockHash: testBlockHash,
  };
}

function parseAccessList(v: unknown, what: string): AccessList {
  return arr(v, what).map((e, i) => {
    const entry = obj(e, `${what}[${i}]`);
    return {
      address: parseAddress(entry.address, `${what}[${i}].address`),
      storageKeys: arr(entry.storageKeys ?? [], `${what}[${i}].storageKeys`).map((k) =>
        parseBigInt(k, `${what} key`),
      ),
    };
  });
}

function parseAuthorizations(v: unknown): Authorization[] {
  return arr(v, "transaction.authorizationList").map((e, i) => {
    const a = obj(e, `authorizationList[${i}]`);
    const w = `authorizationList[${i}]`;
    const parity = a.yParity ?? a.v;
    return {
      chainId: parseBigInt(a.chainId, `${w}.chainId`),
      address: parseAddress(a.address, `${w}.address`),
      nonce: parseBigInt(a.nonce, `${w}.nonce`),
      yParity: Number(parseBigInt(parity, `${w}.yParity`)),
      r: parseBigInt(a.r, `${w}.r`),
      s: parseBigInt(a.s, `${w}.s`),
    };
  });
}

/** Rejects fields that a transaction's encoding could not hold (the tests' "RLP_INVALID_VALUE"). */
function checkRanges(tx: Transaction): void {
  const check = (field: string, value: bigint, bits: number) => {
    if (value >= 1n << BigInt(bits)) throw new FieldOutOfRangeError(field, value, bits);
  };
  check("nonce", tx.nonce, 64);
  check("gasLimit", tx.gasLimit, 64);
  check("value", tx.value, 256);
  if (tx.type === 0 || tx.type === 1) check("gasPrice", tx.gasPrice, 256);
  else {
    check("maxFeePerGas", tx.maxFeePerGas, 256);
    check("maxPriorityFeePerGas", tx.maxPriorityFeePerGas, 256);
  }
}

/** Builds the transaction a post entry selects. */
function buildTx(t: Json, d: number, g: number, v: number, chainId: bigint): Transaction {
  const pick = (k: string, i: number) => {
    const list = arr(t[k], `transaction.${k}`);
    if (i < 0 || i >= list.length) throw new InvalidInputError(`transaction.${k}: no index ${i}`);
    return list[i];
  };
  const common = {
    nonce: parseBigInt(t.nonce, "transaction.nonce"),
    gasLimit: parseBigInt(pick("gasLimit", g), "transaction.gasLimit"),
    to: t.to === undefined || t.to === "" || t.to === null ? null : parseAddress(t.to, "transaction.to"),
    value: parseBigInt(pick("value", v), "transaction.value"),
    data: hexToBytes(pick("data", d) as string, "transaction.data"),
    r: 0n,
    s: 0n,
  };
  const accessLists = t.accessLists as unknown[] | undefined;
  const al = accessLists?.[d];
  const accessList =
    al === undefined || al === null ? undefined : parseAccessList(al, "transaction.accessLists");
  const typed = { ...common, chainId, accessList: accessList ?? [], yParity: 0 };
  if (t.authorizationList !== undefined) {
    return {
      ...typed,
      type: 4,
      maxFeePerGas: parseBigInt(t.maxFeePerGas, "transaction.maxFeePerGas"),
      maxPriorityFeePerGas: parseBigInt(t.maxPriorityFeePerGas, "transaction.maxPriorityFeePerGas"),
      authorizationList: parseAuthorizations(t.authorizationList),
    };
  }
  if (t.blobVersionedHashes !== undefined) {
    return {
      ...typed,
      type: 3,
      maxFeePerGas: parseBigInt(t.maxFeePerGas, "transaction.maxFeePerGas"),
      maxPriorityFeePerGas: parseBigInt(t.maxPriorityFeePerGas, "transaction.maxPriorityFeePerGas"),
      maxFeePerBlobGas: parseBigInt(t.maxFeePerBlobGas, "transaction.maxFeePerBlobGas"),
      blobVersionedHashes: arr(t.blobVersionedHashes, "transaction.blobVersionedHashes").map((h) =>
        hexToBytes(h as string, "blob versioned hash"),
      ),
    };
  }
  if (t.maxFeePerGas !== undefined) {
    return {
      ...typed,
      type: 2,
      maxFeePerGas: parseBigInt(t.maxFeePerGas, "transaction.maxFeePerGas"),
      maxPriorityFeePerGas: parseBigInt(t.maxPriorityFeePerGas, "transaction.maxPriorityFeePerGas"),
    };
  }
  const gasPrice = parseBigInt(t.gasPrice, "transaction.gasPrice");
  if (accessList !== undefined) return { ...typed, type: 1, gasPrice };
  return { ...common, type: 0, chainId: undefined, gasPrice, v: 27n };
}

function logsHash(logs: LogRecord[]): string {
  const enc = rlpEncode(
    logs.map((l) => [hexToBytes(l.address), l.topics.map((t) => bigintToBytes(t, 32)), l.data]),
  );
  return bytesToHex(keccak256(enc));
}

const senderCache = new Map<string, Address>();
function senderOf(t: Json): Address {
  if (typeof t.secretKey === "string") {
    let s = senderCache.get(t.secretKey);
    if (s === undefined) {
      s = privateKeyToAddress(hexToBytes(t.secretKey, "transaction.secretKey"));
      senderCache.set(t.secretKey, s);
    }
    return s;
  }
  if (typeof t.sender === "string") return parseAddress(t.sender, "transaction.sender");
  throw new InvalidInputError("transaction: neither secretKey nor sender given");
}

function blobScheduleOf(config: Json | undefined, fork: Fork, name: string): BlobSchedule {
  const base = blobScheduleFor(fork);
  const sched = config?.blobSchedule as Json | undefined;
  const entry = sched?.[name] as Json | undefined;
  if (!entry) return base;
  return {
    target: entry.target === undefined ? base.target : Number(parseBigInt(entry.target)),
    max: entry.max === undefined ? base.max : Number(parseBigInt(entry.max)),
    updateFraction:
      entry.baseFeeUpdateFraction === undefined
        ? base.updateFraction
        : parseBigInt(entry.baseFeeUpdateFraction),
  };
}

/** Runs every case of one parsed state-test file. */
export function runStateTestFile(content: unknown, opts: RunOptions = {}): CaseResult[] {
  const results: CaseResult[] = [];
  const wantFork = opts.fork === undefined ? undefined : findFork(opts.fork);
  if (opts.fork !== undefined && wantFork === undefined)
    throw new InvalidInputError(`unknown fork "${opts.fork}"`);
  for (const [name, rawTest] of Object.entries(obj(content, "file"))) {
    if (opts.run && !opts.run.test(name)) continue;
    const test = obj(rawTest, name);
    const env = obj(test.env, `${name}.env`);
    const txJson = obj(test.transaction, `${name}.transaction`);
    const config = test.config as Json | undefined;
    const chainId = config?.chainid !== undefined ? parseBigInt(config.chainid, "config.chainid") : 1n;
    let pre: MemoryState | undefined;
    for (const [forkKey, posts] of Object.entries(obj(test.post, `${name}.post`))) {
      const fork = findFork(forkKey);
      if (wantFork !== undefined && fork !== wantFork) continue;
      for (const [i, rawPost] of arr(posts, `${name}.post.${forkKey}`).entries()) {
        const post = obj(rawPost, `${name}.post.${forkKey}[${i}]`);
        const idx = obj(post.indexes, "indexes");
        const d = Number(idx.data);
        const g = Number(idx.gas);
        const v = Number(idx.value);
        const label = { test: name, fork: forkKey, index: `${d},${g},${v}` };
        if (fork === undefined) {
          results.push({ ...label, passed: false, message: `unknown fork "${forkKey}"` });
          continue;
        }
        try {
          pre ??= parseAlloc(test.pre, `${name}.pre`);
          results.push(runCase(label, fork, pre, env, txJson, post, chainId, config, opts));
        } catch (err) {
          if (!(err instanceof SondeError)) throw err;
          results.push({ ...label, passed: false, message: err.message });
        }
      }
    }
  }
  return results;
}

function runCase(
  label: { test: string; fork: string; index: string },
  fork: Fork,
  pre: MemoryState,
  env: Json,
  txJson: Json,
  post: Json,
  chainId: bigint,
  config: Json | undefined,
  opts: RunOptions,
): CaseResult {
  const [d, g, v] = label.index.split(",").map(Number) as [number, number, number];
  const schedule = blobScheduleOf(config, fork, label.fork);
  const block = blockContext(env, schedule, chainId);
  const state = new StateDB(pre);
  const expectException = typeof post.expectException === "string" ? post.expectException : undefined;
  let invalid: string | undefined;
  let logs: LogRecord[] = [];
  const hooks = opts.hooksFor?.(label) ?? null;
  try {
    const tx = buildTx(txJson, d, g, v, chainId);
    checkRanges(tx);
    const sender = senderOf(txJson);
    const r = applyTransaction(state, block, tx, sender, fork, hooks, {
      blockGasAvailable: block.gasLimit,
      maxBlobsPerBlock: schedule.max,
    });
    logs = r.logs;
  } catch (err) {
    if (!(err instanceof TxValidationError)) throw err;
    invalid = err.message;
    // As go-ethereum's runner: the coinbase is touched even when the transaction is invalid.
    state.beginTransaction();
    state.addBalance(block.coinbase, 0n, BalanceChangeReason.Unspecified);
    state.finalizeTransaction(fork >= 3);
  }
  const root = bytesToHex(state.stateRoot());
  const result: CaseResult = { ...label, passed: true, stateRoot: root };
  const problems: string[] = [];
  if (expectException !== undefined && invalid === undefined) {
    problems.push(`expected exception ${expectException}, but the transaction was valid`);
  } else if (expectException === undefined && invalid !== undefined) {
    problems.push(`unexpected invalid transaction: ${invalid}`);
  }
  const wantRoot = typeof post.hash === "string" ? post.hash.toLowerCase() : undefined;
  if (wantRoot !== undefined && wantRoot !== root)
    problems.push(`state root: expected ${wantRoot}, got ${root}`);
  const wantLogs = typeof post.logs === "string" ? post.logs.toLowerCase() : undefined;
  const gotLogs = logsHash(logs);
  if (wantLogs !== undefined && wantLogs !== gotLogs)
    problems.push(`logs hash: expected ${wantLogs}, got ${gotLogs}`);
  if (problems.length > 0) {
    result.passed = false;
    result.message = problems.join("; ");
  }
  opts.afterCase?.(result);
  return result;
}
