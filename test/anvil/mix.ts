/**
 * The 200 transactions that node-compare.test.ts sends, as signed raw transactions, to
 * anvil and to `sonde node` started from the same genesis.
 *
 * They are grouped into blocks: most blocks hold one transaction (automine), a few hold
 * several (mined together with evm_mine). The mix covers every transaction type up to
 * Prague (legacy, EIP-2930, EIP-1559, EIP-7702 set-code), plain transfers (to EOAs, to new
 * accounts, zero-value touches, to contracts and precompiles), deployments from raw init
 * code (empty, reverting, invalid, 0xEF-prefixed, oversized, out of gas on the code
 * deposit, self-destructing constructors) and of the test contracts, the scenario's calls
 * of every kind (./scenario.ts, reused as they are) plus parameter sweeps over them
 * (storage writes and clears, logs with 0–4 topics, every revert kind, CREATE/CREATE2,
 * self-destruct, recursion), direct precompile calls (valid and invalid input), access
 * lists and running out of gas (top level, in a sub-call, at the EIP-7623 floor).
 *
 * Nothing here reads PREVRANDAO, BLOCKHASH or the EIP-2935/EIP-4788 storage, which
 * legitimately differ between the two nodes (scenario steps marked readsBlockRandomness are
 * left out).
 *
 * Signing uses viem (independent of Sonde's own encoder). Nonces, including the authority
 * nonces that valid EIP-7702 authorizations bump, are tracked here.
 */
import type { Hex } from "viem";
import { privateKeyToAccount, sign } from "viem/accounts";
import { devAccounts } from "../../src/node/devchain.js";
import { keccak256 } from "../../src/primitives/keccak.js";
import {
  ACCOUNTS,
  type Arg,
  calldata,
  contract,
  type Deployed,
  ETHER,
  encodeArgs,
  FAIL_KINDS,
  GWEI,
  P,
  STEPS,
  type TxRequest,
  word,
} from "./scenario.js";

type Json = Record<string, unknown>;

export const CHAIN_ID = 31337;

export type TxKind = "legacy" | "eip2930" | "eip1559" | "eip7702";

/** Addresses learnt from receipts as the mix runs. */
export interface World extends Deployed {
  /** Contracts created by Probe (from their Born logs), in order. */
  children: string[];
  /** Contracts deployed from raw init code, by label. */
  raw: Record<string, string>;
}

export interface AccessEntry {
  address: string;
  storageKeys: string[];
}

export interface AuthSpec {
  /** Dev account index of the authority. */
  signer: number;
  /** The delegation target (the zero address clears a delegation). */
  target: (w: World) => string;
  /** Added to the nonce the authorization needs (non-zero: an invalid authorization). */
  nonceOffset?: bigint;
  /** Chain id signed (default 31337; 0 is valid on every chain). */
  chainId?: number;
}

export interface TxFields {
  to?: string;
  data?: string;
  value?: bigint;
  gas: bigint;
  /** For legacy and EIP-2930 transactions of single-transaction blocks (default 2 gwei). */
  gasPrice?: bigint;
  accessList?: AccessEntry[];
}

export interface MixTx {
  name: string;
  /** Dev account index of the sender. */
  from: number;
  kind: TxKind;
  build: (w: World) => TxFields;
  auths?: AuthSpec[];
  /** For a deploy of a test contract: where its address goes. */
  deploys?: keyof Deployed;
  /** For a deploy from raw init code: the label its address is kept under (World.raw). */
  rawLabel?: string;
}

export type MixBlock = MixTx[];

// ---- helpers ---------------------------------------------------------------------------

const KEYS = devAccounts();
export const ADDR = KEYS.map((a) => a.address);
for (const [i, a] of ACCOUNTS.entries()) {
  if (ADDR[i] !== a) throw new Error(`scenario ACCOUNTS[${i}] is not dev account ${i}`);
}

const hex32 = (v: bigint) => `0x${word(v)}`;
const addr = (n: bigint) => `0x${n.toString(16).padStart(40, "0")}`;
/** Fresh addresses that hold nothing at genesis. */
const F = (n: number) => addr(0xf100n + BigInt(n));
const PRE = (n: number) => addr(BigInt(n));
const ZERO_ADDRESS = addr(0n);
const HISTORY_STORAGE = "0x0000f90827f1c53a10cb7a02335b175320002935";
const BEACON_ROOTS = "0x000f3df6d732807ef1319fb7b8bb8522d0beac02";

const zeros = (n: number) => "00".repeat(n);
const KINDS: TxKind[] = ["legacy", "eip2930", "eip1559"];
const kindAt = (i: number): TxKind => KINDS[i % KINDS.length]!;

