/**
 * prestateTracer: the accounts a transaction touches, as they were before it ran, or
 * (diffMode) what changed: `{post, pre}` with unchanged accounts and fields left out.
 * Follows go-ethereum's native prestateTracer (eth/tracers/native/prestate.go) and its
 * JSON encoding (gen_account_json.go).
 *
 * Accounts are discovered as go-ethereum discovers them: at the start of the transaction
 * the sender, the recipient (or the address a creation will use), the coinbase, the
 * EIP-7702 authorities and the delegate of a delegated recipient; then, before each
 * instruction that did not fail to start, the accounts and slots it names: SLOAD/SSTORE
 * slots of the executing account, EXTCODE*, BALANCE and SELFDESTRUCT targets, CALL* targets
 * (and their delegates from Prague), CREATE/CREATE2 addresses. Values are read through
 * the state view given to onTxStart when an account or slot is first seen.
 *
 * Options (tracerConfig): diffMode, disableCode, disableStorage, includeEmpty (not with
 * diffMode). Without includeEmpty, accounts that did not exist before the transaction are
 * left out of `pre`.
 *
 * Diff mode compares the looked-up values with the state at onTxEnd. Accounts that
 * self-destructed (from Cancun: only those created by the transaction, EIP-6780) keep
 * their `pre` entry and get no `post` one. An account missing at onTxEnd reads as the
 * zero code hash, which go-ethereum reports as a change (`"codeHash": "0x00…"` in post):
 * with onTxEnd after the end-of-transaction cleanup (the default, as go-ethereum's RPC
 * path), this includes touched empty accounts the cleanup removed (e.g. a precompile
 * called with no value); with ApplyOptions.txEndBeforeFinalize (go-ethereum's tracer
 * tests) they still exist and are unchanged.
 */
import { parseDelegation } from "../../evm/delegation.js";
import { Fork } from "../../evm/forks.js";
import { create2Address, createAddress } from "../../primitives/address.js";
import { type Address, addressFromBigInt, bytesEqual, bytesToHex } from "../../primitives/hex.js";
import { KECCAK_EMPTY, keccak256 } from "../../primitives/keccak.js";
import { recoverAddress, SECP256K1_HALF_N, SECP256K1_N } from "../../primitives/secp256k1.js";
import type { ExecEnv, Hooks, StateView, TxEndInfo, TxStartInfo } from "../../tracing/hooks.js";
import { authorizationHash } from "../../tx/sender.js";
import type { Authorization } from "../../tx/types.js";
import { registerTracer } from "../registry.js";
import { readTracerConfig, type TracerContext, TracerError } from "../types.js";
import { memoryCopyPadded, stackBack } from "./keccak-preimage.js";
import { JsonTracer } from "./simple.js";

export interface PrestateTracerConfig {
  diffMode: boolean;
  disableCode: boolean;
  disableStorage: boolean;
  includeEmpty: boolean;
}

const DEFAULTS: PrestateTracerConfig = {
  diffMode: false,
  disableCode: false,
  disableStorage: false,
  includeEmpty: false,
};

const OP = {
  BALANCE: 0x31,
  EXTCODESIZE: 0x3b,
  EXTCODECOPY: 0x3c,
  EXTCODEHASH: 0x3f,
  SLOAD: 0x54,
  SSTORE: 0x55,
  CREATE: 0xf0,
  CALL: 0xf1,
  CALLCODE: 0xf2,
  DELEGATECALL: 0xf4,
  CREATE2: 0xf5,
  STATICCALL: 0xfa,
  SELFDESTRUCT: 0xff,
} as const;

const ZERO_HASH = new Uint8Array(32);

/** One account as go-ethereum's `account` struct holds it; null fields are omitted. */
interface Account {
  balance: bigint | null;
  /** null: omitted; an empty array encodes as "0x". */
  code: Uint8Array | null;
  codeHash: Uint8Array | null;
  nonce: bigint;
  /** null when storage is disabled (or not tracked); slot → value. */
  storage: Map<bigint, bigint> | null;
  /** The account did not exist (no nonce, code or balance) when it was looked up. */
  empty: boolean;
}

function word(v: bigint): string {
  return `0x${v.toString(16).padStart(64, "0")}`;
}

/** go-ethereum's codeHash as StateDB.GetCodeHash gives it: zero for a missing account. */
function codeHashOf(state: StateView, address: Address): Uint8Array {
  return state.getCodeHash(address) ?? ZERO_HASH;
}

