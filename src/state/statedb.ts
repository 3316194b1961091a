/**
 * The state database the EVM executes against: accounts, storage, code, with a journal
 * for snapshots and reverts, warm/cold access sets (EIP-2929/2930), transient storage
 * (EIP-1153), the refund counter, logs, and the end-of-transaction rules (EIP-158/161
 * empty-account deletion, SELFDESTRUCT, EIP-6780).
 *
 * Reads go to a synchronous `StateReader` backend the first time an account or slot is
 * touched and are cached here; the interpreter never awaits. Everything is journaled so a
 * revert is exact, including what a tracer was told: reverted changes are not re-reported.
 *
 * State roots: when the backend offers its tries (`StateReader.tries`: a sealed
 * MemoryState, the in-memory chain store's snapshots; the LMDB store's last blocks) the
 * root is those persistent tries (./ptrie.ts) updated with this StateDB's
 * `changedAccounts` (`derivedTries`), so a block costs its changes, not the whole state,
 * and the store keeps the same derived tries for the next block. Over any other backend (state tests,
 * remote state, older LMDB states) the root is built from every account (`entries`).
 * SONDE_CHECK_ROOTS=1 computes both ways and throws when they differ.
 */

import { type Address, bigintToBytes, bytesEqual, bytesToHexRaw, hexToBytes } from "../primitives/hex.js";
import { KECCAK_EMPTY, keccak256 } from "../primitives/keccak.js";
import { rlpEncode } from "../primitives/rlp.js";
import {
  BalanceChangeReason,
  CodeChangeReason,
  type Hooks,
  type LogRecord,
  type NonceChangeReason,
} from "../tracing/hooks.js";
import { PTrie } from "./ptrie.js";
import { EMPTY_TRIE_ROOT, secureTrieRoot } from "./trie.js";

export interface AccountData {
  nonce: bigint;
  balance: bigint;
  code: Uint8Array;
  /** Storage as held by the backend (values never 0). */
  storage: Map<bigint, bigint>;
}

/** Synchronous read access to a state the StateDB starts from. */
export interface StateReader {
  getAccount(address: Address): AccountData | undefined;
  /**
   * Every account of the state (optional). A StateDB needs it to compute the state root
   * or list every account (`entries`); without it only accounts it loaded are seen.
   */
  entries?(): Iterable<[Address, AccountData]>;
  /**
   * The state's tries, when the backend keeps them (optional): they must hold exactly
   * what `entries` holds. State roots over this backend then cost only the changes.
   */
  tries?(): StateTries | undefined;
}

/** A state's persistent tries (see StateReader.tries). */
export interface StateTries {
  readonly accounts: PTrie;
  /** The storage trie of `address` in this state (empty when it has no storage). */
  storage(address: Address): PTrie;
}

/** A backend holding everything in memory (state tests, `sonde run`). */
export class MemoryState implements StateReader {
  readonly accounts = new Map<Address, AccountData>();
  /**
   * Set on the chain store's snapshots, whose accounts, storage maps and code are never
   * changed once made: their tries may then be kept and reused (see the header).
   */
  sealed = false;
  /** The account trie of a sealed state, once built or derived. */
  accountTrie: PTrie | undefined;
  getAccount(address: Address): AccountData | undefined {
    return this.accounts.get(address);
  }
  entries(): Iterable<[Address, AccountData]> {
    return this.accounts.entries();
  }
  tries(): StateTries | undefined {
    if (!this.sealed) return undefined;
    return {
      accounts: accountTrieOf(this),
      storage: (address) => {
        const data = this.accounts.get(address);
        return data === undefined ? PTrie.EMPTY : storageTrieOf(data);
      },
    };
  }
}

/**
 * One account's net change relative to the StateDB's backend, from `changedAccounts`.
 * Applying every change to the backend yields the StateDB's current state.
 */
