import { describe, expect, it } from "vitest";
import { Fork } from "../evm/forks.js";
import { hexToBytes } from "../primitives/hex.js";
import { EMPTY_TRIE_ROOT } from "../state/trie.js";
import { EMPTY_UNCLE_HASH, type Header, withdrawalsRoot } from "./block.js";
import { FORK_BLOCKS_TO_LONDON } from "./config.js";
import { DAO_FORK_EXTRA_DATA } from "./dao.js";
import {
  BlockValidationError,
  calcBaseFee,
  calcDifficulty,
  checkGasLimit,
  headerFork,
  parseChainSpec,
  validateBody,
  validateHeader,
  validateUncles,
} from "./validate.js";

const CANCUN = parseChainSpec({
  chainId: 1,
  ...FORK_BLOCKS_TO_LONDON,
  terminalTotalDifficulty: 0,
  shanghaiTime: 0,
  cancunTime: 0,
});

function header(over: Partial<Header>): Header {
  return {
    parentHash: new Uint8Array(32),
    uncleHash: EMPTY_UNCLE_HASH,
    coinbase: "0x0000000000000000000000000000000000000000",
    stateRoot: new Uint8Array(32),
    transactionsRoot: EMPTY_TRIE_ROOT,
    receiptsRoot: EMPTY_TRIE_ROOT,
    logsBloom: new Uint8Array(256),
    difficulty: 0n,
    number: 0n,
    gasLimit: 30_000_000n,
    gasUsed: 0n,
    timestamp: 1000n,
    extraData: new Uint8Array(0),
    mixHash: new Uint8Array(32),
    nonce: new Uint8Array(8),
    ...over,
  };
}

const cancunParent = () =>
  header({
    baseFeePerGas: 1_000_000_000n,
    withdrawalsRoot: EMPTY_TRIE_ROOT,
    blobGasUsed: 0n,
    excessBlobGas: 0n,
    parentBeaconBlockRoot: new Uint8Array(32),
  });
const cancunChild = (over: Partial<Header> = {}) =>
  header({
    number: 1n,
    timestamp: 1012n,
    baseFeePerGas: 875_000_000n,
    withdrawalsRoot: EMPTY_TRIE_ROOT,
    blobGasUsed: 0n,
    excessBlobGas: 0n,
    parentBeaconBlockRoot: new Uint8Array(32),
    ...over,
  });

function codeOf(fn: () => void): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof BlockValidationError) return err.code;
    throw err;
  }
  return "valid";
}

describe("EIP-1559 base fee and gas limit", () => {
  const parent = (gasUsed: bigint) => header({ gasUsed, number: 3n, baseFeePerGas: 1_000_000_000n });
  it("moves the base fee by at most 1/8 towards the gas target", () => {
    expect(calcBaseFee(CANCUN, parent(15_000_000n))).toBe(1_000_000_000n);
    expect(calcBaseFee(CANCUN, parent(30_000_000n))).toBe(1_125_000_000n);
    expect(calcBaseFee(CANCUN, parent(0n))).toBe(875_000_000n);
    // Above target the increase is at least 1 wei.
    expect(calcBaseFee(CANCUN, parent(15_000_001n))).toBe(1_000_000_008n);
    expect(calcBaseFee(CANCUN, { ...parent(15_000_001n), baseFeePerGas: 100n })).toBe(101n);
  });

  it("starts at 1 gwei on the London block", () => {
    const spec = parseChainSpec({ londonBlock: 5 });
    expect(calcBaseFee(spec, header({ number: 4n }))).toBe(1_000_000_000n);
  });

  it("keeps the gas limit within parent/1024 and at least 5000", () => {
    expect(() => checkGasLimit(1_024_000n, 1_024_999n)).not.toThrow();
    expect(() => checkGasLimit(1_024_000n, 1_023_001n)).not.toThrow();
    expect(() => checkGasLimit(1_024_000n, 1_025_000n)).toThrow(/moves too far/);
    expect(() => checkGasLimit(1_024_000n, 1_023_000n)).toThrow(BlockValidationError);
    expect(() => checkGasLimit(5000n, 4999n)).toThrow(/below the minimum 5000/);
  });
});

