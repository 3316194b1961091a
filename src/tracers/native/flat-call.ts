/**
 * flatCallTracer: Parity/OpenEthereum-style flat traces, after go-ethereum's native
 * flatCallTracer (eth/tracers/native/call_flat.go).
 *
 * The call tree is built as callTracer builds it (without logs), then listed depth
 * first: each frame becomes an entry with `action`, `result` (absent for SELFDESTRUCT,
 * and for frames that failed with an error other than a revert), `error`, `subtraces`,
 * `traceAddress`, `type` ("call", "create" or "suicide") and the block and transaction
 * it belongs to (from the TracerContext). Options (tracerConfig): `convertParityErrors`
 * (go-ethereum's error texts mapped to Parity's) and `includePrecompiles` (keep CALL and
 * STATICCALL frames into precompiles, which are dropped by default).
 */
import { opcodeName } from "../../evm/opcodes.js";
import { precompilesFor } from "../../evm/precompiles/index.js";
import { bytesToHex } from "../../primitives/hex.js";
import { CallKind, type Hooks } from "../../tracing/hooks.js";
import { registerTracer } from "../registry.js";
import { readTracerConfig, type TracerContext, TracerError } from "../types.js";
import { type CallFrame, CallTreeBuilder } from "./call.js";
import { JsonTracer } from "./simple.js";

/** go-ethereum error texts and the Parity texts they become. */
const PARITY_ERRORS = new Map<string, string>([
  ["contract creation code storage out of gas", "Out of gas"],
  ["out of gas", "Out of gas"],
  ["gas uint64 overflow", "Out of gas"],
  ["max code size exceeded", "Out of gas"],
  ["invalid jump destination", "Bad jump destination"],
  ["execution reverted", "Reverted"],
  ["return data out of bounds", "Out of bounds"],
  ["stack limit reached 1024 (1023)", "Out of stack"],
  ["precompiled failed", "Built-in failed"],
  ["invalid input length", "Built-in failed"],
]);

/** Prefixes of go-ethereum error texts and the Parity texts they become. */
const PARITY_ERROR_PREFIXES: [string, string][] = [
  ["out of gas:", "Out of gas"],
  ["invalid opcode:", "Bad instruction"],
  ["stack underflow", "Stack underflow"],
];

export function parityError(error: string): string {
  const exact = PARITY_ERRORS.get(error);
  if (exact !== undefined) return exact;
  for (const [prefix, text] of PARITY_ERROR_PREFIXES) if (error.startsWith(prefix)) return text;
  return error;
}

export interface FlatCallTracerConfig {
  convertParityErrors: boolean;
  includePrecompiles: boolean;
}

const ZERO_HASH = `0x${"0".repeat(64)}`;

function hexQuantity(v: number | bigint): string {
  return `0x${v.toString(16)}`;
}

/** Where the traces belong, as go-ethereum's fillCallFrameFromContext reads its Context. */
interface FlatLocation {
  blockHash: string | null;
  blockNumber: number;
  transactionHash: string | null;
  transactionPosition: number;
}

function locationOf(ctx: TracerContext): FlatLocation {
  const nonZero = (h: string | undefined) =>
    h === undefined || h.toLowerCase() === ZERO_HASH ? null : h.toLowerCase();
  return {
    blockHash: nonZero(ctx.blockHash),
    blockNumber: ctx.blockNumber === undefined ? 0 : Number(ctx.blockNumber),
    transactionHash: nonZero(ctx.txHash),
    transactionPosition: ctx.txIndex ?? 0,
  };
}

/** One frame as a flat entry (go-ethereum's flatCallFrame encoding: keys, order, omissions). */
function flatEntry(
  frame: CallFrame,
  traceAddress: number[],
  convertErrors: boolean,
  where: FlatLocation,
): Record<string, unknown> {
  let type: string;
  let action: Record<string, unknown>;
  let result: Record<string, unknown> | null;
  switch (frame.kind) {
    case CallKind.CREATE:
    case CallKind.CREATE2: {
      type = "create";
      action = {
        creationMethod: opcodeName(frame.kind).toLowerCase(),
        from: frame.from,
        gas: hexQuantity(frame.gas),
        init: bytesToHex(frame.input),
      };
      if (frame.value !== null) action.value = hexQuantity(frame.value);
      result = {};
      if (frame.to !== null) result.address = frame.to;
      result.code = bytesToHex(frame.output ?? new Uint8Array(0));
      result.gasUsed = hexQuantity(frame.gasUsed);
      break;
    }
    case CallKind.SELFDESTRUCT: {
      type = "suicide";
      action = { address: frame.from };
      if (frame.value !== null) action.balance = hexQuantity(frame.value);
      if (frame.to !== null) action.refundAddress = frame.to;
      result = null;
      break;
    }
    case CallKind.CALL:
    case CallKind.CALLCODE:
    case CallKind.DELEGATECALL:
    case CallKind.STATICCALL: {
      type = "call";
      action = {
        callType: opcodeName(frame.kind).toLowerCase(),
        from: frame.from,
        gas: hexQuantity(frame.gas),
        input: bytesToHex(frame.input),
      };
      if (frame.to !== null) action.to = frame.to;
      if (frame.value !== null) action.value = hexQuantity(frame.value);
      result = {
        gasUsed: hexQuantity(frame.gasUsed),
        output: bytesToHex(frame.output ?? new Uint8Array(0)),
      };
      break;
    }
    default:
      throw new TracerError(`unrecognized call frame type: ${opcodeName(frame.kind)}`);
  }
  // Only a revert keeps its result: the output may hold the revert reason.
  if (frame.error !== "" && frame.error !== "execution reverted") result = null;
  const error = frame.error !== "" && convertErrors ? parityError(frame.error) : frame.error;
  const out: Record<string, unknown> = {
    action,
    blockHash: where.blockHash,
    blockNumber: where.blockNumber,
  };
  if (error !== "") out.error = error;
  if (result !== null) out.result = result;
  out.subtraces = frame.calls.length;
  out.traceAddress = traceAddress;
  out.transactionHash = where.transactionHash;
  out.transactionPosition = where.transactionPosition;
  out.type = type;
  return out;
}

