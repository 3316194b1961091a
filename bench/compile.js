#!/usr/bin/env node
/**
 * Compiles bench/contracts/*.sol with the `solc` npm package (WebAssembly, offline) and
 * writes bench/contracts/build.json: for each contract, its runtime bytecode and the
 * selectors of its functions. The output is deterministic (same sources and compiler give
 * the same file), so it can be committed; run this again after editing a contract:
 *
 *   node bench/compile.js
 *
 * evmVersion is pinned to "cancun" so the code runs unchanged on Cancun, Prague and Osaka.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { compileSolidityDir, writeBuild } from "./lib/solc.js";

const here = dirname(fileURLToPath(import.meta.url));
const contractsDir = join(here, "contracts");

export const EVM_VERSION = "cancun";

export function compileAll() {
  return compileSolidityDir(contractsDir, { evmVersion: EVM_VERSION });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeBuild(compileAll(), join(contractsDir, "build.json"));
}