describe("ethash difficulty", () => {
  const parent = (over: Partial<Header>) => header({ difficulty: 2_048_000n, number: 10n, ...over });
  it("Frontier: ±1/2048 around a 13 s block time, with the bomb", () => {
    const spec = parseChainSpec({});
    const p = parent({ difficulty: 268_435_456n });
    expect(calcDifficulty(spec, 1012n, p)).toBe(268_566_528n);
    expect(calcDifficulty(spec, 1013n, p)).toBe(268_304_384n);
    // Block 200000: period 2, bomb 2^0.
    expect(calcDifficulty(spec, 1012n, { ...p, number: 199_999n })).toBe(268_566_529n);
  });

  it("Homestead: EIP-2 adjustment, bounded at -99 and the minimum", () => {
    const spec = parseChainSpec({ homesteadBlock: 0 });
    expect(calcDifficulty(spec, 1005n, parent({}))).toBe(2_049_000n);
    expect(calcDifficulty(spec, 1025n, parent({}))).toBe(2_047_000n);
    expect(calcDifficulty(spec, 11_000n, parent({}))).toBe(1_949_000n);
    expect(calcDifficulty(spec, 1100n, parent({ difficulty: 131_072n }))).toBe(131_072n);
  });

  it("Byzantium: uncles count (EIP-100) and the bomb delayed by 3M blocks", () => {
    const spec = parseChainSpec({ homesteadBlock: 0, byzantiumBlock: 0 });
    const withUncles = parent({ uncleHash: new Uint8Array(32).fill(1) });
    expect(calcDifficulty(spec, 1009n, withUncles)).toBe(2_049_000n);
    expect(calcDifficulty(spec, 1009n, parent({}))).toBe(2_048_000n);
    expect(calcDifficulty(spec, 1009n, parent({ number: 3_199_999n }))).toBe(2_048_001n);
    // Constantinople pushes it to 5M: the same parent sees no bomb.
    const cst = parseChainSpec({ homesteadBlock: 0, byzantiumBlock: 0, constantinopleBlock: 0 });
    expect(calcDifficulty(cst, 1009n, parent({ number: 3_199_999n }))).toBe(2_048_000n);
    expect(calcDifficulty(cst, 1009n, parent({ number: 5_199_999n }))).toBe(2_048_001n);
  });
});

