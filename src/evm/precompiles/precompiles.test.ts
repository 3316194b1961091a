/**
 * Tests of the precompiles: per family a success vector, its gas, out of gas and invalid
 * input. Vectors come from the EIP texts (EIP-152, EIP-196/197, EIP-198, EIP-2537) and a
 * handful from go-ethereum's core/vm/testdata/precompiles; others are built from curve
 * generators and checked through algebraic identities.
 */
import { bls12_381 } from "@noble/curves/bls12-381.js";
import { bn254 } from "@noble/curves/bn254.js";
import { p256 } from "@noble/curves/nist.js";
import { sha256 as nobleSha256 } from "@noble/hashes/sha2.js";
import { describe, expect, it } from "vitest";
import { bytesToHexRaw, hexToBytes } from "../../primitives/hex.js";
import { Fork } from "../forks.js";
import { blake2f } from "./blake2f.js";
import {
  blsG1Add,
  blsG1Msm,
  blsG2Add,
  blsG2Msm,
  blsMapFp2ToG2,
  blsMapFpToG1,
  blsPairingCheck,
} from "./bls12381.js";
import {
  bn254AddByzantium,
  bn254AddIstanbul,
  bn254MulByzantium,
  bn254MulIstanbul,
  bn254PairingByzantium,
  bn254PairingIstanbul,
} from "./bn254.js";
import { ecrecover } from "./ecrecover.js";
import { ripemd160, sha256 } from "./hashes.js";
import { identity } from "./identity.js";
import { precompileAddress, precompilesFor } from "./index.js";
import { pointEvaluation } from "./kzg.js";
import { modexpEip198, modexpEip2565, modexpEip7883, modexpGas, modPow } from "./modexp.js";
import { p256Verify } from "./p256.js";
import type { Precompile, PrecompileResult } from "./types.js";

const BIG_GAS = 100_000_000;

function hex(s: string): Uint8Array {
  return hexToBytes(s.replace(/\s+/g, ""));
}

function word(n: bigint): string {
  return n.toString(16).padStart(64, "0");
}

/** A 64-byte EIP-2537 field element. */
function fp(n: bigint): string {
  return n.toString(16).padStart(128, "0");
}

function run(p: Precompile, input: Uint8Array | string, gas = BIG_GAS): PrecompileResult {
  return p(typeof input === "string" ? hex(input) : input, gas);
}

/** Asserts success with the expected output (hex) and gas. */
function expectOk(res: PrecompileResult, output: string, gasUsed: number): void {
  expect(res.error).toBeUndefined();
  expect(bytesToHexRaw(res.output)).toBe(output.replace(/\s+/g, "").toLowerCase());
  expect(res.gasUsed).toBe(gasUsed);
}

/** Asserts a failure with go-ethereum's error text that consumed all the gas given. */
function expectFail(res: PrecompileResult, error: string, gas = BIG_GAS): void {
  expect(res.error).toBe(error);
  expect(res.gasUsed).toBe(gas);
  expect(res.output.length).toBe(0);
}

function expectOutOfGas(p: Precompile, input: Uint8Array | string, gas: number): void {
  const res = run(p, input, gas);
  expect(res.error).toBe("out of gas");
  expect(res.gasUsed).toBe(gas);
  expect(res.output.length).toBe(0);
}

describe("precompilesFor", () => {
  const addresses = (fork: Fork) => [...precompilesFor(fork).keys()];

  it("activates precompiles per fork", () => {
    expect(addresses(Fork.Frontier)).toEqual([1, 2, 3, 4].map(precompileAddress));
    expect(addresses(Fork.Homestead).length).toBe(4);
    expect(addresses(Fork.Byzantium).length).toBe(8);
    expect(addresses(Fork.Istanbul).length).toBe(9);
    expect(addresses(Fork.Berlin).length).toBe(9);
    expect(addresses(Fork.Cancun).length).toBe(10);
    expect(addresses(Fork.Prague).length).toBe(17);
    expect(addresses(Fork.Osaka).length).toBe(18);
    expect(addresses(Fork.Osaka)).toContain("0x0000000000000000000000000000000000000100");
    expect(addresses(Fork.Prague)).toContain("0x0000000000000000000000000000000000000011");
    expect(addresses(Fork.Prague)).not.toContain("0x0000000000000000000000000000000000000100");
  });

  it("caches one map per fork", () => {
    expect(precompilesFor(Fork.London)).toBe(precompilesFor(Fork.London));
  });

  it("picks the gas schedule of the fork", () => {
    const at = (fork: Fork, n: number) => precompilesFor(fork).get(precompileAddress(n))!;
    expect(at(Fork.Byzantium, 6)).toBe(bn254AddByzantium);
    expect(at(Fork.Istanbul, 6)).toBe(bn254AddIstanbul);
    expect(at(Fork.Byzantium, 5)).toBe(modexpEip198);
    expect(at(Fork.Berlin, 5)).toBe(modexpEip2565);
    expect(at(Fork.Prague, 5)).toBe(modexpEip2565);
    expect(at(Fork.Osaka, 5)).toBe(modexpEip7883);
  });
});

