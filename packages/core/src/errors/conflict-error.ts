import { EvalqError } from './evalq-error.js';

/** The request is well formed but clashes with the current state (e.g. deleting a dataset with running jobs). */
export class ConflictError extends EvalqError {
  constructor(message: string, options?: { details?: unknown; cause?: unknown }) {
    super('CONFLICT', message, options);
  }
}