export interface AccountChange {
  address: Address;
  /** The account's final nonce, balance and code; undefined when it no longer exists. */
  account: { nonce: bigint; balance: bigint; code: Uint8Array } | undefined;
  /**
   * True when the storage the backend held for the account is gone as a whole (the
   * account was deleted, or destroyed and created again); the slots in `storage` then
   * apply on top of empty storage.
   */
  storageReset: boolean;
  /** Slots whose value differs from the backend's (after any reset), with final values; 0 = cleared. */
  storage: Map<bigint, bigint>;
}

class Account {
  nonce: bigint;
  balance: bigint;
  code: Uint8Array;
  codeHash: Uint8Array | undefined;
  /** Current storage values (0 = empty), only slots read or written. */
  storage: Map<bigint, bigint>;
  /** Values at the start of the transaction (EIP-2200 "original"). */
  committed: Map<bigint, bigint>;
  /** Backend storage, consulted for slots not yet loaded; null once the account was recreated. */
  base: Map<bigint, bigint> | null;
  selfDestructed = false;
  /** Created in the current transaction (EIP-6780). */
  newInTx = false;

  constructor(nonce: bigint, balance: bigint, code: Uint8Array, base: Map<bigint, bigint> | null) {
    this.nonce = nonce;
    this.balance = balance;
    this.code = code;
    this.codeHash = code.length === 0 ? KECCAK_EMPTY : undefined;
    this.storage = new Map();
    this.committed = new Map();
    this.base = base;
  }

  isEmpty(): boolean {
    return this.nonce === 0n && this.balance === 0n && this.code.length === 0;
  }
}

const J_BALANCE = 0;
const J_NONCE = 1;
const J_CODE = 2;
const J_STORAGE = 3;
const J_CREATE = 4; // account object replaced or created: prev is the old Account | undefined
const J_SELFDESTRUCT = 5;
const J_TOUCH = 6;
const J_WARM_ADDR = 7;
const J_WARM_SLOT = 8;
const J_TRANSIENT = 9;
const J_REFUND = 10;
const J_LOG = 11;

interface JournalEntry {
  kind: number;
  address: Address;
  prev: unknown;
  key?: bigint;
  extra?: unknown;
}

const RIPEMD = "0x0000000000000000000000000000000000000003";

export class StateDB {
  private readonly accounts = new Map<Address, Account | null>();
  private journal: JournalEntry[] = [];
  private touched = new Set<Address>();
  private warmAddresses = new Set<Address>();
  private warmSlots = new Map<Address, Set<bigint>>();
  private transient = new Map<Address, Map<bigint, bigint>>();
  refund = 0;
  logs: LogRecord[] = [];
  hooks: Hooks | null = null;

  /** What the backend held for each address loaded (for `changedAccounts`). */
  private readonly origins = new Map<Address, AccountData | undefined>();
  /** The last `derivedTries` result, with the backend trie and the changes it came from. */
  private derived: { base: PTrie; changes: AccountChange[]; tries: DerivedTries } | null = null;

  constructor(readonly reader: StateReader) {}

  // ---- loading ----

  private load(address: Address): Account | null {
    let acc = this.accounts.get(address);
    if (acc !== undefined) return acc;
    const data = this.reader.getAccount(address);
    this.origins.set(address, data);
    acc = data ? new Account(data.nonce, data.balance, data.code, data.storage) : null;
    this.accounts.set(address, acc);
    return acc;
  }

  private getOrNew(address: Address): Account {
    let acc = this.load(address);
    if (acc === null) {
      acc = new Account(0n, 0n, new Uint8Array(0), null);
      this.journal.push({ kind: J_CREATE, address, prev: null });
      this.accounts.set(address, acc);
    }
    return acc;
  }

  // ---- queries ----

  exists(address: Address): boolean {
    return this.load(address) !== null;
  }

  /** Exists and is not empty (EIP-161). */
  isEmpty(address: Address): boolean {
    const acc = this.load(address);
    return acc === null || acc.isEmpty();
  }

  getBalance(address: Address): bigint {
    return this.load(address)?.balance ?? 0n;
  }

  getNonce(address: Address): bigint {
    return this.load(address)?.nonce ?? 0n;
  }

