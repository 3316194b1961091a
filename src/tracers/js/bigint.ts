/**
 * `bigInt` inside the JavaScript-tracer sandbox: an arbitrary-precision integer API
 * compatible with the big-integer.js library that go-ethereum injects into its tracers
 * (eth/tracers/js/bigint.go), written here over the native BigInt of QuickJS.
 *
 * Compatibility points followed (they change results): `bigInt(x)` parses numbers
 * (integral only; beyond 2^53 through their decimal text, so `1e21` is exact), decimal
 * strings (exponent notation allowed, `+"0x10"`-style strings accepted when they are
 * exact numbers), and strings in bases 2–36; values are immutable; `valueOf()` gives a
 * JS number so `a * big` works; `toJSON()` gives the decimal string; division truncates
 * towards zero and `mod` keeps the dividend's sign; `bigInt(...) instanceof bigInt`.
 * Not provided: the `bigInt[n]` small-integer cache, bases above 36, `toArray`.
 *
 * The source below runs inside QuickJS, not in Node.
 */
export const BIGINT_JS = `
var bigInt = (function () {
  "use strict";
  var LIMIT = 9007199254740992; // 2^53: numbers below this are exact integers
  var DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz";

  function Int(v) {
    this.value = v;
  }

  function wrap(v) {
    return new Int(v);
  }

  function decimalToBig(text) {
    var negative = false;
    if (text.charAt(0) === "-") {
      negative = true;
      text = text.slice(1);
    }
    var parts = text.split(/e/i);
    if (parts.length > 2) throw new Error("Invalid integer: " + parts.join("e"));
    if (parts.length === 2) {
      var expText = parts[1].charAt(0) === "+" ? parts[1].slice(1) : parts[1];
      var exp = +expText;
      if (exp !== Math.trunc(exp) || !(Math.abs(exp) < LIMIT)) {
        throw new Error("Invalid integer: " + exp + " is not a valid exponent.");
      }
      var mantissa = parts[0];
      var dot = mantissa.indexOf(".");
      if (dot >= 0) {
        exp -= mantissa.length - dot - 1;
        mantissa = mantissa.slice(0, dot) + mantissa.slice(dot + 1);
      }
      if (exp < 0) throw new Error("Cannot include negative exponent part for integers");
      text = mantissa + "0".repeat(exp);
    }
    if (!/^[0-9]+$/.test(text)) throw new Error("Invalid integer: " + text);
    var v = BigInt(text);
    return negative ? -v : v;
  }

  function fromNumber(n) {
    if (n !== Math.trunc(n)) throw new Error(n + " is not an integer.");
    if (Math.abs(n) < LIMIT) return BigInt(n);
    return decimalToBig(String(n));
  }

  function fromString(s) {
    var asNumber = +s;
    if (Math.abs(asNumber) < LIMIT) {
      if (asNumber === Math.trunc(asNumber)) return BigInt(asNumber);
      throw new Error("Invalid integer: " + s);
    }
    return decimalToBig(s);
  }

  function fromRadix(text, radix) {
    text = String(text).toLowerCase();
    var negative = text.charAt(0) === "-";
    if (negative) text = text.slice(1);
    var base = BigInt(radix);
    var acc = 0n;
    for (var i = 0; i < text.length; i++) {
      var d = DIGITS.indexOf(text.charAt(i));
      if (d < 0 || d >= radix) {
        throw new Error(text.charAt(i) + " is not a valid digit in base " + radix + ".");
      }
      acc = acc * base + BigInt(d);
    }
    return negative ? -acc : acc;
  }

  // Any accepted operand to a native bigint.
  function big(v) {
    if (v instanceof Int) return v.value;
    if (typeof v === "number") return fromNumber(v);
    if (typeof v === "string") return fromString(v);
    if (typeof v === "bigint") return v;
    if (v === undefined) return 0n;
    throw new Error("Invalid integer: " + v);
  }

  function bigInt(v, radix) {
    if (v === undefined) return wrap(0n);
    if (radix !== undefined && +radix !== 10) {
      var r = +radix;
      if (!(r >= 2 && r <= 36 && r === Math.trunc(r))) throw new Error("unsupported base " + radix);
      if (v instanceof Int) v = v.toString();
      if (typeof v === "number") v = String(v);
      if (r === 16 && typeof v === "string" && /^[0-9a-fA-F]+$/.test(v)) return wrap(BigInt("0x" + v));
      return wrap(fromRadix(v, r));
    }
    if (v instanceof Int) return v;
    return wrap(big(v));
  }
  Int.prototype = bigInt.prototype;
  Int.prototype.constructor = bigInt;

  function absOf(v) {
    return v < 0n ? -v : v;
  }
  function cmp(a, b) {
    return a === b ? 0 : a > b ? 1 : -1;
  }
  function nonZero(d) {
    if (d === 0n) throw new Error("Cannot divide by zero");
    return d;
  }
  function smallCount(n) {
    var c = Number(big(n));
    if (!(Math.abs(c) < LIMIT)) throw new Error("The number " + c + " is too large to shift.");
    return c;
  }

  var P = bigInt.prototype;
  P.add = function (v) {
    return wrap(this.value + big(v));
  };
  P.subtract = function (v) {
    return wrap(this.value - big(v));
  };
  P.multiply = function (v) {
    return wrap(this.value * big(v));
  };
  P.divide = function (v) {
    return wrap(this.value / nonZero(big(v)));
  };
  P.mod = function (v) {
    return wrap(this.value % nonZero(big(v)));
  };
  P.divmod = function (v) {
    var d = nonZero(big(v));
    return { quotient: wrap(this.value / d), remainder: wrap(this.value % d) };
  };
  P.pow = function (v) {
    var e = big(v);
    var b = this.value;
    if (e === 0n) return wrap(1n);
    if (b === 0n) return wrap(0n);
    if (b === 1n) return wrap(1n);
    if (b === -1n) return wrap(e % 2n === 0n ? 1n : -1n);
    if (e < 0n) return wrap(0n);
    if (e > 0xffffffn) throw new Error("The exponent " + e + " is too large.");
    return wrap(b ** e);
  };
  P.modInv = function (v) {
    var n = big(v);
    // Extended Euclid on (n, |this|): keep the coefficient of |this|.
    var r0 = n;
    var r1 = absOf(this.value);
    var t0 = 0n;
    var t1 = 1n;
    while (r1 !== 0n) {
      var q = r0 / r1;
      var nextT = t0 - q * t1;
      t0 = t1;
      t1 = nextT;
      var nextR = r0 - q * r1;
      r0 = r1;
      r1 = nextR;
    }
    if (absOf(r0) !== 1n) throw new Error(this.toString() + " and " + n + " are not co-prime");
    if (t0 < 0n) t0 += n;
    return wrap(this.value < 0n ? -t0 : t0);
  };
  P.modPow = function (exp, mod) {
    var m = big(mod);
    if (m === 0n) throw new Error("Cannot take modPow with modulus 0");
    var e = big(exp);
    var b = this.value % m;
    if (e < 0n) {
      e = -e;
      b = wrap(b).modInv(m).value;
    }
    var r = 1n;
    while (e > 0n) {
      if (b === 0n) return wrap(0n);
      if (e % 2n === 1n) r = (r * b) % m;
      e /= 2n;
      b = (b * b) % m;
    }
    return wrap(r);
  };
  P.square = function () {
    return wrap(this.value * this.value);
  };
  P.abs = function () {
    return wrap(absOf(this.value));
  };
  P.negate = function () {
    return wrap(-this.value);
  };
  P.next = function () {
    return wrap(this.value + 1n);
  };
  P.prev = function () {
    return wrap(this.value - 1n);
  };
  P.compare = function (v) {
    return cmp(this.value, big(v));
  };
  P.compareAbs = function (v) {
    return cmp(absOf(this.value), absOf(big(v)));
  };
  P.equals = function (v) {
    return this.value === big(v);
  };
  P.notEquals = function (v) {
    return this.value !== big(v);
  };
  P.greater = function (v) {
    return this.value > big(v);
  };
  P.lesser = function (v) {
    return this.value < big(v);
  };
  P.greaterOrEquals = function (v) {
    return this.value >= big(v);
  };
  P.lesserOrEquals = function (v) {
    return this.value <= big(v);
  };
  P.isZero = function () {
    return this.value === 0n;
  };
  P.isUnit = function () {
    return this.value === 1n || this.value === -1n;
  };
  P.isPositive = function () {
    return this.value > 0n;
  };
  P.isNegative = function () {
    return this.value < 0n;
  };
  P.isEven = function () {
    return this.value % 2n === 0n;
  };
  P.isOdd = function () {
    return this.value % 2n !== 0n;
  };
  P.isDivisibleBy = function (v) {
    var d = big(v);
    if (d === 0n) return false;
    if (d === 1n || d === -1n) return true;
    return this.value % d === 0n;
  };
  function millerRabin(n, bases) {
    var d = n - 1n;
    var s = 0;
    while (d % 2n === 0n) {
      d /= 2n;
      s++;
    }
    outer: for (var i = 0; i < bases.length; i++) {
      var a = bases[i] % n;
      if (a === 0n) continue;
      var x = wrap(a).modPow(d, n).value;
      if (x === 1n || x === n - 1n) continue;
      for (var k = 1; k < s; k++) {
        x = (x * x) % n;
        if (x === n - 1n) continue outer;
      }
      return false;
    }
    return true;
  }
  var SMALL_PRIMES = [2n, 3n, 5n, 7n, 11n, 13n, 17n, 19n, 23n, 29n, 31n, 37n];
  P.isPrime = function () {
    var n = absOf(this.value);
    if (n < 2n) return false;
    for (var i = 0; i < SMALL_PRIMES.length; i++) {
      if (n === SMALL_PRIMES[i]) return true;
      if (n % SMALL_PRIMES[i] === 0n) return false;
    }
    return millerRabin(n, SMALL_PRIMES);
  };
  P.isProbablePrime = function (iterations) {
    var n = absOf(this.value);
    if (n < 2n) return false;
    if (n < 4n) return true;
    if (n % 2n === 0n) return false;
    var count = iterations === undefined ? 5 : iterations;
    var bases = [];
    for (var i = 0; i < count; i++) bases.push(bigInt.randBetween(2, wrap(n - 2n)).value);
    return millerRabin(n, bases);
  };
  P.shiftLeft = function (v) {
    var c = smallCount(v);
    return c >= 0 ? wrap(this.value << BigInt(c)) : wrap(this.value >> BigInt(-c));
  };
  P.shiftRight = function (v) {
    var c = smallCount(v);
    return c >= 0 ? wrap(this.value >> BigInt(c)) : wrap(this.value << BigInt(-c));
  };
  P.and = function (v) {
    return wrap(this.value & big(v));
  };
  P.or = function (v) {
    return wrap(this.value | big(v));
  };
  P.xor = function (v) {
    return wrap(this.value ^ big(v));
  };
  P.not = function () {
    return wrap(~this.value);
  };
  P.toString = function (radix) {
    if (radix === undefined || +radix === 10) return this.value.toString();
    var r = +radix;
    if (!(r >= 2 && r <= 36 && r === Math.trunc(r))) throw new Error("unsupported base " + radix);
    return this.value.toString(r);
  };
  P.toJSON = function () {
    return this.value.toString();
  };
  P.valueOf = function () {
    return Number(this.value);
  };
  P.toJSNumber = P.valueOf;
  // Aliases, as big-integer.js offers them.
  P.plus = P.add;
  P.minus = P.subtract;
  P.times = P.multiply;
  P.over = P.divide;
  P.remainder = P.mod;
  P.compareTo = P.compare;
  P.eq = P.equals;
  P.neq = P.notEquals;
  P.gt = P.greater;
  P.lt = P.lesser;
  P.geq = P.greaterOrEquals;
  P.leq = P.lesserOrEquals;

  bigInt.zero = wrap(0n);
  bigInt.one = wrap(1n);
  bigInt.minusOne = wrap(-1n);
  bigInt.isInstance = function (x) {
    return x instanceof Int;
  };
  bigInt.max = function (a, b) {
    var x = big(a);
    var y = big(b);
    return wrap(x > y ? x : y);
  };
  bigInt.min = function (a, b) {
    var x = big(a);
    var y = big(b);
    return wrap(x < y ? x : y);
  };
  bigInt.gcd = function (a, b) {
    var x = absOf(big(a));
    var y = absOf(big(b));
    while (y !== 0n) {
      var t = x % y;
      x = y;
      y = t;
    }
    return wrap(x);
  };
  bigInt.lcm = function (a, b) {
    var x = absOf(big(a));
    var y = absOf(big(b));
    if (x === 0n || y === 0n) return wrap(0n);
    return wrap((x / bigInt.gcd(x, y).value) * y);
  };
  bigInt.fromArray = function (digits, base, isNegative) {
    var b = big(base === undefined ? 10 : base);
    var acc = 0n;
    for (var i = 0; i < digits.length; i++) acc = acc * b + big(digits[i]);
    return wrap(isNegative ? -acc : acc);
  };
  bigInt.randBetween = function (a, b) {
    var lo = big(a);
    var hi = big(b);
    if (lo > hi) {
      var t = lo;
      lo = hi;
      hi = t;
    }
    var span = hi - lo + 1n;
    var bits = span.toString(2).length + 16;
    var r = 0n;
    for (var i = 0; i < bits; i += 16) r = (r << 16n) | BigInt(Math.floor(Math.random() * 65536));
    return wrap(lo + (r % span));
  };
  return bigInt;
})();
`;