/** Init code that runs `prefix` (constructor code) and returns `runtime` as the contract's code. */
export function initCode(runtime: string, prefix = ""): string {
  const body = runtime.replace(/^0x/, "");
  const len = body.length / 2;
  const pre = prefix.replace(/^0x/, "");
  const offset = pre.length / 2 + 11;
  const h2 = (n: number) => n.toString(16).padStart(4, "0");
  // PUSH2 len, DUP1, PUSH2 offset, PUSH0, CODECOPY, PUSH0, RETURN
  return `0x${pre}61${h2(len)}8061${h2(offset)}5f395ff3${body}`;
}

const BORN_TOPIC = `0x${Buffer.from(keccak256(new TextEncoder().encode("Born(address,uint256)"))).toString("hex")}`;

/** Updates the world from a mined transaction's receipt. */
export function learn(w: World, tx: MixTx, receipt: Json): void {
  const created =
    typeof receipt.contractAddress === "string" ? receipt.contractAddress.toLowerCase() : undefined;
  if (tx.deploys !== undefined) {
    if (created === undefined || receipt.status !== "0x1") throw new Error(`${tx.name}: deploy failed`);
    w[tx.deploys] = created;
  }
  if (tx.rawLabel !== undefined && created !== undefined && receipt.status === "0x1")
    w.raw[tx.rawLabel] = created;
  for (const log of (receipt.logs ?? []) as Json[]) {
    const topics = log.topics as string[];
    if (topics[0] === BORN_TOPIC) w.children.push(String(log.address).toLowerCase());
  }
}

export function emptyWorld(): World {
  return { probe: "", logic: "", burner: "", child: "", children: [], raw: {} };
}

// ---- the mix ---------------------------------------------------------------------------

const single = (tx: MixTx): MixBlock => [tx];

/** A call to Probe from `from`. */
function probe(
  name: string,
  from: number,
  kind: TxKind,
  data: (w: World) => string,
  extra: Partial<TxFields> = {},
): MixTx {
  return { name, from, kind, build: (w) => ({ to: w.probe, data: data(w), gas: 1_000_000n, ...extra }) };
}

/** The scenario steps as mix transactions (a step's gasPrice decides legacy / type 1; none: type 2). */
function scenarioTxs(): MixTx[] {
  return STEPS.filter((s) => s.readsBlockRandomness !== true).map((s) => {
    const placeholder = "0x0000000000000000000000000000000000000001";
    const probeReq = s.request({
      probe: placeholder,
      logic: placeholder,
      burner: placeholder,
      child: placeholder,
    });
    const from = ACCOUNTS.indexOf((probeReq.from ?? ACCOUNTS[0]) as (typeof ACCOUNTS)[number]);
    const kind: TxKind =
      probeReq.gasPrice === undefined ? "eip1559" : probeReq.accessList === undefined ? "legacy" : "eip2930";
    const tx: MixTx = {
      name: `scenario: ${s.name}`,
      from,
      kind,
      build: (w) => {
        const r: TxRequest = s.request(w);
        const f: TxFields = { gas: r.gas };
        if (r.to !== undefined) f.to = r.to;
        if (r.data !== undefined) f.data = r.data;
        if (r.value !== undefined) f.value = r.value;
        if (r.gasPrice !== undefined) f.gasPrice = r.gasPrice;
        if (r.accessList !== undefined) f.accessList = r.accessList;
        return f;
      },
    };
    if (s.deploys !== undefined) tx.deploys = s.deploys;
    return tx;
  });
}

