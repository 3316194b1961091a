import { describe, expect, it } from "vitest";
import { Fork } from "../evm/forks.js";
import type { Address } from "../primitives/hex.js";
import { encodeTransaction } from "../tx/decode.js";
import { signTransaction } from "../tx/sender.js";
import type { FeeMarketTransaction, Transaction } from "../tx/types.js";
import { devAccounts } from "./devchain.js";
import { type PoolChain, TxPool } from "./txpool.js";

const GWEI = 1_000_000_000n;
const [alice, bob] = devAccounts();
const ALICE = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
const TO = "0x00000000000000000000000000000000000000cc";

function fakeChain(): PoolChain & {
  accounts: Map<Address, { nonce: bigint; balance: bigint; code: Uint8Array }>;
} {
  const accounts = new Map<Address, { nonce: bigint; balance: bigint; code: Uint8Array }>();
  accounts.set(alice!.address, { nonce: 0n, balance: 10n ** 18n, code: new Uint8Array(0) });
  accounts.set(bob!.address, { nonce: 5n, balance: 10n ** 18n, code: new Uint8Array(0) });
  return {
    chainId: 1337n,
    fork: () => Fork.Osaka,
    nextBaseFee: () => GWEI,
    gasLimit: () => 30_000_000n,
    account: (a) => accounts.get(a),
    accounts,
  };
}

function tx(nonce: bigint, over: Partial<FeeMarketTransaction> = {}, key = alice!.key): Transaction {
  const t: FeeMarketTransaction = {
    type: 2,
    chainId: 1337n,
    nonce,
    maxPriorityFeePerGas: GWEI,
    maxFeePerGas: 3n * GWEI,
    gasLimit: 21000n,
    to: TO,
    value: 1n,
    data: new Uint8Array(0),
    accessList: [],
    yParity: 0,
    r: 0n,
    s: 0n,
    ...over,
  };
  return signTransaction(t, key);
}

describe("TxPool admission", () => {
  it("accepts a valid transaction and refuses it a second time", () => {
    const pool = new TxPool(fakeChain());
    const e = pool.addRaw(encodeTransaction(tx(0n)));
    expect(e.sender).toBe(alice!.address);
    expect(pool.status()).toEqual({ pending: 1, queued: 0 });
    expect(() => pool.add(tx(0n))).toThrow("already known");
  });

  it("uses go-ethereum's texts for stateful failures", () => {
    const chain = fakeChain();
    const pool = new TxPool(chain);
    chain.accounts.get(alice!.address)!.nonce = 3n;
    expect(() => pool.add(tx(1n))).toThrow(`nonce too low: address ${ALICE}, tx: 1 state: 3`);
    expect(() => pool.add(tx(3n, { value: 10n ** 18n }))).toThrow(
      `insufficient funds for gas * price + value: address ${ALICE} have ${10n ** 18n} want ${10n ** 18n + 21000n * 3n * GWEI}`,
    );
    expect(() => pool.add(tx(3n, { gasLimit: 20000n }))).toThrow(
      "intrinsic gas too low: have 20000, want 21000",
    );
    expect(() => pool.add(tx(3n, { maxFeePerGas: GWEI - 1n, maxPriorityFeePerGas: 1n }))).toThrow(
      `max fee per gas less than block base fee: address ${ALICE}, maxFeePerGas: ${GWEI - 1n}, baseFee: ${GWEI}`,
    );
    expect(() => pool.add(tx(3n, { maxPriorityFeePerGas: 4n * GWEI }))).toThrow(
      "max priority fee per gas higher than max fee per gas",
    );
  });

  it("refuses oversized, over-limit, wrong-chain and underpriced transactions", () => {
    const pool = new TxPool(fakeChain(), { minTip: 2n * GWEI });
    const big = new Uint8Array(130 * 1024).fill(1);
    expect(() => pool.add(tx(0n, { data: big, gasLimit: 16_000_000n }))).toThrow(
      /^oversized data: transaction size \d+, limit 131072$/,
    );
    expect(() => pool.add(tx(0n, { gasLimit: 20_000_000n }))).toThrow(
      "transaction gas limit too high (cap: 16777216, tx: 20000000)",
    );
    expect(() => pool.add(tx(0n, { chainId: 1n }))).toThrow(
      "invalid sender: invalid chain id for signer: have 1 want 1337",
    );
    expect(() => pool.add(tx(0n))).toThrow(
      `transaction gas price below minimum: gas tip cap ${GWEI}, minimum needed ${2n * GWEI}`,
    );
    const small = new TxPool({ ...fakeChain(), gasLimit: () => 100_000n });
    expect(() => small.add(tx(0n, { gasLimit: 200_000n }))).toThrow("exceeds block gas limit");
    expect(() => pool.addRaw(new Uint8Array([0x02, 0xc0]))).toThrow(/^invalid transaction: /);
  });

  it("replaces only with a 10% bump of both fee cap and tip", () => {
    const pool = new TxPool(fakeChain());
    const first = pool.add(tx(0n));
    expect(() =>
      pool.add(tx(0n, { value: 2n, maxFeePerGas: 3n * GWEI + 1n, maxPriorityFeePerGas: GWEI + 1n })),
    ).toThrow("replacement transaction underpriced");
    expect(() =>
      pool.add(tx(0n, { value: 2n, maxFeePerGas: 4n * GWEI, maxPriorityFeePerGas: GWEI })),
    ).toThrow("replacement transaction underpriced");
    const second = pool.add(
      tx(0n, { value: 2n, maxFeePerGas: (33n * GWEI) / 10n, maxPriorityFeePerGas: (11n * GWEI) / 10n }),
    );
    expect(pool.get(first.hash)).toBeUndefined();
    expect(pool.get(second.hash)?.tx.value).toBe(2n);
    expect(pool.size).toBe(1);
  });
});