/** An account as gen_account_json.go encodes it (field order, omitempty). */
function accountJson(acc: Account): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (acc.balance !== null) out.balance = `0x${acc.balance.toString(16)}`;
  if (acc.code !== null) out.code = bytesToHex(acc.code);
  if (acc.codeHash !== null) out.codeHash = bytesToHex(acc.codeHash);
  // uint64 nonces beyond 2^53 lose precision as JSON numbers (as in any JavaScript client).
  if (acc.nonce !== 0n) out.nonce = Number(acc.nonce);
  if (acc.storage !== null && acc.storage.size > 0) {
    const storage: Record<string, string> = {};
    for (const slot of [...acc.storage.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
      storage[word(slot)] = word(acc.storage.get(slot)!);
    }
    out.storage = storage;
  }
  return out;
}

/** A map of accounts with go-ethereum's key order (sorted addresses). */
function stateJson(map: Map<Address, Account>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const addr of [...map.keys()].sort()) out[addr] = accountJson(map.get(addr)!);
  return out;
}

/**
 * The signer of an EIP-7702 authorization as go-ethereum's Authority() recovers it: only
 * the signature values are checked (chain id and nonce are not), null when it does not recover.
 */
export function authorizationSigner(auth: Authorization): Address | null {
  if (auth.yParity !== 0 && auth.yParity !== 1) return null;
  if (auth.r === 0n || auth.r >= SECP256K1_N || auth.s === 0n || auth.s > SECP256K1_HALF_N) return null;
  return recoverAddress(authorizationHash(auth), auth.yParity, auth.r, auth.s);
}

class PrestateTracer extends JsonTracer {
  readonly name = "prestateTracer";
  readonly hooks: Hooks;
  private env: ExecEnv | null = null;
  private readonly pre = new Map<Address, Account>();
  private readonly post = new Map<Address, Account>();
  private readonly created = new Set<Address>();
  private readonly deleted = new Set<Address>();

  constructor(
    private readonly config: PrestateTracerConfig,
    private readonly fork: Fork,
  ) {
    super();
    this.hooks = {
      onTxStart: (tx, env) => {
        if (this.stopped === null) this.onTxStart(tx, env);
      },
      onTxEnd: (result) => {
        if (this.stopped === null) this.onTxEnd(result);
      },
      onOpcode: (_pc, op, _gas, _cost, scope, _depth, error) => {
        if (error !== null || this.stopped !== null || this.env === null) return;
        this.onOpcode(op, scope);
      },
    };
  }

  private get activeFork(): Fork {
    return this.env?.fork ?? this.fork;
  }

  private onTxStart(tx: TxStartInfo, env: ExecEnv): void {
    this.env = env;
    const state = env.state;
    let to: Address;
    if (tx.to === null) {
      to = createAddress(tx.from, state.getNonce(tx.from));
      this.created.add(to);
    } else {
      to = tx.to;
      if (env.fork >= Fork.Prague) {
        const target = parseDelegation(state.getCode(to));
        if (target !== null) this.lookupAccount(target);
      }
    }
    this.lookupAccount(tx.from);
    this.lookupAccount(to);
    this.lookupAccount(env.block.coinbase);
    // Authorities as they are before their authorizations apply (invalid ones included).
    for (const auth of tx.authorizationList ?? []) {
      const authority = authorizationSigner(auth);
      if (authority !== null) this.lookupAccount(authority);
    }
  }

  private onOpcode(op: number, scope: Parameters<NonNullable<Hooks["onOpcode"]>>[4]): void {
    const state = this.env!.state;
    const n = scope.stackSize;
    const caller = scope.address;
    switch (op) {
      case OP.SLOAD:
      case OP.SSTORE:
        if (n >= 1) this.lookupStorage(caller, stackBack(scope, 0));
        return;
      case OP.EXTCODECOPY:
      case OP.EXTCODEHASH:
      case OP.EXTCODESIZE:
      case OP.BALANCE:
      case OP.SELFDESTRUCT:
        if (n < 1) return;
        this.lookupAccount(addressFromBigInt(BigInt.asUintN(160, stackBack(scope, 0))));
        if (op === OP.SELFDESTRUCT) {
          // EIP-6780: from Cancun only an account created by this transaction is deleted.
          if (this.activeFork < Fork.Cancun || this.created.has(caller)) this.deleted.add(caller);
        }
        return;
      case OP.DELEGATECALL:
      case OP.CALL:
      case OP.STATICCALL:
      case OP.CALLCODE: {
        if (n < 5) return;
        const addr = addressFromBigInt(BigInt.asUintN(160, stackBack(scope, 1)));
        this.lookupAccount(addr);
        if (this.activeFork >= Fork.Prague) {
          const target = parseDelegation(state.getCode(addr));
          if (target !== null) this.lookupAccount(target);
        }
        return;
      }
      case OP.CREATE: {
        const addr = createAddress(caller, state.getNonce(caller));
        this.lookupAccount(addr);
        this.created.add(addr);
        return;
      }
      case OP.CREATE2: {
        if (n < 4) return;
        const init = memoryCopyPadded(scope, stackBack(scope, 1), stackBack(scope, 2));
        if (init === null) return;
        const addr = create2Address(caller, stackBack(scope, 3), keccak256(init));
        this.lookupAccount(addr);
        this.created.add(addr);
        return;
      }
    }
  }

