import { describe, expect, it } from "vitest";
import { EVM } from "../evm/evm.js";
import { Fork } from "../evm/forks.js";
import { type Address, bytesToBigInt, hexToBytes, wordToBytes } from "../primitives/hex.js";
import { defaultBlock } from "../runners/call.js";
import { MemoryState, StateDB } from "../state/statedb.js";
import { CallKind } from "../tracing/hooks.js";
import {
  BEACON_ROOTS_ADDRESS,
  HISTORY_STORAGE_ADDRESS,
  MissingSystemContractError,
  processBeaconBlockRoot,
  processParentBlockHash,
  processRequestContracts,
  SYSTEM_ADDRESS,
} from "./system.js";

// Runtime code of the system contracts as deployed on mainnet (protocol constants, from
// EIP-4788 and EIP-2935).
const BEACON_ROOTS_CODE =
  "0x3373fffffffffffffffffffffffffffffffffffffffe14604d57602036146024575f5ffd5b5f35801560495762001fff810690815414603c575f5ffd5b62001fff01545f5260205ff35b5f5ffd5b62001fff42064281555f359062001fff015500";
const HISTORY_CODE =
  "0x3373fffffffffffffffffffffffffffffffffffffffe14604657602036036042575f35600143038111604257611fff81430311604257611fff9006545f5260205ff35b5f5ffd5b5f35611fff60014303065500";
const USER: Address = "0x00000000000000000000000000000000000000aa";

function stateWith(address: Address, code: string): StateDB {
  const backend = new MemoryState();
  backend.accounts.set(address, { nonce: 1n, balance: 0n, code: hexToBytes(code), storage: new Map() });
  backend.accounts.set(USER, { nonce: 0n, balance: 10n ** 18n, code: new Uint8Array(0), storage: new Map() });
  return new StateDB(backend);
}

/** An ordinary user's call to `to`, as a contract reading the history would make it. */
function userCall(
  state: StateDB,
  fork: Fork,
  block: ReturnType<typeof defaultBlock>,
  to: Address,
  word: bigint,
) {
  state.beginTransaction();
  const evm = new EVM(state, block, { origin: USER, gasPrice: 0n, blobHashes: [] }, fork);
  return evm.call(CallKind.CALL, USER, to, to, wordToBytes(word), 1_000_000, 0n, false, 0);
}

describe("EIP-4788 beacon roots system call", () => {
  const root = 0xabcdef0123456789n << 128n;
  const block = { ...defaultBlock(Fork.Cancun), timestamp: 1_700_000_000n };

  it("stores the timestamp and root in the ring buffer, readable by timestamp", () => {
    const state = stateWith(BEACON_ROOTS_ADDRESS, BEACON_ROOTS_CODE);
    const r = processBeaconBlockRoot(state, block, Fork.Cancun, root);
    expect(r?.error).toBeNull();
    const idx = block.timestamp % 8191n;
    expect(state.getStorage(BEACON_ROOTS_ADDRESS, idx)).toBe(block.timestamp);
    expect(state.getStorage(BEACON_ROOTS_ADDRESS, idx + 8191n)).toBe(root);
    // Nothing else changed: the system address is not left behind, no nonce moved.
    expect(state.exists(SYSTEM_ADDRESS)).toBe(false);
    expect(state.getNonce(BEACON_ROOTS_ADDRESS)).toBe(1n);

    const hit = userCall(state, Fork.Cancun, block, BEACON_ROOTS_ADDRESS, block.timestamp);
    expect(hit.error).toBeNull();
    expect(bytesToBigInt(hit.output)).toBe(root);
    const miss = userCall(state, Fork.Cancun, block, BEACON_ROOTS_ADDRESS, block.timestamp + 1n);
    expect(miss.error).toBe("execution reverted");
  });

  it("does nothing before Cancun", () => {
    const state = stateWith(BEACON_ROOTS_ADDRESS, BEACON_ROOTS_CODE);
    expect(processBeaconBlockRoot(state, block, Fork.Shanghai, root)).toBeNull();
    expect(state.getStorage(BEACON_ROOTS_ADDRESS, block.timestamp % 8191n)).toBe(0n);
  });

  it("is a no-op when the contract is not deployed", () => {
    const state = new StateDB(new MemoryState());
    const r = processBeaconBlockRoot(state, block, Fork.Cancun, root);
    expect(r?.error).toBeNull();
    expect(state.exists(BEACON_ROOTS_ADDRESS)).toBe(false);
    expect(state.exists(SYSTEM_ADDRESS)).toBe(false);
  });

  it("reports the call to hooks between onSystemCallStart and onSystemCallEnd", () => {
    const state = stateWith(BEACON_ROOTS_ADDRESS, BEACON_ROOTS_CODE);
    const seen: string[] = [];
    processBeaconBlockRoot(state, block, Fork.Cancun, root, {
      onSystemCallStart: () => seen.push("start"),
      onEnter: (depth, kind, from, to, _input, gas) =>
        seen.push(`enter ${depth} ${kind} ${from} ${to} ${gas}`),
      onExit: (depth, _out, _used, error) => seen.push(`exit ${depth} ${error}`),
      onSystemCallEnd: () => seen.push("end"),
    });
    expect(seen).toEqual([
      "start",
      `enter 0 ${CallKind.CALL} ${SYSTEM_ADDRESS} ${BEACON_ROOTS_ADDRESS} 30000000`,
      "exit 0 null",
      "end",
    ]);
  });
});

describe("EIP-2935 parent block hash system call", () => {
  const block = { ...defaultBlock(Fork.Prague), number: 20_000n };
  const parentHash = 0x1234n;

  it("stores the parent hash at (number - 1) mod 8191, readable by number", () => {
    const state = stateWith(HISTORY_STORAGE_ADDRESS, HISTORY_CODE);
    expect(processParentBlockHash(state, block, Fork.Prague, parentHash)?.error).toBeNull();
    expect(state.getStorage(HISTORY_STORAGE_ADDRESS, (block.number - 1n) % 8191n)).toBe(parentHash);
    const hit = userCall(state, Fork.Prague, block, HISTORY_STORAGE_ADDRESS, block.number - 1n);
    expect(bytesToBigInt(hit.output)).toBe(parentHash);
    // The current block and anything older than the window revert.
    expect(userCall(state, Fork.Prague, block, HISTORY_STORAGE_ADDRESS, block.number).error).toBe(
      "execution reverted",
    );
    expect(userCall(state, Fork.Prague, block, HISTORY_STORAGE_ADDRESS, block.number - 8192n).error).toBe(
      "execution reverted",
    );
  });

  it("does nothing before Prague", () => {
    const state = stateWith(HISTORY_STORAGE_ADDRESS, HISTORY_CODE);
    expect(processParentBlockHash(state, block, Fork.Cancun, parentHash)).toBeNull();
  });
});

describe("EIP-7002/7251 request contracts", () => {
  it("reject a Prague block whose request contracts are missing", () => {
    const state = new StateDB(new MemoryState());
    expect(() => processRequestContracts(state, defaultBlock(Fork.Prague), Fork.Prague)).toThrow(
      MissingSystemContractError,
    );
    expect(processRequestContracts(state, defaultBlock(Fork.Cancun), Fork.Cancun)).toEqual([]);
  });
});
