#!/usr/bin/env node
/**
 * Compiles test/anvil/contracts/*.sol with the `solc` npm package and writes
 * test/anvil/contracts/build.json: for each contract its creation bytecode (what a deploy
 * transaction sends), its runtime bytecode and the selectors of its functions. The output
 * is deterministic, so it is committed and the differential tests never need solc; run this
 * again after editing a contract:
 *
 *   node test/anvil/compile.js
 *
 * evmVersion is pinned to "cancun" so the bytecode does not depend on solc's default.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import solc from "solc";

const here = dirname(fileURLToPath(import.meta.url));
const contractsDir = join(here, "contracts");
const outFile = join(contractsDir, "build.json");
const EVM_VERSION = "cancun";

function compileAll() {
  const files = readdirSync(contractsDir)
    .filter((f) => f.endsWith(".sol"))
    .sort();
  const sources = {};
  for (const f of files) sources[f] = { content: readFileSync(join(contractsDir, f), "utf8") };
  const input = {
    language: "Solidity",
    sources,
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: EVM_VERSION,
      metadata: { bytecodeHash: "none", appendCBOR: false },
      outputSelection: {
        "*": { "*": ["evm.bytecode.object", "evm.deployedBytecode.object", "evm.methodIdentifiers"] },
      },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input)));
  for (const e of output.errors ?? []) process.stderr.write(`${e.formattedMessage ?? e.message}\n`);
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0) throw new Error(`solc: ${errors.length} error(s)`);
  const contracts = {};
  for (const file of Object.keys(output.contracts).sort()) {
    for (const name of Object.keys(output.contracts[file]).sort()) {
      const c = output.contracts[file][name];
      const selectors = {};
      for (const sig of Object.keys(c.evm.methodIdentifiers).sort()) {
        selectors[sig] = `0x${c.evm.methodIdentifiers[sig]}`;
      }
      contracts[name] = {
        source: file,
        creation: `0x${c.evm.bytecode.object}`,
        runtime: `0x${c.evm.deployedBytecode.object}`,
        selectors,
      };
    }
  }
  return {
    compiler: `solc ${solc.version()}`,
    settings: { optimizer: input.settings.optimizer, evmVersion: EVM_VERSION },
    contracts,
  };
}

const build = compileAll();
writeFileSync(outFile, `${JSON.stringify(build, null, 2)}\n`);
const summary = Object.entries(build.contracts)
  .map(([n, c]) => `${n} (${(c.runtime.length - 2) / 2} bytes)`)
  .join(", ");
process.stdout.write(`${build.compiler}: wrote ${outFile}: ${summary}\n`);
