/**
 * The precompiled contracts active in each fork, keyed by address (lowercase 0x + 40
 * hex characters). One table per fork, built on first request and cached.
 */
import { Fork } from "../forks.js";
import { blake2f } from "./blake2f.js";
import {
  blsG1Add,
  blsG1Msm,
  blsG2Add,
  blsG2Msm,
  blsMapFp2ToG2,
  blsMapFpToG1,
  blsPairingCheck,
} from "./bls12381.js";
import {
  bn254AddByzantium,
  bn254AddIstanbul,
  bn254MulByzantium,
  bn254MulIstanbul,
  bn254PairingByzantium,
  bn254PairingIstanbul,
} from "./bn254.js";
import { ecrecover } from "./ecrecover.js";
import { ripemd160, sha256 } from "./hashes.js";
import { identity } from "./identity.js";
import { pointEvaluation } from "./kzg.js";
import { modexpEip198, modexpEip2565, modexpEip7883 } from "./modexp.js";
import { p256Verify } from "./p256.js";
import type { Precompile } from "./types.js";

export type { Precompile, PrecompileResult } from "./types.js";

/** The address of precompile number `n` (0x01 … 0x100), in the map's key format. */
export function precompileAddress(n: number): string {
  return `0x${n.toString(16).padStart(40, "0")}`;
}

function build(fork: Fork): ReadonlyMap<string, Precompile> {
  const table = new Map<string, Precompile>();
  const add = (n: number, p: Precompile): void => {
    table.set(precompileAddress(n), p);
  };
  add(0x01, ecrecover);
  add(0x02, sha256);
  add(0x03, ripemd160);
  add(0x04, identity);
  if (fork >= Fork.Byzantium) {
    add(0x05, fork >= Fork.Osaka ? modexpEip7883 : fork >= Fork.Berlin ? modexpEip2565 : modexpEip198);
    const istanbul = fork >= Fork.Istanbul;
    add(0x06, istanbul ? bn254AddIstanbul : bn254AddByzantium);
    add(0x07, istanbul ? bn254MulIstanbul : bn254MulByzantium);
    add(0x08, istanbul ? bn254PairingIstanbul : bn254PairingByzantium);
  }
  if (fork >= Fork.Istanbul) add(0x09, blake2f);
  if (fork >= Fork.Cancun) add(0x0a, pointEvaluation);
  if (fork >= Fork.Prague) {
    add(0x0b, blsG1Add);
    add(0x0c, blsG1Msm);
    add(0x0d, blsG2Add);
    add(0x0e, blsG2Msm);
    add(0x0f, blsPairingCheck);
    add(0x10, blsMapFpToG1);
    add(0x11, blsMapFp2ToG2);
  }
  if (fork >= Fork.Osaka) add(0x100, p256Verify);
  return table;
}

const cache = new Map<Fork, ReadonlyMap<string, Precompile>>();

/** Precompiles active in a fork, keyed by address as lowercase 0x + 40 hex chars. */
export function precompilesFor(fork: Fork): ReadonlyMap<string, Precompile> {
  let table = cache.get(fork);
  if (table === undefined) {
    table = build(fork);
    cache.set(fork, table);
  }
  return table;
}
