import { EvalqError } from '@evalq/core';

export type LocalPostgresErrorCode =
  | 'LOCAL_POSTGRES_UNSUPPORTED'
  | 'LOCAL_POSTGRES_UNREACHABLE_PATH'
  | 'LOCAL_POSTGRES_IN_USE'
  | 'LOCAL_POSTGRES_INIT_FAILED'
  | 'LOCAL_POSTGRES_START_FAILED';

/** The embedded PostgreSQL could not be set up or started; the message says what to do. */
export class LocalPostgresError extends EvalqError {
  declare readonly code: LocalPostgresErrorCode;

  constructor(code: LocalPostgresErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
