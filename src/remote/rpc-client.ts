/**
 * A JSON-RPC 2.0 client over HTTP(S) `fetch`, for reading from a remote Ethereum node:
 * custom headers (API keys, `Authorization: Bearer …`), batches split into chunks of a
 * bounded size, a timeout per HTTP request, and bounded retries with exponential backoff
 * on transient failures (HTTP 429/502/503/504, connection resets, timeouts; `Retry-After`
 * is honoured up to a limit). Endpoints that refuse batches are detected and then served
 * one call per request.
 *
 * Every error names the endpoint (with long path segments, usually API keys, masked), the
 * method and what the server said (its JSON-RPC error code and message, or the HTTP
 * status and the start of the body).
 */
import { SondeError } from "../errors.js";

export interface RpcClientOptions {
  /** Extra HTTP headers sent with every request. */
  headers?: Record<string, string>;
  /** Time allowed for one HTTP request, in ms (default 30 s). */
  timeoutMs?: number;
  /** How many times a transient failure is retried (default 4). */
  retries?: number;
  /** First backoff delay in ms; doubled at every retry (default 250). */
  retryBaseMs?: number;
  /** Longest wait between retries in ms, `Retry-After` included (default 10 s). */
  retryMaxMs?: number;
  /** Most calls sent in one batch request (default 100). */
  batchSize?: number;
  /** The fetch implementation (tests inject one); default: the global fetch. */
  fetch?: typeof fetch;
  /**
   * Called before each retry of a transient failure (the client itself never prints);
   * `message` is one line such as "retrying eth_getProof on http://… after a timeout
   * (no answer within 30 s) (attempt 2 of 5)".
   */
  onRetry?: (retry: RpcRetry) => void;
}

/** A retry about to be made (see RpcClientOptions.onRetry). */
export interface RpcRetry {
  /** The endpoint as shown in messages (keys masked). */
  endpoint: string;
  /** The method, or a batch's label ("batch of 3 calls (eth_getBalance, …)"). */
  method: string;
  /** The attempt about to be made (2 for the first retry) and how many there will be at most. */
  attempt: number;
  attempts: number;
  /** What went wrong ("a timeout (no answer within 30 s)", "HTTP 503 Service Unavailable", …). */
  reason: string;
  /** The whole line. */
  message: string;
}

export interface RpcCall {
  method: string;
  params: unknown[];
}

/** The answer to one call of a batch: its result, or the error it got. */
export type RpcOutcome = { ok: true; result: unknown } | { ok: false; error: RpcError };

/** Counters of what the client sent. */
export interface RpcStats {
  /** HTTP requests sent (retries included). */
  requests: number;
  /** JSON-RPC calls answered (each call of a batch counts). */
  calls: number;
  /** Requests retried after a transient failure. */
  retries: number;
}

/** A remote call failed: the server's JSON-RPC error, an HTTP error, a timeout or a network failure. */
export class RpcError extends SondeError {
  override name = "RpcError";
  constructor(
    message: string,
    readonly endpoint: string,
    readonly method: string,
    /** The JSON-RPC error code, when the server sent one. */
    readonly code: number | undefined = undefined,
    /** The JSON-RPC error data, when the server sent some. */
    readonly data: unknown = undefined,
    /** The HTTP status, for HTTP-level failures. */
    readonly status: number | undefined = undefined,
  ) {
    super(message);
  }

  /** True when the server says it does not offer the method (or this use of it). */
  get unsupported(): boolean {
    if (this.code === -32601) return true;
    const m = this.message.toLowerCase();
    return (
      /method .*(not found|not supported|does not exist|not available|unavailable)/.test(m) ||
      /(unsupported|unknown) method/.test(m) ||
      m.includes("not implemented")
    );
  }
}

interface Reply {
  id?: unknown;
  result?: unknown;
  error?: { code?: unknown; message?: unknown; data?: unknown };
}

/** The endpoint as shown in messages: scheme, host and path, with key-like path segments and any query masked. */
export function describeEndpoint(url: string): string {
  try {
    const u = new URL(url);
    const path = u.pathname
      .split("/")
      .map((seg) => (seg.length >= 16 ? "…" : seg))
      .join("/");
    return `${u.protocol}//${u.host}${path === "/" ? "" : path}${u.search === "" ? "" : "?…"}`;
  } catch {
    return url;
  }
}

