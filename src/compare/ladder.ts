/**
 * `sonde diff`'s comparison ladder: where do two executions of the same block first part?
 *
 * It compares two sources (sources.ts) level by level and goes one level deeper only
 * where it found a difference, as Filecoin's execution-trace comparer does for messages:
 *
 *  1. the block's transactions (the same hashes in the same order, or nothing to compare);
 *  2. the header fields both give (stateRoot, receiptsRoot, logsBloom, gasUsed, …);
 *  3. the implicit operations before the transactions — the EIP-4788 beacon-root and
 *     EIP-2935 history system calls, checked through the storage they write;
 *  4. per transaction: the receipt (status, gas used, logs, contract address) and the
 *     post-state (debug_intermediateRoots when both offer it, else prestateTracer in diff
 *     mode), giving the first diverging transaction;
 *  5. for that transaction, the call tree (callTracer with logs): the first diverging frame
 *     in execution order, with its path from the root;
 *  6. then its opcode traces, streamed in lockstep from both sides (tracediff.ts) to the
 *     first diverging step, with the steps before it for context;
 *  7. when no transaction differs but the header does: the implicit operations after the
 *     transactions — withdrawals (recipients' balances), the EIP-7002/7251 request queues,
 *     the fee recipient's balance.
 *
 * Known format differences of an implementation (normalise.ts) are applied to its traces
 * and listed in the report; nothing else is forgiven. A level a source cannot answer (no
 * debug API) is reported as unavailable, and the ladder goes on with what it has.
 */
import { SondeError } from "../errors.js";
import { functionSignature } from "../remote/pretty.js";
import type { TraceConfig } from "../tracers/types.js";
import {
  dropPaths,
  HEADER_RULES,
  type HeaderRule,
  type Implementation,
  type JsonPath,
  NORMALISATION_RULES,
  normaliseTrace,
  rulesFor,
} from "./normalise.js";
import {
  type BlockView,
  clientName,
  type DiffSource,
  implementationOf,
  type Json,
  UnavailableError,
} from "./sources.js";
import { normaliseSteps, SETCODE_REFUND_RULE, STREAMED_STRUCTLOG_RULES } from "./step-normalise.js";
import type { Step } from "./steps.js";
import { compareSteps, DEFAULT_FIELDS, type Divergence, type StepField } from "./tracediff.js";

export type LevelName =
  | "transactions"
  | "header"
  | "pre-block system calls"
  | "receipts"
  | "post-state"
  | "call tree"
  | "opcodes"
  | "post-block operations";

export type LevelStatus = "equal" | "different" | "unavailable" | "not reached";

export interface Difference {
  /** What differs ("stateRoot", "tx 3 status", "0x…f251 slot 0x2", …). */
  what: string;
  a: unknown;
  b: unknown;
}

export interface LevelResult {
  level: LevelName;
  status: LevelStatus;
  /** One line on what was compared or why it could not be. */
  detail: string;
  differences: Difference[];
}

export interface FrameRef {
  /** Indexes from the root frame (go-ethereum's traceAddress). */
  traceAddress: number[];
  type: string;
  from: string;
  to: string;
  /** The 4-byte selector of the frame's input, when it has one. */
  selector?: string;
  /** The function's signature, when the selector is a well-known one. */
  function?: string;
}

export interface NormalisationNote {
  side: "A" | "B";
  rule: string;
  reason: string;
  /** For the struct-log rules applied to a streamed opcode trace: how many steps each changed. */
  steps?: number;
}

export interface FirstDivergence {
  kind: "transactions" | "pre-block system call" | "transaction" | "post-block operation" | "header only";
  txIndex?: number;
  txHash?: string;
  /** The call path from the root frame to the first diverging frame (inclusive). */
  callPath?: FrameRef[];
  /** The differing fields of that frame (both sides' values). */
  frameDifferences?: Difference[];
  /** The first diverging opcode step and its context. */
  step?: Divergence;
  stepsCompared?: number;
  /**
   * Header fields that are inputs of the execution (base fee, timestamp, …) and differ:
   * the transactions' differences may follow from them, so the verdict names them first.
   */
  inputDifferences?: Difference[];
  /**
   * When the first diverging frame differs in a log: the step of A's opcode trace that
   * emitted it (1-based number and the step), found by following the frame's path.
   */
  logStep?: Step & { number: number };
}

export interface DiffReport {
  a: { label: string; client: string };
  b: { label: string; client: string };
  block: bigint;
  /** With --tx: the transaction asked about. */
  tx?: { hash: string; index: number };
  levels: LevelResult[];
  normalisations: NormalisationNote[];
  divergence: FirstDivergence | null;
  verdict: string;
}

export interface LadderOptions {
  /** Steps of context kept before the diverging step (default 8). */
  context?: number;
  /** Step fields compared (default tracediff's DEFAULT_FIELDS). */
  fields?: readonly StepField[];
  /** Record memory in opcode traces (large; default off, as go-ethereum's default). */
  memory?: boolean;
  /** Progress messages (long opcode traces). */
  onProgress?: (message: string) => void;
}

const BEACON_ROOTS = "0x000f3df6d732807ef1319fb7b8bb8522d0beac02";
const HISTORY_STORAGE = "0x0000f90827f1c53a10cb7a02335b175320002935";
const WITHDRAWAL_QUEUE = "0x00000961ef480eb55e80d19ad83579a64c007002";
const CONSOLIDATION_QUEUE = "0x0000bbddc7ce488642fb579f8b00f3a590007251";
const BEACON_RING = 8191n;
const HISTORY_RING = 8191n;

/**
 * Block-level departures of development nodes from a real chain, which make fields or
 * checks incomparable however correct each execution is. Each applies when either side's
 * client version matches; what it leaves out is named in the report.
 */
