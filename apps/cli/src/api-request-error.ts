import { EvalqError } from '@evalq/core';

/** A call to the API failed; the message says what to do about it. */
export class ApiRequestError extends EvalqError {
  readonly status: number | undefined;

  constructor(
    message: string,
    options: { status?: number; code?: string; details?: unknown; cause?: unknown } = {},
  ) {
    super(options.code ?? 'API_REQUEST_FAILED', message, {
      details: options.details,
      cause: options.cause,
    });
    this.status = options.status;
  }
}