function transferTxs(): MixTx[] {
  const targets: [string, (w: World) => Partial<TxFields>][] = [
    ["to an EOA", () => ({ to: ADDR[2], value: ETHER / 10n })],
    ["1 wei to a new account", () => ({ to: F(1), value: 1n })],
    ["zero value to a new account (touched, not created)", () => ({ to: F(2), value: 0n })],
    ["to itself", () => ({ to: ADDR[4], value: 5n })],
    ["to Probe (receive)", (w) => ({ to: w.probe, value: 1234n, gas: 50_000n })],
    ["to Child (receive)", (w) => ({ to: w.child, value: 77n, gas: 50_000n })],
    ["to Logic (no receive: reverts)", (w) => ({ to: w.logic, value: 1n, gas: 50_000n })],
    ["to Burner (payable fallback burns all gas)", (w) => ({ to: w.burner, value: 2n, gas: 50_000n })],
    ["value into ecrecover with no input", () => ({ to: PRE(1), value: 1n, gas: 40_000n })],
    ["value into identity with data", () => ({ to: PRE(4), value: 2n, data: "0x0102030405", gas: 40_000n })],
    ["BLS MAP_FP2_TO_G2 with no input (fails)", () => ({ to: PRE(0x11), gas: 100_000n })],
    ["to an EOA with calldata", () => ({ to: ADDR[3], value: 3n, data: "0x00ff00ff00", gas: 30_000n })],
    ["to a new account, listed in the access list", () => ({ to: F(3), value: 9n, gas: 30_000n })],
    ["to the zero address (the coinbase)", () => ({ to: ZERO_ADDRESS, value: 7n })],
    ["1 ether to a new account", () => ({ to: F(4), value: ETHER })],
    ["to an account created earlier", () => ({ to: F(1), value: 11n })],
    ["to a dev account", () => ({ to: ADDR[5], value: 123_456_789n })],
    ["exactly 21000 gas", () => ({ to: ADDR[6], value: 1n, gas: 21_000n })],
    [
      "to the EIP-2935 history contract without input (reverts)",
      () => ({ to: HISTORY_STORAGE, gas: 60_000n }),
    ],
    [
      "to the EIP-4788 beacon roots contract without input (reverts)",
      () => ({ to: BEACON_ROOTS, gas: 60_000n }),
    ],
  ];
  return targets.map(([label, f], i) => ({
    name: `transfer ${label}`,
    from: 4 + (i % 3),
    kind: i === 12 ? "eip2930" : kindAt(i),
    build: (w) => {
      const fields: TxFields = { gas: 25_000n, ...f(w) };
      if (i === 12) fields.accessList = [{ address: F(3), storageKeys: [] }];
      return fields;
    },
  }));
}

function probeSweeps(): MixTx[] {
  const out: MixTx[] = [];
  let i = 0;
  const add = (name: string, data: (w: World) => string, extra: Partial<TxFields> = {}, from = 0) => {
    out.push(probe(name, from, kindAt(i++), data, extra));
  };
  for (const n of [0n, 1n, 2n, 5n, 8n])
    add(`setMany(${n}, 40)`, () => P("setMany(uint256,uint256)", [n, 40n]));
  for (const n of [0n, 3n, 6n]) add(`clear(${n}) (refunds)`, () => P("clear(uint256)", [n]));
  for (const n of [0n, 5n]) add(`readSum(${n})`, () => P("readSum(uint256)", [n]));
  for (const len of [0, 1, 31, 32, 33, 64, 100]) {
    const bytes = `0x${Array.from({ length: len }, (_, k) => ((k * 37 + 11) % 256).toString(16).padStart(2, "0")).join("")}`;
    add(`logAll with ${len} bytes (LOG0..LOG4)`, () => P("logAll(bytes)", [{ bytes }]));
  }
  FAIL_KINDS.forEach((kind, k) => {
    add(
      `failWith(${k}) with value: ${kind}`,
      () => P("failWith(uint256)", [BigInt(k)]),
      { value: BigInt(k + 1) },
      1,
    );
  });
  for (const x of [0n, 1n, (1n << 256n) - 1n])
    add(`callPing(child, ${x > 1n ? "max" : x})`, (w) => P("callPing(address,uint256)", [w.child, x]));
  for (const x of [7n, 8n])
    add(`staticPing(child, ${x})`, (w) => P("staticPing(address,uint256)", [w.child, x]));
  add("staticWrite (write protection in a sub-call)", (w) => P("staticWrite(address)", [w.logic]), {
    gas: 2_000_000n,
  });
  for (const v of [0n, 1n, 12345n])
    add(`delegateWrite(logic, ${v})`, (w) => P("delegateWrite(address,uint256)", [w.logic, v]));
  add("delegateFail", (w) => P("delegateFail(address)", [w.logic]), {}, 2);
  for (let k = 0; k < 2; k++) add(`catchBoom #${k + 1}`, (w) => P("catchBoom(address)", [w.child]), {}, 3);
  for (const g of [5_000n, 50_000n, 200_000n])
    add(`burnSub with ${g} gas for the sub-call`, (w) => P("burnSub(address,uint256)", [w.burner, g]));
  add("pay an EOA and a new account", () => P("pay(address,address)", [ADDR[6], F(10)]), { value: 10n });
  add("pay two new accounts", () => P("pay(address,address)", [F(11), F(12)]), { value: 1n });
  add("pay Probe itself and Child", (w) => P("pay(address,address)", [w.probe, w.child]), { value: 100n });
  add("pay zero to two new accounts", () => P("pay(address,address)", [F(13), F(14)]));
  for (const bytes of ["0x", "0x00", hex32((1n << 256n) - 1n), `0x${"ab".repeat(200)}`])
    add(`precompiles(${(bytes.length - 2) / 2} bytes)`, () => P("precompiles(bytes)", [{ bytes }]));
  for (const d of [0n, 1n, 8n, 20n])
    add(`recurse(${d})`, () => P("recurse(uint256)", [d]), { gas: 3_000_000n });
  for (const [s, v] of [
    [1n, 0n],
    [2n, 1n],
    [3n, 1000n],
  ] as const)
    add(`make(${s}) with value ${v} (CREATE)`, () => P("make(uint256)", [s]), { value: v });
  for (const salt of [1n, 2n, 3n])
    add(`make2(salt ${salt}) (CREATE2)`, () => P("make2(bytes32,uint256)", [hex32(salt), 50n + salt]), {
      value: salt,
    });
  add("make2 with a used salt (collision: reverts)", () => P("make2(bytes32,uint256)", [hex32(1n), 51n]));
  for (const salt of [0x10n, 0x11n])
    add(`make2Twice(salt ${salt})`, () => P("make2Twice(bytes32)", [hex32(salt)]));
  add("makeBad", () => P("makeBad()"));
  for (const [b, v] of [
    [F(20), 99n],
    [ADDR[3]!, 1n],
    [F(21), 0n],
  ] as const)
    add(`makeAndKill to ${b} with value ${v}`, () => P("makeAndKill(address)", [b]), { value: v });
  add("killOld(first child) to a new account", (w) => P("killOld(address,address)", [w.children[0]!, F(22)]));
  add("killOld(second child) to an EOA", (w) => P("killOld(address,address)", [w.children[1]!, ADDR[2]!]));
  return out;
}

