import { describe, expect, it } from "vitest";
import { streamArray } from "./json-stream.js";

async function* chunked(text: string, size: number): AsyncGenerator<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.slice(i, i + size);
}

async function split(text: string, size: number, key = "structLogs") {
  const s = streamArray(chunked(text, size), key);
  const out: unknown[] = [];
  for await (const e of s.elements) out.push(JSON.parse(e));
  return { elements: out, rest: s.rest() };
}

const DOC = {
  jsonrpc: "2.0",
  id: 7,
  result: {
    gas: 21000,
    failed: false,
    returnValue: "0x",
    structLogs: [
      { pc: 0, op: "PUSH1", gas: 100, stack: [], note: 'a "quoted" ] } [ { string' },
      { pc: 2, op: "SSTORE", gas: 97, stack: ["0x1", "0x2"], storage: { "0x01": "0x02" } },
      { pc: 3, op: "STOP", gas: 10, stack: [], deep: [[1, [2]], { x: [] }] },
    ],
  },
};

describe("streamArray", () => {
  it.each([1, 2, 3, 7, 64, 100_000])("cuts the elements out in chunks of %i bytes", async (size) => {
    const text = JSON.stringify(DOC);
    const { elements, rest } = await split(text, size);
    expect(elements).toEqual(DOC.result.structLogs);
    expect(rest).toEqual({ ...DOC, result: { ...DOC.result, structLogs: [] } });
  });

  it("handles whitespace, an empty array, scalar elements and a missing key", async () => {
    const pretty = JSON.stringify(DOC, null, 2);
    expect((await split(pretty, 5)).elements).toEqual(DOC.result.structLogs);
    expect((await split('{"structLogs" : [ ]}', 3)).elements).toEqual([]);
    expect((await split('{"a":1,"structLogs":[1, "x", null,{"b":[]}]}', 4)).elements).toEqual([
      1,
      "x",
      null,
      { b: [] },
    ]);
    const none = await split('{"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"x"}}', 4);
    expect(none.elements).toEqual([]);
    expect(none.rest).toEqual({ jsonrpc: "2.0", id: 1, error: { code: -32000, message: "x" } });
  });

  it("does not take a string value equal to the key for the key", async () => {
    const doc = { a: "structLogs", b: ["no"], structLogs: [{ y: 1 }] };
    expect((await split(JSON.stringify(doc), 2)).elements).toEqual([{ y: 1 }]);
  });

  it("reports a truncated document", async () => {
    const text = JSON.stringify(DOC).slice(0, 120);
    await expect(split(text, 16)).rejects.toThrow(/ends early/);
  });
});
