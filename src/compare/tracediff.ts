/**
 * First-divergence comparison of two opcode traces, streamed in lockstep.
 *
 * `compareSteps` pulls one step at a time from each side and stops at the first step
 * where a compared field differs, or where one side ends before the other. It keeps only
 * the last K steps of each side (a ring buffer) for context, so memory stays O(K) however
 * long the traces are. `compareTraces` does the same over sequences of traces (a state
 * test's output holds one trace per test and fork): trace k of A against trace k of B,
 * and, when all steps of a trace agree, their summaries (output, gasUsed, stateRoot,
 * error). Only the first divergence is reported — as goevmlab's tracediff does, after
 * the first difference the two executions are no longer comparable step by step.
 *
 * Which fields count:
 *  - pc, op, gas, depth are in every step and always compared when selected;
 *  - gasCost, stack, memSize, refund and storage are compared only at steps where both
 *    sides give them (struct logs carry storage on SLOAD/SSTORE only);
 *  - memory and returnData are left out of traces while empty, so once a side has shown
 *    the field, a step without it means "empty"; they are compared from the point both
 *    sides have shown them;
 *  - error (off by default: clients word errors differently) is compared as text, a
 *    missing error meaning none.
 * Fields one side never gave are listed in the result as skipped. Stack items compare
 * by value (0x01 equals 0x1); the summary's error compares by presence only.
 */
import type { Quantity, Step, Summary } from "./steps.js";

export const STEP_FIELDS = [
  "pc",
  "op",
  "gas",
  "gasCost",
  "depth",
  "stack",
  "memSize",
  "memory",
  "storage",
  "refund",
  "returnData",
  "error",
] as const;
export type StepField = (typeof STEP_FIELDS)[number];

/** Compared unless told otherwise (memory and storage only when both sides record them). */
export const DEFAULT_FIELDS: readonly StepField[] = [
  "pc",
  "op",
  "gas",
  "gasCost",
  "depth",
  "stack",
  "refund",
  "memory",
  "storage",
];

export const SUMMARY_FIELDS = ["output", "gasUsed", "stateRoot", "error"] as const;
export type SummaryField = (typeof SUMMARY_FIELDS)[number];

/** A JSON-friendly value of a field (quantities above 2^53 as decimal strings). */
export type FieldValue = number | string | string[] | Record<string, string> | null;

export interface FieldDiff {
  field: string;
  a: FieldValue;
  b: FieldValue;
  /** Where exactly the values differ (stack item, memory offset, storage slot). */
  note?: string;
}

export interface SkippedField {
  field: string;
  /** Which side never gave the field. */
  missingIn: "A" | "B" | "both";
}

export type DivergenceKind = "fields" | "length" | "summary" | "traces";

export interface Divergence {
  kind: DivergenceKind;
  /** 1-based number of the trace (always 1 for a single trace). */
  trace: number;
  /**
   * 1-based number of the diverging step in its trace. For "length", the first step only
   * one side has; for "summary", the number of steps of the trace; 0 for "traces".
   */
  step: number;
  /** The diverging steps; null for the side whose trace had already ended. */
  a: Step | null;
  b: Step | null;
  /** Up to K steps before the diverging one (before the summary, for "summary"), oldest first. */
  context: { a: Step[]; b: Step[] };
  /** Differing fields (empty for "length" and "traces"). */
  fields: FieldDiff[];
  /** For "summary": both sides' summaries. */
  summaries?: { a: Summary | null; b: Summary | null };
  /** For "traces": which side has more traces. */
  extraTraceIn?: "A" | "B";
}

export interface CompareOptions {
  /** Step fields compared (default DEFAULT_FIELDS). */
  fields?: readonly StepField[];
  /** Summary fields compared (default all of SUMMARY_FIELDS). */
  summaryFields?: readonly SummaryField[];
  /** Steps of context kept from each side (default 8). */
  context?: number;
  /** Called every `progressEvery` steps (default 100,000) with the steps compared so far. */
  onProgress?: (steps: number) => void;
  progressEvery?: number;
}

export interface StepsComparison {
  /** Step pairs compared, the diverging one included. */
  steps: number;
  divergence: Divergence | null;
  /** The last K steps of each side when there was no divergence (context for a summary mismatch). */
  tail: { a: Step[]; b: Step[] };
  skipped: SkippedField[];
}

export interface DiffResult {
  /** Traces compared (the diverging one included). */
  traces: number;
  /** Step pairs compared over all traces. */
  steps: number;
  divergence: Divergence | null;
  skipped: SkippedField[];
  verdict: string;
}

