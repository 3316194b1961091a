/**
 * Workloads of the tracer benchmark (bench/tracers.js): transactions of 100k–300k steps that
 * are deployed on anvil and then traced by anvil and by Sonde.
 *
 * - `compute`: the hand-assembled loopAR of bench/lib/workloads.js (arithmetic only).
 * - `storage`: a hand-assembled loop `s = i & 15; sstore(s, sload(s) + i)` — one SLOAD and one
 *   SSTORE per 20 steps over 16 slots (bounded, so the struct logger's per-entry storage map
 *   stays small).
 * - `memory`: a hand-assembled loop over a 256-byte region: MSTORE at `(i << 5) & 0xe0`, MLOAD
 *   of it, MCOPY of the word to 0x100 (memory never exceeds 9 words, so `enableMemory`
 *   output grows with the step count only).
 * - `erc20-mix`: BenchToken (bench/contracts/build.json) driven by a small Solidity contract
 *   compiled here with the `solc` package: n rounds of transfer / transferFrom to one of 16
 *   holders and a balanceOf read — two sub-calls per round, bounded storage and memory.
 *
 * Everything is deployed as runtime code with anvil_setCode; the mix driver's token balance
 * is written with anvil_setStorageAt (balanceOf is BenchToken's storage slot 1).
 */
import { keccak_256 } from "@noble/hashes/sha3.js";
import solc from "solc";
import { bytesToHex, hexToBytes, loadBuild, loopRuntime, uint256 } from "./workloads.js";

/** Runtime code of the storage loop (see the header). */
export const STORAGE_LOOP =
  // n = calldata[0]; i = 0; loop: if !(i < n) goto end
  "60003560005b8181101561001f57" +
  // s = i & 15; sstore(s, sload(s) + i)
  "80600f16805482019055" +
  // i += 1; goto loop; end: stop
  "600101610005565b00";

/** Runtime code of the memory loop (see the header). */
export const MEMORY_LOOP =
  "60003560005b8181101561002a57" +
  // off = (i << 5) & 0xe0; mstore(off, i); pop(mload(off)); mcopy(0x100, off, 32)
  "8060051b6100e016818152805150602090610100" +
  "5e" +
  "600101610005565b00";

/** The driver of the erc20-mix workload (ours; compiled at start-up, not committed). */
export const MIX_SOURCE = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

interface IBenchToken {
    function transfer(address to, uint256 value) external returns (bool);
    function transferFrom(address from, address to, uint256 value) external returns (bool);
    function approve(address spender, uint256 value) external returns (bool);
    function balanceOf(address who) external view returns (uint256);
}

contract TracerMix {
    /// n rounds: transfer 3 (or, every third round, transferFrom 2) to one of 16 holders,
    /// then read that holder's balance. Returns the sum of the balances read.
    function run(IBenchToken token, uint256 n) external returns (uint256 sum) {
        token.approve(address(this), type(uint256).max);
        for (uint256 i = 0; i < n; i++) {
            // Each call's ABI encoding is written at the free-memory pointer, which Solidity
            // never moves back: restore it, so memory (and enableMemory output) stays bounded.
            uint256 free;
            assembly {
                free := mload(0x40)
            }
            address to = address(uint160(0x1000 + (i & 15)));
            if (i % 3 == 2) token.transferFrom(address(this), to, 2);
            else token.transfer(to, 3);
            sum += token.balanceOf(to);
            assembly {
                mstore(0x40, free)
            }
        }
    }
}
`;

export function compileMix() {
  const input = {
    language: "Solidity",
    sources: { "TracerMix.sol": { content: MIX_SOURCE } },
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: "cancun",
      outputSelection: { "*": { "*": ["evm.deployedBytecode.object", "evm.methodIdentifiers"] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0) {
    throw new Error(`solc (TracerMix): ${errors.map((e) => e.formattedMessage ?? e.message).join("\n")}`);
  }
  const c = output.contracts["TracerMix.sol"].TracerMix;
  return { runtime: `0x${c.evm.deployedBytecode.object}`, selectors: c.evm.methodIdentifiers };
}

/** Addresses the workloads are deployed at (anvil_setCode; no account ever held them). */
export const ADDRESSES = {
  compute: "0x00000000000000000000000000000000000c0001",
  storage: "0x00000000000000000000000000000000000c0002",
  memory: "0x00000000000000000000000000000000000c0003",
  token: "0x00000000000000000000000000000000000c0004",
  mix: "0x00000000000000000000000000000000000c0005",
};

const addressWord = (a) => hexToBytes(a.slice(2).padStart(64, "0"));

/** Storage slot of balanceOf[holder] in BenchToken (mapping at slot 1). */
export function balanceSlot(holder) {
  const key = new Uint8Array(64);
  key.set(addressWord(holder), 0);
  key.set(uint256(1), 32);
  return bytesToHex(keccak_256(key));
}

/**
 * @typedef {object} TracerWorkload
 * @property {string} name
 * @property {string} what
 * @property {number} n default size
 * @property {string} to address the transaction is sent to
 * @property {(n: number) => string} data calldata (hex) for size n
 * @property {(rpc: (m: string, p: unknown[]) => Promise<unknown>) => Promise<void>} deploy
 */

/** @returns {TracerWorkload[]} */
export function tracerWorkloads() {
  const setCode = (addr, code) => (rpc) => rpc("anvil_setCode", [addr, code]).then(() => undefined);
  const word = (n) => bytesToHex(uint256(n)).slice(2);
  let mix = null;
  const mixBuild = () => {
    mix ??= compileMix();
    return mix;
  };
  return [
    {
      name: "compute",
      what: "loopAR: pop(i*i+7), 17 opcodes per round",
      n: 12_000,
      to: ADDRESSES.compute,
      data: (n) => `0x${word(n)}`,
      deploy: setCode(ADDRESSES.compute, bytesToHex(loopRuntime("loopAR"))),
    },
    {
      name: "storage",
      what: "sstore(i & 15, sload(i & 15) + i), 20 opcodes per round",
      n: 10_000,
      to: ADDRESSES.storage,
      data: (n) => `0x${word(n)}`,
      deploy: setCode(ADDRESSES.storage, `0x${STORAGE_LOOP}`),
    },
    {
      name: "memory",
      what: "MSTORE, MLOAD, MCOPY in a 256-byte region, 26 opcodes per round",
      n: 8_000,
      to: ADDRESSES.memory,
      data: (n) => `0x${word(n)}`,
      deploy: setCode(ADDRESSES.memory, `0x${MEMORY_LOOP}`),
    },
    {
      name: "erc20-mix",
      what: "TracerMix.run(token, n): transfer/transferFrom + balanceOf on BenchToken, 16 holders",
      n: 300,
      to: ADDRESSES.mix,
      data: (n) =>
        `0x${mixBuild().selectors["run(address,uint256)"]}${word(BigInt(ADDRESSES.token))}${word(n)}`,
      deploy: async (rpc) => {
        const token = loadBuild().contracts.BenchToken;
        await rpc("anvil_setCode", [ADDRESSES.token, token.runtime]);
        await rpc("anvil_setCode", [ADDRESSES.mix, mixBuild().runtime]);
        const supply = `0x${word(10n ** 30n)}`;
        await rpc("anvil_setStorageAt", [ADDRESSES.token, balanceSlot(ADDRESSES.mix), supply]);
        await rpc("anvil_setStorageAt", [ADDRESSES.token, `0x${word(0)}`, supply]);
      },
    },
  ];
}
