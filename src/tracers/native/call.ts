/**
 * callTracer: the tree of call frames of a transaction, after go-ethereum's native
 * callTracer (eth/tracers/native/call.go).
 *
 * Every frame (calls, creates, SELFDESTRUCT transfers, precompile calls) becomes a node
 * with `from`, `gas`, `gasUsed`, `to`, `input`, `output`, `error`, `revertReason`,
 * `calls`, `logs` and `value`, with go-ethereum's JSON encoding and omission rules. The
 * top frame's gas is the transaction's gas limit and its gasUsed the gas the transaction
 * used (from onTxEnd). Options (tracerConfig): `onlyTopCall` (no sub-frames) and
 * `withLog` (collect logs; logs of frames whose changes were reverted are dropped).
 *
 * Revert reasons are decoded from `Error(string)` and `Panic(uint256)` revert data as
 * go-ethereum's abi.UnpackRevert does, including its bounds checks and its byte-wise
 * replacement of invalid UTF-8.
 */
import { opcodeName } from "../../evm/opcodes.js";
import { type Address, bytesToHex } from "../../primitives/hex.js";
import {
  CallKind,
  type Hooks,
  type LogRecord,
  type TxEndInfo,
  type TxStartInfo,
} from "../../tracing/hooks.js";
import { registerTracer } from "../registry.js";
import { readTracerConfig, TracerError } from "../types.js";
import { JsonTracer } from "./simple.js";

const EXECUTION_REVERTED = "execution reverted";

/** A log as the call tracer keeps it. `index` is the log's index among the transaction's logs. */
export interface CallLog {
  address: Address;
  topics: bigint[];
  data: Uint8Array;
  index: number;
  /** Number of sub-frames of the emitting frame that came before the log. */
  position: number;
}

/** One call frame, in the shape go-ethereum's callFrame has before JSON encoding. */
export interface CallFrame {
  kind: CallKind;
  from: Address;
  gas: number | bigint;
  gasUsed: number | bigint;
  /** null for a create that failed. */
  to: Address | null;
  input: Uint8Array;
  /** null when go-ethereum leaves the output unset (omitted from the JSON). */
  output: Uint8Array | null;
  error: string;
  revertReason: string;
  calls: CallFrame[];
  logs: CallLog[];
  /** null for STATICCALL, which carries no value. */
  value: bigint | null;
  /** The frame failed with its state changes undone. */
  revertedSnapshot: boolean;
}

export interface CallTracerConfig {
  onlyTopCall: boolean;
  withLog: boolean;
}

// ---------------------------------------------------------------- revert reasons

const ERROR_SELECTOR = [0x08, 0xc3, 0x79, 0xa0];
const PANIC_SELECTOR = [0x4e, 0x48, 0x7b, 0x71];

/** Solidity's panic codes, with the descriptions go-ethereum prints. */
const PANIC_REASONS = new Map<bigint, string>([
  [0x00n, "generic panic"],
  [0x01n, "assert(false)"],
  [0x11n, "arithmetic underflow or overflow"],
  [0x12n, "division or modulo by zero"],
  [0x21n, "enum overflow"],
  [0x22n, "invalid encoded storage byte array accessed"],
  [0x31n, "out-of-bounds array access; popping on an empty array"],
  [0x32n, "out-of-bounds access of an array or bytesN"],
  [0x41n, "out of memory"],
  [0x51n, "uninitialized function"],
]);

function hasSelector(data: Uint8Array, selector: number[]): boolean {
  return (
    data[0] === selector[0] && data[1] === selector[1] && data[2] === selector[2] && data[3] === selector[3]
  );
}

function word(data: Uint8Array, offset: number): bigint {
  let v = 0n;
  for (let i = 0; i < 32; i++) v = (v << 8n) | BigInt(data[offset + i]!);
  return v;
}

/**
 * Decodes bytes as UTF-8 the way Go turns a byte string into JSON: each byte that does
 * not start a valid sequence (bad lead, truncated, overlong, surrogate, above U+10FFFF)
 * becomes one U+FFFD and decoding resumes at the next byte.
 */
