import { EvalqError } from './evalq-error.js';

/** The named thing (dataset, model, prompt, job) does not exist. */
export class NotFoundError extends EvalqError {
  constructor(what: string, options?: { details?: unknown }) {
    super('NOT_FOUND', `${what} was not found`, options);
  }
}
