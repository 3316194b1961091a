/**
 * Opcode-trace steps in one normalised form, and the parsers that build them from the
 * two common trace formats:
 *
 *  - EIP-3155 JSON lines (`sonde statetest --trace`, go-ethereum's `evm --json`, other
 *    clients' `statetest --json`): one object per step
 *    {pc, op, gas, gasCost, memSize, stack, depth, refund, opName, error?, memory?, returnData?}
 *    and, per transaction, one or more summary objects {output, gasUsed, stateRoot?, error?,
 *    pass?, time?, fork?}. Clients differ in details, so numbers are accepted as JSON numbers,
 *    decimal strings or 0x-hex strings, and `op` as a number, a hex string or a name.
 *  - go-ethereum struct logs (debug_traceTransaction's default tracer): {pc, op: NAME, gas,
 *    gasCost, depth, stack?, memory?: [32-byte words], storage?: {slot: value}, refund?,
 *    returnData?, error?}. go-ethereum leaves `refund` out when it is zero, so a step whose
 *    `op` is a name (the struct-log form) and has no refund has refund 0.
 *
 * `parseTraceLine` sorts a line of a trace file into a step, a summary, or noise (blank
 * lines, log lines such as "INFO …", JSON that is neither). A line that looks like a step
 * but is not valid throws a `StepFormatError` saying what is wrong; the reader adds the
 * file name and line number.
 */
import { OPCODES } from "../evm/opcodes.js";

/** A non-negative integer: a number when it is a safe integer, a bigint above that. */
export type Quantity = number | bigint;

/**
 * One executed instruction. Optional fields are `undefined` when the trace did not give
 * them (stack disabled, no memory recorded, …).
 */
export interface Step {
  pc: number;
  op: number;
  /** The name the trace printed (or the standard name when it gave only a number). */
  opName: string;
  gas: Quantity;
  gasCost?: Quantity | undefined;
  depth: number;
  /** Stack items as the trace printed them (0x-hex), bottom first, top last. */
  stack?: string[] | undefined;
  memSize?: number | undefined;
  /** Memory as lowercase hex without 0x ("" for empty memory). */
  memory?: string | undefined;
  /** Storage slots as {key: value}, both as compact lowercase 0x-hex. */
  storage?: Record<string, string> | undefined;
  refund?: Quantity | undefined;
  error?: string | undefined;
  /** Return data of the last call as lowercase hex without 0x. */
  returnData?: string | undefined;
  /** 1-based line of the trace file the step came from, when read from a file. */
  line?: number | undefined;
}

/** The result of a trace: one summary line, or several merged (geth prints two). */
export interface Summary {
  /** Return data as lowercase hex without 0x. */
  output?: string;
  gasUsed?: Quantity;
  /** Lowercase 0x-hex. */
  stateRoot?: string;
  error?: string;
  pass?: boolean;
  fork?: string;
  /** Every key of the summary lines, as given. */
  raw: Record<string, unknown>;
  /** 1-based line of the first summary line, when read from a file. */
  line?: number;
}

/** A step line (or struct-log entry) that could not be read; the message says why. */
export class StepFormatError extends Error {
  override name = "StepFormatError";
}

export type LineItem =
  | { kind: "step"; step: Step }
  | { kind: "summary"; summary: Summary }
  /** A compact struct-log document on one line: {structLogs, gas, returnValue, failed}. */
  | { kind: "document"; steps: Step[]; summary: Summary }
  | { kind: "blank" }
  | { kind: "noise" };

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** Reads a quantity from a JSON number, a decimal string or a 0x-hex string; undefined if it is none. */
export function readQuantity(v: unknown): Quantity | undefined {
  if (typeof v === "number") return Number.isInteger(v) && v >= 0 ? v : undefined;
  if (typeof v !== "string" || v.length === 0) return undefined;
  // Number() parses "0x…" strictly; up to 13 hex / 15 decimal digits it is exact.
  const hex = v.length > 2 && v.charCodeAt(0) === 48 && (v.charCodeAt(1) | 32) === 120;
  if (v.length <= 15) {
    const n = Number(v);
    if (Number.isInteger(n) && n >= 0 && (hex || /^\d+$/.test(v))) return n;
    return undefined;
  }
  if (!hex && !/^\d+$/.test(v)) return undefined;
  let b: bigint;
  try {
    b = BigInt(v);
  } catch {
    return undefined;
  }
  return b <= BigInt(MAX_SAFE) ? Number(b) : b;
}

