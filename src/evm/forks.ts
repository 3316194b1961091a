/**
 * Hard forks, in activation order. A fork is a small integer so that rules can be
 * written as `fork >= Fork.Berlin` in hot paths.
 *
 * Names follow the fork names used by ethereum/tests and execution-spec-tests
 * (`EIP150` = Tangerine Whistle, `EIP158` = Spurious Dragon, `ConstantinopleFix` =
 * Petersburg, `Merge` = Paris); `parseFork` accepts both spellings.
 */
export const Fork = {
  Frontier: 0,
  Homestead: 1,
  TangerineWhistle: 2,
  SpuriousDragon: 3,
  Byzantium: 4,
  Constantinople: 5,
  Petersburg: 6,
  Istanbul: 7,
  Berlin: 8,
  London: 9,
  Paris: 10,
  Shanghai: 11,
  Cancun: 12,
  Prague: 13,
  Osaka: 14,
} as const;
export type Fork = (typeof Fork)[keyof typeof Fork];

export const LATEST_FORK: Fork = Fork.Osaka;

/** Canonical names, indexed by fork number. */
export const FORK_NAMES: readonly string[] = [
  "Frontier",
  "Homestead",
  "TangerineWhistle",
  "SpuriousDragon",
  "Byzantium",
  "Constantinople",
  "Petersburg",
  "Istanbul",
  "Berlin",
  "London",
  "Paris",
  "Shanghai",
  "Cancun",
  "Prague",
  "Osaka",
];

const ALIASES: Record<string, Fork> = {
  frontier: Fork.Frontier,
  homestead: Fork.Homestead,
  tangerinewhistle: Fork.TangerineWhistle,
  eip150: Fork.TangerineWhistle,
  spuriousdragon: Fork.SpuriousDragon,
  eip158: Fork.SpuriousDragon,
  byzantium: Fork.Byzantium,
  constantinople: Fork.Constantinople,
  petersburg: Fork.Petersburg,
  constantinoplefix: Fork.Petersburg,
  istanbul: Fork.Istanbul,
  berlin: Fork.Berlin,
  london: Fork.London,
  paris: Fork.Paris,
  merge: Fork.Paris,
  shanghai: Fork.Shanghai,
  cancun: Fork.Cancun,
  prague: Fork.Prague,
  osaka: Fork.Osaka,
};

/** The fork for a name in any of the usual spellings, or undefined. */
export function findFork(name: string): Fork | undefined {
  return ALIASES[name.toLowerCase()];
}

export function forkName(fork: Fork): string {
  return FORK_NAMES[fork] ?? `fork#${fork}`;
}
