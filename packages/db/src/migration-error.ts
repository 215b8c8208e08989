import { EvalqError } from '@evalq/core';

export type MigrationErrorCode =
  | 'MIGRATION_EDITED'
  | 'MIGRATION_UNKNOWN'
  | 'MIGRATION_BAD_NAME'
  | 'MIGRATION_FAILED'
  | 'DATABASE_UNREACHABLE';

/** `npm run migrate` could not bring the database up to date; the message says what to do. */
export class MigrationError extends EvalqError {
  declare readonly code: MigrationErrorCode;

  constructor(code: MigrationErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