describe("post-merge headers", () => {
  const check = (child: Header, parent = cancunParent()) =>
    codeOf(() => validateHeader(CANCUN, child, parent));

  it("accepts a well-formed Cancun child", () => {
    expect(check(cancunChild())).toBe("valid");
    expect(headerFork(CANCUN, cancunChild())).toBe(Fork.Cancun);
  });

  it("rejects each broken rule with its code", () => {
    expect(check(cancunChild({ extraData: new Uint8Array(33) }))).toBe("EXTRA_DATA_TOO_BIG");
    expect(check(cancunChild({ extraData: new Uint8Array(32) }))).toBe("valid");
    expect(check(cancunChild({ nonce: hexToBytes("0x0000000000000001") }))).toBe("INVALID_NONCE");
    expect(check(cancunChild({ uncleHash: new Uint8Array(32) }))).toBe("IMPORT_IMPOSSIBLE_UNCLES_OVER_PARIS");
    expect(check(cancunChild({ timestamp: 1000n }))).toBe("INVALID_BLOCK_TIMESTAMP_OLDER_THAN_PARENT");
    expect(check(cancunChild({ number: 2n }))).toBe("INVALID_BLOCK_NUMBER");
    expect(check(cancunChild({ baseFeePerGas: 875_000_001n }))).toBe("INVALID_BASEFEE_PER_GAS");
    expect(check(cancunChild({ gasLimit: 30_029_297n }))).toBe("INVALID_GASLIMIT");
    expect(check(cancunChild({ gasLimit: 1n << 63n }))).toBe("GASLIMIT_TOO_BIG");
    expect(check(cancunChild({ gasUsed: 30_000_001n }))).toBe("GAS_USED_OVERFLOW");
    expect(check(cancunChild({ difficulty: 1n }))).toBe("IMPORT_IMPOSSIBLE_DIFFICULTY_OVER_PARIS");
    expect(check(cancunChild({ parentBeaconBlockRoot: undefined }))).toBe("INVALID_HEADER");
    expect(check(cancunChild({ withdrawalsRoot: undefined }))).toBe("INVALID_HEADER");
    expect(check(cancunChild({ requestsHash: new Uint8Array(32) }))).toBe("INVALID_HEADER");
  });

  it("checks blob gas used and the excess blob gas (EIP-4844)", () => {
    expect(check(cancunChild({ blobGasUsed: 7n * 131072n }))).toBe("BLOB_GAS_USED_ABOVE_LIMIT");
    expect(check(cancunChild({ blobGasUsed: 1000n }))).toBe("INCORRECT_BLOB_GAS_USED");
    expect(check(cancunChild({ excessBlobGas: 1n }))).toBe("INCORRECT_EXCESS_BLOB_GAS");
    // Parent with 3 blobs of excess and 6 blobs used: 9 - 3 (target) = 6 blobs of excess.
    const busy = { ...cancunParent(), excessBlobGas: 393_216n, blobGasUsed: 786_432n };
    expect(check(cancunChild({ excessBlobGas: 786_432n }), busy)).toBe("valid");
    expect(check(cancunChild({ excessBlobGas: 0n }), busy)).toBe("INCORRECT_EXCESS_BLOB_GAS");
  });
});

describe("pre-merge headers", () => {
  it("lets the London transition block double the gas limit", () => {
    const spec = parseChainSpec({ homesteadBlock: 0, byzantiumBlock: 0, londonBlock: 5 });
    const parent = header({ number: 4n, difficulty: 131_072n, gasLimit: 10_000_000n });
    const child = (gasLimit: bigint) =>
      header({
        number: 5n,
        timestamp: 1010n,
        gasLimit,
        baseFeePerGas: 1_000_000_000n,
        difficulty: calcDifficulty(spec, 1010n, parent),
      });
    expect(codeOf(() => validateHeader(spec, child(20_000_000n), parent))).toBe("valid");
    expect(codeOf(() => validateHeader(spec, child(20_019_532n), parent))).toBe("INVALID_GASLIMIT");
    expect(codeOf(() => validateHeader(spec, { ...child(20_000_000n), difficulty: 1n }, parent))).toBe(
      "INVALID_DIFFICULTY",
    );
    expect(
      codeOf(() => validateHeader(spec, { ...child(20_000_000n), baseFeePerGas: undefined }, parent)),
    ).toBe("INVALID_HEADER");
  });
});

describe("bodies", () => {
  it("matches transactions, withdrawals and blobs against the header", () => {
    const h = cancunChild();
    expect(codeOf(() => validateBody({ header: h, transactions: [], uncles: [], withdrawals: [] }))).toBe(
      "valid",
    );
    expect(codeOf(() => validateBody({ header: h, transactions: [], uncles: [] }))).toBe(
      "RLP_WITHDRAWALS_NOT_READ",
    );
    const w = [
      { index: 0n, validatorIndex: 0n, address: "0x00000000000000000000000000000000000000aa", amount: 1n },
    ];
    expect(codeOf(() => validateBody({ header: h, transactions: [], uncles: [], withdrawals: w }))).toBe(
      "INVALID_WITHDRAWALS_ROOT",
    );
    expect(
      codeOf(() =>
        validateBody({
          header: { ...h, withdrawalsRoot: withdrawalsRoot(w) },
          transactions: [],
          uncles: [],
          withdrawals: w,
        }),
      ),
    ).toBe("valid");
    expect(
      codeOf(() =>
        validateBody({
          header: { ...h, transactionsRoot: new Uint8Array(32) },
          transactions: [],
          uncles: [],
          withdrawals: [],
        }),
      ),
    ).toBe("INVALID_TRANSACTIONS_ROOT");
    expect(
      codeOf(() =>
        validateBody({
          header: { ...h, blobGasUsed: 131072n },
          transactions: [],
          uncles: [],
          withdrawals: [],
        }),
      ),
    ).toBe("INCORRECT_BLOB_GAS_USED");
  });

  it("refuses uncles after the merge", () => {
    const block = { header: cancunChild(), transactions: [], uncles: [cancunParent()], withdrawals: [] };
    const none = { header: () => undefined, uncles: () => undefined };
    expect(codeOf(() => validateUncles(CANCUN, block, none))).toBe("IMPORT_IMPOSSIBLE_UNCLES_OVER_PARIS");
  });
});

