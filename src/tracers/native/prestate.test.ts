import { describe, expect, it } from "vitest";
import { applyTransaction } from "../../block/apply.js";
import { delegationCode } from "../../evm/delegation.js";
import { Fork } from "../../evm/forks.js";
import { create2Address, createAddress } from "../../primitives/address.js";
import { type Address, addressFromBigInt, bytesToHex, hexToBytes } from "../../primitives/hex.js";
import { keccak256 } from "../../primitives/keccak.js";
import { privateKeyToAddress } from "../../primitives/secp256k1.js";
import { defaultBlock } from "../../runners/call.js";
import { MemoryState, StateDB } from "../../state/statedb.js";
import { signAuthorization, signTransaction } from "../../tx/sender.js";
import type { Authorization, LegacyTransaction, SetCodeTransaction } from "../../tx/types.js";
import "./prestate.js";
import { buildTracer } from "../registry.js";
import { TracerError } from "../types.js";

const KEY = hexToBytes(`0x${"11".repeat(32)}`);
const SENDER = privateKeyToAddress(KEY);
const KEY2 = hexToBytes(`0x${"22".repeat(32)}`);
const KEY3 = hexToBytes(`0x${"33".repeat(32)}`);
const T = addressFromBigInt(0xaan);
const OTHER = addressFromBigInt(0xbbn);
const MISSING = addressFromBigInt(0xccn);
const TARGET = addressFromBigInt(0xddn);
const BENEFICIARY = addressFromBigInt(0xben);
const COINBASE = addressFromBigInt(0xc0n);
const ETHER = 10n ** 18n;
const ZERO_HASH = `0x${"00".repeat(32)}`;

const code = (s: string) => hexToBytes(s.replace(/\s+/g, ""));
const word = (n: bigint) => `0x${n.toString(16).padStart(64, "0")}`;
const qty = (n: bigint) => `0x${n.toString(16)}`;

// SLOAD(0); SSTORE(1, 7); SSTORE(3, 9) (same value); BALANCE(0xbb); BALANCE(0xcc); STOP.
const T_CODE = code("6000 54 50  6007 6001 55  6009 6003 55  60bb 31 50  60cc 31 50  00");
const T_HASH = bytesToHex(keccak256(T_CODE));

interface Acc {
  nonce?: bigint;
  balance?: bigint;
  code?: Uint8Array;
  storage?: [bigint, bigint][];
}

function alloc(entries: Record<Address, Acc>): MemoryState {
  const m = new MemoryState();
  for (const [a, e] of Object.entries(entries)) {
    m.accounts.set(a, {
      nonce: e.nonce ?? 0n,
      balance: e.balance ?? 0n,
      code: e.code ?? new Uint8Array(0),
      storage: new Map(e.storage ?? []),
    });
  }
  return m;
}

function legacy(
  to: Address | null,
  data: Uint8Array = new Uint8Array(0),
  value = 0n,
  gasPrice = 1n,
): LegacyTransaction {
  return signTransaction(
    { type: 0, chainId: 1n, nonce: 0n, gasPrice, gasLimit: 200_000n, to, value, data, v: 0n, r: 0n, s: 0n },
    KEY,
  );
}

function run(
  tracerConfig: unknown,
  prestate: MemoryState,
  tx: LegacyTransaction | SetCodeTransaction,
  opts: { fork?: Fork; txEndBeforeFinalize?: boolean } = {},
) {
  const fork = opts.fork ?? Fork.Cancun;
  const tracer = buildTracer({ tracer: "prestateTracer", tracerConfig }, { fork });
  const state = new StateDB(prestate);
  const block = { ...defaultBlock(fork), coinbase: COINBASE };
  const out = applyTransaction(state, block, tx, SENDER, fork, tracer.hooks, {
    blockGasAvailable: 30_000_000n,
    txEndBeforeFinalize: opts.txEndBeforeFinalize ?? false,
  });
  return { result: JSON.parse(JSON.stringify(tracer.getResult())), out, tracer };
}

const BASE = () =>
  alloc({
    [SENDER]: { balance: ETHER },
    [T]: {
      nonce: 1n,
      code: T_CODE,
      storage: [
        [0n, 5n],
        [3n, 9n],
      ],
    },
    [OTHER]: { balance: 100n },
  });

