/** Encoding/decoding round trips, a known EIP-155 vector, and every strictness rule of the decoder. */
import { describe, expect, it } from "vitest";
import { bigintToBytes, bytesToHex, concatBytes, hexToBytes } from "../primitives/hex.js";
import { keccak256 } from "../primitives/keccak.js";
import { type RlpInput, rlpDecode, rlpEncode } from "../primitives/rlp.js";
import { privateKeyToAddress } from "../primitives/secp256k1.js";
import {
  type BlobSidecar,
  decodePooledTransaction,
  decodeTransaction,
  encodePooledTransaction,
  encodeTransaction,
  signingHash,
  TxDecodeError,
  txHash,
  UnknownTxTypeError,
} from "./decode.js";
import { recoverSender, signAuthorization, signTransaction } from "./sender.js";
import type {
  AccessListTransaction,
  BlobTransaction,
  FeeMarketTransaction,
  LegacyTransaction,
  SetCodeTransaction,
  Transaction,
} from "./types.js";

const KEY = hexToBytes("0x45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8");
const KEY_ADDRESS = privateKeyToAddress(KEY);
const TO = "0x1000000000000000000000000000000000000001";

const common = {
  nonce: 7n,
  gasLimit: 100_000n,
  to: TO as string | null,
  value: 1_000_000_000n,
  data: hexToBytes("0x00ff0001"),
  r: 0n,
  s: 0n,
};

function legacyTx(chainId: bigint | undefined): LegacyTransaction {
  return { ...common, type: 0, chainId, gasPrice: 20_000_000_000n, v: 0n };
}

function accessListTx(): AccessListTransaction {
  return {
    ...common,
    type: 1,
    chainId: 1n,
    gasPrice: 10n,
    accessList: [{ address: TO, storageKeys: [0n, 1n, (1n << 256n) - 1n] }],
    yParity: 0,
  };
}

function feeMarketTx(): FeeMarketTransaction {
  return {
    ...common,
    type: 2,
    chainId: 1n,
    maxPriorityFeePerGas: 2n,
    maxFeePerGas: 100n,
    accessList: [],
    yParity: 0,
  };
}

function blobTx(): BlobTransaction {
  const h = new Uint8Array(32).fill(0xab);
  h[0] = 0x01;
  return {
    ...common,
    type: 3,
    chainId: 1n,
    maxPriorityFeePerGas: 2n,
    maxFeePerGas: 100n,
    accessList: [],
    maxFeePerBlobGas: 5n,
    blobVersionedHashes: [h],
    yParity: 0,
  };
}

function setCodeTx(): SetCodeTransaction {
  return {
    ...common,
    type: 4,
    chainId: 1n,
    maxPriorityFeePerGas: 2n,
    maxFeePerGas: 100n,
    accessList: [],
    authorizationList: [
      {
        chainId: 1n,
        address: "0x2000000000000000000000000000000000000002",
        nonce: 0n,
        yParity: 1,
        r: 5n,
        s: 6n,
      },
    ],
    yParity: 0,
  };
}

function roundTrip(tx: Transaction): Transaction {
  const signed = signTransaction(tx, KEY);
  const raw = encodeTransaction(signed);
  const back = decodeTransaction(raw);
  expect(back).toEqual(signed);
  expect(bytesToHex(encodeTransaction(back))).toBe(bytesToHex(raw));
  expect(bytesToHex(txHash(back))).toBe(bytesToHex(keccak256(raw)));
  expect(recoverSender(back)).toBe(KEY_ADDRESS);
  return back;
}

describe("round trips", () => {
  it("legacy without chain id (v = 27/28)", () => {
    const tx = roundTrip(legacyTx(undefined));
    expect(tx.type).toBe(0);
    if (tx.type === 0) expect([27n, 28n]).toContain(tx.v);
  });
  it("legacy with EIP-155 chain id", () => {
    const tx = roundTrip(legacyTx(5n));
    if (tx.type === 0) {
      expect([45n, 46n]).toContain(tx.v);
      expect(tx.chainId).toBe(5n);
    }
  });
  it("legacy contract creation (empty to)", () => {
    const tx = roundTrip({ ...legacyTx(1n), to: null });
    expect(tx.to).toBeNull();
  });
  it("EIP-2930", () => {
    const raw = encodeTransaction(signTransaction(accessListTx(), KEY));
    expect(raw[0]).toBe(1);
    roundTrip(accessListTx());
  });
  it("EIP-1559", () => roundTrip(feeMarketTx()));
  it("EIP-4844", () => roundTrip(blobTx()));
  it("EIP-7702 with a signed authorization", () => {
    const auth = signAuthorization(
      { chainId: 1n, address: "0x2000000000000000000000000000000000000002", nonce: 3n },
      KEY,
    );
    roundTrip({ ...setCodeTx(), authorizationList: [auth] });
  });
  it("zero values encode as empty strings and decode back", () => {
    roundTrip({ ...feeMarketTx(), nonce: 0n, value: 0n, maxPriorityFeePerGas: 0n, data: new Uint8Array(0) });
  });
});

