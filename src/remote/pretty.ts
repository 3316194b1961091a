/**
 * The human form of a replayed transaction: a callTracer result (ideally with
 * `withLog: true`) drawn as a tree, one line per frame —
 * `[gasUsed] TYPE to::function(args) {value: …}` — with the frame's events and sub-calls
 * under it in the order they happened (a log's `position` says how many sub-calls came
 * before it) and a closing line with its outcome: decoded return values, revert reasons
 * (Error(string), Panic(uint256) with the panic's meaning, known custom errors, else the
 * bare selector) or the EVM error.
 *
 * Function, event and error names come from a built-in table of common signatures
 * (ERC-20/721/1155/4626, WETH, Uniswap v2/v3 and the universal router, Multicall, Safe,
 * proxies, …) kept as text; selectors and topics are computed with keccak when the module
 * loads. Arguments are ABI-decoded for those signatures (elementary types, bytes, string,
 * arrays and tuples); anything that does not decode is shown raw. Colours are optional
 * (the CLI turns them on only when stdout is a terminal).
 */

import { bytesToHex, hexToBytes } from "../primitives/hex.js";
import { keccak256 } from "../primitives/keccak.js";
import { unpackRevertReason } from "../tracers/native/call.js";

type Json = Record<string, unknown>;

// ---------------------------------------------------------------- signatures