  getCode(address: Address): Uint8Array {
    return this.load(address)?.code ?? EMPTY_CODE;
  }

  /** keccak of the code; zero bytes (empty hash per EIP-1052) for a non-existent account. */
  getCodeHash(address: Address): Uint8Array | null {
    const acc = this.load(address);
    if (acc === null) return null;
    if (acc.codeHash === undefined) acc.codeHash = keccak256(acc.code);
    return acc.codeHash;
  }

  getStorage(address: Address, slot: bigint): bigint {
    const acc = this.load(address);
    if (acc === null) return 0n;
    const v = acc.storage.get(slot);
    if (v !== undefined) return v;
    const b = acc.base?.get(slot) ?? 0n;
    acc.storage.set(slot, b);
    acc.committed.set(slot, b);
    return b;
  }

  /** Value at the start of the transaction. */
  getCommittedStorage(address: Address, slot: bigint): bigint {
    const acc = this.load(address);
    if (acc === null) return 0n;
    this.getStorage(address, slot);
    return acc.committed.get(slot) ?? 0n;
  }

  /** True when the account has any non-zero storage (EIP-7610 collision rule). */
  hasStorage(address: Address): boolean {
    const acc = this.load(address);
    if (acc === null) return false;
    for (const v of acc.storage.values()) if (v !== 0n) return true;
    if (acc.base) for (const [k, v] of acc.base) if (v !== 0n && !acc.storage.has(k)) return true;
    return false;
  }

  hasSelfDestructed(address: Address): boolean {
    return this.load(address)?.selfDestructed ?? false;
  }

  isNewInTx(address: Address): boolean {
    return this.load(address)?.newInTx ?? false;
  }

  // ---- mutation ----

  touch(address: Address): void {
    this.getOrNew(address);
    if (!this.touched.has(address)) {
      this.touched.add(address);
      this.journal.push({ kind: J_TOUCH, address, prev: null });
    }
  }

  setBalance(address: Address, value: bigint, reason: BalanceChangeReason): void {
    const acc = this.getOrNew(address);
    this.touch(address);
    const prev = acc.balance;
    this.journal.push({ kind: J_BALANCE, address, prev });
    acc.balance = value;
    if (this.hooks?.onBalanceChange && prev !== value)
      this.hooks.onBalanceChange(address, prev, value, reason);
  }

  addBalance(address: Address, amount: bigint, reason: BalanceChangeReason): void {
    this.setBalance(address, this.getBalance(address) + amount, reason);
  }

  subBalance(address: Address, amount: bigint, reason: BalanceChangeReason): void {
    this.setBalance(address, this.getBalance(address) - amount, reason);
  }

  setNonce(address: Address, value: bigint, reason: NonceChangeReason): void {
    const acc = this.getOrNew(address);
    const prev = acc.nonce;
    this.journal.push({ kind: J_NONCE, address, prev });
    acc.nonce = value;
    if (this.hooks?.onNonceChange) this.hooks.onNonceChange(address, prev, value, reason);
  }

  setCode(address: Address, code: Uint8Array, reason: CodeChangeReason): void {
    const acc = this.getOrNew(address);
    const prevCode = acc.code;
    const prevHash = acc.codeHash;
    this.journal.push({ kind: J_CODE, address, prev: prevCode, extra: prevHash });
    acc.code = code;
    acc.codeHash = code.length === 0 ? KECCAK_EMPTY : undefined;
    if (this.hooks?.onCodeChange) {
      this.hooks.onCodeChange(
        address,
        prevHash ?? keccak256(prevCode),
        prevCode,
        this.getCodeHash(address)!,
        code,
        reason,
      );
    }
  }

  setStorage(address: Address, slot: bigint, value: bigint): void {
    const prev = this.getStorage(address, slot);
    const acc = this.load(address)!;
    this.journal.push({ kind: J_STORAGE, address, prev, key: slot });
    acc.storage.set(slot, value);
    if (this.hooks?.onStorageChange) this.hooks.onStorageChange(address, slot, prev, value);
  }

