// Malformed input at volume: thousands of generated bad requests (broken JSON, wrong
// shapes and types, unknown methods, invalid hex and RLP, bad block tags, oversized
// values) against a running node. Each must get a JSON-RPC error object (or, for a body
// that is not JSON-RPC at all, an HTTP error with one), and the node must keep serving.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type StartedNode, startNode } from "../cli/node.js";
import { ALL_APIS } from "./server.js";

let started: StartedNode;
let url: string;

beforeAll(async () => {
  const apis = new Set<string>(ALL_APIS);
  started = await startNode({ http: { host: "127.0.0.1", port: 0, apis }, blockTime: 0, gcmode: "full" });
  url = started.server.httpUrl;
});
afterAll(async () => {
  await started?.close();
});

/** A small deterministic generator (xorshift32), so a failure can be reproduced. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const METHODS = [
  "eth_getBalance",
  "eth_getCode",
  "eth_getStorageAt",
  "eth_call",
  "eth_estimateGas",
  "eth_sendRawTransaction",
  "eth_getBlockByNumber",
  "eth_getBlockByHash",
  "eth_getTransactionReceipt",
  "eth_getLogs",
  "eth_getProof",
  "eth_feeHistory",
  "eth_simulateV1",
  "eth_createAccessList",
  "debug_traceTransaction",
  "debug_traceCall",
  "debug_traceBlock",
  "debug_storageRangeAt",
  "trace_replayTransaction",
  "trace_filter",
  "txpool_contentFrom",
  "no_suchMethod",
];
const BAD_VALUES: unknown[] = [
  null,
  true,
  -1,
  1.5,
  "",
  "0x",
  "0xzz",
  "latest!",
  "0x1234",
  `0x${"f".repeat(80)}`,
  `0x${"00".repeat(21)}`,
  "0xf8",
  "0xc0",
  "0x02c0",
  "0x03f8ff",
  `0x${"ff".repeat(500)}`,
  [],
  [[]],
  {},
  { to: 5 },
  { from: "0x1", data: "0xg" },
  { fromBlock: "0x10", toBlock: "0x1" },
  { blockHash: "0x12", fromBlock: "0x0" },
  { tracer: "nosuch" },
  { tracer: "{step:function(){throw 1}}" },
  { blockStateCalls: "x" },
  "9".repeat(100),
];

function malformed(r: () => number): string {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  switch (Math.floor(r() * 6)) {
    case 0: {
      // Broken JSON text.
      const good = JSON.stringify({ jsonrpc: "2.0", id: 1, method: pick(METHODS), params: [] });
      const cut = Math.floor(r() * (good.length - 1));
      return good.slice(0, cut) + pick(["", "}", "]", ",", "\u0000", "{{"]);
    }
    case 1:
      // Not a request object.
      return JSON.stringify(pick([42, "x", null, [1, 2], { id: 1 }, { jsonrpc: "2.0", id: 1, method: 7 }]));
    case 2:
      // params not an array.
      return JSON.stringify({ jsonrpc: "2.0", id: 1, method: pick(METHODS), params: pick(BAD_VALUES) });
    default: {
      // The right shape with bad arguments.
      const n = Math.floor(r() * 4);
      const params = Array.from({ length: n }, () => pick(BAD_VALUES));
      return JSON.stringify({ jsonrpc: "2.0", id: 1, method: pick(METHODS), params });
    }
  }
}

/** How many requests; SONDE_MALFORMED=10000 for the full count (about a minute). */
const COUNT = Number(process.env.SONDE_MALFORMED ?? 3000);

describe("malformed requests", () => {
  it(`answers ${COUNT} generated bad requests with JSON-RPC errors and keeps serving`, async () => {
    const r = rng(20261121);
    let errors = 0;
    for (let i = 0; i < COUNT; i++) {
      const body = malformed(r);
      const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body });
      const text = await res.text();
      let json: { error?: { code: unknown; message: unknown }; result?: unknown };
      try {
        json = JSON.parse(text);
      } catch {
        throw new Error(
          `request ${i} got a non-JSON answer (HTTP ${res.status}): ${text.slice(0, 200)}\n${body}`,
        );
      }
      if (Array.isArray(json)) json = json[0];
      // A few generated requests are valid after all (e.g. eth_getLogs with a filter that
      // parses); only a crash or a non-JSON-RPC answer is a failure.
      if (json?.error !== undefined) {
        expect(typeof json.error.code, `request ${i}: ${body}`).toBe("number");
        expect(typeof json.error.message, `request ${i}: ${body}`).toBe("string");
        expect(json.error.code, `request ${i} was answered as an internal error: ${text}\n${body}`).not.toBe(
          -32603,
        );
        errors++;
      } else {
        expect(json, `request ${i}: ${body}`).toHaveProperty("result");
      }
    }
    expect(errors).toBeGreaterThan(COUNT * 0.9);
    const alive = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}',
    });
    expect(await alive.json()).toEqual({ jsonrpc: "2.0", id: 1, result: "0x539" });
  }, 600_000);
});
