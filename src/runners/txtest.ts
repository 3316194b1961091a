/**
 * Runner for ethereum/tests TransactionTests. A file maps test names to
 * `{ txbytes, result: { <fork>: { hash, sender, intrinsicGas } | { exception } } }`.
 * A case is one (test, fork) pair. It passes when an expected exception coincides with a
 * rejection (by decoding, stateless validation or sender recovery; the kind need not
 * match), and otherwise when hash, sender and intrinsic gas all equal the expected ones.
 *
 * Problems with the input (unreadable or malformed JSON, unknown fork names, missing
 * fields) are reported as failures of the case, file or test they concern; nothing here
 * throws for bad input.
 */
import { readFileSync } from "node:fs";
import { Fork, findFork } from "../evm/forks.js";
import { bytesToHex, hexToBytes, parseBigInt } from "../primitives/hex.js";
import { decodeTransaction, txHash } from "../tx/decode.js";
import { recoverSender } from "../tx/sender.js";
import type { Transaction } from "../tx/types.js";
import { validateTransaction } from "../tx/validate.js";

/** TransactionTests are filled for chain id 1. */
export const TXTEST_CHAIN_ID = 1n;

export interface TxTestFailure {
  file: string;
  /** Test name, absent when the whole file failed (unreadable, malformed JSON). */
  test?: string;
  fork?: string;
  message: string;
  expected?: string;
  actual?: string;
}

export interface TxTestSummary {
  passed: number;
  failed: number;
  failures: TxTestFailure[];
}

export interface TxTestOptions {
  /** Only cases whose id `<test>/<fork>` matches. */
  filter?: RegExp;
}

interface Outcome {
  ok: true;
  hash: string;
  sender: string;
  intrinsicGas: bigint;
}
interface Rejection {
  ok: false;
  error: string;
}

function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function normHex(v: unknown): string | undefined {
  if (typeof v !== "string") return undefined;
  const s = v.toLowerCase();
  return s.startsWith("0x") ? s : `0x${s}`;
}

/** Runs one (decoded) transaction in one fork: validation, sender, hash. */
function runCase(
  tx: Transaction,
  fork: Fork,
  senderCache: Map<boolean, string | Error>,
): Outcome | Rejection {
  let gas: bigint;
  try {
    gas = validateTransaction(tx, fork, { chainId: TXTEST_CHAIN_ID }).gas;
  } catch (err) {
    return { ok: false, error: describeError(err) };
  }
  // Sender recovery is slow (~1 ms) and depends on the fork only through the EIP-2 rule.
  const key = fork >= Fork.Homestead;
  let sender = senderCache.get(key);
  if (sender === undefined) {
    try {
      sender = recoverSender(tx, fork);
    } catch (err) {
      sender = err instanceof Error ? err : new Error(String(err));
    }
    senderCache.set(key, sender);
  }
  if (sender instanceof Error) return { ok: false, error: describeError(sender) };
  return { ok: true, hash: bytesToHex(txHash(tx)), sender, intrinsicGas: gas };
}

