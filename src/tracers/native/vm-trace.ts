/**
 * parityVmTrace: the `vmTrace` of OpenEthereum's trace_* API (also served by Erigon and
 * reth), built from the hook contract.
 *
 * The result is a tree of frames, `{code, ops}`, one per call or create (the top frame
 * included; a SELFDESTRUCT's transfer is not a frame here). Each executed instruction is
 * `{cost, ex, pc, sub}`:
 * - `cost`: what the instruction cost (for calls and creates, including the gas handed
 *   to the callee, as the hook contract reports it);
 * - `ex`: what it did, or null when it failed (out of gas, stack error, bad jump, ...):
 *   `used` is the gas left once it completed (for a call: after the callee returned its
 *   unused gas), `push` the stack items it left, bottom first (DUPn and SWAPn list the
 *   n+1 items they rearranged, as OpenEthereum does), `mem` the memory it wrote
 *   `{data, off}` (MSTORE, MSTORE8, MLOAD, the *COPY instructions, and the return area
 *   of calls; null when nothing or an empty range), `store` the slot an SSTORE wrote
 *   `{key, val}`;
 * - `sub`: the callee's frame for CALL/CALLCODE/DELEGATECALL/STATICCALL/CREATE/CREATE2
 *   (frames that ran no code, such as precompiles and transfers to accounts without
 *   code, have `ops: []`), null otherwise.
 * `code` is the code the frame ran (the init code for creates; "0x" when none ran).
 * Stack values and storage keys/values are hex quantities.
 *
 * The result is built in memory while execution runs, so a long transaction (millions
 * of steps) could otherwise outgrow the process: the tracer spends an estimate of each
 * op's JSON from the context's output budget as it records it, and the budget's error
 * stops the trace once spent. `writeResult` gives the estimate back before writing, so
 * that a sink counting the real JSON does not count it twice.
 */
import { OPCODES } from "../../evm/opcodes.js";
import { bytesToHex } from "../../primitives/hex.js";
import { CallKind, type Hooks, type StepScope } from "../../tracing/hooks.js";
import { registerTracer } from "../registry.js";
import { type OutputBudget, readTracerConfig } from "../types.js";
import { JsonTracer } from "./simple.js";

export interface VmMem {
  data: string;
  off: number;
}

export interface VmExecuted {
  mem: VmMem | null;
  push: string[];
  store: { key: string; val: string } | null;
  used: number;
}

export interface VmOp {
  cost: number;
  ex: VmExecuted | null;
  pc: number;
  sub: VmTrace | null;
}

export interface VmTrace {
  code: string;
  ops: VmOp[];
}

const OP = {
  MLOAD: 0x51,
  MSTORE: 0x52,
  MSTORE8: 0x53,
  SSTORE: 0x55,
  CALLDATACOPY: 0x37,
  CODECOPY: 0x39,
  EXTCODECOPY: 0x3c,
  RETURNDATACOPY: 0x3e,
  MCOPY: 0x5e,
  CALL: 0xf1,
  CALLCODE: 0xf2,
  DELEGATECALL: 0xf4,
  STATICCALL: 0xfa,
} as const;

const hexQ = (v: bigint) => `0x${v.toString(16)}`;

function back(scope: StepScope, n: number): bigint {
  return scope.stack[scope.stackSize - 1 - n]!;
}

/** The memory range [offset, size] an instruction writes, read from its operands before it runs. */
function memWritten(op: number, scope: StepScope): [bigint, bigint] | null {
  const n = scope.stackSize;
  const at = (a: number, b: number): [bigint, bigint] | null =>
    n > Math.max(a, b) ? [back(scope, a), back(scope, b)] : null;
  switch (op) {
    case OP.MSTORE:
    case OP.MLOAD:
      return n >= 1 ? [back(scope, 0), 32n] : null;
    case OP.MSTORE8:
      return n >= 1 ? [back(scope, 0), 1n] : null;
    case OP.CALLDATACOPY:
    case OP.CODECOPY:
    case OP.RETURNDATACOPY:
    case OP.MCOPY:
      return at(0, 2);
    case OP.EXTCODECOPY:
      return at(1, 3);
    case OP.CALL:
    case OP.CALLCODE:
      return at(5, 6);
    case OP.DELEGATECALL:
    case OP.STATICCALL:
      return at(4, 5);
    default:
      return null;
  }
}

/** An instruction that started and whose effects are read when its frame goes on (or ends). */
interface Pending {
  op: VmOp;
  /** Gas left right after its cost was charged (what `used` is when the frame ends with it). */
  gasAfter: number;
  pushes: number;
  mem: [bigint, bigint] | null;
  store: { key: string; val: string } | null;
}

interface Frame {
  /** null for a SELFDESTRUCT transfer (reported as a frame by the hooks, not one here). */
  trace: VmTrace | null;
  codeSeen: boolean;
  pending: Pending | null;
}

