/**
 * The JavaScript tracers go-ethereum ships (eth/tracers/js/internal/tracers), rewritten
 * for Sonde and registered under geth's names: callTracerLegacy, prestateTracerLegacy,
 * 4byteTracerLegacy, unigramTracer, bigramTracer, trigramTracer, opcountTracer,
 * evmdisTracer and noopTracerLegacy.
 *
 * They are written against the same tracer API and reproduce geth's output, including
 * its quirks, because clients compare against it: callTracerLegacy reports a failed
 * inner call that returned 0 without an error as "internal failure" and skips calls to
 * precompiles; prestateTracerLegacy undoes the value transfer and the gas payment
 * (gasUsed × the tip geth puts in ctx.gasPrice) from the post-state it reads;
 * the n-gram tracers count only consecutive steps at the same depth; evmdisTracer drops
 * the first step after a call returns, and serialises byte arrays as JSON objects.
 */
import { registerJsBuiltin } from "../registry.js";

const CALL_TRACER_LEGACY = `{
  // Open frames, outermost first; frames[0] stands for the transaction itself.
  frames: [{}],
  // Set by a call or create opcode: the next step may be the first one inside it.
  justCalled: false,

  hexOf: function (n) {
    return "0x" + bigInt(n).toString(16);
  },

  addChild: function (parent, child) {
    if (parent.calls === undefined) parent.calls = [];
    parent.calls.push(child);
  },

  top: function () {
    return this.frames[this.frames.length - 1];
  },

  step: function (log, db) {
    if (log.getError() !== undefined) {
      this.fault(log, db);
      return;
    }
    var opNumber = log.op.toNumber();
    var name = (opNumber & 0xf0) === 0xf0 ? log.op.toString() : "";

    if (name === "CREATE" || name === "CREATE2") {
      var off = log.stack.peek(1).valueOf();
      var size = log.stack.peek(2).valueOf();
      this.frames.push({
        type: name,
        from: toHex(log.contract.getAddress()),
        input: toHex(log.memory.slice(off, off + size)),
        gasIn: log.getGas(),
        gasCost: log.getCost(),
        value: "0x" + log.stack.peek(0).toString(16),
      });
      this.justCalled = true;
      return;
    }
    if (name === "SELFDESTRUCT") {
      this.addChild(this.top(), {
        type: name,
        from: toHex(log.contract.getAddress()),
        to: toHex(toAddress(log.stack.peek(0).toString(16))),
        value: "0x" + db.getBalance(log.contract.getAddress()).toString(16),
      });
      return;
    }
    if (name === "CALL" || name === "CALLCODE" || name === "DELEGATECALL" || name === "STATICCALL") {
      var target = toAddress(log.stack.peek(1).toString(16));
      if (isPrecompiled(target)) return;
      // CALL and CALLCODE carry a value word before the memory arguments.
      var shift = name === "CALL" || name === "CALLCODE" ? 1 : 0;
      var inOff = log.stack.peek(2 + shift).valueOf();
      var inSize = log.stack.peek(3 + shift).valueOf();
      var frame = {
        type: name,
        from: toHex(log.contract.getAddress()),
        to: toHex(target),
        input: toHex(log.memory.slice(inOff, inOff + inSize)),
        gasIn: log.getGas(),
        gasCost: log.getCost(),
        outOff: log.stack.peek(4 + shift).valueOf(),
        outLen: log.stack.peek(5 + shift).valueOf(),
      };
      if (shift === 1) frame.value = "0x" + log.stack.peek(2).toString(16);
      this.frames.push(frame);
      this.justCalled = true;
      return;
    }
    if (this.justCalled) {
      // First step after a call opcode: inside the callee only if the depth went up
      // (a call to code-less account returns at once and gets no gas figure).
      if (log.getDepth() >= this.frames.length) this.top().gas = log.getGas();
      this.justCalled = false;
    }
    if (name === "REVERT") {
      this.top().error = "execution reverted";
      return;
    }
    if (log.getDepth() !== this.frames.length - 1) return;

    // Back in the caller: the frame on top has returned.
    var done = this.frames.pop();
    var result = log.stack.peek(0);
    if (done.type === "CREATE" || done.type === "CREATE2") {
      done.gasUsed = this.hexOf(done.gasIn - done.gasCost - log.getGas());
      if (!result.equals(0)) {
        var created = toAddress(result.toString(16));
        done.to = toHex(created);
        done.output = toHex(db.getCode(created));
      } else if (done.error === undefined) {
        done.error = "internal failure";
      }
    } else {
      if (done.gas !== undefined) {
        done.gasUsed = this.hexOf(done.gasIn - done.gasCost + done.gas - log.getGas());
      }
      if (!result.equals(0)) {
        done.output = toHex(log.memory.slice(done.outOff, done.outOff + done.outLen));
      } else if (done.error === undefined) {
        done.error = "internal failure";
      }
    }
    if (done.gas !== undefined) done.gas = this.hexOf(done.gas);
    this.addChild(this.top(), done);
  },

  fault: function (log, db) {
    if (this.top().error !== undefined) return;
    var failed = this.frames.pop();
    failed.error = log.getError();
    if (failed.gas !== undefined) {
      failed.gas = this.hexOf(failed.gas);
      failed.gasUsed = failed.gas;
    }
    if (this.frames.length === 0) {
      this.frames.push(failed);
      return;
    }
    this.addChild(this.top(), failed);
  },

  result: function (ctx, db) {
    var root = this.frames[0];
    var out = {
      type: ctx.type,
      from: toHex(ctx.from),
      to: toHex(ctx.to),
      value: "0x" + ctx.value.toString(16),
      gas: this.hexOf(ctx.gas),
      gasUsed: this.hexOf(ctx.gasUsed),
      input: toHex(ctx.input),
      output: toHex(ctx.output),
      calls: root.calls,
      error: root.error !== undefined ? root.error : ctx.error,
    };
    if (out.error !== undefined && (out.error !== "execution reverted" || out.output === "0x")) {
      out.output = undefined;
    }
    return this.tidy(out);
  },

  // Copies a call with only the reported fields, in a fixed order, without undefined ones.
  tidy: function (call) {
    var keys = ["type", "from", "to", "value", "gas", "gasUsed", "input", "output", "error", "calls"];
    var out = {};
    for (var i = 0; i < keys.length; i++) {
      if (call[keys[i]] !== undefined) out[keys[i]] = call[keys[i]];
    }
    if (out.calls !== undefined) {
      var children = [];
      for (var j = 0; j < out.calls.length; j++) children.push(this.tidy(out.calls[j]));
      out.calls = children;
    }
    return out;
  },
}`;

