import type { NewRow } from '@evalq/db';
import { checkRowObject } from './check-row.js';
import { rowError } from './row-error.js';

/**
 * NDJSON / JSON Lines: one JSON object per line. Blank lines are skipped (they are not
 * rows, but they count as lines in messages). Yields rows in batches.
 */
export async function* ndjsonRows(
  text: AsyncIterable<string>,
  batchSize: number,
): AsyncGenerator<NewRow[]> {
  let carry = '';
  let line = 0;
  let row = 0;
  let batch: NewRow[] = [];

  const take = (raw: string): void => {
    line += 1;
    const trimmed = raw.trim();
    if (trimmed.length === 0) return;
    row += 1;
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (error) {
      throw rowError({ row, line }, undefined, `is not valid JSON (${(error as Error).message})`);
    }
    batch.push(checkRowObject(value, { row, line }));
  };

  for await (const chunk of text) {
    const lines = (carry + chunk).split('\n');
    carry = lines.pop() ?? '';
    for (const raw of lines) take(raw);
    if (batch.length >= batchSize) {
      yield batch;
      batch = [];
    }
  }
  if (carry.length > 0) take(carry);
  if (batch.length > 0) yield batch;
}
