/** The `web3` namespace: client version and keccak-256. */
import { bytesToHex } from "../primitives/hex.js";
import { keccak256 } from "../primitives/keccak.js";
import { args, param, readData } from "./params.js";
import type { Namespace, RpcEnv } from "./types.js";

export function web3Namespace(env: RpcEnv): Namespace {
  return {
    web3_clientVersion: () => env.clientVersion,
    web3_sha3: (p) => {
      args(p, 1, 1);
      return bytesToHex(keccak256(param(p, 0, readData)));
    },
  };
}
