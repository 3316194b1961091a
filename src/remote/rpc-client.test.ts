import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { describeEndpoint, RpcClient, RpcError } from "./rpc-client.js";

type Handler = (body: unknown, req: IncomingMessage, res: ServerResponse) => void;

const servers: Server[] = [];

/** A local HTTP server answering with `handler`; returns its URL. */
async function serve(handler: Handler): Promise<string> {
  const server = createServer((req, res) => {
    let text = "";
    req.on("data", (d) => {
      text += String(d);
    });
    req.on("end", () => handler(JSON.parse(text), req, res));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

type Call = { id: number; method: string; params: unknown[] };

function json(res: ServerResponse, value: unknown, status = 200, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(value));
}

/** Answers eth_echo with its first parameter and anything else with method-not-found (batches too). */
function answer(body: unknown): unknown {
  if (Array.isArray(body)) return (body as Call[]).map(answer);
  const c = body as Call;
  if (c.method === "eth_echo") return { jsonrpc: "2.0", id: c.id, result: c.params[0] };
  return {
    jsonrpc: "2.0",
    id: c.id,
    error: { code: -32601, message: `the method ${c.method} does not exist` },
  };
}

describe("RpcClient", () => {
  it("sends the custom headers with every request", async () => {
    const seen: (string | undefined)[] = [];
    const url = await serve((body, req, res) => {
      seen.push(req.headers.authorization);
      json(res, answer(body));
    });
    const client = new RpcClient(url, { headers: { Authorization: "Bearer s3cret" } });
    expect(await client.call("eth_echo", ["hi"])).toBe("hi");
    await client.batch([
      { method: "eth_echo", params: [1] },
      { method: "eth_echo", params: [2] },
    ]);
    expect(seen).toEqual(["Bearer s3cret", "Bearer s3cret"]);
  });

  it("splits batches into chunks and matches answers by id, whatever their order", async () => {
    const sizes: number[] = [];
    const url = await serve((body, _req, res) => {
      sizes.push(Array.isArray(body) ? body.length : 1);
      json(res, Array.isArray(body) ? (answer(body) as unknown[]).reverse() : answer(body));
    });
    const client = new RpcClient(url, { batchSize: 2 });
    const out = await client.batchResults([1, 2, 3, 4, 5].map((n) => ({ method: "eth_echo", params: [n] })));
    expect(out).toEqual([1, 2, 3, 4, 5]);
    expect(sizes).toEqual([2, 2, 1]);
    expect(client.stats).toEqual({ requests: 3, calls: 5, retries: 0 });
  });

  it("returns a call's JSON-RPC error as its outcome, naming endpoint, method, message and code", async () => {
    const url = await serve((body, _req, res) => json(res, answer(body)));
    const client = new RpcClient(url);
    const [ok, bad] = await client.batch([
      { method: "eth_echo", params: ["x"] },
      { method: "eth_nope", params: [] },
    ]);
    expect(ok).toEqual({ ok: true, result: "x" });
    expect(bad!.ok).toBe(false);
    const err = (bad as { error: RpcError }).error;
    expect(err.message).toBe(
      `http://127.0.0.1:${new URL(url).port} eth_nope: the method eth_nope does not exist (code -32601)`,
    );
    expect(err.code).toBe(-32601);
    expect(err.unsupported).toBe(true);
    await expect(client.call("eth_nope")).rejects.toThrow(
      /eth_nope: the method eth_nope does not exist \(code -32601\)/,
    );
  });

  it("retries HTTP 429 (honouring Retry-After) and succeeds", async () => {
    let n = 0;
    const url = await serve((body, _req, res) => {
      if (n++ === 0) return json(res, { error: "slow down" }, 429, { "retry-after": "0" });
      json(res, answer(body));
    });
    const client = new RpcClient(url, { retryBaseMs: 1 });
    expect(await client.call("eth_echo", [7])).toBe(7);
    expect(client.stats.retries).toBe(1);
    expect(client.stats.requests).toBe(2);
  });

  it("retries a reset connection", async () => {
    let n = 0;
    const url = await serve((body, req, res) => {
      if (n++ === 0) {
        req.socket.destroy();
        return;
      }
      json(res, answer(body));
    });
    const client = new RpcClient(url, { retryBaseMs: 1 });
    expect(await client.call("eth_echo", ["again"])).toBe("again");
    expect(client.stats.retries).toBe(1);
  });

  it("gives up on repeated 503s after the configured retries", async () => {
    let n = 0;
    const url = await serve((_body, _req, res) => {
      n++;
      res.writeHead(503, { "content-type": "text/plain" });
      res.end("upstream unavailable");
    });
    const client = new RpcClient(url, { retries: 2, retryBaseMs: 1 });
    const err = await client.call("eth_blockNumber").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcError);
    expect((err as RpcError).message).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+ eth_blockNumber: HTTP 503 Service Unavailable: upstream unavailable \(gave up after 3 attempts\)$/,
    );
    expect((err as RpcError).status).toBe(503);
    expect(n).toBe(3);
  });

  it("does not retry an authentication failure and shows the server's text", async () => {
    let n = 0;
    const url = await serve((_body, _req, res) => {
      n++;
      res.writeHead(401, { "content-type": "text/plain" });
      res.end("missing API key");
    });
    const client = new RpcClient(url, { retryBaseMs: 1 });
    await expect(client.call("eth_chainId")).rejects.toThrow(
      /eth_chainId: HTTP 401 Unauthorized: missing API key$/,
    );
    expect(n).toBe(1);
  });

  it("times out a request that gets no answer", async () => {
    const url = await serve(() => {
      /* never answers */
    });
    const client = new RpcClient(url, { timeoutMs: 100, retries: 0 });
    await expect(client.call("eth_chainId")).rejects.toThrow(
      /eth_chainId: no answer within 0\.1 s \(gave up after 1 attempts\)/,
    );
  });

  it("reports each retry through onRetry, in one line naming method, endpoint, reason and attempt", async () => {
    const url = await serve(() => {
      /* never answers */
    });
    const lines: string[] = [];
    const client = new RpcClient(url, {
      timeoutMs: 50,
      retries: 2,
      retryBaseMs: 1,
      onRetry: (r) => lines.push(r.message),
    });
    await expect(client.call("eth_getProof")).rejects.toThrow(/gave up after 3 attempts/);
    const endpoint = url.replace(/\/$/, "");
    expect(lines).toEqual([
      `retrying eth_getProof on ${endpoint} after a timeout (no answer within 0.05 s) (attempt 2 of 3)`,
      `retrying eth_getProof on ${endpoint} after a timeout (no answer within 0.05 s) (attempt 3 of 3)`,
    ]);
    let n = 0;
    const busy = await serve((body, _req, res) => {
      if (n++ === 0) {
        res.writeHead(503, { "content-type": "text/plain" });
        res.end("busy");
      } else json(res, answer(body));
    });
    const seen: { attempt: number; attempts: number; method: string }[] = [];
    const c2 = new RpcClient(busy, { retryBaseMs: 1, onRetry: (r) => seen.push(r) });
    expect(await c2.call("eth_echo", [1])).toBe(1);
    expect(seen).toMatchObject([{ attempt: 2, attempts: 5, method: "eth_echo" }]);
    expect((seen[0] as unknown as { message: string }).message).toMatch(
      /^retrying eth_echo on http:\/\/127\.0\.0\.1:\d+ after HTTP 503 Service Unavailable \(attempt 2 of 5\)$/,
    );
  });

  it("falls back to one call per request when the endpoint refuses batches", async () => {
    const bodies: unknown[] = [];
    const url = await serve((body, _req, res) => {
      bodies.push(body);
      if (Array.isArray(body))
        return json(res, {
          jsonrpc: "2.0",
          id: null,
          error: { code: -32600, message: "batch requests are not supported" },
        });
      json(res, answer(body));
    });
    const client = new RpcClient(url);
    const calls = [1, 2, 3].map((n) => ({ method: "eth_echo", params: [n] }));
    expect(await client.batchResults(calls)).toEqual([1, 2, 3]);
    expect(await client.batchResults(calls)).toEqual([1, 2, 3]);
    // One refused batch, then single calls only.
    expect(bodies.filter(Array.isArray)).toHaveLength(1);
    expect(bodies).toHaveLength(7);
  });

  it("names a refused connection", async () => {
    const url = await serve(() => {});
    const port = new URL(url).port;
    for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
    const client = new RpcClient(url, { retries: 0 });
    await expect(client.call("eth_chainId")).rejects.toThrow(
      `http://127.0.0.1:${port} eth_chainId: connection failed: ECONNREFUSED`,
    );
  });

  it("rejects URLs it cannot use", () => {
    expect(() => new RpcClient("not a url")).toThrow('--rpc: not a URL: "not a url"');
    expect(() => new RpcClient("ws://localhost:8546")).toThrow(
      "only http:// and https:// endpoints are supported, got ws://",
    );
  });
});

describe("describeEndpoint", () => {
  it("masks key-like path segments and queries", () => {
    expect(describeEndpoint("https://mainnet.infura.io/v3/0123456789abcdef0123456789abcdef")).toBe(
      "https://mainnet.infura.io/v3/…",
    );
    expect(describeEndpoint("https://rpc.example.org/?apikey=abc")).toBe("https://rpc.example.org?…");
    expect(describeEndpoint("http://127.0.0.1:8545")).toBe("http://127.0.0.1:8545");
  });
});