describe("TxPool queue and selection", () => {
  it("queues nonce gaps and promotes when the gap fills, announcing each pending transaction once", () => {
    const pool = new TxPool(fakeChain());
    const announced: string[] = [];
    pool.onPending((e) => announced.push(`${e.tx.nonce}`));
    pool.add(tx(2n));
    pool.add(tx(1n));
    expect(pool.status()).toEqual({ pending: 0, queued: 2 });
    expect(pool.nextNonce(alice!.address)).toBe(0n);
    pool.add(tx(0n));
    expect(pool.status()).toEqual({ pending: 3, queued: 0 });
    expect(announced).toEqual(["0", "1", "2"]);
    expect(pool.nextNonce(alice!.address)).toBe(3n);
  });

  it("orders by tip across senders, by nonce within one, and respects the gas limit", () => {
    const pool = new TxPool(fakeChain());
    pool.add(tx(0n, { maxPriorityFeePerGas: GWEI }));
    pool.add(tx(1n, { maxPriorityFeePerGas: 2n * GWEI, gasLimit: 50_000n }));
    pool.add(tx(5n, { maxPriorityFeePerGas: (3n * GWEI) / 2n }, bob!.key));
    const picked = pool
      .select(30_000_000n, GWEI)
      .map((e) => `${e.sender === bob!.address ? "bob" : "alice"}${e.tx.nonce}`);
    expect(picked).toEqual(["bob5", "alice0", "alice1"]);
    // With room for two 21000-gas transactions only, alice1 (50000 gas) waits.
    const few = pool.select(71_000n, GWEI).map((e) => `${e.tx.nonce}`);
    expect(few).toEqual(["5", "0"]);
  });

  it("drops included transactions on reset and keeps the rest", () => {
    const chain = fakeChain();
    const pool = new TxPool(chain);
    const t0 = pool.add(tx(0n));
    const t1 = pool.add(tx(1n));
    chain.accounts.get(alice!.address)!.nonce = 1n;
    pool.reset();
    expect(pool.get(t0.hash)).toBeUndefined();
    expect(pool.get(t1.hash)).toBeDefined();
    expect(pool.status()).toEqual({ pending: 1, queued: 0 });
  });
});