/** Runs the tests of one parsed file. */
export function runTxTestJson(json: unknown, file: string, opts: TxTestOptions = {}): TxTestSummary {
  const summary: TxTestSummary = { passed: 0, failed: 0, failures: [] };
  const fail = (f: TxTestFailure) => {
    summary.failed++;
    summary.failures.push(f);
  };
  if (!isObject(json)) {
    fail({ file, message: "not a TransactionTests file: top level is not an object" });
    return summary;
  }
  for (const [test, body] of Object.entries(json)) {
    if (!isObject(body) || !isObject(body.result)) {
      if (!opts.filter || opts.filter.test(test))
        fail({ file, test, message: "test has no `result` object" });
      continue;
    }
    const forks = Object.entries(body.result).filter(
      ([fork]) => !opts.filter || opts.filter.test(`${test}/${fork}`),
    );
    if (forks.length === 0) continue;

    let decoded: Transaction | undefined;
    let decodeFailure: Rejection | undefined;
    let raw: Uint8Array;
    try {
      raw = hexToBytes(body.txbytes as string, "txbytes");
    } catch (err) {
      // A fixture problem (missing or non-hex txbytes), not a transaction the client rejects.
      const message = typeof body.txbytes === "string" ? describeError(err) : "test has no `txbytes` string";
      for (const [fork] of forks) fail({ file, test, fork, message });
      continue;
    }
    try {
      decoded = decodeTransaction(raw);
    } catch (err) {
      decodeFailure = { ok: false, error: describeError(err) };
    }
    const senderCache = new Map<boolean, string | Error>();

    for (const [forkKey, expected] of forks) {
      const fork = findFork(forkKey);
      if (fork === undefined) {
        fail({ file, test, fork: forkKey, message: `unknown fork name "${forkKey}"` });
        continue;
      }
      if (!isObject(expected)) {
        fail({ file, test, fork: forkKey, message: "expected result is not an object" });
        continue;
      }
      const outcome: Outcome | Rejection =
        decoded === undefined ? decodeFailure! : runCase(decoded, fork, senderCache);

      if (expected.exception !== undefined) {
        if (outcome.ok) {
          fail({
            file,
            test,
            fork: forkKey,
            message: "expected the transaction to be rejected, but it was accepted",
            expected: `exception ${String(expected.exception)}`,
            actual: `sender ${outcome.sender}, hash ${outcome.hash}, intrinsicGas ${outcome.intrinsicGas}`,
          });
        } else {
          summary.passed++;
        }
        continue;
      }

      const wantHash = normHex(expected.hash);
      const wantSender = normHex(expected.sender);
      let wantGas: bigint;
      try {
        wantGas = parseBigInt(expected.intrinsicGas, "intrinsicGas");
      } catch (err) {
        fail({ file, test, fork: forkKey, message: `bad expectation: ${describeError(err)}` });
        continue;
      }
      if (wantHash === undefined || wantSender === undefined) {
        fail({
          file,
          test,
          fork: forkKey,
          message: "expected result has neither `exception` nor `hash` and `sender`",
        });
        continue;
      }
      if (!outcome.ok) {
        fail({
          file,
          test,
          fork: forkKey,
          message: "transaction was rejected, but expected valid",
          expected: `sender ${wantSender}, hash ${wantHash}, intrinsicGas ${wantGas}`,
          actual: outcome.error,
        });
        continue;
      }
      const diffs: string[] = [];
      const exp: string[] = [];
      const act: string[] = [];
      if (outcome.hash !== wantHash) {
        diffs.push("hash");
        exp.push(`hash ${wantHash}`);
        act.push(`hash ${outcome.hash}`);
      }
      if (outcome.sender !== wantSender) {
        diffs.push("sender");
        exp.push(`sender ${wantSender}`);
        act.push(`sender ${outcome.sender}`);
      }
      if (outcome.intrinsicGas !== wantGas) {
        diffs.push("intrinsicGas");
        exp.push(`intrinsicGas ${wantGas}`);
        act.push(`intrinsicGas ${outcome.intrinsicGas}`);
      }
      if (diffs.length === 0) summary.passed++;
      else
        fail({
          file,
          test,
          fork: forkKey,
          message: `${diffs.join(", ")} mismatch`,
          expected: exp.join(", "),
          actual: act.join(", "),
        });
    }
  }
  return summary;
}

/** Reads and runs one file; an unreadable or malformed file is one failure. */
export function runTxTestFile(file: string, opts: TxTestOptions = {}): TxTestSummary {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    return { passed: 0, failed: 1, failures: [{ file, message: `cannot read file: ${msg}` }] };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    return { passed: 0, failed: 1, failures: [{ file, message: `malformed JSON: ${msg}` }] };
  }
  return runTxTestJson(json, file, opts);
}
