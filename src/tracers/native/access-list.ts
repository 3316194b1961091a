/**
 * The access-list tracer: collects the accounts and storage slots an execution touches,
 * as go-ethereum's logger.AccessListTracer (eth/tracers/logger/access_list_tracer.go),
 * which eth_createAccessList runs until the list stops changing.
 *
 * From each instruction, before it runs: SLOAD and SSTORE add (executing contract, slot);
 * EXTCODECOPY, EXTCODEHASH, EXTCODESIZE, BALANCE and SELFDESTRUCT add the address on top
 * of the stack; CALL, CALLCODE, DELEGATECALL and STATICCALL add their target address.
 * Addresses in the exclusion set (the sender, the recipient or created contract, the
 * precompiles, EIP-7702 authorities) are not added by address-taking instructions; a
 * slot access still adds its contract, as in go-ethereum. The result is sorted by
 * address, and each entry's slots by value.
 *
 * Also registered as `accessListTracer` for debug_trace* (a Sonde extension; go-ethereum
 * has no tracer by that name): there the exclusions are the transaction's sender, its
 * recipient (or created contract) and the precompiles of the fork, and the result is
 * `{"accessList": [...]}` in eth_createAccessList's shape.
 */
import { precompilesFor } from "../../evm/precompiles/index.js";
import type { Address } from "../../primitives/hex.js";
import type { Hooks, StepScope } from "../../tracing/hooks.js";
import type { AccessList } from "../../tx/types.js";
import { registerTracer } from "../registry.js";
import { readTracerConfig } from "../types.js";
import { JsonTracer } from "./simple.js";

const SLOAD = 0x54;
const SSTORE = 0x55;
const BALANCE = 0x31;
const EXTCODESIZE = 0x3b;
const EXTCODECOPY = 0x3c;
const EXTCODEHASH = 0x3f;
const SELFDESTRUCT = 0xff;
const CALL = 0xf1;
const CALLCODE = 0xf2;
const DELEGATECALL = 0xf4;
const STATICCALL = 0xfa;

const ADDRESS_MASK = (1n << 160n) - 1n;

function wordAddress(w: bigint): Address {
  return `0x${(w & ADDRESS_MASK).toString(16).padStart(40, "0")}`;
}

/** Accounts and their slots, with set semantics (go-ethereum's accessList map). */
export class AccessSet {
  private readonly entries = new Map<Address, Set<bigint>>();

  addAddress(address: Address): void {
    if (!this.entries.has(address)) this.entries.set(address, new Set());
  }

  addSlot(address: Address, slot: bigint): void {
    let slots = this.entries.get(address);
    if (slots === undefined) {
      slots = new Set();
      this.entries.set(address, slots);
    }
    slots.add(slot);
  }

  equals(other: AccessSet): boolean {
    if (this.entries.size !== other.entries.size) return false;
    for (const [address, slots] of this.entries) {
      const o = other.entries.get(address);
      if (o === undefined || o.size !== slots.size) return false;
      for (const s of slots) if (!o.has(s)) return false;
    }
    return true;
  }

  /** As a transaction access list: addresses ascending, slots ascending. */
  toList(): AccessList {
    const out: AccessList = [];
    for (const [address, slots] of this.entries) {
      out.push({ address, storageKeys: [...slots].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)) });
    }
    return out.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  }
}

/**
 * Collects an access list from onOpcode. `initial` pre-fills it (entries for excluded
 * addresses are dropped, as go-ethereum's NewAccessListTracer does).
 */
export class AccessListCollector {
  readonly set = new AccessSet();
  readonly hooks: Hooks;

  constructor(
    initial: AccessList,
    readonly exclude: ReadonlySet<Address>,
  ) {
    for (const e of initial) {
      if (exclude.has(e.address)) continue;
      this.set.addAddress(e.address);
      for (const s of e.storageKeys) this.set.addSlot(e.address, s);
    }
    this.hooks = { onOpcode: (_pc, op, _gas, _cost, scope) => this.step(op, scope) };
  }

  private step(op: number, scope: StepScope): void {
    const n = scope.stackSize;
    if ((op === SLOAD || op === SSTORE) && n >= 1) {
      this.set.addSlot(scope.address, scope.stack[n - 1]!);
      return;
    }
    if (
      (op === EXTCODECOPY ||
        op === EXTCODEHASH ||
        op === EXTCODESIZE ||
        op === BALANCE ||
        op === SELFDESTRUCT) &&
      n >= 1
    ) {
      const a = wordAddress(scope.stack[n - 1]!);
      if (!this.exclude.has(a)) this.set.addAddress(a);
      return;
    }
    if ((op === CALL || op === CALLCODE || op === DELEGATECALL || op === STATICCALL) && n >= 5) {
      const a = wordAddress(scope.stack[n - 2]!);
      if (!this.exclude.has(a)) this.set.addAddress(a);
    }
  }

  accessList(): AccessList {
    return this.set.toList();
  }

  equals(other: AccessListCollector): boolean {
    return this.set.equals(other.set);
  }
}

/** The collector as a registered tracer (see the module comment). */
class AccessListTracer extends JsonTracer {
  readonly name = "accessListTracer";
  readonly hooks: Hooks;
  private collector: AccessListCollector | null = null;

  constructor(precompiles: readonly Address[]) {
    super();
    let exclude: Set<Address> | null = null;
    this.hooks = {
      onTxStart: (tx) => {
        exclude = new Set([tx.from, ...precompiles]);
        if (tx.to !== null) exclude.add(tx.to);
      },
      onEnter: (depth, _kind, _from, to) => {
        if (depth !== 0 || this.collector !== null) return;
        const ex = exclude ?? new Set(precompiles);
        ex.add(to);
        this.collector = new AccessListCollector([], ex);
      },
      onOpcode: (pc, op, gas, cost, scope, depth, error) => {
        this.collector?.hooks.onOpcode?.(pc, op, gas, cost, scope, depth, error);
      },
    };
  }

  protected result(): unknown {
    const list = this.collector?.accessList() ?? [];
    return {
      accessList: list.map((e) => ({
        address: e.address,
        storageKeys: e.storageKeys.map((k) => `0x${k.toString(16).padStart(64, "0")}`),
      })),
    };
  }
}

registerTracer("accessListTracer", (config, ctx) => {
  readTracerConfig("accessListTracer", config, {});
  return new AccessListTracer([...precompilesFor(ctx.fork).keys()]);
});