describe("EIP-155 example vector", () => {
  // The worked example of EIP-155: key 0x4646…46, chain id 1.
  const key = hexToBytes(`0x${"46".repeat(32)}`);
  const tx: Transaction = {
    type: 0,
    chainId: 1n,
    nonce: 9n,
    gasPrice: 20_000_000_000n,
    gasLimit: 21000n,
    to: `0x${"35".repeat(20)}`,
    value: 10n ** 18n,
    data: new Uint8Array(0),
    v: 0n,
    r: 0n,
    s: 0n,
  };
  it("signing hash", () => {
    expect(bytesToHex(signingHash(tx))).toBe(
      "0xdaf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53",
    );
  });
  it("signed encoding", () => {
    const signed = signTransaction(tx, key);
    expect(signed.v).toBe(37n);
    expect(bytesToHex(encodeTransaction(signed))).toBe(
      "0xf86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83",
    );
    expect(recoverSender(decodeTransaction(encodeTransaction(signed)))).toBe(
      "0x9d8a62f656a8d1615c1294fd71e9cfb3e4855a4f",
    );
  });
});

// Builds a legacy RLP list from field overrides; fields are raw byte strings (or lists).
function legacyRaw(overrides: Partial<Record<number, RlpInput>> = {}, extra: RlpInput[] = []): Uint8Array {
  const fields: RlpInput[] = [
    bigintToBytes(1n),
    bigintToBytes(1n),
    bigintToBytes(21000n),
    hexToBytes(`0x${"11".repeat(20)}`),
    bigintToBytes(0n),
    new Uint8Array(0),
    bigintToBytes(27n),
    bigintToBytes(1n),
    bigintToBytes(1n),
  ];
  for (const [i, v] of Object.entries(overrides)) fields[Number(i)] = v!;
  return rlpEncode([...fields, ...extra]);
}

function decodeError(raw: Uint8Array): TxDecodeError {
  try {
    decodeTransaction(raw);
  } catch (err) {
    expect(err).toBeInstanceOf(TxDecodeError);
    return err as TxDecodeError;
  }
  throw new Error("expected a TxDecodeError");
}

