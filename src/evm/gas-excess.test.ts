// Gas above 2^53-1 (Frame.excess): exact GAS, call/create forwarding, refills and gas used.
import { describe, expect, it } from "vitest";
import { createAddress } from "../primitives/address.js";
import { type Address, bytesToBigInt, hexToBytes } from "../primitives/hex.js";
import { DEFAULT_RECEIVER, DEFAULT_SENDER, defaultBlock, executeCall } from "../runners/call.js";
import { MemoryState, StateDB } from "../state/statedb.js";
import { CallKind, type Hooks } from "../tracing/hooks.js";
import { EVM } from "./evm.js";
import { Fork } from "./forks.js";

const CALLEE: Address = "0x00000000000000000000000000000000000ca11e";
const HUGE = 2n ** 63n + 12_345n;
/** GAS PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN: returns the gas it sees (17 gas in all). */
const RETURN_GAS = "5a60005260206000f3";
const TRACE: Hooks = { onOpcode: () => {} };

function prestate(code: string): MemoryState {
  const s = new MemoryState();
  s.accounts.set(CALLEE, { nonce: 0n, balance: 0n, code: hexToBytes(code), storage: new Map() });
  return s;
}

/** Caller code: CALL(gasExpr, CALLEE, value, 0, 0, 0, 32), then RETURN(0, 32). */
function callCallee(gasExpr: string, value = 0): string {
  const v = value.toString(16).padStart(2, "0");
  return `602060006000600060${v}73${CALLEE.slice(2)}${gasExpr}f160206000f3`;
}