async function precompileTxs(): Promise<MixTx[]> {
  const msgHash = `0x${Buffer.from(keccak256(new TextEncoder().encode("sonde"))).toString("hex")}` as Hex;
  const sig = await sign({
    hash: msgHash,
    privateKey: `0x${Buffer.from(KEYS[9]!.key).toString("hex")}` as Hex,
  });
  const v = sig.v ?? 27n + BigInt(sig.yParity ?? 0);
  const ecrecoverInput = msgHash + word(v) + sig.r.slice(2) + sig.s.slice(2);
  const w32 = (n: bigint) => word(n);
  const calls: [string, number, string][] = [
    ["ecrecover (valid signature)", 1, ecrecoverInput],
    ["ecrecover (garbage)", 1, `0x${w32(1n)}${w32(99n)}${w32(2n)}${w32(3n)}`],
    ["ripemd160", 3, "0x616263"],
    ["identity (empty)", 4, "0x"],
    ["identity (100 bytes)", 4, `0x${"5a".repeat(100)}`],
    ["modexp 3^5 mod 7", 5, `0x${w32(1n)}${w32(1n)}${w32(1n)}030507`],
    ["modexp (empty input)", 5, "0x"],
    ["bn256 add (1,2)+(1,2)", 6, `0x${w32(1n)}${w32(2n)}${w32(1n)}${w32(2n)}`],
    ["bn256 add (no input: infinity)", 6, "0x"],
    ["bn256 mul (1,2)*2", 7, `0x${w32(1n)}${w32(2n)}${w32(2n)}`],
    ["bn256 pairing (empty: true)", 8, "0x"],
    ["bn256 pairing (bad length: fails)", 8, `0x${zeros(100)}`],
    ["blake2f (12 rounds)", 9, `0x0000000c${zeros(64 + 128 + 16)}01`],
    ["blake2f (bad length: fails)", 9, `0x0000000c${zeros(64 + 128 + 15)}01`],
    ["point evaluation (invalid: fails)", 0x0a, `0x${zeros(192)}`],
    ["BLS G1ADD (infinity + infinity)", 0x0b, `0x${zeros(256)}`],
    ["BLS G1MSM (empty: fails)", 0x0c, "0x"],
    ["BLS G2ADD (infinity + infinity)", 0x0d, `0x${zeros(512)}`],
    ["BLS pairing check (infinity pair: true)", 0x0f, `0x${zeros(384)}`],
    ["BLS MAP_FP_TO_G1 (zero)", 0x10, `0x${zeros(64)}`],
  ];
  return calls.map(([label, p, data], i) => ({
    name: `precompile ${label}`,
    from: i % 2 === 0 ? 9 : 4,
    kind: kindAt(i),
    build: () => ({ to: PRE(p), data, gas: 300_000n }),
  }));
}

