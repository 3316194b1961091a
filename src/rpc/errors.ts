/**
 * JSON-RPC errors with go-ethereum's codes and texts (rpc/errors.go, internal/ethapi):
 * -32700 parse error, -32600 invalid request, -32601 method not found, -32602 invalid
 * params (naming the argument), -32603 internal error, -32000 for everything a method
 * itself reports (execution errors, pool rejections, unknown blocks), -32003 response too
 * large, and 3 with the revert data for reverts in eth_call and eth_estimateGas.
 */
import { bytesToHex } from "../primitives/hex.js";

export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = "RpcError";
  }

  toJSON(): { code: number; message: string; data?: unknown } {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }
}

export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;
export const METHOD_NOT_FOUND = -32601;
export const INVALID_PARAMS = -32602;
export const INTERNAL_ERROR = -32603;
export const SERVER_ERROR = -32000;
export const RESPONSE_TOO_LARGE = -32003;
export const REVERT_ERROR = 3;

export function methodNotFound(method: string, why?: string): RpcError {
  const base = `the method ${method} does not exist/is not available`;
  return new RpcError(METHOD_NOT_FOUND, why === undefined ? base : `${base} (${why})`);
}

/** An invalid argument: "invalid argument N: reason", as go-ethereum words it. */
export function invalidParam(index: number, reason: string): RpcError {
  return new RpcError(INVALID_PARAMS, `invalid argument ${index}: ${reason}`);
}

export function serverError(message: string): RpcError {
  return new RpcError(SERVER_ERROR, message);
}

const ERROR_SELECTOR = "0x08c379a0";
const PANIC_SELECTOR = "0x4e487b71";
const PANIC_REASONS: Record<number, string> = {
  0: "generic panic",
  1: "assert(false)",
  17: "arithmetic underflow or overflow",
  18: "division or modulo by zero",
  33: "enum overflow",
  34: "invalid encoded storage byte array accessed",
  49: "out-of-bounds array access; popping on an empty array",
  50: "out-of-bounds access of an array or bytesN",
  65: "out of memory",
  81: "uninitialized function",
};

/** Solidity's Error(string) or Panic(uint256) revert payload as text, or undefined. */
export function revertReason(data: Uint8Array): string | undefined {
  if (data.length < 4) return undefined;
  const sel = bytesToHex(data.subarray(0, 4));
  const word = (at: number): bigint | undefined => {
    if (data.length < at + 32) return undefined;
    return BigInt(bytesToHex(data.subarray(at, at + 32)));
  };
  if (sel === ERROR_SELECTOR) {
    const off = word(4);
    if (off === undefined || off > BigInt(data.length)) return undefined;
    const len = word(4 + Number(off));
    if (len === undefined) return undefined;
    const start = 4 + Number(off) + 32;
    if (BigInt(start) + len > BigInt(data.length)) return undefined;
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(data.subarray(start, start + Number(len)));
    } catch {
      return undefined;
    }
  }
  if (sel === PANIC_SELECTOR) {
    const code = word(4);
    if (code === undefined) return undefined;
    const known = code < 256n ? PANIC_REASONS[Number(code)] : undefined;
    return known ?? `unknown panic code: 0x${code.toString(16)}`;
  }
  return undefined;
}

/** go-ethereum's revert error: code 3, "execution reverted[: reason]", data = the revert bytes. */
export function revertError(data: Uint8Array): RpcError {
  const reason = revertReason(data);
  const message = reason === undefined ? "execution reverted" : `execution reverted: ${reason}`;
  return new RpcError(REVERT_ERROR, message, bytesToHex(data));
}
