import type { NewRow } from '@evalq/db';
import { rowError, type RowPosition } from './row-error.js';

export const ROW_FIELDS = ['content', 'expected_prediction'] as const;

/** Longest content and gold label accepted: far above any prompt, far below PostgreSQL's 1 GB. */
export const MAX_FIELD_CHARS = { content: 1_000_000, expected_prediction: 10_000 } as const;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** One field of a row: a non-empty string PostgreSQL can store as it is. */
export function checkField(
  value: unknown,
  field: (typeof ROW_FIELDS)[number],
  position: RowPosition,
): string {
  if (value === undefined) throw rowError(position, field, 'is missing');
  if (typeof value !== 'string') {
    throw rowError(position, field, `must be a string, got ${describeType(value)}`);
  }
  if (value.length === 0) throw rowError(position, field, 'must not be empty');
  if (value.length > MAX_FIELD_CHARS[field]) {
    throw rowError(position, field, `must be at most ${MAX_FIELD_CHARS[field]} characters`);
  }
  if (value.includes('\u0000')) throw rowError(position, field, 'must not contain NUL (\\u0000)');
  if (LONE_SURROGATE.test(value)) {
    throw rowError(position, field, 'must be valid Unicode (it has an unpaired surrogate)');
  }
  return value;
}

/** A row given as a JSON value: an object with exactly content and expected_prediction. */
export function checkRowObject(value: unknown, position: RowPosition): NewRow {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw rowError(
      position,
      undefined,
      `must be an object {"content": …, "expected_prediction": …}, got ${describeType(value)}`,
    );
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!(ROW_FIELDS as readonly string[]).includes(key)) {
      throw rowError(
        position,
        key,
        'is not a row field (a row has content and expected_prediction)',
      );
    }
  }
  return {
    content: checkField(record.content, 'content', position),
    expected_prediction: checkField(record.expected_prediction, 'expected_prediction', position),
  };
}
