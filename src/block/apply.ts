/**
 * The state transition of one transaction (go-ethereum's state_transition.go): stateful
 * validation, buying gas, EIP-7702 authorizations, access-list warming, execution,
 * refunds, the EIP-7623 floor, fee payment and end-of-transaction cleanup.
 *
 * An invalid transaction throws a TxValidationError and leaves the state as it was.
 */
import type { BlockContext } from "../evm/context.js";
import { delegationCode, parseDelegation } from "../evm/delegation.js";
import { EVM } from "../evm/evm.js";
import { Fork } from "../evm/forks.js";
import { splitGas } from "../evm/frame.js";
import { precompilesFor } from "../evm/precompiles/index.js";
import type { Address } from "../primitives/hex.js";
import { bytesToBigInt } from "../primitives/hex.js";
import type { StateDB } from "../state/statedb.js";
import {
  BalanceChangeReason,
  CallKind,
  CodeChangeReason,
  type Hooks,
  type LogRecord,
  NonceChangeReason,
  type TxEndInfo,
} from "../tracing/hooks.js";
import { recoverAuthority } from "../tx/sender.js";
import { type Transaction, txAccessList, txFeeCap, txTipCap } from "../tx/types.js";
import {
  BlobFeeCapTooLowError,
  FeeCapTooLowError,
  GasLimitExceedsBlockError,
  InsufficientFundsError,
  NonceTooHighError,
  NonceTooLowError,
  SenderNotEOAError,
  TX_GAS_LIMIT_CAP,
  validateTransaction,
} from "../tx/validate.js";
import { GAS_PER_BLOB } from "./blobs.js";

const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";
/** EIP-7702: refund when an authority already exists (PER_EMPTY_ACCOUNT_COST - PER_AUTH_BASE_COST). */
const AUTH_EXISTING_REFUND = 25000 - 12500;

export interface ApplyOptions {
  /** Gas still available in the block. */
  blockGasAvailable: bigint;
  maxBlobsPerBlock?: number;
  maxBlobsPerTx?: number;
  /**
   * Calls onTxEnd before the end-of-transaction cleanup (self-destructed and touched
   * empty accounts still present) and reports nothing after it, as go-ethereum's tracer
   * tests (eth/tracers/internal/tracetest) run a transaction. By default onTxEnd comes
   * after the cleanup, as in go-ethereum's debug_trace* RPC path. The two differ for
   * tracers that read the state at onTxEnd (prestateTracer's diff mode).
   */
  txEndBeforeFinalize?: boolean;
  /**
   * go-ethereum's Message.SkipTransactionChecks (eth_simulateV1): no EIP-7825 gas limit
   * cap and no EIP-3607 check that the sender has no code.
   */
  skipTransactionChecks?: boolean;
  /**
   * go-ethereum's vm.Config.NoBaseFee: a transaction whose fee cap and tip are both zero
   * skips the base-fee check and pays no fees (the BASEFEE opcode still sees the block's).
   */
  noBaseFee?: boolean;
  /**
   * performance.now() time after which execution is abandoned with the EVM's
   * ExecutionAbortedError (eth_call's --rpc.evmtimeout, a trace's timeout); the state is
   * then unusable. Undefined: no deadline.
   */
  deadline?: number | undefined;
}

export interface TxResult {
  success: boolean;
  /** Gas used after refunds (and the EIP-7623 floor): what the receipt shows. */
  gasUsed: bigint;
  /** Gas used before refunds. */
  gasUsedBeforeRefund: bigint;
  returnData: Uint8Array;
  error: string | null;
  logs: LogRecord[];
  contractAddress: Address | null;
  blobGasUsed: bigint;
}

export function effectiveGasPrice(tx: Transaction, baseFee: bigint, fork: Fork): bigint {
  if (tx.type === 0 || tx.type === 1 || fork < Fork.London) return txFeeCap(tx);
  const tip = txTipCap(tx);
  const cap = txFeeCap(tx);
  return tip + baseFee < cap ? tip + baseFee : cap;
}