const FUNCTIONS = [
  // ERC-20 (+ EIP-2612)
  "transfer(address to, uint256 amount) returns (bool)",
  "transferFrom(address from, address to, uint256 amount) returns (bool)",
  "approve(address spender, uint256 amount) returns (bool)",
  "balanceOf(address owner) returns (uint256)",
  "allowance(address owner, address spender) returns (uint256)",
  "totalSupply() returns (uint256)",
  "decimals() returns (uint8)",
  "symbol() returns (string)",
  "name() returns (string)",
  "increaseAllowance(address spender, uint256 added) returns (bool)",
  "decreaseAllowance(address spender, uint256 subtracted) returns (bool)",
  "permit(address owner, address spender, uint256 value, uint256 deadline, uint8 v, bytes32 r, bytes32 s)",
  "nonces(address owner) returns (uint256)",
  "DOMAIN_SEPARATOR() returns (bytes32)",
  // WETH
  "deposit()",
  "withdraw(uint256 amount)",
  // ERC-721
  "safeTransferFrom(address from, address to, uint256 tokenId)",
  "safeTransferFrom(address from, address to, uint256 tokenId, bytes data)",
  "ownerOf(uint256 tokenId) returns (address)",
  "setApprovalForAll(address operator, bool approved)",
  "isApprovedForAll(address owner, address operator) returns (bool)",
  "getApproved(uint256 tokenId) returns (address)",
  "tokenURI(uint256 tokenId) returns (string)",
  "supportsInterface(bytes4 interfaceId) returns (bool)",
  "onERC721Received(address operator, address from, uint256 tokenId, bytes data) returns (bytes4)",
  // ERC-1155
  "safeTransferFrom(address from, address to, uint256 id, uint256 amount, bytes data)",
  "safeBatchTransferFrom(address from, address to, uint256[] ids, uint256[] amounts, bytes data)",
  "balanceOf(address owner, uint256 id) returns (uint256)",
  "balanceOfBatch(address[] owners, uint256[] ids) returns (uint256[])",
  "uri(uint256 id) returns (string)",
  "onERC1155Received(address operator, address from, uint256 id, uint256 value, bytes data) returns (bytes4)",
  "onERC1155BatchReceived(address operator, address from, uint256[] ids, uint256[] values, bytes data) returns (bytes4)",
  // ERC-4626
  "asset() returns (address)",
  "totalAssets() returns (uint256)",
  "deposit(uint256 assets, address receiver) returns (uint256)",
  "mint(uint256 shares, address receiver) returns (uint256)",
  "withdraw(uint256 assets, address receiver, address owner) returns (uint256)",
  "redeem(uint256 shares, address receiver, address owner) returns (uint256)",
  "convertToShares(uint256 assets) returns (uint256)",
  "convertToAssets(uint256 shares) returns (uint256)",
  // Uniswap v2 router, pair, factory
  "swapExactTokensForTokens(uint256 amountIn, uint256 amountOutMin, address[] path, address to, uint256 deadline) returns (uint256[])",
  "swapTokensForExactTokens(uint256 amountOut, uint256 amountInMax, address[] path, address to, uint256 deadline) returns (uint256[])",
  "swapExactETHForTokens(uint256 amountOutMin, address[] path, address to, uint256 deadline) returns (uint256[])",
  "swapETHForExactTokens(uint256 amountOut, address[] path, address to, uint256 deadline) returns (uint256[])",
  "swapExactTokensForETH(uint256 amountIn, uint256 amountOutMin, address[] path, address to, uint256 deadline) returns (uint256[])",
  "swapTokensForExactETH(uint256 amountOut, uint256 amountInMax, address[] path, address to, uint256 deadline) returns (uint256[])",
  "swapExactTokensForTokensSupportingFeeOnTransferTokens(uint256 amountIn, uint256 amountOutMin, address[] path, address to, uint256 deadline)",
  "addLiquidity(address tokenA, address tokenB, uint256 amountADesired, uint256 amountBDesired, uint256 amountAMin, uint256 amountBMin, address to, uint256 deadline) returns (uint256, uint256, uint256)",
  "addLiquidityETH(address token, uint256 amountTokenDesired, uint256 amountTokenMin, uint256 amountETHMin, address to, uint256 deadline) returns (uint256, uint256, uint256)",
  "removeLiquidity(address tokenA, address tokenB, uint256 liquidity, uint256 amountAMin, uint256 amountBMin, address to, uint256 deadline) returns (uint256, uint256)",
  "getAmountsOut(uint256 amountIn, address[] path) returns (uint256[])",
  "getAmountsIn(uint256 amountOut, address[] path) returns (uint256[])",
  "swap(uint256 amount0Out, uint256 amount1Out, address to, bytes data)",
  "getReserves() returns (uint112, uint112, uint32)",
  "sync()",
  "skim(address to)",
  "mint(address to) returns (uint256)",
  "burn(address to) returns (uint256, uint256)",
  "token0() returns (address)",
  "token1() returns (address)",
  "getPair(address tokenA, address tokenB) returns (address)",
  "createPair(address tokenA, address tokenB) returns (address)",
  "uniswapV2Call(address sender, uint256 amount0, uint256 amount1, bytes data)",
  // Uniswap v3 router (SwapRouter and SwapRouter02), pool
  "exactInputSingle((address,address,uint24,address,uint256,uint256,uint256,uint160) params) returns (uint256)",
  "exactInputSingle((address,address,uint24,address,uint256,uint256,uint160) params) returns (uint256)",
  "exactInput((bytes,address,uint256,uint256,uint256) params) returns (uint256)",
  "exactInput((bytes,address,uint256,uint256) params) returns (uint256)",
  "exactOutputSingle((address,address,uint24,address,uint256,uint256,uint256,uint160) params) returns (uint256)",
  "exactOutput((bytes,address,uint256,uint256,uint256) params) returns (uint256)",
  "multicall(bytes[] data) returns (bytes[])",
  "multicall(uint256 deadline, bytes[] data) returns (bytes[])",
  "unwrapWETH9(uint256 amountMinimum, address recipient)",
  "refundETH()",
  "sweepToken(address token, uint256 amountMinimum, address recipient)",
  "swap(address recipient, bool zeroForOne, int256 amountSpecified, uint160 sqrtPriceLimitX96, bytes data) returns (int256, int256)",
  "slot0() returns (uint160, int24, uint16, uint16, uint16, uint8, bool)",
  "liquidity() returns (uint128)",
  "uniswapV3SwapCallback(int256 amount0Delta, int256 amount1Delta, bytes data)",
  "flash(address recipient, uint256 amount0, uint256 amount1, bytes data)",
  // Uniswap universal router
  "execute(bytes commands, bytes[] inputs, uint256 deadline)",
  "execute(bytes commands, bytes[] inputs)",
  // Multicall / Multicall3
  "aggregate((address,bytes)[] calls) returns (uint256, bytes[])",
  "tryAggregate(bool requireSuccess, (address,bytes)[] calls) returns ((bool,bytes)[])",
  "aggregate3((address,bool,bytes)[] calls) returns ((bool,bytes)[])",
  "aggregate3Value((address,bool,uint256,bytes)[] calls) returns ((bool,bytes)[])",
  "blockAndAggregate((address,bytes)[] calls) returns (uint256, bytes32, (bool,bytes)[])",
  // Safe
  "execTransaction(address to, uint256 value, bytes data, uint8 operation, uint256 safeTxGas, uint256 baseGas, uint256 gasPrice, address gasToken, address refundReceiver, bytes signatures) returns (bool)",
  "getThreshold() returns (uint256)",
  "getOwners() returns (address[])",
  "nonce() returns (uint256)",
  "setup(address[] owners, uint256 threshold, address to, bytes data, address fallbackHandler, address paymentToken, uint256 payment, address paymentReceiver)",
  "createProxyWithNonce(address singleton, bytes initializer, uint256 saltNonce) returns (address)",
  // Proxies, ownership, access control
  "upgradeTo(address implementation)",
  "upgradeToAndCall(address implementation, bytes data)",
  "implementation() returns (address)",
  "admin() returns (address)",
  "owner() returns (address)",
  "transferOwnership(address newOwner)",
  "renounceOwnership()",
  "hasRole(bytes32 role, address account) returns (bool)",
  "grantRole(bytes32 role, address account)",
  "pause()",
  "unpause()",
  // Oracles, lending, account abstraction, staking
  "latestRoundData() returns (uint80, int256, uint256, uint256, uint80)",
  "latestAnswer() returns (int256)",
  "flashLoan(address receiver, address[] assets, uint256[] amounts, uint256[] modes, address onBehalfOf, bytes params, uint16 referralCode)",
  "executeOperation(address[] assets, uint256[] amounts, uint256[] premiums, address initiator, bytes params) returns (bool)",
  "handleOps((address,uint256,bytes,bytes,bytes32,uint256,bytes32,bytes,bytes)[] ops, address beneficiary)",
  "deposit(bytes pubkey, bytes withdrawal_credentials, bytes signature, bytes32 deposit_data_root)",
];

