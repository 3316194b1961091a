import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { encodeBlock } from "../chain/block.js";
import { devAccounts, devGenesisJson } from "../node/devchain.js";
import { parseGenesis } from "../node/genesis.js";
import { DevNode } from "../node/node.js";
import { bytesToHex } from "../primitives/hex.js";
import { DEFAULT_GAS_CAP } from "../rpc/exec.js";
import { RpcHandler } from "../rpc/server.js";
import { exportCommand } from "./export.js";
import { chainGenesis, importCommand, openChain, readBlockItems } from "./import.js";

const tmp = () => mkdtempSync(join(tmpdir(), "sonde-import-"));

/** Runs a command in-process, capturing what it writes. */
async function run(cmd: (a: string[]) => Promise<number>, ...args: string[]) {
  let out = "";
  let err = "";
  const o = vi.spyOn(process.stdout, "write").mockImplementation((s) => {
    out += String(s);
    return true;
  });
  const e = vi.spyOn(process.stderr, "write").mockImplementation((s) => {
    err += String(s);
    return true;
  });
  try {
    return { code: await cmd(args), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

function headOf(datadir: string, genesisFile?: string) {
  const chain = openChain(datadir, chainGenesis(datadir, genesisFile));
  try {
    const h = chain.head;
    return { number: h.block.header.number, hash: h.hash, stateRoot: bytesToHex(h.block.header.stateRoot) };
  } finally {
    chain.close();
  }
}

let src: string;
let srcHead: { number: bigint; hash: string; stateRoot: string };

beforeAll(async () => {
  // A dev chain in a datadir, as `sonde node --datadir` keeps it: a few blocks with
  // transfers and a contract deployment.
  src = tmp();
  const json = devGenesisJson({ timestamp: 1_700_000_000n });
  writeFileSync(join(src, "dev-genesis.json"), JSON.stringify(json));
  const node = new DevNode({
    genesis: parseGenesis(json),
    accounts: devAccounts(),
    store: { datadir: src, gcmode: "full" },
  });
  const rpc = new RpcHandler({ node, gasCap: DEFAULT_GAS_CAP, clientVersion: "t" });
  const [alice, bob] = devAccounts();
  for (let i = 0; i < 5; i++) {
    await rpc.call("eth_sendTransaction", [
      { from: alice!.address, to: bob!.address, value: `0x${(i + 1).toString(16)}` },
    ]);
    for (let j = 0; j < 100 && node.pool.size > 0; j++) await new Promise((r) => setImmediate(r));
  }
  await rpc.call("eth_sendTransaction", [{ from: bob!.address, data: "0x600160005560016000f3" }]);
  for (let j = 0; j < 100 && node.pool.size > 0; j++) await new Promise((r) => setImmediate(r));
  node.close();
  srcHead = headOf(src);
  expect(srcHead.number).toBe(6n);
});

afterEach(() => vi.restoreAllMocks());

describe("sonde export / import", () => {
  it("round-trips a chain through a file into a fresh datadir", async () => {
    const file = join(tmp(), "chain.rlp");
    const ex = await run(exportCommand, "--datadir", src, file);
    expect(ex.code).toBe(0);
    expect(ex.out).toMatch(/exported blocks 0\.\.6 \(7 blocks/);
    const items = [...readBlockItems(readFileSync(file), file)];
    expect(items.map((i) => i.block.header.number)).toEqual([0n, 1n, 2n, 3n, 4n, 5n, 6n]);

    // Into an empty datadir without --genesis: the file's genesis block recreates the
    // development genesis (same timestamp).
    const dst = tmp();
    const im = await run(importCommand, "--datadir", dst, file);
    expect(im.err).toBe("");
    expect(im.code).toBe(0);
    expect(im.out).toMatch(/imported 6 blocks \(1 already known\)/);
    expect(headOf(dst)).toEqual(srcHead);

    // Again: everything is known.
    const again = await run(importCommand, "--datadir", dst, file);
    expect(again.out).toMatch(/imported 0 blocks \(7 already known\)/);
  });

  it("exports a range, gzip-compressed, and imports it in two files", async () => {
    const dir = tmp();
    const a = join(dir, "a.rlp.gz");
    const b = join(dir, "b.rlp");
    expect((await run(exportCommand, "--datadir", src, a, "1", "3")).code).toBe(0);
    expect((await run(exportCommand, "--datadir", src, b, "4")).code).toBe(0);
    const items = [...readBlockItems(gunzipSync(readFileSync(a)), a)];
    expect(items.map((i) => i.block.header.number)).toEqual([1n, 2n, 3n]);
    const dst = tmp();
    const im = await run(importCommand, "--datadir", dst, "--genesis", join(src, "dev-genesis.json"), a, b);
    expect(im.code).toBe(0);
    expect(headOf(dst, join(src, "dev-genesis.json"))).toEqual(srcHead);
  });

  it("names the problem in a truncated or corrupted file and keeps the blocks before it", async () => {
    const dir = tmp();
    const file = join(dir, "chain.rlp");
    await run(exportCommand, "--datadir", src, file);
    const data = readFileSync(file);
    const items = [...readBlockItems(data, file)];

    const truncated = join(dir, "truncated.rlp");
    writeFileSync(truncated, data.subarray(0, data.length - 10));
    const dst = tmp();
    const t = await run(importCommand, "--datadir", dst, truncated);
    expect(t.code).toBe(1);
    expect(t.err).toContain(`item #6 at byte ${items[6]!.offset}: file truncated`);
    expect(t.err).toMatch(/5 blocks imported before it, head #5 /);

    // Flip a byte of block 3's state root: the block decodes but is invalid.
    const corrupt = Buffer.from(data);
    const at = items[3]!.offset;
    const stateRootHex = bytesToHex(items[3]!.block.header.stateRoot).slice(2);
    const pos = corrupt.indexOf(Buffer.from(stateRootHex, "hex"), at);
    expect(pos).toBeGreaterThan(at);
    corrupt[pos]! ^= 0xff;
    const bad = join(dir, "bad.rlp");
    writeFileSync(bad, corrupt);
    const c = await run(importCommand, "--datadir", tmp(), bad);
    expect(c.code).toBe(1);
    expect(c.err).toMatch(/block 3 \(0x[0-9a-f]{64}, at byte \d+\) is invalid: .*state root/i);

    // Not RLP blocks at all.
    const junk = join(dir, "junk.rlp");
    writeFileSync(junk, Buffer.from("hello"));
    const j = await run(importCommand, "--datadir", tmp(), junk);
    expect(j.code).toBe(1);
    expect(j.err).toContain("item #0 at byte 0 is not a block (expected an RLP list)");
  });

  it("refuses a file from another chain with a hint", async () => {
    const file = join(tmp(), "chain.rlp");
    await run(exportCommand, "--datadir", src, file, "1", "2");
    const dst = tmp();
    openChain(dst, chainGenesis(dst, undefined, {})).close(); // a development chain with another genesis
    const r = await run(importCommand, "--datadir", dst, file);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/block 1 .* is invalid: parent 0x[0-9a-f]{64} of block 1 is unknown; .*--genesis/);
  });

  it("into an empty datadir, asks for the source's dev-genesis.json when the file does not start at block 0", async () => {
    const dir = tmp();
    const file = join(dir, "chain.rlp");
    await run(exportCommand, "--datadir", src, file, "1", "3");
    const dst = join(tmp(), "new");
    await expect(run(importCommand, "--datadir", dst, file)).rejects.toThrow(
      `${file} starts at block 1, and ${dst} has no dev-genesis.json: pass the genesis of the chain it was exported from, --genesis <source datadir>/dev-genesis.json for a chain kept by \`sonde node --datadir\` (or that chain's genesis.json)`,
    );
    // Nothing was written: the advice works in the same datadir.
    expect(existsSync(dst)).toBe(false);
    const ok = await run(importCommand, "--datadir", dst, "--genesis", join(src, "dev-genesis.json"), file);
    expect(ok.err).toBe("");
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/imported 3 blocks \(0 already known\)/);
    // A range that starts later also needs the blocks before it.
    const later = join(dir, "later.rlp");
    await run(exportCommand, "--datadir", src, later, "3", "4");
    await expect(run(importCommand, "--datadir", join(tmp(), "new"), later)).rejects.toThrow(
      /starts at block 3, and .* has no dev-genesis\.json: pass .*--genesis <source datadir>\/dev-genesis\.json .*; blocks 1\.\.2 are to be imported before it$/,
    );

    // A genesis block that is not a development genesis: the same advice, nothing written.
    const other = parseGenesis({ ...devGenesisJson({ timestamp: 1_700_000_000n }), extraData: "0x01" });
    const foreign = join(dir, "foreign.rlp");
    writeFileSync(foreign, encodeBlock(other.block));
    const dst2 = join(tmp(), "new");
    await expect(run(importCommand, "--datadir", dst2, foreign)).rejects.toThrow(
      `${foreign} starts with a genesis block that is not the development chain's, and ${dst2} has no dev-genesis.json: pass the genesis of the chain it was exported from, --genesis <source datadir>/dev-genesis.json for a chain kept by \`sonde node --datadir\` (or that chain's genesis.json)`,
    );
    expect(existsSync(dst2)).toBe(false);
  });

  it("says in --help that proof-of-work seals are not verified", async () => {
    const h = await run(importCommand, "--help");
    expect(h.out).toMatch(/Proof-of-work seals .* are not verified/s);
    await expect(run(exportCommand, "--datadir", src, join(tmp(), "x"), "3", "99")).rejects.toThrow(
      "block 99 is beyond the chain's head (6)",
    );
  });
});