describe("strict decoding", () => {
  it("accepts the baseline", () => {
    expect(decodeTransaction(legacyRaw()).type).toBe(0);
  });
  it("rejects empty input", () => {
    expect(decodeError(new Uint8Array(0)).code).toBe("RLP");
  });
  it("rejects malformed RLP and trailing bytes", () => {
    const raw = legacyRaw();
    expect(decodeError(raw.subarray(0, raw.length - 1)).code).toBe("RLP");
    expect(decodeError(concatBytes(raw, new Uint8Array([0]))).code).toBe("RLP");
  });
  it("rejects wrong field counts", () => {
    expect(decodeError(legacyRaw({}, [new Uint8Array(0)])).message).toMatch(/too many fields/);
    const e = decodeError(rlpEncode([new Uint8Array([1]), new Uint8Array([1])]));
    expect(e.code).toBe("FIELD_COUNT");
    expect(e.message).toMatch(/too few fields/);
  });
  it("rejects leading zeros in integers, naming the field", () => {
    const e = decodeError(legacyRaw({ 0: new Uint8Array([0, 1]) }));
    expect(e.code).toBe("LEADING_ZEROS");
    expect(e.field).toBe("nonce");
    expect(decodeError(legacyRaw({ 4: new Uint8Array([0]) })).field).toBe("value");
    expect(decodeError(legacyRaw({ 7: new Uint8Array([0, 5]) })).field).toBe("r");
  });
  it("rejects integers over their size", () => {
    expect(decodeTransaction(legacyRaw({ 0: bigintToBytes((1n << 64n) - 1n) })).nonce).toBe((1n << 64n) - 1n);
    const n = decodeError(legacyRaw({ 0: bigintToBytes(1n << 64n) }));
    expect([n.code, n.field]).toEqual(["OVERFLOW", "nonce"]);
    expect(decodeError(legacyRaw({ 2: bigintToBytes(1n << 64n) })).field).toBe("gasLimit");
    expect(decodeError(legacyRaw({ 1: bigintToBytes(1n << 256n) })).field).toBe("gasPrice");
    expect(decodeError(legacyRaw({ 4: bigintToBytes(1n << 256n) })).field).toBe("value");
    expect(decodeError(legacyRaw({ 8: bigintToBytes(1n << 256n) })).field).toBe("s");
  });
  it("rejects addresses that are not 20 bytes", () => {
    expect(decodeError(legacyRaw({ 3: new Uint8Array(19) })).message).toMatch(/to: address too short/);
    expect(decodeError(legacyRaw({ 3: new Uint8Array(21) })).message).toMatch(/to: address too long/);
  });
  it("rejects a list where bytes are expected", () => {
    const e = decodeError(legacyRaw({ 5: [new Uint8Array([1])] }));
    expect([e.code, e.field]).toEqual(["NOT_BYTES", "data"]);
  });
  it("rejects unknown types and RLP strings", () => {
    const e = decodeError(new Uint8Array([0x05, 0xc0]));
    expect(e).toBeInstanceOf(UnknownTxTypeError);
    expect((e as UnknownTxTypeError).txType).toBe(5);
    expect(decodeError(new Uint8Array([0x00, 0xc0]))).toBeInstanceOf(UnknownTxTypeError);
    expect(decodeError(rlpEncode(encodeTransaction(signTransaction(feeMarketTx(), KEY)))).code).toBe("TYPE");
  });
  it("rejects typed payloads with trailing bytes or the wrong count", () => {
    const raw = encodeTransaction(signTransaction(feeMarketTx(), KEY));
    expect(decodeError(concatBytes(raw, new Uint8Array([0x80]))).code).toBe("RLP");
    const fields = [1n, 0n, 1n, 1n, 21000n].map((x) => bigintToBytes(x));
    expect(decodeError(concatBytes(new Uint8Array([2]), rlpEncode(fields))).code).toBe("FIELD_COUNT");
  });

  // Type 1 fields with one override, for access-list strictness.
  function type1Raw(accessList: RlpInput, yParity: Uint8Array = new Uint8Array(0)): Uint8Array {
    const fields: RlpInput[] = [
      bigintToBytes(1n),
      new Uint8Array(0),
      bigintToBytes(1n),
      bigintToBytes(30000n),
      hexToBytes(`0x${"11".repeat(20)}`),
      new Uint8Array(0),
      new Uint8Array(0),
      accessList,
      yParity,
      bigintToBytes(1n),
      bigintToBytes(1n),
    ];
    return concatBytes(new Uint8Array([1]), rlpEncode(fields));
  }
  it("checks access-list addresses and storage keys", () => {
    const addr = hexToBytes(`0x${"22".repeat(20)}`);
    const ok = decodeTransaction(type1Raw([[addr, [new Uint8Array(32)]]]));
    expect(ok.type === 1 && ok.accessList[0]!.storageKeys).toEqual([0n]);
    expect(decodeError(type1Raw([[addr, [new Uint8Array(31)]]])).field).toBe("accessList[0].storageKeys[0]");
    expect(decodeError(type1Raw([[addr, [new Uint8Array(33)]]])).message).toMatch(/too long/);
    expect(decodeError(type1Raw([[new Uint8Array(19), []]])).field).toBe("accessList[0].address");
    expect(decodeError(type1Raw([[addr]])).code).toBe("FIELD_COUNT");
    expect(decodeError(type1Raw(new Uint8Array(0))).code).toBe("NOT_LIST");
  });
  it("bounds yParity to 8 bits", () => {
    expect(decodeTransaction(type1Raw([], bigintToBytes(2n))).type).toBe(1);
    expect(decodeError(type1Raw([], bigintToBytes(256n))).field).toBe("yParity");
  });
  it("checks blob hash sizes and authorization tuples", () => {
    const blob = signTransaction(blobTx(), KEY);
    const badBlob = { ...blob, blobVersionedHashes: [new Uint8Array(33)] };
    expect(decodeError(encodeTransaction(badBlob)).field).toBe("blobVersionedHashes[0]");

    const sc = setCodeTx();
    const raw = encodeTransaction(sc);
    // Replace the authorization list with a 5-item tuple.
    const fields = [
      bigintToBytes(1n),
      bigintToBytes(7n),
      bigintToBytes(2n),
      bigintToBytes(100n),
      bigintToBytes(100000n),
      hexToBytes(sc.to!),
      new Uint8Array(0),
      new Uint8Array(0),
      [],
      [[bigintToBytes(1n), new Uint8Array(20), new Uint8Array(0), new Uint8Array(0), bigintToBytes(1n)]],
      new Uint8Array(0),
      bigintToBytes(1n),
      bigintToBytes(1n),
    ];
    expect(raw[0]).toBe(4);
    expect(decodeError(concatBytes(new Uint8Array([4]), rlpEncode(fields))).field).toBe(
      "authorizationList[0]",
    );
  });
});

