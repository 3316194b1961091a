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
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { compileSolidityDir, writeBuild } from "../../bench/lib/solc.js";

const contractsDir = join(dirname(fileURLToPath(import.meta.url)), "contracts");
const build = compileSolidityDir(contractsDir, {
  evmVersion: "cancun",
  creation: true,
  metadata: { bytecodeHash: "none", appendCBOR: false },
});
writeBuild(build, join(contractsDir, "build.json"));
