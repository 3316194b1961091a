import { describe, expect, it } from "vitest";
import { keccak256 } from "../primitives/keccak.js";
import { PTrie } from "./ptrie.js";
import { EMPTY_TRIE_ROOT, trieRoot } from "./trie.js";

/** A small deterministic generator (mulberry32). */
function rng(seed: number): () => number {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let x = Math.imul(t ^ (t >>> 15), t | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** Random operations on a PTrie and a Map side by side; the roots must agree after each. */
function check(seed: number, steps: number, key: (r: () => number) => Uint8Array): void {
  const r = rng(seed);
  const model = new Map<string, [Uint8Array, Uint8Array]>();
  let t = PTrie.EMPTY;
  const history: PTrie[] = [];
  const roots: string[] = [];
  for (let i = 0; i < steps; i++) {
    const existing = [...model.values()];
    const roll = r();
    if (roll < 0.3 && existing.length > 0) {
      const [k] = existing[Math.floor(r() * existing.length)]!;
      t = r() < 0.5 ? t.delete(k) : t.set(k, new Uint8Array(0));
      model.delete(hex(k));
    } else {
      const k = roll < 0.45 && existing.length > 0 ? existing[Math.floor(r() * existing.length)]![0] : key(r);
      // Values of 1 to 40 bytes: short ones make nodes shorter than 32 bytes (embedded).
      const v = Uint8Array.from({ length: 1 + Math.floor(r() * 40) }, () => Math.floor(r() * 256));
      t = t.set(k, v);
      model.set(hex(k), [k, v]);
    }
    expect(hex(t.root()), `seed ${seed} step ${i}`).toBe(hex(trieRoot(model.values())));
    history.push(t);
    roots.push(hex(t.root()));
  }
  // Older versions are untouched by later changes (structural sharing, no mutation).
  history.forEach((h, i) => {
    expect(hex(h.root())).toBe(roots[i]);
  });
}

describe("PTrie", () => {
  it("is empty with the empty trie's root", () => {
    expect(PTrie.EMPTY.root()).toEqual(EMPTY_TRIE_ROOT);
    const k = Uint8Array.of(1, 2);
    expect(PTrie.EMPTY.set(k, Uint8Array.of(5)).delete(k).root()).toEqual(EMPTY_TRIE_ROOT);
  });

  it("agrees with the full builder over random inserts, updates and deletes of hashed keys", () => {
    for (let seed = 1; seed <= 6; seed++) {
      check(seed, 300, (r) => keccak256(Uint8Array.of(Math.floor(r() * 256), Math.floor(r() * 256))));
    }
  });

  it("agrees on keys of mixed lengths that are prefixes of each other (branch values)", () => {
    for (let seed = 11; seed <= 16; seed++) {
      check(seed, 300, (r) =>
        Uint8Array.from({ length: Math.floor(r() * 4) }, () => Math.floor(r() * 4) * 17),
      );
    }
  });

  it("agrees on keys sharing long prefixes (extensions split and merged)", () => {
    for (let seed = 21; seed <= 26; seed++) {
      check(seed, 300, (r) => {
        const k = new Uint8Array(8).fill(0xab);
        k[4 + Math.floor(r() * 4)] = Math.floor(r() * 3);
        return k;
      });
    }
  });

  it("builds from pairs as the full builder does", () => {
    const pairs: [Uint8Array, Uint8Array][] = [];
    for (let i = 0; i < 500; i++)
      pairs.push([keccak256(Uint8Array.of(i & 255, i >> 8)), Uint8Array.of(i & 255, 1)]);
    expect(PTrie.from(pairs).root()).toEqual(trieRoot(pairs));
  });
});