describe("ecrecover (0x01)", () => {
  // go-ethereum ecRecover.json "ValidKey"
  const hash = "18c547e4f7b0f325ad1e56f57e26c745b09a3e503d86e00e5255ff7f715d3d1c";
  const r = "73b1693892219d736caba55bdb67216e485557ea6b6af75f37096c9aa6a5a75f";
  const s = "eeb940b1d03b21e36b0e47e79769f095fe2ab855bd91e3a38756b7d75a9c4549";
  const input = (v: string) => hash + v + r + s;

  it("recovers the signer", () => {
    expectOk(
      run(ecrecover, input(word(28n))),
      "000000000000000000000000a94f5374fce5edbc8e2a8697c15331677e6ebf0b",
      3000,
    );
  });

  it("returns empty output for a bad v, r or s (still charging 3000)", () => {
    expectOk(run(ecrecover, input(word(29n))), "", 3000);
    expectOk(run(ecrecover, input(`01${word(28n).slice(2)}`)), "", 3000); // high bits of v set
    expectOk(run(ecrecover, hash + word(28n) + word(0n) + s), "", 3000);
    expectOk(run(ecrecover, ""), "", 3000);
  });

  it("runs out of gas below 3000", () => {
    expectOutOfGas(ecrecover, input(word(28n)), 2999);
  });
});

