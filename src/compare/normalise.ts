/**
 * Normalisation of debug_trace* results from other Ethereum implementations into
 * go-ethereum's form, so that two JSON-RPC endpoints (or an endpoint and Sonde) can be
 * compared as JSON values.
 *
 * Each rule is one known, explained departure of an implementation from go-ethereum: it has
 * a `name`, a `reason` (what the implementation does, what go-ethereum does, where in
 * go-ethereum's source), the implementation and tracer it applies to, and an `apply`
 * function that rewrites that implementation's result. Rules only ever read the same side's
 * data (through NormaliseSource: its own callTracer and prestateTracer results, its own
 * state), never the other side's answer, so they cannot make a wrong result match.
 *
 * Where a value cannot be derived from the implementation's own output, a rule leaves the
 * field out of the comparison with ctx.ignore(path); callers drop those paths on both sides
 * (dropPaths) before comparing. normaliseTrace returns the rewritten value, the names of
 * the rules that changed something or ignored a field (for a report), and the ignored paths.
 *
 * Today the rules cover revm-inspectors (the tracers of anvil and reth), as measured against
 * anvil 1.7.1 on Prague.
 */
import { nextBaseFee } from "../chain/validate.js";
import type { Address } from "../primitives/hex.js";
import { keccak256 } from "../primitives/keccak.js";
import type { TraceConfig } from "../tracers/types.js";
import { recoverAuthority } from "../tx/sender.js";

type Json = Record<string, unknown>;

/** A path into a JSON value: object keys and array indexes, from the result's root. */
export type JsonPath = (string | number)[];

/** Implementations with known departures from go-ethereum's tracer output. */
export type Implementation = "revm-inspectors";

/** The tracer a result comes from; "structLogger" is the default tracer (no `tracer` name). */
export type TracerKind = "4byteTracer" | "callTracer" | "prestateTracer" | "structLogger";

/** What a rule may ask about the traced transaction (or call), on the side being normalised. */
export interface NormaliseSource {
  /** The transaction's (or call's) gas limit, as sent. */
  gasLimit: bigint;
  /** The same side's callTracer result for the same transaction or call. */
  callFrames: () => Promise<Json>;
  /** The same side's (non-diff) prestateTracer result for the same transaction or call. */
  plainPrestate: () => Promise<Json>;
  /** Whether `address` exists (is non-empty) in the same side's state after the transaction or call. */
  existsAfter: (address: string) => Promise<boolean>;
  /**
   * Whether `address` is a precompile at the traced block (default: Prague's, 0x01 to 0x11).
   * Precompile calls are left out of go-ethereum's 4byteTracer.
   */
  isPrecompile?: (address: string) => boolean;
  /** The same side's receipt of a mined transaction (gasUsed, cumulativeGasUsed); absent for calls. */
  receipt?: () => Promise<Json | null>;
  /**
   * The same side's eth_getTransactionByHash answer (to, authorizationList); absent for calls.
   */
  transaction?: () => Promise<Json | null>;
  /** The code of `address` in the same side's state after the transaction (hex). */
  codeAfter?: (address: string) => Promise<string>;
}

/** The context a rule's apply gets: the source plus ignore(). */
export interface NormaliseContext extends NormaliseSource {
  isPrecompile: (address: string) => boolean;
  /** Leaves a field out of the comparison on both sides (path from the result's root). */
  ignore: (path: JsonPath) => void;
}

export interface NormalisationRule {
  name: string;
  reason: string;
  implementation: Implementation;
  tracer: TracerKind;
  /** A further condition on the tracer's options (e.g. prestateTracer's diffMode). */
  when?: (tracerConfig: Json) => boolean;
  apply: (result: unknown, ctx: NormaliseContext) => Promise<unknown> | unknown;
}

export interface NormaliseResult {
  value: unknown;
  /** Names of the rules that changed the value or left a field out, in the order they ran. */
  applied: string[];
  /** Paths to leave out of the comparison on both sides (see dropPaths). */
  ignored: JsonPath[];
}

/** The tracer kind of a debug_trace* configuration. */
export function tracerKind(config: TraceConfig): TracerKind | string {
  if (config.tracer === undefined || config.tracer === "") return "structLogger";
  return config.tracer;
}

