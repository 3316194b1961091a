/** The `net` namespace: a dev node has no peers and is always listening. */
import { args } from "./params.js";
import type { Namespace, RpcEnv } from "./types.js";

export function netNamespace(env: RpcEnv): Namespace {
  return {
    // go-ethereum answers the network id, which for a dev chain is the chain id, in decimal.
    net_version: (p) => {
      args(p, 0, 0);
      return env.node.chainId.toString();
    },
    net_listening: (p) => {
      args(p, 0, 0);
      return true;
    },
    net_peerCount: (p) => {
      args(p, 0, 0);
      return "0x0";
    },
  };
}