const TRANSIENT_STATUS = new Set([429, 502, 503, 504]);
const TRANSIENT_CODES = new Set([
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

/** A failure worth retrying, with the delay the server asked for (ms), if any. */
class Transient extends Error {
  constructor(
    message: string,
    /** The failure as said after "retrying … after": "a timeout (…)", "HTTP 503 …". */
    readonly reason: string,
    readonly retryAfterMs: number | undefined = undefined,
    readonly status: number | undefined = undefined,
  ) {
    super(message);
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function snippet(text: string): string {
  const t = text.trim().replace(/\s+/g, " ");
  return t.length > 200 ? `${t.slice(0, 200)}…` : t;
}

export class RpcClient {
  readonly endpoint: string;
  readonly stats: RpcStats = { requests: 0, calls: 0, retries: 0 };
  private readonly headers: Record<string, string>;
  /** Time allowed for one HTTP request, in ms. */
  readonly timeoutMs: number;
  private readonly retries: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly batchSize: number;
  private readonly fetchFn: typeof fetch;
  private readonly onRetry: ((retry: RpcRetry) => void) | undefined;
  private nextId = 1;
  /** Set once the endpoint refused a batch: calls are then sent one per request. */
  private noBatches = false;

  constructor(
    readonly url: string,
    opts: RpcClientOptions = {},
  ) {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new SondeError(`--rpc: not a URL: "${url}"`);
    }
    if (u.protocol !== "http:" && u.protocol !== "https:") {
      throw new SondeError(`--rpc: only http:// and https:// endpoints are supported, got ${u.protocol}//`);
    }
    this.endpoint = describeEndpoint(url);
    this.headers = { "content-type": "application/json", accept: "application/json", ...opts.headers };
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.retries = opts.retries ?? 4;
    this.retryBaseMs = opts.retryBaseMs ?? 250;
    this.retryMaxMs = opts.retryMaxMs ?? 10_000;
    this.batchSize = Math.max(1, opts.batchSize ?? 100);
    this.fetchFn = opts.fetch ?? fetch;
    this.onRetry = opts.onRetry;
  }

  /** One call; throws an RpcError for any failure. */
  async call<T = unknown>(method: string, params: unknown[] = []): Promise<T> {
    const id = this.nextId++;
    const reply = await this.post({ jsonrpc: "2.0", id, method, params }, method);
    if (Array.isArray(reply) || typeof reply !== "object" || reply === null) {
      throw this.error(method, `unexpected response: ${snippet(JSON.stringify(reply))}`);
    }
    this.stats.calls++;
    const outcome = this.outcome(method, reply as Reply);
    if (!outcome.ok) throw outcome.error;
    return outcome.result as T;
  }

  /**
   * Several calls, sent as batches of at most `batchSize`; the outcomes come back in the
   * calls' order. A failure of a whole request (HTTP, network) throws; a call's own
   * JSON-RPC error is returned as its outcome.
   */
  async batch(calls: readonly RpcCall[]): Promise<RpcOutcome[]> {
    const out: RpcOutcome[] = [];
    for (let i = 0; i < calls.length; i += this.batchSize) {
      out.push(...(await this.batchChunk(calls.slice(i, i + this.batchSize))));
    }
    return out;
  }

  /** Like `batch`, but throws the first call's error. */
  async batchResults<T = unknown>(calls: readonly RpcCall[]): Promise<T[]> {
    const outcomes = await this.batch(calls);
    return outcomes.map((o) => {
      if (!o.ok) throw o.error;
      return o.result as T;
    });
  }

  private async batchChunk(calls: readonly RpcCall[]): Promise<RpcOutcome[]> {
    if (calls.length === 0) return [];
    if (this.noBatches || calls.length === 1) return this.oneByOne(calls);
    const first = this.nextId;
    this.nextId += calls.length;
    const body = calls.map((c, i) => ({ jsonrpc: "2.0", id: first + i, method: c.method, params: c.params }));
    const label = batchLabel(calls);
    const reply = await this.post(body, label);
    if (!Array.isArray(reply)) {
      // An endpoint without batch support answers with one error object (or 4xx, handled in post).
      this.noBatches = true;
      return this.oneByOne(calls);
    }
    const byId = new Map<number, Reply>();
    for (const r of reply as Reply[]) {
      if (typeof r === "object" && r !== null && typeof r.id === "number") byId.set(r.id, r);
    }
    this.stats.calls += calls.length;
    return calls.map((c, i) => {
      const r = byId.get(first + i);
      if (r === undefined) {
        return { ok: false, error: this.error(c.method, "no answer to this call in the batch response") };
      }
      return this.outcome(c.method, r);
    });
  }

  private async oneByOne(calls: readonly RpcCall[]): Promise<RpcOutcome[]> {
    const out: RpcOutcome[] = [];
    for (const c of calls) {
      try {
        out.push({ ok: true, result: await this.call(c.method, c.params) });
      } catch (e) {
        if (!(e instanceof RpcError) || e.code === undefined) throw e;
        out.push({ ok: false, error: e });
      }
    }
    return out;
  }

  private outcome(method: string, r: Reply): RpcOutcome {
    if (r.error !== undefined && r.error !== null) {
      const code = typeof r.error.code === "number" ? r.error.code : undefined;
      const msg = typeof r.error.message === "string" ? r.error.message : JSON.stringify(r.error);
      const data = r.error.data;
      const dataText =
        data === undefined || data === null
          ? ""
          : `, data ${snippet(typeof data === "string" ? data : JSON.stringify(data))}`;
      return {
        ok: false,
        error: new RpcError(
          `${this.endpoint} ${method}: ${msg}${code === undefined ? "" : ` (code ${code}${dataText})`}`,
          this.endpoint,
          method,
          code,
          data,
        ),
      };
    }
    if (!("result" in r))
      return { ok: false, error: this.error(method, "answer has neither result nor error") };
    return { ok: true, result: r.result };
  }

  private error(method: string, message: string, status?: number): RpcError {
    return new RpcError(
      `${this.endpoint} ${method}: ${message}`,
      this.endpoint,
      method,
      undefined,
      undefined,
      status,
    );
  }

  /** Sends one request, retrying transient failures; returns the parsed JSON body. */
  private async post(body: unknown, label: string): Promise<unknown> {
    const text = JSON.stringify(body);
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.postOnce(text, label);
      } catch (e) {
        if (!(e instanceof Transient)) throw e;
        if (attempt >= this.retries) {
          throw this.error(label, `${e.message} (gave up after ${attempt + 1} attempts)`, e.status);
        }
        this.stats.retries++;
        if (this.onRetry !== undefined) {
          const attempts = this.retries + 1;
          const next = attempt + 2;
          this.onRetry({
            endpoint: this.endpoint,
            method: label,
            attempt: next,
            attempts,
            reason: e.reason,
            message: `retrying ${label} on ${this.endpoint} after ${e.reason} (attempt ${next} of ${attempts})`,
          });
        }
        const backoff = this.retryBaseMs * 2 ** attempt * (0.5 + Math.random() / 2);
        await sleep(Math.min(this.retryMaxMs, e.retryAfterMs ?? backoff));
      }
    }
  }

  private async postOnce(text: string, label: string): Promise<unknown> {
    this.stats.requests++;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    let res: Response;
    let bodyText: string;
    try {
      res = await this.fetchFn(this.url, {
        method: "POST",
        headers: this.headers,
        body: text,
        signal: controller.signal,
      });
      bodyText = await res.text();
    } catch (e) {
      if (controller.signal.aborted) {
        const what = `no answer within ${this.timeoutMs / 1000} s`;
        throw new Transient(what, `a timeout (${what})`);
      }
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      const code = cause?.code ?? (e as { code?: string }).code;
      const what = code ?? cause?.message ?? (e as Error).message;
      if (code !== undefined && TRANSIENT_CODES.has(code))
        throw new Transient(`connection failed: ${what}`, `a connection failure (${what})`);
      throw this.error(label, `connection failed: ${what}`);
    } finally {
      clearTimeout(timer);
    }
    if (TRANSIENT_STATUS.has(res.status)) {
      const ra = res.headers.get("retry-after");
      const seconds = ra === null ? Number.NaN : Number(ra);
      const status = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}`;
      throw new Transient(
        `${status}: ${snippet(bodyText)}`,
        status,
        Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined,
        res.status,
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(bodyText);
    } catch {
      const status = res.ok ? "" : `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}: `;
      throw this.error(
        label,
        `${status}${res.ok ? "response is not JSON: " : ""}${snippet(bodyText) || "(empty body)"}`,
        res.status,
      );
    }
    // A JSON-RPC error body with a non-2xx status is still a JSON-RPC answer; anything else is an HTTP error.
    if (!res.ok && !Array.isArray(parsed)) {
      const err = (parsed as Reply | null)?.error;
      if (typeof err !== "object" || err === null) {
        const status = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}`;
        throw this.error(label, `${status}: ${snippet(bodyText)}`, res.status);
      }
    }
    return parsed;
  }
}

function batchLabel(calls: readonly RpcCall[]): string {
  const methods = [...new Set(calls.map((c) => c.method))];
  const shown = methods.slice(0, 3).join(", ") + (methods.length > 3 ? ", …" : "");
  return `batch of ${calls.length} calls (${shown})`;
}
