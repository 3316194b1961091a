import { describe, expect, it } from "vitest";
import { forkAt } from "../chain/config.js";
import { isDaoForkBlock } from "../chain/dao.js";
import { Fork } from "../evm/forks.js";
import { KNOWN_CHAINS, knownChain } from "./chains.js";

describe("known chains", () => {
  it("finds chains by name and id", () => {
    expect(KNOWN_CHAINS).toEqual(expect.arrayContaining(["mainnet", "sepolia", "holesky", "hoodi"]));
    expect(knownChain(1n)?.name).toBe("mainnet");
    expect(knownChain("sepolia")?.spec.config.chainId).toBe(11155111n);
    expect(knownChain("atlantis")).toBeUndefined();
  });

  it("gives mainnet's fork schedule, the DAO fork included", () => {
    const cfg = knownChain("mainnet")!.spec.config;
    expect(isDaoForkBlock(cfg, 1_920_000n)).toBe(true);
    expect(isDaoForkBlock(cfg, 1_920_001n)).toBe(false);
    expect(cfg.daoForkSupport).toBe(true);
    expect(forkAt(cfg, 1_149_999n, 0n, false)).toBe(Fork.Frontier);
    expect(forkAt(cfg, 1_150_000n, 0n, false)).toBe(Fork.Homestead);
    expect(forkAt(cfg, 7_280_000n, 0n, false)).toBe(Fork.Petersburg);
    expect(forkAt(cfg, 15_537_394n, 1_663_224_179n, true)).toBe(Fork.Paris);
    expect(forkAt(cfg, 19_426_587n, 1_710_338_135n, true)).toBe(Fork.Cancun);
  });
});