  /**
   * Makes a fresh account at `address` for a contract creation, keeping any balance
   * already there; storage is cleared (EIP-7610 leaves creation at an address with
   * storage to fail earlier).
   */
  createAccount(address: Address): void {
    const prev = this.load(address);
    const acc = new Account(0n, prev?.balance ?? 0n, EMPTY_CODE, null);
    acc.newInTx = true;
    this.journal.push({ kind: J_CREATE, address, prev });
    this.accounts.set(address, acc);
  }

  /** Marks for deletion at the end of the transaction (or only empties the balance per EIP-6780). */
  selfDestruct(address: Address): void {
    const acc = this.load(address);
    if (acc === null) return;
    this.journal.push({ kind: J_SELFDESTRUCT, address, prev: acc.selfDestructed, extra: acc.balance });
    acc.selfDestructed = true;
    const prev = acc.balance;
    acc.balance = 0n;
    if (prev !== 0n && this.hooks?.onBalanceChange)
      this.hooks.onBalanceChange(address, prev, 0n, BalanceChangeReason.SelfDestruct);
  }

  // ---- access lists (EIP-2929) ----

  isWarmAddress(address: Address): boolean {
    return this.warmAddresses.has(address);
  }

  /** Marks the address warm; returns true when it was cold. */
  warmAddress(address: Address): boolean {
    if (this.warmAddresses.has(address)) return false;
    this.warmAddresses.add(address);
    this.journal.push({ kind: J_WARM_ADDR, address, prev: null });
    return true;
  }

  /** Marks the slot warm; returns true when it was cold. */
  warmSlot(address: Address, slot: bigint): boolean {
    let set = this.warmSlots.get(address);
    if (set === undefined) {
      set = new Set();
      this.warmSlots.set(address, set);
    }
    if (set.has(slot)) return false;
    set.add(slot);
    this.journal.push({ kind: J_WARM_SLOT, address, prev: null, key: slot });
    return true;
  }

  isWarmSlot(address: Address, slot: bigint): boolean {
    return this.warmSlots.get(address)?.has(slot) ?? false;
  }

  // ---- transient storage (EIP-1153) ----

  getTransient(address: Address, slot: bigint): bigint {
    return this.transient.get(address)?.get(slot) ?? 0n;
  }

  setTransient(address: Address, slot: bigint, value: bigint): void {
    let m = this.transient.get(address);
    if (m === undefined) {
      m = new Map();
      this.transient.set(address, m);
    }
    this.journal.push({ kind: J_TRANSIENT, address, prev: m.get(slot) ?? 0n, key: slot });
    m.set(slot, value);
  }

  // ---- refunds and logs ----

  addRefund(n: number): void {
    this.journal.push({ kind: J_REFUND, address: "", prev: this.refund });
    this.refund += n;
  }

  subRefund(n: number): void {
    this.journal.push({ kind: J_REFUND, address: "", prev: this.refund });
    this.refund -= n;
  }

  addLog(log: LogRecord): void {
    this.journal.push({ kind: J_LOG, address: "", prev: null });
    this.logs.push(log);
    if (this.hooks?.onLog) this.hooks.onLog(log);
  }

  // ---- snapshots ----

  snapshot(): number {
    return this.journal.length;
  }

