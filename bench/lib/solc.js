/**
 * Compiles every *.sol file of a folder with the `solc` npm package (WebAssembly,
 * offline) into a deterministic build description: compiler, settings and, per contract,
 * its runtime bytecode (and creation bytecode when asked), and its function selectors.
 * Used by bench/compile.js and test/anvil/compile.js, whose outputs are committed.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import solc from "solc";

/**
 * `evmVersion` pins the target fork; `creation` adds creation bytecode; `metadata`
 * passes solc's metadata settings (e.g. no CBOR trailer, so bytecode is stable).
 */
export function compileSolidityDir(dir, { evmVersion, creation = false, metadata } = {}) {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".sol"))
    .sort();
  const sources = {};
  for (const f of files) sources[f] = { content: readFileSync(join(dir, f), "utf8") };
  const wanted = ["evm.deployedBytecode.object", "evm.methodIdentifiers"];
  if (creation) wanted.unshift("evm.bytecode.object");
  const settings = { optimizer: { enabled: true, runs: 200 }, evmVersion };
  if (metadata !== undefined) settings.metadata = metadata;
  settings.outputSelection = { "*": { "*": wanted } };
  const output = JSON.parse(solc.compile(JSON.stringify({ language: "Solidity", sources, settings })));
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
      contracts[name] = creation
        ? {
            source: file,
            creation: `0x${c.evm.bytecode.object}`,
            runtime: `0x${c.evm.deployedBytecode.object}`,
            selectors,
          }
        : { source: file, runtime: `0x${c.evm.deployedBytecode.object}`, selectors };
    }
  }
  return {
    compiler: `solc ${solc.version()}`,
    settings: { optimizer: settings.optimizer, evmVersion },
    contracts,
  };
}

/** Writes a build to `outFile` and prints a one-line summary. */
export function writeBuild(build, outFile) {
  writeFileSync(outFile, `${JSON.stringify(build, null, 2)}\n`);
  const summary = Object.entries(build.contracts)
    .map(([n, c]) => `${n} (${(c.runtime.length - 2) / 2} bytes)`)
    .join(", ");
  process.stdout.write(`${build.compiler}: wrote ${outFile}: ${summary}\n`);
}