/** Opcode names to numbers, with the older or other names clients print. */
const OP_BY_NAME: Map<string, number> = (() => {
  const m = new Map<string, number>();
  OPCODES.forEach((info, code) => {
    if (info !== undefined) m.set(info.name, code);
  });
  const aliases: [string, number][] = [
    ["SHA3", 0x20],
    ["PREVRANDAO", 0x44],
    ["RANDOM", 0x44],
    ["SUICIDE", 0xff],
    ["KECCAK", 0x20],
  ];
  for (const [name, code] of aliases) if (!m.has(name)) m.set(name, code);
  return m;
})();

/** The opcode number of a name ("SSTORE", go-ethereum's "opcode 0xef not defined", "0x55"). */
export function opcodeFromName(name: string): number | undefined {
  const known = OP_BY_NAME.get(name) ?? OP_BY_NAME.get(name.toUpperCase());
  if (known !== undefined) return known;
  const m = /^(?:opcode )?0x([0-9a-f]{1,2})(?: not defined)?$/i.exec(name.trim());
  return m ? Number.parseInt(m[1]!, 16) : undefined;
}

/** The standard name of an opcode number. */
export function standardOpName(op: number): string {
  return OPCODES[op]?.name ?? `opcode 0x${op.toString(16)} not defined`;
}

function readOp(obj: Record<string, unknown>): { op: number; opName: string } {
  const op = obj.op;
  const given = typeof obj.opName === "string" ? obj.opName : undefined;
  let code: number | undefined;
  if (typeof op === "number") code = Number.isInteger(op) && op >= 0 && op <= 255 ? op : undefined;
  else if (typeof op === "string") code = opcodeFromName(op);
  else if (op === undefined && given !== undefined) code = opcodeFromName(given);
  if (op === undefined && given === undefined) throw new StepFormatError('"op" (or "opName") is missing');
  if (code === undefined) {
    const shown = op === undefined ? `opName ${JSON.stringify(given)}` : `op ${JSON.stringify(op)}`;
    throw new StepFormatError(`${shown} is not an opcode`);
  }
  const name = given ?? (typeof op === "string" && !op.startsWith("0x") ? op : standardOpName(code));
  return { op: code, opName: name };
}

function need(obj: Record<string, unknown>, key: string): Quantity {
  const v = obj[key];
  if (v === undefined) throw new StepFormatError(`"${key}" is missing`);
  const q = readQuantity(v);
  if (q === undefined)
    throw new StepFormatError(`"${key}": ${JSON.stringify(v)} is not a non-negative integer`);
  return q;
}

function optional(obj: Record<string, unknown>, key: string): Quantity | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  const q = readQuantity(v);
  if (q === undefined)
    throw new StepFormatError(`"${key}": ${JSON.stringify(v)} is not a non-negative integer`);
  return q;
}

function smallInt(obj: Record<string, unknown>, key: string, required: boolean): number | undefined {
  const q = required ? need(obj, key) : optional(obj, key);
  if (typeof q === "bigint") throw new StepFormatError(`"${key}": ${q} is too large`);
  return q;
}

/** Hex text (with or without 0x) as lowercase hex without 0x. */
function bareHex(v: string, what: string): string {
  const s = v.startsWith("0x") || v.startsWith("0X") ? v.slice(2) : v;
  if (!/^[0-9a-fA-F]*$/.test(s)) throw new StepFormatError(`"${what}" is not hex`);
  return s.toLowerCase();
}

