/**
 * Parameter readers for JSON-RPC methods, with go-ethereum's encodings (hexutil): hex
 * quantities with a 0x prefix and no leading zeros, byte strings of even length, 20-byte
 * addresses, 32-byte hashes, block numbers or tags, EIP-1898 block references, and the
 * TransactionArgs object of eth_call / eth_estimateGas / eth_sendTransaction with its
 * state and block overrides. A bad value becomes -32602 "invalid argument N: reason".
 */
import { type Address, bytesToHex, hexToBytes } from "../primitives/hex.js";
import type { AccessList, Authorization } from "../tx/types.js";
import { INVALID_PARAMS, invalidParam, RpcError } from "./errors.js";

/** Thrown inside readers; the caller adds the argument index. */
export class ParamError extends Error {}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function hexDigits(v: unknown, what: string): string {
  if (typeof v !== "string") throw new ParamError(`${what}: expected a hex string, got ${describe(v)}`);
  if (!v.startsWith("0x") && !v.startsWith("0X"))
    throw new ParamError(`${what}: hex string without 0x prefix`);
  const d = v.slice(2);
  if (!/^[0-9a-fA-F]*$/.test(d)) throw new ParamError(`${what}: invalid hex string "${short(v)}"`);
  return d;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "string" ? `"${short(v)}"` : typeof v;
}

function short(s: string): string {
  return s.length > 70 ? `${s.slice(0, 70)}…` : s;
}

/** A hexutil.Big / Uint64 quantity. */
export function readQuantity(v: unknown, what: string, bits = 256): bigint {
  const d = hexDigits(v, what);
  if (d.length === 0) throw new ParamError(`${what}: hex string "0x"`);
  if (d.length > 1 && d[0] === "0") throw new ParamError(`${what}: hex number with leading zero digits`);
  const n = BigInt(`0x${d}`);
  if (n >= 1n << BigInt(bits)) throw new ParamError(`${what}: hex number > ${bits} bits`);
  return n;
}

/** hexutil.Bytes: 0x-prefixed, even length. */
export function readData(v: unknown, what: string): Uint8Array {
  const d = hexDigits(v, what);
  if (d.length % 2 !== 0) throw new ParamError(`${what}: hex string of odd length`);
  return hexToBytes(d);
}

function readFixed(v: unknown, what: string, size: number, kind: string): Uint8Array {
  const b = readData(v, what);
  if (b.length !== size)
    throw new ParamError(`${what}: hex string has length ${b.length * 2}, want ${size * 2} for ${kind}`);
  return b;
}

export function readAddress(v: unknown, what: string): Address {
  return bytesToHex(readFixed(v, what, 20, "common.Address"));
}

export function readHash(v: unknown, what: string): string {
  return bytesToHex(readFixed(v, what, 32, "common.Hash"));
}

export function readBool(v: unknown, what: string): boolean {
  if (typeof v !== "boolean") throw new ParamError(`${what}: expected a boolean, got ${describe(v)}`);
  return v;
}

/**
 * The request of eth_getStorageValues: an object from address to an array of 32-byte
 * slot keys. Addresses differing only in case are one address (the later entry wins, as
 * in go-ethereum's JSON map decoding).
 */
export function readStorageRequests(v: unknown, what: string): Map<Address, string[]> {
  if (!isObject(v))
    throw new ParamError(`${what}: expected an object of address to slot list, got ${describe(v)}`);
  const out = new Map<Address, string[]>();
  for (const [key, slots] of Object.entries(v)) {
    const address = readAddress(key, what);
    if (!Array.isArray(slots)) {
      throw new ParamError(
        `${what}: slots of ${address}: expected an array of hashes, got ${describe(slots)}`,
      );
    }
    out.set(
      address,
      slots.map((s) => readHash(s, what)),
    );
  }
  return out;
}

export type BlockTag = "latest" | "pending" | "earliest" | "safe" | "finalized";

export type BlockRef = { tag: BlockTag } | { number: bigint } | { hash: string; requireCanonical: boolean };

const TAGS = new Set(["latest", "pending", "earliest", "safe", "finalized"]);

/** A block number or tag (eth_getBlockByNumber). */
export function readBlockNumber(v: unknown, what: string): BlockRef {
  if (typeof v === "string" && TAGS.has(v)) return { tag: v as BlockTag };
  if (typeof v !== "string")
    throw new ParamError(`${what}: expected a block number or tag, got ${describe(v)}`);
  return { number: readQuantity(v, what, 63) };
}

/** A block number, tag or hash, or an EIP-1898 object {blockNumber} / {blockHash, requireCanonical}. */
export function readBlockRef(v: unknown, what: string): BlockRef {
  if (typeof v === "string" && v.length === 66 && v.startsWith("0x")) {
    return { hash: readHash(v, what), requireCanonical: false };
  }
  if (isObject(v)) {
    const hasHash = v.blockHash !== undefined && v.blockHash !== null;
    const hasNum = v.blockNumber !== undefined && v.blockNumber !== null;
    if (hasHash && hasNum)
      throw new ParamError(`${what}: cannot specify both BlockHash and BlockNumber, choose one or the other`);
    if (hasHash) {
      const rc = v.requireCanonical;
      return {
        hash: readHash(v.blockHash, `${what}.blockHash`),
        requireCanonical: rc === undefined || rc === null ? false : readBool(rc, `${what}.requireCanonical`),
      };
    }
    if (hasNum) return readBlockNumber(v.blockNumber, `${what}.blockNumber`);
    throw new ParamError(`${what}: expected blockHash or blockNumber`);
  }
  return readBlockNumber(v, what);
}

