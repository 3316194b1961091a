/**
 * Merkle-Patricia trie roots, computed from a complete set of key/value pairs.
 *
 * Sonde keeps state in maps and hashes it when a root is asked for, so it only needs a
 * root builder, not a mutable trie: keys are sorted once and the trie is built bottom-up
 * in one pass. Hand-written because it is a few dozen lines and sits on the state-root
 * path of every test.
 */
import { keccak256 } from "../primitives/keccak.js";
import { type RlpInput, rlpEncode } from "../primitives/rlp.js";

export const EMPTY_TRIE_ROOT = keccak256(rlpEncode(new Uint8Array(0)));

export function toNibbles(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(key.length * 2);
  for (let i = 0; i < key.length; i++) {
    out[2 * i] = key[i]! >> 4;
    out[2 * i + 1] = key[i]! & 15;
  }
  return out;
}

export function hexPrefix(nibbles: Uint8Array, start: number, end: number, leaf: boolean): Uint8Array {
  const len = end - start;
  const odd = len & 1;
  const out = new Uint8Array((len >> 1) + 1);
  out[0] = ((leaf ? 2 : 0) + odd) << 4;
  let n = start;
  if (odd) out[0]! |= nibbles[n++]!;
  for (let i = 1; n < end; i++, n += 2) out[i] = (nibbles[n]! << 4) | nibbles[n + 1]!;
  return out;
}

/** A node reference: the node's RLP when shorter than 32 bytes, else its hash. */
function ref(encoded: Uint8Array): RlpInput | Uint8Array {
  return encoded.length < 32 ? RAW(encoded) : keccak256(encoded);
}

/** `ref` for encodeNode's items: an embedded node's RLP (marked) or the node's hash. */
export function nodeRef(encoded: Uint8Array): Uint8Array {
  return ref(encoded) as Uint8Array;
}

// Embedded nodes are inserted as already-encoded RLP. We mark them so the encoder
// splices them in verbatim.
const RAW_MARK = Symbol("raw");
type Raw = Uint8Array & { [RAW_MARK]?: true };
function RAW(bytes: Uint8Array): Raw {
  const r = bytes as Raw;
  r[RAW_MARK] = true;
  return r;
}

