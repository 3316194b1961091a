/**
 * Per-fork instruction tables, built by inheritance: each fork's table is its
 * predecessor's with that fork's EIPs applied (go-ethereum's jump_table.go shape).
 * Stack bounds derive from the opcode descriptions in opcodes.ts; tables are validated
 * when built.
 */
import { FORK_NAMES, type Fork } from "./forks.js";
import type { Frame } from "./frame.js";
import { STACK_LIMIT } from "./frame.js";
import { G } from "./gas.js";
import * as A from "./instructions/arithmetic.js";
import * as B from "./instructions/bitwise.js";
import * as BL from "./instructions/block.js";
import * as E from "./instructions/environment.js";
import * as FL from "./instructions/flow.js";
import { keccakGas, opKeccak256 } from "./instructions/keccak.js";
import { makeLog, makeLogGas } from "./instructions/log.js";
import * as M from "./instructions/memory.js";
import * as ST from "./instructions/stack.js";
import * as S from "./instructions/storage.js";
import * as SY from "./instructions/system.js";
import { OPCODES } from "./opcodes.js";

export type Handler = (f: Frame) => void;
export type DynamicGas = (f: Frame) => number;

export interface JumpTable {
  readonly fork: Fork;
  readonly handlers: Handler[];
  readonly staticGas: number[];
  readonly dynamicGas: (DynamicGas | null)[];
  /** Least stack size the opcode needs. */
  readonly minStack: Uint16Array;
  /** Largest stack size the opcode may start with without overflowing. */
  readonly maxStack: Uint16Array;
  /**
   * Every opcode must run through this table (a patched table, variants.ts): the plain
   * loop's inline fast paths would bypass the patches.
   */
  readonly tableOnly?: true;
}

interface Op {
  handler: Handler;
  gas: number;
  dyn: DynamicGas | null;
}

type Table = (Op | undefined)[];

function set(t: Table, code: number, handler: Handler, gas: number, dyn: DynamicGas | null = null): void {
  t[code] = { handler, gas, dyn };
}

function setGas(t: Table, code: number, gas: number, dyn?: DynamicGas | null): void {
  const op = t[code]!;
  t[code] = { handler: op.handler, gas, dyn: dyn === undefined ? op.dyn : dyn };
}

