/** Control flow and halting: STOP, JUMP, JUMPI, PC, GAS, JUMPDEST, RETURN, REVERT, INVALID. */
import { type Frame, REVERTED, STOPPED } from "../frame.js";
import { opcodeName } from "../opcodes.js";
import { memoryGas } from "./common.js";

export function opStop(f: Frame): void {
  f.status = STOPPED;
}

export function opJump(f: Frame): void {
  const dest = f.stack[--f.sp]!;
  if (dest >= BigInt(f.code.length) || f.jumpdests[Number(dest)] !== 1) {
    f.fail("invalid jump destination");
    return;
  }
  f.pc = Number(dest);
}

export function opJumpi(f: Frame): void {
  const s = f.stack;
  const sp = (f.sp -= 2);
  if (s[sp] === 0n) return;
  const dest = s[sp + 1]!;
  if (dest >= BigInt(f.code.length) || f.jumpdests[Number(dest)] !== 1) {
    f.fail("invalid jump destination");
    return;
  }
  f.pc = Number(dest);
}

export function opPc(f: Frame): void {
  f.stack[f.sp++] = BigInt(f.pc - 1);
}

export function opGas(f: Frame): void {
  f.stack[f.sp++] = f.excess === 0n ? BigInt(f.gas) : BigInt(f.gas) + f.excess;
}

export function opJumpdest(_f: Frame): void {}

export function returnGas(f: Frame): number {
  return memoryGas(f, f.stack[f.sp - 1]!, f.stack[f.sp - 2]!);
}

function takeOutput(f: Frame): void {
  const s = f.stack;
  const sp = (f.sp -= 2);
  const size = Number(s[sp]!);
  const off = size === 0 ? 0 : Number(s[sp + 1]!);
  f.expand(off, size);
  f.output = f.readMemory(off, size);
}

export function opReturn(f: Frame): void {
  takeOutput(f);
  f.status = STOPPED;
}

export function opRevert(f: Frame): void {
  takeOutput(f);
  f.status = REVERTED;
  f.error = "execution reverted";
}

/** Any opcode not defined in the fork, and the designated INVALID (0xfe). */
export function opInvalid(f: Frame): void {
  f.fail(`invalid opcode: ${opcodeName(f.code[f.pc - 1] ?? 0)}`);
}