interface BlockRule {
  name: string;
  reason: string;
  client: RegExp;
  /** Header fields not compared. */
  headerFields?: string[];
  /** Implicit-operation checks (by their description) not compared. */
  skipChecks?: RegExp;
}

export const BLOCK_RULES: readonly BlockRule[] = [
  {
    name: "anvil-block-hashes",
    reason:
      "anvil's genesis header carries the empty-trie root whatever its state, so its block hashes " +
      "differ from any other node's for the same chain; and its state root counts touched empty " +
      "accounts and storage slots written back to zero, which go-ethereum deletes. Block hash, parent " +
      "hash and state root are not compared; post-states are compared per transaction instead.",
    client: /^anvil\//i,
    headerFields: ["hash", "parentHash", "stateRoot"],
  },
  {
    name: "anvil-no-beacon-root-call",
    reason:
      "anvil (1.7.1) does not make the EIP-4788 beacon-roots system call at the start of a block; " +
      "go-ethereum does. The beacon-roots storage is not compared.",
    client: /^anvil\//i,
    skipChecks: /^EIP-4788/,
  },
  {
    name: "history-storage-parent-hashes",
    reason:
      "the EIP-2935 history contract stores each node's own parent hash, which differs when the block " +
      "hashes do (see anvil-block-hashes). The history slot is not compared.",
    client: /^anvil\//i,
    skipChecks: /^EIP-2935/,
  },
];

const HEADER_FIELDS = [
  "parentHash",
  "stateRoot",
  "receiptsRoot",
  "transactionsRoot",
  "logsBloom",
  "gasUsed",
  "gasLimit",
  "baseFeePerGas",
  "withdrawalsRoot",
  "blobGasUsed",
  "excessBlobGas",
  "requestsHash",
  "miner",
  "timestamp",
  "hash",
] as const;

/** Header fields the transactions' execution reads (BASEFEE, TIMESTAMP, COINBASE, GASLIMIT, blob fees). */
const EXECUTION_INPUTS = new Set(["baseFeePerGas", "timestamp", "miner", "gasLimit", "excessBlobGas"]);

const CALL_FIELDS = [
  "type",
  "from",
  "to",
  "value",
  "gas",
  "gasUsed",
  "input",
  "output",
  "error",
  "revertReason",
];

const sameJson = (x: unknown, y: unknown) => canonical(x) === canonical(y);