/**
 * A step iterator may also offer `nextSync`: the next result when it is at hand without
 * waiting, undefined when `next()` must be awaited. compareSteps uses it to skip a promise
 * per step (a file reader has thousands of steps buffered at a time).
 */
export interface StepIterator extends AsyncIterator<Step> {
  nextSync?(): IteratorResult<Step> | undefined;
}

/** One trace: its steps, and its summary once the steps have been read. */
export interface Trace {
  steps: AsyncIterable<Step>;
  summary(): Promise<Summary | undefined>;
}

// Field bits.
const PC = 1 << 0;
const OP = 1 << 1;
const GAS = 1 << 2;
const GAS_COST = 1 << 3;
const DEPTH = 1 << 4;
const STACK = 1 << 5;
const MEM_SIZE = 1 << 6;
const MEMORY = 1 << 7;
const STORAGE = 1 << 8;
const REFUND = 1 << 9;
const RETURN_DATA = 1 << 10;
const ERROR = 1 << 11;
const BIT: Record<StepField, number> = {
  pc: PC,
  op: OP,
  gas: GAS,
  gasCost: GAS_COST,
  depth: DEPTH,
  stack: STACK,
  memSize: MEM_SIZE,
  memory: MEMORY,
  storage: STORAGE,
  refund: REFUND,
  returnData: RETURN_DATA,
  error: ERROR,
};
/** Fields a step may lack, tracked per side. */
const OPTIONAL = GAS_COST | STACK | MEM_SIZE | MEMORY | STORAGE | REFUND | RETURN_DATA;

function presence(s: Step): number {
  let m = 0;
  if (s.gasCost !== undefined) m |= GAS_COST;
  if (s.stack !== undefined) m |= STACK;
  if (s.memSize !== undefined) m |= MEM_SIZE;
  if (s.memory !== undefined) m |= MEMORY;
  if (s.storage !== undefined) m |= STORAGE;
  if (s.refund !== undefined) m |= REFUND;
  if (s.returnData !== undefined) m |= RETURN_DATA;
  return m;
}

/** A quantity as a JSON value: a number when safe, else a decimal string. */
export function quantityValue(q: Quantity | undefined): FieldValue {
  if (q === undefined) return null;
  return typeof q === "number" ? q : q.toString();
}

/** Two stack items equal by value (they may be printed differently: padding, case). */
function sameItem(x: string, y: string): boolean {
  if (x === y) return true;
  try {
    return BigInt(x) === BigInt(y);
  } catch {
    return false;
  }
}

function stackDiff(a: string[], b: string[]): FieldDiff | null {
  const n = Math.min(a.length, b.length);
  // Compare from the top: the most recently pushed values differ first in practice.
  for (let i = 1; i <= n; i++) {
    const x = a[a.length - i]!;
    const y = b[b.length - i]!;
    if (!sameItem(x, y)) {
      return { field: "stack", a, b, note: `item ${i} from the top: ${x} ≠ ${y}` };
    }
  }
  if (a.length !== b.length) {
    return { field: "stack", a, b, note: `${a.length} ≠ ${b.length} items` };
  }
  return null;
}

/** Hex-string memory (or return data) difference: the first differing byte. */
function bytesDiff(field: "memory" | "returnData", a: string, b: string): FieldDiff | null {
  if (a === b) return null;
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  const byte = i >> 1;
  const sizes = `${a.length >> 1} vs ${b.length >> 1} bytes`;
  if (field === "returnData") {
    const note = `first differing byte at offset 0x${byte.toString(16)} (${sizes})`;
    return { field, a: `0x${a}`, b: `0x${b}`, note };
  }
  // Show the 32-byte word holding the first difference.
  const word = byte & ~31;
  const w = (m: string) =>
    word * 2 < m.length ? `0x${m.slice(word * 2, word * 2 + 64)}` : "(beyond memory)";
  const note = `first differing byte at offset 0x${byte.toString(16)}, word at 0x${word.toString(16)} (${sizes})`;
  return { field, a: w(a), b: w(b), note };
}

function storageDiff(a: Record<string, string>, b: Record<string, string>): FieldDiff | null {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  const sorted = [...keys].sort((x, y) => {
    const d = BigInt(x) - BigInt(y);
    return d < 0n ? -1 : d > 0n ? 1 : 0;
  });
  for (const k of sorted) {
    const x = a[k];
    const y = b[k];
    if (x === y) continue;
    const note = `slot ${k}: ${x ?? "(absent)"} ≠ ${y ?? "(absent)"}`;
    return { field: "storage", a, b, note };
  }
  return null;
}