/** Checks the argument count and runs `read` with each argument, turning ParamError into -32602. */
export function args(params: unknown[], max: number, required: number): unknown[] {
  if (params.length > max) throw new RpcError(INVALID_PARAMS, `too many arguments, want at most ${max}`);
  for (let i = 0; i < required; i++) {
    if (params[i] === undefined || params[i] === null) {
      throw new RpcError(INVALID_PARAMS, `missing value for required argument ${i}`);
    }
  }
  return params;
}

/** Runs a reader on argument `i`, reporting failures as "invalid argument i: …". */
export function param<T>(params: unknown[], i: number, read: (v: unknown, what: string) => T): T {
  try {
    return read(params[i], "");
  } catch (err) {
    if (err instanceof ParamError) throw invalidParam(i, err.message.replace(/^: /, ""));
    throw err;
  }
}

/** Like `param`, but undefined/null gives `dflt`. */
export function optParam<T>(params: unknown[], i: number, read: (v: unknown, what: string) => T, dflt: T): T {
  const v = params[i];
  if (v === undefined || v === null) return dflt;
  return param(params, i, read);
}

// ---------------------------------------------------------------------------
// TransactionArgs

export interface CallArgs {
  from?: Address;
  to?: Address | null;
  gas?: bigint;
  gasPrice?: bigint;
  maxFeePerGas?: bigint;
  maxPriorityFeePerGas?: bigint;
  maxFeePerBlobGas?: bigint;
  value?: bigint;
  nonce?: bigint;
  data?: Uint8Array;
  accessList?: AccessList;
  chainId?: bigint;
  blobVersionedHashes?: Uint8Array[];
  authorizationList?: Authorization[];
}

function sub(what: string, key: string): string {
  return what === "" ? key : `${what}.${key}`;
}

function readAccessList(v: unknown, what: string): AccessList {
  if (!Array.isArray(v)) throw new ParamError(`${what}: expected an array`);
  return v.map((e, i) => {
    const w = `${what}[${i}]`;
    if (!isObject(e)) throw new ParamError(`${w}: expected an object`);
    const keys = e.storageKeys ?? [];
    if (!Array.isArray(keys)) throw new ParamError(`${w}.storageKeys: expected an array`);
    return {
      address: readAddress(e.address, `${w}.address`),
      storageKeys: keys.map((k, j) => BigInt(readHash(k, `${w}.storageKeys[${j}]`))),
    };
  });
}

function readAuthorizations(v: unknown, what: string): Authorization[] {
  if (!Array.isArray(v)) throw new ParamError(`${what}: expected an array`);
  return v.map((e, i) => {
    const w = `${what}[${i}]`;
    if (!isObject(e)) throw new ParamError(`${w}: expected an object`);
    const parity = e.yParity ?? e.v;
    return {
      chainId: readQuantity(e.chainId, `${w}.chainId`),
      address: readAddress(e.address, `${w}.address`),
      nonce: readQuantity(e.nonce, `${w}.nonce`, 64),
      yParity: Number(readQuantity(parity, `${w}.yParity`, 8)),
      r: readQuantity(e.r, `${w}.r`),
      s: readQuantity(e.s, `${w}.s`),
    };
  });
}

/** go-ethereum's TransactionArgs (unknown fields are ignored, as Go's decoder does). */
export function readCallArgs(v: unknown, what: string): CallArgs {
  if (!isObject(v)) throw new ParamError(`${what}: expected a transaction object, got ${describe(v)}`);
  const out: CallArgs = {};
  const has = (k: string) => v[k] !== undefined && v[k] !== null;
  if (has("from")) out.from = readAddress(v.from, sub(what, "from"));
  if (has("to")) out.to = readAddress(v.to, sub(what, "to"));
  if (has("gas")) out.gas = readQuantity(v.gas, sub(what, "gas"), 64);
  if (has("gasPrice")) out.gasPrice = readQuantity(v.gasPrice, sub(what, "gasPrice"));
  if (has("maxFeePerGas")) out.maxFeePerGas = readQuantity(v.maxFeePerGas, sub(what, "maxFeePerGas"));
  if (has("maxPriorityFeePerGas")) {
    out.maxPriorityFeePerGas = readQuantity(v.maxPriorityFeePerGas, sub(what, "maxPriorityFeePerGas"));
  }
  if (has("maxFeePerBlobGas"))
    out.maxFeePerBlobGas = readQuantity(v.maxFeePerBlobGas, sub(what, "maxFeePerBlobGas"));
  if (has("value")) out.value = readQuantity(v.value, sub(what, "value"));
  if (has("nonce")) out.nonce = readQuantity(v.nonce, sub(what, "nonce"), 64);
  const data = has("data") ? readData(v.data, sub(what, "data")) : undefined;
  const input = has("input") ? readData(v.input, sub(what, "input")) : undefined;
  if (data !== undefined && input !== undefined && bytesToHex(data) !== bytesToHex(input)) {
    throw new ParamError(
      `${what}: both "data" and "input" are set and not equal. Please use "input" to pass transaction call data`,
    );
  }
  const d = input ?? data;
  if (d !== undefined) out.data = d;
  if (has("accessList")) out.accessList = readAccessList(v.accessList, sub(what, "accessList"));
  if (has("chainId")) out.chainId = readQuantity(v.chainId, sub(what, "chainId"));
  if (has("blobVersionedHashes")) {
    const hs = v.blobVersionedHashes;
    if (!Array.isArray(hs)) throw new ParamError(`${sub(what, "blobVersionedHashes")}: expected an array`);
    out.blobVersionedHashes = hs.map((h, i) =>
      hexToBytes(readHash(h, `${sub(what, "blobVersionedHashes")}[${i}]`)),
    );
  }
  if (has("authorizationList")) {
    out.authorizationList = readAuthorizations(v.authorizationList, sub(what, "authorizationList"));
  }
  return out;
}

