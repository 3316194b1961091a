import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { CONSOLIDATION_REQUEST_ADDRESS, WITHDRAWAL_REQUEST_ADDRESS } from "../block/system.js";
import {
  type Address,
  bigintToHex,
  bytesToHex,
  concatBytes,
  hexToBytes,
  wordToBytes,
} from "../primitives/hex.js";
import { privateKeyToAddress } from "../primitives/secp256k1.js";
import { MemoryState, StateDB } from "../state/statedb.js";
import { EMPTY_TRIE_ROOT } from "../state/trie.js";
import { signTransaction } from "../tx/sender.js";
import { type Block, EMPTY_UNCLE_HASH, requestsHash } from "./block.js";
import { Blockchain } from "./blockchain.js";
import { DEPOSIT_TOPIC, depositRequest } from "./process.js";
import { BlockValidationError, parseChainSpec } from "./validate.js";

const DEPOSIT_CONTRACT: Address = "0x00000000219ab540356cbb839cbe05303d7705fa";

/** ABI data of a DepositEvent whose five fields are filled with the bytes 1, 2, 3, 4, 5. */
function depositData(): Uint8Array {
  const d = new Uint8Array(576);
  const fields: [number, number][] = [
    [48, 64],
    [32, 32],
    [8, 32],
    [96, 96],
    [8, 32],
  ];
  let at = 160;
  fields.forEach(([size, padded], i) => {
    d.set(wordToBytes(BigInt(size)), at);
    d.fill(i + 1, at + 32, at + 32 + size);
    at += 32 + padded;
  });
  return d;
}

describe("EIP-6110 deposits", () => {
  it("has the DepositEvent topic", () => {
    expect(bigintToHex(DEPOSIT_TOPIC)).toBe(
      "0x649bbc62d0e31342afea4e5cd82d4049e7e1ee912fc0889aa790803be39038c5",
    );
  });

  it("packs each deposit log into 192 bytes after the type byte", () => {
    const log = { address: DEPOSIT_CONTRACT, topics: [DEPOSIT_TOPIC], data: depositData() };
    const other = { ...log, address: "0x00000000000000000000000000000000000000aa" };
    const req = depositRequest([log, other, log], DEPOSIT_CONTRACT)!;
    expect(req.length).toBe(1 + 2 * 192);
    expect(req[0]).toBe(0);
    const one = req.subarray(1, 193);
    const expected = concatBytes(
      new Uint8Array(48).fill(1),
      new Uint8Array(32).fill(2),
      new Uint8Array(8).fill(3),
      new Uint8Array(96).fill(4),
      new Uint8Array(8).fill(5),
    );
    expect(bytesToHex(one)).toBe(bytesToHex(expected));
    expect(depositRequest([other], DEPOSIT_CONTRACT)).toBeNull();
    expect(() => depositRequest([{ ...log, data: new Uint8Array(575) }], DEPOSIT_CONTRACT)).toThrow(
      BlockValidationError,
    );
  });

  it("puts deposits into a Prague block's requests hash", () => {
    const key = hexToBytes("0x45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8");
    const sender = privateKeyToAddress(key);
    const spec = parseChainSpec({
      chainId: 1,
      homesteadBlock: 0,
      byzantiumBlock: 0,
      constantinopleBlock: 0,
      istanbulBlock: 0,
      berlinBlock: 0,
      londonBlock: 0,
      terminalTotalDifficulty: 0,
      shanghaiTime: 0,
      cancunTime: 0,
      pragueTime: 0,
      depositContractAddress: DEPOSIT_CONTRACT,
    });
    // PUSH32 topic, PUSH2 576, PUSH1 0, LOG1: a DepositEvent with 576 zero bytes.
    const emitter = concatBytes(
      hexToBytes("0x7f"),
      wordToBytes(DEPOSIT_TOPIC),
      hexToBytes("0x6102406000a100"),
    );
    const state = new MemoryState();
    const account = (code: Uint8Array, balance = 0n) => ({ nonce: 1n, balance, code, storage: new Map() });
    state.accounts.set(sender, { ...account(new Uint8Array(0), 10n ** 18n), nonce: 0n });
    state.accounts.set(DEPOSIT_CONTRACT, account(emitter));
    // Queue contracts that return nothing: no withdrawal or consolidation requests.
    state.accounts.set(WITHDRAWAL_REQUEST_ADDRESS, account(hexToBytes("0x00")));
    state.accounts.set(CONSOLIDATION_REQUEST_ADDRESS, account(hexToBytes("0x00")));
    const genesis: Block = {
      header: {
        parentHash: new Uint8Array(32),
        uncleHash: EMPTY_UNCLE_HASH,
        coinbase: "0x0000000000000000000000000000000000000000",
        stateRoot: new StateDB(state).stateRoot(),
        transactionsRoot: EMPTY_TRIE_ROOT,
        receiptsRoot: EMPTY_TRIE_ROOT,
        logsBloom: new Uint8Array(256),
        difficulty: 0n,
        number: 0n,
        gasLimit: 30_000_000n,
        gasUsed: 0n,
        timestamp: 0n,
        extraData: new Uint8Array(0),
        mixHash: new Uint8Array(32),
        nonce: new Uint8Array(8),
        baseFeePerGas: 7n,
        withdrawalsRoot: EMPTY_TRIE_ROOT,
        blobGasUsed: 0n,
        excessBlobGas: 0n,
        parentBeaconBlockRoot: new Uint8Array(32),
        requestsHash: requestsHash([]),
      },
      transactions: [],
      uncles: [],
      withdrawals: [],
    };
    const chain = new Blockchain(spec, genesis, state);
    const tx = signTransaction(
      {
        type: 2,
        chainId: 1n,
        nonce: 0n,
        maxPriorityFeePerGas: 0n,
        maxFeePerGas: 100n,
        gasLimit: 100_000n,
        to: DEPOSIT_CONTRACT,
        value: 0n,
        data: new Uint8Array(0),
        accessList: [],
        yParity: 0,
        r: 0n,
        s: 0n,
      },
      key,
    );
    const b1 = chain.buildBlock({ transactions: [tx] });
    const sha = (b: Uint8Array) => createHash("sha256").update(b).digest();
    const request = concatBytes(new Uint8Array([0]), new Uint8Array(192));
    expect(bytesToHex(b1.header.requestsHash!)).toBe(bytesToHex(new Uint8Array(sha(sha(request)))));
    expect(chain.insertBlock(b1).status).toBe("head");
    const wrong = { ...b1, header: { ...b1.header, requestsHash: requestsHash([]) } };
    expect(() => chain.insertBlock(wrong)).toThrow(/requests hash mismatch/);
  });
});