const EVENTS = [
  "Transfer(address indexed from, address indexed to, uint256 value)",
  "Transfer(address indexed from, address indexed to, uint256 indexed tokenId)",
  "Approval(address indexed owner, address indexed spender, uint256 value)",
  "Approval(address indexed owner, address indexed approved, uint256 indexed tokenId)",
  "ApprovalForAll(address indexed owner, address indexed operator, bool approved)",
  "TransferSingle(address indexed operator, address indexed from, address indexed to, uint256 id, uint256 value)",
  "TransferBatch(address indexed operator, address indexed from, address indexed to, uint256[] ids, uint256[] values)",
  "Deposit(address indexed dst, uint256 wad)",
  "Withdrawal(address indexed src, uint256 wad)",
  "Deposit(address indexed sender, address indexed owner, uint256 assets, uint256 shares)",
  "Withdraw(address indexed sender, address indexed receiver, address indexed owner, uint256 assets, uint256 shares)",
  "Swap(address indexed sender, uint256 amount0In, uint256 amount1In, uint256 amount0Out, uint256 amount1Out, address indexed to)",
  "Swap(address indexed sender, address indexed recipient, int256 amount0, int256 amount1, uint160 sqrtPriceX96, uint128 liquidity, int24 tick)",
  "Sync(uint112 reserve0, uint112 reserve1)",
  "Mint(address indexed sender, uint256 amount0, uint256 amount1)",
  "Burn(address indexed sender, uint256 amount0, uint256 amount1, address indexed to)",
  "PairCreated(address indexed token0, address indexed token1, address pair, uint256 index)",
  "OwnershipTransferred(address indexed previousOwner, address indexed newOwner)",
  "Upgraded(address indexed implementation)",
  "AdminChanged(address previousAdmin, address newAdmin)",
  "Initialized(uint8 version)",
  "Initialized(uint64 version)",
  "RoleGranted(bytes32 indexed role, address indexed account, address indexed sender)",
  "Paused(address account)",
  "Unpaused(address account)",
  "ExecutionSuccess(bytes32 txHash, uint256 payment)",
  "ExecutionFailure(bytes32 txHash, uint256 payment)",
  "DepositEvent(bytes pubkey, bytes withdrawal_credentials, bytes amount, bytes signature, bytes index)",
];