function rawDeployTxs(): MixTx[] {
  const deploy = (
    label: string,
    init: (w: World) => string,
    extra: Partial<TxFields> = {},
    rawLabel?: string,
    from = 9,
  ): MixTx => {
    const tx: MixTx = {
      name: `deploy ${label}`,
      from,
      kind: kindAt(label.length),
      build: (w) => ({ data: init(w), gas: 500_000n, ...extra }),
    };
    if (rawLabel !== undefined) tx.rawLabel = rawLabel;
    return tx;
  };
  return [
    deploy("with empty init code (no code)", () => "0x"),
    deploy("returning STOP", () => initCode("0x00")),
    deploy("returning code that starts with 0xEF (EIP-3541: fails)", () => initCode("0xef00")),
    // MSTORE(0, 42), REVERT(0, 32)
    deploy("whose init code reverts with data", () => "0x602a5f5260205ffd"),
    deploy("whose init code hits INVALID", () => "0xfe"),
    // PUSH2 0x0400, PUSH0, RETURN: 1024 bytes of code cost 204800 gas to deposit.
    deploy("running out of gas on the code deposit", () => "0x6104005ff3", { gas: 100_000n }),
    // PUSH3 0x6001, PUSH0, RETURN: 24577 zero bytes of memory as the code.
    deploy("returning 24577 bytes (max code size: fails)", () => "0x620060015ff3", { gas: 1_000_000n }),
    // SSTORE(0, 7), LOG0(0, 1), then the code STOP
    deploy("with value, SSTORE and LOG0 in the constructor", () => initCode("0x00", "0x60075f5560015fa0"), {
      value: 1000n,
    }),
    // SELFDESTRUCT(CALLER) in the init code
    deploy("whose constructor self-destructs (created and deleted)", () => "0x33ff", { value: 500n }),
    deploy(
      "of a self-destructing contract (CALLER SELFDESTRUCT)",
      () => initCode("0x33ff"),
      { value: 50n },
      "killer",
    ),
    {
      name: "call the self-destructing contract (balance to the caller; code stays)",
      from: 9,
      kind: "eip1559",
      build: (w) => ({ to: w.raw.killer!, gas: 100_000n }),
    },
    {
      name: "call the self-destructing contract again with value",
      from: 4,
      kind: "legacy",
      build: (w) => ({ to: w.raw.killer!, value: 3n, gas: 100_000n }),
    },
    // Runtime: memory = write(uint256) selector ‖ 5, then CALLCODE(gas, Logic, 0, 0, 36, 0, 32): Logic's
    // code writes slot 0 and logs in this contract's context.
    deploy(
      "of a contract that CALLCODEs Logic.write(5)",
      (w) =>
        initCode(
          `0x63${calldata("Logic", "write(uint256)").slice(2)}60e01b5f52600560045260205f60245f5f73${w.logic.slice(2)}5af200`,
        ),
      {},
      "callcoder",
    ),
    {
      name: "call the CALLCODE contract",
      from: 9,
      kind: "eip1559",
      build: (w) => ({ to: w.raw.callcoder!, gas: 200_000n }),
    },
    deploy(
      "Probe again with value",
      () => contract("Probe").creation,
      { value: 5n, gas: 3_000_000n },
      undefined,
      5,
    ),
    deploy(
      "Child with a constructor argument",
      () => contract("Child").creation + encodeArgs([77n]),
      { gas: 1_000_000n },
      undefined,
      6,
    ),
  ];
}

