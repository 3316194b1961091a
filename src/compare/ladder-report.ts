/**
 * The report of a block or transaction comparison (ladder.ts): the levels compared with
 * their outcome, the differences found (both sides' values), the call path to the first
 * diverging frame, the first diverging opcode step side by side (report.ts's table), the
 * normalisations applied, and a final verdict line — as text, or as JSON data.
 */
import type { Difference, DiffReport } from "./ladder.js";
import { formatReport, stepJson } from "./report.js";

const MAX_SHOWN = 12;

function show(v: unknown): string {
  const t =
    typeof v === "string"
      ? v
      : JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? `0x${x.toString(16)}` : x));
  return t.length > 140 ? `${t.slice(0, 137)}…` : t;
}

function differenceLines(diffs: Difference[], indent: string): string[] {
  const out: string[] = [];
  for (const d of diffs.slice(0, MAX_SHOWN)) {
    out.push(`${indent}${d.what}`, `${indent}  A: ${show(d.a)}`, `${indent}  B: ${show(d.b)}`);
  }
  if (diffs.length > MAX_SHOWN)
    out.push(`${indent}… and ${diffs.length - MAX_SHOWN} more (--json shows all)`);
  return out;
}

/** The human-readable report, ending with the verdict line. */
export function formatLadderReport(r: DiffReport, opts: { color?: boolean } = {}): string {
  const out: string[] = [];
  out.push(`A: ${r.a.label} (${r.a.client})`, `B: ${r.b.label} (${r.b.client})`);
  out.push(
    r.tx === undefined
      ? `block ${r.block}`
      : `transaction ${r.tx.hash} (block ${r.block}, index ${r.tx.index})`,
    "",
  );
  for (const l of r.levels) {
    const status = l.status === "different" ? "DIFFERENT" : l.status;
    out.push(`  ${l.level.padEnd(24)}${status.padEnd(12)}${l.detail}`);
    if (l.status === "different" && l.level !== "opcodes")
      out.push(...differenceLines(l.differences, "      "));
  }
  const d = r.divergence;
  if (d?.callPath !== undefined && d.callPath.length > 0) {
    out.push("", "call path to the first diverging frame:");
    d.callPath.forEach((f, i) => {
      const at = f.traceAddress.length === 0 ? "root" : `[${f.traceAddress.join(",")}]`;
      const fn =
        f.function !== undefined ? ` ${f.function}` : f.selector !== undefined ? ` ${f.selector}` : "";
      out.push(`  ${"  ".repeat(i)}${at} ${f.type} ${f.from} → ${f.to}${fn}`);
    });
  }
  if (d?.step !== undefined) {
    const text = formatReport(
      { traces: 1, steps: d.stepsCompared ?? d.step.step, divergence: d.step, skipped: [], verdict: "" },
      { color: opts.color ?? false },
    ).trimEnd();
    out.push(
      "",
      "first diverging opcode step:",
      ...text.split("\n").filter((x, i, all) => !(i === all.length - 1 && x === "")),
    );
  }
  if (r.normalisations.length > 0) {
    out.push("", "normalisations applied:");
    for (const n of r.normalisations)
      out.push(
        `  ${n.side}: ${n.rule}${n.steps === undefined ? "" : ` (${n.steps} step${n.steps === 1 ? "" : "s"})`}` +
          `${n.reason === "" ? "" : ` — ${n.reason}`}`,
      );
  } else {
    out.push("", "normalisations applied: none");
  }
  out.push("", r.verdict);
  return `${out.join("\n")}\n`;
}

/** The report as JSON-ready data. */
export function ladderReportJson(r: DiffReport): Record<string, unknown> {
  const d = r.divergence;
  return {
    diverged: d !== null,
    a: r.a,
    b: r.b,
    block: `0x${r.block.toString(16)}`,
    ...(r.tx === undefined ? {} : { tx: r.tx }),
    levels: r.levels,
    normalisations: r.normalisations,
    divergence:
      d === null
        ? null
        : {
            ...d,
            ...(d.step === undefined
              ? {}
              : {
                  step: {
                    kind: d.step.kind,
                    step: d.step.step,
                    fields: d.step.fields,
                    a: stepJson(d.step.a),
                    b: stepJson(d.step.b),
                    context: { a: d.step.context.a.map(stepJson), b: d.step.context.b.map(stepJson) },
                  },
                }),
          },
    verdict: r.verdict,
  };
}
