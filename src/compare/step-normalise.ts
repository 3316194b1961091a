/**
 * The struct-logger normalisation rules of normalise.ts, applied to a stream of steps
 * (ladder.ts compares opcode traces without holding them): the same departures of
 * revm-inspectors from go-ethereum, step by step, with one step of look-ahead for the
 * SSTORE refund. A step of the other side gets the same gasCost omissions so that both
 * are compared alike (tracediff compares gasCost only where both sides give it).
 */
import { type Implementation, STRUCTLOG_ERRORS } from "./normalise.js";
import type { Step } from "./steps.js";

/** Names of the struct-logger rules this module applies (as normalise.ts names them). */
export const STREAMED_STRUCTLOG_RULES = [
  "structlog-refund-after-sstore-gas",
  "structlog-zero-refund",
  "structlog-step-errors",
  "structlog-failed-sstore-storage",
  "structlog-create-cost",
  "structlog-oog-cost",
] as const;

const SSTORE = 0x55;
const CREATE = 0xf0;
const CREATE2 = 0xf5;

function word64(v: string): string {
  return `0x${BigInt(v).toString(16)}`;
}

/** One step of a revm-inspectors trace in go-ethereum's form (`next`: the step after it). */
function fixStep(s: Step, next: Step | undefined): Step {
  let out = s;
  if (typeof s.error === "string" && s.error in STRUCTLOG_ERRORS) {
    const text = STRUCTLOG_ERRORS[s.error];
    out = { ...out, error: text === null ? undefined : text };
  }
  if (s.op === SSTORE && out.error === undefined && next !== undefined) {
    out = { ...out, refund: next.refund ?? 0 };
  }
  if (s.op === SSTORE && out.error !== undefined && s.stack !== undefined && s.stack.length >= 2) {
    const key = word64(s.stack[s.stack.length - 1]!);
    const value = word64(s.stack[s.stack.length - 2]!);
    out = { ...out, storage: { ...(s.storage ?? {}), [key]: value } };
  }
  return dropUncomparableCost(out);
}

/** gasCost of CREATE/CREATE2 and of out-of-gas steps is not compared (see the rules). */
function dropUncomparableCost(s: Step): Step {
  if (s.op === CREATE || s.op === CREATE2 || s.error === "out of gas") return { ...s, gasCost: undefined };
  return s;
}

/**
 * The steps of a trace from `implementation` in go-ethereum's form; for an implementation
 * without rules (go-ethereum, Sonde), only the gasCost omissions that keep a comparison
 * with a normalised side fair (`peerNeedsRules`).
 */
export async function* normaliseSteps(
  steps: AsyncIterable<Step>,
  implementation: Implementation | undefined,
  peerNeedsRules: boolean,
): AsyncGenerator<Step> {
  if (implementation !== "revm-inspectors") {
    if (!peerNeedsRules) {
      yield* steps;
      return;
    }
    for await (const s of steps) yield dropUncomparableCost(s);
    return;
  }
  let held: Step | undefined;
  for await (const s of steps) {
    if (held !== undefined) yield fixStep(held, s);
    held = s;
  }
  if (held !== undefined) yield fixStep(held, undefined);
}
