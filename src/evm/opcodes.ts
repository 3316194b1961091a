/**
 * Every opcode described once: mnemonic, stack items taken and pushed, and the fork
 * that introduced it. The per-fork jump tables (jumptable.ts) derive stack checks from
 * these numbers.
 */
import { Fork } from "./forks.js";

export interface OpcodeInfo {
  readonly code: number;
  readonly name: string;
  readonly pops: number;
  readonly pushes: number;
  readonly since: Fork;
}

const defs: [number, string, number, number, Fork][] = [
  [0x00, "STOP", 0, 0, Fork.Frontier],
  [0x01, "ADD", 2, 1, Fork.Frontier],
  [0x02, "MUL", 2, 1, Fork.Frontier],
  [0x03, "SUB", 2, 1, Fork.Frontier],
  [0x04, "DIV", 2, 1, Fork.Frontier],
  [0x05, "SDIV", 2, 1, Fork.Frontier],
  [0x06, "MOD", 2, 1, Fork.Frontier],
  [0x07, "SMOD", 2, 1, Fork.Frontier],
  [0x08, "ADDMOD", 3, 1, Fork.Frontier],
  [0x09, "MULMOD", 3, 1, Fork.Frontier],
  [0x0a, "EXP", 2, 1, Fork.Frontier],
  [0x0b, "SIGNEXTEND", 2, 1, Fork.Frontier],
  [0x10, "LT", 2, 1, Fork.Frontier],
  [0x11, "GT", 2, 1, Fork.Frontier],
  [0x12, "SLT", 2, 1, Fork.Frontier],
  [0x13, "SGT", 2, 1, Fork.Frontier],
  [0x14, "EQ", 2, 1, Fork.Frontier],
  [0x15, "ISZERO", 1, 1, Fork.Frontier],
  [0x16, "AND", 2, 1, Fork.Frontier],
  [0x17, "OR", 2, 1, Fork.Frontier],
  [0x18, "XOR", 2, 1, Fork.Frontier],
  [0x19, "NOT", 1, 1, Fork.Frontier],
  [0x1a, "BYTE", 2, 1, Fork.Frontier],
  [0x1b, "SHL", 2, 1, Fork.Constantinople],
  [0x1c, "SHR", 2, 1, Fork.Constantinople],
  [0x1d, "SAR", 2, 1, Fork.Constantinople],
  [0x1e, "CLZ", 1, 1, Fork.Osaka],
  [0x20, "KECCAK256", 2, 1, Fork.Frontier],
  [0x30, "ADDRESS", 0, 1, Fork.Frontier],
  [0x31, "BALANCE", 1, 1, Fork.Frontier],
  [0x32, "ORIGIN", 0, 1, Fork.Frontier],
  [0x33, "CALLER", 0, 1, Fork.Frontier],
  [0x34, "CALLVALUE", 0, 1, Fork.Frontier],
  [0x35, "CALLDATALOAD", 1, 1, Fork.Frontier],
  [0x36, "CALLDATASIZE", 0, 1, Fork.Frontier],
  [0x37, "CALLDATACOPY", 3, 0, Fork.Frontier],
  [0x38, "CODESIZE", 0, 1, Fork.Frontier],
  [0x39, "CODECOPY", 3, 0, Fork.Frontier],
  [0x3a, "GASPRICE", 0, 1, Fork.Frontier],
  [0x3b, "EXTCODESIZE", 1, 1, Fork.Frontier],
  [0x3c, "EXTCODECOPY", 4, 0, Fork.Frontier],
  [0x3d, "RETURNDATASIZE", 0, 1, Fork.Byzantium],
  [0x3e, "RETURNDATACOPY", 3, 0, Fork.Byzantium],
  [0x3f, "EXTCODEHASH", 1, 1, Fork.Constantinople],
  [0x40, "BLOCKHASH", 1, 1, Fork.Frontier],
  [0x41, "COINBASE", 0, 1, Fork.Frontier],
  [0x42, "TIMESTAMP", 0, 1, Fork.Frontier],
  [0x43, "NUMBER", 0, 1, Fork.Frontier],
  [0x44, "DIFFICULTY", 0, 1, Fork.Frontier],
  [0x45, "GASLIMIT", 0, 1, Fork.Frontier],
  [0x46, "CHAINID", 0, 1, Fork.Istanbul],
  [0x47, "SELFBALANCE", 0, 1, Fork.Istanbul],
  [0x48, "BASEFEE", 0, 1, Fork.London],
  [0x49, "BLOBHASH", 1, 1, Fork.Cancun],
  [0x4a, "BLOBBASEFEE", 0, 1, Fork.Cancun],
  [0x50, "POP", 1, 0, Fork.Frontier],
  [0x51, "MLOAD", 1, 1, Fork.Frontier],
  [0x52, "MSTORE", 2, 0, Fork.Frontier],
  [0x53, "MSTORE8", 2, 0, Fork.Frontier],
  [0x54, "SLOAD", 1, 1, Fork.Frontier],
  [0x55, "SSTORE", 2, 0, Fork.Frontier],
  [0x56, "JUMP", 1, 0, Fork.Frontier],
  [0x57, "JUMPI", 2, 0, Fork.Frontier],
  [0x58, "PC", 0, 1, Fork.Frontier],
  [0x59, "MSIZE", 0, 1, Fork.Frontier],
  [0x5a, "GAS", 0, 1, Fork.Frontier],
  [0x5b, "JUMPDEST", 0, 0, Fork.Frontier],
  [0x5c, "TLOAD", 1, 1, Fork.Cancun],
  [0x5d, "TSTORE", 2, 0, Fork.Cancun],
  [0x5e, "MCOPY", 3, 0, Fork.Cancun],
  [0x5f, "PUSH0", 0, 1, Fork.Shanghai],
  [0xf0, "CREATE", 3, 1, Fork.Frontier],
  [0xf1, "CALL", 7, 1, Fork.Frontier],
  [0xf2, "CALLCODE", 7, 1, Fork.Frontier],
  [0xf3, "RETURN", 2, 0, Fork.Frontier],
  [0xf4, "DELEGATECALL", 6, 1, Fork.Homestead],
  [0xf5, "CREATE2", 4, 1, Fork.Constantinople],
  [0xfa, "STATICCALL", 6, 1, Fork.Byzantium],
  [0xfd, "REVERT", 2, 0, Fork.Byzantium],
  [0xfe, "INVALID", 0, 0, Fork.Frontier],
  [0xff, "SELFDESTRUCT", 1, 0, Fork.Frontier],
];
for (let i = 1; i <= 32; i++) defs.push([0x5f + i, `PUSH${i}`, 0, 1, Fork.Frontier]);
for (let i = 1; i <= 16; i++) defs.push([0x7f + i, `DUP${i}`, i, i + 1, Fork.Frontier]);
for (let i = 1; i <= 16; i++) defs.push([0x8f + i, `SWAP${i}`, i + 1, i + 1, Fork.Frontier]);
for (let i = 0; i <= 4; i++) defs.push([0xa0 + i, `LOG${i}`, i + 2, 0, Fork.Frontier]);

export const OPCODES: readonly (OpcodeInfo | undefined)[] = (() => {
  const table: (OpcodeInfo | undefined)[] = new Array(256).fill(undefined);
  for (const [code, name, pops, pushes, since] of defs) table[code] = { code, name, pops, pushes, since };
  return table;
})();

/** Mnemonic of an opcode as go-ethereum prints it (`opcode 0xef not defined` otherwise). */
export function opcodeName(op: number): string {
  return OPCODES[op]?.name ?? `opcode 0x${op.toString(16)} not defined`;
}
