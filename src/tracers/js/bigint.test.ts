import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Fork } from "../../evm/forks.js";
import "../index.js";
import { buildTracer } from "../registry.js";
import { initJsTracers } from "./index.js";
import { retiredModules } from "./sandbox.js";

beforeAll(async () => {
  await initJsTracers();
});

afterAll(() => {
  // Every failure above was contained by QuickJS: no sandbox module had to be retired.
  expect(retiredModules()).toBe(0);
});

/** Evaluates `expr` inside a tracer sandbox and returns its JSON value (or the error text). */
function js(expr: string): unknown {
  const t = buildTracer(
    {
      tracer: `{fault: function() {}, result: function() { try { return ${expr}; } catch (e) { return 'throws: ' + e.message; } }}`,
    },
    { fork: Fork.Cancun },
  );
  try {
    return t.getResult();
  } finally {
    t.dispose?.();
  }
}

describe("bigInt (big-integer.js compatible)", () => {
  it("parses numbers, decimal strings and other bases", () => {
    expect(js("bigInt().toString()")).toBe("0");
    expect(js("bigInt(255).toString(16)")).toBe("ff");
    expect(js("bigInt(-42).toString()")).toBe("-42");
    expect(js("bigInt('123456789012345678901234567890').toString()")).toBe("123456789012345678901234567890");
    expect(js("bigInt('1e21').toString()")).toBe("1000000000000000000000");
    expect(js("bigInt(1e21).toString()")).toBe("1000000000000000000000");
    expect(js("bigInt('1.5e3').toString()")).toBe("1500");
    expect(js("bigInt('ff', 16).toString()")).toBe("255");
    expect(js("bigInt('-FF', 16).toString()")).toBe("-255");
    expect(js("bigInt('1010', 2).toString()")).toBe("10");
    expect(js(`bigInt('${"f".repeat(64)}', 16).toString(16)`)).toBe("f".repeat(64));
    // Small hex strings parse through Number, as in big-integer.js.
    expect(js("bigInt('0x10').toString()")).toBe("16");
    expect(js("bigInt(1.5)")).toBe("throws: 1.5 is not an integer.");
    expect(js("bigInt('12ab')")).toBe("throws: Invalid integer: 12ab");
    expect(js("bigInt('1g', 16)")).toBe("throws: g is not a valid digit in base 16.");
    expect(js("bigInt(bigInt(7)).toString()")).toBe("7");
  });

  it("does arithmetic with truncating division", () => {
    expect(js("bigInt(7).add(5).subtract('2').multiply(bigInt(3)).toString()")).toBe("30");
    expect(
      js("[bigInt(-7).divide(2).toString(), bigInt(-7).mod(2).toString(), bigInt(7).mod(-2).toString()]"),
    ).toEqual(["-3", "-1", "1"]);
    expect(js("bigInt(1).divide(0)")).toBe("throws: Cannot divide by zero");
    expect(js("bigInt(2).pow(256).subtract(1).toString(16)")).toBe("f".repeat(64));
    expect(
      js("[bigInt(2).pow(-1).toString(), bigInt(-1).pow(3).toString(), bigInt(0).pow(0).toString()]"),
    ).toEqual(["0", "-1", "1"]);
    expect(js("bigInt(4).modPow(13, 497).toString()")).toBe("445");
    expect(js("bigInt(3).modInv(11).toString()")).toBe("4");
    expect(js("bigInt(2).modInv(4)")).toBe("throws: 2 and 4 are not co-prime");
    const qr = js(
      "(function (d) { return [d.quotient.toString(), d.remainder.toString()]; })(bigInt(17).divmod(5))",
    );
    expect(qr).toEqual(["3", "2"]);
    expect(
      js(
        "[bigInt(1).shiftLeft(70).toString(16), bigInt(-5).shiftRight(1).toString(), bigInt(12).and(10).toString(), bigInt(12).or(3).toString(), bigInt(12).xor(5).toString(), bigInt(5).not().toString()]",
      ),
    ).toEqual([`4${"0".repeat(17)}`, "-3", "8", "15", "9", "-6"]);
    expect(
      js(
        "[bigInt(5).plus(1).times(2).minus(2).over(5).toString(), bigInt(9).square().toString(), bigInt(-3).abs().toString(), bigInt(3).negate().toString(), bigInt(3).next().toString(), bigInt(3).prev().toString()]",
      ),
    ).toEqual(["2", "81", "3", "-3", "4", "2"]);
  });

  it("compares and classifies", () => {
    expect(
      js(
        "[bigInt(3).compare(5), bigInt(5).compare(5), bigInt(-7).compareAbs(5), bigInt(5).equals(5), bigInt(0).equals(0), bigInt(5).notEquals(4), bigInt(5).greater(4), bigInt(5).lesser(4), bigInt(5).geq(5), bigInt(5).leq(4), bigInt(5).eq('5'), bigInt(6).gt(5), bigInt(6).lt(5)]",
      ),
    ).toEqual([-1, 0, 1, true, true, true, true, false, true, false, true, true, false]);
    expect(
      js(
        "[bigInt(0).isZero(), bigInt(-1).isUnit(), bigInt(4).isEven(), bigInt(3).isOdd(), bigInt(-2).isNegative(), bigInt(0).isPositive(), bigInt(12).isDivisibleBy(4), bigInt(97).isPrime(), bigInt(91).isPrime(), bigInt('170141183460469231731687303715884105727').isPrime(), bigInt(101).isProbablePrime()]",
      ),
    ).toEqual([true, true, true, true, true, false, true, true, false, true, true]);
  });

  it("converts like big-integer.js", () => {
    expect(js("bigInt(10).valueOf() * 3")).toBe(30);
    expect(js("bigInt(2).pow(64).toJSNumber()")).toBe(18446744073709552000);
    expect(js("7 * bigInt(6)")).toBe(42);
    expect(js("JSON.stringify({v: bigInt(2).pow(70)})")).toBe('{"v":"1180591620717411303424"}');
    expect(js("bigInt(5) instanceof bigInt")).toBe(true);
    expect(js("[bigInt.isInstance(bigInt(1)), bigInt.isInstance(1)]")).toEqual([true, false]);
    expect(
      js(
        "[bigInt.zero.toString(), bigInt.one.toString(), bigInt.minusOne.toString(), bigInt.max(3, 9).toString(), bigInt.min(3, 9).toString(), bigInt.gcd(12, 18).toString(), bigInt.lcm(4, 6).toString(), bigInt.fromArray([1, 2, 3], 10).toString(), bigInt.fromArray([1, 0], 16, true).toString()]",
      ),
    ).toEqual(["0", "1", "-1", "9", "3", "6", "12", "123", "-16"]);
    expect(
      js("(function () { var r = bigInt.randBetween(10, 12).toJSNumber(); return r >= 10 && r <= 12; })()"),
    ).toBe(true);
  });
});
