/**
 * JSON-RPC 2.0 over HTTP (node:http) and WebSocket (ws), following go-ethereum's rpc
 * package where clients can tell the difference:
 *
 * - Requests: a single call or a batch (at most 1000 entries; an empty batch is
 *   -32600 "empty batch"); calls without an id are notifications and get no answer;
 *   params must be an array or absent.
 * - Errors: -32700 "parse error" for bad JSON, -32600 "invalid request" for a malformed
 *   call, -32601 "the method X does not exist/is not available" for unknown methods and
 *   methods of namespaces not enabled on the transport, -32602 for bad arguments, -32000
 *   for what a method reports, 3 for reverts, -32603 when a handler fails unexpectedly.
 * - Limits: a request body over `maxRequestBytes` (default 5 MiB, go-ethereum's) gets
 *   HTTP 413 with a -32600 error body, or closes the WebSocket with code 1009; a batch
 *   whose responses exceed `maxBatchResponseBytes` (25 MB) has its remaining answers
 *   replaced by -32003 "response too large". A WebSocket client that leaves more than
 *   `maxWsBacklog` bytes unsent (it stopped reading) is disconnected.
 * - HTTP: POST with any content type, CORS open to every origin (a development node);
 *   GET answers 405. WebSocket: eth_subscribe/eth_unsubscribe with eth_subscription
 *   notifications; served on the HTTP port (upgrade) unless a separate port is given.
 *
 * No request can stop the server: every handler runs inside a try/catch.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocket, WebSocketServer } from "ws";
import { SondeError } from "../errors.js";
import { bytesToHex } from "../primitives/hex.js";
import { debugNamespace } from "./debug.js";
import {
  INTERNAL_ERROR,
  INVALID_REQUEST,
  methodNotFound,
  PARSE_ERROR,
  RESPONSE_TOO_LARGE,
  RpcError,
  serverError,
} from "./errors.js";
import { ethNamespace } from "./eth.js";
import { evmNamespace } from "./evm.js";
import { netNamespace } from "./net.js";
import { testingNamespace } from "./testing.js";
import { traceNamespace } from "./trace.js";
import { txpoolNamespace } from "./txpool.js";
import { type CallContext, type Handler, RawJson, type RpcEnv, type SubscriptionSink } from "./types.js";
import { web3Namespace } from "./web3.js";

export const DEFAULT_MAX_REQUEST_BYTES = 5 * 1024 * 1024;
export const DEFAULT_MAX_BATCH_RESPONSE_BYTES = 25 * 1000 * 1000;
/**
 * Unsent bytes a WebSocket client may leave queued before its connection is closed: room
 * for two of the largest responses (--rpc.trace-max-size), far beyond a client that reads.
 */
export const MAX_WS_BACKLOG = 1_100_000_000;
export const DEFAULT_MAX_BATCH_ITEMS = 1000;

/**
 * Every namespace Sonde serves. `testing` (testing_buildBlockV1) is never on by default,
 * as in go-ethereum: it must be listed in --http.api / --ws.api.
 */
export const ALL_APIS = ["eth", "net", "web3", "txpool", "debug", "trace", "evm", "testing"] as const;

export interface TransportOptions {
  host: string;
  port: number;
  /** Enabled namespaces. */
  apis: Set<string>;
}

export interface ServerOptions {
  http: TransportOptions;
  /** WebSocket; on the HTTP listener when host and port are the HTTP ones. */
  ws?: TransportOptions | undefined;
  maxRequestBytes?: number;
  maxBatchResponseBytes?: number;
  maxBatchItems?: number;
  /** Unsent bytes a WebSocket client may leave queued (default MAX_WS_BACKLOG). */
  maxWsBacklog?: number;
}

type Json = Record<string, unknown>;

interface Reply {
  /** JSON text of the response object. */
  text: string;
}

function errorText(id: unknown, err: RpcError): string {
  return `{"jsonrpc":"2.0","id":${JSON.stringify(id ?? null)},"error":${JSON.stringify(err.toJSON())}}`;
}

function resultText(id: unknown, result: unknown): string {
  const body = result instanceof RawJson ? result.json : JSON.stringify(result === undefined ? null : result);
  return `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":${body}}`;
}

/** Is `host` a loopback address (debug and trace are then on by default)? */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host.startsWith("127.");
}

/** The method table and the request handling shared by every transport. */
export class RpcHandler {
  readonly methods: Map<string, Handler>;
  readonly maxBatchItems: number;
  readonly maxBatchResponseBytes: number;