/** Per-comparison state: which optional fields each side has shown so far. */
interface Seen {
  a: number;
  b: number;
}

/**
 * The differing fields of two steps, or null when they agree on every compared field.
 * `fields` is a bit set; `seen` the fields each side has shown so far (updated here).
 */
function diffStep(a: Step, b: Step, fields: number, seen: Seen): FieldDiff[] | null {
  const pa = presence(a);
  const pb = presence(b);
  seen.a |= pa;
  seen.b |= pb;
  let out: FieldDiff[] | null = null;
  const add = (d: FieldDiff) => {
    (out ??= []).push(d);
  };
  if (fields & PC && a.pc !== b.pc) add({ field: "pc", a: a.pc, b: b.pc });
  if (fields & OP && a.op !== b.op) add({ field: "op", a: a.opName, b: b.opName });
  if (fields & GAS && a.gas !== b.gas)
    add({ field: "gas", a: quantityValue(a.gas), b: quantityValue(b.gas) });
  if (fields & GAS_COST && pa & pb & GAS_COST && a.gasCost !== b.gasCost)
    add({ field: "gasCost", a: quantityValue(a.gasCost), b: quantityValue(b.gasCost) });
  if (fields & DEPTH && a.depth !== b.depth) add({ field: "depth", a: a.depth, b: b.depth });
  if (fields & STACK && pa & pb & STACK) {
    const sa = a.stack!;
    const sb = b.stack!;
    let same = sa.length === sb.length;
    for (let i = 0; same && i < sa.length; i++) same = sa[i] === sb[i];
    if (!same) {
      const d = stackDiff(sa, sb);
      if (d !== null) add(d);
    }
  }
  if (fields & MEM_SIZE && pa & pb & MEM_SIZE && a.memSize !== b.memSize)
    add({ field: "memSize", a: a.memSize!, b: b.memSize! });
  if (fields & MEMORY && seen.a & seen.b & MEMORY) {
    const d = bytesDiff("memory", a.memory ?? "", b.memory ?? "");
    if (d !== null) add(d);
  }
  if (fields & STORAGE && pa & pb & STORAGE) {
    const d = storageDiff(a.storage!, b.storage!);
    if (d !== null) add(d);
  }
  if (fields & REFUND && pa & pb & REFUND && a.refund !== b.refund)
    add({ field: "refund", a: quantityValue(a.refund), b: quantityValue(b.refund) });
  if (fields & RETURN_DATA && seen.a & seen.b & RETURN_DATA) {
    const d = bytesDiff("returnData", a.returnData ?? "", b.returnData ?? "");
    if (d !== null) add(d);
  }
  if (fields & ERROR && a.error !== b.error) add({ field: "error", a: a.error ?? null, b: b.error ?? null });
  return out;
}

function fieldBits(fields: readonly StepField[]): number {
  let m = 0;
  for (const f of fields) {
    const bit = BIT[f];
    if (bit === undefined) throw new Error(`unknown step field "${f}"`);
    m |= bit;
  }
  return m;
}

function skippedOf(fields: number, seen: Seen): SkippedField[] {
  const out: SkippedField[] = [];
  for (const f of STEP_FIELDS) {
    const bit = BIT[f];
    if (!(fields & bit & OPTIONAL)) continue;
    const inA = (seen.a & bit) !== 0;
    const inB = (seen.b & bit) !== 0;
    if (inA && inB) continue;
    out.push({ field: f, missingIn: inA ? "B" : inB ? "A" : "both" });
  }
  return out;
}

/** The last `k` items pushed, oldest first. */
class Ring<T> {
  private readonly buf: T[] = [];
  private n = 0;
  constructor(private readonly k: number) {}
  push(x: T): void {
    if (this.k === 0) return;
    this.buf[this.n % this.k] = x;
    this.n++;
  }
  items(): T[] {
    if (this.n <= this.k) return this.buf.slice(0, this.n);
    const start = this.n % this.k;
    return [...this.buf.slice(start), ...this.buf.slice(0, start)];
  }
}

function contextSize(opts: CompareOptions): number {
  const k = opts.context ?? 8;
  if (!Number.isInteger(k) || k < 0) throw new Error(`context must be a non-negative integer, got ${k}`);
  return k;
}

/**
 * Compares two step streams in lockstep up to the first divergence. Pulls one step at a
 * time from each side and keeps only the last K of each; when it stops early it closes
 * both iterators (`return()`).
 */
