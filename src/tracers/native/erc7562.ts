/**
 * erc7562Tracer: the call tree of a transaction annotated with what ERC-7562 (account
 * abstraction validation rules) needs to check, after go-ethereum's native tracer
 * (eth/tracers/native/erc7562.go, JSON as gen_callframewithopcodes_json.go).
 *
 * Each frame has callTracer's fields (from, gas, gasUsed, to, input, output, error,
 * revertReason, logs with `withLog`, value, calls, type) plus:
 *  - accessedSlots: first-read values of SLOAD slots not written before in the frame
 *    (`reads`), counts of SSTORE (`writes`), TLOAD and TSTORE per slot;
 *  - extCodeAccessInfo: addresses read by EXTCODESIZE/EXTCODEHASH/EXTCODECOPY, except an
 *    EXTCODESIZE whose result goes straight into ISZERO;
 *  - usedOpcodes: counts per opcode, without the ignored ones (by default PUSH*, DUP*,
 *    SWAP* and common arithmetic/comparison opcodes; `ignoredOpcodes` replaces the list),
 *    GAS counted only when the next instruction is not a call;
 *  - contractSize: code size (and the opcode) of each account first reached by an EXTCODE*
 *    or CALL* instruction;
 *  - outOfGas: the frame ran out of gas (including code-storage gas and gas-function
 *    failures such as "out of gas: not enough gas for reentrancy sentry");
 *  - keccak (top frame only): the distinct KECCAK256 preimages of the whole transaction,
 *    sorted bytewise.
 *
 * The "previous instruction" used for the GAS and EXTCODE* rules is tracked across frame
 * boundaries, and cleared by RETURN/REVERT, as go-ethereum does.
 */
import { opcodeName } from "../../evm/opcodes.js";
import { type Address, addressFromBigInt, bytesToHex, parseBigInt } from "../../primitives/hex.js";
import {
  CallKind,
  type ExecEnv,
  type Hooks,
  type LogRecord,
  type StepScope,
  type TxEndInfo,
  type TxStartInfo,
} from "../../tracing/hooks.js";
import { registerTracer } from "../registry.js";
import { readTracerConfig, TracerError } from "../types.js";
import { type CallFrame, clearFailedLogs, finishFrame } from "./call.js";
import { memoryCopyPadded, stackBack } from "./keccak-preimage.js";
import { JsonTracer } from "./simple.js";

const OP = {
  KECCAK256: 0x20,
  EXTCODESIZE: 0x3b,
  EXTCODECOPY: 0x3c,
  EXTCODEHASH: 0x3f,
  ISZERO: 0x15,
  SLOAD: 0x54,
  SSTORE: 0x55,
  GAS: 0x5a,
  TLOAD: 0x5c,
  TSTORE: 0x5d,
  CALL: 0xf1,
  CALLCODE: 0xf2,
  RETURN: 0xf3,
  DELEGATECALL: 0xf4,
  STATICCALL: 0xfa,
  REVERT: 0xfd,
} as const;

const OUT_OF_GAS = "out of gas";
const OUT_OF_GAS_PREFIX = "out of gas: ";
const CODE_STORE_OUT_OF_GAS = "contract creation code storage out of gas";

/** PUSH0..SWAP16 and the arithmetic/comparison opcodes go-ethereum ignores by default. */
export function defaultIgnoredOpcodes(): number[] {
  const out: number[] = [];
  for (let op = 0x5f; op <= 0x9f; op++) out.push(op);
  // POP ADD SUB MUL DIV EQ LT GT SLT SGT SHL SHR AND OR NOT ISZERO
  out.push(0x50, 0x01, 0x03, 0x02, 0x04, 0x14, 0x10, 0x11, 0x12, 0x13, 0x1b, 0x1c, 0x16, 0x17, 0x19, 0x15);
  return out;
}

/** callTracer's frame (minus its sub-calls) plus what the ERC-7562 rules look at. */
interface Frame extends Omit<CallFrame, "calls"> {
  /** Slot → values read (go-ethereum keeps a list; it only ever holds the first read). */
  reads: Map<bigint, bigint[]>;
  writes: Map<bigint, number>;
  transientReads: Map<bigint, number>;
  transientWrites: Map<bigint, number>;
  extCodeAccessInfo: Address[];
  usedOpcodes: Map<number, number>;
  contractSize: Map<Address, { contractSize: number; opcode: number }>;
  outOfGas: boolean;
  calls: Frame[];
}