export function goUtf8(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  const n = bytes.length;
  const cont = (k: number) => k < n && (bytes[k]! & 0xc0) === 0x80;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      out += String.fromCharCode(b);
      i++;
      continue;
    }
    let cp = -1;
    let width = 1;
    if (b >= 0xc2 && b <= 0xdf) {
      if (cont(i + 1)) {
        cp = ((b & 0x1f) << 6) | (bytes[i + 1]! & 0x3f);
        width = 2;
      }
    } else if (b >= 0xe0 && b <= 0xef) {
      if (cont(i + 1) && cont(i + 2)) {
        const c = ((b & 0x0f) << 12) | ((bytes[i + 1]! & 0x3f) << 6) | (bytes[i + 2]! & 0x3f);
        if (c >= 0x800 && (c < 0xd800 || c > 0xdfff)) {
          cp = c;
          width = 3;
        }
      }
    } else if (b >= 0xf0 && b <= 0xf4) {
      if (cont(i + 1) && cont(i + 2) && cont(i + 3)) {
        const c =
          ((b & 0x07) << 18) |
          ((bytes[i + 1]! & 0x3f) << 12) |
          ((bytes[i + 2]! & 0x3f) << 6) |
          (bytes[i + 3]! & 0x3f);
        if (c >= 0x10000 && c <= 0x10ffff) {
          cp = c;
          width = 4;
        }
      }
    }
    if (cp < 0) {
      out += "\ufffd";
      i++;
    } else {
      out += String.fromCodePoint(cp);
      i += width;
    }
  }
  return out;
}

/**
 * The revert reason carried by revert data, as go-ethereum's abi.UnpackRevert decodes it:
 * the string of `Error(string)`, or the description of a `Panic(uint256)` code
 * ("unknown panic code: 0x..." when it has none). null when the data is neither or is
 * malformed (offsets or lengths beyond the data).
 */
export function unpackRevertReason(data: Uint8Array): string | null {
  if (data.length < 4) return null;
  const body = data.subarray(4);
  if (hasSelector(data, ERROR_SELECTOR)) {
    if (body.length < 32) return null;
    const offsetEnd = word(body, 0) + 32n;
    const len = BigInt(body.length);
    if (offsetEnd > len) return null;
    const start = Number(offsetEnd);
    const length = word(body, start - 32);
    if (offsetEnd + length > len) return null;
    return goUtf8(body.subarray(start, start + Number(length)));
  }
  if (hasSelector(data, PANIC_SELECTOR)) {
    if (body.length < 32) return null;
    const code = word(body, 0);
    return PANIC_REASONS.get(code) ?? `unknown panic code: 0x${code.toString(16)}`;
  }
  return null;
}

// ---------------------------------------------------------------- frames

/** The frame fields finishFrame and clearFailedLogs work on (callTracer's and erc7562Tracer's frames). */
type FrameOutcome = Pick<
  CallFrame,
  "kind" | "to" | "output" | "error" | "revertReason" | "revertedSnapshot" | "logs"
>;

/** Records output and error of a finished frame, as go-ethereum's processOutput. */
export function finishFrame(
  frame: FrameOutcome,
  output: Uint8Array,
  error: string | null,
  reverted: boolean,
): void {
  // An error that undid nothing (Frontier's code-deposit out of gas) is no error.
  if (error === null || !reverted) {
    frame.output = output.slice();
    return;
  }
  frame.error = error;
  frame.revertedSnapshot = reverted;
  if (frame.kind === CallKind.CREATE || frame.kind === CallKind.CREATE2) frame.to = null;
  if (error !== EXECUTION_REVERTED || output.length === 0) return;
  frame.output = output.slice();
  const reason = unpackRevertReason(output);
  if (reason !== null) frame.revertReason = reason;
}

function hexQuantity(v: number | bigint): string {
  return `0x${v.toString(16)}`;
}