const ERRORS = [
  "ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed)",
  "ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed)",
  "ERC20InvalidSender(address sender)",
  "ERC20InvalidReceiver(address receiver)",
  "ERC721NonexistentToken(uint256 tokenId)",
  "ERC721InsufficientApproval(address operator, uint256 tokenId)",
  "OwnableUnauthorizedAccount(address account)",
  "AccessControlUnauthorizedAccount(address account, bytes32 neededRole)",
  "ReentrancyGuardReentrantCall()",
  "SafeERC20FailedOperation(address token)",
  "AddressEmptyCode(address target)",
  "FailedInnerCall()",
  "EnforcedPause()",
];

interface Param {
  type: string;
  name: string;
  indexed: boolean;
}

interface Signature {
  name: string;
  /** Canonical form, e.g. "transfer(address,uint256)". */
  canonical: string;
  params: Param[];
  returns: string[];
}

/** Splits a parameter list at its top-level commas. */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = "";
  for (const c of s) {
    if (c === "(") depth++;
    if (c === ")") depth--;
    if (c === "," && depth === 0) {
      out.push(cur.trim());
      cur = "";
    } else cur += c;
  }
  if (cur.trim() !== "") out.push(cur.trim());
  return out;
}

/** The matching ")" for the "(" at `open`. */
function closing(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    if (s[i] === "(") depth++;
    else if (s[i] === ")" && --depth === 0) return i;
  }
  throw new Error(`unbalanced parentheses in ${s}`);
}

function parseSignature(text: string): Signature {
  const open = text.indexOf("(");
  const close = closing(text, open);
  const name = text.slice(0, open).trim();
  const params = splitTop(text.slice(open + 1, close)).map((p) => {
    const parts = p.split(/\s+/);
    return {
      type: parts[0]!,
      indexed: parts.includes("indexed"),
      name: parts.length > 1 ? parts[parts.length - 1]! : "",
    };
  });
  const rest = text.slice(close + 1).trim();
  let returns: string[] = [];
  if (rest.startsWith("returns")) {
    const r = rest.slice(rest.indexOf("("));
    returns = splitTop(r.slice(1, closing(r, 0))).map((p) => p.split(/\s+/)[0]!);
  }
  return { name, canonical: `${name}(${params.map((p) => p.type).join(",")})`, params, returns };
}

const hashOf = (s: string) => bytesToHex(keccak256(new TextEncoder().encode(s)));

function table(list: string[], key: (hash: string) => string): Map<string, Signature[]> {
  const m = new Map<string, Signature[]>();
  for (const text of list) {
    const sig = parseSignature(text);
    const k = key(hashOf(sig.canonical));
    m.set(k, [...(m.get(k) ?? []), sig]);
  }
  return m;
}