function accessListAndGasTxs(): MixTx[] {
  const slot = (n: bigint) => hex32(n);
  const out: MixTx[] = [
    {
      name: "access list (type 1): Probe and its slots, setMany(1, 1)",
      from: 0,
      kind: "eip2930",
      build: (w) => ({
        to: w.probe,
        data: P("setMany(uint256,uint256)", [1n, 1n]),
        gas: 500_000n,
        accessList: [{ address: w.probe, storageKeys: [slot(0n), slot(1n), slot(3n)] }],
      }),
    },
    {
      name: "access list (type 2): Probe slot 0 and the sender, readSum(2)",
      from: 1,
      kind: "eip1559",
      build: (w) => ({
        to: w.probe,
        data: P("readSum(uint256)", [2n]),
        gas: 500_000n,
        accessList: [
          { address: w.probe, storageKeys: [slot(0n)] },
          { address: ADDR[1]!, storageKeys: [] },
        ],
      }),
    },
    {
      name: "access list (type 2): a transfer listing a precompile",
      from: 2,
      kind: "eip1559",
      build: () => ({
        to: ADDR[3],
        value: 1n,
        gas: 30_000n,
        accessList: [{ address: PRE(2), storageKeys: [] }],
      }),
    },
    {
      name: "access list (type 1) with duplicate entries, clear(1)",
      from: 3,
      kind: "eip2930",
      build: (w) => ({
        to: w.probe,
        data: P("clear(uint256)", [1n]),
        gas: 500_000n,
        accessList: [
          { address: w.probe, storageKeys: [slot(0n), slot(0n)] },
          { address: w.probe, storageKeys: [] },
        ],
      }),
    },
    {
      name: "access list (type 2) naming an untouched account, logAll",
      from: 0,
      kind: "eip1559",
      build: (w) => ({
        to: w.probe,
        data: P("logAll(bytes)", [{ bytes: "0x0102" }]),
        gas: 500_000n,
        accessList: [{ address: F(30), storageKeys: [slot(5n)] }],
      }),
    },
    {
      name: "access list (type 1) with the callee's slot, callPing",
      from: 1,
      kind: "eip2930",
      build: (w) => ({
        to: w.probe,
        data: P("callPing(address,uint256)", [w.child, 9n]),
        gas: 500_000n,
        accessList: [{ address: w.child, storageKeys: [slot(0n)] }],
      }),
    },
    {
      name: "access list (type 2) of precompiles, precompiles(3 bytes)",
      from: 2,
      kind: "eip1559",
      build: (w) => ({
        to: w.probe,
        data: P("precompiles(bytes)", [{ bytes: "0xa1b2c3" }]),
        gas: 500_000n,
        accessList: [PRE(1), PRE(2), PRE(4)].map((address) => ({ address, storageKeys: [] })),
      }),
    },
    {
      name: "access list (type 1) on a deploy",
      from: 3,
      kind: "eip2930",
      build: () => ({
        data: initCode("0x00"),
        gas: 200_000n,
        accessList: [{ address: F(31), storageKeys: [slot(1n)] }],
      }),
    },
    {
      name: "top-level out of gas in Burner (25000 gas)",
      from: 4,
      kind: "legacy",
      build: (w) => ({ to: w.burner, gas: 25_000n }),
    },
    {
      name: "top-level out of gas in Burner (100000 gas)",
      from: 5,
      kind: "eip1559",
      build: (w) => ({ to: w.burner, data: "0xff", gas: 100_000n }),
    },
    {
      name: "top-level out of gas in Burner (500000 gas, access list)",
      from: 6,
      kind: "eip2930",
      build: (w) => ({
        to: w.burner,
        gas: 500_000n,
        accessList: [{ address: w.burner, storageKeys: [slot(0n)] }],
      }),
    },
    {
      name: "setMany(10) out of gas in the loop",
      from: 0,
      kind: "eip1559",
      build: (w) => ({ to: w.probe, data: P("setMany(uint256,uint256)", [10n, 3n]), gas: 120_000n }),
    },
    {
      name: "gas limit at the EIP-7623 calldata floor (failWith runs out of gas)",
      from: 1,
      kind: "legacy",
      build: (w) => {
        const data = P("failWith(uint256)", [9n]);
        const bytes = Buffer.from(data.slice(2), "hex");
        const nonzero = BigInt(bytes.filter((b) => b !== 0).length);
        const zero = BigInt(bytes.length) - nonzero;
        return { to: w.probe, data, gas: 21_000n + 10n * (zero + 4n * nonzero) };
      },
    },
    {
      name: "recurse(60) out of gas deep down",
      from: 2,
      kind: "eip1559",
      build: (w) => ({ to: w.probe, data: P("recurse(uint256)", [60n]), gas: 300_000n }),
    },
  ];
  return out;
}

