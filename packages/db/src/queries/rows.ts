import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Kysely } from 'kysely';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { NotFoundError } from '@evalq/core';
import type { Database } from '../database.js';
import type { Row } from '../tables/rows.js';

export interface NewRow {
  content: string;
  expected_prediction: string;
  /** The row's variables as the JSON text of an object; none when absent. */
  input?: string;
}

export async function listRows(
  db: Kysely<Database>,
  datasetId: number,
  page: { after?: number; limit: number },
): Promise<Row[]> {
  return db
    .selectFrom('rows')
    .selectAll()
    .where('dataset_id', '=', datasetId)
    .$if(page.after !== undefined, (q) => q.where('row_id', '>', page.after!))
    .orderBy('row_id')
    .limit(page.limit)
    .execute();
}

export interface ImportOptions {
  /** Cap on the whole import, which lasts as long as the upload does. */
  statementTimeout?: string;
}

/**
 * Streams rows into a dataset with COPY, all or nothing: the rows arrive in batches
 * (an async iterable that parses and validates an upload as it is read), are encoded
 * in COPY's text format and written with backpressure, and commit together. If the
 * source throws (a bad row at position 700,000), the COPY is aborted and the
 * transaction rolled back: no row is left behind, and the source's error is rethrown.
 *
 * Takes the pool, not a Kysely handle: COPY needs a raw node-postgres client.
 */
export async function importRows(
  pool: pg.Pool,
  datasetId: number,
  batches: AsyncIterable<NewRow[]>,
  options: ImportOptions = {},
): Promise<number> {
  const client = await pool.connect();
  let clientBroken = false;
  try {
    await client.query('BEGIN');
    await client.query(`SELECT set_config('statement_timeout', $1, true)`, [
      options.statementTimeout ?? '1h',
    ]);
    // KEY SHARE, like a foreign-key check: holds off a concurrent delete of the
    // dataset, but not another import or the row-count trigger's update.
    const found = await client.query('SELECT 1 FROM datasets WHERE dataset_id = $1 FOR KEY SHARE', [
      datasetId,
    ]);
    if (found.rowCount === 0) throw new NotFoundError(`dataset ${datasetId}`);

    const copy = client.query(
      copyFrom('COPY rows (dataset_id, content, expected_prediction, input) FROM STDIN'),
    );
    await pipeline(Readable.from(encodeCopyText(datasetId, batches)), copy);
    await client.query('COMMIT');
    return copy.rowCount;
  } catch (error) {
    try {
      await client.query('ROLLBACK');
    } catch {
      clientBroken = true;
    }
    throw error;
  } finally {
    // A connection that could not even roll back is not handed to anyone else.
    client.release(clientBroken);
  }
}

/** COPY text format: tab-separated, newline-terminated, backslash escapes. */
async function* encodeCopyText(
  datasetId: number,
  batches: AsyncIterable<NewRow[]>,
): AsyncGenerator<string> {
  const prefix = `${datasetId}\t`;
  for await (const batch of batches) {
    let chunk = '';
    for (const row of batch) {
      chunk += `${prefix}${escapeCopyText(row.content)}\t${escapeCopyText(row.expected_prediction)}\t${row.input === undefined ? '{}' : escapeCopyText(row.input)}\n`;
    }
    if (chunk) yield chunk;
  }
}

const NEEDS_ESCAPE = /[\\\t\n\r]/;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

export function escapeCopyText(value: string): string {
  return NEEDS_ESCAPE.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c]!) : value;
}