const PRESTATE_TRACER_LEGACY = `{
  accounts: null,

  touch: function (addr, db) {
    var key = toHex(addr);
    if (this.accounts[key] !== undefined) return;
    this.accounts[key] = {
      balance: "0x" + db.getBalance(addr).toString(16),
      nonce: db.getNonce(addr),
      code: toHex(db.getCode(addr)),
      storage: {},
    };
  },

  touchSlot: function (addr, slot, db) {
    var account = this.accounts[toHex(addr)];
    var key = toHex(slot);
    if (account.storage[key] === undefined) account.storage[key] = toHex(db.getState(addr, slot));
  },

  step: function (log, db) {
    if (this.accounts === null) {
      this.accounts = {};
      // Read after the value transfer; result() corrects the balances.
      this.touch(log.contract.getAddress(), db);
    }
    var name = log.op.toString();
    if (name === "BALANCE" || name === "EXTCODESIZE" || name === "EXTCODECOPY" || name === "EXTCODEHASH") {
      this.touch(toAddress(log.stack.peek(0).toString(16)), db);
    } else if (name === "CALL" || name === "CALLCODE" || name === "DELEGATECALL" || name === "STATICCALL") {
      this.touch(toAddress(log.stack.peek(1).toString(16)), db);
    } else if (name === "SLOAD" || name === "SSTORE") {
      this.touchSlot(log.contract.getAddress(), toWord(log.stack.peek(0).toString(16)), db);
    } else if (name === "CREATE") {
      var creator = log.contract.getAddress();
      this.touch(toContract(creator, db.getNonce(creator)), db);
    } else if (name === "CREATE2") {
      var factory = log.contract.getAddress();
      var off = log.stack.peek(1).valueOf();
      var size = log.stack.peek(2).valueOf();
      var salt = log.stack.peek(3).toString(16);
      this.touch(toContract2(factory, salt, log.memory.slice(off, off + size)), db);
    }
  },

  fault: function (log, db) {},

  result: function (ctx, db) {
    if (this.accounts === null) {
      // No code ran: a plain transfer; the recipient still belongs in the prestate.
      this.accounts = {};
      this.touch(ctx.to, db);
    }
    this.touch(ctx.from, db);
    var from = toHex(ctx.from);
    var to = toHex(ctx.to);
    var fromBalance = bigInt(this.accounts[from].balance.slice(2), 16);
    var toBalance = bigInt(this.accounts[to].balance.slice(2), 16);
    // Undo the transfer and the fee (the recipient first: sender and recipient may be one).
    this.accounts[to].balance = "0x" + toBalance.subtract(ctx.value).toString(16);
    this.accounts[from].balance = "0x" + fromBalance.add(ctx.value).add(ctx.gasUsed * ctx.gasPrice).toString(16);
    this.accounts[from].nonce = this.accounts[from].nonce - 1;
    if (ctx.type === "CREATE") delete this.accounts[to];
    return this.accounts;
  },
}`;

