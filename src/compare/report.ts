/**
 * Reports of a trace comparison (tracediff.ts): a human-readable text — the context steps
 * and the diverging step of both sides side by side, the differing fields named and
 * marked, then a one-line verdict — and the same as JSON data.
 */
import type { Quantity, Step, Summary } from "./steps.js";
import {
  type DiffResult,
  type FieldDiff,
  type FieldValue,
  quantityValue,
  type SkippedField,
  showValue,
} from "./tracediff.js";

export interface ReportOptions {
  /** Labels of the two sides (file names, source descriptions). */
  labels?: { a: string; b: string };
  /** Mark differing cells with ANSI colour (as well as the "*" marker). */
  color?: boolean;
  /** Extra lines printed before the verdict (input statistics and the like). */
  notes?: string[];
  /** Stack items shown per row (default 3). */
  stackItems?: number;
}

const count = (n: number) => n.toLocaleString("en-US");

function quantityText(q: Quantity | undefined): string {
  return q === undefined ? "-" : q.toString();
}

/** A stack item shortened for a table cell. */
function shortItem(s: string): string {
  return s.length > 18 ? `${s.slice(0, 8)}…${s.slice(-6)}` : s;
}

function stackCell(stack: string[] | undefined, n: number): string {
  if (stack === undefined) return "-";
  if (stack.length === 0) return "[]";
  const top: string[] = [];
  for (let i = 1; i <= Math.min(n, stack.length); i++) top.push(shortItem(stack[stack.length - i]!));
  return stack.length > n ? `${top.join(" ")} …(${stack.length})` : top.join(" ");
}

/** Columns of one side, in order; `key` is the field a column shows. */
const COLUMNS = [
  { key: "pc", title: "pc", right: true },
  { key: "op", title: "op", right: false },
  { key: "gas", title: "gas", right: true },
  { key: "gasCost", title: "cost", right: true },
  { key: "depth", title: "d", right: true },
  { key: "stack", title: "stack (top first)", right: false },
] as const;

function cells(s: Step | null, ended: string, stackItems: number): string[] {
  if (s === null) return ["", ended, "", "", "", ""];
  return [
    `0x${s.pc.toString(16)}`,
    s.opName,
    quantityText(s.gas),
    quantityText(s.gasCost),
    String(s.depth),
    stackCell(s.stack, stackItems),
  ];
}

interface Row {
  label: string;
  a: string[];
  b: string[];
  /** Column keys marked as differing. */
  marked: Set<string>;
  /** The diverging row (marked with ">"). */
  diverging: boolean;
}

function table(rows: Row[], color: boolean): string[] {
  const widths = (side: "a" | "b") =>
    COLUMNS.map((c, i) => Math.max(c.title.length, ...rows.map((r) => r[side][i]!.length + 1)));
  const wa = widths("a");
  const wb = widths("b");
  const wl = Math.max(4, ...rows.map((r) => r.label.length));
  const pad = (text: string, width: number, right: boolean) =>
    right ? text.padStart(width) : text.padEnd(width);
  const side = (values: string[], w: number[], marked: Set<string> | null) =>
    COLUMNS.map((c, i) => {
      const mark = marked?.has(c.key) ?? false;
      const text = pad(values[i]! + (mark ? "*" : c.right ? " " : ""), w[i]!, c.right);
      return mark && color ? `\x1b[1;31m${text}\x1b[0m` : text;
    }).join(" ");
  const header = (w: number[]) =>
    side(
      COLUMNS.map((c) => c.title),
      w,
      null,
    );
  const out = [`  ${"step".padStart(wl)} │ ${header(wa)} │ ${header(wb)}`];
  for (const r of rows) {
    const lead = r.diverging ? ">" : " ";
    out.push(
      `${lead} ${r.label.padStart(wl)} │ ${side(r.a, wa, r.marked)} │ ${side(r.b, wb, r.marked)}`.trimEnd(),
    );
  }
  return out;
}

