import type { NewRow } from '@evalq/db';
import { checkRowObject } from './check-row.js';
import { rowError, uploadError } from './row-error.js';

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;

const isWhitespace = (code: number) =>
  code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;

type State = 'start' | 'first' | 'element' | 'after' | 'next' | 'end';

/**
 * A JSON array of row objects, read element by element as the text arrives, so an
 * array of a million rows is never held whole. The scanner only finds where each
 * top-level object starts and ends (tracking strings and nesting); JSON.parse checks
 * each object itself.
 */
export async function* jsonArrayRows(
  text: AsyncIterable<string>,
  batchSize: number,
): AsyncGenerator<NewRow[]> {
  let state = 'start' as State;
  let element = '';
  let depth = 0;
  let inString = false;
  let escaped = false;
  let row = 0;
  let batch: NewRow[] = [];

  const unexpected = (what: string): Error =>
    state === 'start'
      ? uploadError('a JSON upload must be an array of row objects: it must start with [')
      : rowError({ row: row + (state === 'after' ? 0 : 1) }, undefined, what);

  for await (const chunk of text) {
    let start = state === 'element' ? 0 : -1;
    for (let i = 0; i < chunk.length; i += 1) {
      const code = chunk.charCodeAt(i);
      if (state === 'element') {
        if (inString) {
          if (escaped) escaped = false;
          else if (code === BACKSLASH) escaped = true;
          else if (code === QUOTE) inString = false;
        } else if (code === QUOTE) inString = true;
        else if (code === OPEN_BRACE || code === OPEN_BRACKET) depth += 1;
        else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
          depth -= 1;
          if (depth === 0) {
            element += chunk.slice(start, i + 1);
            row += 1;
            let value: unknown;
            try {
              value = JSON.parse(element);
            } catch (error) {
              throw rowError({ row }, undefined, `is not valid JSON (${(error as Error).message})`);
            }
            batch.push(checkRowObject(value, { row }));
            element = '';
            start = -1;
            state = 'after';
          }
        }
        continue;
      }
      if (isWhitespace(code)) continue;
      switch (state) {
        case 'start':
          if (code !== OPEN_BRACKET) throw unexpected('');
          state = 'first';
          break;
        case 'first':
        case 'next':
          if (code === CLOSE_BRACKET && state === 'first') state = 'end';
          else if (code === OPEN_BRACE) {
            state = 'element';
            depth = 1;
            start = i;
          } else {
            throw unexpected(
              `must be an object {"content": …, "expected_prediction": …}, found ${JSON.stringify(chunk[i])}`,
            );
          }
          break;
        case 'after':
          if (code === COMMA) state = 'next';
          else if (code === CLOSE_BRACKET) state = 'end';
          else throw unexpected(`is followed by ${JSON.stringify(chunk[i])} instead of , or ]`);
          break;
        case 'end':
          throw uploadError('the JSON array is followed by more text after its closing ]');
      }
    }
    if (state === 'element') element += chunk.slice(start);
    if (batch.length >= batchSize) {
      yield batch;
      batch = [];
    }
  }
  if (state !== 'end') {
    throw state === 'start'
      ? uploadError('the upload is empty: send a JSON array of row objects')
      : uploadError(`the JSON array is cut off after row ${row} (no closing ])`);
  }
  if (batch.length > 0) yield batch;
}
