/**
 * The transactions the differential tests send to anvil: deploys of the test contracts
 * (test/anvil/contracts, compiled into build.json by compile.js) and calls that exercise
 * calls of every kind, creation, reverts, logs, storage, value transfers, self-destruct and
 * running out of gas. Each is sent with eth_sendTransaction from one of anvil's unlocked
 * dev accounts, with an explicit gas limit (so failing calls are mined, not estimated).
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Anvil } from "./anvil.js";

interface Built {
  creation: string;
  runtime: string;
  selectors: Record<string, string>;
}
const build = JSON.parse(
  readFileSync(join(dirname(fileURLToPath(import.meta.url)), "contracts", "build.json"), "utf8"),
) as { contracts: Record<string, Built> };

export function contract(name: string): Built {
  const c = build.contracts[name];
  if (c === undefined) throw new Error(`contract ${name} is not in test/anvil/contracts/build.json`);
  return c;
}

/** anvil's first dev accounts (mnemonic "test test ... junk"). */
export const ACCOUNTS = [
  "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266",
  "0x70997970c51812dc3a010c7d01b50e0d17dc79c8",
  "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc",
  "0x90f79bf6eb2c4f870365e785982e1f101e93b906",
] as const;

// ---- minimal ABI encoding (static words and one trailing dynamic `bytes`) ----

export type Arg = bigint | string | { bytes: string };

/** A 32-byte word as 64 hex digits (no 0x). */
export const word = (v: bigint) => v.toString(16).padStart(64, "0");

/** ABI-encodes arguments: bigint → uint256, "0x…" 20-byte → address, 32-byte → bytes32, {bytes} → bytes. */
export function encodeArgs(args: Arg[]): string {
  let head = "";
  let tail = "";
  const headSize = 32 * args.length;
  for (const a of args) {
    if (typeof a === "bigint") head += word(a);
    else if (typeof a === "string") head += word(BigInt(a));
    else {
      const data = a.bytes.slice(2);
      head += word(BigInt(headSize + tail.length / 2));
      tail += word(BigInt(data.length / 2)) + data.padEnd(Math.ceil(data.length / 64) * 64, "0");
    }
  }
  return head + tail;
}

export function calldata(contractName: string, signature: string, args: Arg[] = []): string {
  const sel = contract(contractName).selectors[signature];
  if (sel === undefined) throw new Error(`${contractName} has no function ${signature}`);
  return sel + encodeArgs(args);
}

export interface SentTx {
  name: string;
  hash: string;
  /** receipt status (true: success). */
  status: boolean;
}

export interface TxRequest {
  from?: string;
  to?: string;
  data?: string;
  value?: bigint;
  gas: bigint;
  /** Set: a legacy (type 0) or, with accessList, a type-1 transaction; unset: type 2. */
  gasPrice?: bigint;
  accessList?: { address: string; storageKeys: string[] }[];
}

const hex = (v: bigint) => `0x${v.toString(16)}`;

export async function send(
  anvil: Anvil,
  req: TxRequest,
): Promise<{ hash: string; receipt: Record<string, unknown> }> {
  const tx: Record<string, unknown> = { from: req.from ?? ACCOUNTS[0], gas: hex(req.gas) };
  if (req.to !== undefined) tx.to = req.to;
  if (req.data !== undefined) tx.data = req.data;
  if (req.value !== undefined) tx.value = hex(req.value);
  if (req.gasPrice !== undefined) tx.gasPrice = hex(req.gasPrice);
  if (req.accessList !== undefined) tx.accessList = req.accessList;
  const hash = await anvil.rpc<string>("eth_sendTransaction", [tx]);
  // Automine mines at once, but the receipt may appear a moment after the hash is returned.
  for (let i = 0; i < 200; i++) {
    const receipt = await anvil.rpc<Record<string, unknown> | null>("eth_getTransactionReceipt", [hash]);
    if (receipt !== null) return { hash, receipt };
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`transaction ${hash} was not mined within 2 s (is automine on?)`);
}

