/**
 * Engine variants: Sonde's engine with one rule deliberately changed, for fault injection.
 *
 * A variant patches a copy of a fork's instruction table and precompile set; the EVM runs
 * with them when a BlockContext carries `jumpTable`/`precompiles` (the chain code attaches
 * them when its ChainSpec names a variant). `sonde node --engine-variant NAME` runs a whole
 * node this way, so a second node "implements" the chain slightly wrong — which is how
 * `sonde diff` is tested: it must name the exact transaction, call frame and opcode step
 * where such a node departs from a correct one. Nothing here is used unless asked for.
 *
 * Each variant changes observable behaviour only where its description says, so the first
 * divergence is predictable:
 * - sstore-gas:      SSTORE that sets a zero slot to non-zero costs 1 more gas.
 * - sha256-result:   the SHA-256 precompile (0x02) returns its digest with the first byte flipped.
 * - memory-boundary: an MSTORE that grows memory past 1024 bytes costs 3 more gas.
 * - refund:          an SSTORE that clears a slot refunds 1 more gas.
 * - create2-address: CREATE2 uses salt + 1 (so the new contract lands elsewhere).
 * - log-topic:       LOG1..LOG4 emit topic0 with its lowest bit flipped.
 */
import { InvalidInputError } from "../errors.js";
import type { Fork } from "./forks.js";
import type { Frame } from "./frame.js";
import { type DynamicGas, type Handler, type JumpTable, jumpTableFor } from "./jumptable.js";
import { type Precompile, precompilesFor } from "./precompiles/index.js";

export interface EngineVariant {
  readonly name: string;
  readonly description: string;
  /** The fork's instruction table with the change (cached per fork). */
  jumpTable(fork: Fork): JumpTable;
  /** The fork's precompiles with the change (cached per fork). */
  precompiles(fork: Fork): ReadonlyMap<string, Precompile>;
}

interface Patch {
  description: string;
  handlers?: Record<number, (orig: Handler) => Handler>;
  dynamicGas?: Record<number, (orig: DynamicGas | null, staticGas: number) => DynamicGas>;
  precompiles?: Record<string, (orig: Precompile) => Precompile>;
}

const SSTORE = 0x55;
const MSTORE = 0x52;
const CREATE2 = 0xf5;
const LOG1 = 0xa1;

const flipTopic0: (orig: Handler) => Handler = (orig) => (f: Frame) => {
  // LOGn stack, top first: offset, size, topic0, …
  if (f.sp >= 3) f.stack[f.sp - 3] = f.stack[f.sp - 3]! ^ 1n;
  orig(f);
};

const PATCHES: Record<string, Patch> = {
  "sstore-gas": {
    description: "SSTORE setting a zero slot to a non-zero value costs 1 more gas",
    dynamicGas: {
      [SSTORE]: (orig) => (f) => {
        const g = orig!(f);
        const slot = f.stack[f.sp - 1]!;
        const value = f.stack[f.sp - 2]!;
        if (g >= 0 && value !== 0n && f.evm.state.getStorage(f.address, slot) === 0n) return g + 1;
        return g;
      },
    },
  },
  "sha256-result": {
    description: "the SHA-256 precompile (0x02) returns its digest with the first byte flipped",
    precompiles: {
      "0x0000000000000000000000000000000000000002": (orig) => (input, gas) => {
        const r = orig(input, gas);
        if (r.error !== undefined || r.output.length === 0) return r;
        const output = r.output.slice();
        output[0] = output[0]! ^ 0xff;
        return { ...r, output };
      },
    },
  },
  "memory-boundary": {
    description: "an MSTORE that grows memory past 1024 bytes costs 3 more gas",
    dynamicGas: {
      [MSTORE]: (orig) => (f) => {
        const g = orig!(f);
        const end = f.stack[f.sp - 1]! + 32n;
        if (g > 0 && f.memSize <= 1024 && end > 1024n) return g + 3;
        return g;
      },
    },
  },
  refund: {
    description: "an SSTORE clearing a slot refunds 1 more gas",
    dynamicGas: {
      [SSTORE]: (orig) => (f) => {
        const slot = f.stack[f.sp - 1]!;
        const value = f.stack[f.sp - 2]!;
        const clears = value === 0n && f.evm.state.getStorage(f.address, slot) !== 0n;
        const g = orig!(f);
        if (clears && g >= 0 && f.gasError === null) f.evm.state.addRefund(1);
        return g;
      },
    },
  },
  "create2-address": {
    description: "CREATE2 uses salt + 1, so the contract is created at another address",
    handlers: {
      [CREATE2]: (orig) => (f) => {
        // CREATE2 stack, top first: value, offset, size, salt.
        if (f.sp >= 4) f.stack[f.sp - 4] = (f.stack[f.sp - 4]! + 1n) & ((1n << 256n) - 1n);
        orig(f);
      },
    },
  },
  "log-topic": {
    description: "LOG1..LOG4 emit topic0 with its lowest bit flipped",
    handlers: { [LOG1]: flipTopic0, [LOG1 + 1]: flipTopic0, [LOG1 + 2]: flipTopic0, [LOG1 + 3]: flipTopic0 },
  },
};

/** Names of the built-in variants. */
export const VARIANT_NAMES = Object.keys(PATCHES);

const cache = new Map<string, EngineVariant>();

/** The named variant; throws InvalidInputError listing the known names. */
export function engineVariant(name: string): EngineVariant {
  const hit = cache.get(name);
  if (hit !== undefined) return hit;
  const patch = PATCHES[name];
  if (patch === undefined) {
    throw new InvalidInputError(`unknown engine variant "${name}" (known: ${VARIANT_NAMES.join(", ")})`);
  }
  const tables = new Map<Fork, JumpTable>();
  const pcs = new Map<Fork, ReadonlyMap<string, Precompile>>();
  const v: EngineVariant = {
    name,
    description: patch.description,
    jumpTable(fork) {
      let t = tables.get(fork);
      if (t === undefined) {
        const base = jumpTableFor(fork);
        const handlers = base.handlers.slice();
        const dynamicGas = base.dynamicGas.slice();
        for (const [op, wrap] of Object.entries(patch.handlers ?? {})) {
          handlers[Number(op)] = wrap(base.handlers[Number(op)]!);
        }
        for (const [op, wrap] of Object.entries(patch.dynamicGas ?? {})) {
          dynamicGas[Number(op)] = wrap(base.dynamicGas[Number(op)] ?? null, base.staticGas[Number(op)]!);
        }
        t = { ...base, handlers, dynamicGas, tableOnly: true };
        tables.set(fork, t);
      }
      return t;
    },
    precompiles(fork) {
      let m = pcs.get(fork);
      if (m === undefined) {
        const copy = new Map(precompilesFor(fork));
        for (const [address, wrap] of Object.entries(patch.precompiles ?? {})) {
          const orig = copy.get(address);
          if (orig !== undefined) copy.set(address, wrap(orig));
        }
        m = copy;
        pcs.set(fork, m);
      }
      return m;
    },
  };
  cache.set(name, v);
  return v;
}