describe("TxPool limits", () => {
  const keys = devAccounts();
  /** A chain where every dev account has 1 ether and nonce 0. */
  function funded(): PoolChain {
    const accounts = new Map<Address, { nonce: bigint; balance: bigint; code: Uint8Array }>();
    for (const k of keys)
      accounts.set(k.address, { nonce: 0n, balance: 10n ** 18n, code: new Uint8Array(0) });
    return { ...fakeChain(), account: (a) => accounts.get(a) };
  }
  /** Transaction of dev account `i` paying `tip` gwei on top of a 1 gwei base fee. */
  const from = (i: number, nonce: bigint, tip: bigint, over: Partial<FeeMarketTransaction> = {}) =>
    tx(nonce, { maxPriorityFeePerGas: tip * GWEI, maxFeePerGas: (tip + 2n) * GWEI, ...over }, keys[i]!.key);
  const nonces = (pool: TxPool, i: number) =>
    [...(pool.pending().get(keys[i]!.address) ?? []), ...(pool.queued().get(keys[i]!.address) ?? [])].map(
      (e) => e.tx.nonce,
    );

  it("has go-ethereum's defaults", () => {
    const pool = new TxPool(funded());
    expect([pool.globalSlots, pool.globalQueue, pool.accountSlots, pool.accountQueue]).toEqual([
      5120, 1024, 16, 64,
    ]);
    expect([pool.maxTxSize, pool.priceBump]).toEqual([131072, 10n]);
  });

  it("evicts the cheapest when full, and refuses what is not better than them", () => {
    const pool = new TxPool(funded(), { globalSlots: 2, globalQueue: 1 });
    const cheap = pool.add(from(0, 0n, 1n));
    pool.add(from(1, 0n, 2n));
    pool.add(from(2, 0n, 3n));
    expect(() => pool.add(from(3, 0n, 1n))).toThrow(/^transaction underpriced$/);
    const better = pool.add(from(3, 0n, 5n));
    expect(pool.get(cheap.hash)).toBeUndefined();
    expect(pool.get(better.hash)).toBeDefined();
    expect(pool.size).toBe(3);
    // A transaction of 40 KiB takes two slots: the two cheapest make room for it.
    const data = new Uint8Array(40 * 1024).fill(1);
    const big = pool.add(from(4, 0n, 9n, { data, gasLimit: 2_000_000n }));
    expect(big.size).toBeGreaterThan(32 * 1024);
    expect(pool.size).toBe(2);
    expect(nonces(pool, 2)).toEqual([]);
    expect(nonces(pool, 1)).toEqual([]);
    expect(nonces(pool, 3)).toEqual([0n]);
  });

  it("refuses when eviction cannot make room, and never evicts pending for a gapped transaction", () => {
    const pool = new TxPool(funded(), { globalSlots: 2, globalQueue: 1 });
    pool.add(from(0, 0n, 1n));
    const data = new Uint8Array(100 * 1024).fill(1); // 4 slots: more than the pool has
    expect(() => pool.add(from(1, 0n, 9n, { data, gasLimit: 5_000_000n }))).toThrow(/^txpool is full$/);
    pool.add(from(1, 0n, 2n));
    pool.add(from(2, 0n, 3n));
    expect(() => pool.add(from(3, 1n, 9n))).toThrow("future transaction tries to replace pending");
    expect(pool.size).toBe(3);
  });

  it("keeps at most accountQueue queued transactions per sender, dropping the highest nonces", () => {
    const pool = new TxPool(funded(), { accountQueue: 2 });
    pool.add(from(0, 5n, 1n));
    const six = pool.add(from(0, 6n, 1n));
    expect(() => pool.add(from(0, 7n, 1n))).toThrow(
      `account limit exceeded: 2 queued transactions from ${ALICE}`,
    );
    pool.add(from(0, 4n, 1n));
    expect(pool.get(six.hash)).toBeUndefined();
    expect(nonces(pool, 0)).toEqual([4n, 5n]);
    // Pending transactions do not count against the queue limit.
    for (const n of [0n, 1n, 2n, 3n]) pool.add(from(0, n, 1n));
    expect(pool.status()).toEqual({ pending: 6, queued: 0 });
  });

  it("keeps at most globalQueue queued transactions, the least recently active senders' going first", () => {
    const pool = new TxPool(funded(), { globalQueue: 2 });
    const oldest = pool.add(from(0, 3n, 1n));
    pool.add(from(1, 3n, 1n));
    const newest = pool.add(from(2, 3n, 1n));
    expect(pool.get(oldest.hash)).toBeUndefined();
    expect(pool.get(newest.hash)).toBeDefined();
    expect(pool.status()).toEqual({ pending: 0, queued: 2 });
  });

  it("trims senders above accountSlots when more than globalSlots are pending", () => {
    const pool = new TxPool(funded(), { globalSlots: 3, accountSlots: 1 });
    for (const n of [0n, 1n, 2n]) pool.add(from(0, n, 1n));
    pool.add(from(1, 0n, 1n));
    expect(nonces(pool, 0)).toEqual([0n, 1n]);
    pool.add(from(1, 1n, 1n));
    expect(nonces(pool, 0)).toEqual([0n]);
    expect(nonces(pool, 1)).toEqual([0n, 1n]);
    expect(() => pool.add(from(1, 2n, 1n))).toThrow(/^txpool is full$/);
    expect(pool.status()).toEqual({ pending: 3, queued: 0 });
  });
});