describe("the DAO fork's extraData", () => {
  const dao = (support: boolean | undefined) =>
    parseChainSpec({
      homesteadBlock: 0,
      daoForkBlock: 5,
      ...(support === undefined ? {} : { daoForkSupport: support }),
    });
  /** A proof-of-work header at `number` on a parent one below, with `extra` as its extraData. */
  const check = (spec: ReturnType<typeof parseChainSpec>, number: bigint, extra: Uint8Array) => {
    const parent = header({ number: number - 1n, difficulty: 131_072n, timestamp: 1000n });
    const child = header({
      number,
      timestamp: 1010n,
      difficulty: calcDifficulty(spec, 1010n, parent),
      extraData: extra,
    });
    return codeOf(() => validateHeader(spec, child, parent));
  };
  const other = new TextEncoder().encode("dao-soft-fork");

  it('requires exactly "dao-hard-fork" in [daoForkBlock, daoForkBlock + 10) when the chain supports the fork', () => {
    const pro = dao(true);
    for (const n of [5n, 9n, 14n]) {
      expect(check(pro, n, DAO_FORK_EXTRA_DATA)).toBe("valid");
      expect(check(pro, n, new Uint8Array(0))).toBe("EXTRA_DATA_INVALID_DAO");
      expect(check(pro, n, other)).toBe("EXTRA_DATA_INVALID_DAO");
      expect(check(pro, n, DAO_FORK_EXTRA_DATA.subarray(0, 12))).toBe("EXTRA_DATA_INVALID_DAO");
    }
    const parent = header({ number: 4n, difficulty: 131_072n });
    const child = header({ number: 5n, timestamp: 1010n, difficulty: calcDifficulty(pro, 1010n, parent) });
    expect(() => validateHeader(pro, child, parent)).toThrow(
      /block 5 is in the DAO fork range \[5, 15\) and must have extraData "dao-hard-fork"/,
    );
  });

  it("leaves extraData free outside the range", () => {
    const pro = dao(true);
    for (const n of [4n, 15n, 100n]) {
      expect(check(pro, n, new Uint8Array(0))).toBe("valid");
      expect(check(pro, n, DAO_FORK_EXTRA_DATA)).toBe("valid");
    }
  });

  it('refuses "dao-hard-fork" in the range when the chain sets daoForkBlock but opposes the fork', () => {
    for (const con of [dao(false), dao(undefined)]) {
      expect(check(con, 5n, DAO_FORK_EXTRA_DATA)).toBe("EXTRA_DATA_INVALID_DAO");
      expect(check(con, 14n, DAO_FORK_EXTRA_DATA)).toBe("EXTRA_DATA_INVALID_DAO");
      expect(check(con, 5n, new Uint8Array(0))).toBe("valid");
      expect(check(con, 5n, other)).toBe("valid");
      expect(check(con, 15n, DAO_FORK_EXTRA_DATA)).toBe("valid");
    }
  });

  it("does nothing without daoForkBlock", () => {
    const none = parseChainSpec({ homesteadBlock: 0, daoForkSupport: true });
    expect(check(none, 5n, new Uint8Array(0))).toBe("valid");
    expect(check(none, 5n, DAO_FORK_EXTRA_DATA)).toBe("valid");
  });
});
