import { describe, expect, it } from "vitest";
import { Fork } from "../evm/forks.js";
import { parseReplayOptions } from "./replay.js";

const HASH = `0x${"ab".repeat(32)}`;

describe("parseReplayOptions", () => {
  it("reads a transaction replay with repeated headers; the default tracer is callTracer with logs", () => {
    const o = parseReplayOptions(
      [
        HASH.toUpperCase().replace("0X", "0x"),
        "--rpc",
        "http://x",
        "--header",
        "Authorization: Bearer abc",
        "--header=X-Api-Key:k1",
      ],
      {},
    );
    expect(o).toEqual({
      rpc: "http://x",
      headers: { Authorization: "Bearer abc", "X-Api-Key": "k1" },
      hash: HASH,
      trace: { tracer: "callTracer", tracerConfig: { withLog: true } },
      json: false,
      quiet: false,
    });
  });

  it("reads --block, --tracer, --tracer-config, --timeout, --fork, --chain, --json, --quiet", () => {
    const o = parseReplayOptions(
      [
        "--block",
        "0x10",
        "--tracer",
        "prestateTracer",
        "--tracer-config",
        '{"diffMode":true}',
        "--timeout",
        "30s",
        "--fork",
        "cancun",
        "--chain",
        "sepolia",
        "--json",
        "--quiet",
      ],
      { ETH_RPC_URL: "http://env" },
    );
    expect(o).toEqual({
      rpc: "http://env",
      headers: {},
      block: 16n,
      trace: { tracer: "prestateTracer", tracerConfig: { diffMode: true }, timeout: "30s" },
      json: true,
      quiet: true,
      fork: Fork.Cancun,
      chain: "sepolia",
    });
  });

  it("reads --rpc-timeout as a Go duration and refuses anything else", () => {
    const o = parseReplayOptions([HASH, "--rpc", "http://x", "--rpc-timeout", "1m30s"], {});
    expect(o).toMatchObject({ rpcTimeoutMs: 90_000 });
    expect(parseReplayOptions([HASH, "--rpc", "http://x", "--rpc-timeout", "500ms"], {})).toMatchObject({
      rpcTimeoutMs: 500,
    });
    for (const bad of ["10", "0", "soon"]) {
      expect(() => parseReplayOptions([HASH, "--rpc", "http://x", "--rpc-timeout", bad], {})).toThrow(
        `--rpc-timeout: expected a duration above zero such as 10s or 500ms, got "${bad}"`,
      );
    }
  });

  it("names what is wrong", () => {
    const p =
      (...args: string[]) =>
      () =>
        parseReplayOptions(args, {});
    expect(p(HASH)).toThrow("--rpc URL is required (or set ETH_RPC_URL)");
    expect(p("--rpc", "http://x")).toThrow("no transaction hash given (or use --block N)");
    expect(p("0x12", "--rpc", "http://x")).toThrow('not a transaction hash: "0x12"');
    expect(p(HASH, "--block", "1", "--rpc", "http://x")).toThrow(
      "give either a transaction hash or --block, not both",
    );
    expect(p(HASH, "--rpc", "http://x", "--header", "no-colon")).toThrow(
      '--header: expected "Name: value", got "no-colon"',
    );
    expect(p(HASH, "--rpc", "http://x", "--header")).toThrow("option --header needs a value");
    expect(p(HASH, "--rpc", "http://x", "--tracer-config", "{")).toThrow(/--tracer-config: invalid JSON/);
    expect(p(HASH, "--rpc", "http://x", "--fork", "Atlantis")).toThrow('--fork: unknown fork "Atlantis"');
    expect(p(HASH, "--rpc", "http://x", "--colour")).toThrow("unknown option --colour");
    expect(parseReplayOptions(["--help"], {})).toBe("help");
  });

  it("names a single-dash option as an unknown option, not as an extra argument; -h is --help", () => {
    const p =
      (...args: string[]) =>
      () =>
        parseReplayOptions(args, {});
    expect(p(HASH, "-q", "--rpc", "http://x")).toThrow("unknown option -q (options are spelled --name)");
    expect(p(HASH, "--rpc", "http://x", "-json")).toThrow(
      "unknown option -json (options are spelled --name)",
    );
    expect(parseReplayOptions(["-h"], {})).toBe("help");
  });
});