export interface Erc7562TracerConfig {
  stackTopItemsSize: number;
  /** Opcodes left out of usedOpcodes; null: go-ethereum's default list. */
  ignoredOpcodes: number[] | null;
  withLog: boolean;
}

/** Reads the tracerConfig: `ignoredOpcodes` is a list of hex quantities ("0x60") as go-ethereum takes. */
export function parseErc7562Config(raw: unknown): Erc7562TracerConfig {
  const base = readTracerConfig("erc7562Tracer", raw, {
    stackTopItemsSize: 0,
    withLog: false,
  });
  let ignored: number[] | null = null;
  if (raw !== null && typeof raw === "object" && !Array.isArray(raw)) {
    const list = (raw as Record<string, unknown>).ignoredOpcodes;
    if (list !== undefined && list !== null) {
      if (!Array.isArray(list)) {
        throw new TracerError("erc7562Tracer: tracerConfig.ignoredOpcodes must be a list of hex quantities");
      }
      ignored = list.map((v, i) => {
        if (typeof v !== "string" || !/^0[xX](0|[1-9a-fA-F][0-9a-fA-F]{0,15})$/.test(v)) {
          throw new TracerError(
            `erc7562Tracer: tracerConfig.ignoredOpcodes[${i}] must be a hex quantity such as "0x60", got ${JSON.stringify(v)}`,
          );
        }
        // go-ethereum converts the uint64 to an opcode byte (keeps the low 8 bits).
        return Number(parseBigInt(v, `ignoredOpcodes[${i}]`) & 0xffn);
      });
    }
  }
  if (!Number.isInteger(base.stackTopItemsSize)) {
    throw new TracerError("erc7562Tracer: tracerConfig.stackTopItemsSize must be an integer");
  }
  return {
    stackTopItemsSize: base.stackTopItemsSize === 0 ? 3 : base.stackTopItemsSize,
    ignoredOpcodes: ignored,
    withLog: base.withLog,
  };
}

function quantity(v: number | bigint): string {
  return `0x${v.toString(16)}`;
}

function word(v: bigint): string {
  return `0x${v.toString(16).padStart(64, "0")}`;
}

function compareBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

function slotCounts(m: Map<bigint, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of [...m.keys()].sort(compareBig)) out[word(k)] = m.get(k)!;
  return out;
}