/** A quantity as compact lowercase 0x-hex ("0x0" for zero). */
function compactHex(v: string, what: string): string {
  try {
    return `0x${BigInt(v.startsWith("0x") || v.startsWith("0X") ? v : `0x${v}`).toString(16)}`;
  } catch {
    throw new StepFormatError(`${what}: ${JSON.stringify(v)} is not hex`);
  }
}

function readStack(v: unknown): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw new StepFormatError('"stack" is not an array');
  for (let i = 0; i < v.length; i++) {
    const item = v[i];
    if (typeof item === "string") {
      // go-ethereum once printed stack words as 64 hex digits without 0x.
      if (item.charCodeAt(1) !== 120 && item.charCodeAt(1) !== 88) v[i] = `0x${item}`;
    } else if (typeof item === "number" && Number.isInteger(item) && item >= 0) {
      v[i] = `0x${item.toString(16)}`;
    } else {
      throw new StepFormatError(`"stack" item ${i} is not a hex string`);
    }
  }
  return v as string[];
}

function readMemory(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return bareHex(v, "memory");
  if (Array.isArray(v)) {
    let out = "";
    for (const w of v) {
      if (typeof w !== "string") throw new StepFormatError('"memory" word is not a hex string');
      out += bareHex(w, "memory");
    }
    return out;
  }
  throw new StepFormatError('"memory" is neither a hex string nor an array of words');
}

function readStorage(v: unknown): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "object" || Array.isArray(v)) throw new StepFormatError('"storage" is not an object');
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if (typeof val !== "string") throw new StepFormatError(`"storage" value of ${k} is not a hex string`);
    out[compactHex(k, "storage key")] = compactHex(val, `storage value of ${k}`);
  }
  return out;
}

/**
 * A step from a parsed JSON object in either format (EIP-3155 or struct log). Throws a
 * StepFormatError naming the field that is missing or wrong.
 */
export function stepFromObject(obj: Record<string, unknown>, line?: number): Step {
  // pc first: a line whose "pc" is wrong is reported for that, not for a missing opcode.
  const pc = smallInt(obj, "pc", true)!;
  const { op, opName } = readOp(obj);
  const error = obj.error;
  const step: Step = {
    pc,
    op,
    opName,
    gas: need(obj, "gas"),
    gasCost: optional(obj, "gasCost"),
    depth: smallInt(obj, "depth", true)!,
    stack: readStack(obj.stack),
    memSize: smallInt(obj, "memSize", false),
    memory: readMemory(obj.memory),
    storage: readStorage(obj.storage),
    refund: optional(obj, "refund"),
    error:
      typeof error === "string"
        ? error === ""
          ? undefined
          : error
        : error == null
          ? undefined
          : String(error),
    returnData: typeof obj.returnData === "string" ? bareHex(obj.returnData, "returnData") : undefined,
    line,
  };
  // An opcode given by name marks go-ethereum's struct-log form, which omits a zero refund.
  if (step.refund === undefined && typeof obj.op === "string") step.refund = 0;
  return step;
}

/** A step from an EIP-3155 step object (same rules as stepFromObject). */
export const stepFromEip3155 = stepFromObject;

/**
 * A step from a go-ethereum struct-log entry: as stepFromObject, and a missing `refund`
 * is 0 (go-ethereum omits it when zero).
 */
export function stepFromStructLog(obj: Record<string, unknown>, line?: number): Step {
  const step = stepFromObject(obj, line);
  if (step.refund === undefined) step.refund = 0;
  return step;
}

/** Keys that mark a JSON object as a trace summary. */
const SUMMARY_KEYS = ["output", "gasUsed", "stateRoot", "error", "pass", "time", "fork"];