function setCodeTxs(): MixTx[] {
  const call = (sig: string, args: Arg[] = [], name = "Probe") => calldata(name, sig, args);
  return [
    {
      name: "EIP-7702: delegate account 7 to Probe and call setMany on it",
      from: 0,
      kind: "eip7702",
      auths: [{ signer: 7, target: (w) => w.probe }],
      build: () => ({ to: ADDR[7], data: call("setMany(uint256,uint256)", [2n, 5n]), gas: 500_000n }),
    },
    {
      name: "EIP-7702: readSum on the delegated account (type 2)",
      from: 0,
      kind: "eip1559",
      build: () => ({ to: ADDR[7], data: call("readSum(uint256)", [2n]), gas: 300_000n }),
    },
    {
      name: "EIP-7702: failWith(0) on the delegated account (legacy)",
      from: 0,
      kind: "legacy",
      build: () => ({ to: ADDR[7], data: call("failWith(uint256)", [0n]), gas: 300_000n }),
    },
    {
      name: "EIP-7702: self-sponsored delegation of account 8 to Logic, calling write(7)",
      from: 8,
      kind: "eip7702",
      auths: [{ signer: 8, target: (w) => w.logic }],
      build: () => ({ to: ADDR[8], data: call("write(uint256)", [7n], "Logic"), gas: 300_000n }),
    },
    {
      name: "EIP-7702: authorization with a wrong nonce (skipped), call to Probe",
      from: 0,
      kind: "eip7702",
      auths: [{ signer: 5, target: (w) => w.logic, nonceOffset: 1n }],
      build: (w) => ({ to: w.probe, data: call("setMany(uint256,uint256)", [1n, 9n]), gas: 300_000n }),
    },
    {
      name: "EIP-7702: authorization for another chain (skipped), a transfer",
      from: 0,
      kind: "eip7702",
      auths: [{ signer: 6, target: (w) => w.logic, chainId: 999 }],
      build: () => ({ to: ADDR[2], value: 5n, gas: 100_000n }),
    },
    {
      name: "EIP-7702: chain id 0 authorization of account 6 to Child, calling ping",
      from: 0,
      kind: "eip7702",
      auths: [{ signer: 6, target: (w) => w.child, chainId: 0 }],
      build: () => ({ to: ADDR[6], data: call("ping(uint256)", [3n], "Child"), gas: 200_000n }),
    },
    {
      name: "EIP-7702: re-delegate account 7 to Child, calling ping",
      from: 4,
      kind: "eip7702",
      auths: [{ signer: 7, target: (w) => w.child }],
      build: () => ({ to: ADDR[7], data: call("ping(uint256)", [1n], "Child"), gas: 200_000n }),
    },
    {
      name: "EIP-7702: the delegated account 7 sends a transfer",
      from: 7,
      kind: "eip1559",
      build: () => ({ to: ADDR[2], value: 1n, gas: 21_000n }),
    },
    {
      name: "EIP-7702: clear account 7's delegation (zero address), with value",
      from: 0,
      kind: "eip7702",
      auths: [{ signer: 7, target: () => ZERO_ADDRESS }],
      build: () => ({ to: ADDR[7], value: 1n, gas: 100_000n }),
    },
    {
      name: "EIP-7702: two authorizations (accounts 5 and 9), calling write(1) on account 5",
      from: 0,
      kind: "eip7702",
      auths: [
        { signer: 5, target: (w) => w.logic },
        { signer: 9, target: (w) => w.probe },
      ],
      build: () => ({ to: ADDR[5], data: call("write(uint256)", [1n], "Logic"), gas: 300_000n }),
    },
    {
      name: "EIP-7702: delegation to the identity precompile (runs as empty code)",
      from: 0,
      kind: "eip7702",
      auths: [{ signer: 4, target: () => PRE(4) }],
      build: () => ({ to: ADDR[4], data: "0x1234", value: 2n, gas: 100_000n }),
    },
    {
      name: "EIP-7702: fail() on account 8 (delegated to Logic)",
      from: 1,
      kind: "eip1559",
      build: () => ({ to: ADDR[8], data: call("fail()", [], "Logic"), gas: 100_000n }),
    },
  ];
}

/** Blocks of several transactions (evm_mine); senders' fees fall in send order (see feeFor). */
function multiBlocks(): MixBlock[] {
  return [
    [
      probe("block of one sender: setMany(3, 100)", 0, "eip1559", () =>
        P("setMany(uint256,uint256)", [3n, 100n]),
      ),
      probe("block of one sender: clear(3)", 0, "legacy", () => P("clear(uint256)", [3n])),
      probe("block of one sender: readSum(3)", 0, "eip2930", () => P("readSum(uint256)", [3n])),
    ],
    [
      {
        name: "mixed block: transfer to a new account",
        from: 1,
        kind: "legacy",
        build: () => ({ to: F(40), value: 40n, gas: 21_000n }),
      },
      probe("mixed block: logAll", 2, "eip1559", () => P("logAll(bytes)", [{ bytes: "0xfeed" }])),
      probe("mixed block: failWith(1)", 3, "eip2930", () => P("failWith(uint256)", [1n])),
      probe("mixed block: make(5)", 4, "eip1559", () => P("make(uint256)", [5n]), { value: 5n }),
    ],
  ];
}

/**
 * Every block of the mix, in order. Built once (the ecrecover input needs an async
 * signature); each transaction's fields are filled in from the world when it is sent.
 */
