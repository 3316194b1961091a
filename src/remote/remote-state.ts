/**
 * State read lazily from a JSON-RPC endpoint at one fixed block, for re-executing mined
 * transactions on a node that offers no debug API (the approach of foundry's `cast run`).
 *
 * The engine is synchronous and never awaits, so `RemoteState` is a `StateReader` over a
 * cache. A read of something not cached yet — an account, a storage slot of a remote
 * account, a block hash for BLOCKHASH — is a *miss*: it is recorded, and then either
 * thrown as `MissingState` (mode "throw") or answered with a placeholder (mode "record":
 * absent account, zero slot, zero hash) so that the run goes on and finds more misses.
 * Either way the run's results are worthless once it missed: the driver fetches every
 * miss it recorded in one batched round trip (`fetchMisses`) and re-runs from the start
 * on a fresh StateDB, which is exact because execution is deterministic. A run that
 * recorded no miss read only fetched data.
 *
 * Fetching uses eth_getProof (account and slots in one call, plus eth_getCode) where the
 * endpoint offers it, else eth_getBalance / eth_getTransactionCount / eth_getCode /
 * eth_getStorageAt, and eth_getBlockByNumber for block hashes, all at the fixed block.
 * An account with nonce 0, balance 0, no code (and, known from a proof, no storage) is
 * cached as absent — on a post-EIP-161 chain it does not exist — and never refetched.
 *
 * A remote account's storage (`RemoteStorage`) can be read slot by slot but not
 * enumerated, except when it is known to be empty (an empty storage root from
 * eth_getProof, or, without proofs, an account with nonce 0 and no code, which is
 * assumed to have none). StateDB enumerates a backend's storage only for the EIP-7610
 * collision check (CREATE to an address holding a balance) and for state roots and dumps;
 * for an account whose storage is not known to be empty this is an explicit error.
 *
 * `OverlayState` carries the changes of transactions already replayed (a block's earlier
 * transactions) on top of the remote state, so each transaction runs on a fresh StateDB.
 */
import { SondeError } from "../errors.js";
import { type Address, bytesEqual, bytesToHex, hexToBytes, parseBigInt } from "../primitives/hex.js";
import { keccak256 } from "../primitives/keccak.js";
import type { AccountData, StateDB, StateReader } from "../state/statedb.js";
import { EMPTY_TRIE_ROOT } from "../state/trie.js";
import type { RpcCall, RpcClient, RpcError } from "./rpc-client.js";

/** Something a run needed that was not fetched yet. */
export type Missing =
  | { kind: "account"; address: Address }
  | { kind: "storage"; address: Address; slot: bigint }
  | { kind: "blockHash"; number: bigint };

/** Thrown out of an execution (mode "throw") at the first read of state not fetched yet. */
export class MissingState extends Error {
  override name = "MissingState";
  constructor(readonly missing: Missing) {
    super(`state not fetched yet: ${describeMissing(missing)}`);
  }
}

function describeMissing(m: Missing): string {
  if (m.kind === "account") return `account ${m.address}`;
  if (m.kind === "storage") return `storage slot 0x${m.slot.toString(16)} of ${m.address}`;
  return `hash of block ${m.number}`;
}

/** The storage of a remote account had to be enumerated, which a lazily read state cannot do. */
export class RemoteStorageError extends SondeError {
  override name = "RemoteStorageError";
}

/** A set of accounts, slots and block hashes to fetch. */
export interface StateRequest {
  accounts: Set<Address>;
  slots: Map<Address, Set<bigint>>;
  blockHashes: Set<bigint>;
}

export function emptyRequest(): StateRequest {
  return { accounts: new Set(), slots: new Map(), blockHashes: new Set() };
}

export function addSlot(req: StateRequest, address: Address, slot: bigint): void {
  let s = req.slots.get(address);
  if (s === undefined) {
    s = new Set();
    req.slots.set(address, s);
  }
  s.add(slot);
}

export function requestIsEmpty(req: StateRequest): boolean {
  return req.accounts.size === 0 && req.slots.size === 0 && req.blockHashes.size === 0;
}