/** A frame as go-ethereum encodes callFrameWithOpcodes (keys in its order, its omissions). */
function frameJson(f: Frame, keccak: Uint8Array[] | null): Record<string, unknown> {
  const out: Record<string, unknown> = {
    from: f.from,
    gas: quantity(f.gas),
    gasUsed: quantity(f.gasUsed),
  };
  if (f.to !== null) out.to = f.to;
  out.input = bytesToHex(f.input);
  if (f.output !== null && f.output.length > 0) out.output = bytesToHex(f.output);
  if (f.error !== "") out.error = f.error;
  if (f.revertReason !== "") out.revertReason = f.revertReason;
  if (f.logs.length > 0) {
    out.logs = f.logs.map((l) => ({
      address: l.address,
      topics: l.topics.map(word),
      data: bytesToHex(l.data),
      index: quantity(l.index),
      position: quantity(l.position),
    }));
  }
  if (f.value !== null) out.value = quantity(f.value);
  const reads: Record<string, string[]> = {};
  for (const k of [...f.reads.keys()].sort(compareBig)) reads[word(k)] = f.reads.get(k)!.map(word);
  out.accessedSlots = {
    reads,
    writes: slotCounts(f.writes),
    transientReads: slotCounts(f.transientReads),
    transientWrites: slotCounts(f.transientWrites),
  };
  out.extCodeAccessInfo = f.extCodeAccessInfo.slice();
  const used: Record<string, number> = {};
  // go-ethereum's map keys are hex strings, sorted as strings.
  for (const [k, v] of [...f.usedOpcodes]
    .map(([op, n]) => [quantity(op), n] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    used[k] = v;
  }
  out.usedOpcodes = used;
  const sizes: Record<string, unknown> = {};
  for (const a of [...f.contractSize.keys()].sort()) {
    const s = f.contractSize.get(a)!;
    sizes[a] = { contractSize: s.contractSize, opcode: s.opcode };
  }
  out.contractSize = sizes;
  out.outOfGas = f.outOfGas;
  if (keccak !== null && keccak.length > 0) out.keccak = keccak.map(bytesToHex);
  if (f.calls.length > 0) out.calls = f.calls.map((c) => frameJson(c, null));
  out.type = opcodeName(f.kind);
  return out;
}

function isExt(op: number): boolean {
  return op === OP.EXTCODEHASH || op === OP.EXTCODESIZE || op === OP.EXTCODECOPY;
}

function isCall(op: number): boolean {
  return op === OP.CALL || op === OP.CALLCODE || op === OP.DELEGATECALL || op === OP.STATICCALL;
}

class Erc7562Tracer extends JsonTracer {
  readonly name = "erc7562Tracer";
  readonly hooks: Hooks;
  private env: ExecEnv | null = null;
  private gasLimit = 0n;
  private readonly ignored: Set<number>;
  private readonly stack: Frame[] = [];
  /** The previous instruction and its top stack items (top first); null after RETURN/REVERT. */
  private lastOp: { op: number; top: bigint[] } | null = null;
  /** Distinct KECCAK256 preimages, keyed by hex. */
  private readonly preimages = new Map<string, Uint8Array>();
  /** Logs alive in the transaction, and per open frame the logs it (and finished children) emitted. */
  private liveLogs = 0;
  private readonly frameLogs: number[] = [];

  constructor(private readonly config: Erc7562TracerConfig) {
    super();
    this.ignored = new Set(config.ignoredOpcodes ?? defaultIgnoredOpcodes());
    this.hooks = {
      onTxStart: (tx, env) => {
        if (this.stopped === null) this.onTxStart(tx, env);
      },
      onTxEnd: (result) => {
        if (this.stopped === null) this.onTxEnd(result);
      },
      onEnter: (depth, kind, from, to, input, gas, value) => {
        if (this.stopped === null) this.onEnter(depth, kind, from, to, input, gas, value);
      },
      onExit: (depth, output, gasUsed, error, reverted) => {
        if (this.stopped === null) this.onExit(depth, output, gasUsed, error, reverted);
      },
      onOpcode: (_pc, op, _gas, _cost, scope) => {
        if (this.stopped === null) this.onOpcode(op, scope);
      },
      onLog: (log) => {
        if (this.stopped === null) this.onLog(log);
      },
    };
  }

  private onTxStart(tx: TxStartInfo, env: ExecEnv): void {
    this.env = env;
    this.gasLimit = tx.gasLimit;
  }

  private onEnter(
    depth: number,
    kind: CallKind,
    from: Address,
    to: Address,
    input: Uint8Array,
    gas: number,
    value: bigint,
  ): void {
    this.frameLogs.push(0);
    this.stack.push({
      kind,
      from,
      gas: depth === 0 ? this.gasLimit : gas,
      gasUsed: 0,
      to,
      input: input.slice(),
      output: null,
      error: "",
      revertReason: "",
      logs: [],
      value: kind === CallKind.STATICCALL ? null : value,
      revertedSnapshot: false,
      reads: new Map(),
      writes: new Map(),
      transientReads: new Map(),
      transientWrites: new Map(),
      extCodeAccessInfo: [],
      usedOpcodes: new Map(),
      contractSize: new Map(),
      outOfGas: false,
      calls: [],
    });
  }

  private onExit(
    depth: number,
    output: Uint8Array,
    gasUsed: number,
    error: string | null,
    reverted: boolean,
  ): void {
    const emitted = this.frameLogs.pop() ?? 0;
    if (reverted) this.liveLogs -= emitted;
    else if (this.frameLogs.length > 0) this.frameLogs[this.frameLogs.length - 1]! += emitted;
    if (depth === 0) {
      if (this.stack.length === 1) finishFrame(this.stack[0]!, output, error, reverted);
      return;
    }
    if (this.stack.length <= 1) return;
    const frame = this.stack.pop()!;
    // go-ethereum: errors.Is(err, ErrOutOfGas or ErrCodeStoreOutOfGas); failures of an
    // instruction's gas function are wrapped as "out of gas: <reason>".
    if (
      error !== null &&
      (error === OUT_OF_GAS || error.startsWith(OUT_OF_GAS_PREFIX) || error === CODE_STORE_OUT_OF_GAS)
    ) {
      frame.outOfGas = true;
    }
    frame.gasUsed = gasUsed;
    finishFrame(frame, output, error, reverted);
    this.stack[this.stack.length - 1]!.calls.push(frame);
  }

  private onTxEnd(result: TxEndInfo): void {
    if (result.invalid !== undefined) return;
    const top = this.stack[0];
    if (top === undefined) return;
    top.gasUsed = result.gasUsed;
    if (this.config.withLog) clearFailedLogs(top, false);
  }

  private onLog(log: LogRecord): void {
    const index = this.liveLogs++;
    if (this.frameLogs.length > 0) this.frameLogs[this.frameLogs.length - 1]!++;
    if (!this.config.withLog) return;
    const frame = this.stack[this.stack.length - 1];
    if (frame === undefined) return;
    frame.logs.push({
      address: log.address,
      topics: log.topics.slice(),
      data: log.data.slice(),
      index,
      position: frame.calls.length,
    });
  }

  private onOpcode(op: number, scope: StepScope): void {
    const frame = this.stack[this.stack.length - 1];
    if (frame === undefined) return;
    const limit = Math.min(scope.stackSize, this.config.stackTopItemsSize);
    const top: bigint[] = [];
    for (let i = 0; i < limit; i++) top.push(stackBack(scope, i));
    if (op === OP.RETURN || op === OP.REVERT) this.lastOp = null;
    const last = this.lastOp;
    // [OP-051] an EXTCODE* result is an access unless it only feeds ISZERO after EXTCODESIZE.
    if (last !== null && isExt(last.op) && !(last.op === OP.EXTCODESIZE && op === OP.ISZERO)) {
      frame.extCodeAccessInfo.push(addressFromBigInt(BigInt.asUintN(160, last.top[0] ?? 0n)));
    }
    // [OP-041] the size of code reached by EXTCODE* or CALL*.
    if (isExt(op) || isCall(op)) {
      const n = isExt(op) ? 0 : 1;
      if (scope.stackSize > n) {
        const addr = addressFromBigInt(BigInt.asUintN(160, stackBack(scope, n)));
        if (!frame.contractSize.has(addr) && this.env !== null) {
          frame.contractSize.set(addr, { contractSize: this.env.state.getCode(addr).length, opcode: op });
        }
      }
    }
    // [OP-012] GAS counts unless its value is only forwarded to a call.
    if (last !== null && last.op === OP.GAS && !isCall(op)) {
      frame.usedOpcodes.set(OP.GAS, (frame.usedOpcodes.get(OP.GAS) ?? 0) + 1);
    }
    if (op !== OP.GAS && !this.ignored.has(op))
      frame.usedOpcodes.set(op, (frame.usedOpcodes.get(op) ?? 0) + 1);
    this.storageAccess(op, scope, frame);
    if (op === OP.KECCAK256 && scope.stackSize >= 2) {
      const preimage = memoryCopyPadded(scope, stackBack(scope, 0), stackBack(scope, 1));
      if (preimage !== null) this.preimages.set(bytesToHex(preimage), preimage);
    }
    this.lastOp = { op, top };
  }

  private storageAccess(op: number, scope: StepScope, frame: Frame): void {
    if (op !== OP.SLOAD && op !== OP.SSTORE && op !== OP.TLOAD && op !== OP.TSTORE) return;
    if (scope.stackSize < 1) return;
    const slot = stackBack(scope, 0);
    if (op === OP.SLOAD) {
      // The value before the frame first wrote the slot, if it read it only afterwards.
      if (!frame.reads.has(slot) && !frame.writes.has(slot) && this.env !== null) {
        frame.reads.set(slot, [this.env.state.getStorage(scope.address, slot)]);
      }
    } else if (op === OP.SSTORE) {
      frame.writes.set(slot, (frame.writes.get(slot) ?? 0) + 1);
    } else if (op === OP.TLOAD) {
      frame.transientReads.set(slot, (frame.transientReads.get(slot) ?? 0) + 1);
    } else {
      frame.transientWrites.set(slot, (frame.transientWrites.get(slot) ?? 0) + 1);
    }
  }

  protected result(): unknown {
    if (this.stack.length !== 1) throw new TracerError("incorrect number of top-level calls");
    const keccak = [...this.preimages.values()].sort(compareBytes);
    return frameJson(this.stack[0]!, keccak);
  }
}

registerTracer("erc7562Tracer", (raw) => new Erc7562Tracer(parseErc7562Config(raw)));