// ---------------------------------------------------------------------------------------

const ZERO_HASH = `0x${"0".repeat(64)}`;
const keccakHex = (hex: string) =>
  `0x${Buffer.from(keccak256(Buffer.from(hex.slice(2), "hex"))).toString("hex")}`;

/** Prague's precompiles: 0x01 to 0x11. */
function isPraguePrecompile(address: string): boolean {
  const a = BigInt(address);
  return a >= 1n && a <= 0x11n;
}

/** An account in a prestateTracer result that did not exist (go-ethereum's `!exists()`). */
function isEmptyAccount(a: Json): boolean {
  const code = typeof a.code === "string" ? a.code : "0x";
  return (a.balance === undefined || BigInt(a.balance as string) === 0n) && !a.nonce && code === "0x";
}

/** Adds go-ethereum's codeHash to every account of a prestate map that has code. */
function withCodeHashes(accounts: Json): Json {
  const out: Json = {};
  for (const [addr, raw] of Object.entries(accounts)) {
    const a = raw as Json;
    out[addr] = typeof a.code === "string" && a.code !== "0x" ? { ...a, codeHash: keccakHex(a.code) } : a;
  }
  return out;
}

/** revm InstructionResult names in callTracer `error` fields, with go-ethereum's text. */
export const CALL_ERRORS: Record<string, string> = {
  StateChangeDuringStaticCall: "out of gas: write protection",
  CreateCollision: "contract address collision",
  CreateContractStartingWithEF: "invalid code: must not begin with 0xef",
  CreateContractSizeLimit: "max code size exceeded",
};

const EMPTY_CODE_HASH = "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470";

/** A copy of a callTracer frame tree with `fix` applied to every frame. */
function mapFrames(frame: Json, fix: (f: Json) => Json): Json {
  const out = fix({ ...frame });
  if (Array.isArray(frame.calls)) out.calls = (frame.calls as Json[]).map((c) => mapFrames(c, fix));
  return out;
}

/** Visits every frame of a callTracer result with its path from the root. */
function forEachFrame(frame: Json, visit: (f: Json, path: JsonPath) => void, path: JsonPath = []): void {
  visit(frame, path);
  (Array.isArray(frame.calls) ? (frame.calls as Json[]) : []).forEach((c, i) => {
    forEachFrame(c, visit, [...path, "calls", i]);
  });
}

/** An account of a prestate map, whatever the case of its address key. */
function findAccount(accounts: Json, address: string): Json | undefined {
  const want = address.toLowerCase();
  for (const [k, v] of Object.entries(accounts)) if (k.toLowerCase() === want) return v as Json;
  return undefined;
}

/** Is a prestateTracer result in diff form ({pre, post})? */
function isDiff(r: Json): boolean {
  return typeof r.pre === "object" && typeof r.post === "object" && Object.keys(r).length === 2;
}

/** Selectors ("0x12345678-N" keys) of calls into precompiles, from callTracer frames. */
function precompileEntries(
  frame: Json,
  isPrecompile: (a: string) => boolean,
  out: Map<string, number>,
): Map<string, number> {
  const input = typeof frame.input === "string" ? frame.input : "0x";
  if (typeof frame.to === "string" && isPrecompile(frame.to) && input.length >= 10) {
    const key = `${input.slice(0, 10)}-${(input.length - 10) / 2}`;
    out.set(key, (out.get(key) ?? 0) + 1);
  }
  for (const c of (frame.calls ?? []) as Json[]) precompileEntries(c, isPrecompile, out);
  return out;
}

/** revm InstructionResult names in struct-log `error` fields, with go-ethereum's text (null: no error). */
export const STRUCTLOG_ERRORS: Record<string, string | null> = {
  "Some(OutOfGas)": "out of gas",
  "Some(ReentrancySentryOOG)": "out of gas: not enough gas for reentrancy sentry",
  "Some(StateChangeDuringStaticCall)": "out of gas: write protection",
  "Some(InvalidFEOpcode)": null,
};

const word64 = (v: string) => `0x${BigInt(v).toString(16).padStart(64, "0")}`;