function summaryLines(s: Summary | null, side: string): string {
  if (s === null) return `  ${side}: (no summary line)`;
  const parts: string[] = [];
  if (s.output !== undefined)
    parts.push(`output 0x${s.output.length > 66 ? `${s.output.slice(0, 64)}…` : s.output}`);
  if (s.gasUsed !== undefined) parts.push(`gasUsed ${s.gasUsed}`);
  if (s.stateRoot !== undefined) parts.push(`stateRoot ${s.stateRoot}`);
  parts.push(s.error === undefined ? "no error" : `error ${JSON.stringify(s.error)}`);
  return `  ${side}: ${parts.join(", ")}`;
}

function fieldLines(fields: FieldDiff[]): string[] {
  const w = Math.max(...fields.map((f) => f.field.length));
  const out: string[] = [];
  for (const f of fields) {
    const head = `  ${f.field.padEnd(w)}  `;
    const indent = " ".repeat(head.length);
    if (f.note === undefined && (f.a === null || typeof f.a !== "object")) {
      out.push(`${head}A ${short(f.a)}   B ${short(f.b)}`);
      continue;
    }
    out.push(`${head}${f.note ?? ""}`.trimEnd());
    if (f.field === "stack" && Array.isArray(f.a) && Array.isArray(f.b)) {
      const top = (v: string[]) => (v.length === 0 ? "(empty)" : [...v].reverse().join(" "));
      out.push(`${indent}A (top first) ${short(top(f.a))}`, `${indent}B (top first) ${short(top(f.b))}`);
    } else out.push(`${indent}A ${short(f.a)}`, `${indent}B ${short(f.b)}`);
  }
  return out;
}

const MAX_SLOTS = 8;

function storageText(s: Step | null): string {
  const entries = Object.entries(s?.storage ?? {});
  if (entries.length === 0) return "(none recorded)";
  const shown = entries.slice(0, MAX_SLOTS).map(([k, v]) => `${k}=${v}`);
  return entries.length > MAX_SLOTS ? `${shown.join(" ")} …(${entries.length} slots)` : shown.join(" ");
}

function memoryText(s: Step | null): string {
  if (s === null) return "-";
  const size = s.memSize ?? (s.memory === undefined ? undefined : s.memory.length / 2);
  if (size === undefined) return "(not recorded)";
  if (s.memory === undefined) return `${size} bytes`;
  const hex = s.memory.length > 256 ? `${s.memory.slice(0, 128)}…${s.memory.slice(-128)}` : s.memory;
  return `${size} bytes${s.memory === "" ? "" : `: 0x${hex}`}`;
}

/**
 * The storage slots (as the struct logger records them: those the frame touched so far)
 * and the memory at the diverging step, when either side's trace has them.
 */
function stateLines(a: Step | null, b: Step | null): string[] {
  const out: string[] = [];
  const has = (f: (s: Step) => boolean) => [a, b].some((s) => s !== null && f(s));
  if (has((s) => s.storage !== undefined))
    out.push(`  storage  A ${storageText(a)}`, `           B ${storageText(b)}`);
  if (has((s) => s.memory !== undefined || s.memSize !== undefined))
    out.push(`  memory   A ${memoryText(a)}`, `           B ${memoryText(b)}`);
  return out;
}

function short(v: FieldValue): string {
  const s = showValue(v);
  return s.length > 400 ? `${s.slice(0, 400)}… (${s.length} characters)` : s;
}

function skippedText(skipped: SkippedField[]): string | null {
  const oneSide = skipped.filter((s) => s.missingIn !== "both");
  if (oneSide.length === 0) return null;
  return `not compared (one side lacks them): ${oneSide.map((s) => `${s.field} (missing in ${s.missingIn})`).join(", ")}`;
}

