/**
 * The contracts and transactions of the node benchmark (bench/node.js), as signed raw
 * transactions, so that Sonde and anvil receive byte-identical transactions (same hashes)
 * and build identical blocks.
 *
 * Setup (one block per transaction, from dev account 0): TracerMix (bench/lib/tracer-
 * workloads.js), BenchToken and BenchHash (bench/contracts/build.json) are deployed as
 * runtime code behind a small hand-assembled constructor; BenchToken's constructor writes
 * the starting token balances (dev accounts 0–8 and the TracerMix contract) and the total
 * supply straight into storage, since BenchToken itself has no public mint to an address.
 * Then each sender approves the next one, for the transferFrom transactions of the block.
 *
 * The block: `blockTransactions(200)` cycles through 20 kinds of transaction from dev
 * accounts 1–8 (ERC-20 transfers to fresh and to known holders, approvals, transferFrom,
 * benchMint, TracerMix.run — nested calls into the token —, a short hashChain, plain value
 * transfers, a contract creation and two kinds of revert). Every transaction has the same
 * fee caps, so a node orders them by arrival (Sonde by tip, then arrival; anvil is started
 * with `--order fifo`).
 */
import { keccak_256 } from "@noble/hashes/sha3.js";
import { getContractAddress } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { balanceSlot, compileMix } from "./tracer-workloads.js";
import { bytesToHex, loadBuild, uint256 } from "./workloads.js";

export const CHAIN_ID = 1337;
export const MNEMONIC = "test test test test test test test test test test test junk";
/** Dev accounts used: 0 deploys, 1–8 send the block's transactions. */
export const ACCOUNT_COUNT = 9;
const SENDERS = 8;
const GWEI = 1_000_000_000n;
export const FEES = { maxFeePerGas: 100n * GWEI, maxPriorityFeePerGas: GWEI };
/** Starting token balance of each dev account and of TracerMix. */
const START_BALANCE = 10n ** 24n;

const word = (n) => bytesToHex(uint256(n)).slice(2);
const addrWord = (a) => a.toLowerCase().slice(2).padStart(64, "0");
const sel = (s) => s.replace(/^0x/, "");

/**
 * Creation code for `runtime`: first `slots` (pairs [slot hex, value bigint]) are written
 * with PUSH32 value, PUSH32 slot, SSTORE; then the runtime is copied out and returned.
 */
export function creationCode(runtime, slots = []) {
  const rt = runtime.replace(/^0x/, "");
  const len = rt.length / 2;
  if (len > 0xffff) throw new Error(`runtime too long for the deployer prefix: ${len} bytes`);
  let pre = "";
  for (const [slot, value] of slots)
    pre += `7f${word(value)}7f${slot.replace(/^0x/, "").padStart(64, "0")}55`;
  const offset = pre.length / 2 + 13;
  const h2 = (n) => n.toString(16).padStart(4, "0");
  // PUSH2 len, DUP1, PUSH2 offset, PUSH1 0, CODECOPY, PUSH1 0, RETURN
  return `0x${pre}61${h2(len)}8061${h2(offset)}6000396000f3${rt}`;
}

/** Storage slot of allowance[owner][spender] in BenchToken (mapping at slot 2). */
export function allowanceSlot(owner, spender) {
  const inner = keccak_256(Buffer.from(addrWord(owner) + word(2), "hex"));
  return bytesToHex(keccak_256(Buffer.from(addrWord(spender) + Buffer.from(inner).toString("hex"), "hex")));
}

/** Dev accounts 0..ACCOUNT_COUNT-1 of the test mnemonic (viem local accounts). */
export function devAccounts() {
  return Array.from({ length: ACCOUNT_COUNT }, (_, i) => mnemonicToAccount(MNEMONIC, { addressIndex: i }));
}

/** A fresh externally owned address (never funded) for recipient number i. */
const fresh = (i) => `0x${(0xbe0000 + i).toString(16).padStart(40, "0")}`;

/**
 * Everything the benchmark sends: the contracts' addresses, the setup transactions and a
 * function building the block's transactions. Nonces start at `nonces[i]` for account i.
 */
