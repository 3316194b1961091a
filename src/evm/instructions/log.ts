/** LOG0–LOG4: 375 + 375 per topic + 8 per byte + memory. */
import type { Frame } from "../frame.js";
import { G } from "../gas.js";
import { memoryGas, UNPAYABLE } from "./common.js";

export function makeLogGas(topics: number): (f: Frame) => number {
  return (f: Frame) => {
    const size = f.stack[f.sp - 2]!;
    const mem = memoryGas(f, f.stack[f.sp - 1]!, size);
    if (mem >= UNPAYABLE) return mem;
    return mem + G.LOG_TOPIC * topics + G.LOG_DATA * Number(size);
  };
}

export function makeLog(topics: number): (f: Frame) => void {
  return (f: Frame) => {
    if (f.isStatic) {
      f.fail("write protection");
      return;
    }
    const s = f.stack;
    const sp = (f.sp -= 2 + topics);
    const off = Number(s[sp + topics + 1]!);
    const size = Number(s[sp + topics]!);
    f.expand(off, size);
    const list: bigint[] = new Array(topics);
    for (let i = 0; i < topics; i++) list[i] = s[sp + topics - 1 - i]!;
    f.evm.state.addLog({ address: f.address, topics: list, data: f.readMemory(size === 0 ? 0 : off, size) });
  };
}