const FUNCTION_TABLE = table(FUNCTIONS, (h) => h.slice(0, 10));
const EVENT_TABLE = table(EVENTS, (h) => h);
const ERROR_TABLE = table(ERRORS, (h) => h.slice(0, 10));

/** The known function signatures for a 4-byte selector ("0xa9059cbb"), canonical form. */
export function functionSignature(selector: string): string | undefined {
  return FUNCTION_TABLE.get(selector.toLowerCase())?.[0]?.canonical;
}

/** How many signatures the built-in tables hold (functions, events, errors). */
export const SIGNATURE_COUNTS = { functions: FUNCTIONS.length, events: EVENTS.length, errors: ERRORS.length };

// ---------------------------------------------------------------- ABI decoding

type Value = bigint | boolean | string | Value[] | { tuple: Value[] };

class AbiError extends Error {}

function wordAt(d: Uint8Array, pos: number): bigint {
  if (pos < 0 || pos + 32 > d.length) throw new AbiError("out of bounds");
  let v = 0n;
  for (let i = 0; i < 32; i++) v = (v << 8n) | BigInt(d[pos + i]!);
  return v;
}

function smallAt(d: Uint8Array, pos: number): number {
  const v = wordAt(d, pos);
  if (v > BigInt(d.length)) throw new AbiError("offset or length beyond the data");
  return Number(v);
}

function arraySuffix(t: string): { inner: string; size: number | null } | null {
  const m = /^(.*)\[(\d*)\]$/.exec(t);
  if (m === null) return null;
  return { inner: m[1]!, size: m[2] === "" ? null : Number(m[2]) };
}

function tupleParts(t: string): string[] | null {
  if (!t.startsWith("(") || closing(t, 0) !== t.length - 1) return null;
  return splitTop(t.slice(1, -1));
}

function isDynamic(t: string): boolean {
  if (t === "bytes" || t === "string") return true;
  const a = arraySuffix(t);
  if (a !== null) return a.size === null || isDynamic(a.inner);
  const parts = tupleParts(t);
  return parts?.some(isDynamic) ?? false;
}

function headSize(t: string): number {
  if (isDynamic(t)) return 32;
  const a = arraySuffix(t);
  if (a !== null) return a.size! * headSize(a.inner);
  const parts = tupleParts(t);
  if (parts !== null) return parts.reduce((n, p) => n + headSize(p), 0);
  return 32;
}

function decodeList(types: string[], d: Uint8Array, base: number): Value[] {
  const out: Value[] = [];
  let head = base;
  for (const t of types) {
    if (isDynamic(t)) out.push(decodeValue(t, d, base + smallAt(d, head)));
    else out.push(decodeValue(t, d, head));
    head += headSize(t);
  }
  return out;
}

function decodeValue(t: string, d: Uint8Array, pos: number): Value {
  const a = arraySuffix(t);
  if (a !== null) {
    if (a.size === null) {
      const n = smallAt(d, pos);
      return decodeList(new Array<string>(n).fill(a.inner), d, pos + 32);
    }
    return decodeList(new Array<string>(a.size).fill(a.inner), d, pos);
  }
  const parts = tupleParts(t);
  if (parts !== null) return { tuple: decodeList(parts, d, pos) };
  if (t === "bytes" || t === "string") {
    const n = smallAt(d, pos);
    if (pos + 32 + n > d.length) throw new AbiError("bytes beyond the data");
    const b = d.subarray(pos + 32, pos + 32 + n);
    if (t === "string") return JSON.stringify(new TextDecoder("utf-8", { fatal: false }).decode(b));
    return bytesToHex(b);
  }
  const w = wordAt(d, pos);
  if (t === "address") return `0x${(w & ((1n << 160n) - 1n)).toString(16).padStart(40, "0")}`;
  if (t === "bool") return w !== 0n;
  if (t.startsWith("uint")) return w;
  if (t.startsWith("int")) {
    const bits = BigInt(t.length > 3 ? Number(t.slice(3)) : 256);
    const v = w & ((1n << bits) - 1n);
    return v >= 1n << (bits - 1n) ? v - (1n << bits) : v;
  }
  if (t.startsWith("bytes")) {
    const n = Number(t.slice(5));
    return bytesToHex(hexToBytes(w.toString(16).padStart(64, "0")).subarray(0, n));
  }
  throw new AbiError(`unsupported type ${t}`);
}