export interface RemoteStateStats {
  /** Fetch rounds that sent something (each is one batched round trip, or two when proofs fell back). */
  fetchRounds: number;
  /** Accounts fetched (absent ones included). */
  accounts: number;
  /** Of those, accounts found not to exist. */
  absentAccounts: number;
  /** Storage slots fetched. */
  slots: number;
  /** Block hashes fetched. */
  blockHashes: number;
  /** Misses recorded by runs (the same item missed by two runs counts twice). */
  misses: number;
}

export interface RemoteStateOptions {
  /** "record" (default): misses answer with placeholders and the run goes on; "throw": MissingState. */
  missMode?: "record" | "throw";
  /** Use eth_getProof: true, false, or undefined to try it and fall back when the endpoint refuses. */
  useProof?: boolean;
}

const ZERO_HASH = new Uint8Array(32);
const slotHex = (slot: bigint) => `0x${slot.toString(16).padStart(64, "0")}`;
const quantity = (n: bigint) => `0x${n.toString(16)}`;

/**
 * A remote account's storage as the StateDB's backend map: `get` answers from the slots
 * fetched so far (or records a miss), on top of `overrides` written by transactions
 * replayed earlier (a 0 override clears the slot). Read-only.
 */
export class RemoteStorage extends Map<bigint, bigint> {
  constructor(
    private readonly remote: RemoteState,
    readonly address: Address,
    /** Slots fetched from the endpoint (shared by every RemoteStorage of the account). */
    private readonly fetched: Map<bigint, bigint>,
    /** The remote storage is known to be empty. */
    readonly knownEmpty: boolean,
    private readonly overrides: ReadonlyMap<bigint, bigint> = new Map(),
  ) {
    super();
  }

  override get(slot: bigint): bigint | undefined {
    const o = this.overrides.get(slot);
    if (o !== undefined) return o;
    const v = this.fetched.get(slot);
    if (v !== undefined) return v;
    if (this.knownEmpty) return undefined;
    return this.remote.missSlot(this.address, slot);
  }

  override has(slot: bigint): boolean {
    const v = this.get(slot);
    return v !== undefined && v !== 0n;
  }

  /** The same storage with `changes` written on top (0 clears a slot). */
  withOverrides(changes: ReadonlyMap<bigint, bigint>): RemoteStorage {
    const merged = new Map(this.overrides);
    for (const [k, v] of changes) merged.set(k, v);
    return new RemoteStorage(this.remote, this.address, this.fetched, this.knownEmpty, merged);
  }

  private enumerable(): [bigint, bigint][] {
    if (!this.knownEmpty) {
      throw new RemoteStorageError(
        `the whole storage of ${this.address} would have to be listed, but it is read from the ` +
          "endpoint slot by slot and is not known to be empty (this happens for a contract creation " +
          "at an address that already holds storage, EIP-7610, or when computing a state root)",
      );
    }
    return [...this.overrides].filter(([, v]) => v !== 0n);
  }

  override get size(): number {
    return this.enumerable().length;
  }
  override entries(): MapIterator<[bigint, bigint]> {
    return this.enumerable()[Symbol.iterator]() as MapIterator<[bigint, bigint]>;
  }
  override [Symbol.iterator](): MapIterator<[bigint, bigint]> {
    return this.entries();
  }
  override keys(): MapIterator<bigint> {
    return this.enumerable()
      .map(([k]) => k)
      [Symbol.iterator]() as MapIterator<bigint>;
  }
  override values(): MapIterator<bigint> {
    return this.enumerable()
      .map(([, v]) => v)
      [Symbol.iterator]() as MapIterator<bigint>;
  }
  override forEach(fn: (value: bigint, key: bigint, map: Map<bigint, bigint>) => void): void {
    for (const [k, v] of this.enumerable()) fn(v, k, this);
  }
  override set(): this {
    throw new Error(`RemoteStorage of ${this.address} is read-only`);
  }
  override delete(): boolean {
    throw new Error(`RemoteStorage of ${this.address} is read-only`);
  }
  override clear(): void {
    throw new Error(`RemoteStorage of ${this.address} is read-only`);
  }
}

type Json = Record<string, unknown>;