/** The tree as a depth-first list of flat entries. */
export function flattenCallTree(
  top: CallFrame,
  convertErrors: boolean,
  where: FlatLocation,
): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const visit = (frame: CallFrame, traceAddress: number[]) => {
    out.push(flatEntry(frame, traceAddress, convertErrors, where));
    frame.calls.forEach((child, i) => {
      visit(child, [...traceAddress, i]);
    });
  };
  visit(top, []);
  return out;
}

class FlatCallTracer extends JsonTracer {
  readonly name = "flatCallTracer";
  readonly hooks: Hooks;
  private readonly tree = new CallTreeBuilder({ onlyTopCall: false, withLog: false });
  private precompiles: ReadonlySet<string>;

  constructor(
    private readonly config: FlatCallTracerConfig,
    private readonly where: FlatLocation,
    ctx: TracerContext,
  ) {
    super();
    const tree = this.tree;
    this.precompiles = new Set(precompilesFor(ctx.fork).keys());
    this.hooks = {
      onTxStart: (tx, env) => {
        if (this.stopped !== null) return;
        tree.onTxStart(tx);
        this.precompiles = new Set(precompilesFor(env.fork).keys());
      },
      onTxEnd: (result) => {
        if (this.stopped === null) tree.onTxEnd(result);
      },
      onEnter: (depth, kind, from, to, input, gas, value) => {
        if (this.stopped !== null) return;
        tree.onEnter(depth, kind, from, to, input, gas, value);
        // Sub-frames always carry a value (callTracer leaves STATICCALL's unset).
        if (depth > 0) {
          const frame = tree.callstack[tree.callstack.length - 1]!;
          if (frame.value === null) frame.value = 0n;
        }
      },
      onExit: (depth, output, gasUsed, error, reverted) => {
        if (this.stopped !== null) return;
        tree.onExit(depth, output, gasUsed, error, reverted);
        if (depth === 0 || this.config.includePrecompiles) return;
        // Parity lists no CALL/STATICCALL into a precompile.
        const parent = tree.callstack[tree.callstack.length - 1]!;
        const call = parent.calls[parent.calls.length - 1]!;
        if (
          (call.kind === CallKind.CALL || call.kind === CallKind.STATICCALL) &&
          call.to !== null &&
          this.precompiles.has(call.to)
        ) {
          parent.calls.pop();
        }
      },
    };
  }

  protected result(): unknown {
    const top = this.tree.callstack[0];
    if (top === undefined) throw new TracerError("invalid number of calls");
    return flattenCallTree(top, this.config.convertParityErrors, this.where);
  }
}

registerTracer("flatCallTracer", (config, ctx) => {
  const cfg = readTracerConfig("flatCallTracer", config, {
    convertParityErrors: false,
    includePrecompiles: false,
  });
  return new FlatCallTracer(cfg, locationOf(ctx), ctx);
});

// ---------------------------------------------------------------- fixture comparison

function canonAddress(v: unknown): string {
  return typeof v === "string" && v !== "" ? v.toLowerCase() : `0x${"0".repeat(40)}`;
}

function canonQuantity(v: unknown): string {
  if (typeof v === "string" && v !== "") {
    try {
      return hexQuantity(BigInt(v));
    } catch {
      return v;
    }
  }
  if (typeof v === "number") return hexQuantity(BigInt(v));
  return "0x0";
}

function canonBytes(v: unknown): string {
  return typeof v === "string" && v !== "" ? v.toLowerCase() : "0x";
}

function canonString(v: unknown): string {
  return typeof v === "string" ? v : "";
}

/**
 * A flat trace reduced to what go-ethereum's own flat tracer test compares
 * (tracetest's jsonEqualFlat): block hash/number and transaction hash/position are
 * ignored, absent fields equal their zero values, and a missing result equals an empty
 * one. Two results are equal for that test when their reductions are deep-equal.
 */
export function flatTraceComparable(value: unknown): unknown {
  if (!Array.isArray(value)) return value;
  return value.map((e) => {
    const entry = (typeof e === "object" && e !== null ? e : {}) as Record<string, unknown>;
    const a = (typeof entry.action === "object" && entry.action !== null ? entry.action : {}) as Record<
      string,
      unknown
    >;
    const r = (typeof entry.result === "object" && entry.result !== null ? entry.result : {}) as Record<
      string,
      unknown
    >;
    return {
      action: {
        author: canonAddress(a.author),
        rewardType: canonString(a.rewardType),
        address: canonAddress(a.address),
        balance: canonQuantity(a.balance),
        callType: canonString(a.callType),
        creationMethod: canonString(a.creationMethod),
        from: canonAddress(a.from),
        gas: canonQuantity(a.gas),
        init: canonBytes(a.init),
        input: canonBytes(a.input),
        refundAddress: canonAddress(a.refundAddress),
        to: canonAddress(a.to),
        value: canonQuantity(a.value),
      },
      error: canonString(entry.error),
      result: {
        address: canonAddress(r.address),
        code: canonBytes(r.code),
        gasUsed: canonQuantity(r.gasUsed),
        output: canonBytes(r.output),
      },
      subtraces: typeof entry.subtraces === "number" ? entry.subtraces : 0,
      traceAddress: Array.isArray(entry.traceAddress) ? entry.traceAddress : null,
      type: canonString(entry.type),
    };
  });
}