/** RLP of a list whose items are either byte strings or pre-encoded (embedded) nodes. */
export function encodeNode(items: (Uint8Array | Raw)[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let len = 0;
  for (const it of items) {
    const enc = (it as Raw)[RAW_MARK] ? it : rlpEncode(it);
    parts.push(enc);
    len += enc.length;
  }
  let header: Uint8Array;
  if (len < 56) header = new Uint8Array([0xc0 + len]);
  else {
    const lenBytes: number[] = [];
    for (let l = len; l > 0; l = Math.floor(l / 256)) lenBytes.unshift(l & 255);
    header = new Uint8Array([0xf7 + lenBytes.length, ...lenBytes]);
  }
  const out = new Uint8Array(header.length + len);
  out.set(header, 0);
  let o = header.length;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

interface Entry {
  nibbles: Uint8Array;
  value: Uint8Array;
}

function build(entries: Entry[], lo: number, hi: number, depth: number): Uint8Array {
  // Returns the RLP encoding of the node for entries[lo, hi), all sharing `depth` nibbles.
  if (hi - lo === 1) {
    const e = entries[lo]!;
    return encodeNode([hexPrefix(e.nibbles, depth, e.nibbles.length, true), e.value]);
  }
  // Longest common prefix beyond depth (entries are sorted: compare first and last).
  const first = entries[lo]!.nibbles;
  const last = entries[hi - 1]!.nibbles;
  let common = depth;
  while (common < first.length && common < last.length && first[common] === last[common]) common++;
  if (common > depth) {
    const child = build(entries, lo, hi, common);
    return encodeNode([hexPrefix(first, depth, common, false), ref(child) as Uint8Array]);
  }
  const branch: (Uint8Array | Raw)[] = new Array(17);
  let i = lo;
  let value: Uint8Array = new Uint8Array(0);
  if (entries[i]!.nibbles.length === depth) {
    value = entries[i]!.value;
    i++;
  }
  for (let n = 0; n < 16; n++) {
    let j = i;
    while (j < hi && entries[j]!.nibbles[depth] === n) j++;
    branch[n] = j > i ? (ref(build(entries, i, j, depth + 1)) as Uint8Array) : new Uint8Array(0);
    i = j;
  }
  branch[16] = value;
  return encodeNode(branch);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/**
 * Root of the trie holding `pairs` (keys need not be sorted; empty values are skipped,
 * as a trie does not store them). Duplicate keys: the last one wins.
 */
export function trieRoot(pairs: Iterable<[Uint8Array, Uint8Array]>): Uint8Array {
  const entries = sortedEntries(pairs);
  if (entries.length === 0) return EMPTY_TRIE_ROOT;
  return keccak256(build(entries, 0, entries.length, 0));
}

/** The non-empty pairs as entries sorted by key, the last of duplicate keys kept. */
function sortedEntries(pairs: Iterable<[Uint8Array, Uint8Array]>): Entry[] {
  const map = new Map<string, Entry>();
  for (const [k, v] of pairs) {
    if (v.length === 0) continue;
    map.set(Buffer.from(k).toString("hex"), { nibbles: toNibbles(k), value: v });
  }
  return [...map.values()].sort((a, b) => compareBytes(a.nibbles, b.nibbles));
}

/** Root of a "secure" trie: keys are hashed with keccak-256 first. */
export function secureTrieRoot(pairs: Iterable<[Uint8Array, Uint8Array]>): Uint8Array {
  const hashed: [Uint8Array, Uint8Array][] = [];
  for (const [k, v] of pairs) hashed.push([keccak256(k), v]);
  return trieRoot(hashed);
}

/**
 * Merkle proofs: for each key, the RLP of the nodes met on the way from the root towards
 * it, as go-ethereum's Trie.Prove lists them — the root always, then every node its parent
 * refers to by hash (nodes shorter than 32 bytes are inside their parent's encoding and
 * are not listed). The walk stops where the key is found or where the trie shows it is
 * absent (an empty branch slot, a diverging extension or leaf), so the same list proves
 * absence. An empty trie gives an empty proof.
 */
export function trieProofs(pairs: Iterable<[Uint8Array, Uint8Array]>, keys: Uint8Array[]): Uint8Array[][] {
  const entries = sortedEntries(pairs);
  return keys.map((key) => {
    const out: Uint8Array[] = [];
    if (entries.length > 0) provePath(entries, 0, entries.length, 0, toNibbles(key), out, true);
    return out;
  });
}

/** `trieProofs` for a "secure" trie: keys (stored and asked for) are hashed with keccak-256. */
export function secureTrieProofs(
  pairs: Iterable<[Uint8Array, Uint8Array]>,
  keys: Uint8Array[],
): Uint8Array[][] {
  const hashed: [Uint8Array, Uint8Array][] = [];
  for (const [k, v] of pairs) hashed.push([keccak256(k), v]);
  return trieProofs(
    hashed,
    keys.map((k) => keccak256(k)),
  );
}

function provePath(
  entries: Entry[],
  lo: number,
  hi: number,
  depth: number,
  target: Uint8Array,
  out: Uint8Array[],
  root: boolean,
): void {
  const encoded = build(entries, lo, hi, depth);
  if (root || encoded.length >= 32) out.push(encoded);
  if (hi - lo === 1) return; // a leaf: the key is there or proven absent by it
  const first = entries[lo]!.nibbles;
  const last = entries[hi - 1]!.nibbles;
  let common = depth;
  while (common < first.length && common < last.length && first[common] === last[common]) common++;
  if (common > depth) {
    // An extension node: follow it only if the key has the same path.
    for (let i = depth; i < common; i++) if (target[i] !== first[i]) return;
    provePath(entries, lo, hi, common, target, out, false);
    return;
  }
  // A branch node.
  if (target.length <= depth) return;
  let i = lo;
  if (entries[i]!.nibbles.length === depth) i++;
  const nibble = target[depth]!;
  while (i < hi && entries[i]!.nibbles[depth]! < nibble) i++;
  let j = i;
  while (j < hi && entries[j]!.nibbles[depth] === nibble) j++;
  if (j > i) provePath(entries, i, j, depth + 1, target, out, false);
}