export async function buildMix(): Promise<MixBlock[]> {
  const blocks: MixBlock[] = [];
  const scenario = scenarioTxs();
  blocks.push(...scenario.slice(0, 4).map(single)); // the four deploys first
  blocks.push(...scenario.slice(4).map(single));
  const transfers = transferTxs();
  blocks.push(transfers.slice(0, 3), ...transfers.slice(3).map(single)); // the first three in one block
  const sweeps = probeSweeps();
  blocks.push(...sweeps.map(single));
  const precompiles = await precompileTxs();
  blocks.push(precompiles.slice(0, 4), ...precompiles.slice(4).map(single));
  blocks.push(...rawDeployTxs().map(single));
  blocks.push(...accessListAndGasTxs().map(single));
  blocks.push(...setCodeTxs().map(single));
  blocks.push(...multiBlocks());
  return blocks;
}

// ---- signing ---------------------------------------------------------------------------

/** Fees: single-transaction blocks pay 2 gwei (legacy/type 1) or tip 1 gwei under a 4 gwei cap; in blocks
 * of several, the i-th transaction pays (20 - i) gwei as both cap and tip, so anvil (ordering by fee
 * cap) and Sonde (ordering by effective tip) put them in the order sent. */
function feeFor(indexInBlock: number | undefined): { gasPrice: bigint; maxFee: bigint; tip: bigint } {
  if (indexInBlock === undefined) return { gasPrice: 2n * GWEI, maxFee: 4n * GWEI, tip: GWEI };
  const fee = (20n - BigInt(indexInBlock)) * GWEI;
  return { gasPrice: fee, maxFee: fee, tip: fee };
}

export interface SignedTx {
  raw: Hex;
  fields: TxFields;
  /** Authorities whose authorization is valid (their nonce is bumped). */
  validAuthorities: number[];
}

/**
 * Signs `tx` with the sender's nonce from `nonces` (dev account index → next nonce) and
 * advances the nonces (the sender's, and each valid authorization's authority).
 */
export async function signMixTx(
  tx: MixTx,
  w: World,
  nonces: bigint[],
  indexInBlock?: number,
): Promise<SignedTx> {
  const fields = tx.build(w);
  const key = `0x${Buffer.from(KEYS[tx.from]!.key).toString("hex")}` as Hex;
  const account = privateKeyToAccount(key);
  const nonce = Number(nonces[tx.from]!);
  const fee = feeFor(indexInBlock);
  const base = {
    chainId: CHAIN_ID,
    nonce,
    gas: fields.gas,
    ...(fields.to === undefined ? {} : { to: fields.to as Hex }),
    ...(fields.data === undefined ? {} : { data: fields.data as Hex }),
    ...(fields.value === undefined ? {} : { value: fields.value }),
  };
  const accessList = (fields.accessList ?? []).map((e) => ({
    address: e.address as Hex,
    storageKeys: e.storageKeys as Hex[],
  }));
  nonces[tx.from]! += 1n;
  const validAuthorities: number[] = [];
  let raw: Hex;
  switch (tx.kind) {
    case "legacy":
      raw = await account.signTransaction({
        ...base,
        type: "legacy",
        gasPrice: indexInBlock === undefined ? (fields.gasPrice ?? fee.gasPrice) : fee.gasPrice,
      });
      break;
    case "eip2930":
      raw = await account.signTransaction({
        ...base,
        type: "eip2930",
        gasPrice: indexInBlock === undefined ? (fields.gasPrice ?? fee.gasPrice) : fee.gasPrice,
        accessList,
      });
      break;
    case "eip1559":
      raw = await account.signTransaction({
        ...base,
        type: "eip1559",
        maxFeePerGas: fee.maxFee,
        maxPriorityFeePerGas: fee.tip,
        accessList,
      });
      break;
    case "eip7702": {
      const authorizationList = [];
      for (const a of tx.auths ?? []) {
        const signer = privateKeyToAccount(`0x${Buffer.from(KEYS[a.signer]!.key).toString("hex")}` as Hex);
        const offset = a.nonceOffset ?? 0n;
        const chainId = a.chainId ?? CHAIN_ID;
        authorizationList.push(
          await signer.signAuthorization({
            address: a.target(w) as Hex,
            chainId,
            nonce: Number(nonces[a.signer]! + offset),
          }),
        );
        if (offset === 0n && (chainId === 0 || chainId === CHAIN_ID)) {
          validAuthorities.push(a.signer);
          nonces[a.signer]! += 1n;
        }
      }
      raw = await account.signTransaction({
        ...base,
        type: "eip7702",
        maxFeePerGas: fee.maxFee,
        maxPriorityFeePerGas: fee.tip,
        accessList,
        authorizationList,
      });
      break;
    }
  }
  return { raw, fields, validAuthorities };
}
