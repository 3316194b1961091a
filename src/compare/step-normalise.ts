/**
 * The struct-logger normalisation rules of normalise.ts, applied to a stream of steps
 * (ladder.ts compares opcode traces without holding them): the same departures of
 * revm-inspectors from go-ethereum, step by step, with one step of look-ahead for the
 * SSTORE refund. A step of the other side gets the same gasCost omissions so that both
 * are compared alike (tracediff compares gasCost only where both sides give it).
 */
import { type Implementation, STRUCTLOG_ERRORS } from "./normalise.js";
import type { Step } from "./steps.js";

/**
 * Names of the struct-logger rules this module applies (as normalise.ts names them).
 * structlog-zero-refund is not among them: a step without refund reads as refund 0
 * (steps.ts), so anvil's explicit zero never differs from go-ethereum's omission here.
 */
export const STREAMED_STRUCTLOG_RULES = [
  "structlog-refund-after-sstore-gas",
  "structlog-step-errors",
  "structlog-failed-sstore-storage",
  "structlog-create-cost",
  "structlog-oog-cost",
] as const;

/**
 * An adjustment for EIP-7702 (set-code) transactions when one side is revm-inspectors:
 * refunds counted from the transaction's first step. It reads only each side's own steps.
 */
export const SETCODE_REFUND_RULE = {
  name: "structlog-setcode-auth-refund",
  reason:
    "go-ethereum adds the EIP-7702 refund for each authorization whose authority already exists " +
    "(CallNewAccountGas - TxAuthTupleGas = 12500) to the refund counter before execution " +
    "(core/state_transition.go applyAuthorization), so every struct-log entry shows it; revm adds it " +
    "after execution, so revm-inspectors' entries never do. In set-code transactions compared with a " +
    "revm-inspectors side, each side's refunds are counted from its own first step.",
} as const;

export interface StepNormaliseOptions {
  /** The transaction is an EIP-7702 set-code transaction (type 4). */
  setCode?: boolean;
  /**
   * Counts, per rule name, the steps a rule changed (of those read), so a report lists only
   * the rules that were applied. On a side without rules, the gasCost omissions made to
   * match a revm-inspectors peer are not counted (they are the peer's rules).
   */
  applied?: Map<string, number>;
}

const SSTORE = 0x55;
const CREATE = 0xf0;
const CREATE2 = 0xf5;

function word64(v: string): string {
  return `0x${BigInt(v).toString(16)}`;
}

type Count = (rule: string) => void;

const noCount: Count = () => {};

/** One step of a revm-inspectors trace in go-ethereum's form (`next`: the step after it). */
function fixStep(s: Step, next: Step | undefined, count: Count): Step {
  let out = s;
  if (typeof s.error === "string" && s.error in STRUCTLOG_ERRORS) {
    const text = STRUCTLOG_ERRORS[s.error];
    out = { ...out, error: text === null ? undefined : text };
    count("structlog-step-errors");
  }
  if (s.op === SSTORE && out.error === undefined && next !== undefined) {
    const refund = next.refund ?? 0;
    if (refund !== s.refund) {
      out = { ...out, refund };
      count("structlog-refund-after-sstore-gas");
    }
  }
  if (s.op === SSTORE && out.error !== undefined && s.stack !== undefined && s.stack.length >= 2) {
    const key = word64(s.stack[s.stack.length - 1]!);
    const value = word64(s.stack[s.stack.length - 2]!);
    if (s.storage?.[key] !== value) {
      out = { ...out, storage: { ...(s.storage ?? {}), [key]: value } };
      count("structlog-failed-sstore-storage");
    }
  }
  return dropUncomparableCost(out, count);
}

/** gasCost of CREATE/CREATE2 and of out-of-gas steps is not compared (see the rules). */
function dropUncomparableCost(s: Step, count: Count): Step {
  if (s.gasCost === undefined) return s;
  if (s.op === CREATE || s.op === CREATE2) count("structlog-create-cost");
  else if (s.error === "out of gas") count("structlog-oog-cost");
  else return s;
  return { ...s, gasCost: undefined };
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
  opts: StepNormaliseOptions = {},
): AsyncGenerator<Step> {
  const applied = opts.applied;
  const count: Count =
    applied === undefined ? noCount : (rule) => applied.set(rule, (applied.get(rule) ?? 0) + 1);
  const relative = opts.setCode === true && (implementation === "revm-inspectors" || peerNeedsRules);
  const fixed = relative ? refundsFromFirstStep(steps, count) : steps;
  if (implementation !== "revm-inspectors") {
    if (!peerNeedsRules) {
      yield* fixed;
      return;
    }
    for await (const s of fixed) yield dropUncomparableCost(s, noCount);
    return;
  }
  let held: Step | undefined;
  for await (const s of fixed) {
    if (held !== undefined) yield fixStep(held, s, count);
    held = s;
  }
  if (held !== undefined) yield fixStep(held, undefined, count);
}

/** The steps with the first step's refund subtracted from every refund (SETCODE_REFUND_RULE). */
async function* refundsFromFirstStep(steps: AsyncIterable<Step>, count: Count): AsyncGenerator<Step> {
  let base: bigint | undefined;
  for await (const s of steps) {
    if (s.refund === undefined) {
      yield s;
      continue;
    }
    const r = BigInt(s.refund);
    base ??= r;
    if (base === 0n) yield s;
    else {
      const v = r - base;
      count(SETCODE_REFUND_RULE.name);
      yield { ...s, refund: typeof s.refund === "number" ? Number(v) : v };
    }
  }
}
