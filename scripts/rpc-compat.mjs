#!/usr/bin/env node
// Runs a JSON-RPC compatibility suite in the format of ethereum/execution-apis `tests/`
// (hive's rpc-compat): a genesis.json, a chain.rlp and one folder per method holding
// `.io` files of `>> request` / `<< expected response` lines (go-ethereum's answers).
//
// The chain is imported with `sonde import` into a fresh temporary datadir, `sonde node
// --no-mining` serves it on a free 127.0.0.1 port (in hive the consensus client drives
// block production, so transactions sent by the tests stay in the pool), and each file's
// requests are sent in order. A response must equal the expected one as a JSON value;
// when an error is expected, any error passes (clients word errors differently, as
// hive's rpc-compat also allows). In a file marked "speconly" a response only needs the
// expected form (keys and value types), as hive checks those against the schema only.
// Prints failures, a count per method and a last line `N passed, N failed`.
//
// Usage: node scripts/rpc-compat.mjs TESTS_DIR [--only REGEX] [--keep]
// The suite is not part of ../shared/fixtures; point TESTS_DIR at a checkout of
// execution-apis' tests folder (never copy it into this repository).
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const sonde = join(root, "bin", "sonde.js");
const args = process.argv.slice(2);
const dir = args.find((a) => !a.startsWith("--"));
const onlyAt = args.indexOf("--only");
const only = onlyAt >= 0 ? new RegExp(args[onlyAt + 1]) : null;
if (dir === undefined) {
  console.error("usage: node scripts/rpc-compat.mjs TESTS_DIR [--only REGEX] [--keep]");
  process.exit(2);
}
const genesis = join(dir, "genesis.json");
const chain = join(dir, "chain.rlp");

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

function sorted(v) {
  if (Array.isArray(v)) return v.map(sorted);
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sorted(v[k])]),
    );
  }
  return v;
}
const same = (a, b) => JSON.stringify(sorted(a)) === JSON.stringify(sorted(b));

// The shape of a JSON value: objects by their keys, arrays by their first element,
// anything else by its type (null counts as its own type).
function shapeOf(v) {
  if (Array.isArray(v)) return v.length === 0 ? [] : [shapeOf(v[0])];
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, shapeOf(v[k])]),
    );
  }
  return v === null ? "null" : typeof v;
}
/** For "speconly" files: the response has the expected shape (an empty array fits any array). */
function sameShape(expected, actual) {
  const e = shapeOf(expected);
  const a = shapeOf(actual);
  const fits = (x, y) => {
    if (Array.isArray(x) || Array.isArray(y)) {
      return Array.isArray(x) && Array.isArray(y) && (x.length === 0 || y.length === 0 || fits(x[0], y[0]));
    }
    if (x !== null && typeof x === "object") {
      if (y === null || typeof y !== "object") return false;
      const kx = Object.keys(x);
      return kx.length === Object.keys(y).length && kx.every((k) => k in y && fits(x[k], y[k]));
    }
    return x === y;
  };
  return fits(e, a);
}

const datadir = mkdtempSync(join(tmpdir(), "sonde-rpc-compat-"));
let node = null;
let code = 1;
try {
  const imp = spawnSync(
    process.execPath,
    [sonde, "import", "--datadir", datadir, "--genesis", genesis, "--gcmode", "archive", chain],
    { encoding: "utf8" },
  );
  if (imp.status !== 0) throw new Error(`import failed:\n${imp.stdout}${imp.stderr}`);
  console.log(imp.stdout.trim().split("\n").pop());
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  node = spawn(
    process.execPath,
    [sonde, "node", "--datadir", datadir, "--genesis", genesis, "--gcmode", "archive", "--no-mining"]
      .concat(["--http.port", String(port)])
      // testing_buildBlockV1 is off by default (as in go-ethereum); the suite needs it.
      .concat(["--http.api", "eth,net,web3,txpool,debug,trace,evm,testing"]),
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  const rpc = async (body) =>
    (await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body })).json();
  for (let i = 0; ; i++) {
    try {
      await rpc('{"jsonrpc":"2.0","id":0,"method":"eth_blockNumber"}');
      break;
    } catch (err) {
      if (i > 100 || node.exitCode !== null) throw new Error(`the node did not start: ${err.message}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  let passed = 0;
  /** speconly files that passed on the form of their responses, not their values. */
  const byForm = [];
  let failed = 0;
  const perMethod = new Map();
  const methods = readdirSync(dir)
    .filter((m) => statSync(join(dir, m)).isDirectory())
    .sort();
  for (const m of methods) {
    for (const f of readdirSync(join(dir, m)).sort()) {
      if (!f.endsWith(".io") || (only !== null && !only.test(`${m}/${f}`))) continue;
      const lines = readFileSync(join(dir, m, f), "utf8").split("\n");
      // As hive's rpc-compat: a "speconly" test checks the responses' form, not their values.
      const specOnly = lines.some((l) => l.startsWith("//") && l.includes("speconly"));
      let why = null;
      let formOnly = false;
      for (let i = 0; i < lines.length && why === null; i++) {
        if (!lines[i].startsWith(">>")) continue;
        const expected = JSON.parse(lines[i + 1].slice(3));
        const actual = await rpc(lines[i].slice(3));
        if (expected.error !== undefined) {
          if (actual.error === undefined) why = `expected an error, got ${JSON.stringify(actual).slice(0, 300)}`;
        } else if (!same(expected, actual)) {
          if (specOnly && sameShape(expected, actual)) formOnly = true;
          else why = `got ${JSON.stringify(actual).slice(0, 300)}\n  expected ${JSON.stringify(expected).slice(0, 300)}`;
        }
      }
      const c = perMethod.get(m) ?? [0, 0];
      if (why === null) {
        passed++;
        c[0]++;
        if (formOnly) byForm.push(`${m}/${f}`);
      } else {
        failed++;
        c[1]++;
        console.log(`FAIL ${m}/${f}: ${why}`);
      }
      perMethod.set(m, c);
    }
  }
  for (const [m, [p, f]] of perMethod) console.log(`  ${m}: ${p}/${p + f}`);
  if (byForm.length > 0) console.log(`passed on form only (speconly): ${byForm.join(", ")}`);
  console.log(`${passed} passed, ${failed} failed`);
  code = failed === 0 ? 0 : 1;
} catch (err) {
  console.error(`rpc-compat: ${err.message}`);
  code = 2;
} finally {
  if (node !== null && node.exitCode === null) node.kill();
  if (!args.includes("--keep")) rmSync(datadir, { recursive: true, force: true });
  else console.log(`datadir kept: ${datadir}`);
}
process.exit(code);