export function applyTransaction(
  state: StateDB,
  block: BlockContext,
  tx: Transaction,
  sender: Address,
  fork: Fork,
  hooks: Hooks | null,
  opts: ApplyOptions,
): TxResult {
  // Stateless checks (type/fork, chain id, intrinsic gas, blob rules, caps).
  const validateOpts: Parameters<typeof validateTransaction>[2] = { chainId: block.chainId };
  if (opts.maxBlobsPerBlock !== undefined) validateOpts.maxBlobsPerBlock = opts.maxBlobsPerBlock;
  if (opts.maxBlobsPerTx !== undefined) validateOpts.maxBlobsPerTx = opts.maxBlobsPerTx;
  // Stateful pre-checks, in go-ethereum's order.
  const accountNonce = state.getNonce(sender);
  if (accountNonce < tx.nonce) throw new NonceTooHighError(tx.nonce, accountNonce);
  if (accountNonce > tx.nonce) throw new NonceTooLowError(tx.nonce, accountNonce);
  const senderCode = state.getCode(sender);
  if (
    !opts.skipTransactionChecks &&
    senderCode.length > 0 &&
    !(fork >= Fork.Prague && parseDelegation(senderCode) !== null)
  ) {
    throw new SenderNotEOAError(sender);
  }
  const uncapped = opts.skipTransactionChecks && fork >= Fork.Osaka && tx.gasLimit > TX_GAS_LIMIT_CAP;
  const intrinsic = validateTransaction(
    uncapped ? { ...tx, gasLimit: TX_GAS_LIMIT_CAP } : tx,
    fork,
    validateOpts,
  );
  const feeCap = txFeeCap(tx);
  const free = opts.noBaseFee === true && feeCap === 0n && txTipCap(tx) === 0n;
  if (fork >= Fork.London && !free && feeCap < block.baseFee) {
    throw new FeeCapTooLowError(feeCap, block.baseFee);
  }
  const blobHashes = tx.type === 3 ? tx.blobVersionedHashes : [];
  const blobGas = GAS_PER_BLOB * BigInt(blobHashes.length);
  if (tx.type === 3 && tx.maxFeePerBlobGas < block.blobBaseFee) {
    throw new BlobFeeCapTooLowError(tx.maxFeePerBlobGas, block.blobBaseFee);
  }
  // Buy gas.
  const gasPrice = free ? 0n : effectiveGasPrice(tx, block.baseFee, fork);
  let required = tx.gasLimit * feeCap + tx.value;
  if (tx.type === 3) required += blobGas * tx.maxFeePerBlobGas;
  const balance = state.getBalance(sender);
  if (balance < required) throw new InsufficientFundsError(balance, required);
  if (tx.gasLimit > opts.blockGasAvailable)
    throw new GasLimitExceedsBlockError(tx.gasLimit, opts.blockGasAvailable);

  state.beginTransaction();
  state.hooks = hooks;
  const to = tx.to;
  hooks?.onTxStart?.(
    {
      from: sender,
      to,
      value: tx.value,
      input: tx.data,
      gasLimit: tx.gasLimit,
      gasPrice,
      type: tx.type,
      nonce: tx.nonce,
      ...(tx.type === 4 ? { authorizationList: tx.authorizationList } : {}),
    },
    { state, block, fork },
  );
  const upfront = tx.gasLimit * gasPrice + blobGas * block.blobBaseFee;
  state.subBalance(sender, upfront, BalanceChangeReason.GasBuy);

  const evm = new EVM(
    state,
    block,
    { origin: sender, gasPrice, blobHashes: blobHashes.map((h) => bytesToBigInt(h)) },
    fork,
    hooks,
  );
  if (opts.deadline !== undefined) evm.deadline = opts.deadline;

  // Access list (EIP-2929/2930, EIP-3651 warm coinbase).
  if (fork >= Fork.Berlin) {
    state.warmAddress(sender);
    if (to !== null) state.warmAddress(to);
    // The fork's precompiles, even when the block context moved or replaced some (as go-ethereum).
    for (const p of precompilesFor(fork).keys()) state.warmAddress(p);
    for (const entry of txAccessList(tx)) {
      state.warmAddress(entry.address);
      for (const key of entry.storageKeys) state.warmSlot(entry.address, key);
    }
    if (fork >= Fork.Shanghai) state.warmAddress(block.coinbase);
  }

  let gas = tx.gasLimit - intrinsic.gas;
  let result: {
    success: boolean;
    gasLeft: number;
    gasLeftExcess: bigint;
    output: Uint8Array;
    error: string | null;
  };
  let contractAddress: Address | null = null;
  // Gas inside the EVM is a JS number plus, beyond 2^53-1, a bigint excess (Frame.excess).
  const [gasNum, gasExcess] = splitGas(gas);
  if (to === null) {
    const r = evm.create(sender, tx.data, gasNum, tx.value, null, 0, gasExcess);
    result = {
      success: r.error === null,
      gasLeft: r.gasLeft,
      gasLeftExcess: r.gasLeftExcess,
      output: r.output,
      error: r.error,
    };
    if (r.error === null) contractAddress = r.address;
  } else {
    state.setNonce(sender, tx.nonce + 1n, NonceChangeReason.EoaTransaction);
    if (tx.type === 4) applyAuthorizations(state, tx, block.chainId);
    if (fork >= Fork.Prague) {
      const target = parseDelegation(state.getCode(to));
      if (target !== null) state.warmAddress(target);
    }
    result = evm.call(CallKind.CALL, sender, to, to, tx.data, gasNum, tx.value, false, 0, gasExcess);
  }

  // Refunds (EIP-3529 lowered the cap from 1/2 to 1/5 of gas used).
  gas = BigInt(result.gasLeft) + result.gasLeftExcess;
  const usedBeforeRefund = tx.gasLimit - gas;
  const quotient = fork >= Fork.London ? 5n : 2n;
  const refundCap = usedBeforeRefund / quotient;
  const refundCounter = BigInt(state.refund);
  gas += refundCounter < refundCap ? refundCounter : refundCap;
  let gasUsed = tx.gasLimit - gas;
  if (fork >= Fork.Prague && gasUsed < intrinsic.floor) {
    gasUsed = intrinsic.floor;
    gas = tx.gasLimit - gasUsed;
  }
  state.addBalance(sender, gas * gasPrice, BalanceChangeReason.GasReturn);
  const tip = free ? 0n : fork >= Fork.London ? gasPrice - block.baseFee : gasPrice;
  state.addBalance(block.coinbase, gasUsed * tip, BalanceChangeReason.RewardTransactionFee);

  const logs = state.logs;
  const endInfo: TxEndInfo = {
    gasUsed,
    success: result.success,
    returnData: result.output,
    ...(contractAddress !== null ? { contractAddress } : {}),
  };
  if (opts.txEndBeforeFinalize) {
    hooks?.onTxEnd?.(endInfo);
    state.hooks = null;
  }
  state.finalizeTransaction(fork >= Fork.SpuriousDragon);
  const out: TxResult = {
    success: result.success,
    gasUsed,
    gasUsedBeforeRefund: usedBeforeRefund,
    returnData: result.output,
    error: result.error,
    logs,
    contractAddress,
    blobGasUsed: blobGas,
  };
  if (!opts.txEndBeforeFinalize) hooks?.onTxEnd?.(endInfo);
  state.hooks = null;
  return out;
}

/** EIP-7702: applies each valid authorization; invalid ones are skipped, as the EIP says. */
function applyAuthorizations(state: StateDB, tx: Extract<Transaction, { type: 4 }>, chainId: bigint): void {
  for (const auth of tx.authorizationList) {
    if (auth.chainId !== 0n && auth.chainId !== chainId) continue;
    if (auth.nonce >= (1n << 64n) - 1n) continue;
    const authority = recoverAuthority(auth);
    if (authority === null) continue;
    state.warmAddress(authority);
    const code = state.getCode(authority);
    if (code.length !== 0 && parseDelegation(code) === null) continue;
    if (state.getNonce(authority) !== auth.nonce) continue;
    if (state.exists(authority)) state.addRefund(AUTH_EXISTING_REFUND);
    state.setNonce(authority, auth.nonce + 1n, NonceChangeReason.Authorization);
    const next = auth.address === ZERO_ADDRESS ? new Uint8Array(0) : delegationCode(auth.address);
    state.setCode(authority, next, CodeChangeReason.Authorization);
  }
}
