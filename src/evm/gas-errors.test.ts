/**
 * Errors raised by dynamic gas functions, as go-ethereum (HEAD) reports them: its
 * interpreter wraps a gas function's error as "out of gas: <reason>" and reports the step
 * to OnOpcode with that error and the static cost only. Covered: write protection in a
 * static context (SSTORE, CREATE, CREATE2, CALL with value, SELFDESTRUCT), the EIP-2200
 * reentrancy sentry, unaffordable cold-access surcharges, a CALL's memory and value gas,
 * EIP-3860 initcode size, and 64-bit overflows. Both interpreter loops must agree on the
 * error, and the failed frame still consumes all its gas.
 */
import { describe, expect, it } from "vitest";
import { hexToBytes } from "../primitives/hex.js";
import { executeCall } from "../runners/call.js";
import { MemoryState } from "../state/statedb.js";
import type { Hooks } from "../tracing/hooks.js";
import { Fork } from "./forks.js";

const CHILD = "0x000000000000000000000000000000000000c0de";
const CHILD_HEX = CHILD.slice(2);
const COLD = "00000000000000000000000000000000000c01d0";
const WORD_2_64 = "68010000000000000000"; // PUSH9 2^64

interface Step {
  pc: number;
  op: number;
  cost: number;
  error: string | null;
  depth: number;
}

interface Run {
  error: string | null;
  gasUsed: bigint;
  /** onExit errors by depth of the frame (1: the called code, 2: its sub-call). */
  exits: Map<number, string | null>;
  steps: Step[];
}

function prestateWith(childCode: string | undefined): MemoryState {
  const pre = new MemoryState();
  if (childCode !== undefined) {
    pre.accounts.set(CHILD, { nonce: 0n, balance: 10n, code: hexToBytes(childCode), storage: new Map() });
  }
  return pre;
}

/**
 * Runs `code` twice: traced (onOpcode set: the traced loop) and plain (only onExit: the
 * plain loop). Requires both to agree on errors and gas, and returns the traced run.
 */
function exec(code: string, fork: Fork, gas: bigint, childCode?: string): Run {
  const runOnce = (traced: boolean): Run => {
    const exits = new Map<number, string | null>();
    const steps: Step[] = [];
    const hooks: Hooks = { onExit: (depth, _out, _gasUsed, error) => exits.set(depth + 1, error) };
    if (traced) {
      hooks.onOpcode = (pc, op, _gas, cost, _scope, depth, error) =>
        steps.push({ pc, op, cost, error, depth });
    }
    const r = executeCall({ code: hexToBytes(code), fork, gas, prestate: prestateWith(childCode), hooks });
    return { error: r.error, gasUsed: r.gasUsed, exits, steps };
  };
  const traced = runOnce(true);
  const plain = runOnce(false);
  expect(plain.error).toBe(traced.error);
  expect(plain.gasUsed).toBe(traced.gasUsed);
  expect([...plain.exits]).toEqual([...traced.exits]);
  return traced;
}

/** STATICCALL(gas, CHILD, 0, 0, 0, 0) with `gasHex` (a PUSH) or all gas (GAS), then STOP. */
const staticCallChild = (gasPush = "5a") =>
  `6000600060006000 73${CHILD_HEX} ${gasPush} fa 00`.replace(/ /g, "");

/** The failing step of the child frame (the last step at depth 2). */
function childFailure(r: Run): Step {
  const child = r.steps.filter((s) => s.depth === 2);
  return child[child.length - 1]!;
}

