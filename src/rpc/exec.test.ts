// eth_call machinery: the EVM timeout (--rpc.evmtimeout), the gas cap of 0, and calls
// whose sender is a contract (go-ethereum's SkipTransactionChecks).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devGenesisJson } from "../node/devchain.js";
import { parseGenesis } from "../node/genesis.js";
import { DevNode } from "../node/node.js";
import { RpcError } from "./errors.js";
import { callGas, goDuration } from "./exec.js";
import { RpcHandler } from "./server.js";

const LOOP = "0x00000000000000000000000000000000000000aa";
const ECHO = "0x00000000000000000000000000000000000000bb";
const CONTRACT_SENDER = "0x00000000000000000000000000000000000000cc";
const word = (n: bigint | string) => `0x${BigInt(n).toString(16).padStart(64, "0")}`;
// Endless loops through each kind of taken jump the interpreter runs inline:
// JUMPDEST PUSH0 JUMP; JUMPDEST PUSH1 0 JUMP (fused); JUMPDEST PUSH1 1 PUSH1 0 JUMPI (fused).
const LOOPS = ["0x5b5f56", "0x5b600056", "0x5b6001600057"];
// Returns CALLER as a word: CALLER PUSH0 MSTORE PUSH1 32 PUSH0 RETURN.
const ECHO_CALLER = "0x335f5260205ff3";

let node: DevNode;
/** No gas cap (gas 2^63-1 by default) and a 50 ms EVM timeout: only the timeout ends a loop. */
let rpc: RpcHandler;

async function rpcError(h: RpcHandler, method: string, ...params: unknown[]): Promise<RpcError> {
  try {
    await h.call(method, params);
  } catch (err) {
    if (err instanceof RpcError) return err;
    throw err;
  }
  throw new Error(`${method} did not fail`);
}

beforeAll(() => {
  // Prague: no EIP-7825 cap on a call's gas.
  const json = devGenesisJson();
  delete (json.config as Record<string, unknown>).osakaTime;
  node = new DevNode({ genesis: parseGenesis(json), mining: false });
  rpc = new RpcHandler({ node, gasCap: 0n, evmTimeoutMs: 50, clientVersion: "Sonde/test" });
});
afterAll(() => node.close());

describe("goDuration", () => {
  it("writes durations as Go's time.Duration.String does", () => {
    expect(goDuration(5000)).toBe("5s");
    expect(goDuration(50)).toBe("50ms");
    expect(goDuration(1500)).toBe("1.5s");
    expect(goDuration(90_000)).toBe("1m30s");
    expect(goDuration(120_000)).toBe("2m0s");
    expect(goDuration(3_600_000)).toBe("1h0m0s");
    expect(goDuration(0.25)).toBe("250µs");
    expect(goDuration(1.5)).toBe("1.5ms");
    expect(goDuration(0)).toBe("0s");
  });
});

describe("callGas", () => {
  it("caps the gas by the RPC gas cap; a cap of 0 is none", () => {
    expect(callGas({}, 50_000_000n)).toBe(50_000_000n);
    expect(callGas({ gas: 60_000_000n }, 50_000_000n)).toBe(50_000_000n);
    expect(callGas({ gas: 30_000n }, 50_000_000n)).toBe(30_000n);
    expect(callGas({}, 0n)).toBe((1n << 63n) - 1n);
    expect(callGas({ gas: 1n << 62n }, 0n)).toBe(1n << 62n);
  });
});

describe("EVM timeout", () => {
  it("aborts an endless eth_call with go-ethereum's error", async () => {
    for (const code of LOOPS) {
      const start = performance.now();
      const err = await rpcError(rpc, "eth_call", { to: LOOP }, "latest", { [LOOP]: { code } });
      expect(err.code).toBe(-32000);
      expect(err.message).toBe("execution aborted (timeout = 50ms)");
      expect(performance.now() - start).toBeLessThan(2000);
    }
  });

  it("bounds eth_estimateGas and debug_traceCall too", async () => {
    const overrides = { [LOOP]: { code: LOOPS[0] } };
    const est = await rpcError(
      rpc,
      "eth_estimateGas",
      { to: LOOP, gas: "0x4000000000000000" },
      "latest",
      overrides,
    );
    expect(est.message).toBe("execution aborted (timeout = 50ms)");
    // debug_traceCall uses the tracer's timeout, and go-ethereum's tracer error text.
    for (const tracer of ["callTracer", "4byteTracer", "prestateTracer"]) {
      const start = performance.now();
      const t = await rpcError(rpc, "debug_traceCall", { to: LOOP }, "latest", {
        tracer,
        timeout: "50ms",
        stateOverrides: overrides,
      });
      expect(t.message).toBe("execution timeout");
      expect(performance.now() - start).toBeLessThan(2000);
    }
  });

  it("lets calls run to their end without a timeout, and in time with one", async () => {
    const untimed = new RpcHandler({ node, gasCap: 0n, evmTimeoutMs: 0, clientVersion: "Sonde/test" });
    const overrides = { [LOOP]: { code: LOOPS[1] } };
    const oog = await rpcError(untimed, "eth_call", { to: LOOP, gas: "0x989680" }, "latest", overrides);
    expect(oog.message).toBe("out of gas");
    const echo = { [ECHO]: { code: ECHO_CALLER } };
    const from = "0x00000000000000000000000000000000000000dd";
    expect(await rpc.call("eth_call", [{ from, to: ECHO }, "latest", echo])).toBe(word(from));
  });
});

describe("calls from a contract", () => {
  const overrides = { [ECHO]: { code: ECHO_CALLER }, [CONTRACT_SENDER]: { code: "0x00", balance: "0x0" } };

  it("eth_call, eth_estimateGas, eth_createAccessList and debug_traceCall accept a sender with code", async () => {
    const args = { from: CONTRACT_SENDER, to: ECHO };
    expect(await rpc.call("eth_call", [args, "latest", overrides])).toBe(word(CONTRACT_SENDER));
    // 21015 gas used; the search stops within go-ethereum's 1.5% error ratio above it.
    expect(await rpc.call("eth_estimateGas", [args, "latest", overrides])).toBe("0x52bc");
    const traced = (await rpc.call("debug_traceCall", [
      args,
      "latest",
      { tracer: "callTracer", stateOverrides: overrides },
    ])) as Record<string, unknown>;
    expect(traced.from).toBe(CONTRACT_SENDER);
    expect(traced.output).toBe(word(CONTRACT_SENDER));
    // A system contract of the dev chain: its own code, and funds for the priced call.
    const beaconRoots = "0x000f3df6d732807ef1319fb7b8bb8522d0beac02";
    const list = (await rpc.call("eth_createAccessList", [
      { from: beaconRoots, to: ECHO, gasPrice: "0x3b9aca00", gas: "0x30d40" },
      "latest",
      { [ECHO]: { code: ECHO_CALLER }, [beaconRoots]: { balance: "0xde0b6b3a7640000" } },
    ])) as Record<string, unknown>;
    expect(list.accessList).toEqual([]);
    expect(list.error).toBeUndefined();
  });

  it("ignores the nonce the call names, as go-ethereum's SkipNonceChecks", async () => {
    const args = { from: CONTRACT_SENDER, to: ECHO, nonce: "0x7" };
    expect(await rpc.call("eth_call", [args, "latest", overrides])).toBe(word(CONTRACT_SENDER));
  });
});
