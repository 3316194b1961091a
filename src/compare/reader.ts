/**
 * Streaming reader of trace files: JSON lines in EIP-3155 or struct-log form (see
 * steps.ts), plain or gzip-compressed (`.gz`). The file is read in 1 MiB chunks and split
 * into lines by hand; only the current chunk, a partial line and the step being compared
 * are held, so any length of trace reads in bounded memory (a single very long line, such
 * as a step with a large memory, is held whole — and so is a debug_traceTransaction result
 * saved on one line, whose struct logs are read from it as one trace).
 *
 * A file holds one or more traces: a trace is a run of steps followed by its summary
 * lines (go-ethereum prints {output, gasUsed, …} and then {stateRoot}; other clients one
 * line). Consecutive summary lines belong to one trace unless a line repeats a key already
 * seen, which starts the next (step-less) trace. Blank lines are skipped; lines that are
 * neither steps nor summaries (log output such as "INFO …") are skipped and counted.
 * A line that looks like a step but cannot be read stops the reading with an
 * InvalidInputError naming the file and line.
 *
 * Two readers compared in lockstep may share a LineCache: when B's line is the same text
 * as the line A has just read (traces from the same client or encoder mostly are), B
 * takes A's parsed step instead of parsing the line again — parsing is most of the cost.
 */
import { createReadStream, statSync } from "node:fs";
import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { InvalidInputError } from "../errors.js";
import {
  type LineItem,
  mergeSummary,
  parseTraceLine,
  type Step,
  StepFormatError,
  type Summary,
  summaryCollides,
} from "./steps.js";
import {
  type CompareOptions,
  compareTraces,
  type DiffResult,
  type StepIterator,
  type Trace,
} from "./tracediff.js";

type Item = { kind: "step"; step: Step } | { kind: "summary"; summary: Summary } | { kind: "eof" };

const EOF: Item = { kind: "eof" };

/** The last line parsed by either of two readers, and what it gave. */
export interface LineCache {
  text: string;
  item: LineItem | null;
}

export function newLineCache(): LineCache {
  return { text: "", item: null };
}
const CHUNK = 1 << 20;

export class TraceFileReader {
  /** Lines read so far. */
  lines = 0;
  /** Noise lines skipped (not steps, summaries or blank). */
  noise = 0;
  /** Line number of the first noise line, 0 when none. */
  firstNoiseLine = 0;
  /** Traces started so far. */
  traceCount = 0;

  private readonly stream: Readable;
  private readonly chunks: AsyncIterator<Buffer>;
  private text = "";
  private pos = 0;
  private pending: Buffer[] = [];
  private eof = false;
  private look: Item | null = null;
  private queue: Item[] = [];

  constructor(
    readonly path: string,
    private readonly cache: LineCache | null = null,
  ) {
    try {
      if (!statSync(path).isFile()) throw new Error("not a file");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new InvalidInputError(
        `cannot read ${path}: ${code === "ENOENT" ? "no such file" : (err as Error).message}`,
      );
    }
    const file = createReadStream(path, { highWaterMark: CHUNK });
    if (path.endsWith(".gz")) {
      const gunzip = createGunzip({ chunkSize: 1 << 16 });
      file.on("error", (err) => gunzip.destroy(err));
      file.pipe(gunzip);
      this.stream = gunzip;
    } else this.stream = file;
    this.chunks = this.stream[Symbol.asyncIterator]();
  }

  /** Stops reading and releases the file. */
  close(): void {
    this.stream.destroy();
  }

  /** The next line when one is buffered; undefined when more data is needed; null at the end. */
  private nextLineSync(): string | null | undefined {
    const nl = this.text.indexOf("\n", this.pos);
    let end: number;
    if (nl >= 0) end = nl;
    else if (this.eof && this.pos < this.text.length) end = this.text.length;
    else return this.eof ? null : undefined;
    const start = this.pos;
    this.pos = end + 1;
    return end > start && this.text.charCodeAt(end - 1) === 13
      ? this.text.slice(start, end - 1)
      : this.text.slice(start, end);
  }

  /** Reads the next chunk; the text then holds whole lines only (until the end of the file). */
  private async fill(): Promise<void> {
    let r: IteratorResult<Buffer>;
    try {
      r = await this.chunks.next();
    } catch (err) {
      throw new InvalidInputError(`cannot read ${this.path}: ${(err as Error).message}`);
    }
    if (r.done) {
      this.eof = true;
      this.text = this.pending.length > 0 ? Buffer.concat(this.pending).toString("utf8") : "";
      this.pos = 0;
      this.pending = [];
      return;
    }
    const buf = r.value;
    const last = buf.lastIndexOf(10);
    if (last < 0) {
      this.pending.push(buf);
      return;
    }
    const head =
      this.pending.length > 0
        ? Buffer.concat([...this.pending, buf.subarray(0, last + 1)])
        : buf.subarray(0, last + 1);
    this.text = head.toString("utf8");
    this.pos = 0;
    this.pending = last + 1 < buf.length ? [buf.subarray(last + 1)] : [];
  }