describe("blob transactions in network (pooled) form", () => {
  const blobTx = signTransaction(
    {
      type: 3,
      chainId: 1n,
      nonce: 2n,
      maxPriorityFeePerGas: 1n,
      maxFeePerGas: 100n,
      gasLimit: 50000n,
      to: TO,
      value: 0n,
      data: new Uint8Array([1, 2]),
      accessList: [],
      maxFeePerBlobGas: 9n,
      blobVersionedHashes: [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)],
      yParity: 0,
      r: 0n,
      s: 0n,
    } satisfies BlobTransaction,
    KEY,
  ) as BlobTransaction;
  const blob = (b: number) => new Uint8Array(131072).fill(b);
  const point = (b: number) => new Uint8Array(48).fill(b);
  const v0: BlobSidecar = {
    version: 0,
    blobs: [blob(1), blob(2)],
    commitments: [point(3), point(4)],
    proofs: [point(5), point(6)],
  };
  const v1: BlobSidecar = {
    version: 1,
    blobs: [blob(1)],
    commitments: [point(3)],
    proofs: Array.from({ length: 128 }, (_, i) => point(i)),
  };

  it("round-trips version 0 and version 1 sidecars, keeping the canonical transaction", () => {
    for (const sc of [v0, v1]) {
      const raw = encodePooledTransaction(blobTx, sc);
      expect(raw[0]).toBe(3);
      const d = decodePooledTransaction(raw);
      expect(d.tx).toEqual(blobTx);
      expect(d.sidecar).toEqual(sc);
      // The hash is the canonical one, without the sidecar.
      expect(bytesToHex(txHash(d.tx))).toBe(bytesToHex(keccak256(encodeTransaction(blobTx))));
      // The canonical decoder does not read the network form.
      expect(() => decodeTransaction(raw)).toThrow(TxDecodeError);
    }
    // Version 1 is the 5-element list [tx, 0x01, blobs, commitments, proofs].
    const raw1 = encodePooledTransaction(blobTx, v1);
    const payload = rlpEncode([
      [...(rlpFieldsOf(encodeTransaction(blobTx)) as RlpInput[])],
      new Uint8Array([1]),
      v1.blobs,
      v1.commitments,
      v1.proofs,
    ]);
    expect(bytesToHex(raw1)).toBe(bytesToHex(concatBytes(new Uint8Array([3]), payload)));
  });

  it("passes canonical transactions through", () => {
    const canon = encodeTransaction(blobTx);
    expect(decodePooledTransaction(canon)).toEqual({ tx: blobTx });
    const legacy = encodeTransaction(
      signTransaction(
        { ...common, type: 0, chainId: 1n, gasPrice: 5n, v: 0n, r: 0n, s: 0n } as LegacyTransaction,
        KEY,
      ),
    );
    expect(decodePooledTransaction(legacy).sidecar).toBeUndefined();
  });

  it("names what is malformed", () => {
    const raw = (parts: RlpInput[]) => concatBytes(new Uint8Array([3]), rlpEncode(parts));
    const fields = rlpFieldsOf(encodeTransaction(blobTx)) as RlpInput[];
    expect(() => decodePooledTransaction(raw([fields, new Uint8Array([2]), [], [], []]))).toThrow(
      "sidecar version: unsupported blob sidecar version 2",
    );
    expect(() =>
      decodePooledTransaction(raw([fields, [new Uint8Array(100)], [point(1)], [point(2)]])),
    ).toThrow("blobs[0]: expected 131072 bytes, got 100");
    expect(() => decodePooledTransaction(raw([fields, [blob(0)], [new Uint8Array(47)], [point(2)]]))).toThrow(
      "commitments[0]: expected 48 bytes, got 47",
    );
    expect(() => decodePooledTransaction(raw([fields, [], []]))).toThrow(
      "blob transaction network form: expected 4 elements (tx, blobs, commitments, proofs), got 3",
    );
    expect(() => decodePooledTransaction(raw([fields.slice(1), [], [], []]))).toThrow(
      "type 3 transaction: too few fields",
    );
  });
});

/** The RLP fields of a typed transaction's canonical encoding (generic RLP, not the transaction decoder). */
function rlpFieldsOf(typed: Uint8Array): unknown {
  return rlpDecode(typed.subarray(1));
}
