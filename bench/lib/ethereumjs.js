/**
 * The @ethereumjs/evm side of the benchmarks: the code is deployed at an address on a
 * fresh SimpleStateManager and called with `runCall`, as Sonde's `executeCall` does
 * (same sender and receiver addresses, same gas, same fork, sender, receiver and
 * precompiles warm as in a transaction).
 */
import { Common, Hardfork, Mainnet } from "@ethereumjs/common";
import { createEVM, getActivePrecompiles } from "@ethereumjs/evm";
import { SimpleStateManager } from "@ethereumjs/statemanager";
import { Account, createAddressFromString } from "@ethereumjs/util";

/**
 * "sender" and "receiver" in ASCII as 20-byte addresses, as go-ethereum's runtime uses.
 * Both sides are given these explicitly (Sonde's executeCall takes `sender`/`receiver`).
 */
export const SENDER = `0x${"73656e646572".padStart(40, "0")}`;
export const RECEIVER = `0x${"7265636569766572".padStart(40, "0")}`;

/** Fork names as both sides spell them: Sonde's Fork number and ethereumjs's Hardfork. */
export const FORKS = {
  cancun: { sonde: 12, ethereumjs: Hardfork.Cancun },
  prague: { sonde: 13, ethereumjs: Hardfork.Prague },
  osaka: { sonde: 14, ethereumjs: Hardfork.Osaka },
};

const senderAddress = createAddressFromString(SENDER);
const receiverAddress = createAddressFromString(RECEIVER);

/**
 * Builds a fresh EVM with the code deployed; returns a function that runs the call once.
 * Setup is separate so that a timed run measures `runCall` alone.
 *
 * @param {{ code: Uint8Array, input: Uint8Array, gas: bigint, fork: keyof typeof FORKS,
 *           onStep?: (step: unknown) => void }} opts
 */
export async function prepareEthereumjs(opts) {
  const common = new Common({ chain: Mainnet, hardfork: FORKS[opts.fork].ethereumjs });
  const stateManager = new SimpleStateManager({ common });
  await stateManager.putAccount(receiverAddress, new Account());
  await stateManager.putCode(receiverAddress, opts.code);
  const evm = await createEVM({ common, stateManager });
  // runCall warms nothing by itself; a transaction warms its sender, its receiver and
  // the precompiles (EIP-2929), which is what Sonde's executeCall does.
  evm.journal.addAlwaysWarmAddress(SENDER.slice(2));
  evm.journal.addAlwaysWarmAddress(RECEIVER.slice(2));
  for (const p of getActivePrecompiles(common).keys()) evm.journal.addAlwaysWarmAddress(p);
  if (opts.onStep)
    evm.events.on("step", (step, next) => {
      opts.onStep(step);
      next?.();
    });
  return () =>
    evm.runCall({
      caller: senderAddress,
      origin: senderAddress,
      to: receiverAddress,
      data: opts.input,
      gasLimit: opts.gas,
      value: 0n,
    });
}

/** Runs the call once on fresh state; returns gas used, return data and error (null on success). */
export async function runEthereumjs(opts) {
  const run = await prepareEthereumjs(opts);
  const r = await run();
  const e = r.execResult;
  return {
    gasUsed: e.executionGasUsed,
    returnData: e.returnValue,
    error: e.exceptionError ? String(e.exceptionError.error ?? e.exceptionError) : null,
  };
}