const REVM = "revm-inspectors" as const;

/** revm-inspectors' known departures from go-ethereum, in the order they are applied. */
export const REVM_INSPECTORS_RULES: NormalisationRule[] = [
  {
    name: "4byte-precompiles",
    reason:
      "revm-inspectors' FourByteInspector counts calls into precompiles; go-ethereum's 4byteTracer " +
      "skips them (fourByteTracer.isPrecompiled in eth/tracers/native/4byte.go), so the entries of " +
      "precompile calls are removed. Which entries those are is decided from the same side's own " +
      "callTracer frames.",
    implementation: REVM,
    tracer: "4byteTracer",
    apply: async (result, ctx) => {
      const drop = precompileEntries(await ctx.callFrames(), ctx.isPrecompile, new Map());
      const copy = { ...(result as Record<string, number>) };
      for (const [k, n] of drop) {
        if (copy[k] === undefined) continue;
        copy[k] -= n;
        if (copy[k]! <= 0) delete copy[k];
      }
      return copy;
    },
  },
  {
    name: "call-root-gas",
    reason:
      "revm-inspectors gives the top call frame the gas left after intrinsic gas; go-ethereum's " +
      "callTracer reports the transaction's gas limit there (callTracer.OnTxStart keeps tx.Gas() " +
      "and OnEnter at depth 0 uses it). The root frame's gas is set to the gas limit sent.",
    implementation: REVM,
    tracer: "callTracer",
    apply: (result, ctx) => ({ ...(result as Json), gas: `0x${ctx.gasLimit.toString(16)}` }),
  },
  {
    name: "call-failed-root-logs",
    reason:
      "with withLog, revm-inspectors drops the logs of failed sub-calls but keeps those of a failed " +
      "top-level call; go-ethereum's clearFailedLogs (eth/tracers/native/call.go) clears the logs of " +
      "every failed frame, the root included. Logs are removed from the root frame when it has an error.",
    implementation: REVM,
    tracer: "callTracer",
    apply: (result) => {
      const r = result as Json;
      if (r.error === undefined || r.logs === undefined) return r;
      const { logs: _, ...rest } = r;
      return rest;
    },
  },
  {
    name: "call-error-text",
    reason:
      "revm-inspectors writes some frame errors as revm's InstructionResult name; they are mapped to " +
      "go-ethereum's error text (CALL_ERRORS). StateChangeDuringStaticCall is go-ethereum's " +
      "ErrWriteProtection, which since go-ethereum #33281 (Jan 2026) is raised by the gas functions and " +
      'so wrapped by the interpreter as "out of gas: write protection" (core/vm/interpreter.go, ' +
      "gas_table.go); CreateCollision, CreateContractStartingWithEF and CreateContractSizeLimit are " +
      "ErrContractAddressCollision, ErrInvalidCode and ErrMaxCodeSizeExceeded (core/vm/errors.go).",
    implementation: REVM,
    tracer: "callTracer",
    apply: (result) =>
      mapFrames(result as Json, (f) => {
        const text = typeof f.error === "string" ? CALL_ERRORS[f.error] : undefined;
        return text === undefined ? f : { ...f, error: text };
      }),
  },
  {
    name: "call-root-gas-used-cumulative",
    reason:
      "anvil builds the callTracer result of a mined transaction with the receipt's cumulativeGasUsed " +
      "as the root frame's gasUsed (crates/anvil/src/eth/backend/mem/mod.rs, geth_call_traces), so a " +
      "transaction after the first in its block shows the gas of the block so far; go-ethereum's " +
      "callTracer reports the transaction's own gas used (callTracer.OnTxEnd takes receipt.GasUsed). " +
      "When the root's gasUsed equals the same side's receipt cumulativeGasUsed (and that differs from " +
      "its gasUsed), the receipt's gasUsed is put there.",
    implementation: REVM,
    tracer: "callTracer",
    apply: async (result, ctx) => {
      const r = result as Json;
      const receipt = ctx.receipt === undefined ? null : await ctx.receipt();
      if (receipt === null || typeof r.gasUsed !== "string") return r;
      if (receipt.cumulativeGasUsed === undefined || receipt.gasUsed === undefined) return r;
      const cumulative = String(receipt.cumulativeGasUsed);
      const own = String(receipt.gasUsed);
      if (BigInt(r.gasUsed) !== BigInt(cumulative) || BigInt(cumulative) === BigInt(own)) return r;
      return { ...r, gasUsed: own };
    },
  },
  {
    name: "call-precompile-error",
    reason:
      'revm-inspectors reports every failed precompile call as "precompiled failed"; go-ethereum ' +
      'reports the precompile\'s own error (e.g. "invalid input length", "bad elliptic curve pairing ' +
      'size", "mismatched versioned hash", core/vm/contracts.go). The text cannot be derived from the ' +
      "trace, so the error of those frames is left out of the comparison (that they failed, their gas " +
      "and everything else are still compared).",
    implementation: REVM,
    tracer: "callTracer",
    apply: (result, ctx) => {
      forEachFrame(result as Json, (f, path) => {
        if (f.error === "precompiled failed") ctx.ignore([...path, "error"]);
      });
      return result;
    },
  },
  {
    name: "call-create-out-of-gas",
    reason:
      'revm-inspectors reports a creation that cannot pay for storing its code as "out of gas", like ' +
      "running out of gas in the init code; go-ethereum tells them apart (ErrCodeStoreOutOfGas, " +
      '"contract creation code storage out of gas", core/vm/evm.go initNewContract). The trace does ' +
      'not show which it was, so the error of CREATE/CREATE2 frames that report "out of gas" is left ' +
      "out of the comparison (gas, output and the rest are still compared).",
    implementation: REVM,
    tracer: "callTracer",
    apply: (result, ctx) => {
      forEachFrame(result as Json, (f, path) => {
        if ((f.type === "CREATE" || f.type === "CREATE2") && f.error === "out of gas") {
          ctx.ignore([...path, "error"]);
        }
      });
      return result;
    },
  },
  {
    name: "prestate-7702-lookups",
    reason:
      "for a transaction with an EIP-7702 authorization list, go-ethereum's prestateTracer.OnTxStart " +
      "looks up every authority whose signature recovers (whether or not the authorization is then " +
      "valid) and the delegation target the recipient's code designates before the authorizations are " +
      "applied; revm-inspectors lists what execution loaded: the authorities of applied authorizations " +
      "and the targets set by this transaction. Which authorizations apply and what a target held cannot " +
      "all be told from the trace, so the entries of the authorities, of the authorization targets and of " +
      "the recipient's previous target are left out of the comparison (sender, recipient and coinbase are " +
      "always compared).",
    implementation: REVM,
    tracer: "prestateTracer",
    apply: async (result, ctx) => {
      const tx = ctx.transaction === undefined ? null : await ctx.transaction();
      const auths = (tx?.authorizationList ?? []) as Json[];
      if (tx === null || auths.length === 0) return result;
      const keep = new Set(
        [tx.from, tx.to].filter((a) => typeof a === "string").map((a) => String(a).toLowerCase()),
      );
      const drop = new Set<string>();
      for (const a of auths) {
        drop.add(String(a.address).toLowerCase());
        const authority = recoverAuthority({
          chainId: BigInt(String(a.chainId)),
          address: String(a.address).toLowerCase() as Address,
          nonce: BigInt(String(a.nonce)),
          yParity: Number(BigInt(String(a.yParity ?? a.v))),
          r: BigInt(String(a.r)),
          s: BigInt(String(a.s)),
        });
        if (authority !== null) drop.add(authority);
      }
      const plain = await ctx.plainPrestate();
      const toCode = typeof tx.to === "string" ? findAccount(plain, tx.to)?.code : undefined;
      if (typeof toCode === "string" && toCode.length === 48 && toCode.startsWith("0xef0100")) {
        drop.add(`0x${toCode.slice(8)}`.toLowerCase());
      }
      const r = result as Json;
      const diff = isDiff(r);
      for (const addr of drop) {
        if (keep.has(addr)) continue;
        if (diff) {
          ctx.ignore(["pre", addr]);
          ctx.ignore(["post", addr]);
        } else ctx.ignore([addr]);
      }
      return result;
    },
  },
  {
    name: "prestate-out-of-gas-slot",
    reason:
      "revm loads a storage slot before charging SLOAD's or SSTORE's gas, so revm-inspectors lists the " +
      "slot of an instruction that then ran out of gas; go-ethereum's prestateTracer skips an " +
      "instruction whose gas check failed (OnOpcode returns on err). Which slot that was is not in the " +
      "trace, so in the plain prestate the storage slots of the account whose storage an out-of-gas frame " +
      "(the same side's callTracer) used are left out of the comparison; its balance, nonce and code are " +
      "still compared.",
    implementation: REVM,
    tracer: "prestateTracer",
    when: (cfg) => cfg.diffMode !== true,
    apply: async (result, ctx) => {
      const accounts = new Set<string>();
      forEachFrame(await ctx.callFrames(), (f) => {
        if (f.error !== "out of gas") return;
        const owner = f.type === "DELEGATECALL" || f.type === "CALLCODE" ? f.from : f.to;
        if (typeof owner === "string") accounts.add(owner.toLowerCase());
      });
      for (const [addr, acc] of Object.entries(result as Json)) {
        if (!accounts.has(addr.toLowerCase())) continue;
        for (const slot of Object.keys(((acc as Json).storage ?? {}) as Json))
          ctx.ignore([addr, "storage", slot]);
      }
      return result;
    },
  },
  {
    name: "prestate-empty-accounts",
    reason:
      "revm-inspectors lists accounts that did not exist before the transaction (fresh recipients, " +
      "precompiles, contracts about to be created) as {balance: 0x0}; go-ethereum drops accounts " +
      "that were empty before execution (prestateTracer.OnTxEnd, unless includeEmpty). They are " +
      "removed from the (pre) result.",
    implementation: REVM,
    tracer: "prestateTracer",
    apply: (result) => {
      const r = result as Json;
      const prune = (accounts: Json) =>
        Object.fromEntries(Object.entries(accounts).filter(([, a]) => !isEmptyAccount(a as Json)));
      if (isDiff(r)) return { ...r, pre: prune(r.pre as Json) };
      return prune(r);
    },
  },
  {
    name: "prestate-codehash",
    reason:
      "go-ethereum's prestateTracer gives every account with code its codeHash (and, in diffMode, " +
      "the new codeHash in post when it changed); revm-inspectors has no codeHash field. It is " +
      "added as keccak256 of the code the same result reports.",
    implementation: REVM,
    tracer: "prestateTracer",
    apply: (result) => {
      const r = result as Json;
      if (isDiff(r)) return { pre: withCodeHashes(r.pre as Json), post: withCodeHashes(r.post as Json) };
      return withCodeHashes(r);
    },
  },
  {
    name: "prestate-diff-missing-account",
    reason:
      "in diffMode, go-ethereum compares each looked-up account's code hash after the transaction " +
      "(StateDB.GetCodeHash: the zero hash for an account that does not exist) with the empty-code " +
      "hash it assumes before, so an account that exists neither before nor after (and did not " +
      "self-destruct) appears in post as {codeHash: 0x00…00}. revm-inspectors has no such entry. " +
      "This includes precompiles a call touched: go-ethereum creates the account, touches it and " +
      "deletes it again as empty at Finalise, which runs before OnTxEnd (core.ApplyTransactionWithEVM). " +
      "The entry is added for the accounts the same side's plain prestateTracer lists as empty, that " +
      "its diff leaves out of post, that its state says do not exist afterwards, and that its call " +
      "frames do not show self-destructing.",
    implementation: REVM,
    tracer: "prestateTracer",
    when: (cfg) => cfg.diffMode === true,
    apply: async (result, ctx) => {
      const r = result as { pre: Json; post: Json };
      const plain = await ctx.plainPrestate();
      const candidates = Object.entries(plain)
        .filter(([a, acc]) => isEmptyAccount(acc as Json) && !(a in r.post))
        .map(([a]) => a);
      if (candidates.length === 0) return r;
      const destroyed = new Set<string>();
      const walk = (f: Json) => {
        if (f.type === "SELFDESTRUCT" && typeof f.from === "string") destroyed.add(f.from.toLowerCase());
        for (const c of (f.calls ?? []) as Json[]) walk(c);
      };
      walk(await ctx.callFrames());
      const post = { ...r.post };
      for (const addr of candidates) {
        if (destroyed.has(addr.toLowerCase()) || (await ctx.existsAfter(addr))) continue;
        post[addr] = { codeHash: ZERO_HASH };
      }
      return { ...r, post };
    },
  },
  {
    name: "prestate-diff-cleared-code",
    reason:
      "in diffMode, go-ethereum puts an account's new code in post whenever it changed, an empty one " +
      'included ("code": "0x" with the empty-code codeHash, e.g. when EIP-7702 clears a delegation; ' +
      "processDiffState in eth/tracers/native/prestate.go); revm-inspectors leaves code out of post when " +
      "it became empty. For accounts with code in pre and none in post, whose code the same side's state " +
      "shows empty afterwards, the empty code and its hash are added to post.",
    implementation: REVM,
    tracer: "prestateTracer",
    when: (cfg) => cfg.diffMode === true,
    apply: async (result, ctx) => {
      const r = result as { pre: Json; post: Json };
      if (ctx.codeAfter === undefined) return r;
      let post: Json | undefined;
      for (const [addr, acc] of Object.entries(r.pre)) {
        const before = (acc as Json).code;
        const after = r.post[addr] as Json | undefined;
        if (typeof before !== "string" || before === "0x" || after === undefined || after.code !== undefined)
          continue;
        if ((await ctx.codeAfter(addr)) !== "0x") continue;
        post ??= { ...r.post };
        post[addr] = { ...after, code: "0x", codeHash: EMPTY_CODE_HASH };
      }
      return post === undefined ? r : { ...r, post };
    },
  },
  {
    name: "structlog-refund-after-sstore-gas",
    reason:
      "go-ethereum reads the refund counter for an entry after the instruction's dynamic gas, and " +
      "SSTORE's gas function adds/subtracts its refund there, so an SSTORE entry already shows its " +
      "own refund change (core/vm/interpreter.go calls OnOpcode after dynamicGas); revm-inspectors " +
      "records the counter before. A successful SSTORE entry takes the refund of the entry after it.",
    implementation: REVM,
    tracer: "structLogger",
    apply: (result) => {
      const r = result as Json;
      const logs = r.structLogs as Json[];
      const out = logs.map((e, i) => {
        const next = logs[i + 1];
        if (e.op !== "SSTORE" || e.error !== undefined || next === undefined) return e;
        return { ...e, refund: next.refund ?? 0 };
      });
      return { ...r, structLogs: out };
    },
  },
  {
    name: "structlog-zero-refund",
    reason:
      'revm-inspectors writes "refund": 0 on every struct-log entry; go-ethereum\'s JSON form ' +
      "omits the field when the refund counter is zero (omitempty on RefundCounter in " +
      "eth/tracers/logger/logger.go structLogLegacy). Zero refunds are removed.",
    implementation: REVM,
    tracer: "structLogger",
    apply: (result) => {
      const r = result as Json;
      const logs = (r.structLogs as Json[]).map((e) => {
        if (e.refund !== 0) return e;
        const { refund: _, ...rest } = e;
        return rest;
      });
      return { ...r, structLogs: logs };
    },
  },
  {
    name: "structlog-step-errors",
    reason:
      "revm-inspectors fills an entry's error with the outcome of the instruction, as a Rust Debug " +
      'string ("Some(OutOfGas)"); go-ethereum only records the error that stopped the instruction ' +
      "before it ran (gas, stack and, since #33281, write-protection checks), with its own text, " +
      "and reports later failures such as INVALID through OnFault, which the struct logger does not " +
      "record. The names are mapped to go-ethereum's text (STRUCTLOG_ERRORS) or removed; unknown names stay and fail.",
    implementation: REVM,
    tracer: "structLogger",
    apply: (result) => {
      const r = result as Json;
      const logs = (r.structLogs as Json[]).map((e) => {
        if (typeof e.error !== "string" || !(e.error in STRUCTLOG_ERRORS)) return e;
        const text = STRUCTLOG_ERRORS[e.error];
        const { error: _, ...rest } = e;
        return text === null ? rest : { ...rest, error: text };
      });
      return { ...r, structLogs: logs };
    },
  },
  {
    name: "structlog-failed-sstore-storage",
    reason:
      "go-ethereum's struct logger records the value an SSTORE writes in the entry's storage before " +
      "the instruction runs, even when it then fails; revm-inspectors shows the unchanged value. " +
      "For a failed SSTORE entry, the slot is set to the value on the entry's own stack.",
    implementation: REVM,
    tracer: "structLogger",
    apply: (result) => {
      const r = result as Json;
      const logs = (r.structLogs as Json[]).map((e) => {
        const stack = e.stack as string[] | undefined;
        if (e.op !== "SSTORE" || e.error === undefined || stack === undefined || stack.length < 2) return e;
        const key = word64(stack[stack.length - 1]!);
        const value = word64(stack[stack.length - 2]!);
        return { ...e, storage: { ...((e.storage ?? {}) as Json), [key]: value } };
      });
      return { ...r, structLogs: logs };
    },
  },
  {
    name: "structlog-create-cost",
    reason:
      "for CREATE and CREATE2, revm-inspectors' gasCost includes the gas forwarded to the new " +
      "contract; go-ethereum's is the instruction's own cost (32000, initcode words, hashing, " +
      "memory), the forwarded gas being taken inside opCreate. The trace does not carry the " +
      "instruction's own cost, so gasCost of CREATE/CREATE2 entries is left out of the comparison " +
      "on both sides; the gas of the entries that follow still checks what was forwarded and returned.",
    implementation: REVM,
    tracer: "structLogger",
    apply: (result, ctx) => {
      const r = result as Json;
      (r.structLogs as Json[]).forEach((e, i) => {
        if (e.op === "CREATE" || e.op === "CREATE2") ctx.ignore(["structLogs", i, "gasCost"]);
      });
      return r;
    },
  },
  {
    name: "structlog-oog-cost",
    reason:
      "when an instruction runs out of gas, revm-inspectors reports the gas that was left as its " +
      "gasCost, go-ethereum the instruction's full cost (constant + dynamic); the trace does not " +
      "carry that cost, so the gasCost of an entry whose error is plain out-of-gas is left out of " +
      "the comparison on both sides (its error, gas, stack and everything else still compared).",
    implementation: REVM,
    tracer: "structLogger",
    apply: (result, ctx) => {
      const r = result as Json;
      (r.structLogs as Json[]).forEach((e, i) => {
        if (e.error === "out of gas") ctx.ignore(["structLogs", i, "gasCost"]);
      });
      return r;
    },
  },
];

