import { EvalqError } from './evalq-error.js';

export interface FieldProblem {
  /** Where the problem is, e.g. `config.max_retries` or `row 17: expected_prediction`. */
  path: string;
  message: string;
}

/** Input from a user (a request body, a file, a CLI argument) is not acceptable. */
export class ValidationError extends EvalqError {
  declare readonly details: FieldProblem[];

  constructor(message: string, problems: FieldProblem[] = [], options?: { cause?: unknown }) {
    super('VALIDATION_FAILED', message, { details: problems, cause: options?.cause });
  }
}
