import { ValidationError } from '@evalq/core';

/**
 * Page cursors are opaque to clients: base64url of the keyset values where the last
 * page ended. Decoding checks the shape, so a mangled cursor is a 400, not a 500.
 */
export function encodeCursor(values: number[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

export function decodeCursor(cursor: string, length: number): number[] {
  let values: unknown;
  try {
    values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    values = undefined;
  }
  if (
    !Array.isArray(values) ||
    values.length !== length ||
    !values.every((v) => Number.isInteger(v) && v >= 0 && v <= 2_147_483_647)
  ) {
    throw new ValidationError(
      'querystring.cursor: not a cursor this API issued; pass next_cursor from the previous page unchanged',
      [{ path: 'querystring.cursor', message: 'not a cursor this API issued' }],
    );
  }
  return values as number[];
}

/**
 * A page from a query that asked for `limit + 1` rows: the extra row only says whether
 * another page exists, so the last page never ends with a cursor to an empty page.
 */
export function toPage<T, U>(
  rows: T[],
  limit: number,
  keyOf: (row: T) => number[],
  present: (row: T) => U,
): { items: U[]; next_cursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return {
    items: items.map(present),
    next_cursor: rows.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null,
  };
}
