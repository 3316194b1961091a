/**
 * The precompile contract. A precompile is a pure function of its input and the gas
 * it was given; halts are values, not exceptions.
 */
export interface PrecompileResult {
  /** Gas consumed. On any failure it equals the gas given (all of it is consumed). */
  gasUsed: number;
  output: Uint8Array;
  /** Set when the call fails: "out of gas" or go-ethereum's text for the failure. */
  error?: string;
}

export type Precompile = (input: Uint8Array, gas: number) => PrecompileResult;
