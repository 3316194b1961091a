import { describe, expect, it } from "vitest";
import { BalanceChangeReason, NonceChangeReason } from "../tracing/hooks.js";
import { MemoryState, StateDB } from "./statedb.js";
import { EMPTY_TRIE_ROOT } from "./trie.js";

const A = "0x00000000000000000000000000000000000000aa";
const B = "0x00000000000000000000000000000000000000bb";

function withAccount(balance: bigint, storage: [bigint, bigint][] = []): MemoryState {
  const m = new MemoryState();
  m.accounts.set(A, { nonce: 1n, balance, code: new Uint8Array([0x00]), storage: new Map(storage) });
  return m;
}

describe("StateDB journal", () => {
  it("reverts balances, nonces, storage, creation and logs to a snapshot", () => {
    const s = new StateDB(withAccount(100n, [[1n, 5n]]));
    s.beginTransaction();
    const snap = s.snapshot();
    s.addBalance(A, 10n, BalanceChangeReason.Transfer);
    s.setNonce(A, 2n, NonceChangeReason.EoaTransaction);
    s.setStorage(A, 1n, 7n);
    s.addBalance(B, 3n, BalanceChangeReason.Transfer);
    s.addLog({ address: A, topics: [], data: new Uint8Array() });
    s.addRefund(100);
    s.revert(snap);
    expect(s.getBalance(A)).toBe(100n);
    expect(s.getNonce(A)).toBe(1n);
    expect(s.getStorage(A, 1n)).toBe(5n);
    expect(s.exists(B)).toBe(false);
    expect(s.logs).toHaveLength(0);
    expect(s.refund).toBe(0);
  });

  it("keeps the original value of a slot for the whole transaction (EIP-2200)", () => {
    const s = new StateDB(withAccount(0n, [[1n, 5n]]));
    s.beginTransaction();
    s.setStorage(A, 1n, 6n);
    s.setStorage(A, 1n, 7n);
    expect(s.getCommittedStorage(A, 1n)).toBe(5n);
    s.finalizeTransaction(true);
    expect(s.getCommittedStorage(A, 1n)).toBe(7n);
  });

  it("deletes touched empty accounts only with EIP-161", () => {
    const pre = new MemoryState();
    pre.accounts.set(B, { nonce: 0n, balance: 0n, code: new Uint8Array(), storage: new Map() });
    const before = new StateDB(pre);
    before.beginTransaction();
    before.touch(B);
    before.finalizeTransaction(false);
    expect(before.exists(B)).toBe(true);
    const after = new StateDB(pre);
    after.beginTransaction();
    after.touch(B);
    after.finalizeTransaction(true);
    expect(after.exists(B)).toBe(false);
    expect(after.stateRoot()).toEqual(EMPTY_TRIE_ROOT);
  });

  it("reports state changes to hooks and does not re-report on revert", () => {
    const seen: string[] = [];
    const s = new StateDB(withAccount(100n));
    s.hooks = {
      onBalanceChange: (a, prev, next, reason) =>
        seen.push(`balance ${a.slice(-2)} ${prev}->${next} r${reason}`),
      onStorageChange: (a, slot, prev, next) => seen.push(`storage ${a.slice(-2)} ${slot} ${prev}->${next}`),
    };
    s.beginTransaction();
    const snap = s.snapshot();
    s.subBalance(A, 1n, BalanceChangeReason.GasBuy);
    s.setStorage(A, 3n, 9n);
    s.revert(snap);
    expect(seen).toEqual(["balance aa 100->99 r5", "storage aa 3 0->9"]);
  });
});

describe("StateDB.changedAccounts", () => {
  const C = "0x00000000000000000000000000000000000000cc";

  it("lists changed, created and deleted accounts with final data, not ones only read", () => {
    const pre = withAccount(100n, [
      [1n, 5n],
      [2n, 6n],
    ]);
    pre.accounts.set(C, { nonce: 0n, balance: 7n, code: new Uint8Array(), storage: new Map() });
    const s = new StateDB(pre);
    s.beginTransaction();
    s.setStorage(A, 1n, 9n); // changed
    s.setStorage(A, 2n, 0n); // cleared
    s.getStorage(A, 3n); // only read
    s.addBalance(B, 3n, BalanceChangeReason.Transfer); // created
    s.getBalance(C); // only read
    s.finalizeTransaction(true);
    const changes = s.changedAccounts();
    expect(changes.map((c) => c.address).sort()).toEqual([A, B]);
    const a = changes.find((c) => c.address === A)!;
    expect(a.account).toEqual({ nonce: 1n, balance: 100n, code: new Uint8Array([0x00]) });
    expect(a.storageReset).toBe(false);
    expect([...a.storage]).toEqual([
      [1n, 9n],
      [2n, 0n],
    ]);
    const b = changes.find((c) => c.address === B)!;
    expect(b.account).toEqual({ nonce: 0n, balance: 3n, code: new Uint8Array() });
    expect(b.storage.size).toBe(0);

    // Deleting C (touched and empty once its balance is gone) reports it with no data.
    const s2 = new StateDB(pre);
    s2.beginTransaction();
    s2.subBalance(C, 7n, BalanceChangeReason.Transfer);
    s2.finalizeTransaction(true);
    expect(s2.changedAccounts()).toEqual([
      { address: C, account: undefined, storageReset: true, storage: new Map() },
    ]);
  });

  it("reports a self-destructed and recreated account as a storage reset", () => {
    const s = new StateDB(withAccount(10n, [[1n, 5n]]));
    s.beginTransaction();
    s.selfDestruct(A);
    s.finalizeTransaction(true);
    s.beginTransaction();
    s.createAccount(A);
    s.setNonce(A, 1n, NonceChangeReason.ContractCreator);
    s.setStorage(A, 2n, 8n);
    s.finalizeTransaction(true);
    expect(s.changedAccounts()).toEqual([
      {
        address: A,
        account: { nonce: 1n, balance: 0n, code: new Uint8Array() },
        storageReset: true,
        storage: new Map([[2n, 8n]]),
      },
    ]);
  });

  it("leaves out changes that were reverted or set back", () => {
    const s = new StateDB(withAccount(10n, [[1n, 5n]]));
    s.beginTransaction();
    const snap = s.snapshot();
    s.addBalance(B, 1n, BalanceChangeReason.Transfer);
    s.revert(snap);
    s.setStorage(A, 1n, 6n);
    s.setStorage(A, 1n, 5n);
    s.finalizeTransaction(true);
    expect(s.changedAccounts()).toEqual([]);
  });
});
