/**
 * The sandbox side of a JavaScript tracer: the objects go-ethereum hands to tracer code
 * (eth/tracers/js/goja.go: `log`, `db`, frame and frame-result, `ctx`) and its global
 * helpers (toHex, toWord, toAddress, toContract, toContract2, isPrecompiled, slice).
 *
 * This source runs inside QuickJS. It is a function expression called once by the host
 * with `H`, the host functions, and the opcode names; it returns the internal entry
 * points the host calls (step, fault, enter, exit, result, ...). Nothing internal is
 * global: tracer code sees only the helpers and `bigInt`.
 *
 * Per-step data travels through `S`, a Float64Array whose memory the host writes
 * directly (see ./engine.ts): pc, op, gas, cost, depth, refund, error flag, stack and
 * memory sizes, and the frame scalars of enter/exit. Everything else (stack words,
 * memory, addresses, state) is fetched from the host only when the tracer asks for it.
 *
 * Conversions follow go-ethereum: byte arguments may be a Uint8Array, an array of
 * numbers or (where geth allows it) a hex string; anything else interrupts the tracer
 * with "invalid buffer type". Out-of-range accesses interrupt it with geth's messages.
 * An interrupt ends the trace even if the tracer catches the exception, as goja's
 * vm.Interrupt does.
 */

/** Slot indices in the shared scalar array. Keep in sync with the prelude below. */
export const SLOT = {
  pc: 0,
  op: 1,
  gas: 2,
  cost: 3,
  depth: 4,
  refund: 5,
  hasError: 6,
  stackSize: 7,
  memorySize: 8,
  frameType: 9,
  frameGas: 10,
  frameHasValue: 11,
  exitGasUsed: 12,
  exitHasError: 13,
} as const;

/**
 * Length of the scalar array. An unusual allocation size, so the host can predict where
 * the sandbox's allocator places it (./engine.ts).
 */
export const SLOT_COUNT = 37;

/** Kinds for `ctxSet`. */
export const CTX_KIND = { plain: 0, bytes: 1, bigDecimal: 2 } as const;

