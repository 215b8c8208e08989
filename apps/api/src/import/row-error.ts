import { ValidationError } from '@evalq/core';

/** Where in an upload a problem is. Rows are numbered from 1; a CSV header is not a row. */
export interface RowPosition {
  row: number;
  /** The line the row starts on, for line-based formats (CSV, NDJSON). */
  line?: number;
}

/**
 * A bad row rejects the whole upload (nothing is stored). The message names the row,
 * and the field when one is at fault; details carry both for programs.
 */
export function rowError(
  position: RowPosition,
  field: string | undefined,
  problem: string,
): ValidationError {
  const where = `row ${position.row}${position.line !== undefined ? ` (line ${position.line})` : ''}`;
  const message = `${where}: ${field ? `${field} ` : ''}${problem}; nothing was imported`;
  return new ValidationError(message, [
    {
      path: field ? `row ${position.row}: ${field}` : `row ${position.row}`,
      message: `${field ? `${field} ` : ''}${problem}`,
      ...position,
      ...(field && { field }),
    },
  ]);
}

/** A problem with the upload as a whole (empty, not UTF-8, bad header). */
export function uploadError(problem: string, path = 'body'): ValidationError {
  return new ValidationError(`${problem}; nothing was imported`, [{ path, message: problem }]);
}