export async function compareSteps(
  a: AsyncIterable<Step>,
  b: AsyncIterable<Step>,
  opts: CompareOptions = {},
): Promise<StepsComparison> {
  const fields = fieldBits(opts.fields ?? DEFAULT_FIELDS);
  const k = contextSize(opts);
  const every = opts.progressEvery ?? 100_000;
  const onProgress = opts.onProgress;
  const ia: StepIterator = a[Symbol.asyncIterator]();
  const ib: StepIterator = b[Symbol.asyncIterator]();
  const ra = new Ring<Step>(k);
  const rb = new Ring<Step>(k);
  const seen: Seen = { a: 0, b: 0 };
  let n = 0;
  let ended = false;
  try {
    for (;;) {
      const xa = ia.nextSync?.() ?? (await ia.next());
      const xb = ib.nextSync?.() ?? (await ib.next());
      if (xa.done && xb.done) {
        ended = true;
        return {
          steps: n,
          divergence: null,
          tail: { a: ra.items(), b: rb.items() },
          skipped: skippedOf(fields, seen),
        };
      }
      n++;
      if (xa.done || xb.done) {
        const divergence: Divergence = {
          kind: "length",
          trace: 1,
          step: n,
          a: xa.done ? null : xa.value,
          b: xb.done ? null : xb.value,
          context: { a: ra.items(), b: rb.items() },
          fields: [],
        };
        return { steps: n, divergence, tail: { a: [], b: [] }, skipped: skippedOf(fields, seen) };
      }
      const diffs = diffStep(xa.value, xb.value, fields, seen);
      if (diffs !== null) {
        const divergence: Divergence = {
          kind: "fields",
          trace: 1,
          step: n,
          a: xa.value,
          b: xb.value,
          context: { a: ra.items(), b: rb.items() },
          fields: diffs,
        };
        return { steps: n, divergence, tail: { a: [], b: [] }, skipped: skippedOf(fields, seen) };
      }
      ra.push(xa.value);
      rb.push(xb.value);
      if (onProgress !== undefined && n % every === 0) onProgress(n);
    }
  } finally {
    // Stopped early (divergence or an error on one side): release both sources.
    if (!ended) await Promise.allSettled([ia.return?.(), ib.return?.()]);
  }
}

/** The differing summary fields (only fields both summaries have; error by presence). */
export function compareSummaries(
  a: Summary | undefined,
  b: Summary | undefined,
  fields: readonly SummaryField[] = SUMMARY_FIELDS,
): { diffs: FieldDiff[]; skipped: SkippedField[] } {
  const diffs: FieldDiff[] = [];
  const skipped: SkippedField[] = [];
  for (const f of fields) {
    if (f === "error") {
      // Every trace states success or failure, and clients word errors differently.
      if (a === undefined || b === undefined) continue;
      if ((a.error === undefined) !== (b.error === undefined))
        diffs.push({ field: "error", a: a.error ?? null, b: b.error ?? null });
      continue;
    }
    const va = a?.[f];
    const vb = b?.[f];
    if (va === undefined || vb === undefined) {
      if (va !== undefined || vb !== undefined)
        skipped.push({ field: f, missingIn: va === undefined ? "A" : "B" });
      continue;
    }
    if (va === vb) continue;
    if (f === "output") diffs.push({ field: f, a: `0x${va}`, b: `0x${vb}` });
    else if (f === "gasUsed")
      diffs.push({ field: f, a: quantityValue(va as Quantity), b: quantityValue(vb as Quantity) });
    else diffs.push({ field: f, a: va as string, b: vb as string });
  }
  return { diffs, skipped };
}

function mergeSkipped(into: SkippedField[], more: SkippedField[]): void {
  for (const s of more) {
    const old = into.find((x) => x.field === s.field);
    if (old === undefined) into.push({ ...s });
    else if (old.missingIn !== s.missingIn) old.missingIn = "both";
  }
}

/**
 * Compares two sequences of traces: trace k of A with trace k of B, steps first, then the
 * summaries; stops at the first divergence (including one side having more traces).
 */