// ---------------------------------------------------------------------------------------
// Block-level rules: departures in a block header that follow from how a development node
// builds its blocks (the ladder applies them, each reading only the same side's headers).

/** go-ethereum's CalcBaseFee for the block after `parent`, a JSON-RPC header of a London block. */
export function calcBaseFee(parent: {
  gasLimit?: unknown;
  gasUsed?: unknown;
  baseFeePerGas?: unknown;
}): bigint {
  return nextBaseFee(
    BigInt(String(parent.gasLimit)),
    BigInt(String(parent.gasUsed)),
    BigInt(String(parent.baseFeePerGas)),
  );
}

/** A known departure in a block header of an implementation (matched by client version). */
export interface HeaderRule {
  name: string;
  reason: string;
  /** The client versions (web3_clientVersion) it applies to. */
  client: RegExp;
  /** The header field it explains. */
  field: string;
  /** Said of the field in a verdict ("anvil's first-block base fee"). */
  short: string;
  /** Whether `header` (of this side), with its parent's header, shows the departure. */
  applies: (header: Json, parent: Json) => boolean;
}

export const ANVIL_FIRST_BLOCK_BASE_FEE: HeaderRule = {
  name: "anvil-first-block-base-fee",
  reason:
    "anvil gives its first mined block the genesis base fee itself (its fee manager starts from the " +
    "configured base fee and only updates it after a block is mined); go-ethereum's CalcBaseFee " +
    "(consensus/misc/eip1559) derives block 1's base fee from the genesis header like any other " +
    "(1 gwei with no gas used gives 0.875 gwei). Recognised when the same side's block 1 carries its " +
    "genesis base fee and go-ethereum's rule gives another value; the base fee is an input of the " +
    "execution, so the difference is reported as the cause (fee payments differ as a consequence), " +
    "not forgiven. To compare the executions, give anvil go-ethereum's value before its first block " +
    "(anvil_setNextBlockBaseFeePerGas with calcBaseFee of its genesis header).",
  client: /^anvil\//i,
  field: "baseFeePerGas",
  short: "anvil's first-block base fee",
  applies: (header, parent) => {
    try {
      if (BigInt(String(header.number)) !== 1n || header.baseFeePerGas === undefined) return false;
      if (parent.baseFeePerGas === undefined || parent.gasLimit === undefined || parent.gasUsed === undefined)
        return false;
      const own = BigInt(String(header.baseFeePerGas));
      return own === BigInt(String(parent.baseFeePerGas)) && own !== calcBaseFee(parent);
    } catch {
      return false;
    }
  },
};