const FOUR_BYTE_TRACER_LEGACY = `{
  counts: {},

  // Stack position of the input offset for call opcodes, 0 for any other opcode.
  inputArg: function (name) {
    if (name === "CALL" || name === "CALLCODE") return 3;
    if (name === "DELEGATECALL" || name === "STATICCALL") return 2;
    return 0;
  },

  count: function (selector, size) {
    var key = toHex(selector) + "-" + size;
    this.counts[key] = (this.counts[key] || 0) + 1;
  },

  step: function (log, db) {
    var at = this.inputArg(log.op.toString());
    if (at === 0) return;
    if (isPrecompiled(toAddress(log.stack.peek(1).toString(16)))) return;
    var size = log.stack.peek(at + 1).valueOf();
    if (size < 4) return;
    var off = log.stack.peek(at).valueOf();
    this.count(log.memory.slice(off, off + 4), size - 4);
  },

  fault: function (log, db) {},

  result: function (ctx) {
    if (ctx.input.length >= 4) this.count(slice(ctx.input, 0, 4), ctx.input.length - 4);
    return this.counts;
  },
}`;

const UNIGRAM_TRACER = `{
  hist: {},
  step: function (log, db) {
    var name = log.op.toString();
    this.hist[name] = (this.hist[name] || 0) + 1;
  },
  fault: function (log, db) {},
  result: function (ctx) {
    return this.hist;
  },
}`;

const BIGRAM_TRACER = `{
  hist: {},
  prev: "",
  prevDepth: 0,
  step: function (log, db) {
    var name = log.op.toString();
    var depth = log.getDepth();
    if (depth === this.prevDepth) {
      var key = this.prev + "-" + name;
      this.hist[key] = (this.hist[key] || 0) + 1;
    }
    this.prev = name;
    this.prevDepth = depth;
  },
  fault: function (log, db) {},
  result: function (ctx) {
    return this.hist;
  },
}`;

const TRIGRAM_TRACER = `{
  hist: {},
  first: "",
  second: "",
  prevDepth: 0,
  step: function (log, db) {
    var depth = log.getDepth();
    if (depth !== this.prevDepth) {
      // A depth change restarts the window; this step itself is not counted.
      this.first = "";
      this.second = "";
      this.prevDepth = depth;
      return;
    }
    var name = log.op.toString();
    var key = this.first + "-" + this.second + "-" + name;
    this.hist[key] = (this.hist[key] || 0) + 1;
    this.first = this.second;
    this.second = name;
  },
  fault: function (log, db) {},
  result: function (ctx) {
    return this.hist;
  },
}`;

const OPCOUNT_TRACER = `{
  n: 0,
  step: function (log, db) {
    this.n++;
  },
  fault: function (log, db) {},
  result: function (ctx, db) {
    return this.n;
  },
}`;

const NOOP_TRACER_LEGACY = `{
  step: function (log, db) {},
  fault: function (log, db) {},
  result: function (ctx, db) {
    return {};
  },
}`;

/**
 * Stack words each opcode leaves for the next step to report (evmdis's table): most
 * opcodes push one result, stores/jumps/pops none, DUPn n+1 and SWAPn n+1 (the whole
 * affected window), CALL/CREATE-family one, RETURN/REVERT/SELFDESTRUCT none. Opcodes
 * missing from the table (new ones, such as PUSH0 or TLOAD) report nothing, as in geth.
 */
