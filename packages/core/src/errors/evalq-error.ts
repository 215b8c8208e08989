/**
 * The base of every error evalq raises on purpose. `code` is stable: callers branch on it
 * (or on `instanceof`), never on the message text, which is written for a person.
 */
export class EvalqError extends Error {
  readonly code: string;
  readonly details: unknown;

  constructor(code: string, message: string, options?: { details?: unknown; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options?.details;
  }
}