export const PRELUDE_JS = `(function (H, opNames) {
  "use strict";
  var G = globalThis;
  var mkBig = bigInt;
  var NAMES = opNames.split(",");
  var S = new Float64Array(1);
  var T = null;
  var stepFn = null;
  var faultFn = null;
  var enterFn = null;
  var exitFn = null;
  var resultFn = null;
  var setupFn = null;
  var dbArg;
  // step() is a plain method of the tracer object: call it as one (cheaper than .call).
  var plainStep = false;
  var CTX = {};
  var PRE = Object.create(null);
  var HEX = "0123456789abcdef";

  function interrupt(msg) {
    H.interrupt(msg);
    throw new Error(msg);
  }
  // go-ethereum converts JS numbers to Go integers: NaN becomes 0, fractions are dropped.
  function toInt(x) {
    var n = Number(x);
    return n === n ? Math.trunc(n) : 0;
  }
  function hexOf(bytes) {
    var out = "";
    for (var i = 0; i < bytes.length; i++) {
      var b = bytes[i];
      out += HEX.charAt(b >> 4) + HEX.charAt(b & 15);
    }
    return out;
  }
  function nibble(c) {
    if (c >= 48 && c <= 57) return c - 48;
    if (c >= 97 && c <= 102) return c - 87;
    if (c >= 65 && c <= 70) return c - 55;
    return -1;
  }
  // Decodes even-length hex from the host (no prefix).
  function hexBytes(h) {
    var out = new Uint8Array(h.length >> 1);
    for (var i = 0; i < out.length; i++) {
      out[i] = (nibble(h.charCodeAt(2 * i)) << 4) | nibble(h.charCodeAt(2 * i + 1));
    }
    return out;
  }
  // common.FromHex: optional 0x, odd length padded on the left, decoding stops at the
  // first invalid pair (keeping what was decoded before it).
  function fromHexLoose(s) {
    if (s.length >= 2 && s.charAt(0) === "0" && (s.charAt(1) === "x" || s.charAt(1) === "X")) s = s.slice(2);
    if (s.length % 2 === 1) s = "0" + s;
    var n = s.length >> 1;
    var out = new Uint8Array(n);
    for (var i = 0; i < n; i++) {
      var hi = nibble(s.charCodeAt(2 * i));
      var lo = nibble(s.charCodeAt(2 * i + 1));
      if (hi < 0 || lo < 0) return out.slice(0, i);
      out[i] = (hi << 4) | lo;
    }
    return out;
  }
  function fromBuf(v, allowString) {
    if (v === null || v === undefined) throw new TypeError("Cannot convert undefined or null to object");
    if (typeof v === "string" || v instanceof String) {
      if (allowString) return fromHexLoose(String(v));
    } else if (Array.isArray(v)) {
      var b = new Uint8Array(v.length);
      for (var i = 0; i < v.length; i++) b[i] = toInt(v[i]) & 255;
      return b;
    } else if (typeof v === "object" && v.constructor === Uint8Array) {
      return v;
    }
    return interrupt("invalid buffer type");
  }
  // common.BytesToHash / BytesToAddress: keep the last n bytes, pad on the left.
  function fixed(b, n) {
    var out = new Uint8Array(n);
    if (b.length >= n) out.set(b.subarray(b.length - n));
    else out.set(b, n - b.length);
    return out;
  }
  function addrHex(v, allowString) {
    return hexOf(fixed(fromBuf(v, allowString), 20));
  }
  function bigHex(h) {
    return mkBig(BigInt("0x" + h));
  }

  G.toHex = function (v) {
    return "0x" + hexOf(fromBuf(v, false));
  };
  G.toWord = function (v) {
    return fixed(fromBuf(v, true), 32);
  };
  G.toAddress = function (v) {
    return fixed(fromBuf(v, true), 20);
  };
  G.toContract = function (from, nonce) {
    return hexBytes(H.create(addrHex(from, true), Number(nonce)));
  };
  G.toContract2 = function (from, salt, initcode) {
    var a = addrHex(from, true);
    var code = fromBuf(initcode, true);
    return hexBytes(H.create2(a, hexOf(fixed(fromHexLoose(String(salt)), 32)), hexOf(code)));
  };
  G.isPrecompiled = function (v) {
    return PRE[addrHex(v, true)] === true;
  };
  G.slice = function (buf, start, end) {
    var b = fromBuf(buf, false);
    var s = toInt(start);
    var e = toInt(end);
    if (s < 0 || s > e || e > b.length) {
      interrupt("Tracer accessed out of bound memory: available " + b.length + ", offset " + s + ", size " + (e - s));
    }
    return b.slice(s, e);
  };

  var LOG = {
    op: {
      toNumber: function () {
        return S[1];
      },
      toString: function () {
        return NAMES[S[1]];
      },
      isPush: function () {
        return S[1] >= 0x5f && S[1] <= 0x7f;
      },
    },
    stack: {
      peek: function (i) {
        var idx = toInt(i);
        if (idx < 0 || idx >= S[7]) interrupt("tracer accessed out of bound stack: size " + S[7] + ", index " + idx);
        return bigHex(H.peek(idx));
      },
      length: function () {
        return S[7];
      },
    },
    memory: {
      slice: function (a, b) {
        var begin = toInt(a);
        var end = toInt(b);
        if (end === begin) return new Uint8Array(0);
        if (end < begin || begin < 0) interrupt("tracer accessed out of bound memory: offset " + begin + ", end " + end);
        return new Uint8Array(H.memSlice(begin, end));
      },
      getUint: function (a) {
        return bigHex(H.memUint(toInt(a)));
      },
      length: function () {
        return S[8];
      },
    },
    contract: {
      getAddress: function () {
        return hexBytes(H.contract(0));
      },
      getCaller: function () {
        return hexBytes(H.contract(1));
      },
      getValue: function () {
        return bigHex(H.contract(2));
      },
      getInput: function () {
        return new Uint8Array(H.contract(3));
      },
    },
    getPC: function () {
      return S[0];
    },
    getGas: function () {
      return S[2];
    },
    getCost: function () {
      return S[3];
    },
    getDepth: function () {
      return S[4];
    },
    getRefund: function () {
      return S[5];
    },
    getError: function () {
      return S[6] ? H.error() : undefined;
    },
  };

  var DB = {
    getBalance: function (a) {
      return bigHex(H.db(0, addrHex(a, false)));
    },
    getNonce: function (a) {
      return H.db(1, addrHex(a, false));
    },
    getCode: function (a) {
      return new Uint8Array(H.db(2, addrHex(a, false)));
    },
    getState: function (a, slot) {
      var ah = addrHex(a, false);
      return hexBytes(H.db(3, ah, hexOf(fixed(fromBuf(slot, false), 32))));
    },
    exists: function (a) {
      return H.db(4, addrHex(a, false));
    },
  };

  var FRAME = {
    getType: function () {
      return NAMES[S[9]];
    },
    getFrom: function () {
      return hexBytes(H.frame(0));
    },
    getTo: function () {
      return hexBytes(H.frame(1));
    },
    getInput: function () {
      return new Uint8Array(H.frame(2));
    },
    getGas: function () {
      return S[10];
    },
    getValue: function () {
      return S[11] ? bigHex(H.frame(3)) : undefined;
    },
  };

  var FRAME_RESULT = {
    getGasUsed: function () {
      return S[12];
    },
    getOutput: function () {
      return new Uint8Array(H.frame(4));
    },
    getError: function () {
      return S[13] ? H.frame(5) : undefined;
    },
  };

  return {
    makeSlots: function (n, a, b, c) {
      S = new Float64Array(n);
      S[0] = a;
      S[1] = b;
      S[2] = c;
    },
    readSlot: function (i) {
      return S[i];
    },
    writeSlots: function () {
      for (var i = 0; i < arguments.length; i++) S[i] = arguments[i];
    },
    install: function (value) {
      var o = value === null || value === undefined ? {} : Object(value);
      if (typeof o.result !== "function") return "trace object must expose a function result()";
      if (typeof o.fault !== "function") return "trace object must expose a function fault()";
      var step = o.step;
      var enter = o.enter;
      var exit = o.exit;
      var hasEnter = typeof enter === "function";
      if (hasEnter !== (typeof exit === "function")) {
        return "trace object must expose either both or none of enter() and exit()";
      }
      T = o;
      resultFn = o.result;
      faultFn = o.fault;
      stepFn = typeof step === "function" ? step : null;
      var own = Object.getOwnPropertyDescriptor(o, "step");
      plainStep = stepFn !== null && own !== undefined && "value" in own;
      enterFn = hasEnter ? enter : null;
      exitFn = hasEnter ? exit : null;
      var setup = o.setup;
      setupFn = typeof setup === "function" ? setup : null;
      return "ok:" + (stepFn ? "s" : "-") + (enterFn ? "f" : "-") + (setupFn ? "c" : "-");
    },
    setup: function (config) {
      setupFn.call(T, config);
    },
    step: function () {
      // go-ethereum calls the step function found at construction, even if replaced later.
      if (plainStep && T.step === stepFn) T.step(LOG, dbArg);
      else stepFn.call(T, LOG, dbArg);
    },
    fault: function () {
      faultFn.call(T, LOG, dbArg);
    },
    enter: function () {
      enterFn.call(T, FRAME);
    },
    exit: function () {
      exitFn.call(T, FRAME_RESULT);
    },
    result: function () {
      var text = JSON.stringify(resultFn.call(T, CTX, dbArg));
      return text === undefined ? "null" : text;
    },
    ctxSet: function (key, kind, v) {
      CTX[key] = kind === 1 ? new Uint8Array(v) : kind === 2 ? mkBig(BigInt(v)) : v;
    },
    txStart: function (precompiles) {
      PRE = Object.create(null);
      var list = precompiles === "" ? [] : precompiles.split(",");
      for (var i = 0; i < list.length; i++) PRE[list[i]] = true;
      dbArg = DB;
    },
  };
})`;