/** A frame as go-ethereum's JSON encoding of callFrame (same keys, order and omissions). */
export function callFrameJson(frame: CallFrame): Record<string, unknown> {
  const out: Record<string, unknown> = {
    from: frame.from,
    gas: hexQuantity(frame.gas),
    gasUsed: hexQuantity(frame.gasUsed),
  };
  if (frame.to !== null) out.to = frame.to;
  out.input = bytesToHex(frame.input);
  if (frame.output !== null && frame.output.length > 0) out.output = bytesToHex(frame.output);
  if (frame.error !== "") out.error = frame.error;
  if (frame.revertReason !== "") out.revertReason = frame.revertReason;
  if (frame.calls.length > 0) out.calls = frame.calls.map(callFrameJson);
  if (frame.logs.length > 0) {
    out.logs = frame.logs.map((l) => ({
      address: l.address,
      topics: l.topics.map((t) => `0x${t.toString(16).padStart(64, "0")}`),
      data: bytesToHex(l.data),
      index: hexQuantity(l.index),
      position: hexQuantity(l.position),
    }));
  }
  if (frame.value !== null) out.value = hexQuantity(frame.value);
  out.type = opcodeName(frame.kind);
  return out;
}

/** Drops the logs of failed frames and of everything below them. */
export function clearFailedLogs<F extends FrameOutcome & { calls: F[] }>(
  frame: F,
  parentFailed: boolean,
): void {
  const failed = parentFailed || (frame.error !== "" && frame.revertedSnapshot);
  if (failed) frame.logs = [];
  for (const c of frame.calls) clearFailedLogs(c, failed);
}

/**
 * The call-tree builder shared by callTracer and flatCallTracer (go-ethereum's
 * callTracer object). Callers check for a stopped tracer before forwarding events.
 */
export class CallTreeBuilder {
  readonly callstack: CallFrame[] = [];
  private gasLimit = 0n;
  /** Depth of the frame executing now, as go-ethereum tracks it for onlyTopCall logs. */
  private depth = 0;
  /** Logs alive in the transaction (reverted frames' logs no longer count). */
  private liveLogs = 0;
  /** Logs emitted by each open frame and its finished sub-frames, innermost last. */
  private readonly frameLogs: number[] = [];

  constructor(readonly config: CallTracerConfig) {}

  onTxStart(tx: TxStartInfo): void {
    this.gasLimit = tx.gasLimit;
  }

  onTxEnd(result: TxEndInfo): void {
    if (result.invalid !== undefined) return;
    const top = this.callstack[0];
    if (top === undefined) return;
    top.gasUsed = result.gasUsed;
    if (this.config.withLog) clearFailedLogs(top, false);
  }

  onEnter(
    depth: number,
    kind: CallKind,
    from: Address,
    to: Address,
    input: Uint8Array,
    gas: number,
    value: bigint,
  ): void {
    this.depth = depth;
    this.frameLogs.push(0);
    if (this.config.onlyTopCall && depth > 0) return;
    this.callstack.push({
      kind,
      from,
      gas: depth === 0 ? this.gasLimit : gas,
      gasUsed: 0,
      to,
      input: input.slice(),
      output: null,
      error: "",
      revertReason: "",
      calls: [],
      logs: [],
      value: kind === CallKind.STATICCALL ? null : value,
      revertedSnapshot: false,
    });
  }

  onExit(depth: number, output: Uint8Array, gasUsed: number, error: string | null, reverted: boolean): void {
    const emitted = this.frameLogs.pop() ?? 0;
    if (reverted) this.liveLogs -= emitted;
    else if (this.frameLogs.length > 0) this.frameLogs[this.frameLogs.length - 1]! += emitted;
    if (depth === 0) {
      if (this.callstack.length === 1) finishFrame(this.callstack[0]!, output, error, reverted);
      return;
    }
    this.depth = depth - 1;
    if (this.config.onlyTopCall) return;
    if (this.callstack.length <= 1) return;
    const frame = this.callstack.pop()!;
    frame.gasUsed = gasUsed;
    finishFrame(frame, output, error, reverted);
    this.callstack[this.callstack.length - 1]!.calls.push(frame);
  }