  revert(snapshot: number): void {
    const j = this.journal;
    while (j.length > snapshot) {
      const e = j.pop()!;
      switch (e.kind) {
        case J_BALANCE:
          this.accounts.get(e.address)!.balance = e.prev as bigint;
          break;
        case J_NONCE:
          this.accounts.get(e.address)!.nonce = e.prev as bigint;
          break;
        case J_CODE: {
          const acc = this.accounts.get(e.address)!;
          acc.code = e.prev as Uint8Array;
          acc.codeHash = e.extra as Uint8Array | undefined;
          break;
        }
        case J_STORAGE:
          this.accounts.get(e.address)!.storage.set(e.key!, e.prev as bigint);
          break;
        case J_CREATE:
          this.accounts.set(e.address, e.prev as Account | null);
          break;
        case J_SELFDESTRUCT: {
          const acc = this.accounts.get(e.address)!;
          acc.selfDestructed = e.prev as boolean;
          acc.balance = e.extra as bigint;
          break;
        }
        case J_TOUCH:
          // go-ethereum keeps the RIPEMD precompile touched across reverts (the
          // mainnet quirk of block 2675119); the state tests expect the same.
          if (e.address !== RIPEMD) this.touched.delete(e.address);
          break;
        case J_WARM_ADDR:
          this.warmAddresses.delete(e.address);
          break;
        case J_WARM_SLOT:
          this.warmSlots.get(e.address)!.delete(e.key!);
          break;
        case J_TRANSIENT:
          this.transient.get(e.address)!.set(e.key!, e.prev as bigint);
          break;
        case J_REFUND:
          this.refund = e.prev as number;
          break;
        case J_LOG:
          this.logs.pop();
          break;
      }
    }
  }

  // ---- transaction boundaries ----

  /** Clears per-transaction state: access lists, transient storage, refund, logs, journal. */
  beginTransaction(): void {
    this.journal = [];
    this.warmAddresses.clear();
    this.warmSlots.clear();
    this.transient.clear();
    this.refund = 0;
    this.logs = [];
  }

  /**
   * End-of-transaction rules: self-destructed accounts are removed, and with EIP-161
   * (`deleteEmpty`) touched empty accounts too. Storage becomes the new "original".
   */
  finalizeTransaction(deleteEmpty: boolean): void {
    for (const [address, acc] of this.accounts) {
      if (acc === null) continue;
      if (acc.selfDestructed) {
        this.accounts.set(address, null);
        if (this.hooks?.onCodeChange && acc.code.length > 0) {
          this.hooks.onCodeChange(
            address,
            this.getCodeHashOf(acc),
            acc.code,
            KECCAK_EMPTY,
            EMPTY_CODE,
            CodeChangeReason.SelfDestruct,
          );
        }
        continue;
      }
      if (deleteEmpty && this.touched.has(address) && acc.isEmpty()) {
        this.accounts.set(address, null);
        continue;
      }
      for (const [k, v] of acc.storage) acc.committed.set(k, v);
      acc.newInTx = false;
    }
    this.touched.clear();
    this.journal = [];
  }

  private getCodeHashOf(acc: Account): Uint8Array {
    if (acc.codeHash === undefined) acc.codeHash = keccak256(acc.code);
    return acc.codeHash;
  }

  /**
   * The net changes against the backend: every account whose nonce, balance, code or
   * storage differs from what the backend held, including accounts that were deleted
   * (`account` undefined). Meant to be called after `finalizeTransaction` (at the end of
   * a block), when nothing is pending in the journal; a persistent store writes these
   * changes instead of the whole state. Accounts only read, or changed and changed
   * back, are left out.
   */
  changedAccounts(): AccountChange[] {
    const out: AccountChange[] = [];
    for (const [address, acc] of this.accounts) {
      const orig = this.origins.get(address);
      if (acc === null) {
        if (orig !== undefined)
          out.push({ address, account: undefined, storageReset: true, storage: new Map() });
        continue;
      }
      // A recreated account no longer reads through to the backend's storage map.
      const storageReset = orig !== undefined && acc.base !== orig.storage;
      const storage = new Map<bigint, bigint>();
      for (const [k, v] of acc.storage) {
        const before = storageReset ? 0n : (acc.base?.get(k) ?? 0n);
        if (v !== before) storage.set(k, v);
      }
      const same =
        orig !== undefined &&
        orig.nonce === acc.nonce &&
        orig.balance === acc.balance &&
        (orig.code === acc.code || bytesEqual(orig.code, acc.code));
      if (same && !storageReset && storage.size === 0) continue;
      out.push({
        address,
        account: { nonce: acc.nonce, balance: acc.balance, code: acc.code },
        storageReset: storageReset && (orig?.storage.size ?? 0) > 0,
        storage,
      });
    }
    return out;
  }

  // ---- roots and dumps ----