function show(v: Value): string {
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "boolean") return String(v);
  if (typeof v === "string")
    return v.length > 2 + 2 * 64 && v.startsWith("0x")
      ? `${v.slice(0, 66)}…(${(v.length - 2) / 2} bytes)`
      : v;
  if (Array.isArray(v)) return `[${v.map(show).join(", ")}]`;
  return `(${v.tuple.map(show).join(", ")})`;
}

/** Decodes `data` as the ABI encoding of `types`; null when it does not fit. */
export function decodeAbi(types: string[], data: Uint8Array): string[] | null {
  try {
    return decodeList(types, data, 0).map(show);
  } catch (e) {
    if (e instanceof AbiError || e instanceof RangeError) return null;
    throw e;
  }
}

// ---------------------------------------------------------------- frames

const PRECOMPILES = new Map<bigint, string>([
  [1n, "ecrecover"],
  [2n, "sha256"],
  [3n, "ripemd160"],
  [4n, "identity"],
  [5n, "modexp"],
  [6n, "bn254Add"],
  [7n, "bn254Mul"],
  [8n, "bn254Pairing"],
  [9n, "blake2f"],
  [10n, "pointEvaluation"],
  [11n, "bls12G1Add"],
  [12n, "bls12G1Msm"],
  [13n, "bls12G2Add"],
  [14n, "bls12G2Msm"],
  [15n, "bls12PairingCheck"],
  [16n, "bls12MapFpToG1"],
  [17n, "bls12MapFp2ToG2"],
  [0x100n, "p256Verify"],
]);

export interface PrettyOptions {
  /** ANSI colours (default false). */
  color?: boolean;
}

interface Paint {
  gas: (s: string) => string;
  name: (s: string) => string;
  event: (s: string) => string;
  bad: (s: string) => string;
  good: (s: string) => string;
  dim: (s: string) => string;
}

