/**
 * Fork schedules of the public chains a replay may read from (mainnet, Sepolia, Holesky,
 * Hoodi), as go-ethereum's params/config.go defines them, written in the genesis
 * `config` format that parseChainSpec reads. Looked up by chain id or name.
 */
import { FORK_BLOCKS_TO_LONDON } from "../chain/config.js";
import { type ChainSpec, parseChainSpec } from "../chain/validate.js";

const CANCUN_BLOBS = { target: 3, max: 6, baseFeeUpdateFraction: 3338477 };
const PRAGUE_BLOBS = { target: 6, max: 9, baseFeeUpdateFraction: 5007716 };
const BPO1_BLOBS = { target: 10, max: 15, baseFeeUpdateFraction: 8346193 };
const BPO2_BLOBS = { target: 14, max: 21, baseFeeUpdateFraction: 11684671 };
const BLOBS = { cancun: CANCUN_BLOBS, prague: PRAGUE_BLOBS, bpo1: BPO1_BLOBS, bpo2: BPO2_BLOBS };

const CONFIGS: Record<string, Record<string, unknown>> = {
  mainnet: {
    chainId: 1,
    homesteadBlock: 1_150_000,
    daoForkBlock: 1_920_000,
    daoForkSupport: true,
    eip150Block: 2_463_000,
    eip155Block: 2_675_000,
    eip158Block: 2_675_000,
    byzantiumBlock: 4_370_000,
    constantinopleBlock: 7_280_000,
    petersburgBlock: 7_280_000,
    istanbulBlock: 9_069_000,
    muirGlacierBlock: 9_200_000,
    berlinBlock: 12_244_000,
    londonBlock: 12_965_000,
    arrowGlacierBlock: 13_773_000,
    grayGlacierBlock: 15_050_000,
    terminalTotalDifficulty: "58750000000000000000000",
    shanghaiTime: 1681338455,
    cancunTime: 1710338135,
    pragueTime: 1746612311,
    osakaTime: 1764798551,
    bpo1Time: 1765290071,
    bpo2Time: 1767747671,
    depositContractAddress: "0x00000000219ab540356cbb839cbe05303d7705fa",
    blobSchedule: BLOBS,
  },
  sepolia: {
    chainId: 11155111,
    ...FORK_BLOCKS_TO_LONDON,
    muirGlacierBlock: 0,
    terminalTotalDifficulty: "17000000000000000",
    shanghaiTime: 1677557088,
    cancunTime: 1706655072,
    pragueTime: 1741159776,
    osakaTime: 1760427360,
    bpo1Time: 1761017184,
    bpo2Time: 1761607008,
    depositContractAddress: "0x7f02c3e3c98b133055b8b348b2ac625669ed295d",
    blobSchedule: BLOBS,
  },
  holesky: {
    chainId: 17000,
    ...FORK_BLOCKS_TO_LONDON,
    terminalTotalDifficulty: 0,
    shanghaiTime: 1696000704,
    cancunTime: 1707305664,
    pragueTime: 1740434112,
    osakaTime: 1759308480,
    bpo1Time: 1759800000,
    bpo2Time: 1760389824,
    depositContractAddress: "0x4242424242424242424242424242424242424242",
    blobSchedule: BLOBS,
  },
  hoodi: {
    chainId: 560048,
    ...FORK_BLOCKS_TO_LONDON,
    muirGlacierBlock: 0,
    terminalTotalDifficulty: 0,
    shanghaiTime: 0,
    cancunTime: 0,
    pragueTime: 1742999832,
    osakaTime: 1761677592,
    bpo1Time: 1762365720,
    bpo2Time: 1762955544,
    depositContractAddress: "0x00000000219ab540356cbb839cbe05303d7705fa",
    blobSchedule: BLOBS,
  },
};

/** Names of the chains known here. */
export const KNOWN_CHAINS: readonly string[] = Object.keys(CONFIGS);

/** The chain spec of a known chain, by name ("mainnet") or chain id; undefined when unknown. */
export function knownChain(nameOrId: string | bigint): { name: string; spec: ChainSpec } | undefined {
  const key = typeof nameOrId === "string" ? nameOrId.trim().toLowerCase() : undefined;
  for (const [name, raw] of Object.entries(CONFIGS)) {
    const id = BigInt(raw.chainId as number);
    if (name === key || (key === "ethereum" && name === "mainnet") || nameOrId === id || key === String(id)) {
      return { name, spec: parseChainSpec(raw) };
    }
  }
  return undefined;
}