/** The header rules, in the order they are tried. */
export const HEADER_RULES: readonly HeaderRule[] = [ANVIL_FIRST_BLOCK_BASE_FEE];

/** Every rule this module knows. */
export const NORMALISATION_RULES: readonly NormalisationRule[] = [...REVM_INSPECTORS_RULES];

/** The rules of `implementation` relevant to a result of the tracer configuration `config`. */
export function rulesFor(
  implementation: Implementation,
  config: TraceConfig,
  rules: readonly NormalisationRule[] = NORMALISATION_RULES,
): NormalisationRule[] {
  const kind = tracerKind(config);
  const tracerConfig = (
    typeof config.tracerConfig === "object" && config.tracerConfig !== null ? config.tracerConfig : {}
  ) as Json;
  return rules.filter(
    (r) =>
      r.implementation === implementation &&
      r.tracer === kind &&
      (r.when === undefined || r.when(tracerConfig)),
  );
}

/** Structural equality of JSON values (key order ignored). */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => sameJson(v, bb[i]));
  }
  const ka = Object.keys(a as Json).filter((k) => (a as Json)[k] !== undefined);
  const kb = Object.keys(b as Json).filter((k) => (b as Json)[k] !== undefined);
  return (
    ka.length === kb.length && ka.every((k) => k in (b as Json) && sameJson((a as Json)[k], (b as Json)[k]))
  );
}