  onLog(log: LogRecord): void {
    const index = this.liveLogs++;
    if (this.frameLogs.length > 0) this.frameLogs[this.frameLogs.length - 1]!++;
    if (!this.config.withLog) return;
    if (this.config.onlyTopCall && this.depth > 0) return;
    const frame = this.callstack[this.callstack.length - 1];
    if (frame === undefined) return;
    frame.logs.push({
      address: log.address,
      topics: log.topics.slice(),
      data: log.data.slice(),
      index,
      position: frame.calls.length,
    });
  }
}

class CallTracer extends JsonTracer {
  readonly name = "callTracer";
  readonly hooks: Hooks;
  private readonly tree: CallTreeBuilder;

  constructor(config: CallTracerConfig) {
    super();
    const tree = new CallTreeBuilder(config);
    this.tree = tree;
    this.hooks = {
      onTxStart: (tx) => {
        if (this.stopped === null) tree.onTxStart(tx);
      },
      onTxEnd: (result) => {
        if (this.stopped === null) tree.onTxEnd(result);
      },
      onEnter: (depth, kind, from, to, input, gas, value) => {
        if (this.stopped === null) tree.onEnter(depth, kind, from, to, input, gas, value);
      },
      onExit: (depth, output, gasUsed, error, reverted) => {
        if (this.stopped === null) tree.onExit(depth, output, gasUsed, error, reverted);
      },
      onLog: (log) => {
        if (this.stopped === null) tree.onLog(log);
      },
    };
  }

  protected result(): unknown {
    if (this.tree.callstack.length !== 1) throw new TracerError("incorrect number of top-level calls");
    return callFrameJson(this.tree.callstack[0]!);
  }
}

registerTracer("callTracer", (config) => {
  const cfg = readTracerConfig("callTracer", config, { onlyTopCall: false, withLog: false });
  return new CallTracer(cfg);
});

// ---------------------------------------------------------------- fixture comparison

function canonQuantity(v: unknown): string | null {
  if (typeof v === "number") return hexQuantity(BigInt(v));
  if (typeof v !== "string") return null;
  try {
    return hexQuantity(BigInt(v));
  } catch {
    return v;
  }
}

const lowerOr = (v: unknown, dflt: string) => (typeof v === "string" && v !== "" ? v.toLowerCase() : dflt);

/**
 * An expected callTracer result as go-ethereum's own test sees it: its tracetest decodes
 * the fixture into a struct and encodes it again before comparing (a log without
 * `index` expects index 0, an absent `input` is "0x", unknown fields vanish, hex is
 * lowercased). Apply to the fixture's side only, as go-ethereum does.
 */
export function callTraceExpected(value: unknown): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  const f = value as Record<string, unknown>;
  const out: Record<string, unknown> = {
    from: lowerOr(f.from, `0x${"0".repeat(40)}`),
    gas: canonQuantity(f.gas),
    gasUsed: canonQuantity(f.gasUsed),
  };
  if (typeof f.to === "string") out.to = f.to.toLowerCase();
  out.input = lowerOr(f.input, "0x");
  const output = lowerOr(f.output, "0x");
  if (output !== "0x") out.output = output;
  if (typeof f.error === "string" && f.error !== "") out.error = f.error;
  if (typeof f.revertReason === "string" && f.revertReason !== "") out.revertReason = f.revertReason;
  if (Array.isArray(f.calls) && f.calls.length > 0) out.calls = f.calls.map(callTraceExpected);
  if (Array.isArray(f.logs) && f.logs.length > 0) {
    out.logs = f.logs.map((raw) => {
      const l = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
      return {
        address: lowerOr(l.address, `0x${"0".repeat(40)}`),
        topics: Array.isArray(l.topics) ? l.topics.map((t) => lowerOr(t, `0x${"0".repeat(64)}`)) : null,
        data: lowerOr(l.data, "0x"),
        index: canonQuantity(l.index) ?? "0x0",
        position: canonQuantity(l.position) ?? "0x0",
      };
    });
  }
  if (f.value !== undefined && f.value !== null) out.value = canonQuantity(f.value);
  out.type = typeof f.type === "string" ? f.type : "";
  return out;
}
