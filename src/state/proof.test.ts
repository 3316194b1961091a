import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devAccounts } from "../node/devchain.js";
import { DevNode } from "../node/node.js";
import { bytesEqual, bytesToHex, hexToBytes } from "../primitives/hex.js";
import { KECCAK_EMPTY, keccak256 } from "../primitives/keccak.js";
import { type RlpDecoded, rlpDecode } from "../primitives/rlp.js";
import { DEFAULT_GAS_CAP } from "../rpc/exec.js";
import { RpcHandler } from "../rpc/server.js";
import { proveAccount } from "./proof.js";
import { MemoryState } from "./statedb.js";
import { EMPTY_TRIE_ROOT, trieProofs, trieRoot } from "./trie.js";

/**
 * An independent proof verifier: walks the nodes from the root hash along the key's
 * nibbles. Returns the value, null for a proven absence; throws when the proof is not a
 * valid proof for `root` (a node missing or not matching its hash).
 */
function verify(root: Uint8Array, key: Uint8Array, proof: Uint8Array[]): Uint8Array | null {
  if (bytesEqual(root, EMPTY_TRIE_ROOT) && proof.length === 0) return null;
  const byHash = new Map(proof.map((n) => [bytesToHex(keccak256(n)), n]));
  const nibbles: number[] = [];
  for (const b of key) nibbles.push(b >> 4, b & 15);
  let pos = 0;
  const load = (ref: RlpDecoded): RlpDecoded[] => {
    if (Array.isArray(ref)) return ref; // embedded node
    if (ref.length !== 32) throw new Error(`bad node reference of ${ref.length} bytes`);
    const raw = byHash.get(bytesToHex(ref));
    if (raw === undefined) throw new Error(`proof misses node ${bytesToHex(ref)}`);
    const node = rlpDecode(raw);
    if (!Array.isArray(node)) throw new Error("node is not a list");
    return node;
  };
  let node = load(root);
  for (;;) {
    if (node.length === 17) {
      if (pos === nibbles.length) {
        const v = node[16] as Uint8Array;
        return v.length === 0 ? null : v;
      }
      const child = node[nibbles[pos++]!]!;
      if (!Array.isArray(child) && child.length === 0) return null;
      node = load(child);
      continue;
    }
    if (node.length !== 2) throw new Error(`node with ${node.length} items`);
    const path = node[0] as Uint8Array;
    const flag = path[0]! >> 4;
    const isLeaf = flag >= 2;
    const seg: number[] = [];
    if (flag & 1) seg.push(path[0]! & 15);
    for (const b of path.subarray(1)) seg.push(b >> 4, b & 15);
    const rest = nibbles.slice(pos);
    if (isLeaf) {
      return rest.length === seg.length && rest.every((x, i) => x === seg[i])
        ? (node[1] as Uint8Array)
        : null;
    }
    if (seg.some((x, i) => rest[i] !== x)) return null;
    pos += seg.length;
    node = load(node[1]!);
  }
}

const enc = (s: string) => new TextEncoder().encode(s);

describe("trie proofs", () => {
  // Short keys and values: some nodes are embedded in their parent (under 32 bytes).
  const pairs: [Uint8Array, Uint8Array][] = [
    [enc("do"), enc("verb")],
    [enc("dog"), enc("puppy")],
    [enc("doge"), enc("coin")],
    [enc("horse"), enc("stallion")],
    [hexToBytes("0x0123"), enc("a".repeat(40))],
    [hexToBytes("0x0124"), enc("b")],
  ];
  const root = trieRoot(pairs);

  it("proves every stored key", () => {
    const proofs = trieProofs(
      pairs,
      pairs.map(([k]) => k),
    );
    pairs.forEach(([k, v], i) => {
      const p = proofs[i]!;
      expect(bytesEqual(keccak256(p[0]!), root)).toBe(true);
      expect(bytesToHex(verify(root, k, p)!)).toBe(bytesToHex(v));
    });
  });

  it("proves absent keys (diverging leaf, empty branch slot, short key)", () => {
    const absent = [enc("dot"), enc("doges"), enc("cat"), hexToBytes("0x0125"), enc("d"), enc("horsey")];
    const proofs = trieProofs(pairs, absent);
    absent.forEach((k, i) => {
      expect(proofs[i]!.length).toBeGreaterThan(0);
      expect(verify(root, k, proofs[i]!)).toBeNull();
    });
  });

  it("a tampered proof does not verify", () => {
    const [p] = trieProofs(pairs, [enc("dog")]);
    const bad = p!.map((n) => n.slice());
    bad[bad.length - 1]![bad[bad.length - 1]!.length - 1]! ^= 1;
    expect(() => verify(root, enc("dog"), bad)).toThrow(/proof misses node/);
  });

  it("gives an empty proof for an empty trie and a one-node proof for a single leaf", () => {
    expect(trieProofs([], [enc("x")])).toEqual([[]]);
    const one: [Uint8Array, Uint8Array][] = [[enc("k"), enc("v")]];
    const [p] = trieProofs(one, [enc("z")]);
    expect(p).toHaveLength(1);
    expect(verify(trieRoot(one), enc("z"), p!)).toBeNull();
  });
});