export async function compareTraces(
  a: AsyncIterable<Trace>,
  b: AsyncIterable<Trace>,
  opts: CompareOptions = {},
): Promise<DiffResult> {
  const ia = a[Symbol.asyncIterator]();
  const ib = b[Symbol.asyncIterator]();
  const skipped: SkippedField[] = [];
  let traces = 0;
  let steps = 0;
  const done = (divergence: Divergence | null): DiffResult => {
    const r = { traces, steps, divergence, skipped, verdict: "" };
    r.verdict = verdictOf(r);
    return r;
  };
  try {
    for (;;) {
      const ta = await ia.next();
      const tb = await ib.next();
      if (ta.done && tb.done) return done(null);
      traces++;
      if (ta.done || tb.done) {
        return done({
          kind: "traces",
          trace: traces,
          step: 0,
          a: null,
          b: null,
          context: { a: [], b: [] },
          fields: [],
          extraTraceIn: ta.done ? "B" : "A",
        });
      }
      const base = steps;
      const onProgress = opts.onProgress;
      const inner: CompareOptions = { ...opts };
      if (onProgress !== undefined) inner.onProgress = (n) => onProgress(base + n);
      const r = await compareSteps(ta.value.steps, tb.value.steps, inner);
      steps += r.steps;
      mergeSkipped(skipped, r.skipped);
      if (r.divergence !== null) return done({ ...r.divergence, trace: traces });
      const sa = await ta.value.summary();
      const sb = await tb.value.summary();
      const s = compareSummaries(sa, sb, opts.summaryFields ?? SUMMARY_FIELDS);
      mergeSkipped(skipped, s.skipped);
      if (s.diffs.length > 0) {
        return done({
          kind: "summary",
          trace: traces,
          step: r.steps,
          a: null,
          b: null,
          context: r.tail,
          fields: s.diffs,
          summaries: { a: sa ?? null, b: sb ?? null },
        });
      }
    }
  } finally {
    await Promise.allSettled([ia.return?.(), ib.return?.()]);
  }
}

/** A one-trace DiffResult from compareSteps' result (for sources that give a single trace). */
export function singleTraceResult(r: StepsComparison): DiffResult {
  const out: DiffResult = {
    traces: 1,
    steps: r.steps,
    divergence: r.divergence,
    skipped: r.skipped,
    verdict: "",
  };
  out.verdict = verdictOf(out);
  return out;
}

const count = (n: number) => n.toLocaleString("en-US");

/** A field value in a verdict or table cell. */
export function showValue(v: FieldValue): string {
  if (v === null) return "(none)";
  if (Array.isArray(v)) return `[${v.join(", ")}]`;
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

/** "pc 0x2a SSTORE, depth 2" */
export function describeStep(s: Step): string {
  return `pc 0x${s.pc.toString(16)} ${s.opName}, depth ${s.depth}`;
}

function describeDiff(d: FieldDiff): string {
  if (d.field === "stack" || d.field === "memory" || d.field === "storage" || d.field === "returnData")
    return `${d.field} differs (${d.note ?? ""})`;
  return `${d.field} ${showValue(d.a)} ≠ ${showValue(d.b)}`;
}

/** The one-line verdict. */
export function verdictOf(r: Omit<DiffResult, "verdict">): string {
  const d = r.divergence;
  const inTraces = r.traces > 1 ? ` in ${count(r.traces)} traces` : "";
  if (d === null) {
    if (r.traces === 0) return "nothing compared: neither side holds a trace (no steps, no results)";
    return `no divergence: ${count(r.steps)} steps compared${inTraces}`;
  }
  const where = d.trace > 1 ? `trace ${d.trace}, ` : "";
  switch (d.kind) {
    case "fields": {
      const shown = d.fields.slice(0, 3).map(describeDiff).join("; ");
      const more = d.fields.length > 3 ? `; and ${d.fields.length - 3} more` : "";
      return `DIVERGED at ${where}step ${count(d.step)} (${describeStep(d.a!)}): ${shown}${more}`;
    }
    case "length": {
      const [ended, goes, step] = d.a === null ? ["A", "B", d.b!] : ["B", "A", d.a];
      return (
        `DIVERGED at ${where}step ${count(d.step)}: ${ended} ends after ${count(d.step - 1)} steps, ` +
        `${goes} goes on (${describeStep(step)})`
      );
    }
    case "summary": {
      const shown = d.fields.map(describeDiff).join("; ");
      const of = d.trace > 1 ? ` of trace ${d.trace}` : "";
      return `DIVERGED in the result${of} after ${count(d.step)} equal steps: ${shown}`;
    }
    case "traces": {
      // The side with more traces has at least d.trace of them; the other exactly one fewer.
      const fewer = d.extraTraceIn === "A" ? "B" : "A";
      const k = d.trace - 1;
      const more = `DIVERGED: ${d.extraTraceIn} has at least ${d.trace} trace${d.trace === 1 ? "" : "s"}`;
      if (k === 0) return `${more}, ${fewer} has none`;
      const agree = k === 1 ? "the first agrees" : k === 2 ? "both agree" : `all ${k} agree`;
      return `${more}, ${fewer} has ${k} (${agree}, ${count(r.steps)} steps compared)`;
    }
  }
}
