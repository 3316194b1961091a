import { describe, expect, it } from "vitest";
import { RpcClient } from "../remote/rpc-client.js";
import { RpcSource } from "./sources.js";

describe("RpcSource.structLogs", () => {
  it("streams an endpoint's steps without file line numbers (there are no lines to name)", async () => {
    const reply = {
      jsonrpc: "2.0",
      id: 1,
      result: {
        gas: 3,
        failed: false,
        returnValue: "",
        structLogs: [
          { pc: 0, op: "PUSH1", gas: 100, gasCost: 3, depth: 1, stack: [] },
          { pc: 2, op: "STOP", gas: 97, gasCost: 0, depth: 1, stack: ["0x1"] },
        ],
      },
    };
    const fake = (async () => new Response(JSON.stringify(reply))) as unknown as typeof fetch;
    const source = new RpcSource("node", new RpcClient("http://127.0.0.1:1"), { fetch: fake });
    const stream = await source.structLogs(`0x${"00".repeat(32)}`, {});
    const steps = [];
    for await (const s of stream.steps) steps.push(s);
    expect(steps.map((s) => s.opName)).toEqual(["PUSH1", "STOP"]);
    expect(steps.map((s) => s.line)).toEqual([undefined, undefined]);
  });
});
