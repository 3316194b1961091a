import { crc32 as zlibCrc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { crc32, forkId, gatherForks } from "./forkid.js";

// Ethereum mainnet's genesis hash and its forks up to Petersburg: the examples of EIP-2124.
const MAINNET_GENESIS = "0xd4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3";
const MAINNET_TO_PETERSBURG = {
  chainId: 1,
  homesteadBlock: 1150000,
  daoForkBlock: 1920000,
  eip150Block: 2463000,
  eip155Block: 2675000,
  eip158Block: 2675000,
  byzantiumBlock: 4370000,
  constantinopleBlock: 7280000,
  petersburgBlock: 7280000,
};

describe("EIP-2124 fork ids", () => {
  it("computes CRC32 as zlib does, also when continued", () => {
    const data = new TextEncoder().encode("sonde fork id");
    expect(crc32(data)).toBe(zlibCrc32(data));
    expect(crc32(data.subarray(5), crc32(data.subarray(0, 5)))).toBe(zlibCrc32(data));
  });

  it("matches the EIP's mainnet examples", () => {
    const at = (head: bigint) => forkId(MAINNET_TO_PETERSBURG, MAINNET_GENESIS, 0n, head, 0n);
    expect(at(0n)).toEqual({ hash: "0xfc64ec04", next: 1150000n });
    expect(at(1149999n)).toEqual({ hash: "0xfc64ec04", next: 1150000n });
    expect(at(1150000n)).toEqual({ hash: "0x97c2c34c", next: 1920000n });
    expect(at(1920000n)).toEqual({ hash: "0x91d1f948", next: 2463000n });
    expect(at(2463000n)).toEqual({ hash: "0x7a64da13", next: 2675000n });
    expect(at(2675000n)).toEqual({ hash: "0x3edd5b10", next: 4370000n });
    expect(at(4370000n)).toEqual({ hash: "0xa00bc324", next: 7280000n });
    expect(at(7279999n)).toEqual({ hash: "0xa00bc324", next: 7280000n });
    expect(at(7280000n)).toEqual({ hash: "0x668db0af", next: 0n });
  });

  it("leaves out genesis forks and deduplicates, per kind", () => {
    const cfg = {
      homesteadBlock: 0,
      eip150Block: "0x5",
      eip155Block: 5,
      shanghaiTime: 100,
      cancunTime: 100,
      pragueTime: 200,
      osakaTime: 50,
      terminalTotalDifficulty: 0,
    };
    expect(gatherForks(cfg, 50n)).toEqual({ byBlock: [5n], byTime: [100n, 200n] });
    // After all block forks, time forks follow.
    const g = `0x${"11".repeat(32)}`;
    const id = forkId(cfg, g, 50n, 10n, 150n);
    expect(id.next).toBe(200n);
    const be8 = (n: bigint) => {
      const b = Buffer.alloc(8);
      b.writeBigUInt64BE(n);
      return b;
    };
    let want = zlibCrc32(Buffer.from(g.slice(2), "hex"));
    want = zlibCrc32(be8(100n), zlibCrc32(be8(5n), want));
    expect(id.hash).toBe(`0x${want.toString(16).padStart(8, "0")}`);
    expect(() => gatherForks({ londonBlock: "soon" }, 0n)).toThrow(
      'chain config londonBlock: expected a non-negative number, got "soon"',
    );
  });
});