describe("write protection in a static context (go-ethereum #33281: checked by the gas functions)", () => {
  const cases: { name: string; code: string; op: number; forks: [Fork, number][] }[] = [
    // [fork, static cost reported with the error]
    {
      name: "SSTORE",
      code: "6001600055",
      op: 0x55,
      forks: [
        [Fork.Byzantium, 0],
        [Fork.Petersburg, 0],
        [Fork.Istanbul, 0],
        [Fork.Cancun, 0],
        [Fork.Osaka, 0],
      ],
    },
    {
      name: "CREATE",
      code: "600060006000f0",
      op: 0xf0,
      forks: [
        [Fork.Byzantium, 32000],
        [Fork.Shanghai, 32000],
        [Fork.Osaka, 32000],
      ],
    },
    {
      name: "CREATE2",
      code: "6000600060006000f5",
      op: 0xf5,
      forks: [
        [Fork.Constantinople, 32000],
        [Fork.Cancun, 32000],
      ],
    },
    {
      name: "CALL with value",
      code: `60006000600060006001 73${COLD} 5a f1`.replace(/ /g, ""),
      op: 0xf1,
      forks: [
        [Fork.Byzantium, 700],
        [Fork.Istanbul, 700],
        [Fork.Berlin, 100],
        [Fork.Cancun, 100],
        [Fork.Prague, 100],
      ],
    },
    {
      name: "SELFDESTRUCT",
      code: `73${COLD}ff`,
      op: 0xff,
      forks: [
        [Fork.Byzantium, 5000],
        [Fork.Istanbul, 5000],
        [Fork.London, 5000],
        [Fork.Cancun, 5000],
      ],
    },
  ];
  for (const c of cases) {
    for (const [fork, staticCost] of c.forks) {
      it(`${c.name} (fork ${fork}): "out of gas: write protection", step error with cost ${staticCost}`, () => {
        const r = exec(staticCallChild(), fork, 1_000_000n, c.code);
        expect(r.error).toBeNull(); // the STATICCALL itself returns 0
        expect(r.exits.get(2)).toBe("out of gas: write protection");
        const step = childFailure(r);
        expect(step).toMatchObject({ op: c.op, cost: staticCost, error: "out of gas: write protection" });
      });
    }
  }

  it("a value-less CALL in a static context is not refused", () => {
    const code = `6000600060006000600073${COLD}5af100`;
    const r = exec(staticCallChild(), Fork.Cancun, 1_000_000n, code);
    expect(r.exits.get(2)).toBeNull();
  });

  it('TSTORE and LOG0 keep failing inside the instruction with plain "write protection"', () => {
    for (const [code, op, cost] of [
      ["600160005d", 0x5d, 100],
      ["60006000a0", 0xa0, 375],
    ] as const) {
      const r = exec(staticCallChild(), Fork.Cancun, 1_000_000n, code);
      expect(r.exits.get(2)).toBe("write protection");
      expect(childFailure(r)).toMatchObject({ op, cost, error: null });
    }
  });

  it("the failed static frame consumes all the gas it was given", () => {
    // STATICCALL with 50,000 gas: the caller is charged it in full.
    const r = exec(staticCallChild("61c350"), Fork.Cancun, 1_000_000n, "6001600055");
    // 4 PUSH1 + PUSH20 + PUSH2 = 18, STATICCALL 100 + cold 2500, the 50,000 forwarded, STOP.
    expect(r.gasUsed).toBe(18n + 2600n + 50_000n);
  });

  it("Berlin to Cancun: an unaffordable cold surcharge comes before write protection; Prague: after", () => {
    // The child has 2,000 gas: 21 for the pushes, 100 static, then 2,500 cold surcharge.
    const child = `60006000600060006001 73${COLD} 6000 f1`.replace(/ /g, "");
    const cancun = exec(staticCallChild("6107d0"), Fork.Cancun, 1_000_000n, child);
    expect(cancun.exits.get(2)).toBe("out of gas: out of gas");
    expect(childFailure(cancun)).toMatchObject({ op: 0xf1, cost: 100, error: "out of gas: out of gas" });
    const prague = exec(staticCallChild("6107d0"), Fork.Prague, 1_000_000n, child);
    expect(prague.exits.get(2)).toBe("out of gas: write protection");
  });

  it("a memory range beyond 64 bits is refused before write protection (plain overflow)", () => {
    // CREATE(0, 2^64, 1) in a static context.
    const r = exec(staticCallChild(), Fork.Cancun, 1_000_000n, `6001${WORD_2_64}6000f0`);
    expect(r.exits.get(2)).toBe("gas uint64 overflow");
    expect(childFailure(r)).toMatchObject({ op: 0xf0, cost: 32000, error: "gas uint64 overflow" });
  });
});