describe("sha256, ripemd160, identity (0x02-0x04)", () => {
  it("hashes with per-word gas", () => {
    expectOk(run(sha256, ""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", 60);
    expectOk(run(sha256, "616263"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", 72);
    expect(run(sha256, new Uint8Array(33)).gasUsed).toBe(84);
    expectOk(run(ripemd160, ""), "0000000000000000000000009c1185a5c5e9fc54612808977ee8f548b2258d31", 600);
    expectOk(
      run(ripemd160, "616263"),
      "0000000000000000000000008eb208f7e05d987a9b044a8e98c6b087f15a0bfc",
      720,
    );
  });

  it("identity copies its input", () => {
    const input = hex("0102030405");
    const res = run(identity, input);
    expectOk(res, "0102030405", 18);
    expect(res.output).not.toBe(input);
    expect(run(identity, new Uint8Array(64)).gasUsed).toBe(21);
    expectOk(run(identity, ""), "", 15);
  });

  it("runs out of gas", () => {
    expectOutOfGas(sha256, "616263", 71);
    expectOutOfGas(ripemd160, "616263", 719);
    expectOutOfGas(identity, "01", 17);
  });
});

describe("modexp (0x05)", () => {
  // EIP-198 example 1: 3^(p-1) mod p = 1, p the secp256k1 field prime.
  const p = "fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f";
  const pMinus1 = "fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2e";
  const example1 = `${word(1n) + word(32n) + word(32n)}03${pMinus1}${p}`;
  // EIP-198 example 2: base length 0, so base 0: 0^(p-1) mod p = 0.
  const example2 = word(0n) + word(32n) + word(32n) + pMinus1 + p;

  it("computes the EIP-198 examples under each schedule", () => {
    const one = word(1n);
    expectOk(run(modexpEip198, example1), one, 13056);
    expectOk(run(modexpEip2565, example1), one, 1360);
    // EIP-7883: 32-byte operands cost 16 per iteration; 255 iterations.
    expectOk(run(modexpEip7883, example1), one, 16 * 255);
    expectOk(run(modexpEip198, example2), word(0n), 13056);
  });

  it("prices per EIP-2565 and EIP-7883 minimums and larger operands", () => {
    const tiny = hex(`${word(1n) + word(1n) + word(1n)}020305`); // 2^3 mod 5
    expectOk(run(modexpEip198, tiny), "03", 0);
    expectOk(run(modexpEip2565, tiny), "03", 200);
    expectOk(run(modexpEip7883, tiny), "03", 500);
    // 64-byte modulus, 33-byte exponent 00..00 01: iterations = 8 (or 16) × 1 + 0.
    const header = word(64n) + word(33n) + word(64n);
    const input = hex(`${header + "00".repeat(63)}02${"00".repeat(32)}01${"ff".repeat(64)}`);
    expect(modexpGas(input, "eip198")).toBe(Math.floor((64 * 64 * 8) / 20));
    expect(modexpGas(input, "eip2565")).toBe(Math.max(200, Math.floor((8 * 8 * 8) / 3)));
    expect(modexpGas(input, "eip7883")).toBe(2 * 8 * 8 * 16);
  });

  it("matches a plain BigInt reference on random operands", () => {
    // Deterministic pseudo-random bytes: a sha256 chain.
    let state = nobleSha256(new Uint8Array([1]));
    const rnd = (n: number) => {
      let s = "";
      while (s.length < n * 2) {
        state = nobleSha256(state);
        s += bytesToHexRaw(state);
      }
      return s.slice(0, n * 2);
    };
    for (const [bl, el, ml] of [
      [1, 1, 1],
      [32, 3, 32],
      [17, 40, 65],
      [100, 2, 3],
    ] as const) {
      const b = rnd(bl);
      const e = rnd(el);
      const m = rnd(ml);
      let expected = 1n;
      let base = BigInt(`0x${b}`) % BigInt(`0x${m}`);
      for (let x = BigInt(`0x${e}`); x > 0n; x >>= 1n) {
        if (x & 1n) expected = (expected * base) % BigInt(`0x${m}`);
        base = (base * base) % BigInt(`0x${m}`);
      }
      const res = run(modexpEip2565, word(BigInt(bl)) + word(BigInt(el)) + word(BigInt(ml)) + b + e + m);
      expect(bytesToHexRaw(res.output)).toBe(expected.toString(16).padStart(ml * 2, "0"));
    }
    expect(modPow(5n, hex("00"), 7n)).toBe(1n);
  });

  it("handles zero modulus, empty operands and short input", () => {
    expectOk(run(modexpEip2565, `${word(1n) + word(1n) + word(2n)}02030000`), "0000", 200);
    expectOk(run(modexpEip2565, word(0n) + word(0n) + word(0n)), "", 200);
    expectOk(run(modexpEip2565, ""), "", 200);
    // Operands past the end of the input read as zeros: here the modulus, so the result is 0.
    expectOk(run(modexpEip2565, `${word(1n) + word(1n) + word(1n)}05`), "00", 200);
    // 1 mod 1 = 0; 0^0 = 1 mod 7.
    expectOk(run(modexpEip2565, `${word(1n) + word(0n) + word(1n)}0901`), "00", 200);
    expectOk(run(modexpEip2565, `${word(0n) + word(0n) + word(1n)}07`), "01", 200);
  });

  it("runs out of gas on astronomically large lengths without allocating", () => {
    const huge = "ff".repeat(32);
    expectOutOfGas(modexpEip198, huge + word(1n) + word(1n), 10_000_000);
    expectOutOfGas(modexpEip2565, `${word(1n) + huge + word(1n)}0203`, 10_000_000);
    expectOutOfGas(modexpEip7883, word(1n) + word(1n) + huge, 10_000_000);
    expect(modexpGas(hex(huge + huge + huge), "eip2565")).toBe(Number.MAX_SAFE_INTEGER);
    // No base and no modulus: cheap before Osaka whatever the exponent length.
    expectOk(run(modexpEip198, word(0n) + huge + word(0n)), "", 0);
    expectOk(run(modexpEip2565, word(0n) + huge + word(0n)), "", 200);
    expectOutOfGas(modexpEip2565, example1, 1359);
  });

  it("enforces the EIP-7823 1024-byte bounds from Osaka", () => {
    const over = `${word(1025n) + word(1n) + word(1n) + "00".repeat(1025)}0203`;
    expectFail(run(modexpEip7883, over), "one or more of base/exponent/modulus length exceeded 1024 bytes");
    expect(run(modexpEip2565, over).error).toBeUndefined();
    expectFail(
      run(modexpEip7883, word(0n) + word(1025n) + word(0n)),
      "one or more of base/exponent/modulus length exceeded 1024 bytes",
    );
    expect(
      run(modexpEip7883, `${word(1024n) + word(1n) + word(1n) + "00".repeat(1024)}0203`).error,
    ).toBeUndefined();
  });
});

describe("bn254 (0x06-0x08)", () => {
  const G1 = word(1n) + word(2n);
  // 2·G1, from EIP-196 test data.
  const twoG1 =
    "030644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd3" +
    "15ed738c0e0a7c92e7845f96b2ae9c0a68a6a449e3538fc7ff3ebf7a5a18a2c4";
  const P = bn254.fields.Fp.ORDER;

  it("adds points", () => {
    expectOk(run(bn254AddIstanbul, G1 + G1), twoG1, 150);
    expectOk(run(bn254AddByzantium, G1 + G1), twoG1, 500);
    // go-ethereum bn256Add.json "chfast1"
    expectOk(
      run(
        bn254AddIstanbul,
        "18b18acfb4c2c30276db5411368e7185b311dd124691610c5d3b74034e093dc9063c909c4720840cb5134cb9f59fa749755796819658d32efc0d288198f37266" +
          "07c2b7f58a84bd6145f00c9c2bc0bb1a187f20ff2c92963a88019e7c6a014eed06614e20c147e940f2d70da3f74c9a17df361706a4485c742bd6788478fa17d7",
      ),
      "2243525c5efd4b9c3d3c45ac0ca3fe4dd85e830a4ce6b65fa1eeaee202839703301d1d33be6da8e509df21cc35964723180eed7532537db9ae5e7d48f195c915",
      150,
    );
  });

  it("pads short input and treats (0, 0) as infinity", () => {
    expectOk(run(bn254AddIstanbul, ""), "00".repeat(64), 150);
    expectOk(run(bn254AddIstanbul, G1), G1, 150);
    expectOk(run(bn254AddIstanbul, G1 + word(1n) + word(P - 2n)), "00".repeat(64), 150); // G + (−G)
  });

  it("multiplies by a scalar", () => {
    expectOk(run(bn254MulIstanbul, G1 + word(2n)), twoG1, 6000);
    expectOk(run(bn254MulByzantium, G1 + word(2n)), twoG1, 40000);
    expectOk(run(bn254MulIstanbul, G1 + word(0n)), "00".repeat(64), 6000);
    expectOk(run(bn254MulIstanbul, G1), "00".repeat(64), 6000); // scalar padded to 0
    expectOk(run(bn254MulIstanbul, G1 + word(bn254.fields.Fr.ORDER + 2n)), twoG1, 6000);
    const reduced = run(bn254MulIstanbul, G1 + word((2n ** 256n - 1n) % bn254.fields.Fr.ORDER));
    expectOk(run(bn254MulIstanbul, G1 + "ff".repeat(32)), bytesToHexRaw(reduced.output), 6000);
  });

  it("rejects invalid points", () => {
    expectFail(run(bn254AddIstanbul, word(1n) + word(3n) + G1), "point is not on curve");
    expectFail(run(bn254AddIstanbul, word(1n) + word(2n + P) + G1), "invalid fp.Element encoding"); // coordinate ≥ p
    expectFail(run(bn254MulIstanbul, word(0n) + word(1n) + word(2n)), "point is not on curve");
    expectFail(run(bn254AddIstanbul, word(P) + word(0n)), "invalid fp.Element encoding");
  });

  it("runs out of gas", () => {
    expectOutOfGas(bn254AddIstanbul, G1 + G1, 149);
    expectOutOfGas(bn254MulIstanbul, G1 + word(2n), 5999);
    expectOutOfGas(bn254PairingIstanbul, "", 44999);
  });

  // go-ethereum bn256Pairing.json "jeff1" (two pairs whose product is 1).
  const jeff1 =
    "1c76476f4def4bb94541d57ebba1193381ffa7aa76ada664dd31c16024c43f593034dd2920f673e204fee2811c678745fc819b55d3e9d294e45c9b03a76aef41" +
    "209dd15ebff5d46c4bd888e51a93cf99a7329636c63514396b4a452003a35bf704bf11ca01483bfa8b34b43561848d28905960114c8ac04049af4b6315a41678" +
    "2bb8324af6cfc93537a2ad1a445cfd0ca2a71acd7ac41fadbf933c2a51be344d120a2a4cf30c1bf9845f20c6fe39e07ea2cce61f0c9bb048165fe5e4de877550" +
    "111e129f1cf1097710d41c4ac70fcdfa5ba2023c6ff1cbeac322de49d1b6df7c2032c61a830e3c17286de9462bf242fca2883585b93870a73853face6a6bf411" +
    "198e9393920d483a7260bfb731fb5d25f1aa493335a9e71297e485b7aef312c21800deef121f1e76426a00665e5c4479674322d4f75edadd46debd5cd992f6ed" +
    "090689d0585ff075ec9e99ad690c3395bc4b313370b38ef355acdadcd122975b12c85ea5db8c6deb4aab71808dcb408fe3d1e7690c43d37b4ce6cc0166fa7daa";
  // The G2 generator, imaginary parts first (EIP-197).
  const G2 = jeff1.slice(512);

  it("checks pairings", () => {
    expectOk(run(bn254PairingIstanbul, jeff1), word(1n), 45000 + 2 * 34000);
    expectOk(run(bn254PairingByzantium, jeff1), word(1n), 100000 + 2 * 80000);
    expectOk(run(bn254PairingIstanbul, ""), word(1n), 45000);
    // e(G1, G2) alone is not 1; e(G1, G2)·e(−G1, G2) is.
    expectOk(run(bn254PairingIstanbul, G1 + G2), word(0n), 79000);
    expectOk(run(bn254PairingIstanbul, G1 + G2 + word(1n) + word(P - 2n) + G2), word(1n), 113000);
    // A pair with infinity contributes 1.
    expectOk(run(bn254PairingIstanbul, "00".repeat(64) + G2), word(1n), 79000);
  });

  it("rejects bad pairing input", () => {
    expectFail(run(bn254PairingIstanbul, jeff1.slice(0, 382)), "bad elliptic curve pairing size");
    expectFail(run(bn254PairingIstanbul, word(1n) + word(3n) + G2), "point is not on curve");
    // A point on the twist outside the order-r subgroup.
    const { Fp2 } = bn254.fields;
    const b = bn254.G2.Point.CURVE().b;
    let x = Fp2.create({ c0: 1n, c1: 0n });
    let y: { c0: bigint; c1: bigint } | undefined;
    for (;;) {
      try {
        y = Fp2.sqrt(Fp2.add(Fp2.mul(Fp2.sqr(x), x), b));
        break;
      } catch {
        x = Fp2.add(x, Fp2.ONE);
      }
    }
    const point = new bn254.G2.Point(x, y, Fp2.ONE);
    expect(point.isTorsionFree()).toBe(false);
    const g2 = word(x.c1) + word(x.c0) + word(y.c1) + word(y.c0);
    expectFail(run(bn254PairingIstanbul, G1 + g2), "point is not in correct subgroup");
  });
});

describe("blake2f (0x09)", () => {
  // EIP-152 test vector 5: 12 rounds of F on the "abc" block.
  const vector5 =
    "0000000c48c9bdf267e6096a3ba7ca8485ae67bb2bf894fe72f36e3cf1361d5f3af54fa5d182e6ad7f520e511f6c3e2b8c68059b6bbd41fbabd9831f79217e1319cde05b" +
    "6162630000000000000000000000000000000000000000000000000000000000" +
    "00".repeat(96) +
    "0300000000000000" +
    "0000000000000000" +
    "01";
  const withRounds = (rounds: string, flag = "01") => rounds + vector5.slice(8, -2) + flag;

  it("computes the EIP-152 vectors", () => {
    expectOk(
      run(blake2f, vector5),
      "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923",
      12,
    );
    expectOk(
      run(blake2f, withRounds("0000000c", "00")),
      "75ab69d3190a562c51aef8d88f1c2775876944407270c42c9844252c26d2875298743e7f6d5ea2f2d3e8d226039cd31b4e426ac4f2d3d666a610c2116fde4735",
      12,
    );
    expectOk(
      run(blake2f, withRounds("00000001")),
      "b63a380cb2897d521994a85234ee2c181b5f844d2c624c002677e9703449d2fba551b3a8333bcdf5f2f7e08993d53923de3d64fcc68c034e717b9293fed7a421",
      1,
    );
    expectOk(
      run(blake2f, withRounds("00000000")),
      "08c9bcf367e6096a3ba7ca8485ae67bb2bf894fe72f36e3cf1361d5f3af54fa5d282e6ad7f520e511f6c3e2b8c68059b9442be0454267ce079217e1319cde05b",
      0,
    );
  });

  it("rejects a wrong length or final flag", () => {
    expectFail(run(blake2f, ""), "invalid input length");
    expectFail(run(blake2f, vector5.slice(0, -2)), "invalid input length");
    expectFail(run(blake2f, `${vector5}00`), "invalid input length");
    expectFail(run(blake2f, withRounds("0000000c", "02")), "invalid final flag");
  });

  it("charges one gas per round", () => {
    expectOutOfGas(blake2f, vector5, 11);
    expectOutOfGas(blake2f, withRounds("ffffffff"), 10_000_000);
  });
});

describe("point evaluation (0x0a)", () => {
  // go-ethereum pointEvaluation.json
  const input =
    "01e798154708fe7789429634053cbf9f99b619f9f084048927333fce637f549b" +
    "564c0a11a0f704f4fc3e8acfe0f8245f0ad1347b378fbf96e206da11a5d36306" +
    "24d25032e67a7e6a4910df5834b8fe70e6bcfeeac0352434196bdf4b2485d5a1" +
    "8f59a8d2a1a625a17f3fea0fe5eb8c896db3764f3185481bc22f91b4aaffcca25f26936857bc3a7c2539ea8ec3a952b7" +
    "873033e038326e87ed3e1276fd140253fa08e9fc25fb2d9a98527fc22a2c9612fbeafdad446cbc7bcdbdcd780af2c16a";

  it("verifies a proof", { timeout: 60_000 }, () => {
    expectOk(
      run(pointEvaluation, input),
      "0000000000000000000000000000000000000000000000000000000000001000" +
        "73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001",
      50000,
    );
  });

  it("rejects a wrong claim, versioned hash or length", { timeout: 60_000 }, () => {
    const bytes = hex(input);
    const wrongY = bytes.slice();
    wrongY[95] = wrongY[95]! ^ 1;
    expectFail(run(pointEvaluation, wrongY), "error verifying kzg proof: can't verify opening proof");
    const wrongHash = bytes.slice();
    wrongHash[0] = 0x02;
    expectFail(run(pointEvaluation, wrongHash), "mismatched versioned hash");
    expectFail(run(pointEvaluation, bytes.subarray(0, 191)), "invalid input length");
    // A commitment that is not a valid point, with a matching versioned hash.
    const badCommitment = bytes.slice();
    badCommitment.fill(0xff, 96, 144);
    const h = nobleSha256(badCommitment.subarray(96, 144));
    h[0] = 1;
    badCommitment.set(h, 0);
    expectFail(run(pointEvaluation, badCommitment), "error verifying kzg proof: invalid point encoding");
  });

  it("names the malformed input as go-ethereum (go-eth-kzg, gnark-crypto) does", { timeout: 60_000 }, () => {
    const bytes = hex(input);
    /** `input` with the commitment and/or proof replaced, the versioned hash made to match. */
    const withPoints = (commitment?: Uint8Array, proof?: Uint8Array): Uint8Array => {
      const out = bytes.slice();
      if (commitment !== undefined) out.set(commitment, 96);
      if (proof !== undefined) out.set(proof, 144);
      const h = nobleSha256(out.subarray(96, 144));
      h[0] = 1;
      out.set(h, 0);
      return out;
    };
    const g1 = (firstByte: number, rest = 0): Uint8Array => {
      const out = new Uint8Array(48).fill(rest);
      out[0] = firstByte;
      return out;
    };
    const prefix = "error verifying kzg proof: ";
    const nonCanonical = `${prefix}scalar is not canonical when interpreted as a big integer in big-endian`;
    const modulus = hex(word(0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001n));
    const badY = bytes.slice();
    badY.set(modulus, 64);
    expectFail(run(pointEvaluation, badY), nonCanonical);
    const badZ = bytes.slice();
    badZ.set(modulus, 32);
    expectFail(run(pointEvaluation, badZ), nonCanonical);
    // The scalars are read before the points.
    const badYAndCommitment = withPoints(g1(0xff));
    badYAndCommitment.set(modulus, 64);
    expectFail(run(pointEvaluation, badYAndCommitment), nonCanonical);
    expectFail(run(pointEvaluation, withPoints(g1(0x20))), `${prefix}invalid point encoding`);
    expectFail(run(pointEvaluation, withPoints(g1(0x00, 1))), `${prefix}short buffer`);
    expectFail(run(pointEvaluation, withPoints(g1(0x40))), `${prefix}short buffer`);
    expectFail(run(pointEvaluation, withPoints(g1(0xc1))), `${prefix}invalid infinity point encoding`);
    expectFail(run(pointEvaluation, withPoints(g1(0xc0, 1))), `${prefix}invalid infinity point encoding`);
    expectFail(run(pointEvaluation, withPoints(g1(0x9f, 0xff))), `${prefix}invalid fp.Element encoding`);
    const { Fp } = bls12_381.fields;
    const compressed = (x: bigint): Uint8Array => {
      const out = hex(x.toString(16).padStart(96, "0"));
      out[0] = out[0]! | 0x80;
      return out;
    };
    const isSquare = (v: bigint): boolean => {
      try {
        Fp.sqrt(v);
        return true;
      } catch {
        return false;
      }
    };
    let noRoot = 1n;
    while (isSquare(Fp.add(Fp.mul(Fp.sqr(noRoot), noRoot), 4n))) noRoot++;
    expectFail(
      run(pointEvaluation, withPoints(compressed(noRoot))),
      `${prefix}invalid compressed coordinate: square root doesn't exist`,
    );
    let outside = 1n;
    while (!isSquare(Fp.add(Fp.mul(Fp.sqr(outside), outside), 4n))) outside++;
    const offSubgroup = Fp.sqrt(Fp.add(Fp.mul(Fp.sqr(outside), outside), 4n));
    expect(new bls12_381.G1.Point(outside, offSubgroup, 1n).isTorsionFree()).toBe(false);
    expectFail(
      run(pointEvaluation, withPoints(compressed(outside))),
      `${prefix}invalid point: subgroup check failed`,
    );
    // The commitment is read before the proof; a bad proof alone is named too.
    expectFail(
      run(pointEvaluation, withPoints(compressed(noRoot), g1(0x20))),
      `${prefix}invalid compressed coordinate: square root doesn't exist`,
    );
    expectFail(run(pointEvaluation, withPoints(undefined, g1(0x40))), `${prefix}short buffer`);
    // Well-formed points (here the point at infinity) that do not verify.
    expectFail(run(pointEvaluation, withPoints(g1(0xc0))), `${prefix}can't verify opening proof`);
  });

  it("runs out of gas", () => {
    expectOutOfGas(pointEvaluation, input, 49999);
  });
});

describe("BLS12-381 (0x0b-0x11)", () => {
  const G1 = bls12_381.G1.Point.BASE;
  const G2 = bls12_381.G2.Point.BASE;
  const encG1 = (p: typeof G1) => {
    if (p.is0()) return "00".repeat(128);
    const a = p.toAffine();
    return fp(a.x) + fp(a.y);
  };
  const encG2 = (p: typeof G2) => {
    if (p.is0()) return "00".repeat(256);
    const a = p.toAffine();
    return fp(a.x.c0) + fp(a.x.c1) + fp(a.y.c0) + fp(a.y.c1);
  };
  // EIP-2537 / go-ethereum blsG1Add.json "bls_g1add_(2*g1+3*g1=5*g1)": checked here
  // against fixed coordinates of 5·G1.
  const fiveG1 =
    "0000000000000000000000000000000010e7791fb972fe014159aa33a98622da3cdc98ff707965e536d8636b5fcc5ac7a91a8c46e59a00dca575af0f18fb13dc" +
    "0000000000000000000000000000000016ba437edcc6551e30c10512367494bfb6b01cc6681e8a4c3cd2501832ab5c4abc40b4578b85cbaffbf0bcd70d67c6e2";
  const P = bls12_381.fields.Fp.ORDER;
  const R = bls12_381.fields.Fr.ORDER;

  it("G1ADD adds, without a subgroup check", () => {
    expectOk(run(blsG1Add, encG1(G1.multiply(2n)) + encG1(G1.multiply(3n))), fiveG1, 375);
    expectOk(run(blsG1Add, encG1(G1) + "00".repeat(128)), encG1(G1), 375);
    expectOk(run(blsG1Add, encG1(G1) + encG1(G1.negate())), "00".repeat(128), 375);
    // A point of the curve outside the order-r subgroup: ADD accepts it, MSM does not.
    const notInG1 = curvePointOutsideG1();
    expect(run(blsG1Add, notInG1 + notInG1).error).toBeUndefined();
    expectFail(run(blsG1Msm, `${notInG1}${word(1n)}`), "g1 point is not on correct subgroup");
  });

  it("G1ADD rejects bad encodings", () => {
    expectFail(run(blsG1Add, ""), "invalid input length");
    expectFail(run(blsG1Add, encG1(G1) + encG1(G1).slice(2)), "invalid input length");
    expectFail(run(blsG1Add, encG1(G1) + fp(1n) + fp(1n)), "invalid point: not on curve"); // not on curve
    expectFail(run(blsG1Add, encG1(G1) + fp(P) + fp(0n)), "invalid fp.Element encoding"); // x = p
    const topByte = `01${encG1(G1).slice(2)}`;
    expectFail(run(blsG1Add, encG1(G1) + topByte), "invalid field element top bytes");
    expectOutOfGas(blsG1Add, encG1(G1) + encG1(G1), 374);
  });

  it("G2ADD adds", () => {
    const five = encG2(G2.multiply(5n));
    expectOk(run(blsG2Add, encG2(G2.multiply(2n)) + encG2(G2.multiply(3n))), five, 600);
    expectOk(run(blsG2Add, "00".repeat(512)), "00".repeat(256), 600);
    expectFail(run(blsG2Add, encG2(G2) + fp(1n) + fp(0n) + fp(1n) + fp(0n)), "invalid point: not on curve");
    expectFail(run(blsG2Add, encG2(G2)), "invalid input length");
    expectOutOfGas(blsG2Add, encG2(G2) + encG2(G2), 599);
  });

  it("G1MSM multiplies and sums, with the EIP-2537 discounts", () => {
    const twoG1 =
      "000000000000000000000000000000000572cbea904d67468808c8eb50a9450c9721db309128012543902d0ac358a62ae28f75bb8f1c7c42c39a8c5529bf0f4e" +
      "00000000000000000000000000000000166a9d8cabc673a322fda673779d8e3822ba3ecb8670e461f73bb9021d5fd76a4c56d9d4cd16bd1bba86881979749d28";
    expectOk(run(blsG1Msm, encG1(G1) + word(2n)), twoG1, 12000);
    // Scalars need not be below r.
    expectOk(run(blsG1Msm, encG1(G1) + word(R + 2n)), twoG1, 12000);
    expectOk(run(blsG1Msm, encG1(G1) + word(0n)), "00".repeat(128), 12000);
    const input = encG1(G1) + word(2n) + encG1(G1.multiply(3n)) + word(1n) + "00".repeat(128) + word(7n);
    expectOk(run(blsG1Msm, input), fiveG1, Math.floor((3 * 12000 * 848) / 1000));
    expectFail(run(blsG1Msm, ""), "invalid input length");
    expectFail(run(blsG1Msm, `${encG1(G1)}${word(2n)}00`), "invalid input length");
    expectOutOfGas(blsG1Msm, encG1(G1) + word(2n), 11999);
  });

  it("G2MSM multiplies and sums", () => {
    const input = encG2(G2) + word(2n) + encG2(G2.multiply(3n)) + word(1n);
    expectOk(run(blsG2Msm, input), encG2(G2.multiply(5n)), Math.floor((2 * 22500 * 1000) / 1000));
    expectOk(run(blsG2Msm, encG2(G2) + word(2n)), encG2(G2.double()), 22500);
    expectFail(run(blsG2Msm, encG2(G2)), "invalid input length");
    expectOutOfGas(blsG2Msm, encG2(G2) + word(2n), 22499);
  });

  it("PAIRING_CHECK checks e(2·G1, 3·G2) = e(6·G1, G2)", () => {
    const lhs = encG1(G1.multiply(2n)) + encG2(G2.multiply(3n));
    expectOk(
      run(blsPairingCheck, lhs + encG1(G1.multiply(6n).negate()) + encG2(G2)),
      word(1n),
      37700 + 2 * 32600,
    );
    expectOk(
      run(blsPairingCheck, lhs + encG1(G1.multiply(5n).negate()) + encG2(G2)),
      word(0n),
      37700 + 2 * 32600,
    );
    expectOk(run(blsPairingCheck, "00".repeat(128) + encG2(G2)), word(1n), 37700 + 32600);
    expectFail(run(blsPairingCheck, ""), "invalid input length");
    expectFail(run(blsPairingCheck, lhs.slice(2)), "invalid input length");
    expectOutOfGas(blsPairingCheck, lhs, 37700 + 32600 - 1);
  });

  it("MAP_FP_TO_G1 and MAP_FP2_TO_G2 map without hashing", () => {
    // go-ethereum blsMapG1.json / blsMapG2.json "matter_fp_to_g1_0", "matter_fp2_to_g2_0"
    const u0 =
      "0000000000000000000000000000000014406e5bfb9209256a3820879a29ac2f62d6aca82324bf3ae2aa7d3c54792043bd8c791fccdb080c1a52dc68b8b69350";
    const u1 =
      "000000000000000000000000000000000e885bb33996e12f07da69073e2c0cc880bc8eff26d2a724299eb12d54f4bcf26f4748bb020e80a7e3794a7b0e47a641";
    expectOk(
      run(blsMapFpToG1, u0),
      "000000000000000000000000000000000d7721bcdb7ce1047557776eb2659a444166dc6dd55c7ca6e240e21ae9aa18f529f04ac31d861b54faf3307692545db7" +
        "00000000000000000000000000000000108286acbdf4384f67659a8abe89e712a504cb3ce1cba07a716869025d60d499a00d1da8cdc92958918c222ea93d87f0",
      5500,
    );
    expectOk(
      run(blsMapFp2ToG2, u0 + u1),
      "000000000000000000000000000000000d029393d3a13ff5b26fe52bd8953768946c5510f9441f1136f1e938957882db6adbd7504177ee49281ecccba596f2bf" +
        "000000000000000000000000000000001993f668fb1ae603aefbb1323000033fcb3b65d8ed3bf09c84c61e27704b745f540299a1872cd697ae45a5afd780f1d6" +
        "00000000000000000000000000000000079cb41060ef7a128d286c9ef8638689a49ca19da8672ea5c47b6ba6dbde193ee835d3b87a76a689966037c07159c10d" +
        "0000000000000000000000000000000017c688ae9a8b59a7069c27f2d58dd2196cb414f4fb89da8510518a1142ab19d158badd1c3bad03408fafb1669903cd6c",
      23800,
    );
    expectFail(run(blsMapFpToG1, fp(P)), "invalid fp.Element encoding");
    expectFail(run(blsMapFpToG1, u0.slice(2)), "invalid input length");
    expectFail(run(blsMapFp2ToG2, u0), "invalid input length");
    expectOutOfGas(blsMapFpToG1, u0, 5499);
    expectOutOfGas(blsMapFp2ToG2, u0 + u1, 23799);
  });

  it("reports subgroup and curve failures in go-ethereum's order", () => {
    const notInG1 = curvePointOutsideG1();
    const notInG2 = curvePointOutsideG2();
    const offCurveG2 = fp(1n) + fp(0n) + fp(1n) + fp(0n);
    expect(run(blsG2Add, notInG2 + notInG2).error).toBeUndefined();
    expectFail(
      run(blsG2Msm, `${encG2(G2)}${word(1n)}${notInG2}${word(1n)}`),
      "g2 point is not on correct subgroup",
    );
    expectFail(run(blsPairingCheck, notInG1 + encG2(G2)), "g1 point is not on correct subgroup");
    expectFail(run(blsPairingCheck, encG1(G1) + notInG2), "g2 point is not on correct subgroup");
    // Both points of a pair are decoded before either subgroup check.
    expectFail(run(blsPairingCheck, notInG1 + offCurveG2), "invalid point: not on curve");
    expectFail(run(blsPairingCheck, notInG1 + notInG2), "g1 point is not on correct subgroup");
    // ... but pairs are processed one after another.
    expectFail(
      run(blsPairingCheck, notInG1 + encG2(G2) + encG1(G1) + offCurveG2),
      "g1 point is not on correct subgroup",
    );
    // Within a field element the top bytes are checked before the modulus.
    expectFail(run(blsMapFpToG1, `01${fp(P).slice(2)}`), "invalid field element top bytes");
    expectFail(run(blsMapFp2ToG2, fp(0n) + fp(P)), "invalid fp.Element encoding");
    expectFail(run(blsG2Add, encG2(G2) + fp(0n) + fp(P) + fp(0n) + fp(0n)), "invalid fp.Element encoding");
  });

  /** Encoding of a point on the G2 twist y² = x³ + 4(1 + u) outside the order-r subgroup. */
  function curvePointOutsideG2(): string {
    const { Fp2 } = bls12_381.fields;
    const b = bls12_381.G2.Point.CURVE().b;
    for (let c0 = 1n; ; c0++) {
      const x = Fp2.create({ c0, c1: 0n });
      let y: { c0: bigint; c1: bigint };
      try {
        y = Fp2.sqrt(Fp2.add(Fp2.mul(Fp2.sqr(x), x), b));
      } catch {
        continue;
      }
      const point = new bls12_381.G2.Point(x, y, Fp2.ONE);
      if (!point.isTorsionFree()) return fp(x.c0) + fp(x.c1) + fp(y.c0) + fp(y.c1);
    }
  }

  /** Encoding of a point on y² = x³ + 4 that is not in the order-r subgroup. */
  function curvePointOutsideG1(): string {
    const { Fp } = bls12_381.fields;
    for (let x = 1n; ; x++) {
      const rhs = Fp.add(Fp.mul(Fp.sqr(x), x), 4n);
      let y: bigint;
      try {
        y = Fp.sqrt(rhs);
      } catch {
        continue;
      }
      const point = new bls12_381.G1.Point(x, y, 1n);
      if (!point.isTorsionFree()) return fp(x) + fp(y);
    }
  }
});

describe("P256VERIFY (0x100)", () => {
  // go-ethereum p256Verify.json, first vector.
  const valid =
    "4cee90eb86eaa050036147a12d49004b6b9c72bd725d39d4785011fe190f0b4d" +
    "a73bd4903f0ce3b639bbbf6e8e80d16931ff4bcf5993d58468e8fb19086e8cac" +
    "36dbcd03009df8c59286b162af3bd7fcc0450c9aa81be5d10d312af6c66b1d60" +
    "4aebd3099c618202fcfe16ae7770b0c49ab5eadf74b754204a3bb6060e44eff3" +
    "7618b065f9832de4ca6ca971a7a1adc826d0f7c00181a5fb2ddf79ae00b4e10e";
  const parts = (s: string) => [0, 1, 2, 3, 4].map((i) => s.slice(i * 64, i * 64 + 64));
  const N = p256.Point.Fn.ORDER;
  const Pm = p256.Point.Fp.ORDER;

  it("verifies a signature", () => {
    expectOk(run(p256Verify, valid), word(1n), 6900);
  });

  it("verifies a fresh signature with high s", () => {
    const secret = hex("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721");
    const hash = nobleSha256(hex("73616d706c65"));
    const sig = p256.Signature.fromBytes(p256.sign(hash, secret, { prehash: false, lowS: false }), "compact");
    const pub = p256.getPublicKey(secret, false);
    const key = bytesToHexRaw(pub.subarray(1));
    const s = sig.s > N / 2n ? sig.s : N - sig.s; // the high-s twin is valid too
    expectOk(run(p256Verify, bytesToHexRaw(hash) + word(sig.r) + word(s) + key), word(1n), 6900);
    expectOk(run(p256Verify, bytesToHexRaw(hash) + word(sig.r) + word(N - s) + key), word(1n), 6900);
  });

  it("returns empty output, charging the gas, for invalid input", () => {
    const [h, r, s, x, y] = parts(valid);
    const cases = [
      "",
      valid.slice(2),
      `${valid}00`,
      `${h}${word(0n)}${s}${x}${y}`,
      `${h}${word(N)}${s}${x}${y}`,
      `${h}${r}${word(0n)}${x}${y}`,
      `${h}${r}${word(N)}${x}${y}`,
      `${h}${r}${s}${word(0n)}${word(0n)}`,
      `${h}${r}${s}${word(Pm)}${y}`,
      `${h}${r}${s}${x}${word(BigInt(`0x${y}`) ^ 1n)}`,
      `${h}${r}${s}${y}${x}`,
      `${"00".repeat(31)}01${r}${s}${x}${y}`,
    ];
    for (const input of cases) expectOk(run(p256Verify, input), "", 6900);
  });

  it("runs out of gas", () => {
    expectOutOfGas(p256Verify, valid, 6899);
    expectOutOfGas(p256Verify, "", 6899);
  });
});

describe("shared semantics", () => {
  it("never mutates the input", () => {
    const input = hex(`${word(1n)}${word(2n)}${word(1n)}${word(2n)}`);
    const copy = input.slice();
    bn254AddIstanbul(input, BIG_GAS);
    identity(input, BIG_GAS);
    expect(input).toEqual(copy);
  });
});