  private onTxEnd(result: TxEndInfo): void {
    if (result.invalid !== undefined) return;
    if (this.config.diffMode) this.processDiffState();
    if (this.config.includeEmpty) return;
    for (const [addr, acc] of this.pre) if (acc.empty) this.pre.delete(addr);
  }

  /** Keeps in `pre` and `post` only what changed (go-ethereum's processDiffState). */
  private processDiffState(): void {
    if (this.env === null) return;
    const state = this.env.state;
    for (const [addr, prev] of this.pre) {
      // A deleted account keeps its pre-state and has no post-state.
      if (this.deleted.has(addr)) continue;
      let modified = false;
      const post: Account = {
        balance: null,
        code: null,
        codeHash: null,
        nonce: 0n,
        storage: new Map(),
        empty: false,
      };
      const balance = state.getBalance(addr);
      if (balance !== prev.balance) {
        modified = true;
        post.balance = balance;
      }
      const nonce = state.getNonce(addr);
      if (nonce !== prev.nonce) {
        modified = true;
        post.nonce = nonce;
      }
      // Codeless accounts have no codeHash in `pre`; compare them as the empty-code hash.
      // (A missing account reads as the zero hash, which then counts as a change.)
      const codeHash = codeHashOf(state, addr);
      if (!bytesEqual(codeHash, prev.codeHash ?? KECCAK_EMPTY)) {
        modified = true;
        post.codeHash = codeHash;
      }
      if (!this.config.disableCode) {
        const code = state.getCode(addr);
        if (!bytesEqual(code, prev.code ?? new Uint8Array(0))) {
          modified = true;
          post.code = code.slice();
        }
      }
      if (!this.config.disableStorage && prev.storage !== null) {
        for (const [slot, value] of prev.storage) {
          // Slots that were empty before are never shown in `pre`.
          if (value === 0n) prev.storage.delete(slot);
          const now = state.getStorage(addr, slot);
          if (now === value) {
            prev.storage.delete(slot);
          } else {
            modified = true;
            if (now !== 0n) post.storage!.set(slot, now);
          }
        }
      }
      if (modified) this.post.set(addr, post);
      else this.pre.delete(addr);
    }
  }

  /** Adds an account to `pre` the first time it is seen. */
  private lookupAccount(addr: Address): void {
    if (this.pre.has(addr)) return;
    const state = this.env!.state;
    const code = state.getCode(addr);
    const hash = codeHashOf(state, addr);
    const acc: Account = {
      balance: state.getBalance(addr),
      code: code.length > 0 ? code.slice() : null,
      codeHash: bytesEqual(hash, ZERO_HASH) || bytesEqual(hash, KECCAK_EMPTY) ? null : hash.slice(),
      nonce: state.getNonce(addr),
      storage: null,
      empty: false,
    };
    acc.empty = !(acc.nonce > 0n || acc.code !== null || acc.balance !== 0n);
    // The code is read first: it counts for the emptiness check above.
    if (this.config.disableCode) acc.code = null;
    if (!this.config.disableStorage) acc.storage = new Map();
    this.pre.set(addr, acc);
  }

  /** Adds a slot of an account already in `pre` the first time it is seen. */
  private lookupStorage(addr: Address, slot: bigint): void {
    if (this.config.disableStorage) return;
    // go-ethereum assumes the executing account was looked up; make sure of it.
    if (!this.pre.has(addr)) this.lookupAccount(addr);
    const storage = this.pre.get(addr)!.storage!;
    if (storage.has(slot)) return;
    storage.set(slot, this.env!.state.getStorage(addr, slot));
  }

  protected result(): unknown {
    if (this.config.diffMode) return { post: stateJson(this.post), pre: stateJson(this.pre) };
    return stateJson(this.pre);
  }
}

registerTracer("prestateTracer", (raw, ctx: TracerContext) => {
  const config = readTracerConfig("prestateTracer", raw, DEFAULTS);
  if (config.diffMode && config.includeEmpty) {
    throw new TracerError("cannot use diffMode with includeEmpty");
  }
  return new PrestateTracer(config, ctx.fork);
});