  /** Every account as it stands (backend accounts merged with changes), for roots and dumps. */
  *entries(): Generator<[Address, AccountData]> {
    const seen = new Set<Address>();
    for (const [address, acc] of this.accounts) {
      seen.add(address);
      if (acc === null) continue;
      const storage = new Map<bigint, bigint>();
      if (acc.base) for (const [k, v] of acc.base) if (v !== 0n) storage.set(k, v);
      for (const [k, v] of acc.storage) {
        if (v === 0n) storage.delete(k);
        else storage.set(k, v);
      }
      yield [address, { nonce: acc.nonce, balance: acc.balance, code: acc.code, storage }];
    }
    if (this.reader.entries !== undefined) {
      for (const [address, data] of this.reader.entries()) if (!seen.has(address)) yield [address, data];
    }
  }

  /**
   * The backend's tries updated with this StateDB's changes, or undefined when the backend
   * keeps none. Reused while the changes stay the same: a block's root and the snapshot
   * (or LMDB tries) the store keeps after it come from one derivation.
   */
  derivedTries(): DerivedTries | undefined {
    const base = this.reader.tries?.();
    if (base === undefined) return undefined;
    const changes = this.changedAccounts();
    const d = this.derived;
    if (d !== null && d.base === base.accounts && sameChanges(d.changes, changes)) return d.tries;
    const tries = updatedTries(base, changes);
    this.derived = { base: base.accounts, changes, tries };
    return tries;
  }

  stateRoot(): Uint8Array {
    const tries = this.derivedTries();
    if (tries !== undefined) {
      const root = tries.accounts.root();
      if (CHECK_ROOTS) {
        const full = this.fullStateRoot();
        if (!bytesEqual(full, root)) {
          throw new Error(
            `state root mismatch: incremental ${bytesToHexRaw(root)}, full ${bytesToHexRaw(full)}`,
          );
        }
      }
      return root;
    }
    return this.fullStateRoot();
  }

  /** The root built from every account. */
  private fullStateRoot(): Uint8Array {
    const pairs: [Uint8Array, Uint8Array][] = [];
    for (const [address, acc] of this.entries()) pairs.push([hexToBytes(address), accountRlp(acc)]);
    return secureTrieRoot(pairs);
  }
}

const CHECK_ROOTS = process.env.SONDE_CHECK_ROOTS === "1";

/** Storage tries of the accounts of sealed states (their storage maps never change). */
const storageTries = new WeakMap<AccountData, PTrie>();
/** Code hashes by code array (code arrays are never changed in place). */
const codeHashes = new WeakMap<Uint8Array, Uint8Array>();

function codeHashOf(code: Uint8Array): Uint8Array {
  if (code.length === 0) return KECCAK_EMPTY;
  let h = codeHashes.get(code);
  if (h === undefined) {
    h = keccak256(code);
    codeHashes.set(code, h);
  }
  return h;
}

const slotKey = (slot: bigint) => keccak256(bigintToBytes(slot, 32));
const NO_VALUE = new Uint8Array(0);

function storageTrieOf(data: AccountData): PTrie {
  let t = storageTries.get(data);
  if (t === undefined) {
    t = PTrie.EMPTY;
    for (const [k, v] of data.storage) if (v !== 0n) t = t.set(slotKey(k), rlpEncode(bigintToBytes(v)));
    storageTries.set(data, t);
  }
  return t;
}

function accountLeaf(nonce: bigint, balance: bigint, storage: PTrie, code: Uint8Array): Uint8Array {
  return rlpEncode([bigintToBytes(nonce), bigintToBytes(balance), storage.root(), codeHashOf(code)]);
}

/** The tries of every account in `entries`: the account trie and each account's storage trie. */
export function buildTries(entries: Iterable<[Address, AccountData]>): DerivedTries {
  let accounts = PTrie.EMPTY;
  const storage = new Map<Address, PTrie>();
  for (const [address, data] of entries) {
    const st = storageTrieOf(data);
    if (st !== PTrie.EMPTY) storage.set(address, st);
    accounts = accounts.set(
      keccak256(hexToBytes(address)),
      accountLeaf(data.nonce, data.balance, st, data.code),
    );
  }
  return { accounts, storage };
}