function memoryData(scope: StepScope, off: bigint, size: bigint): VmMem | null {
  if (size === 0n || off > BigInt(Number.MAX_SAFE_INTEGER) || size > 1n << 32n) return null;
  const o = Number(off);
  const out = new Uint8Array(Number(size));
  const avail = Math.max(0, Math.min(scope.memorySize, o + out.length) - o);
  if (avail > 0) out.set(scope.memory.subarray(o, o + avail));
  return { data: bytesToHex(out), off: o };
}

/**
 * Fills in what `p`'s instruction did; returns about how many bytes of JSON that adds
 * (hex strings and their quotes; the fixed keys are in OP_JSON_BYTES).
 */
function complete(p: Pending, scope: StepScope | null, gasLeft: number): number {
  const push: string[] = [];
  let bytes = 0;
  if (scope !== null) {
    const k = Math.min(p.pushes, scope.stackSize);
    for (let i = k - 1; i >= 0; i--) {
      const v = hexQ(back(scope, i));
      push.push(v);
      bytes += v.length + 3;
    }
  }
  const mem = scope !== null && p.mem !== null ? memoryData(scope, p.mem[0], p.mem[1]) : null;
  if (mem !== null) bytes += mem.data.length + 24;
  if (p.store !== null) bytes += p.store.key.length + p.store.val.length + 20;
  p.op.ex = { mem, push, store: p.store, used: gasLeft };
  return bytes;
}

/** The JSON of an op without its hex strings: `{"cost":…,"ex":{"mem":null,…},"pc":…,"sub":null},`. */
const OP_JSON_BYTES = 90;
/** Estimates are spent from the budget in batches of about this many bytes. */
const SPEND_BATCH = 1 << 16;

class ParityVmTracer extends JsonTracer {
  readonly name = "parityVmTrace";
  readonly hooks: Hooks;
  private root: VmTrace | null = null;
  private readonly frames: Frame[] = [];
  /** Estimated bytes recorded but not yet spent from the budget, and those spent. */
  private unspent = 0;
  private spent = 0;

  constructor(private readonly budget: OutputBudget | undefined) {
    super();
    this.hooks = {
      onEnter: (_depth, kind, _from, _to, input) => {
        if (this.stopped !== null) return;
        if (kind === CallKind.SELFDESTRUCT) {
          this.frames.push({ trace: null, codeSeen: true, pending: null });
          return;
        }
        const create = kind === CallKind.CREATE || kind === CallKind.CREATE2;
        const trace: VmTrace = { code: create ? bytesToHex(input) : "0x", ops: [] };
        this.unspent += trace.code.length + 20;
        const parent = this.frames[this.frames.length - 1];
        if (parent === undefined) this.root = trace;
        else if (parent.pending !== null) parent.pending.op.sub = trace;
        this.frames.push({ trace, codeSeen: create, pending: null });
      },
      onExit: () => {
        if (this.stopped !== null) return;
        const f = this.frames.pop();
        if (f?.pending) this.unspent += complete(f.pending, null, f.pending.gasAfter);
      },
      onOpcode: (pc, op, gas, cost, scope, _depth, error) => {
        if (this.stopped !== null) return;
        const f = this.frames[this.frames.length - 1];
        if (f === undefined || f.trace === null) return;
        if (!f.codeSeen) {
          f.trace.code = bytesToHex(scope.code);
          f.codeSeen = true;
          this.unspent += f.trace.code.length;
        }
        if (f.pending !== null) this.unspent += complete(f.pending, scope, gas);
        this.unspent += OP_JSON_BYTES;
        if (this.unspent >= SPEND_BATCH) this.spendUnspent();
        const rec: VmOp = { cost, ex: null, pc, sub: null };
        f.trace.ops.push(rec);
        if (error !== null) {
          f.pending = null;
          return;
        }
        f.pending = {
          op: rec,
          gasAfter: gas - cost,
          pushes: OPCODES[op]?.pushes ?? 0,
          mem: memWritten(op, scope),
          store:
            op === OP.SSTORE && scope.stackSize >= 2
              ? { key: hexQ(back(scope, 0)), val: hexQ(back(scope, 1)) }
              : null,
        };
      },
      onFault: (_pc, _op, _gas, _cost, _scope, _depth, error) => {
        if (this.stopped !== null || error === "execution reverted") return;
        const f = this.frames[this.frames.length - 1];
        // The instruction failed while running (bad jump, out of gas inside, ...): no `ex`.
        if (f !== undefined) f.pending = null;
      },
    };
  }

  /** Spends the estimate recorded so far (the budget throws once it is spent). */
  private spendUnspent(): void {
    const n = this.unspent;
    this.unspent = 0;
    if (this.budget === undefined) return;
    this.spent += n;
    this.budget.spend(n);
  }

  protected result(): unknown {
    return this.root;
  }

  override writeResult(write: (chunk: string) => void): void {
    // The sink counts the JSON itself: give the estimate back first.
    this.budget?.refund(this.spent);
    this.spent = 0;
    super.writeResult(write);
  }
}

registerTracer("parityVmTrace", (config, ctx) => {
  readTracerConfig("parityVmTrace", config, {});
  return new ParityVmTracer(ctx.outputBudget);
});