describe("gas above 2^53-1", () => {
  for (const hooks of [null, TRACE]) {
    const loop = hooks === null ? "plain" : "traced";

    it(`GAS reads the exact amount and gas used stays exact (${loop} loop)`, () => {
      const r = executeCall({ code: hexToBytes(RETURN_GAS), gas: HUGE, hooks });
      expect(bytesToBigInt(r.returnData)).toBe(HUGE - 2n);
      expect(r.gasUsed).toBe(17n);
      const failed = executeCall({ code: hexToBytes("fe"), gas: HUGE, hooks });
      expect(failed.gasUsed).toBe(HUGE);
    });

    it(`CALL forwards all but a 64th of the exact amount (${loop} loop)`, () => {
      const r = executeCall({
        code: hexToBytes(callCallee("5a")),
        gas: HUGE,
        prestate: prestate(RETURN_GAS),
        hooks,
      });
      // 5 PUSH1 + PUSH20 + GAS = 20; CALL: 100 warm + 2500 cold + 3 memory.
      const available = HUGE - 20n - 2603n;
      const forwarded = available - available / 64n;
      expect(r.error).toBeNull();
      expect(bytesToBigInt(r.returnData)).toBe(forwarded - 2n);
      expect(r.gasUsed).toBe(20n + 2603n + 17n + 6n);
    });

    it(`CALL with value adds the stipend to a forwarded amount above 2^53 (${loop} loop)`, () => {
      const r = executeCall({
        code: hexToBytes(callCallee("5a", 1)),
        gas: HUGE,
        value: 1n,
        prestate: prestate(RETURN_GAS),
        hooks,
      });
      const available = HUGE - 20n - 2603n - 9000n;
      const forwarded = available - available / 64n;
      expect(bytesToBigInt(r.returnData)).toBe(forwarded + 2300n - 2n);
      // The unused stipend comes back to the caller: gas used can be below the cost.
      expect(r.gasUsed).toBe(20n + 2603n + 9000n + 17n + 6n - 2300n);
    });

    it(`before EIP-150, CALL gives exactly the requested amount above 2^53 (${loop} loop)`, () => {
      const requested = 2n ** 55n + 7n;
      const push32 = `7f${requested.toString(16).padStart(64, "0")}`;
      const r = executeCall({
        code: hexToBytes(callCallee(push32)),
        gas: 2n ** 60n,
        fork: Fork.Homestead,
        prestate: prestate(RETURN_GAS),
        hooks,
      });
      expect(r.error).toBeNull();
      expect(bytesToBigInt(r.returnData)).toBe(requested - 2n);
      // 6 pushes (18) + PUSH32 (3) + CALL 40 + memory 3 + callee 17 + PUSH PUSH RETURN 6.
      expect(r.gasUsed).toBe(18n + 3n + 40n + 3n + 17n + 6n);
      // Asking for more than there is still runs out of gas.
      const tooMuch = executeCall({
        code: hexToBytes(callCallee(push32)),
        gas: 2n ** 54n,
        fork: Fork.Homestead,
        prestate: prestate(RETURN_GAS),
        hooks,
      });
      expect(tooMuch.error).toBe("out of gas");
    });

    it(`CREATE forwards all but a 64th of the exact amount (${loop} loop)`, () => {
      // PUSH5 <init code GAS PUSH1 0 SSTORE STOP>, PUSH1 0, MSTORE (so the init code is at
      // memory 27..31), CREATE(value 0, offset 27, size 5), STOP.
      const code = "645a60005500600052" + "6005601b6000f000";
      const r = executeCall({ code: hexToBytes(code), gas: HUGE, hooks });
      expect(r.error).toBeNull();
      // PUSH5, PUSH1, MSTORE (3 + 3 memory), 3 × PUSH1, CREATE 32000 + 2 (one initcode word).
      const available = HUGE - (3n + 3n + 6n + 9n + 32002n);
      const forwarded = available - available / 64n;
      const created = createAddress(DEFAULT_RECEIVER, 0n);
      expect(r.state.getStorage(created, 0n)).toBe(forwarded - 2n);
    });
  }

  it("refills an exhausted number part from the excess (both loops)", () => {
    // PUSH1 1, PUSH1 0, SSTORE (EIP-2200 sentry with number gas below 2300), PUSH1 32,
    // PUSH1 0, KECCAK256 (dynamic memory gas), MSTORE at 992 (inline memory gas), STOP.
    const code = hexToBytes("600160005560206000206103e05200");
    // Pushes 15, SSTORE 22100 (cold, zero to one), KECCAK256 30 + 6 + 3 memory, MSTORE 3 +
    // 95 (memory from 1 to 32 words).
    const cost = 15n + 22100n + 39n + 98n;
    for (const hooks of [null, TRACE]) {
      // Number parts that run out at PUSH, at SSTORE (below its 2300 sentry), at
      // KECCAK256's memory gas (generic path) and at MSTORE's (inline path).
      for (const gas of [0, 5, 106, 22142, 22154]) {
        const backend = new MemoryState();
        backend.accounts.set(DEFAULT_RECEIVER, { nonce: 0n, balance: 0n, code, storage: new Map() });
        const state = new StateDB(backend);
        state.beginTransaction();
        const fork = Fork.Cancun;
        const evm = new EVM(
          state,
          defaultBlock(fork),
          { origin: DEFAULT_SENDER, gasPrice: 0n, blobHashes: [] },
          fork,
          hooks,
        );
        state.warmAddress(DEFAULT_RECEIVER);
        const excess = 1_000_000n;
        const r = evm.call(
          CallKind.CALL,
          DEFAULT_SENDER,
          DEFAULT_RECEIVER,
          DEFAULT_RECEIVER,
          new Uint8Array(0),
          gas,
          0n,
          false,
          0,
          excess,
        );
        expect(r.error).toBeNull();
        expect(BigInt(r.gasLeft) + r.gasLeftExcess).toBe(BigInt(gas) + excess - cost);
        expect(state.getStorage(DEFAULT_RECEIVER, 0n)).toBe(1n);
      }
    }
  });

  it("shows hooks the number part of the gas, capped at 2^53-1", () => {
    const seen: number[] = [];
    const hooks: Hooks = {
      onEnter: (_d, _k, _f, _t, _i, gas) => seen.push(gas),
      onOpcode: (_pc, _op, gas) => seen.push(gas),
      onExit: (_d, _o, gasUsed) => seen.push(gasUsed),
    };
    executeCall({ code: hexToBytes("600100"), gas: HUGE, hooks });
    const max = Number.MAX_SAFE_INTEGER;
    expect(seen).toEqual([max, max, max - 3, 3]);
  });
});