/** The summary of a summary line, or undefined when the object is not one. */
export function summaryFromObject(obj: Record<string, unknown>, line?: number): Summary | undefined {
  if (!SUMMARY_KEYS.some((k) => k in obj)) return undefined;
  const s: Summary = { raw: { ...obj } };
  if (typeof obj.output === "string") s.output = bareHexLoose(obj.output);
  const gasUsed = readQuantity(obj.gasUsed);
  if (gasUsed !== undefined) s.gasUsed = gasUsed;
  if (typeof obj.stateRoot === "string") s.stateRoot = obj.stateRoot.toLowerCase();
  if (typeof obj.error === "string" && obj.error !== "") s.error = obj.error;
  if (typeof obj.pass === "boolean") s.pass = obj.pass;
  if (typeof obj.fork === "string") s.fork = obj.fork;
  if (line !== undefined) s.line = line;
  return s;
}

function bareHexLoose(v: string): string {
  const s = v.startsWith("0x") || v.startsWith("0X") ? v.slice(2) : v;
  return s.toLowerCase();
}

/** True when `next` repeats a key of `current`: it then starts the next trace's summary. */
export function summaryCollides(current: Summary, next: Summary): boolean {
  for (const k of Object.keys(next.raw)) if (k in current.raw) return true;
  return false;
}

/** `current` with the keys of `next` added. */
export function mergeSummary(current: Summary, next: Summary): Summary {
  const merged = summaryFromObject({ ...current.raw, ...next.raw })!;
  if (current.line !== undefined) merged.line = current.line;
  return merged;
}

/** A struct-log document ({structLogs, gas, failed, returnValue}, or a JSON-RPC reply holding one). */
function documentFromObject(obj: Record<string, unknown>, line?: number): LineItem | undefined {
  const doc =
    Array.isArray(obj.structLogs) || obj.result === undefined
      ? obj
      : (obj.result as Record<string, unknown> | null);
  if (doc === null || typeof doc !== "object" || !Array.isArray(doc.structLogs)) return undefined;
  const steps: Step[] = [];
  (doc.structLogs as unknown[]).forEach((entry, i) => {
    if (entry === null || typeof entry !== "object")
      throw new StepFormatError(`structLogs entry ${i} is not an object`);
    try {
      steps.push(stepFromStructLog(entry as Record<string, unknown>, line));
    } catch (err) {
      throw new StepFormatError(`structLogs entry ${i}: ${(err as Error).message}`);
    }
  });
  const raw: Record<string, unknown> = {};
  if (doc.gas !== undefined) raw.gasUsed = doc.gas;
  if (typeof doc.returnValue === "string") raw.output = doc.returnValue;
  if (doc.failed === true) raw.error = "failed";
  const summary = summaryFromObject(raw, line) ?? { raw };
  return { kind: "document", steps, summary };
}

/**
 * Sorts one line of a trace file. Throws a StepFormatError for a line that looks like a
 * step (mentions "pc") but is not valid JSON or not a valid step.
 */
export function parseTraceLine(text: string, line?: number): LineItem {
  let i = 0;
  while (i < text.length && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
  if (i === text.length || (i === text.length - 1 && text.charCodeAt(i) === 13)) return { kind: "blank" };
  if (text.charCodeAt(i) !== 123 /* { */) return { kind: "noise" };
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (err) {
    if (text.includes('"pc"')) throw new StepFormatError(`malformed JSON: ${(err as Error).message}`);
    return { kind: "noise" };
  }
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) return { kind: "noise" };
  const o = obj as Record<string, unknown>;
  if ("pc" in o) {
    try {
      return { kind: "step", step: stepFromObject(o, line) };
    } catch (err) {
      if (err instanceof StepFormatError) throw new StepFormatError(`malformed step: ${err.message}`);
      throw err;
    }
  }
  if ("structLogs" in o || "result" in o) {
    const doc = documentFromObject(o, line);
    if (doc !== undefined) return doc;
  }
  // Structured log lines ({"level":…,"msg":…}) are noise even when they carry "error".
  if ("msg" in o || "level" in o || "lvl" in o) return { kind: "noise" };
  const summary = summaryFromObject(o, line);
  return summary === undefined ? { kind: "noise" } : { kind: "summary", summary };
}
