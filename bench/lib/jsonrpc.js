/**
 * A small JSON-RPC 2.0 client over HTTP for the node benchmark (bench/node.js), on
 * node:http with a keep-alive agent: one TCP connection is reused for sequential requests
 * (and up to `maxSockets` for concurrent ones), so a timed request measures the server's
 * handling and the transfer, not a TCP handshake. fetch() would do the same with more
 * client-side overhead per request, which would blur the latency of cheap calls.
 */
import { Agent, request } from "node:http";

/**
 * @param {string} url  e.g. http://127.0.0.1:8545
 * @param {{ name?: string, maxSockets?: number }} [options]  `name` prefixes error messages
 */
export function createRpcClient(url, { name = url, maxSockets = 16 } = {}) {
  const { hostname, port } = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets });
  let id = 0;

  /** Posts a JSON text; resolves with the raw response body (a Buffer). */
  const post = (body) =>
    new Promise((resolve, reject) => {
      const req = request(
        {
          agent,
          hostname,
          port,
          method: "POST",
          path: "/",
          headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
        },
        (res) => {
          const chunks = [];
          res.on("data", (c) => chunks.push(c));
          res.on("end", () => {
            const buf = Buffer.concat(chunks);
            if (res.statusCode !== 200)
              reject(new Error(`${name}: HTTP ${res.statusCode}: ${buf.subarray(0, 300).toString()}`));
            else resolve(buf);
          });
          res.on("error", reject);
        },
      );
      req.on("error", (e) => reject(new Error(`${name}: ${e.message}`)));
      req.end(body);
    });

  const unwrap = (method, r) => {
    if (r === undefined) throw new Error(`${name} ${method}: no answer`);
    if (r.error) throw new Error(`${name} ${method}: ${r.error.message} (code ${r.error.code})`);
    return r.result;
  };
  const envelope = (method, params) => JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params });

  return {
    url,
    /** One call; resolves with its result or throws the JSON-RPC error. */
    async rpc(method, params = []) {
      return unwrap(method, JSON.parse((await post(envelope(method, params))).toString("utf8")));
    },
    /** A batch of [method, params] pairs; results in order. */
    async batch(calls) {
      if (calls.length === 0) return [];
      const first = id + 1;
      const body = `[${calls.map(([m, p]) => envelope(m, p)).join(",")}]`;
      const replies = JSON.parse((await post(body)).toString("utf8"));
      const byId = new Map(replies.map((r) => [r.id, r]));
      return calls.map(([m], i) => unwrap(m, byId.get(first + i)));
    },
    /**
     * One timed call: wall time from sending the request to the last byte of the response
     * (the JSON envelope is built before the clock starts; the response is not parsed).
     */
    async timed(method, params = []) {
      const body = envelope(method, params);
      const t0 = process.hrtime.bigint();
      const buf = await post(body);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      return { ms, bytes: buf.length, buf };
    },
    close() {
      agent.destroy();
    },
  };
}

/** The result of a timed() response, or throws its JSON-RPC error. */
export function parseTimed(name, method, buf) {
  const r = JSON.parse(buf.toString("utf8"));
  if (r.error) throw new Error(`${name} ${method}: ${r.error.message} (code ${r.error.code})`);
  return r.result;
}
