import { describe, expect, it } from "vitest";
import { GAS_PER_BLOB } from "../block/blobs.js";
import { Fork } from "../evm/forks.js";
import { blobScheduleAt, ChainConfigError, forkAt, nextExcessBlobGas, parseChainConfig } from "./config.js";

const mainnetLike = parseChainConfig({
  chainId: 1,
  homesteadBlock: 1_150_000,
  eip150Block: 2_463_000,
  eip155Block: 2_675_000,
  eip158Block: 2_675_000,
  byzantiumBlock: 4_370_000,
  constantinopleBlock: 7_280_000,
  petersburgBlock: 7_280_000,
  istanbulBlock: 9_069_000,
  berlinBlock: 12_244_000,
  londonBlock: 12_965_000,
  terminalTotalDifficulty: "58750000000000000000000",
  shanghaiTime: 1_681_338_455,
  cancunTime: 1_710_338_135,
  pragueTime: 1_746_612_311,
});

describe("forkAt", () => {
  it("follows block-numbered forks", () => {
    expect(forkAt(mainnetLike, 0n, 0n, false)).toBe(Fork.Frontier);
    expect(forkAt(mainnetLike, 1_150_000n, 0n, false)).toBe(Fork.Homestead);
    expect(forkAt(mainnetLike, 2_675_000n, 0n, false)).toBe(Fork.SpuriousDragon);
    expect(forkAt(mainnetLike, 7_280_000n, 0n, false)).toBe(Fork.Petersburg);
    expect(forkAt(mainnetLike, 12_965_000n, 0n, false)).toBe(Fork.London);
  });

  it("applies timestamp forks only once merged", () => {
    const t = 1_710_338_135n;
    expect(forkAt(mainnetLike, 19_426_587n, t, false)).toBe(Fork.London);
    expect(forkAt(mainnetLike, 19_426_587n, t, true)).toBe(Fork.Cancun);
    expect(forkAt(mainnetLike, 19_426_587n, t - 1n, true)).toBe(Fork.Shanghai);
    expect(forkAt(mainnetLike, 15_537_394n, 1_663_224_179n, true)).toBe(Fork.Paris);
    expect(forkAt(mainnetLike, 22_431_084n, 1_746_612_311n, true)).toBe(Fork.Prague);
  });

  it("treats Constantinople without petersburgBlock as Petersburg, like go-ethereum", () => {
    const c = parseChainConfig({ chainId: 5, byzantiumBlock: 0, constantinopleBlock: 0 });
    expect(forkAt(c, 10n, 0n)).toBe(Fork.Petersburg);
    const d = parseChainConfig({
      chainId: 5,
      byzantiumBlock: 0,
      constantinopleBlock: 0,
      petersburgBlock: 100,
    });
    expect(forkAt(d, 10n, 0n)).toBe(Fork.Constantinople);
  });

  it("matches keys ignoring case, as Go's JSON decoding does", () => {
    const c = parseChainConfig({ chainId: 1, byzantiumBlock: 0, constantinopleBlock: 0, IstanbulBlock: 0 });
    expect(forkAt(c, 1n, 0n)).toBe(Fork.Istanbul);
  });

  it("reads merged-at-genesis configs (terminalTotalDifficulty 0)", () => {
    const c = parseChainConfig({
      chainId: 1337,
      londonBlock: 0,
      terminalTotalDifficulty: 0,
      shanghaiTime: 0,
      cancunTime: 100,
    });
    expect(forkAt(c, 1n, 50n)).toBe(Fork.Shanghai);
    expect(forkAt(c, 1n, 100n)).toBe(Fork.Cancun);
  });
});

describe("blob schedule", () => {
  const cfg = parseChainConfig({
    chainId: 1,
    londonBlock: 0,
    terminalTotalDifficulty: 0,
    cancunTime: 0,
    pragueTime: 10,
    osakaTime: 20,
    bpo1Time: 30,
    blobSchedule: {
      cancun: { target: 3, max: 6, baseFeeUpdateFraction: 3338477 },
      prague: { target: 6, max: 9, baseFeeUpdateFraction: 5007716 },
      bpo1: { target: 10, max: 15, baseFeeUpdateFraction: 8346193 },
    },
  });

  it("uses the fork's entry, then blob-parameter-only forks", () => {
    expect(blobScheduleAt(cfg, Fork.Cancun, 5n).max).toBe(6);
    expect(blobScheduleAt(cfg, Fork.Prague, 15n).max).toBe(9);
    // Osaka has no entry here: the default for the fork (Prague's parameters).
    expect(blobScheduleAt(cfg, Fork.Osaka, 25n).target).toBe(6);
    expect(blobScheduleAt(cfg, Fork.Osaka, 30n)).toEqual({ target: 10, max: 15, updateFraction: 8346193n });
  });

  it("computes the next excess blob gas (EIP-4844, EIP-7918)", () => {
    const s = { target: 3, max: 6, updateFraction: 3338477n };
    expect(nextExcessBlobGas(Fork.Cancun, s, 0n, 2n * GAS_PER_BLOB, 7n)).toBe(0n);
    expect(nextExcessBlobGas(Fork.Cancun, s, GAS_PER_BLOB, 3n * GAS_PER_BLOB, 7n)).toBe(GAS_PER_BLOB);
    // Osaka with a high execution base fee: excess grows by used × (max − target) / max.
    expect(nextExcessBlobGas(Fork.Osaka, s, GAS_PER_BLOB, 6n * GAS_PER_BLOB, 10n ** 12n)).toBe(
      GAS_PER_BLOB + (6n * GAS_PER_BLOB * 3n) / 6n,
    );
  });

  it("rejects a malformed schedule by name", () => {
    expect(() => parseChainConfig({ blobSchedule: { cancun: { target: 3 } } })).toThrow(
      /blobSchedule\.cancun: needs target, max and baseFeeUpdateFraction/,
    );
    expect(() => parseChainConfig({ londonBlock: "soon" })).toThrow(ChainConfigError);
    expect(() => parseChainConfig(7)).toThrow(/expected an object/);
  });
});

describe("DAO fork fields", () => {
  it("reads daoForkBlock and daoForkSupport, ignoring key case", () => {
    const c = parseChainConfig({
      chainId: 1,
      homesteadBlock: 0,
      daoForkBlock: 1_920_000,
      daoForkSupport: true,
    });
    expect(c.daoForkBlock).toBe(1_920_000n);
    expect(c.daoForkSupport).toBe(true);
    const d = parseChainConfig({ DAOForkBlock: "0x10", DaoForkSupport: false });
    expect(d.daoForkBlock).toBe(16n);
    expect(d.daoForkSupport).toBe(false);
  });

  it("defaults to no DAO fork block and no support", () => {
    const c = parseChainConfig({ chainId: 1, daoForkSupport: null });
    expect(c.daoForkBlock).toBeUndefined();
    expect(c.daoForkSupport).toBe(false);
  });

  it("rejects malformed values by name", () => {
    expect(() => parseChainConfig({ daoForkSupport: "yes" })).toThrow(
      /daoForkSupport: expected true or false/,
    );
    expect(() => parseChainConfig({ daoForkBlock: "soon" })).toThrow(ChainConfigError);
  });
});