describe("account proofs", () => {
  it("proves accounts and slots of a small state, present and absent", () => {
    const st = new MemoryState();
    const a = "0x00000000000000000000000000000000000000aa";
    const b = "0x00000000000000000000000000000000000000bb";
    st.accounts.set(a, {
      nonce: 3n,
      balance: 1000n,
      code: hexToBytes("0x6001"),
      storage: new Map([
        [1n, 0x55n],
        [2n, 0x66n],
      ]),
    });
    st.accounts.set(b, { nonce: 0n, balance: 7n, code: new Uint8Array(0), storage: new Map() });
    const p = proveAccount(st, a, [1n, 3n]);
    expect(p.nonce).toBe(3n);
    expect(p.balance).toBe(1000n);
    expect(bytesToHex(p.codeHash)).toBe(bytesToHex(keccak256(hexToBytes("0x6001"))));
    expect(p.storageProof.map((s) => s.value)).toEqual([0x55n, 0n]);
    const slotKey = (n: bigint) => keccak256(hexToBytes(`0x${n.toString(16).padStart(64, "0")}`));
    expect(bytesToHex(verify(p.storageHash, slotKey(1n), p.storageProof[0]!.proof)!)).toBe("0x55");
    expect(verify(p.storageHash, slotKey(3n), p.storageProof[1]!.proof)).toBeNull();

    const empty = proveAccount(st, b, [1n]);
    expect(bytesToHex(empty.storageHash)).toBe(bytesToHex(EMPTY_TRIE_ROOT));
    expect(bytesToHex(empty.codeHash)).toBe(bytesToHex(KECCAK_EMPTY));
    expect(empty.storageProof).toEqual([{ slot: 1n, value: 0n, proof: [] }]);

    const none = proveAccount(st, "0x00000000000000000000000000000000000000cc", [5n]);
    expect(bytesToHex(none.codeHash)).toBe(`0x${"0".repeat(64)}`);
    expect(bytesToHex(none.storageHash)).toBe(`0x${"0".repeat(64)}`);
    expect(none.storageProof).toEqual([{ slot: 5n, value: 0n, proof: [] }]);
  });
});