/**
 * Applies the rules of `implementation` that are relevant to `config` to `result` (a
 * debug_trace* result of that implementation, as JSON). The input is not modified.
 */
export async function normaliseTrace(
  result: unknown,
  implementation: Implementation,
  config: TraceConfig,
  source: NormaliseSource,
  rules: readonly NormalisationRule[] = NORMALISATION_RULES,
): Promise<NormaliseResult> {
  let value: unknown = structuredClone(result);
  const applied: string[] = [];
  const ignored: JsonPath[] = [];
  for (const rule of rulesFor(implementation, config, rules)) {
    const before = ignored.length;
    const ctx: NormaliseContext = {
      ...source,
      isPrecompile: source.isPrecompile ?? isPraguePrecompile,
      ignore: (path) => {
        ignored.push(path);
      },
    };
    const next = await rule.apply(value, ctx);
    if (ignored.length > before || !sameJson(value, next)) applied.push(rule.name);
    value = next;
  }
  return { value, applied, ignored };
}

/** Deletes `paths` from a JSON value (in place) so they are not compared. Missing paths are skipped. */
export function dropPaths(value: unknown, paths: readonly JsonPath[]): void {
  for (const path of paths) {
    let node = value as Record<string | number, unknown> | undefined;
    for (let i = 0; i < path.length - 1 && node !== undefined && node !== null; i++) {
      node = node[path[i]!] as Record<string | number, unknown> | undefined;
    }
    if (node !== undefined && node !== null && typeof node === "object") delete node[path[path.length - 1]!];
  }
}
