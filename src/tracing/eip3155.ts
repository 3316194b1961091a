/**
 * EIP-3155 JSON-lines tracer, in the form go-ethereum's `evm --json` writes: one object
 * per step (pc, op, gas, gasCost, memSize, stack, depth, refund, opName, error), and a
 * summary line {output, gasUsed, error} at the end of the transaction.
 */
import { opcodeName } from "../evm/opcodes.js";
import { bytesToHexRaw } from "../primitives/hex.js";
import type { Hooks, StepScope } from "./hooks.js";

export interface Eip3155Options {
  disableStack?: boolean;
  enableMemory?: boolean;
  enableReturnData?: boolean;
}

const hex = (n: number | bigint) => `0x${n.toString(16)}`;

export function eip3155Hooks(write: (line: string) => void, opts: Eip3155Options = {}): Hooks {
  let txDone = false;
  return {
    onTxStart() {
      txDone = false;
    },
    onOpcode(
      pc: number,
      op: number,
      gas: number,
      cost: number,
      scope: StepScope,
      depth: number,
      error: string | null,
    ) {
      let line = `{"pc":${pc},"op":${op},"gas":"${hex(gas)}","gasCost":"${hex(cost)}"`;
      if (opts.enableMemory && scope.memorySize > 0) {
        line += `,"memory":"0x${bytesToHexRaw(scope.memory.subarray(0, scope.memorySize))}"`;
      }
      line += `,"memSize":${scope.memorySize}`;
      if (!opts.disableStack) {
        line += ',"stack":[';
        for (let i = 0; i < scope.stackSize; i++) line += `${i === 0 ? "" : ","}"${hex(scope.stack[i]!)}"`;
        line += "]";
      }
      if (opts.enableReturnData && scope.returnData.length > 0) {
        line += `,"returnData":"0x${bytesToHexRaw(scope.returnData)}"`;
      }
      line += `,"depth":${depth},"refund":${scope.refund},"opName":"${opcodeName(op)}"`;
      if (error !== null) line += `,"error":${JSON.stringify(error)}`;
      write(`${line}}`);
    },
    onTxEnd(r) {
      if (txDone) return;
      txDone = true;
      const err = r.invalid ? r.invalid.message : undefined;
      const out: Record<string, string> = { output: bytesToHexRaw(r.returnData), gasUsed: hex(r.gasUsed) };
      if (err !== undefined) out.error = err;
      write(JSON.stringify(out));
    },
  };
}