describe("eth_getProof", () => {
  let node: DevNode;
  let rpc: RpcHandler;
  const [alice] = devAccounts();
  const call = (m: string, ...p: unknown[]) => rpc.call(m, p) as Promise<Record<string, unknown>>;
  // Stores calldata word 0 at slot calldata word 1 (SSTORE(cd[32], cd[0])).
  const RUNTIME = "0x5f3560203555";
  const INIT = `0x60068060095f395ff3${RUNTIME.slice(2)}`;
  let contract: string;

  beforeAll(async () => {
    node = new DevNode();
    rpc = new RpcHandler({ node, gasCap: DEFAULT_GAS_CAP, clientVersion: "t" });
    const mined = async () => {
      for (let i = 0; i < 100 && node.pool.size > 0; i++) await new Promise((r) => setImmediate(r));
    };
    const h = (await rpc.call("eth_sendTransaction", [{ from: alice!.address, data: INIT }])) as string;
    await mined();
    contract = ((await call("eth_getTransactionReceipt", h)).contractAddress as string).toLowerCase();
    const w = (n: bigint) => n.toString(16).padStart(64, "0");
    await rpc.call("eth_sendTransaction", [
      { from: alice!.address, to: contract, data: `0x${w(0xbeefn)}${w(7n)}` },
    ]);
    await mined();
  });
  afterAll(() => node.close());

  it("proves an account and its storage against the block's state root", async () => {
    const block = await call("eth_getBlockByNumber", "latest", false);
    const stateRoot = hexToBytes(block.stateRoot as string);
    const slot7 = `0x${"0".repeat(63)}7`;
    const r = await call("eth_getProof", contract, [slot7, "0x8", "0x"], "latest");
    expect(r.address).toBe(contract);
    expect(r.nonce).toBe("0x1");
    expect(r.balance).toBe("0x0");
    expect(r.codeHash).toBe(bytesToHex(keccak256(hexToBytes(RUNTIME))));
    const accountProof = (r.accountProof as string[]).map((x) => hexToBytes(x));
    expect(bytesEqual(keccak256(accountProof[0]!), stateRoot)).toBe(true);
    const acc = verify(stateRoot, keccak256(hexToBytes(contract)), accountProof);
    expect(acc).not.toBeNull();
    const fields = rlpDecode(acc!) as Uint8Array[];
    expect(bytesToHex(fields[2]!)).toBe(r.storageHash);
    expect(bytesToHex(fields[3]!)).toBe(r.codeHash);
    const sp = r.storageProof as { key: string; value: string; proof: string[] }[];
    expect(sp.map((s) => s.key)).toEqual([slot7, "0x8", "0x0"]);
    expect(sp.map((s) => s.value)).toEqual(["0xbeef", "0x0", "0x0"]);
    const storageRoot = hexToBytes(r.storageHash as string);
    const slotKey = (n: number) => keccak256(hexToBytes(`0x${n.toString(16).padStart(64, "0")}`));
    const v = verify(
      storageRoot,
      slotKey(7),
      sp[0]!.proof.map((x) => hexToBytes(x)),
    );
    expect(bytesToHex(rlpDecode(v!) as Uint8Array)).toBe("0xbeef");
    expect(
      verify(
        storageRoot,
        slotKey(8),
        sp[1]!.proof.map((x) => hexToBytes(x)),
      ),
    ).toBeNull();
  });

  it("proves an absent account, also at an older block", async () => {
    const ghost = "0x000000000000000000000000000000000000dead";
    const r = await call("eth_getProof", ghost, ["0x01"], "0x0");
    expect(r).toMatchObject({
      balance: "0x0",
      nonce: "0x0",
      codeHash: `0x${"0".repeat(64)}`,
      storageHash: `0x${"0".repeat(64)}`,
      storageProof: [{ key: "0x1", value: "0x0", proof: [] }],
    });
    const genesis = await call("eth_getBlockByNumber", "0x0", false);
    const root = hexToBytes(genesis.stateRoot as string);
    const proof = (r.accountProof as string[]).map((x) => hexToBytes(x));
    expect(proof.length).toBeGreaterThan(0);
    expect(verify(root, keccak256(hexToBytes(ghost)), proof)).toBeNull();
    // Alice exists at genesis with 10000 ether.
    const al = await call("eth_getProof", alice!.address, [], "0x0");
    const acc = verify(
      root,
      keccak256(hexToBytes(alice!.address)),
      (al.accountProof as string[]).map((x) => hexToBytes(x)),
    );
    expect(BigInt(bytesToHex((rlpDecode(acc!) as Uint8Array[])[1]!))).toBe(BigInt(al.balance as string));
    expect(al.balance).toBe("0x21e19e0c9bab2400000");
  });

  it("refuses bad storage keys as go-ethereum does", async () => {
    await expect(rpc.call("eth_getProof", [contract, [`0x${"1".repeat(66)}`]])).rejects.toMatchObject({
      code: -32602,
      message: expect.stringMatching(/^storage key too long \(want at most 32 bytes\)/),
    });
    await expect(rpc.call("eth_getProof", [contract, ["0xzz"]])).rejects.toMatchObject({ code: -32602 });
  });
});