export function nodeWorkload() {
  const build = loadBuild().contracts;
  const mix = compileMix();
  const accounts = devAccounts();
  const addr = accounts.map((a) => a.address.toLowerCase());
  const deployer = addr[0];
  const mixAddr = getContractAddress({ from: deployer, nonce: 0n }).toLowerCase();
  const token = getContractAddress({ from: deployer, nonce: 1n }).toLowerCase();
  const hash = getContractAddress({ from: deployer, nonce: 2n }).toLowerCase();
  const holders = [...addr, mixAddr];
  const slots = holders.map((h) => [balanceSlot(h), START_BALANCE]);
  slots.push([`0x${word(0)}`, START_BALANCE * BigInt(holders.length)]); // totalSupply
  const T = build.BenchToken.selectors;
  const call = {
    transfer: (to, v) => `${T["transfer(address,uint256)"]}${addrWord(to)}${word(v)}`,
    approve: (sp, v) => `${T["approve(address,uint256)"]}${addrWord(sp)}${word(v)}`,
    transferFrom: (f, to, v) =>
      `${T["transferFrom(address,address,uint256)"]}${addrWord(f)}${addrWord(to)}${word(v)}`,
    benchMint: (n) => `${T["benchMint(uint256)"]}${word(n)}`,
    balanceOf: (who) => `${T["balanceOf(address)"]}${addrWord(who)}`,
    hashChain: (n) => `${build.BenchHash.selectors["hashChain(uint256)"]}${word(n)}`,
    mixRun: (n) => `0x${sel(mix.selectors["run(address,uint256)"])}${addrWord(token)}${word(n)}`,
  };
  const sender = (i) => 1 + (i % SENDERS);
  const setup = [
    { from: 0, to: null, data: creationCode(mix.runtime), gas: 1_000_000n, what: "deploy TracerMix" },
    {
      from: 0,
      to: null,
      data: creationCode(build.BenchToken.runtime, slots),
      gas: 2_000_000n,
      what: "deploy BenchToken with balances",
    },
    {
      from: 0,
      to: null,
      data: creationCode(build.BenchHash.runtime),
      gas: 1_000_000n,
      what: "deploy BenchHash",
    },
  ];
  for (let s = 1; s <= SENDERS; s++) {
    const next = addr[1 + (s % SENDERS)];
    setup.push({
      from: s,
      to: token,
      data: call.approve(next, (1n << 256n) - 1n),
      gas: 80_000n,
      what: "approve",
    });
  }

  /** The i-th transaction of the block (kinds cycle with period 20). */
  const blockTx = (i) => {
    const s = sender(i);
    const me = addr[s];
    const prev = addr[1 + ((s + SENDERS - 2) % SENDERS)]; // approved `me` during setup
    const other = addr[1 + ((s + 2) % SENDERS)];
    const k = i % 20;
    const tx = (to, data, gas, what, value = 0n) => ({ from: s, to, data, gas, value, what });
    if (k <= 3) return tx(token, call.transfer(fresh(i), 1000 + i), 90_000n, "erc20 transfer (new holder)");
    if (k <= 5) return tx(token, call.transfer(other, 1000 + i), 90_000n, "erc20 transfer (holder)");
    if (k === 6) return tx(token, call.approve(fresh(i), i), 70_000n, "erc20 approve");
    if (k === 7) return tx(token, call.approve(other, i + 1), 70_000n, "erc20 approve");
    if (k <= 9) return tx(token, call.transferFrom(prev, fresh(i), 5), 100_000n, "erc20 transferFrom");
    if (k === 10) return tx(token, call.benchMint(3), 200_000n, "erc20 benchMint(3)");
    if (k === 11) return tx(mixAddr, call.mixRun(2), 300_000n, "TracerMix.run(2): nested calls");
    if (k === 12) return tx(hash, call.hashChain(40), 120_000n, "hashChain(40)");
    if (k === 13) return tx(fresh(i), "0x", 21_000n, "value transfer (new account)", 10n ** 16n);
    if (k === 14) return tx(other, "0x", 21_000n, "value transfer", 10n ** 15n + BigInt(i));
    if (k === 15)
      return tx(token, call.transfer(other, 10n ** 30n), 90_000n, "revert: transfer over balance");
    if (k === 16)
      return tx(token, call.transferFrom(other, me, 1), 90_000n, "revert: transferFrom, no allowance");
    if (k === 17) return tx(token, call.transfer(prev, 7), 90_000n, "erc20 transfer (holder)");
    if (k === 18) return tx(mixAddr, call.mixRun(4), 400_000n, "TracerMix.run(4): nested calls");
    return tx(null, creationCode(build.BenchHash.runtime), 400_000n, "create BenchHash");
  };

  /** Signs transactions, taking nonces from (and advancing) `nonces`. */
  const sign = async (txs, nonces) => {
    const out = [];
    for (const t of txs) {
      const nonce = nonces[t.from]++;
      const fields = {
        type: "eip1559",
        chainId: CHAIN_ID,
        nonce,
        gas: t.gas,
        value: t.value ?? 0n,
        data: t.data,
        ...FEES,
      };
      if (t.to !== null) fields.to = t.to;
      out.push({ ...t, nonce, raw: await accounts[t.from].signTransaction(fields) });
    }
    return out;
  };

  return {
    accounts: addr,
    contracts: { token, hash, mix: mixAddr },
    call,
    hashRuntime: build.BenchHash.runtime,
    setup,
    blockTransactions: (n) => Array.from({ length: n }, (_, i) => blockTx(i)),
    sign,
  };
}