export class RemoteState implements StateReader {
  /** The block whose post-state is read, as a JSON-RPC block parameter. */
  readonly blockTag: string;
  missMode: "record" | "throw";
  readonly stats: RemoteStateStats = {
    fetchRounds: 0,
    accounts: 0,
    absentAccounts: 0,
    slots: 0,
    blockHashes: 0,
    misses: 0,
  };
  /** Things worth telling the user (a fallback taken). */
  readonly notes: string[] = [];
  private useProof: boolean | undefined;
  /** Fetched accounts; null = does not exist. */
  private readonly accounts = new Map<Address, AccountData | null>();
  private readonly slotCache = new Map<Address, Map<bigint, bigint>>();
  private readonly hashes = new Map<bigint, bigint>();
  private pending: StateRequest = emptyRequest();

  constructor(
    readonly client: RpcClient,
    /** The block whose post-state is read (a replayed block's parent). */
    readonly block: bigint,
    opts: RemoteStateOptions = {},
  ) {
    this.blockTag = quantity(block);
    this.missMode = opts.missMode ?? "record";
    this.useProof = opts.useProof;
  }

  // ---- the synchronous side (called by the engine) ----

  getAccount(address: Address): AccountData | undefined {
    const a = this.accounts.get(address);
    if (a !== undefined) return a ?? undefined;
    this.pending.accounts.add(address);
    return this.missed({ kind: "account", address });
  }

  /** Called by RemoteStorage for a slot not fetched yet. */
  missSlot(address: Address, slot: bigint): undefined {
    addSlot(this.pending, address, slot);
    return this.missed({ kind: "storage", address, slot });
  }

  /** BLOCKHASH of an ancestor (the caller checked the 256-block window). */
  blockHash(number: bigint): bigint {
    const h = this.hashes.get(number);
    if (h !== undefined) return h;
    this.pending.blockHashes.add(number);
    this.missed({ kind: "blockHash", number });
    return 0n;
  }

  /** Records a block hash known without asking (the parent's). */
  knowBlockHash(number: bigint, hash: bigint): void {
    this.hashes.set(number, hash);
  }

  private missed(m: Missing): undefined {
    this.stats.misses++;
    if (this.missMode === "throw") throw new MissingState(m);
    return undefined;
  }

  /** True when a run since the last `takeMisses` read something not fetched. */
  hasMisses(): boolean {
    return !requestIsEmpty(this.pending);
  }

  /** The misses recorded since the last call, cleared. */
  takeMisses(): StateRequest {
    const p = this.pending;
    this.pending = emptyRequest();
    return p;
  }

  /** Whether `address` is cached (as existing or absent). */
  isCached(address: Address): boolean {
    return this.accounts.has(address);
  }

  // ---- the asynchronous side (called by the driver between runs) ----

  /** Fetches every miss recorded so far (one batched round trip). */
  async fetchMisses(): Promise<void> {
    await this.fetch(this.takeMisses());
  }