function painter(color: boolean): Paint {
  const wrap = (code: string) => (s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  return {
    gas: wrap("90"),
    name: wrap("32"),
    event: wrap("36"),
    bad: wrap("31"),
    good: wrap("32"),
    dim: wrap("2"),
  };
}

const WEI_PER_ETH = 10n ** 18n;

const WEI_PER_GWEI = 10n ** 9n;

/** A wei amount for people: wei below 1 gwei, gwei below 0.0001 ETH, else ETH, with the decimals needed. */
export function formatValue(wei: bigint): string {
  if (wei < WEI_PER_GWEI) return `${wei} wei`;
  if (wei < 10n ** 14n) {
    const frac = (wei % WEI_PER_GWEI).toString().padStart(9, "0").replace(/0+$/, "");
    return `${wei / WEI_PER_GWEI}${frac === "" ? "" : `.${frac}`} gwei`;
  }
  const whole = wei / WEI_PER_ETH;
  const frac = (wei % WEI_PER_ETH).toString().padStart(18, "0").replace(/0+$/, "");
  return `${whole}${frac === "" ? "" : `.${frac}`} ETH`;
}

function bytesOf(hex: unknown): Uint8Array {
  return typeof hex === "string" ? hexToBytes(hex) : new Uint8Array(0);
}

function shortHex(b: Uint8Array): string {
  if (b.length <= 64) return bytesToHex(b);
  return `${bytesToHex(b.subarray(0, 32))}…(${b.length} bytes)`;
}

/** The call part of a frame line: `to::function(args)`. */
function describeCall(f: Json, p: Paint): { text: string; sig: Signature | undefined } {
  const to = typeof f.to === "string" ? f.to : "";
  const input = bytesOf(f.input);
  const type = String(f.type ?? "CALL");
  if (type === "CREATE" || type === "CREATE2") {
    return {
      text: `${to === "" ? "(failed)" : to} ${p.dim(`(initcode ${input.length} bytes)`)}`,
      sig: undefined,
    };
  }
  const pre = to === "" ? undefined : PRECOMPILES.get(BigInt(to));
  if (pre !== undefined) return { text: `${to}::${p.name(pre)}(${input.length} bytes)`, sig: undefined };
  if (input.length === 0) return { text: to, sig: undefined };
  if (input.length < 4) return { text: `${to}::${p.dim(`fallback(${bytesToHex(input)})`)}`, sig: undefined };
  const selector = bytesToHex(input.subarray(0, 4));
  const args = input.subarray(4);
  for (const sig of FUNCTION_TABLE.get(selector) ?? []) {
    const decoded = decodeAbi(
      sig.params.map((x) => x.type),
      args,
    );
    if (decoded !== null) return { text: `${to}::${p.name(sig.name)}(${decoded.join(", ")})`, sig };
  }
  const rest = args.length === 0 ? "" : `${args.length} bytes`;
  return { text: `${to}::${p.dim(selector)}(${rest})`, sig: undefined };
}

/** What a failed frame's revert data says. */
export function describeRevert(output: Uint8Array): string {
  if (output.length === 0) return "";
  const selector = bytesToHex(output.subarray(0, Math.min(4, output.length)));
  if (selector === "0x4e487b71") {
    const code = output.length >= 36 ? wordAt(output, 4) : undefined;
    const text = unpackRevertReason(output);
    return `panic: ${text ?? "malformed"}${code === undefined ? "" : ` (0x${code.toString(16)})`}`;
  }
  const reason = unpackRevertReason(output);
  if (reason !== null) return `revert: ${JSON.stringify(reason)}`;
  for (const sig of ERROR_TABLE.get(selector) ?? []) {
    const decoded = decodeAbi(
      sig.params.map((x) => x.type),
      output.subarray(4),
    );
    if (decoded !== null) return `${sig.name}(${decoded.join(", ")})`;
  }
  if (output.length >= 4) {
    return `custom error ${selector}${output.length > 4 ? `(${output.length - 4} bytes)` : "()"}`;
  }
  return shortHex(output);
}

function describeEvent(log: Json, p: Paint): string {
  const topics = ((log.topics ?? []) as string[]).map((t) => String(t).toLowerCase());
  const data = bytesOf(log.data);
  const t0 = topics[0];
  for (const sig of t0 === undefined ? [] : (EVENT_TABLE.get(t0) ?? [])) {
    const indexed = sig.params.filter((x) => x.indexed);
    if (indexed.length !== topics.length - 1) continue;
    const plain = decodeAbi(
      sig.params.filter((x) => !x.indexed).map((x) => x.type),
      data,
    );
    if (plain === null) continue;
    let ti = 1;
    let di = 0;
    const parts = sig.params.map((x) => {
      let v: string;
      if (x.indexed) {
        const topic = hexToBytes(topics[ti++]!);
        v = isDynamic(x.type)
          ? `${bytesToHex(topic)} (hash)`
          : (decodeAbi([x.type], topic)?.[0] ?? bytesToHex(topic));
      } else v = plain[di++]!;
      return x.name === "" ? v : `${x.name}: ${v}`;
    });
    return `${p.event(`emit ${sig.name}`)}(${parts.join(", ")})`;
  }
  const shown = topics.slice(1).map((t, i) => `topic${i + 1}: ${t}`);
  if (data.length > 0) shown.push(`data: ${shortHex(data)}`);
  return `${p.event(`emit ${t0 === undefined ? "anonymous" : `${t0.slice(0, 10)}…`}`)}(${shown.join(", ")})`;
}

function outcomeLine(f: Json, sig: Signature | undefined, p: Paint): string {
  const output = bytesOf(f.output);
  if (typeof f.error === "string") {
    if (f.error === "execution reverted") {
      const why = describeRevert(output);
      return p.bad(`← [Revert]${why === "" ? "" : ` ${why}`}`);
    }
    return p.bad(`← [Error] ${f.error}`);
  }
  const type = String(f.type ?? "CALL");
  if (type === "CREATE" || type === "CREATE2") return p.good(`← [Return] ${output.length} bytes of code`);
  if (output.length === 0) return p.good("← [Stop]");
  if (sig !== undefined && sig.returns.length > 0) {
    const decoded = decodeAbi(sig.returns, output);
    if (decoded !== null) return p.good(`← [Return] ${decoded.join(", ")}`);
  }
  return p.good(`← [Return] ${shortHex(output)}`);
}

function frameLine(f: Json, p: Paint): { line: string; sig: Signature | undefined } {
  const type = String(f.type ?? "CALL");
  const gasUsed = typeof f.gasUsed === "string" ? BigInt(f.gasUsed) : 0n;
  const value = typeof f.value === "string" ? BigInt(f.value) : 0n;
  const valueText = value === 0n ? "" : ` {value: ${formatValue(value)}}`;
  if (type === "SELFDESTRUCT") {
    return {
      line: `${p.bad("SELFDESTRUCT")} ${String(f.from)} → ${String(f.to ?? "")}${valueText}`,
      sig: undefined,
    };
  }
  const { text, sig } = describeCall(f, p);
  return { line: `${p.gas(`[${gasUsed}]`)} ${type} ${text}${valueText}`, sig };
}

/**
 * Draws a callTracer result as a tree. Lines end with "\n". Frames appear with their
 * events and sub-calls in execution order, then their outcome.
 */
export function renderCallTree(root: unknown, opts: PrettyOptions = {}): string {
  const p = painter(opts.color ?? false);
  const lines: string[] = [];
  const walk = (f: Json, prefix: string, childPrefix: string) => {
    const { line, sig } = frameLine(f, p);
    lines.push(prefix + line);
    const calls = (Array.isArray(f.calls) ? f.calls : []) as Json[];
    const logs = (Array.isArray(f.logs) ? f.logs : []) as Json[];
    // Interleave: a log at position k comes after the first k sub-calls.
    const items: ({ kind: "call"; f: Json } | { kind: "log"; log: Json })[] = [];
    let li = 0;
    const pos = (l: Json) => (typeof l.position === "string" ? Number(BigInt(l.position)) : 0);
    calls.forEach((c, ci) => {
      while (li < logs.length && pos(logs[li]!) <= ci) items.push({ kind: "log", log: logs[li++]! });
      items.push({ kind: "call", f: c });
    });
    while (li < logs.length) items.push({ kind: "log", log: logs[li++]! });
    if (String(f.type) === "SELFDESTRUCT") return;
    for (const item of items) {
      if (item.kind === "log") lines.push(`${childPrefix}├─ ${describeEvent(item.log, p)}`);
      else walk(item.f, `${childPrefix}├─ `, `${childPrefix}│  `);
    }
    lines.push(`${childPrefix}└─ ${outcomeLine(f, sig, p)}`);
  };
  walk(root as Json, "", "");
  return `${lines.join("\n")}\n`;
}

/** True when `v` looks like a callTracer result (so it can be drawn). */
export function isCallFrame(v: unknown): boolean {
  return (
    typeof v === "object" &&
    v !== null &&
    !Array.isArray(v) &&
    typeof (v as Json).type === "string" &&
    typeof (v as Json).from === "string" &&
    typeof (v as Json).gasUsed === "string"
  );
}