export const ETHER = 10n ** 18n;
export const GWEI = 10n ** 9n;

export interface Deployed {
  probe: string;
  logic: string;
  burner: string;
  child: string;
}

/** Addresses that never held anything before the scenario (fresh recipients). */
export const FRESH = {
  a: "0x00000000000000000000000000000000000f0001",
  b: "0x00000000000000000000000000000000000f0002",
  beneficiary: "0x00000000000000000000000000000000000f0003",
  nobody: "0x00000000000000000000000000000000000f0004",
};

export interface Step {
  name: string;
  /** The request, built once the contracts it needs are deployed. */
  request: (d: Deployed) => TxRequest;
  /** For a deploy: which contract address the receipt gives. */
  deploys?: keyof Deployed;
  /**
   * The transaction reads PREVRANDAO or BLOCKHASH, which differ between two nodes fed the
   * same transactions (random mixHash; block hashes that depend on each node's genesis).
   */
  readsBlockRandomness?: true;
}

/** Calldata of a Probe function. */
export const P = (sig: string, args: Arg[] = []) => calldata("Probe", sig, args);
const toProbe =
  (data: (d: Deployed) => string, extra: Partial<TxRequest> = {}) =>
  (d: Deployed): TxRequest => ({ to: d.probe, data: data(d), gas: 1_000_000n, ...extra });

/** What Probe.failWith(k) does for k = 0..9. */
export const FAIL_KINDS = [
  "revert with reason",
  "revert with custom error",
  "panic: division by zero",
  "panic: array out of bounds",
  "panic: assert",
  "require without reason",
  "INVALID opcode",
  "panic: overflow",
  "revert with file-level error",
  "no failure",
];