  /** Fetches what `req` names and is not cached yet. */
  async fetch(req: StateRequest): Promise<void> {
    const accounts = new Set<Address>();
    for (const a of req.accounts) if (!this.accounts.has(a)) accounts.add(a);
    const slots = new Map<Address, bigint[]>();
    for (const [a, set] of req.slots) {
      if (this.accounts.get(a) === null) continue; // absent: no storage to read
      const known = this.slotCache.get(a);
      const want = [...set].filter((k) => !known?.has(k));
      if (want.length === 0) continue;
      slots.set(a, want);
      if (!this.accounts.has(a)) accounts.add(a);
    }
    const hashes = [...req.blockHashes].filter((n) => !this.hashes.has(n));
    if (accounts.size === 0 && slots.size === 0 && hashes.length === 0) return;
    this.stats.fetchRounds++;

    const calls: RpcCall[] = [];
    const handlers: ((r: { ok: true; result: unknown } | { ok: false; error: RpcError }) => void)[] = [];
    const push = (call: RpcCall, handle: (typeof handlers)[number]) => {
      calls.push(call);
      handlers.push(handle);
    };
    const proofFailed = new Set<Address>();
    const addresses = new Set<Address>([...accounts, ...slots.keys()]);
    const proof = this.useProof !== false;
    for (const a of addresses) {
      const isNew = accounts.has(a);
      const wanted = slots.get(a) ?? [];
      if (proof) {
        let proofResult: Json | undefined;
        push({ method: "eth_getProof", params: [a, wanted.map(slotHex), this.blockTag] }, (r) => {
          if (!r.ok) {
            proofFailed.add(a);
            if (this.useProof === undefined) {
              this.notes.push(
                `eth_getProof is not usable (${r.error.message}); reading accounts with eth_getBalance and friends`,
              );
            }
            this.useProof = false;
            return;
          }
          this.useProof = true;
          proofResult = r.result as Json;
          if (!isNew) this.storeSlotsFromProof(a, wanted, proofResult);
        });
        if (isNew) {
          push({ method: "eth_getCode", params: [a, this.blockTag] }, (r) => {
            if (proofFailed.has(a)) return;
            const code = hexToBytes(this.unwrap(r) as string, `eth_getCode of ${a}`);
            this.storeAccountFromProof(a, proofResult!, code, wanted);
          });
        }
      } else {
        this.plainCalls(a, isNew, wanted, push);
      }
    }
    for (const n of hashes) {
      push({ method: "eth_getBlockByNumber", params: [quantity(n), false] }, (r) => {
        const b = this.unwrap(r) as Json | null;
        if (b === null || typeof b !== "object") {
          throw new SondeError(`${this.client.endpoint}: block ${n} not found (needed for BLOCKHASH)`);
        }
        this.hashes.set(n, parseBigInt(b.hash, `hash of block ${n}`));
        this.stats.blockHashes++;
      });
    }
    const outcomes = await this.client.batch(calls);
    outcomes.forEach((o, i) => {
      handlers[i]!(o);
    });
    if (proofFailed.size > 0) {
      // Read the accounts the proofs did not deliver the plain way.
      const retry: RpcCall[] = [];
      const retryHandlers: (typeof handlers)[number][] = [];
      for (const a of proofFailed) {
        this.plainCalls(a, accounts.has(a), slots.get(a) ?? [], (c, h) => {
          retry.push(c);
          retryHandlers.push(h);
        });
      }
      const more = await this.client.batch(retry);
      more.forEach((o, i) => {
        retryHandlers[i]!(o);
      });
    }
  }

  private unwrap(r: { ok: true; result: unknown } | { ok: false; error: RpcError }): unknown {
    if (!r.ok) throw r.error;
    return r.result;
  }

  private plainCalls(
    a: Address,
    isNew: boolean,
    wanted: bigint[],
    push: (
      call: RpcCall,
      handle: (r: { ok: true; result: unknown } | { ok: false; error: RpcError }) => void,
    ) => void,
  ): void {
    if (isNew) {
      const parts: { balance?: bigint; nonce?: bigint } = {};
      push({ method: "eth_getBalance", params: [a, this.blockTag] }, (r) => {
        parts.balance = parseBigInt(this.unwrap(r), `eth_getBalance of ${a}`);
      });
      push({ method: "eth_getTransactionCount", params: [a, this.blockTag] }, (r) => {
        parts.nonce = parseBigInt(this.unwrap(r), `eth_getTransactionCount of ${a}`);
      });
      push({ method: "eth_getCode", params: [a, this.blockTag] }, (r) => {
        const code = hexToBytes(this.unwrap(r) as string, `eth_getCode of ${a}`);
        const nonce = parts.nonce!;
        const balance = parts.balance!;
        // Without a storage root, an account with nonce 0 and no code is assumed to have no storage.
        const storageEmpty = nonce === 0n && code.length === 0;
        this.storeAccount(a, nonce, balance, code, storageEmpty);
      });
    }
    for (const slot of wanted) {
      push({ method: "eth_getStorageAt", params: [a, slotHex(slot), this.blockTag] }, (r) => {
        const v = parseBigInt(this.unwrap(r), `eth_getStorageAt of ${a} slot ${slotHex(slot)}`);
        this.cacheSlot(a, slot, v);
      });
    }
  }