/** JSON text with object keys sorted and hex quantities lower-cased (key order and case ignored). */
function canonical(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(/^0x[0-9a-fA-F]*$/.test(v) ? v.toLowerCase() : v);
  if (typeof v !== "object" || v === null) return JSON.stringify(v ?? null);
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  const keys = Object.keys(v as Json)
    .filter((k) => (v as Json)[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((v as Json)[k])}`).join(",")}}`;
}

const quantity = (v: unknown): bigint | undefined => {
  if (typeof v === "string" && /^0x[0-9a-fA-F]+$/.test(v)) return BigInt(v);
  if (typeof v === "number") return BigInt(v);
  return undefined;
};

class Ladder {
  readonly levels: LevelResult[] = [];
  readonly notes: NormalisationNote[] = [];
  readonly blockRules: BlockRule[] = [];
  private implA: Implementation | undefined;
  private implB: Implementation | undefined;
  private readonly versions: { A: string | undefined; B: string | undefined } = {
    A: undefined,
    B: undefined,
  };
  /** Each side's receipts and transaction objects of the block, by transaction hash (for the rules). */
  private readonly known = {
    A: { receipts: new Map<string, Json>(), txs: new Map<string, Json>() },
    B: { receipts: new Map<string, Json>(), txs: new Map<string, Json>() },
  };

  constructor(
    readonly a: DiffSource,
    readonly b: DiffSource,
    readonly opts: LadderOptions,
  ) {}

  async init(): Promise<{ a: string; b: string }> {
    const [va, vb] = await Promise.all([this.a.clientVersion(), this.b.clientVersion()]);
    this.implA = implementationOf(va);
    this.implB = implementationOf(vb);
    this.versions.A = va;
    this.versions.B = vb;
    for (const [side, v] of [
      ["A", va],
      ["B", vb],
    ] as const) {
      for (const r of BLOCK_RULES) {
        if (v !== undefined && r.client.test(v)) {
          if (!this.blockRules.includes(r)) this.blockRules.push(r);
          this.note(side, r.name, r.reason);
        }
      }
    }
    return { a: clientName(va), b: clientName(vb) };
  }

  /** Records a side's block and receipts, which normalisation rules may read (same side only). */
  remember(side: "A" | "B", block: BlockView, receipts: Json[]): void {
    const k = this.known[side];
    block.transactions.forEach((h, i) => {
      const hash = h.toLowerCase();
      const r = receipts[i];
      if (r !== undefined) k.receipts.set(hash, r);
    });
    for (const t of block.transactionObjects)
      if (typeof t.hash === "string") k.txs.set(t.hash.toLowerCase(), t);
  }

  level(level: LevelName, status: LevelStatus, detail: string, differences: Difference[] = []): LevelResult {
    const r = { level, status, detail, differences };
    this.levels.push(r);
    return r;
  }

  private note(side: "A" | "B", rule: string, reason: string, steps?: number): void {
    const old = this.notes.find((n) => n.side === side && n.rule === rule);
    if (old === undefined)
      this.notes.push(steps === undefined ? { side, rule, reason } : { side, rule, reason, steps });
    else if (steps !== undefined) old.steps = (old.steps ?? 0) + steps;
  }

  /** A trace result of one side with that side's normalisation applied (paths to drop collected). */
  private async normalised(
    side: "A" | "B",
    result: unknown,
    config: TraceConfig,
    gasLimit: bigint,
    again: (config: TraceConfig) => Promise<unknown>,
    source: DiffSource,
    block: bigint,
    drop: JsonPath[],
    hash: string,
  ): Promise<unknown> {
    const impl = side === "A" ? this.implA : this.implB;
    if (impl === undefined) return result;
    const known = this.known[side];
    const r = await normaliseTrace(result, impl, config, {
      gasLimit,
      callFrames: async () => (await again({ tracer: "callTracer" })) as Json,
      plainPrestate: async () => (await again({ tracer: "prestateTracer" })) as Json,
      // At the end of the block: exact for the last transaction that touches the account.
      existsAfter: (address) => source.existsAt(address, block),
      receipt: async () => known.receipts.get(hash.toLowerCase()) ?? null,
      transaction: async () => known.txs.get(hash.toLowerCase()) ?? null,
      ...(source.codeAt === undefined
        ? {}
        : { codeAfter: (address: string) => source.codeAt!(address, block) }),
    });
    const rules = rulesFor(impl, config);
    for (const name of r.applied) {
      const rule = rules.find((x) => x.name === name);
      this.note(side, name, rule?.reason ?? "");
    }
    drop.push(...r.ignored);
    return r.value;
  }

  /** Both sides' results of a tracer for transaction `hash`, normalised, uncomparable paths dropped. */
  async tracePair(
    hash: string,
    config: TraceConfig,
    gasLimit: bigint,
    block: bigint,
  ): Promise<[unknown, unknown]> {
    const [ra, rb] = await Promise.all([
      this.a.traceTransaction(hash, config),
      this.b.traceTransaction(hash, config),
    ]);
    const drop: JsonPath[] = [];
    const na = await this.normalised(
      "A",
      ra,
      config,
      gasLimit,
      (c) => this.a.traceTransaction(hash, c),
      this.a,
      block,
      drop,
      hash,
    );
    const nb = await this.normalised(
      "B",
      rb,
      config,
      gasLimit,
      (c) => this.b.traceTransaction(hash, c),
      this.b,
      block,
      drop,
      hash,
    );
    dropPaths(na, drop);
    dropPaths(nb, drop);
    return [na, nb];
  }

  // ---- levels ----

  compareHeaders(ba: BlockView, bb: BlockView): Difference[] {
    const diffs: Difference[] = [];
    const skipped = new Set(this.blockRules.flatMap((r) => r.headerFields ?? []));
    for (const f of HEADER_FIELDS) {
      if (skipped.has(f)) continue;
      const x = ba.header[f];
      const y = bb.header[f];
      if (x === undefined || y === undefined) continue;
      if (!sameJson(x, y)) diffs.push({ what: f, a: x, b: y });
    }
    return diffs;
  }

  /**
   * The header rules (normalise.ts) that explain a differing field, read from each side's
   * own header and its parent's; each one found is listed. Returns field → rule.
   */
  async headerRules(ba: BlockView, bb: BlockView, diffs: Difference[]): Promise<Map<string, HeaderRule>> {
    const out = new Map<string, HeaderRule>();
    for (const [side, block, source] of [
      ["A", ba, this.a],
      ["B", bb, this.b],
    ] as const) {
      const version = this.versions[side];
      if (version === undefined || block.number === 0n) continue;
      for (const rule of HEADER_RULES) {
        if (!rule.client.test(version) || !diffs.some((d) => d.what === rule.field)) continue;
        const parent = await source.blockByNumber(block.number - 1n).catch(() => undefined);
        if (
          parent === undefined ||
          !rule.applies({ number: hex(block.number), ...block.header }, parent.header)
        )
          continue;
        this.note(side, rule.name, rule.reason);
        out.set(rule.field, rule);
      }
    }
    return out;
  }

  async preBlockCalls(ba: BlockView, bb: BlockView): Promise<Difference[] | undefined> {
    const checks: { what: string; address: string; slot: bigint }[] = [];
    const ts = quantity(ba.header.timestamp);
    if (ba.header.parentBeaconBlockRoot !== undefined && ts !== undefined) {
      const i = ts % BEACON_RING;
      checks.push({ what: "EIP-4788 beacon root: timestamp slot", address: BEACON_ROOTS, slot: i });
      checks.push({ what: "EIP-4788 beacon root: root slot", address: BEACON_ROOTS, slot: i + BEACON_RING });
    }
    if (ba.header.requestsHash !== undefined && ba.number > 0n) {
      checks.push({
        what: "EIP-2935 history: parent hash slot",
        address: HISTORY_STORAGE,
        slot: (ba.number - 1n) % HISTORY_RING,
      });
    }
    void bb;
    const kept = checks.filter((c) => !this.blockRules.some((r) => r.skipChecks?.test(c.what)));
    if (kept.length === 0) return checks.length === 0 ? undefined : [];
    return this.storageChecks(kept, ba.number);
  }

  private async storageChecks(
    checks: { what: string; address: string; slot: bigint }[],
    block: bigint,
  ): Promise<Difference[]> {
    const diffs: Difference[] = [];
    for (const c of checks) {
      const [x, y] = await Promise.all([
        this.a.storageAt(c.address, c.slot, block),
        this.b.storageAt(c.address, c.slot, block),
      ]);
      if (x !== y)
        diffs.push({ what: `${c.what} (${c.address} slot 0x${c.slot.toString(16)})`, a: hex(x), b: hex(y) });
    }
    return diffs;
  }

  async postBlockOperations(ba: BlockView, bb: BlockView): Promise<Difference[]> {
    const diffs: Difference[] = [];
    if (!sameJson(ba.withdrawals ?? [], bb.withdrawals ?? [])) {
      diffs.push({ what: "withdrawals list", a: ba.withdrawals ?? [], b: bb.withdrawals ?? [] });
    }
    const addresses = new Set<string>();
    for (const w of ba.withdrawals ?? [])
      if (typeof w.address === "string") addresses.add(w.address.toLowerCase());
    for (const address of addresses) {
      const [x, y] = await Promise.all([
        this.a.balanceAt(address, ba.number),
        this.b.balanceAt(address, ba.number),
      ]);
      if (x !== y) diffs.push({ what: `withdrawal recipient ${address} balance`, a: hex(x), b: hex(y) });
    }
    if (ba.header.requestsHash !== undefined) {
      const checks = [];
      for (const [name, address] of [
        ["EIP-7002 withdrawal queue", WITHDRAWAL_QUEUE],
        ["EIP-7251 consolidation queue", CONSOLIDATION_QUEUE],
      ] as const) {
        for (const slot of [0n, 1n, 2n, 3n]) checks.push({ what: `${name} slot ${slot}`, address, slot });
      }
      diffs.push(...(await this.storageChecks(checks, ba.number)));
    }
    const miner = typeof ba.header.miner === "string" ? ba.header.miner : undefined;
    if (miner !== undefined) {
      const [x, y] = await Promise.all([
        this.a.balanceAt(miner, ba.number),
        this.b.balanceAt(miner, bb.number),
      ]);
      if (x !== y)
        diffs.push({ what: `fee recipient ${miner} balance (fees and rewards)`, a: hex(x), b: hex(y) });
    }
    return diffs;
  }

  compareReceipts(ra: Json[], rb: Json[]): { first: number | undefined; diffs: Difference[] } {
    const diffs: Difference[] = [];
    let first: number | undefined;
    let prevA = 0n;
    let prevB = 0n;
    const n = Math.min(ra.length, rb.length);
    for (let i = 0; i < n; i++) {
      const x = ra[i]!;
      const y = rb[i]!;
      const cumA = quantity(x.cumulativeGasUsed) ?? 0n;
      const cumB = quantity(y.cumulativeGasUsed) ?? 0n;
      const own: Difference[] = [];
      const fields: [string, unknown, unknown][] = [
        ["status", x.status, y.status],
        ["gas used", hex(cumA - prevA), hex(cumB - prevB)],
        ["contract address", x.contractAddress ?? null, y.contractAddress ?? null],
        ["logs", logsOf(x), logsOf(y)],
      ];
      prevA = cumA;
      prevB = cumB;
      for (const [what, p, q] of fields)
        if (!sameJson(p, q)) own.push({ what: `tx ${i} ${what}`, a: p, b: q });
      if (own.length > 0 && first === undefined) first = i;
      diffs.push(...own);
    }
    if (ra.length !== rb.length) {
      diffs.push({ what: "receipt count", a: ra.length, b: rb.length });
      first ??= n;
    }
    return { first, diffs };
  }

  async postStates(
    ba: BlockView,
    bb: BlockView,
  ): Promise<{ first: number | undefined; diffs: Difference[]; how: string }> {
    const [ia, ib] = await Promise.all([this.a.intermediateRoots(ba), this.b.intermediateRoots(bb)]);
    if (ia !== undefined && ib !== undefined && ia.length === ib.length) {
      const i = ia.findIndex((r, k) => r.toLowerCase() !== ib[k]!.toLowerCase());
      return i < 0
        ? { first: undefined, diffs: [], how: "debug_intermediateRoots" }
        : {
            first: i,
            diffs: [{ what: `tx ${i} state root after`, a: ia[i], b: ib[i] }],
            how: "debug_intermediateRoots",
          };
    }
    const config: TraceConfig = { tracer: "prestateTracer", tracerConfig: { diffMode: true } };
    const [ta, tb] = await Promise.all([this.a.traceBlock(ba, config), this.b.traceBlock(bb, config)]);
    const diffs: Difference[] = [];
    let first: number | undefined;
    for (let i = 0; i < Math.min(ta.length, tb.length); i++) {
      const hash = ba.transactions[i]!;
      const gasLimit = quantity(ba.transactionObjects[i]?.gas) ?? 0n;
      const drop: JsonPath[] = [];
      const x = await this.normalised(
        "A",
        ta[i],
        config,
        gasLimit,
        (c) => this.a.traceTransaction(hash, c),
        this.a,
        ba.number,
        drop,
        hash,
      );
      const y = await this.normalised(
        "B",
        tb[i],
        config,
        gasLimit,
        (c) => this.b.traceTransaction(hash, c),
        this.b,
        ba.number,
        drop,
        hash,
      );
      dropPaths(x, drop);
      dropPaths(y, drop);
      const found = stateDifferences(i, x as Json | undefined, y as Json | undefined);
      if (found.length > 0) {
        first ??= i;
        diffs.push(...found);
        break; // later transactions build on a different state
      }
    }
    return { first, diffs, how: "prestateTracer diffMode" };
  }

  async callTree(hash: string, gasLimit: bigint, block: bigint): Promise<FrameDifference | null> {
    const config: TraceConfig = { tracer: "callTracer", tracerConfig: { withLog: true } };
    const [x, y] = await this.tracePair(hash, config, gasLimit, block);
    return firstFrameDifference(x as Json, y as Json, []);
  }

  /** The opcode traces of `hash` compared in lockstep; `setCode`: an EIP-7702 transaction. */
  async opcodes(
    hash: string,
    setCode = false,
  ): Promise<{ steps: number; divergence: Divergence | null; skipped: string[] }> {
    const config: TraceConfig = {
      enableMemory: this.opts.memory === true,
      disableStack: false,
      disableStorage: false,
      enableReturnData: false,
    } as TraceConfig;
    const [sa, sb] = await Promise.all([this.a.structLogs(hash, config), this.b.structLogs(hash, config)]);
    const needA = this.implA !== undefined;
    const needB = this.implB !== undefined;
    // Each side's rules count the steps they changed; only those rules are listed, with the count.
    const applied = { A: new Map<string, number>(), B: new Map<string, number>() };
    const onProgress = this.opts.onProgress;
    const r = await compareSteps(
      normaliseSteps(sa.steps, this.implA, needB, { setCode, applied: applied.A }),
      normaliseSteps(sb.steps, this.implB, needA, { setCode, applied: applied.B }),
      {
        fields: this.opts.fields ?? DEFAULT_FIELDS,
        context: this.opts.context ?? 8,
        ...(onProgress === undefined
          ? {}
          : {
              onProgress: (n: number) => onProgress(`opcodes: ${n.toLocaleString("en-US")} steps compared`),
            }),
      },
    );
    const reason = (name: string) =>
      name === SETCODE_REFUND_RULE.name
        ? SETCODE_REFUND_RULE.reason
        : (NORMALISATION_RULES.find((x) => x.name === name)?.reason ?? "");
    for (const side of ["A", "B"] as const) {
      for (const name of [...STREAMED_STRUCTLOG_RULES, SETCODE_REFUND_RULE.name]) {
        const n = applied[side].get(name);
        if (n !== undefined) this.note(side, name, reason(name), n);
      }
    }
    return {
      steps: r.steps,
      divergence: r.divergence,
      skipped: r.skipped
        .filter((s) => s.missingIn !== "both")
        .map((s) => `${s.field} (missing in ${s.missingIn})`),
    };
  }
}

const CALL_OPS = new Set([0xf0, 0xf1, 0xf2, 0xf4, 0xf5, 0xfa]);
const LOG_OPS = new Set([0xa0, 0xa1, 0xa2, 0xa3, 0xa4]);

/**
 * The step of `source`'s opcode trace of `hash` that emitted log `logIndex` of the frame
 * at `traceAddress`. Frames are followed as callTracer numbers them: every CALL-family or
 * CREATE step that did not fail before entering opens the next child of its frame (calls
 * to precompiles and accounts without code too, which run no steps).
 */
async function locateLogStep(
  source: DiffSource,
  hash: string,
  traceAddress: number[],
  logIndex: number,
): Promise<(Step & { number: number }) | undefined> {
  const stream = await source.structLogs(hash, { disableStack: true, disableStorage: true } as TraceConfig);
  const children: number[] = [0];
  const path: number[] = [];
  let depth = 1;
  let logs = 0;
  let n = 0;
  const it = stream.steps[Symbol.asyncIterator]();
  try {
    for (;;) {
      const x = await it.next();
      if (x.done) return undefined;
      const s = x.value;
      n++;
      while (s.depth > depth) {
        path.push(children[children.length - 1]! - 1);
        children.push(0);
        depth++;
      }
      while (s.depth < depth) {
        path.pop();
        children.pop();
        depth--;
      }
      const here = path.length === traceAddress.length && path.every((v, i) => v === traceAddress[i]);
      if (here && LOG_OPS.has(s.op) && s.error === undefined) {
        if (logs === logIndex) return { ...s, number: n };
        logs++;
      }
      if (CALL_OPS.has(s.op) && s.error === undefined) children[children.length - 1]!++;
    }
  } finally {
    await it.return?.();
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function hex(n: bigint): string {
  return `0x${n.toString(16)}`;
}

function logsOf(r: Json): unknown {
  const logs = Array.isArray(r.logs) ? (r.logs as Json[]) : [];
  return logs.map((l) => ({ address: l.address, topics: l.topics, data: l.data }));
}

/**
 * Account-by-account differences of two prestateTracer diff-mode results. `post` holds
 * only the new values of what changed, so a change made on one side only can be visible
 * in `pre` alone: a slot cleared to zero or an account deleted appears in `pre` and not
 * in `post` (go-ethereum's prestateTracer.processDiffState). Both are compared; `post`
 * differences are reported first.
 */
function stateDifferences(tx: number, a: Json | undefined, b: Json | undefined): Difference[] {
  const out: Difference[] = [];
  for (const [part, label] of [
    ["post", "post-state"],
    ["pre", "pre-state (changed accounts before the transaction)"],
  ] as const) {
    const pa = (a?.[part] as Json | undefined) ?? {};
    const pb = (b?.[part] as Json | undefined) ?? {};
    const addresses = new Set([...Object.keys(pa), ...Object.keys(pb)].map((k) => k.toLowerCase()));
    const get = (m: Json, k: string) =>
      m[Object.keys(m).find((x) => x.toLowerCase() === k) ?? ""] as Json | undefined;
    for (const addr of [...addresses].sort()) {
      const x = get(pa, addr);
      const y = get(pb, addr);
      if (!sameJson(x ?? null, y ?? null))
        out.push({ what: `tx ${tx} ${label} of ${addr}`, a: x ?? null, b: y ?? null });
    }
  }
  return out;
}

/** The first frame (pre-order) whose own fields, logs or children differ; null when none. */
export interface FrameDifference {
  path: FrameRef[];
  diffs: Difference[];
  /** Index (within the frame's own logs) of the first differing log, when logs differ. */
  logIndex?: number;
}

export function firstFrameDifference(a: Json, b: Json, path: number[]): FrameDifference | null {
  const ref: FrameRef = frameRef(a, path);
  const own: Difference[] = [];
  for (const f of CALL_FIELDS) {
    if (!sameJson(a[f] ?? null, b[f] ?? null)) own.push({ what: f, a: a[f] ?? null, b: b[f] ?? null });
  }
  // Logs emitted by this frame before its first differing child are this frame's own.
  const logsA = (a.logs as Json[] | undefined) ?? [];
  const logsB = (b.logs as Json[] | undefined) ?? [];
  const callsA = (a.calls as Json[] | undefined) ?? [];
  const callsB = (b.calls as Json[] | undefined) ?? [];
  // A differing log or child count is reported at this frame, after its children were
  // searched (the first child that differs is the earlier event).
  for (let i = 0; i < Math.min(callsA.length, callsB.length); i++) {
    const d = firstFrameDifference(callsA[i]!, callsB[i]!, [...path, i]);
    if (d !== null) {
      // A field of this frame that differs (gasUsed, output) is a consequence of the child.
      return { ...d, path: [ref, ...d.path] };
    }
  }
  if (callsA.length !== callsB.length)
    own.push({ what: "number of calls", a: callsA.length, b: callsB.length });
  let logIndex: number | undefined;
  if (!sameJson(logsA.map(logFields), logsB.map(logFields))) {
    own.push({ what: "logs", a: logsA.map(logFields), b: logsB.map(logFields) });
    const n = Math.max(logsA.length, logsB.length);
    for (let i = 0; i < n && logIndex === undefined; i++) {
      if (!sameJson(logFields(logsA[i] ?? {}), logFields(logsB[i] ?? {}))) logIndex = i;
    }
  }
  if (own.length === 0) return null;
  return logIndex === undefined ? { path: [ref], diffs: own } : { path: [ref], diffs: own, logIndex };
}

function logFields(l: Json): Json {
  return { address: l.address, topics: l.topics, data: l.data };
}

function frameRef(f: Json, path: number[]): FrameRef {
  const input = typeof f.input === "string" ? f.input : "0x";
  const ref: FrameRef = {
    traceAddress: path,
    type: String(f.type ?? "?"),
    from: String(f.from ?? "?"),
    to: String(f.to ?? "?"),
  };
  if (input.length >= 10 && f.type !== "CREATE" && f.type !== "CREATE2") {
    ref.selector = input.slice(0, 10).toLowerCase();
    const sig = functionSignature(ref.selector);
    if (sig !== undefined) ref.function = sig;
  }
  return ref;
}

export interface DiffTarget {
  /** A block number, or a transaction hash. */
  block?: bigint;
  tx?: string;
}

/** Runs the ladder on a block (or the block of a transaction) and returns the report. */
export async function diffExecutions(
  a: DiffSource,
  b: DiffSource,
  target: DiffTarget,
  opts: LadderOptions = {},
): Promise<DiffReport> {
  const L = new Ladder(a, b, opts);
  const clients = await L.init();
  let number = target.block;
  let focus: { hash: string; index: number } | undefined;
  if (target.tx !== undefined) {
    const [la, lb] = await Promise.all([a.locate(target.tx), b.locate(target.tx)]);
    if (la === undefined && lb === undefined)
      throw new SondeError(`transaction ${target.tx} is not mined on either side`);
    const loc = la ?? lb!;
    if (la === undefined || lb === undefined || la.block !== lb.block || la.index !== lb.index) {
      const where = (l: typeof la) => (l === undefined ? "not mined" : `block ${l.block} index ${l.index}`);
      return finish(
        L,
        clients,
        loc.block,
        { hash: target.tx, index: loc.index },
        {
          kind: "transactions",
          txHash: target.tx,
        },
        `DIVERGED: transaction ${target.tx} is at ${where(la)} on A and ${where(lb)} on B`,
      );
    }
    number = loc.block;
    focus = { hash: target.tx.toLowerCase(), index: loc.index };
  }
  if (number === undefined) throw new SondeError("diff: give a block number or a transaction hash");
  const [ba, bb] = await Promise.all([a.blockByNumber(number), b.blockByNumber(number)]);
  if (ba === undefined || bb === undefined) {
    throw new SondeError(`block ${number} is not known to ${ba === undefined ? a.label : b.label}`);
  }
  // 1. transactions
  if (!sameJson(ba.transactions, bb.transactions)) {
    const i = ba.transactions.findIndex((h, k) => h.toLowerCase() !== bb.transactions[k]?.toLowerCase());
    const at = i < 0 ? ba.transactions.length : i;
    L.level("transactions", "different", `the blocks hold different transactions from index ${at}`, [
      { what: `transaction ${at}`, a: ba.transactions[at] ?? null, b: bb.transactions[at] ?? null },
      { what: "transaction count", a: ba.transactions.length, b: bb.transactions.length },
    ]);
    return finish(
      L,
      clients,
      number,
      focus,
      { kind: "transactions", txIndex: at },
      `DIVERGED: block ${number} holds different transactions from index ${at}; executions cannot be compared`,
    );
  }
  L.level(
    "transactions",
    "equal",
    `${plural(ba.transactions.length, "transaction")}, the same on both sides`,
  );
  // 2. header
  const headerDiffs = L.compareHeaders(ba, bb);
  L.level(
    "header",
    headerDiffs.length === 0 ? "equal" : "different",
    headerDiffs.length === 0 ? "header fields equal" : `${headerDiffs.map((d) => d.what).join(", ")} differ`,
    headerDiffs,
  );
  const explained = await L.headerRules(ba, bb, headerDiffs);
  /** The differing header fields, each with the rule that explains it, if one does. */
  const headerText = headerDiffs.map((d) => fieldName(d, explained)).join(", ");
  const inputDiffs = headerDiffs.filter((d) => EXECUTION_INPUTS.has(d.what));
  // 3. pre-block system calls
  const pre = await L.preBlockCalls(ba, bb).catch((err: Error) => err);
  if (pre instanceof Error) L.level("pre-block system calls", "unavailable", pre.message);
  else if (pre === undefined) L.level("pre-block system calls", "equal", "none at this fork");
  else if (pre.length > 0) {
    L.level("pre-block system calls", "different", "the storage the system calls write differs", pre);
    return finish(
      L,
      clients,
      number,
      focus,
      { kind: "pre-block system call" },
      `DIVERGED: block ${number}, pre-block system call: ${pre[0]!.what}`,
    );
  } else L.level("pre-block system calls", "equal", "EIP-4788/2935 storage written for this block equal");
  // 4. receipts and post-states
  const [ra, rb] = await Promise.all([a.receipts(ba), b.receipts(bb)]);
  L.remember("A", ba, ra);
  L.remember("B", bb, rb);
  const rec = L.compareReceipts(ra, rb);
  L.level(
    "receipts",
    rec.first === undefined ? "equal" : "different",
    rec.first === undefined
      ? `${plural(ra.length, "receipt")} equal (status, gas used, logs, contract address)`
      : `first difference at transaction ${rec.first}`,
    rec.diffs,
  );
  let firstTx = rec.first;
  try {
    const ps = await L.postStates(ba, bb);
    L.level(
      "post-state",
      ps.first === undefined ? "equal" : "different",
      ps.first === undefined
        ? `per-transaction post-states equal (${ps.how})`
        : `first difference after transaction ${ps.first} (${ps.how})`,
      ps.diffs,
    );
    if (ps.first !== undefined && (firstTx === undefined || ps.first < firstTx)) firstTx = ps.first;
  } catch (err) {
    if (!(err instanceof UnavailableError)) throw err;
    L.level("post-state", "unavailable", err.message);
  }
  if (focus !== undefined && firstTx !== undefined && firstTx < focus.index) {
    const level = L.levels.find((l) => l.level === "post-state" || l.level === "receipts");
    if (level !== undefined) {
      level.detail += `; transaction ${firstTx}, before the one asked about (${focus.index}), already diverges and is examined instead`;
    }
  }
  // Asked about one transaction that does not differ: still compare its call tree and opcodes.
  const focusOnly = focus !== undefined && firstTx === undefined;
  if (focus !== undefined && firstTx === undefined) firstTx = focus.index;
  if (firstTx === undefined) {
    // 7. post-block operations
    const post = await L.postBlockOperations(ba, bb).catch((err: Error) => err);
    if (post instanceof Error) L.level("post-block operations", "unavailable", post.message);
    else if (post.length > 0) {
      L.level("post-block operations", "different", "withdrawals, request queues or fees differ", post);
      return finish(
        L,
        clients,
        number,
        focus,
        { kind: "post-block operation" },
        `DIVERGED: block ${number}, post-block operation: ${post[0]!.what}`,
      );
    } else
      L.level(
        "post-block operations",
        "equal",
        "withdrawal balances, request queues and fee recipient equal",
      );
    if (headerDiffs.length > 0) {
      return finish(
        L,
        clients,
        number,
        focus,
        { kind: "header only" },
        `DIVERGED: block ${number} headers differ (${headerText}) but no transaction or implicit operation Sonde can observe does`,
      );
    }
    return finish(
      L,
      clients,
      number,
      focus,
      null,
      `no divergence in block ${number}: ${plural(ba.transactions.length, "transaction")}, receipts, post-states and implicit operations equal`,
    );
  }
  const hash = ba.transactions[firstTx]!;
  const gasLimit = quantity(ba.transactionObjects[firstTx]?.gas) ?? 0n;
  const div: FirstDivergence = { kind: "transaction", txIndex: firstTx, txHash: hash };
  // 5. call tree
  let frameText = "";
  let logIndex: number | undefined;
  try {
    const ct = await L.callTree(hash, gasLimit, number);
    if (ct === null) L.level("call tree", "equal", `transaction ${firstTx}: call trees equal`);
    else {
      logIndex = ct.logIndex;
      div.callPath = ct.path;
      div.frameDifferences = ct.diffs;
      frameText = pathText(ct.path);
      L.level(
        "call tree",
        "different",
        `transaction ${firstTx}: first diverging frame ${frameText}`,
        ct.diffs,
      );
    }
  } catch (err) {
    if (!(err instanceof UnavailableError)) throw err;
    L.level("call tree", "unavailable", err.message);
  }
  // 6. opcodes
  let stepText = "";
  try {
    const op = await L.opcodes(hash, quantity(ba.transactionObjects[firstTx]?.type) === 4n);
    div.stepsCompared = op.steps;
    const d = op.divergence;
    const callTreeEqual = L.levels.find((l) => l.level === "call tree")?.status === "equal";
    if (d !== null && d.kind === "length" && d.step === 1 && callTreeEqual) {
      // One side gave no steps at all for a transaction whose frames both agree on: its
      // struct logger does not record (anvil records steps only with --steps-tracing).
      const [empty, other] = d.a === null ? ["A", "B"] : ["B", "A"];
      L.level(
        "opcodes",
        "unavailable",
        `transaction ${firstTx}: ${empty} returned no opcode steps while ${other}'s trace has some and the call trees agree; ` +
          `${empty}'s struct logger is not recording (anvil records steps only when started with --steps-tracing)`,
      );
    } else if (d === null) {
      L.level(
        "opcodes",
        "equal",
        `transaction ${firstTx}: ${op.steps.toLocaleString("en-US")} steps equal${op.skipped.length ? `; not compared: ${op.skipped.join(", ")}` : ""}`,
      );
    } else {
      div.step = d;
      stepText = stepSummary(d);
      L.level(
        "opcodes",
        "different",
        `transaction ${firstTx}: ${stepText}`,
        d.fields.map((f) => ({ what: f.field, a: f.a, b: f.b })),
      );
    }
  } catch (err) {
    if (!(err instanceof UnavailableError)) throw err;
    L.level("opcodes", "unavailable", err.message);
  }
  // A log that differs while the opcode traces agree (LOG's topics and data are not in a
  // struct log): name the step that emitted it.
  let logText = "";
  if (logIndex !== undefined && div.callPath !== undefined) {
    const target = div.callPath[div.callPath.length - 1]!.traceAddress;
    try {
      const s = await locateLogStep(a, hash, target, logIndex);
      if (s !== undefined) {
        div.logStep = s;
        logText = `log ${logIndex} of the frame emitted at step ${s.number} (pc ${s.pc} ${s.opName}, depth ${s.depth})`;
        const level = L.levels.find((l) => l.level === "opcodes");
        if (level !== undefined) level.detail += `; ${logText}`;
      }
    } catch (err) {
      if (!(err instanceof UnavailableError)) throw err;
    }
  }
  if (focusOnly && div.frameDifferences === undefined && div.step === undefined) {
    const what = `block ${number} tx ${firstTx} (${hash})`;
    if (headerDiffs.length > 0) {
      return finish(
        L,
        clients,
        number,
        focus,
        { kind: "header only" },
        `DIVERGED: block ${number} headers differ (${headerText}); ${what} itself shows no difference`,
      );
    }
    return finish(L, clients, number, focus, null, `no divergence in ${what}: ${equalLevels(L.levels)}`);
  }
  const parts = [`block ${number} tx ${firstTx} (${hash})`];
  if (frameText !== "") parts.push(`frame ${frameText}`);
  if (stepText !== "") parts.push(stepText);
  else if (logText !== "") parts.push(logText);
  else if (div.frameDifferences === undefined) parts.push(firstDifferenceText(L.levels));
  if (inputDiffs.length > 0) {
    // The transactions ran on different inputs: name those header fields first.
    div.inputDifferences = inputDiffs;
    return finish(
      L,
      clients,
      number,
      focus,
      div,
      `DIVERGED: block ${number} header ${inputText(inputDiffs, explained)}, ` +
        `${inputDiffs.length === 1 ? "an input" : "inputs"} of the execution; first consequence: ${parts.join(", ")}`,
    );
  }
  return finish(L, clients, number, focus, div, `DIVERGED: ${parts.join(", ")}`);
}

/** A differing header field, with the header rule that explains it. */
function fieldName(d: Difference, explained: Map<string, HeaderRule>): string {
  const rule = explained.get(d.what);
  return rule === undefined ? d.what : `${d.what}: ${rule.short}, rule ${rule.name}`;
}

/** "baseFeePerGas differs (0x1 ≠ 0x2: anvil's …, rule …)" for the differing execution inputs. */
function inputText(diffs: Difference[], explained: Map<string, HeaderRule>): string {
  const each = diffs.map((d) => {
    const rule = explained.get(d.what);
    const why = rule === undefined ? "" : `: ${rule.short}, rule ${rule.name}`;
    return `${d.what} (${short(d.a)} ≠ ${short(d.b)}${why})`;
  });
  if (diffs.length === 1) {
    const d = diffs[0]!;
    return `${d.what} differs ${each[0]!.slice(d.what.length + 1)}`;
  }
  return `${each.slice(0, -1).join(", ")} and ${each.at(-1)} differ`;
}

/** "receipts, post-state, call tree and opcodes equal" — the transaction levels compared, and those not. */
function equalLevels(levels: LevelResult[]): string {
  const names: LevelName[] = ["receipts", "post-state", "call tree", "opcodes"];
  const pick = (status: LevelStatus) =>
    names.filter((n) => levels.find((l) => l.level === n)?.status === status);
  const list = (xs: string[]) =>
    xs.length <= 1 ? xs.join("") : `${xs.slice(0, -1).join(", ")} and ${xs.at(-1)}`;
  const equal = pick("equal");
  const unavailable = pick("unavailable");
  return (
    `${equal.length > 0 ? `${list(equal)} equal` : "nothing compared"}` +
    `${unavailable.length > 0 ? `; ${list(unavailable)} unavailable` : ""}`
  );
}

function firstDifferenceText(levels: LevelResult[]): string {
  // The header is named apart (as an input of the execution, or not at all: a consequence).
  const d = levels.find((l) => l.status === "different" && l.level !== "header")?.differences[0];
  return d === undefined ? "" : `${d.what}: ${short(d.a)} ≠ ${short(d.b)}`;
}

function short(v: unknown): string {
  const t = typeof v === "string" ? v : JSON.stringify(v);
  return t.length > 80 ? `${t.slice(0, 77)}…` : t;
}

export function pathText(path: FrameRef[]): string {
  const last = path[path.length - 1]!;
  const addr = last.traceAddress.length === 0 ? "root" : `[${last.traceAddress.join(",")}]`;
  return `${addr} ${last.type} ${last.to}${last.function !== undefined ? ` ${last.function}` : last.selector !== undefined ? ` ${last.selector}` : ""}`;
}

function stepSummary(d: Divergence): string {
  const s = d.a ?? d.b;
  if (d.kind === "length")
    return `trace of ${d.a === null ? "B" : "A"} is longer: step ${d.step} (${s?.opName ?? "?"} at pc ${s?.pc ?? "?"}) only on one side`;
  if (d.kind === "summary") return `all ${d.step} steps equal; results differ`;
  const fields = d.fields.map((f) => `${f.field} ${short(f.a)} ≠ ${short(f.b)}`).join("; ");
  return `step ${d.step} (pc ${s?.pc} ${s?.opName}, depth ${s?.depth}): ${fields}`;
}

function finish(
  L: Ladder,
  clients: { a: string; b: string },
  block: bigint,
  focus: { hash: string; index: number } | undefined,
  divergence: FirstDivergence | null,
  verdict: string,
): DiffReport {
  const order: LevelName[] = [
    "transactions",
    "header",
    "pre-block system calls",
    "receipts",
    "post-state",
    "call tree",
    "opcodes",
    "post-block operations",
  ];
  for (const name of order) {
    if (!L.levels.some((l) => l.level === name))
      L.levels.push({ level: name, status: "not reached", detail: "", differences: [] });
  }
  L.levels.sort((x, y) => order.indexOf(x.level) - order.indexOf(y.level));
  return {
    a: { label: L.a.label, client: clients.a },
    b: { label: L.b.label, client: clients.b },
    block,
    ...(focus === undefined ? {} : { tx: focus }),
    levels: L.levels,
    normalisations: L.notes,
    divergence,
    verdict,
  };
}