describe("EIP-2200 reentrancy sentry", () => {
  it("SSTORE with at most 2300 gas left fails in its gas function (Istanbul on)", () => {
    for (const fork of [Fork.Istanbul, Fork.Berlin, Fork.Cancun, Fork.Osaka]) {
      const r = exec("6001600055", fork, 2306n); // 2300 left at the SSTORE
      expect(r.error).toBe("out of gas: not enough gas for reentrancy sentry");
      expect(r.gasUsed).toBe(2306n);
      expect(r.steps[r.steps.length - 1]).toMatchObject({
        op: 0x55,
        cost: 0,
        error: "out of gas: not enough gas for reentrancy sentry",
      });
    }
  });

  it("with 2301 gas left the sentry passes and the store runs out of gas plainly, at its full cost", () => {
    const r = exec("6001600055", Fork.Istanbul, 2307n);
    expect(r.error).toBe("out of gas");
    expect(r.steps[r.steps.length - 1]).toMatchObject({ op: 0x55, cost: 20000, error: "out of gas" });
  });

  it("Constantinople (EIP-1283) has no sentry", () => {
    const r = exec("6001600055", Fork.Constantinople, 2306n);
    expect(r.error).toBe("out of gas");
    expect(r.steps[r.steps.length - 1]).toMatchObject({ op: 0x55, cost: 20000, error: "out of gas" });
  });
});

describe('gas functions that run out of gas themselves: "out of gas: out of gas"', () => {
  it("CALL to a cold account whose surcharge cannot be paid (Berlin on)", () => {
    const code = `6000600060006000600073${COLD}6000f1`; // 21 gas of pushes, CALL 100
    for (const fork of [Fork.Berlin, Fork.Cancun, Fork.Prague]) {
      const r = exec(code, fork, 21n + 100n + 1000n);
      expect(r.error).toBe("out of gas: out of gas");
      expect(r.steps[r.steps.length - 1]).toMatchObject({
        op: 0xf1,
        cost: 100,
        error: "out of gas: out of gas",
      });
    }
  });

  it("STATICCALL and DELEGATECALL to a cold account too", () => {
    for (const op of ["fa", "f4"]) {
      const r = exec(`60006000600060007300${COLD.slice(2)}6000${op}`, Fork.Cancun, 21n - 3n + 100n + 1000n);
      expect(r.error).toBe("out of gas: out of gas");
    }
  });

  it("SELFDESTRUCT to a cold beneficiary with less than 2600 gas left after its 5000 (Berlin on)", () => {
    const r = exec(`73${COLD}ff`, Fork.Cancun, 3n + 5000n + 2599n);
    expect(r.error).toBe("out of gas: out of gas");
    expect(r.gasUsed).toBe(3n + 5000n + 2599n);
    expect(r.steps[r.steps.length - 1]).toMatchObject({
      op: 0xff,
      cost: 5000,
      error: "out of gas: out of gas",
    });
    // Before Berlin there is no surcharge: with nothing to pay beyond 5000 it succeeds.
    expect(exec(`73${COLD}ff`, Fork.Istanbul, 3n + 5000n).error).toBeNull();
  });

  it("CALL whose memory and value-transfer gas exceed what is left (every fork)", () => {
    // CALL(gas 0, CHILD (warm: the caller), value 1, ...) with 5,000 gas left after the static cost.
    const code = `60006000600060006001 73${CHILD_HEX} 6000 f1`.replace(/ /g, "");
    const r = exec(code, Fork.Istanbul, 21n + 700n + 5000n);
    expect(r.error).toBe("out of gas: out of gas");
    expect(r.steps[r.steps.length - 1]).toMatchObject({
      op: 0xf1,
      cost: 700,
      error: "out of gas: out of gas",
    });
  });

  it("CALLCODE's value-transfer gas is checked by the interpreter before Prague (plain), by the gas function from Prague", () => {
    const code = `60006000600060006001 73${CHILD_HEX} 6000 f2`.replace(/ /g, "");
    expect(exec(code, Fork.Istanbul, 21n + 700n + 5000n).error).toBe("out of gas");
    expect(exec(code, Fork.Cancun, 21n + 100n + 2500n + 5000n).error).toBe("out of gas");
    expect(exec(code, Fork.Prague, 21n + 100n + 2500n + 5000n).error).toBe("out of gas: out of gas");
  });

  it("CALL that would create an account it cannot pay for: plain before Prague, wrapped from Prague", () => {
    // Value 1 to a cold, empty account: 9000 + 25000 new account; 10,000 gas left after the surcharge.
    const code = `60006000600060006001 73${COLD} 6000 f1`.replace(/ /g, "");
    expect(exec(code, Fork.Cancun, 21n + 100n + 2500n + 10_000n).error).toBe("out of gas");
    expect(exec(code, Fork.Prague, 21n + 100n + 2500n + 10_000n).error).toBe("out of gas: out of gas");
  });
});