function frontier(): Table {
  const t: Table = new Array(256).fill(undefined);
  set(t, 0x00, FL.opStop, G.ZERO);
  set(t, 0x01, A.opAdd, G.VERYLOW);
  set(t, 0x02, A.opMul, G.LOW);
  set(t, 0x03, A.opSub, G.VERYLOW);
  set(t, 0x04, A.opDiv, G.LOW);
  set(t, 0x05, A.opSdiv, G.LOW);
  set(t, 0x06, A.opMod, G.LOW);
  set(t, 0x07, A.opSmod, G.LOW);
  set(t, 0x08, A.opAddmod, G.MID);
  set(t, 0x09, A.opMulmod, G.MID);
  set(t, 0x0a, A.opExp, G.EXP, A.expGasFrontier);
  set(t, 0x0b, A.opSignextend, G.LOW);
  set(t, 0x10, B.opLt, G.VERYLOW);
  set(t, 0x11, B.opGt, G.VERYLOW);
  set(t, 0x12, B.opSlt, G.VERYLOW);
  set(t, 0x13, B.opSgt, G.VERYLOW);
  set(t, 0x14, B.opEq, G.VERYLOW);
  set(t, 0x15, B.opIszero, G.VERYLOW);
  set(t, 0x16, B.opAnd, G.VERYLOW);
  set(t, 0x17, B.opOr, G.VERYLOW);
  set(t, 0x18, B.opXor, G.VERYLOW);
  set(t, 0x19, B.opNot, G.VERYLOW);
  set(t, 0x1a, B.opByte, G.VERYLOW);
  set(t, 0x20, opKeccak256, G.KECCAK, keccakGas);
  set(t, 0x30, E.opAddress, G.BASE);
  set(t, 0x31, E.opBalance, G.BALANCE_FRONTIER);
  set(t, 0x32, E.opOrigin, G.BASE);
  set(t, 0x33, E.opCaller, G.BASE);
  set(t, 0x34, E.opCallvalue, G.BASE);
  set(t, 0x35, E.opCalldataload, G.VERYLOW);
  set(t, 0x36, E.opCalldatasize, G.BASE);
  set(t, 0x37, E.opCalldatacopy, G.VERYLOW, E.copyGas);
  set(t, 0x38, E.opCodesize, G.BASE);
  set(t, 0x39, E.opCodecopy, G.VERYLOW, E.copyGas);
  set(t, 0x3a, E.opGasprice, G.BASE);
  set(t, 0x3b, E.opExtcodesize, G.EXTCODE_FRONTIER);
  set(t, 0x3c, E.opExtcodecopy, G.EXTCODE_FRONTIER, E.extcodecopyGas);
  set(t, 0x40, BL.opBlockhash, 20);
  set(t, 0x41, BL.opCoinbase, G.BASE);
  set(t, 0x42, BL.opTimestamp, G.BASE);
  set(t, 0x43, BL.opNumber, G.BASE);
  set(t, 0x44, BL.opDifficulty, G.BASE);
  set(t, 0x45, BL.opGaslimit, G.BASE);
  set(t, 0x50, ST.opPop, G.BASE);
  set(t, 0x51, M.opMload, G.VERYLOW, M.mloadGas);
  set(t, 0x52, M.opMstore, G.VERYLOW, M.mstoreGas);
  set(t, 0x53, M.opMstore8, G.VERYLOW, M.mstore8Gas);
  set(t, 0x54, S.opSload, G.SLOAD_FRONTIER);
  set(t, 0x55, S.opSstore, G.ZERO, S.sstoreGasLegacy);
  set(t, 0x56, FL.opJump, G.MID);
  set(t, 0x57, FL.opJumpi, G.HIGH);
  set(t, 0x58, FL.opPc, G.BASE);
  set(t, 0x59, M.opMsize, G.BASE);
  set(t, 0x5a, FL.opGas, G.BASE);
  set(t, 0x5b, FL.opJumpdest, G.JUMPDEST);
  set(t, 0x60, ST.opPush1, G.VERYLOW);
  set(t, 0x61, ST.opPush2, G.VERYLOW);
  for (let n = 3; n <= 32; n++) set(t, 0x5f + n, ST.makePush(n), G.VERYLOW);
  for (let n = 1; n <= 16; n++) set(t, 0x7f + n, ST.makeDup(n), G.VERYLOW);
  for (let n = 1; n <= 16; n++) set(t, 0x8f + n, ST.makeSwap(n), G.VERYLOW);
  for (let n = 0; n <= 4; n++) set(t, 0xa0 + n, makeLog(n), G.LOG, makeLogGas(n));
  set(t, 0xf0, SY.opCreate, G.CREATE, SY.createGas);
  set(t, 0xf1, SY.opCall, G.CALL_FRONTIER, SY.callGas);
  set(t, 0xf2, SY.opCallcode, G.CALL_FRONTIER, SY.callcodeGas);
  set(t, 0xf3, FL.opReturn, G.ZERO, FL.returnGas);
  set(t, 0xfe, FL.opInvalid, G.ZERO);
  set(t, 0xff, SY.opSelfdestruct, G.ZERO, SY.selfdestructGas);
  return t;
}