  private storeAccountFromProof(a: Address, p: Json, code: Uint8Array, wanted: bigint[]): void {
    const what = `eth_getProof of ${a}`;
    const nonce = parseBigInt(p.nonce, `${what}: nonce`);
    const balance = parseBigInt(p.balance, `${what}: balance`);
    const storageHash = hexToBytes(String(p.storageHash ?? "0x"), `${what}: storageHash`);
    const codeHash = hexToBytes(String(p.codeHash ?? "0x"), `${what}: codeHash`);
    if (code.length > 0 && codeHash.length === 32 && !bytesEqual(codeHash, keccak256(code))) {
      throw new SondeError(
        `${this.client.endpoint}: eth_getCode of ${a} does not match the code hash eth_getProof gave ` +
          `(${bytesToHex(codeHash)}): the endpoint answered for different blocks?`,
      );
    }
    const storageEmpty =
      storageHash.length === 0 ||
      bytesEqual(storageHash, EMPTY_TRIE_ROOT) ||
      bytesEqual(storageHash, ZERO_HASH);
    this.storeAccount(a, nonce, balance, code, storageEmpty);
    this.storeSlotsFromProof(a, wanted, p);
  }

  private storeSlotsFromProof(a: Address, wanted: bigint[], p: Json): void {
    if (wanted.length === 0 || this.accounts.get(a) === null) return;
    const proofs = Array.isArray(p.storageProof) ? (p.storageProof as Json[]) : [];
    if (proofs.length !== wanted.length) {
      throw new SondeError(
        `${this.client.endpoint}: eth_getProof of ${a} returned ${proofs.length} storage proofs for ${wanted.length} keys`,
      );
    }
    wanted.forEach((slot, i) => {
      this.cacheSlot(a, slot, parseBigInt(proofs[i]!.value ?? "0x0", `eth_getProof of ${a}: storage value`));
    });
  }

  private storeAccount(
    a: Address,
    nonce: bigint,
    balance: bigint,
    code: Uint8Array,
    storageEmpty: boolean,
  ): void {
    this.stats.accounts++;
    if (nonce === 0n && balance === 0n && code.length === 0 && storageEmpty) {
      this.accounts.set(a, null);
      this.stats.absentAccounts++;
      return;
    }
    let fetched = this.slotCache.get(a);
    if (fetched === undefined) {
      fetched = new Map();
      this.slotCache.set(a, fetched);
    }
    this.accounts.set(a, {
      nonce,
      balance,
      code,
      storage: new RemoteStorage(this, a, fetched, storageEmpty),
    });
  }

  private cacheSlot(a: Address, slot: bigint, value: bigint): void {
    let m = this.slotCache.get(a);
    if (m === undefined) {
      m = new Map();
      this.slotCache.set(a, m);
    }
    if (!m.has(slot)) this.stats.slots++;
    m.set(slot, value);
  }

  /** Seeds the cache with an account's data (tests, or state known by other means). */
  seedAccount(
    a: Address,
    data: { nonce: bigint; balance: bigint; code: Uint8Array; storage: Map<bigint, bigint> } | null,
  ): void {
    if (data === null) {
      this.accounts.set(a, null);
      return;
    }
    const fetched = new Map(data.storage);
    this.slotCache.set(a, fetched);
    this.accounts.set(a, {
      nonce: data.nonce,
      balance: data.balance,
      code: data.code,
      storage: new RemoteStorage(this, a, fetched, false),
    });
  }
}

/**
 * A StateReader of a base state plus the net changes of transactions already run on it.
 * `commit(db)` folds a finished StateDB's `changedAccounts()` in; the next transaction then
 * runs on a fresh StateDB over this overlay.
 */
export class OverlayState implements StateReader {
  private readonly changed = new Map<Address, AccountData | null>();

  constructor(readonly base: StateReader) {}

  getAccount(address: Address): AccountData | undefined {
    const c = this.changed.get(address);
    if (c !== undefined) return c ?? undefined;
    return this.base.getAccount(address);
  }

  /** Folds the changes of `db` (after its transaction was finalised) into the overlay. */
  commit(db: StateDB): void {
    for (const ch of db.changedAccounts()) {
      if (ch.account === undefined) {
        this.changed.set(ch.address, null);
        continue;
      }
      const prev = this.getAccount(ch.address);
      let storage: Map<bigint, bigint>;
      if (ch.storageReset || prev === undefined) {
        storage = new Map([...ch.storage].filter(([, v]) => v !== 0n));
      } else if (prev.storage instanceof RemoteStorage) {
        storage = prev.storage.withOverrides(ch.storage);
      } else {
        storage = new Map(prev.storage);
        for (const [k, v] of ch.storage) {
          if (v === 0n) storage.delete(k);
          else storage.set(k, v);
        }
      }
      this.changed.set(ch.address, { ...ch.account, storage });
    }
  }
}