  private parse(line: string, n: number): LineItem {
    const cache = this.cache;
    if (cache !== null && cache.item !== null && cache.text === line) {
      const hit = cache.item;
      if (hit.kind === "step")
        return hit.step.line === n ? hit : { kind: "step", step: { ...hit.step, line: n } };
      if (hit.kind === "summary" && hit.summary.line === n) return hit;
    }
    try {
      const item = parseTraceLine(line, n);
      if (cache !== null && (item.kind === "step" || item.kind === "summary")) {
        cache.text = line;
        cache.item = item;
      }
      return item;
    } catch (err) {
      if (err instanceof StepFormatError)
        throw new InvalidInputError(`${this.path} line ${n}: ${err.message}`);
      throw err;
    }
  }

  /** The next step, summary or end, without consuming it; undefined when a chunk must be read first. */
  peekSync(): Item | undefined {
    if (this.look !== null) return this.look;
    for (;;) {
      if (this.queue.length > 0) return (this.look = this.queue.shift()!);
      const line = this.nextLineSync();
      if (line === undefined) return undefined;
      if (line === null) return (this.look = EOF);
      const n = ++this.lines;
      const item = this.parse(line, n);
      switch (item.kind) {
        case "step":
        case "summary":
          return (this.look = item);
        case "document":
          for (const step of item.steps) this.queue.push({ kind: "step", step });
          this.queue.push({ kind: "summary", summary: item.summary });
          continue;
        case "noise":
          this.noise++;
          if (this.firstNoiseLine === 0) this.firstNoiseLine = n;
          continue;
        case "blank":
          continue;
      }
    }
  }

  async peek(): Promise<Item> {
    for (;;) {
      const item = this.peekSync();
      if (item !== undefined) return item;
      await this.fill();
    }
  }

  consume(): void {
    this.look = null;
  }

  /** The file's traces, in order; closes the file when done or stopped. */
  async *traces(): AsyncGenerator<Trace> {
    try {
      for (;;) {
        const first = this.peekSync() ?? (await this.peek());
        if (first.kind === "eof") return;
        this.traceCount++;
        const trace = new FileTrace(this);
        yield trace;
        await trace.summary(); // reads what the consumer left of this trace
      }
    } finally {
      this.close();
    }
  }
}

class FileTrace implements Trace {
  private finished: Promise<Summary | undefined> | null = null;

  constructor(private readonly r: TraceFileReader) {}

  readonly steps: AsyncIterable<Step> = { [Symbol.asyncIterator]: () => this.iterator() };

  /** The steps up to the summary (or the end); with nextSync for steps already buffered. */
  private iterator(): StepIterator {
    const r = this.r;
    let closed = false;
    const DONE: IteratorResult<Step> = { done: true, value: undefined };
    const take = (item: Item): IteratorResult<Step> => {
      if (item.kind !== "step") {
        closed = true;
        return DONE;
      }
      r.consume();
      return { done: false, value: item.step };
    };
    return {
      nextSync: () => {
        if (closed || this.finished !== null) return DONE;
        const item = r.peekSync();
        return item === undefined ? undefined : take(item);
      },
      next: async () => (closed || this.finished !== null ? DONE : take(await r.peek())),
      return: async () => {
        closed = true;
        return DONE;
      },
    };
  }

  /** Skips the steps not read yet and reads the summary lines. */
  private async finish(): Promise<Summary | undefined> {
    const r = this.r;
    let item = r.peekSync() ?? (await r.peek());
    while (item.kind === "step") {
      r.consume();
      item = r.peekSync() ?? (await r.peek());
    }
    let summary: Summary | undefined;
    while (item.kind === "summary") {
      if (summary !== undefined && summaryCollides(summary, item.summary)) break;
      summary = summary === undefined ? item.summary : mergeSummary(summary, item.summary);
      r.consume();
      item = r.peekSync() ?? (await r.peek());
    }
    return summary;
  }

  summary(): Promise<Summary | undefined> {
    this.finished ??= this.finish();
    return this.finished;
  }
}

export interface InputStats {
  file: string;
  /** Lines read (up to the point the comparison stopped). */
  lines: number;
  /** Lines skipped as noise, and the first of them (0: none). */
  noise: number;
  firstNoiseLine: number;
}

export interface FileDiffResult extends DiffResult {
  inputs: { a: InputStats; b: InputStats };
}

/** Compares two trace files (see compareTraces); both files are closed afterwards. */
export async function compareTraceFiles(
  pathA: string,
  pathB: string,
  opts: CompareOptions = {},
): Promise<FileDiffResult> {
  const cache = newLineCache();
  const a = new TraceFileReader(pathA, cache);
  let b: TraceFileReader;
  try {
    b = new TraceFileReader(pathB, cache);
  } catch (err) {
    a.close();
    throw err;
  }
  try {
    const result = await compareTraces(a.traces(), b.traces(), opts);
    const stats = (r: TraceFileReader): InputStats => ({
      file: r.path,
      lines: r.lines,
      noise: r.noise,
      firstNoiseLine: r.firstNoiseLine,
    });
    return { ...result, inputs: { a: stats(a), b: stats(b) } };
  } finally {
    a.close();
    b.close();
  }
}