/** The human-readable report, ending with the verdict line (and a newline). */
export function formatReport(r: DiffResult, opts: ReportOptions = {}): string {
  const color = opts.color ?? false;
  const n = opts.stackItems ?? 3;
  const out: string[] = [];
  if (opts.labels) out.push(`A: ${opts.labels.a}`, `B: ${opts.labels.b}`);
  const d = r.divergence;
  if (d !== null && d.kind !== "traces") {
    const rows: Row[] = [];
    const ctxLen = Math.max(d.context.a.length, d.context.b.length);
    const first = d.kind === "summary" ? d.step - ctxLen + 1 : d.step - ctxLen;
    for (let i = 0; i < ctxLen; i++) {
      rows.push({
        label: String(first + i),
        a: cells(d.context.a[i] ?? null, "", n),
        b: cells(d.context.b[i] ?? null, "", n),
        marked: new Set(),
        diverging: false,
      });
    }
    if (d.kind === "fields" || d.kind === "length") {
      rows.push({
        label: String(d.step),
        a: cells(d.a, "(trace ended)", n),
        b: cells(d.b, "(trace ended)", n),
        marked: new Set<string>(d.fields.map((f) => f.field)),
        diverging: true,
      });
    }
    const where = r.traces > 1 || d.trace > 1 ? `trace ${d.trace}, ` : "";
    if (rows.length > 0) {
      out.push("", `${where}steps ${rows[0]!.label}–${rows.at(-1)!.label}, A on the left, B on the right:`);
      out.push(...table(rows, color));
    }
    if (d.kind === "fields") {
      out.push("", `differing at step ${count(d.step)}:`, ...fieldLines(d.fields));
      const hidden = d.fields.filter((f) => !COLUMNS.some((c) => c.key === f.field)).map((f) => f.field);
      if (hidden.length > 0) out.push(`  (not in the table: ${hidden.join(", ")})`);
      const la = d.a?.line;
      const lb = d.b?.line;
      if (la !== undefined && lb !== undefined) out.push(`  lines: A ${la}, B ${lb}`);
      const seen = stateLines(d.a, d.b);
      if (seen.length > 0) out.push("", `state seen at step ${count(d.step)}:`, ...seen);
    } else if (d.kind === "summary") {
      out.push("", `results after ${count(d.step)} equal steps:`);
      out.push(summaryLines(d.summaries?.a ?? null, "A"), summaryLines(d.summaries?.b ?? null, "B"));
      out.push("differing:", ...fieldLines(d.fields));
    }
  }
  const skipped = skippedText(r.skipped);
  if (skipped !== null || (opts.notes?.length ?? 0) > 0) out.push("");
  if (skipped !== null) out.push(skipped);
  if (opts.notes) out.push(...opts.notes);
  out.push(r.verdict);
  if (out[0] === "") out.shift();
  return `${out.join("\n")}\n`;
}

/** A step as JSON data: quantities above 2^53 as decimal strings, absent fields left out. */
export function stepJson(s: Step | null): Record<string, unknown> | null {
  if (s === null) return null;
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) {
    if (v === undefined) continue;
    o[k] = typeof v === "bigint" ? quantityValue(v) : v;
  }
  return o;
}

function summaryJson(s: Summary | null): Record<string, unknown> | null {
  if (s === null) return null;
  return s.raw;
}

/** The comparison as a JSON-ready object (the same content as the text report). */
export function reportJson(r: DiffResult, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const d = r.divergence;
  const divergence =
    d === null
      ? null
      : {
          kind: d.kind,
          trace: d.trace,
          step: d.step,
          fields: d.fields,
          a: stepJson(d.a),
          b: stepJson(d.b),
          context: { a: d.context.a.map(stepJson), b: d.context.b.map(stepJson) },
          ...(d.summaries
            ? { summaries: { a: summaryJson(d.summaries.a), b: summaryJson(d.summaries.b) } }
            : {}),
          ...(d.extraTraceIn ? { extraTraceIn: d.extraTraceIn } : {}),
        };
  return {
    diverged: d !== null,
    traces: r.traces,
    steps: r.steps,
    divergence,
    skipped: r.skipped,
    ...extra,
    verdict: r.verdict,
  };
}