describe("EIP-3860 initcode size in CREATE/CREATE2 gas (Shanghai on)", () => {
  it("fails with go-ethereum's wrapped text and the static cost", () => {
    for (const [code, op] of [
      ["6200c00160006000f0", 0xf0], // CREATE(0, 0, 49153)
      ["60006200c00160006000f5", 0xf5], // CREATE2(0, 0, 49153, salt 0)
    ] as const) {
      const r = exec(code, Fork.Shanghai, 1_000_000n);
      const text = "out of gas: max initcode size exceeded: code size 49153 limit 49152";
      expect(r.error).toBe(text);
      expect(r.gasUsed).toBe(1_000_000n);
      expect(r.steps[r.steps.length - 1]).toMatchObject({ op, cost: 32000, error: text });
    }
  });

  it("49152 bytes are allowed, and there is no limit before Shanghai", () => {
    expect(exec("6200c00060006000f000", Fork.Shanghai, 10_000_000n).error).toBeNull();
    expect(exec("6200c00160006000f000", Fork.Paris, 10_000_000n).error).toBeNull();
  });
});

describe("64-bit overflows", () => {
  it("MLOAD: an end beyond 64 bits is a plain overflow; beyond 0x1fffffffe0 bytes a wrapped one", () => {
    const plain = exec(`${WORD_2_64}51`, Fork.Cancun, 100_000n);
    expect(plain.error).toBe("gas uint64 overflow");
    expect(plain.gasUsed).toBe(100_000n);
    expect(plain.steps[plain.steps.length - 1]).toMatchObject({
      op: 0x51,
      cost: 3,
      error: "gas uint64 overflow",
    });
    const wrapped = exec("6501000000000051", Fork.Cancun, 100_000n); // 2^40
    expect(wrapped.error).toBe("out of gas: gas uint64 overflow");
    expect(wrapped.steps[wrapped.steps.length - 1]).toMatchObject({
      cost: 3,
      error: "out of gas: gas uint64 overflow",
    });
    // Up to 0x1fffffffe0 bytes it is an ordinary (if unpayable) cost.
    expect(exec("64020000000051", Fork.Cancun, 100_000n).error).toBe("out of gas"); // 2^33
  });

  it("KECCAK256 and CALLDATACOPY sizes beyond 64 bits", () => {
    expect(exec(`${WORD_2_64}600020`, Fork.Cancun, 100_000n).error).toBe("gas uint64 overflow");
    expect(exec(`${WORD_2_64}60006000 37`.replace(/ /g, ""), Fork.Cancun, 100_000n).error).toBe(
      "gas uint64 overflow",
    );
  });

  it('Frontier CALL requesting 2^64 gas: "out of gas: gas uint64 overflow"', () => {
    const code = `600060006000600060007300${COLD.slice(2)}${WORD_2_64}f1`;
    const r = exec(code, Fork.Frontier, 100_000n);
    expect(r.error).toBe("out of gas: gas uint64 overflow");
    expect(r.steps[r.steps.length - 1]).toMatchObject({
      op: 0xf1,
      cost: 40,
      error: "out of gas: gas uint64 overflow",
    });
    // From EIP-150 the request is capped at all but one 64th instead.
    expect(exec(code, Fork.TangerineWhistle, 100_000n).error).toBeNull();
  });
});