/** Each fork's changes to its predecessor's table. */
const ACTIVATORS: ((t: Table) => void)[] = [
  /* Frontier */ () => {},
  /* Homestead: EIP-7 DELEGATECALL */ (t) => {
    set(t, 0xf4, SY.opDelegatecall, G.CALL_FRONTIER, SY.delegatecallGas);
  },
  /* Tangerine Whistle: EIP-150 repricing */ (t) => {
    setGas(t, 0x31, G.BALANCE_EIP150);
    setGas(t, 0x3b, G.EXTCODE_EIP150);
    setGas(t, 0x3c, G.EXTCODE_EIP150);
    setGas(t, 0x54, G.SLOAD_EIP150);
    setGas(t, 0xf1, G.CALL_EIP150);
    setGas(t, 0xf2, G.CALL_EIP150);
    setGas(t, 0xf4, G.CALL_EIP150);
    setGas(t, 0xff, G.SELFDESTRUCT_EIP150);
  },
  /* Spurious Dragon: EIP-160 EXP byte cost */ (t) => {
    setGas(t, 0x0a, G.EXP, A.expGasEip160);
  },
  /* Byzantium: EIP-211, 214, 140 */ (t) => {
    set(t, 0x3d, E.opReturndatasize, G.BASE);
    set(t, 0x3e, E.opReturndatacopy, G.VERYLOW, E.copyGas);
    set(t, 0xfa, SY.opStaticcall, G.CALL_EIP150, SY.staticcallGas);
    set(t, 0xfd, FL.opRevert, G.ZERO, FL.returnGas);
  },
  /* Constantinople: EIP-145 shifts, 1014 CREATE2, 1052 EXTCODEHASH, 1283 SSTORE */ (t) => {
    set(t, 0x1b, B.opShl, G.VERYLOW);
    set(t, 0x1c, B.opShr, G.VERYLOW);
    set(t, 0x1d, B.opSar, G.VERYLOW);
    set(t, 0x3f, E.opExtcodehash, G.EXTCODEHASH_CONSTANTINOPLE);
    set(t, 0xf5, SY.opCreate2, G.CREATE, SY.create2Gas);
    setGas(t, 0x55, G.ZERO, S.sstoreGasEip1283);
  },
  /* Petersburg: EIP-1283 removed */ (t) => {
    setGas(t, 0x55, G.ZERO, S.sstoreGasLegacy);
  },
  /* Istanbul: EIP-1344 CHAINID, 1884 repricing + SELFBALANCE, 2200 SSTORE */ (t) => {
    set(t, 0x46, E.opChainid, G.BASE);
    set(t, 0x47, E.opSelfbalance, G.LOW);
    setGas(t, 0x31, G.BALANCE_EIP1884);
    setGas(t, 0x54, G.SLOAD_EIP1884);
    setGas(t, 0x3f, G.EXTCODEHASH_EIP1884);
    setGas(t, 0x55, G.ZERO, S.sstoreGasEip2200);
  },
  /* Berlin: EIP-2929 cold/warm access */ (t) => {
    const warm = G.WARM_STORAGE_READ;
    setGas(t, 0x54, G.ZERO, S.sloadGasEip2929);
    setGas(t, 0x55, G.ZERO, S.sstoreGasEip2929);
    setGas(t, 0x31, warm, E.accountAccessGasEip2929);
    setGas(t, 0x3b, warm, E.accountAccessGasEip2929);
    setGas(t, 0x3f, warm, E.accountAccessGasEip2929);
    setGas(t, 0x3c, warm, E.extcodecopyGasEip2929);
    setGas(t, 0xf1, warm);
    setGas(t, 0xf2, warm);
    setGas(t, 0xf4, warm);
    setGas(t, 0xfa, warm);
  },
  /* London: EIP-3198 BASEFEE, 3529 refunds */ (t) => {
    set(t, 0x48, BL.opBasefee, G.BASE);
    setGas(t, 0x55, G.ZERO, S.sstoreGasEip3529);
  },
  /* Paris: EIP-4399 PREVRANDAO (same opcode, value chosen by fork) */ () => {},
  /* Shanghai: EIP-3855 PUSH0, 3860 initcode (in create gas) */ (t) => {
    set(t, 0x5f, ST.opPush0, G.BASE);
  },
  /* Cancun: EIP-1153, 4844, 5656, 7516 */ (t) => {
    set(t, 0x5c, S.opTload, G.TRANSIENT);
    set(t, 0x5d, S.opTstore, G.TRANSIENT);
    set(t, 0x5e, M.opMcopy, G.VERYLOW, M.mcopyGas);
    set(t, 0x49, BL.opBlobhash, G.VERYLOW);
    set(t, 0x4a, BL.opBlobbasefee, G.BASE);
  },
  /* Prague: EIP-7702 (in call gas and code resolution) */ () => {},
  /* Osaka: EIP-7939 CLZ */ (t) => {
    set(t, 0x1e, B.opClz, G.LOW);
  },
];

const tables: (JumpTable | undefined)[] = [];

export function jumpTableFor(fork: Fork): JumpTable {
  const cached = tables[fork];
  if (cached) return cached;
  const t = frontier();
  for (let f = 0; f <= fork; f++) ACTIVATORS[f]!(t);
  const table = finish(fork, t);
  tables[fork] = table;
  return table;
}

function finish(fork: Fork, t: Table): JumpTable {
  const handlers: Handler[] = [];
  const staticGas: number[] = [];
  const dynamicGas: (DynamicGas | null)[] = [];
  const minStack = new Uint16Array(256);
  const maxStack = new Uint16Array(256);
  for (let code = 0; code < 256; code++) {
    const op = t[code];
    const info = OPCODES[code];
    if (op === undefined) {
      handlers.push(FL.opInvalid);
      staticGas.push(0);
      dynamicGas.push(null);
      minStack[code] = 0;
      maxStack[code] = STACK_LIMIT;
      continue;
    }
    if (info === undefined)
      throw new Error(`jump table ${FORK_NAMES[fork]}: opcode 0x${code.toString(16)} has no description`);
    if (info.since > fork) {
      throw new Error(
        `jump table ${FORK_NAMES[fork]}: ${info.name} is active before its fork ${FORK_NAMES[info.since]}`,
      );
    }
    handlers.push(op.handler);
    staticGas.push(op.gas);
    dynamicGas.push(op.dyn);
    minStack[code] = info.pops;
    maxStack[code] = STACK_LIMIT + info.pops - info.pushes;
  }
  // Every described opcode whose fork has come must have an entry.
  for (const info of OPCODES) {
    if (info && info.since <= fork && t[info.code] === undefined) {
      throw new Error(`jump table ${FORK_NAMES[fork]}: ${info.name} is missing`);
    }
  }
  return { fork, handlers, staticGas, dynamicGas, minStack, maxStack };
}
