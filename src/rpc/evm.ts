/**
 * The `evm` namespace: control of the development chain's clock and block production, as
 * anvil and Hardhat offer it, so test suites written for them run unchanged against
 * `sonde node`.
 *
 * - evm_mine([timestamp | {timestamp, blocks}]): seals blocks now (empty ones too).
 * - evm_setAutomine(bool): a block for each transaction on or off (off: transactions wait
 *   in the pool until evm_mine).
 * - evm_setNextBlockTimestamp(t): pins the next block's timestamp (after the head's).
 * - evm_increaseTime(seconds): moves the clock of later blocks forward.
 *
 * Like `debug`, it is served only on loopback addresses unless --http.api names it.
 */
import { bigintToHex } from "../primitives/hex.js";
import { RpcError } from "./errors.js";
import { args, param, readBool } from "./params.js";
import type { Namespace, RpcEnv } from "./types.js";

const INVALID_PARAMS = -32602;
/** Blocks one evm_mine may seal (a typo should not freeze the node). */
const MAX_MINE_BLOCKS = 10_000;

/** A timestamp or count: a JSON number or a hex quantity. */
function readUint(v: unknown, what: string): bigint {
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === "string" && /^0x[0-9a-fA-F]{1,16}$/.test(v)) return BigInt(v);
  throw new RpcError(
    INVALID_PARAMS,
    `${what}: expected a non-negative integer or hex quantity, got ${JSON.stringify(v)}`,
  );
}

export function evmNamespace(env: RpcEnv): Namespace {
  const { node } = env;
  return {
    evm_mine: (p) => {
      args(p, 1, 0);
      let blocks = 1n;
      const opt = p[0];
      if (opt !== undefined && opt !== null) {
        if (typeof opt === "object" && !Array.isArray(opt)) {
          const o = opt as Record<string, unknown>;
          for (const k of Object.keys(o)) {
            if (k !== "timestamp" && k !== "blocks")
              throw new RpcError(
                INVALID_PARAMS,
                `evm_mine: unknown option "${k}" (known: timestamp, blocks)`,
              );
          }
          if (o.timestamp !== undefined && o.timestamp !== null)
            node.setNextBlockTimestamp(readUint(o.timestamp, "evm_mine timestamp"));
          if (o.blocks !== undefined && o.blocks !== null) blocks = readUint(o.blocks, "evm_mine blocks");
        } else {
          node.setNextBlockTimestamp(readUint(opt, "evm_mine timestamp"));
        }
      }
      if (blocks > BigInt(MAX_MINE_BLOCKS))
        throw new RpcError(
          INVALID_PARAMS,
          `evm_mine: at most ${MAX_MINE_BLOCKS} blocks at once, asked for ${blocks}`,
        );
      for (let i = 0n; i < blocks; i++) node.seal({ allowEmpty: true });
      return "0x0";
    },
    evm_setAutomine: (p) => {
      args(p, 1, 1);
      node.sealer.setAutomine(param(p, 0, readBool));
      return true;
    },
    evm_setNextBlockTimestamp: (p) => {
      args(p, 1, 1);
      node.setNextBlockTimestamp(readUint(p[0], "evm_setNextBlockTimestamp"));
      return null;
    },
    evm_increaseTime: (p) => {
      args(p, 1, 1);
      return bigintToHex(node.increaseTime(readUint(p[0], "evm_increaseTime")));
    },
    evm_getAutomine: (p) => {
      args(p, 0, 0);
      return node.sealer.automine;
    },
  };
}