// ---------------------------------------------------------------------------
// Overrides

export interface AccountOverride {
  nonce?: bigint;
  balance?: bigint;
  code?: Uint8Array;
  /** Replaces all storage. */
  state?: Map<bigint, bigint>;
  /** Changes some slots. */
  stateDiff?: Map<bigint, bigint>;
}

export type StateOverrides = Map<Address, AccountOverride>;

function readSlots(v: unknown, what: string): Map<bigint, bigint> {
  if (!isObject(v)) throw new ParamError(`${what}: expected an object`);
  const out = new Map<bigint, bigint>();
  for (const [k, val] of Object.entries(v)) {
    out.set(BigInt(readHash(k, `${what} key`)), BigInt(readHash(val, `${what}[${k}]`)));
  }
  return out;
}

/** go-ethereum's StateOverride (movePrecompileToAddress is not supported). */
export function readStateOverrides(v: unknown, what: string): StateOverrides {
  if (!isObject(v)) throw new ParamError(`${what}: expected an object of account overrides`);
  const out: StateOverrides = new Map();
  for (const [addr, o] of Object.entries(v)) {
    const address = readAddress(addr, `${what} address`);
    const w = `${what}[${addr}]`;
    if (!isObject(o)) throw new ParamError(`${w}: expected an object`);
    const acc: AccountOverride = {};
    if (o.nonce !== undefined && o.nonce !== null) acc.nonce = readQuantity(o.nonce, `${w}.nonce`, 64);
    if (o.balance !== undefined && o.balance !== null) acc.balance = readQuantity(o.balance, `${w}.balance`);
    if (o.code !== undefined && o.code !== null) acc.code = readData(o.code, `${w}.code`);
    const hasState = o.state !== undefined && o.state !== null;
    const hasDiff = o.stateDiff !== undefined && o.stateDiff !== null;
    if (hasState && hasDiff) throw new ParamError(`account ${address} has both 'state' and 'stateDiff'`);
    if (hasState) acc.state = readSlots(o.state, `${w}.state`);
    if (hasDiff) acc.stateDiff = readSlots(o.stateDiff, `${w}.stateDiff`);
    if (o.movePrecompileToAddress !== undefined && o.movePrecompileToAddress !== null) {
      throw new ParamError(`${w}.movePrecompileToAddress: not supported by Sonde yet`);
    }
    out.set(address, acc);
  }
  return out;
}

export interface BlockOverrides {
  number?: bigint;
  difficulty?: bigint;
  time?: bigint;
  gasLimit?: bigint;
  feeRecipient?: Address;
  prevRandao?: bigint;
  baseFeePerGas?: bigint;
  blobBaseFee?: bigint;
}

export function readBlockOverrides(v: unknown, what: string): BlockOverrides {
  if (!isObject(v)) throw new ParamError(`${what}: expected an object`);
  const out: BlockOverrides = {};
  const q = (k: string, bits = 256) =>
    v[k] === undefined || v[k] === null ? undefined : readQuantity(v[k], sub(what, k), bits);
  const set = <K extends keyof BlockOverrides>(k: K, val: BlockOverrides[K] | undefined) => {
    if (val !== undefined) out[k] = val;
  };
  set("number", q("number"));
  set("difficulty", q("difficulty"));
  set("time", q("time", 64));
  set("gasLimit", q("gasLimit", 64));
  const fr = v.feeRecipient ?? v.coinbase;
  if (fr !== undefined && fr !== null) out.feeRecipient = readAddress(fr, sub(what, "feeRecipient"));
  const pr = v.prevRandao ?? v.random;
  if (pr !== undefined && pr !== null) out.prevRandao = BigInt(readHash(pr, sub(what, "prevRandao")));
  set("baseFeePerGas", q("baseFeePerGas"));
  set("blobBaseFee", q("blobBaseFee"));
  return out;
}