function evmdisPushTable(): string {
  const table: Record<number, number> = {};
  const set = (from: number, to: number, n: number) => {
    for (let op = from; op <= to; op++) table[op] = n;
  };
  table[0x00] = 0; // STOP
  set(0x01, 0x0b, 1); // ADD … SIGNEXTEND
  set(0x10, 0x1a, 1); // LT … BYTE
  table[0x20] = 1; // KECCAK256
  set(0x30, 0x36, 1); // ADDRESS … CALLDATASIZE
  table[0x37] = 0; // CALLDATACOPY
  table[0x38] = 1; // CODESIZE
  table[0x39] = 0; // CODECOPY
  set(0x3a, 0x3b, 1); // GASPRICE, EXTCODESIZE
  table[0x3c] = 0; // EXTCODECOPY
  set(0x40, 0x45, 1); // BLOCKHASH … GASLIMIT
  table[0x50] = 0; // POP
  table[0x51] = 1; // MLOAD
  set(0x52, 0x53, 0); // MSTORE, MSTORE8
  table[0x54] = 1; // SLOAD
  set(0x55, 0x57, 0); // SSTORE, JUMP, JUMPI
  set(0x58, 0x5a, 1); // PC, MSIZE, GAS
  table[0x5b] = 0; // JUMPDEST
  set(0x60, 0x7f, 1); // PUSH1 … PUSH32
  for (let n = 1; n <= 16; n++) {
    table[0x7f + n] = n + 1; // DUPn
    table[0x8f + n] = n + 1; // SWAPn
  }
  set(0xa0, 0xa4, 0); // LOG0 … LOG4
  set(0xf0, 0xf2, 1); // CREATE, CALL, CALLCODE
  set(0xf3, 0xf4, 0); // RETURN, DELEGATECALL
  table[0xff] = 0; // SELFDESTRUCT
  return JSON.stringify(table);
}

const EVMDIS_TRACER = `{
  frames: [{ ops: [] }],
  pushes: ${evmdisPushTable()},

  step: function (log, db) {
    var frame = this.frames[this.frames.length - 1];
    var error = log.getError();
    if (error) {
      frame.error = error;
      return;
    }
    var depth = log.getDepth();
    if (depth !== this.frames.length) {
      // Returned from a call: drop the finished frames (this step is not recorded).
      this.frames = this.frames.slice(0, depth);
      return;
    }
    var name = log.op.toString();
    var entry = { op: log.op.toNumber(), depth: depth, result: [] };
    if (frame.ops.length > 0) {
      var previous = frame.ops[frame.ops.length - 1];
      var n = this.pushes[previous.op] || 0;
      for (var i = 0; i < n; i++) previous.result.push(log.stack.peek(i).toString(16));
    }
    if (name === "CALL" || name === "CALLCODE") {
      var start = log.stack.peek(3).valueOf();
      var size = log.stack.peek(4).valueOf();
      entry.gas = log.stack.peek(0).valueOf();
      entry.to = log.stack.peek(1).toString(16);
      entry.value = log.stack.peek(2).toString();
      entry.input = log.memory.slice(start, start + size);
      entry.error = null;
      entry["return"] = null;
      entry.ops = [];
      this.frames.push(entry);
    } else if (name === "DELEGATECALL" || name === "STATICCALL") {
      var dstart = log.stack.peek(2).valueOf();
      var dsize = log.stack.peek(3).valueOf();
      entry.op = name;
      entry.gas = log.stack.peek(0).valueOf();
      entry.to = log.stack.peek(1).toString(16);
      entry.input = log.memory.slice(dstart, dstart + dsize);
      entry.error = null;
      entry["return"] = null;
      entry.ops = [];
      this.frames.push(entry);
    } else if (name === "RETURN" || name === "REVERT") {
      var out = log.stack.peek(0).valueOf();
      var outSize = log.stack.peek(1).valueOf();
      frame["return"] = log.memory.slice(out, out + outSize);
    } else if (name === "STOP" || name === "SELFDESTRUCT") {
      frame["return"] = log.memory.slice(0, 0);
    } else if (name === "JUMPDEST") {
      entry.pc = log.getPC();
    }
    if (log.op.isPush()) entry.len = log.op.toNumber() - 0x5e;
    frame.ops.push(entry);
  },

  fault: function (log, db) {},

  result: function () {
    return this.frames[0].ops;
  },
}`;

/** Name → source of every built-in JavaScript tracer. */
export const JS_BUILTINS: Readonly<Record<string, string>> = {
  callTracerLegacy: CALL_TRACER_LEGACY,
  prestateTracerLegacy: PRESTATE_TRACER_LEGACY,
  "4byteTracerLegacy": FOUR_BYTE_TRACER_LEGACY,
  unigramTracer: UNIGRAM_TRACER,
  bigramTracer: BIGRAM_TRACER,
  trigramTracer: TRIGRAM_TRACER,
  opcountTracer: OPCOUNT_TRACER,
  evmdisTracer: EVMDIS_TRACER,
  noopTracerLegacy: NOOP_TRACER_LEGACY,
};

for (const [name, code] of Object.entries(JS_BUILTINS)) registerJsBuiltin(name, code);