/** Every scenario transaction, in the order it is sent. */
export const STEPS: Step[] = [
  {
    name: "deploy Probe",
    deploys: "probe",
    request: () => ({ data: contract("Probe").creation, value: ETHER, gas: 3_000_000n }),
  },
  {
    name: "deploy Logic",
    deploys: "logic",
    request: () => ({ data: contract("Logic").creation, gas: 3_000_000n }),
  },
  {
    name: "deploy Burner",
    deploys: "burner",
    request: () => ({ data: contract("Burner").creation, gas: 3_000_000n }),
  },
  {
    name: "deploy Child (constructor argument, value)",
    deploys: "child",
    request: () => ({
      data: contract("Child").creation + encodeArgs([5n]),
      value: 3n * GWEI,
      gas: 3_000_000n,
    }),
  },
  {
    name: "legacy transfer to an EOA",
    request: () => ({
      from: ACCOUNTS[1],
      to: ACCOUNTS[2],
      value: ETHER / 10n,
      gas: 21_000n,
      gasPrice: 3n * GWEI,
    }),
  },
  {
    name: "transfer to a fresh address",
    request: () => ({ from: ACCOUNTS[1], to: FRESH.a, value: 12345n, gas: 30_000n }),
  },
  {
    name: "setMany: write storage and log",
    request: toProbe(() => P("setMany(uint256,uint256)", [3n, 10n])),
  },
  {
    name: "setMany again (access list, type 1)",
    request: (d) =>
      toProbe(() => P("setMany(uint256,uint256)", [4n, 20n]), {
        gasPrice: 2n * GWEI,
        accessList: [{ address: d.probe, storageKeys: [`0x${word(0n)}`, `0x${word(1n)}`] }],
      })(d),
  },
  { name: "readSum as a transaction", request: toProbe(() => P("readSum(uint256)", [4n])) },
  { name: "clear storage (refunds)", request: toProbe(() => P("clear(uint256)", [2n])) },
  {
    name: "LOG0..LOG4 and anonymous events",
    request: toProbe(() => P("logAll(bytes)", [{ bytes: "0xdeadbeefcafe0102" }])),
  },
  ...FAIL_KINDS.map(
    (kind, k): Step => ({
      name: `failWith(${k}): ${kind}`,
      request: toProbe(() => P("failWith(uint256)", [BigInt(k)]), k === 1 ? { value: 7n } : {}),
    }),
  ),
  { name: "CALL to a child", request: toProbe((d) => P("callPing(address,uint256)", [d.child, 3n])) },
  { name: "STATICCALL to a child", request: toProbe((d) => P("staticPing(address,uint256)", [d.child, 4n])) },
  {
    name: "STATICCALL that writes (write protection)",
    // 2M gas: the failed STATICCALL burns what it was given and the 1/64 kept must still pay
    // for the SSTORE after it, so the transaction succeeds.
    request: toProbe((d) => P("staticWrite(address)", [d.logic]), { gas: 2_000_000n }),
  },
  {
    name: "DELEGATECALL that writes and logs",
    request: toProbe((d) => P("delegateWrite(address,uint256)", [d.logic, 9n])),
  },
  { name: "DELEGATECALL that reverts", request: toProbe((d) => P("delegateFail(address)", [d.logic])) },
  { name: "catch a custom-error revert", request: toProbe((d) => P("catchBoom(address)", [d.child])) },
  {
    name: "sub-call out of gas",
    request: toProbe((d) => P("burnSub(address,uint256)", [d.burner, 30_000n])),
  },
  {
    name: "value to an EOA and a fresh address",
    request: toProbe(() => P("pay(address,address)", [ACCOUNTS[3], FRESH.b]), { value: 1001n }),
  },
  { name: "precompiles", request: toProbe(() => P("precompiles(bytes)", [{ bytes: "0x0102030405" }])) },
  { name: "recursion depth 4", request: toProbe(() => P("recurse(uint256)", [4n])) },
  { name: "CREATE with value", request: toProbe(() => P("make(uint256)", [11n]), { value: 5n }) },
  { name: "CREATE2", request: toProbe(() => P("make2(bytes32,uint256)", [`0x${word(0xabcn)}`, 12n])) },
  { name: "CREATE2 collision", request: toProbe(() => P("make2Twice(bytes32)", [`0x${word(0xdefn)}`])) },
  { name: "CREATE whose constructor reverts", request: toProbe(() => P("makeBad()")) },
  {
    name: "create and self-destruct in one tx",
    request: toProbe(() => P("makeAndKill(address)", [FRESH.beneficiary]), { value: 99n }),
  },
  {
    name: "self-destruct an old contract",
    request: toProbe((d) => P("killOld(address,address)", [d.child, FRESH.beneficiary])),
  },
  {
    name: "block and tx context",
    request: toProbe(() => P("context()"), { value: 1n }),
    readsBlockRandomness: true,
  },
  { name: "top-level out of gas", request: (d) => ({ to: d.burner, data: "0x01", gas: 60_000n }) },
  {
    name: "deploy whose constructor reverts",
    request: () => ({ data: contract("BadChild").creation, gas: 200_000n }),
  },
  {
    name: "call to an address without code",
    request: () => ({ to: FRESH.nobody, data: "0x12345678", gas: 50_000n }),
  },
  {
    name: "direct call to the sha256 precompile",
    request: () => ({ to: "0x0000000000000000000000000000000000000002", data: "0xabcdef", gas: 50_000n }),
  },
];

/** Sends every step; returns the transactions by step name, and the deployed addresses. */
export async function runScenario(anvil: Anvil): Promise<{ txs: Map<string, SentTx>; deployed: Deployed }> {
  const txs = new Map<string, SentTx>();
  const deployed: Deployed = { probe: "", logic: "", burner: "", child: "" };
  for (const step of STEPS) {
    const req = step.request(deployed);
    const { hash, receipt } = await send(anvil, req);
    txs.set(step.name, { name: step.name, hash, status: receipt.status === "0x1" });
    if (step.deploys !== undefined) {
      if (typeof receipt.contractAddress !== "string") throw new Error(`${step.name}: no contract address`);
      deployed[step.deploys] = receipt.contractAddress.toLowerCase();
    }
  }
  return { txs, deployed };
}