/** The account trie of a sealed state, built from its accounts the first time. */
function accountTrieOf(state: MemoryState): PTrie {
  if (state.accountTrie === undefined) state.accountTrie = buildTries(state.accounts).accounts;
  return state.accountTrie;
}

/** A state's account trie after changes, and the changed accounts' storage tries by address. */
export interface DerivedTries {
  accounts: PTrie;
  storage: Map<Address, PTrie>;
}

/** Whether two `changedAccounts` lists are the same changes. */
function sameChanges(a: AccountChange[], b: AccountChange[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.address !== y.address || x.storageReset !== y.storageReset || x.storage.size !== y.storage.size)
      return false;
    if (x.account === undefined || y.account === undefined) {
      if (x.account !== y.account) return false;
    } else if (
      x.account.nonce !== y.account.nonce ||
      x.account.balance !== y.account.balance ||
      !(x.account.code === y.account.code || bytesEqual(x.account.code, y.account.code))
    ) {
      return false;
    }
    for (const [k, v] of x.storage) if (y.storage.get(k) !== v) return false;
  }
  return true;
}

/** A state's tries with `changes` applied. */
export function updatedTries(base: StateTries, changes: AccountChange[]): DerivedTries {
  let accounts = base.accounts;
  const storage = new Map<Address, PTrie>();
  for (const c of changes) {
    const key = keccak256(hexToBytes(c.address));
    if (c.account === undefined) {
      accounts = accounts.delete(key);
      continue;
    }
    let st = c.storageReset ? PTrie.EMPTY : base.storage(c.address);
    for (const [k, v] of c.storage)
      st = st.set(slotKey(k), v === 0n ? NO_VALUE : rlpEncode(bigintToBytes(v)));
    storage.set(c.address, st);
    accounts = accounts.set(key, accountLeaf(c.account.nonce, c.account.balance, st, c.account.code));
  }
  return { accounts, storage };
}

/**
 * A sealed copy of `post`'s state for a chain store to keep: accounts it did not change
 * are shared with its backend, and when that backend is sealed too the copy's tries are
 * derived from the backend's and the changes.
 */
export function sealedSnapshot(post: StateDB): MemoryState {
  const out = new MemoryState();
  for (const [address, data] of post.entries()) out.accounts.set(address, data);
  out.sealed = true;
  const tries = post.derivedTries();
  if (tries !== undefined) {
    const { accounts, storage } = tries;
    out.accountTrie = accounts;
    for (const [address, st] of storage) {
      const data = out.accounts.get(address);
      if (data !== undefined) storageTries.set(data, st);
    }
  }
  return out;
}

/** A sealed copy of `state` (a genesis allocation): its storage maps copied, so later changes to them do not reach it. */
export function sealedCopy(state: MemoryState): MemoryState {
  const out = new MemoryState();
  for (const [address, d] of state.accounts) {
    out.accounts.set(address, {
      nonce: d.nonce,
      balance: d.balance,
      code: d.code,
      storage: new Map(d.storage),
    });
  }
  out.sealed = true;
  return out;
}

const EMPTY_CODE = new Uint8Array(0);

export function storageRoot(storage: Map<bigint, bigint>): Uint8Array {
  if (storage.size === 0) return EMPTY_TRIE_ROOT;
  const pairs: [Uint8Array, Uint8Array][] = [];
  for (const [k, v] of storage) if (v !== 0n) pairs.push([bigintToBytes(k, 32), rlpEncode(bigintToBytes(v))]);
  return secureTrieRoot(pairs);
}

export function accountRlp(acc: AccountData): Uint8Array {
  return rlpEncode([
    bigintToBytes(acc.nonce),
    bigintToBytes(acc.balance),
    storageRoot(acc.storage),
    acc.code.length === 0 ? KECCAK_EMPTY : keccak256(acc.code),
  ]);
}
