import { describe, expect, it } from "vitest";
import { bytesToHex } from "../primitives/hex.js";
import { EMPTY_TRIE_ROOT, trieRoot } from "./trie.js";

const utf8 = (s: string) => new TextEncoder().encode(s);

describe("trieRoot", () => {
  it("has the well-known empty root", () => {
    expect(bytesToHex(EMPTY_TRIE_ROOT)).toBe(
      "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421",
    );
    expect(trieRoot([])).toEqual(EMPTY_TRIE_ROOT);
  });

  it("matches the classic doe/dog/dogglesworth vector", () => {
    const root = trieRoot([
      [utf8("doe"), utf8("reindeer")],
      [utf8("dog"), utf8("puppy")],
      [utf8("dogglesworth"), utf8("cat")],
    ]);
    expect(bytesToHex(root)).toBe("0x8aad789dff2f538bca5d8ea56e8abe10f4c7ba3a5dea95fea4cd6e7c3a1168d3");
  });

  it("is independent of insertion order and ignores empty values", () => {
    const a = trieRoot([
      [utf8("a"), utf8("1")],
      [utf8("ab"), utf8("2")],
      [utf8("b"), utf8("3")],
    ]);
    const b = trieRoot([
      [utf8("b"), utf8("3")],
      [utf8("x"), new Uint8Array(0)],
      [utf8("ab"), utf8("2")],
      [utf8("a"), utf8("1")],
    ]);
    expect(a).toEqual(b);
  });
});
