import type { NewRow } from '@evalq/db';
import { rowError, type RowPosition } from './row-error.js';

export const ROW_FIELDS = ['content', 'expected_prediction', 'input'] as const;

/** Longest content and gold label accepted: far above any prompt, far below PostgreSQL's 1 GB. */
export const MAX_FIELD_CHARS = { content: 1_000_000, expected_prediction: 10_000 } as const;

/** Longest input, as JSON text. */
export const MAX_INPUT_CHARS = 1_000_000;

const SURROGATE = /[\uD800-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** In JSON text: an escaped NUL, or an escaped surrogate (JSON.stringify escapes only lone ones). */
const UNSTORABLE_ESCAPE = /(?<!\\)(?:\\\\)*\\u(?:0000|d[89a-f][0-9a-f]{2})/i;

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Why PostgreSQL could not store this text as it is, or undefined when it can. */
export function unstorable(value: string): string | undefined {
  if (value.includes('\u0000')) return 'must not contain NUL (\\u0000)';
  if (SURROGATE.test(value) && LONE_SURROGATE.test(value)) {
    return 'must be valid Unicode (it has an unpaired surrogate)';
  }
  return undefined;
}

/** One field of a row: a non-empty string PostgreSQL can store as it is. */
export function checkField(
  value: unknown,
  field: 'content' | 'expected_prediction',
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
  const problem = unstorable(value);
  if (problem) throw rowError(position, field, problem);
  return value;
}

/** A row's input as JSON text, no longer than the limit. */
export function checkInputLength(json: string, position: RowPosition): string {
  if (json.length > MAX_INPUT_CHARS) {
    throw rowError(position, 'input', `must be at most ${MAX_INPUT_CHARS} characters as JSON`);
  }
  return json;
}

/** A row's input as JSON text: the JSON text of an object PostgreSQL's jsonb can hold. */
export function checkInputJson(json: string, position: RowPosition): string {
  checkInputLength(json, position);
  if (UNSTORABLE_ESCAPE.test(json)) {
    throw rowError(
      position,
      'input',
      'must not contain NUL (\\u0000) or unpaired surrogates in its keys or values',
    );
  }
  return json;
}

/**
 * A row given as a JSON value: content, expected_prediction and an optional input
 * object. A row without content gets the JSON text of its input as content.
 */
export function checkRowObject(value: unknown, position: RowPosition): NewRow {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw rowError(
      position,
      undefined,
      `must be an object {"content": …, "expected_prediction": …, "input"?: {…}}, got ${describeType(value)}`,
    );
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!(ROW_FIELDS as readonly string[]).includes(key)) {
      throw rowError(
        position,
        key,
        'is not a row field (a row has content, expected_prediction and input)',
      );
    }
  }
  if (record.input === undefined) {
    return {
      content: checkField(record.content, 'content', position),
      expected_prediction: checkField(record.expected_prediction, 'expected_prediction', position),
    };
  }
  const input = record.input;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw rowError(position, 'input', `must be an object of variables, got ${describeType(input)}`);
  }
  const json = checkInputJson(JSON.stringify(input), position);
  return {
    content: record.content === undefined ? json : checkField(record.content, 'content', position),
    expected_prediction: checkField(record.expected_prediction, 'expected_prediction', position),
    input: json,
  };
}
