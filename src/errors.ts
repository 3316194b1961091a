/**
 * Base class for Sonde's library errors: a short message, optional details and a cause
 * chain (the shape of viem's `BaseError`). Command-line code prints `message` (and
 * `details` when present) and never a stack trace for these.
 */
export class SondeError extends Error {
  override name = "SondeError";
  readonly details: string | undefined;

  constructor(message: string, options: { details?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.details = options.details;
  }
}

/** Input that could not be parsed: a hex string, a number, a JSON file, an option. */
export class InvalidInputError extends SondeError {
  override name = "InvalidInputError";
}
