/**
 * A persistent Merkle-Patricia trie: nodes are immutable, an insert or delete copies only
 * the nodes on the key's path and shares the rest, and each node caches its encoding. A
 * trie updated with a block's changes therefore costs work in proportion to the changes,
 * and its root rehashes only the copied nodes; ./trie.ts builds a root from a complete
 * set of pairs instead, which costs the whole set every time.
 *
 * Hand-written (the node layout and the encoding are ./trie.ts's, which it shares) because
 * it sits on the state-root path of every block; it is checked against ./trie.ts on random
 * insert/delete sequences (ptrie.test.ts).
 *
 * Keys are nibble arrays. Values are never empty (an empty value is a deletion, as in a
 * trie). Branch values are supported, though a secure trie (fixed-length hashed keys)
 * never has one.
 */
import { keccak256 } from "../primitives/keccak.js";
import { EMPTY_TRIE_ROOT, encodeNode, hexPrefix, nodeRef, toNibbles } from "./trie.js";

interface Leaf {
  readonly kind: 0;
  readonly path: Uint8Array;
  readonly value: Uint8Array;
  enc?: Uint8Array;
}
interface Extension {
  readonly kind: 1;
  readonly path: Uint8Array;
  readonly child: PNode;
  enc?: Uint8Array;
}
interface Branch {
  readonly kind: 2;
  readonly children: readonly (PNode | null)[];
  readonly value: Uint8Array | null;
  enc?: Uint8Array;
}
export type PNode = Leaf | Extension | Branch;

const leaf = (path: Uint8Array, value: Uint8Array): Leaf => ({ kind: 0, path, value });
const ext = (path: Uint8Array, child: PNode): Extension => ({ kind: 1, path, child });
const branch = (children: (PNode | null)[], value: Uint8Array | null): Branch => ({
  kind: 2,
  children,
  value,
});

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function commonPrefix(a: Uint8Array, b: Uint8Array, bOff: number): number {
  let i = 0;
  while (i < a.length && bOff + i < b.length && a[i] === b[bOff + i]) i++;
  return i;
}

/** `child` under a path prefix: an extension, or the child's own path lengthened. */
function prefixed(path: Uint8Array, child: PNode): PNode {
  if (path.length === 0) return child;
  if (child.kind === 0) return leaf(concat(path, child.path), child.value);
  if (child.kind === 1) return ext(concat(path, child.path), child.child);
  return ext(path, child);
}

/** The trie `node` with `key[off..]` set to `value` (non-empty). */
function insert(node: PNode | null, key: Uint8Array, off: number, value: Uint8Array): PNode {
  if (node === null) return leaf(key.subarray(off), value);
  if (node.kind === 2) {
    if (off === key.length) return branch(node.children as (PNode | null)[], value);
    const children = node.children.slice();
    const nib = key[off]!;
    children[nib] = insert(children[nib] ?? null, key, off + 1, value);
    return branch(children, node.value);
  }
  const c = commonPrefix(node.path, key, off);
  if (node.kind === 0 && c === node.path.length && off + c === key.length) return leaf(node.path, value);
  if (node.kind === 1 && c === node.path.length) {
    return ext(node.path, insert(node.child, key, off + c, value));
  }
  // The paths part at c: a branch there, under an extension for the shared part.
  const children: (PNode | null)[] = new Array(16).fill(null);
  let branchValue: Uint8Array | null = null;
  const rest = node.path.subarray(c);
  if (node.kind === 0) {
    if (rest.length === 0) branchValue = node.value;
    else children[rest[0]!] = leaf(rest.subarray(1), node.value);
  } else {
    // c < path length here; the extension's child hangs under its next nibble.
    children[rest[0]!] = prefixed(rest.subarray(1), node.child);
  }
  const at = off + c;
  if (at === key.length) branchValue = value;
  else children[key[at]!] = insert(children[key[at]!] ?? null, key, at + 1, value);
  const b = branch(children, branchValue);
  return c === 0 ? b : ext(node.path.subarray(0, c), b);
}

/** A branch after a removal, collapsed when it holds a single child or only its value. */
function normalise(children: (PNode | null)[], value: Uint8Array | null): PNode | null {
  let count = 0;
  let only = -1;
  for (let i = 0; i < 16; i++) {
    if (children[i] !== null && children[i] !== undefined) {
      count++;
      only = i;
    }
  }
  if (count === 0) return value === null ? null : leaf(new Uint8Array(0), value);
  if (count === 1 && value === null) return prefixed(Uint8Array.of(only), children[only]!);
  return branch(children, value);
}

/** The trie `node` without `key[off..]` (unchanged when absent). */
function remove(node: PNode | null, key: Uint8Array, off: number): PNode | null {
  if (node === null) return null;
  if (node.kind === 2) {
    if (off === key.length) return node.value === null ? node : normalise(node.children.slice(), null);
    const nib = key[off]!;
    const child = node.children[nib] ?? null;
    if (child === null) return node;
    const next = remove(child, key, off + 1);
    if (next === child) return node;
    const children = node.children.slice();
    children[nib] = next;
    return normalise(children, node.value);
  }
  const c = commonPrefix(node.path, key, off);
  if (c < node.path.length) return node; // the key is not here
  if (node.kind === 0) return off + c === key.length ? null : node;
  const next = remove(node.child, key, off + c);
  if (next === node.child) return node;
  return next === null ? null : prefixed(node.path, next);
}

/** The RLP encoding of `node`, computed once. */
function encoding(node: PNode): Uint8Array {
  if (node.enc !== undefined) return node.enc;
  let enc: Uint8Array;
  if (node.kind === 0) enc = encodeNode([hexPrefix(node.path, 0, node.path.length, true), node.value]);
  else if (node.kind === 1) {
    enc = encodeNode([hexPrefix(node.path, 0, node.path.length, false), nodeRef(encoding(node.child))]);
  } else {
    const items: Uint8Array[] = new Array(17);
    for (let i = 0; i < 16; i++) {
      const c = node.children[i];
      items[i] = c === null || c === undefined ? new Uint8Array(0) : nodeRef(encoding(c));
    }
    items[16] = node.value ?? new Uint8Array(0);
    enc = encodeNode(items);
  }
  node.enc = enc;
  return enc;
}

/** A persistent trie; the empty trie is `PTrie.EMPTY`. */
export class PTrie {
  static readonly EMPTY = new PTrie(null);
  private rootHash: Uint8Array | undefined;

  private constructor(readonly node: PNode | null) {}

  /** The trie with `key` set to `value`; an empty value deletes the key. */
  set(key: Uint8Array, value: Uint8Array): PTrie {
    const nibbles = toNibbles(key);
    const next = value.length === 0 ? remove(this.node, nibbles, 0) : insert(this.node, nibbles, 0, value);
    return next === this.node ? this : new PTrie(next);
  }

  delete(key: Uint8Array): PTrie {
    const next = remove(this.node, toNibbles(key), 0);
    return next === this.node ? this : new PTrie(next);
  }

  /** The root hash (the empty trie's for no keys). */
  root(): Uint8Array {
    if (this.rootHash === undefined) {
      this.rootHash = this.node === null ? EMPTY_TRIE_ROOT : keccak256(encoding(this.node));
    }
    return this.rootHash;
  }

  /** A trie holding `pairs` (empty values skipped; the last of duplicate keys wins). */
  static from(pairs: Iterable<[Uint8Array, Uint8Array]>): PTrie {
    let t = PTrie.EMPTY;
    for (const [k, v] of pairs) t = t.set(k, v);
    return t;
  }
}