  constructor(
    readonly env: RpcEnv,
    opts: { maxBatchItems?: number; maxBatchResponseBytes?: number } = {},
  ) {
    this.methods = new Map(
      Object.entries({
        ...ethNamespace(env),
        ...netNamespace(env),
        ...web3Namespace(env),
        ...txpoolNamespace(env),
        ...debugNamespace(env),
        ...traceNamespace(env),
        ...evmNamespace(env),
        ...testingNamespace(env),
      }),
    );
    this.maxBatchItems = opts.maxBatchItems ?? DEFAULT_MAX_BATCH_ITEMS;
    this.maxBatchResponseBytes = opts.maxBatchResponseBytes ?? DEFAULT_MAX_BATCH_RESPONSE_BYTES;
  }

  /** Calls a method directly (tests); throws RpcError. `apis` defaults to all. */
  async call(
    method: string,
    params: unknown[] = [],
    ctx: CallContext = { transport: "direct" },
  ): Promise<unknown> {
    const r = await this.invoke(method, params, ctx, new Set(ALL_APIS));
    return r instanceof RawJson ? JSON.parse(r.json) : r;
  }

  private async invoke(
    method: string,
    params: unknown[],
    ctx: CallContext,
    apis: Set<string>,
  ): Promise<unknown> {
    const ns = method.split("_", 1)[0]!;
    const h = this.methods.get(method);
    if (h === undefined || !apis.has(ns)) throw methodNotFound(method);
    return await h(params, ctx);
  }

  /** Handles one request object; undefined for a notification. */
  async handleOne(req: unknown, ctx: CallContext, apis: Set<string>): Promise<Reply | undefined> {
    if (typeof req !== "object" || req === null || Array.isArray(req)) {
      return { text: errorText(null, new RpcError(INVALID_REQUEST, "invalid request")) };
    }
    const r = req as Json;
    const hasId = "id" in r;
    const id = r.id;
    if (hasId && id !== null && typeof id !== "string" && typeof id !== "number") {
      return { text: errorText(null, new RpcError(INVALID_REQUEST, "invalid request")) };
    }
    if (r.jsonrpc !== "2.0" || typeof r.method !== "string" || r.method === "") {
      return { text: errorText(hasId ? id : null, new RpcError(INVALID_REQUEST, "invalid request")) };
    }
    const params = r.params === undefined || r.params === null ? [] : r.params;
    if (!Array.isArray(params)) {
      return hasId ? { text: errorText(id, new RpcError(-32602, "non-array args")) } : undefined;
    }
    let text: string;
    try {
      const result = await this.invoke(r.method, params, ctx, apis);
      text = resultText(id, result);
    } catch (err) {
      text = errorText(id, toRpcError(err));
    }
    return hasId ? { text } : undefined;
  }

  /** Handles a request body (single or batch); undefined when nothing is to be sent back. */
  async handleText(body: string, ctx: CallContext, apis: Set<string>): Promise<string | undefined> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return errorText(null, new RpcError(PARSE_ERROR, "parse error"));
    }
    if (!Array.isArray(parsed)) return (await this.handleOne(parsed, ctx, apis))?.text;
    if (parsed.length === 0) return errorText(null, new RpcError(INVALID_REQUEST, "empty batch"));
    if (parsed.length > this.maxBatchItems)
      return errorText(null, new RpcError(INVALID_REQUEST, "batch too large"));
    const out: string[] = [];
    let size = 0;
    for (const req of parsed) {
      if (size > this.maxBatchResponseBytes) {
        const id = typeof req === "object" && req !== null && "id" in req ? (req as Json).id : null;
        if (id !== undefined) out.push(errorText(id, new RpcError(RESPONSE_TOO_LARGE, "response too large")));
        continue;
      }
      const r = await this.handleOne(req, ctx, apis);
      if (r === undefined) continue;
      size += r.text.length;
      out.push(r.text);
    }
    return out.length === 0 ? undefined : `[${out.join(",")}]`;
  }
}

export function toRpcError(err: unknown): RpcError {
  if (err instanceof RpcError) return err;
  if (err instanceof SondeError) return serverError(err.message);
  const message = err instanceof Error ? err.message : String(err);
  return new RpcError(INTERNAL_ERROR, `method handler crashed: ${message}`);
}

/** The HTTP and WebSocket listeners around an RpcHandler. */
export class RpcServer {
  private http: Server | undefined;
  private wsHttp: Server | undefined;
  private wss: WebSocketServer | undefined;
  readonly maxRequestBytes: number;
  readonly maxWsBacklog: number;
  httpUrl = "";
  wsUrl: string | undefined;

  constructor(
    readonly handler: RpcHandler,
    readonly opts: ServerOptions,
  ) {
    this.maxRequestBytes = opts.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
    this.maxWsBacklog = opts.maxWsBacklog ?? MAX_WS_BACKLOG;
  }