describe("prestateTracer", () => {
  it("reports the accounts and slots touched, as they were before the transaction", () => {
    const { result, out } = run(undefined, BASE(), legacy(T));
    expect(out.success).toBe(true);
    expect(result).toEqual({
      [SENDER]: { balance: qty(ETHER) },
      [T]: {
        balance: "0x0",
        code: bytesToHex(T_CODE),
        codeHash: T_HASH,
        nonce: 1,
        storage: { [word(0n)]: word(5n), [word(1n)]: word(0n), [word(3n)]: word(9n) },
      },
      [OTHER]: { balance: "0x64" },
    });
    // Keys in go-ethereum's order: addresses sorted, account fields in struct order.
    expect(Object.keys(result)).toEqual([...Object.keys(result)].sort());
    expect(Object.keys(result[T])).toEqual(["balance", "code", "codeHash", "nonce", "storage"]);
  });

  it("keeps accounts that did not exist with includeEmpty", () => {
    const { result } = run({ includeEmpty: true }, BASE(), legacy(T));
    expect(result[COINBASE]).toEqual({ balance: "0x0" });
    expect(result[MISSING]).toEqual({ balance: "0x0" });
    expect(Object.keys(result)).toHaveLength(5);
  });

  it("leaves out code with disableCode and storage with disableStorage (codeHash stays)", () => {
    expect(run({ disableCode: true }, BASE(), legacy(T)).result[T]).toEqual({
      balance: "0x0",
      codeHash: T_HASH,
      nonce: 1,
      storage: { [word(0n)]: word(5n), [word(1n)]: word(0n), [word(3n)]: word(9n) },
    });
    expect(run({ disableCode: true, disableStorage: true }, BASE(), legacy(T)).result[T]).toEqual({
      balance: "0x0",
      codeHash: T_HASH,
      nonce: 1,
    });
  });

  it("diff mode: only what changed, in pre and post", () => {
    const { result, out } = run({ diffMode: true }, BASE(), legacy(T));
    const fee = out.gasUsed; // gas price 1, no base fee: all of it goes to the coinbase
    expect(out.gasUsed).toBe(52627n);
    expect(Object.keys(result)).toEqual(["post", "pre"]);
    expect(result).toEqual({
      post: {
        [SENDER]: { balance: qty(ETHER - fee), nonce: 1 },
        [T]: { storage: { [word(1n)]: word(7n) } },
        [COINBASE]: { balance: qty(fee) },
        // go-ethereum reads the code hash of a still-missing account as zero and so
        // reports it as changed from the empty-code hash.
        [MISSING]: { codeHash: ZERO_HASH },
      },
      pre: {
        [SENDER]: { balance: qty(ETHER) },
        [T]: { balance: "0x0", code: bytesToHex(T_CODE), codeHash: T_HASH, nonce: 1 },
      },
    });
  });

  it("diff mode: a created contract appears in post only, with code, hash, nonce and storage", () => {
    // Initcode: SSTORE(0, 1); RETURN the 2-byte runtime 0x6000 (PUSH1 0).
    const init = code("6001 6000 55  61 6000 6000 52  6002 601e f3");
    const created = createAddress(SENDER, 0n);
    const { result, out } = run({ diffMode: true }, BASE(), legacy(null, init));
    expect(out.contractAddress).toBe(created);
    expect(result.post[created]).toEqual({
      code: "0x6000",
      codeHash: bytesToHex(keccak256(code("6000"))),
      nonce: 1,
      storage: { [word(0n)]: word(1n) },
    });
    expect(result.pre[created]).toBeUndefined();
    expect(result.post[SENDER]).toEqual({ balance: qty(ETHER - out.gasUsed), nonce: 1 });
    // Without diff mode the creation target is looked up but was empty: left out.
    expect(run(undefined, BASE(), legacy(null, init)).result[created]).toBeUndefined();
  });

  it("diff mode: CREATE2 targets are found from the instruction's operands", () => {
    // MSTORE8(0, 0x00); CREATE2(value 0, offset 0, size 1, salt 0x42); STOP.
    const F = addressFromBigInt(0xf0n);
    const factory = code("6000 6000 53  6042 6001 6000 6000 f5 50 00");
    const prestate = BASE();
    prestate.accounts.set(F, { nonce: 1n, balance: 0n, code: factory, storage: new Map() });
    const { result } = run({ diffMode: true }, prestate, legacy(F));
    const child = create2Address(F, 0x42n, keccak256(new Uint8Array([0])));
    expect(result.post[child]).toEqual({ nonce: 1 });
    expect(result.post[F]).toEqual({ nonce: 2 });
    expect(result.pre[F]).toEqual({
      balance: "0x0",
      code: bytesToHex(factory),
      codeHash: bytesToHex(keccak256(factory)),
      nonce: 1,
    });
  });

  it("diff mode: SELFDESTRUCT deletes before Cancun, only empties the balance from Cancun", () => {
    const S = addressFromBigInt(0x5en);
    const sCode = code("60be ff");
    const prestate = () => {
      const p = BASE();
      p.accounts.set(S, { nonce: 1n, balance: 50n, code: sCode, storage: new Map() });
      return p;
    };
    const shanghai = run({ diffMode: true }, prestate(), legacy(S), { fork: Fork.Shanghai }).result;
    expect(shanghai.pre[S]).toEqual({
      balance: "0x32",
      code: "0x60beff",
      codeHash: bytesToHex(keccak256(sCode)),
      nonce: 1,
    });
    expect(shanghai.post[S]).toBeUndefined();
    expect(shanghai.post[BENEFICIARY]).toEqual({ balance: "0x32" });
    expect(shanghai.pre[BENEFICIARY]).toBeUndefined();

    const cancun = run({ diffMode: true }, prestate(), legacy(S), { fork: Fork.Cancun }).result;
    expect(cancun.pre[S]).toEqual(shanghai.pre[S]);
    expect(cancun.post[S]).toEqual({ balance: "0x0" });
    expect(cancun.post[BENEFICIARY]).toEqual({ balance: "0x32" });

    // Created and destroyed in the same transaction (EIP-6780): gone from both sides.
    const created = createAddress(SENDER, 0n);
    const same = run({ diffMode: true }, BASE(), legacy(null, sCode, 10n), { fork: Fork.Cancun }).result;
    expect(same.post[created]).toBeUndefined();
    expect(same.pre[created]).toBeUndefined();
    expect(same.post[BENEFICIARY]).toEqual({ balance: "0xa" });
  });

  it("diff mode: a touched empty account removed by the cleanup reads as a zero code hash", () => {
    // Gas price 0: the coinbase is credited nothing, which creates it empty; the
    // end-of-transaction cleanup (EIP-161) removes it again.
    const tx = legacy(OTHER, new Uint8Array(0), 0n, 0n);
    // onTxEnd after the cleanup (go-ethereum's RPC path): missing, so a changed code hash.
    expect(run({ diffMode: true }, BASE(), tx).result).toEqual({
      post: { [SENDER]: { nonce: 1 }, [COINBASE]: { codeHash: ZERO_HASH } },
      pre: { [SENDER]: { balance: qty(ETHER) } },
    });
    // onTxEnd before it (go-ethereum's tracer tests): still there, empty and unchanged.
    expect(run({ diffMode: true }, BASE(), tx, { txEndBeforeFinalize: true }).result).toEqual({
      post: { [SENDER]: { nonce: 1 } },
      pre: { [SENDER]: { balance: qty(ETHER) } },
    });
  });

  it("looks up EIP-7702 authorities (valid or not) and delegation targets before they apply", () => {
    const A2 = privateKeyToAddress(KEY2);
    const A3 = privateKeyToAddress(KEY3);
    const auths: Authorization[] = [
      signAuthorization({ chainId: 1n, address: TARGET, nonce: 0n }, KEY2),
      // Wrong nonce: skipped by the transaction, still looked up by the tracer.
      signAuthorization({ chainId: 1n, address: TARGET, nonce: 5n }, KEY3),
    ];
    const prestate = alloc({
      [SENDER]: { balance: ETHER },
      [T]: { code: delegationCode(TARGET) },
      [TARGET]: { code: code("00"), balance: 1n },
      [A2]: { balance: 5n },
      [A3]: { balance: 7n },
    });
    const tx = signTransaction(
      {
        type: 4,
        chainId: 1n,
        nonce: 0n,
        maxPriorityFeePerGas: 1n,
        maxFeePerGas: 1n,
        gasLimit: 200_000n,
        to: T,
        value: 0n,
        data: new Uint8Array(0),
        accessList: [],
        authorizationList: auths,
        yParity: 0,
        r: 0n,
        s: 0n,
      } satisfies SetCodeTransaction,
      KEY,
    );
    const { result } = run(undefined, prestate, tx, { fork: Fork.Prague });
    expect(result[A2]).toEqual({ balance: "0x5" });
    expect(result[A3]).toEqual({ balance: "0x7" });
    expect(result[TARGET]).toEqual({
      balance: "0x1",
      code: "0x00",
      codeHash: bytesToHex(keccak256(code("00"))),
    });
    expect(result[T].code).toBe(bytesToHex(delegationCode(TARGET)));

    const diff = run({ diffMode: true }, prestate, tx, { fork: Fork.Prague }).result;
    const delegation = delegationCode(TARGET);
    expect(diff.post[A2]).toEqual({
      code: bytesToHex(delegation),
      codeHash: bytesToHex(keccak256(delegation)),
      nonce: 1,
    });
    expect(diff.post[A3]).toBeUndefined();
  });

  it("rejects diffMode with includeEmpty, and options of the wrong type", () => {
    expect(() =>
      buildTracer(
        { tracer: "prestateTracer", tracerConfig: { diffMode: true, includeEmpty: true } },
        { fork: Fork.Cancun },
      ),
    ).toThrow("cannot use diffMode with includeEmpty");
    expect(() =>
      buildTracer({ tracer: "prestateTracer", tracerConfig: { diffMode: "yes" } }, { fork: Fork.Cancun }),
    ).toThrow(TracerError);
  });

  it("ignores events once stopped and then fails with the reason", () => {
    const tracer = buildTracer({ tracer: "prestateTracer" }, { fork: Fork.Cancun });
    tracer.stop(new TracerError("execution timeout"));
    const state = new StateDB(BASE());
    applyTransaction(state, defaultBlock(Fork.Cancun), legacy(T), SENDER, Fork.Cancun, tracer.hooks, {
      blockGasAvailable: 30_000_000n,
    });
    expect(() => tracer.getResult()).toThrow("execution timeout");
  });
});