  async start(): Promise<void> {
    const { http, ws } = this.opts;
    this.http = createServer((req, res) => this.onHttp(req, res));
    this.http.on("clientError", (_err, socket) => socket.destroy());
    await listen(this.http, http.host, http.port);
    const addr = this.http.address() as AddressInfo;
    this.httpUrl = `http://${hostForUrl(http.host)}:${addr.port}`;
    if (ws !== undefined) {
      this.wss = new WebSocketServer({ noServer: true, maxPayload: this.maxRequestBytes });
      this.wss.on("connection", (socket) => this.onWs(socket, ws.apis));
      const shared = ws.port === http.port && ws.host === http.host;
      let target = this.http;
      if (!shared) {
        this.wsHttp = createServer((_req, res) => {
          res.writeHead(400, { "content-type": "text/plain" });
          res.end("WebSocket only\n");
        });
        await listen(this.wsHttp, ws.host, ws.port);
        target = this.wsHttp;
      }
      target.on("upgrade", (req, socket, head) => {
        this.wss!.handleUpgrade(req, socket, head, (s) => this.wss!.emit("connection", s, req));
      });
      const wsAddr = target.address() as AddressInfo;
      this.wsUrl = `ws://${hostForUrl(ws.host)}:${wsAddr.port}`;
    }
  }

  private onHttp(req: IncomingMessage, res: ServerResponse): void {
    res.setHeader("access-control-allow-origin", "*");
    res.setHeader("access-control-allow-headers", "*");
    res.setHeader("access-control-allow-methods", "POST, OPTIONS");
    if (req.method === "OPTIONS") {
      res.writeHead(204);
      res.end();
      return;
    }
    if (req.method !== "POST") {
      res.writeHead(405, { "content-type": "text/plain" });
      res.end("method not allowed\n");
      return;
    }
    const limit = this.maxRequestBytes;
    const tooLarge = (size: number) => {
      const body = errorText(
        null,
        new RpcError(INVALID_REQUEST, `request body too large: ${size} bytes, limit ${limit}`),
      );
      res.writeHead(413, { "content-type": "application/json", connection: "close" });
      res.end(body);
    };
    const declared = Number(req.headers["content-length"] ?? "0");
    if (declared > limit) {
      tooLarge(declared);
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let aborted = false;
    req.on("data", (c: Buffer) => {
      if (aborted) return;
      size += c.length;
      if (size > limit) {
        aborted = true;
        tooLarge(size);
        return;
      }
      chunks.push(c);
    });
    req.on("error", () => {
      aborted = true;
    });
    req.on("end", () => {
      if (aborted) return;
      const body = Buffer.concat(chunks).toString("utf8");
      this.handler
        .handleText(body, { transport: "http" }, this.opts.http.apis)
        .then((text) => {
          res.writeHead(200, { "content-type": "application/json" });
          res.end(text === undefined ? "" : text);
        })
        .catch((err) => {
          res.writeHead(500, { "content-type": "application/json" });
          res.end(errorText(null, toRpcError(err)));
        });
    });
  }

  private onWs(socket: WebSocket, apis: Set<string>): void {
    const subs = new Map<string, () => void>();
    // A client that stops reading would have the node buffer for it without end: past
    // MAX_WS_BACKLOG unsent bytes its connection is closed (go-ethereum drops a client
    // whose writes time out).
    const send = (text: string) => {
      if (socket.readyState !== WebSocket.OPEN) return;
      // A close frame would queue behind the unread data: the connection is cut.
      if (socket.bufferedAmount > this.maxWsBacklog) {
        socket.terminate();
        return;
      }
      socket.send(text);
    };
    const sink: SubscriptionSink = {
      subscribe: (start, namespace = "eth") => {
        const id = bytesToHex(new Uint8Array(randomBytes(16)));
        const notify = (result: unknown) => {
          send(
            `{"jsonrpc":"2.0","method":"${namespace}_subscription","params":{"subscription":"${id}","result":${result instanceof RawJson ? result.json : JSON.stringify(result)}}}`,
          );
        };
        subs.set(
          id,
          start(notify, () => socket.bufferedAmount),
        );
        return id;
      },
      unsubscribe: (id) => {
        const stop = subs.get(id);
        if (stop === undefined) return false;
        stop();
        subs.delete(id);
        return true;
      },
    };
    const ctx: CallContext = { transport: "ws", subscriptions: sink };
    socket.on("message", (data: Buffer, isBinary: boolean) => {
      const text = isBinary ? Buffer.from(data).toString("utf8") : data.toString();
      this.handler
        .handleText(text, ctx, apis)
        .then((reply) => {
          if (reply !== undefined) send(reply);
        })
        .catch(() => {
          /* handleText does not throw; a closed socket is not an error */
        });
    });
    socket.on("error", () => socket.terminate());
    socket.on("close", () => {
      for (const stop of subs.values()) stop();
      subs.clear();
    });
  }

  async close(): Promise<void> {
    for (const c of this.wss?.clients ?? []) c.terminate();
    this.wss?.close();
    await Promise.all([this.http, this.wsHttp].map((s) => (s === undefined ? undefined : closeServer(s))));
  }
}

function hostForUrl(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections?.();
  });
}
