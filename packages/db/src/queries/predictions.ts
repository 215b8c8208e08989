import type { Readable } from 'node:stream';
import { sql, type Expression, type Kysely, type SqlBool } from 'kysely';
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { Database } from '../database.js';
import type { PredictionOutcome } from '../tables/predictions.js';

export interface PredictionFilter {
  dataset_id?: number;
  model_id?: number;
  prompt_id?: number;
  status?: PredictionOutcome;
  /** The verdict: true, false, or null for ungraded successful predictions. */
  passed?: boolean | null;
}

/** Where a page ends: predictions are ordered by (dataset, model, prompt, row). */
export interface PredictionCursor {
  dataset_id: number;
  model_id: number;
  prompt_id: number;
  row_id: number;
}

/** A prediction with its row's content and gold label, and its verdict. */
export interface PredictionRecord {
  prediction_id: number;
  dataset_id: number;
  model_id: number;
  prompt_id: number;
  row_id: number;
  content: string | null;
  expected_prediction: string | null;
  prediction: string;
  /** The verdict (docs/grading.md); null when the call failed or the prediction is ungraded. */
  passed: boolean | null;
  /** Alias of `passed`, kept for clients of the first API version. */
  correct: boolean | null;
  /** Weighted mean of the assertion scores; null with `passed`. */
  score: number | null;
  /** Each assertion's result; null when the call failed. */
  grading: unknown;
  status: PredictionOutcome;
  error: string | null;
  prediction_time: number;
  attempts: number;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  formatted_prompt: string | null;
  created_at: Date;
}

/** Predictions with their rows' content and gold label, as the API lists them. */
function selectPredictions(db: Kysely<Database>) {
  return db
    .selectFrom('predictions as p')
    .leftJoin('rows as r', 'r.row_id', 'p.row_id')
    .select([
      'p.prediction_id',
      sql<number>`p.dataset_id`.as('dataset_id'),
      sql<number>`p.model_id`.as('model_id'),
      sql<number>`p.prompt_id`.as('prompt_id'),
      sql<number>`p.row_id`.as('row_id'),
      'r.content',
      'r.expected_prediction',
      'p.prediction',
      'p.passed',
      sql<boolean | null>`p.passed`.as('correct'),
      'p.score',
      'p.grading',
      'p.status',
      'p.error',
      'p.prediction_time',
      'p.attempts',
      'p.prompt_tokens',
      'p.completion_tokens',
      'p.formatted_prompt',
      'p.created_at',
    ])
    .where('p.dataset_id', 'is not', null)
    .where('p.model_id', 'is not', null)
    .where('p.prompt_id', 'is not', null)
    .where('p.row_id', 'is not', null);
}

/** One prediction by its id (its grading, the prompt sent, its row), or undefined. */
export function getPrediction(
  db: Kysely<Database>,
  predictionId: number,
): Promise<PredictionRecord | undefined> {
  return selectPredictions(db).where('p.prediction_id', '=', predictionId).executeTakeFirst();
}

/**
 * One page of predictions, keyset-paginated in (dataset, model, prompt, row) order,
 * which is the order of predictions_job_idx: a page costs the same at row 10 and at
 * row 900,000, and a filter on a job (or a dataset) reads only its part of the index.
 */
export async function listPredictions(
  db: Kysely<Database>,
  filter: PredictionFilter,
  page: { after?: PredictionCursor; limit: number },
): Promise<PredictionRecord[]> {
  const after = page.after;
  return selectPredictions(db)
    .$if(filter.dataset_id !== undefined, (q) => q.where('p.dataset_id', '=', filter.dataset_id!))
    .$if(filter.model_id !== undefined, (q) => q.where('p.model_id', '=', filter.model_id!))
    .$if(filter.prompt_id !== undefined, (q) => q.where('p.prompt_id', '=', filter.prompt_id!))
    .$if(filter.status !== undefined, (q) => q.where('p.status', '=', filter.status!))
    .$if(filter.passed !== undefined, (q) =>
      filter.passed === null
        ? q.where('p.status', '=', 'success').where('p.passed', 'is', null)
        : q.where('p.passed', '=', filter.passed!),
    )
    .$if(after !== undefined, (q) => q.where(keysetAfter(filter, after!)))
    .orderBy('p.dataset_id')
    .orderBy('p.model_id')
    .orderBy('p.prompt_id')
    .orderBy('p.row_id')
    .limit(page.limit)
    .execute();
}

const ORDER = ['dataset_id', 'model_id', 'prompt_id', 'row_id'] as const;

/**
 * "After the cursor" in index order. The columns a filter fixes from the left are left
 * out of the row comparison: PostgreSQL (15) starts an index scan from `dataset_id = 3`
 * and ignores a row comparison over all four columns, which made every page of an
 * export re-read the pages before it; comparing only the free columns starts the scan
 * right at the cursor.
 */
function keysetAfter(filter: PredictionFilter, after: PredictionCursor): Expression<SqlBool> {
  let fixed = 0;
  while (fixed < ORDER.length - 1 && filter[ORDER[fixed] as keyof PredictionFilter] !== undefined) {
    fixed += 1;
  }
  const free = ORDER.slice(fixed);
  const columns = sql.join(free.map((column) => sql.ref(`p.${column}`)));
  const values = sql.join(free.map((column) => after[column]));
  return sql<SqlBool>`(${columns}) > (${values})`;
}

export function predictionCursor(record: PredictionRecord): PredictionCursor {
  return {
    dataset_id: record.dataset_id,
    model_id: record.model_id,
    prompt_id: record.prompt_id,
    row_id: record.row_id,
  };
}

export type PredictionExportFormat = 'csv' | 'jsonl';

/** Export columns, in order (CSV header and JSONL keys). */
export const PREDICTION_EXPORT_COLUMNS = [
  'prediction_id',
  'dataset_id',
  'model_id',
  'prompt_id',
  'row_id',
  'content',
  'expected_prediction',
  'prediction',
  'passed',
  'correct',
  'score',
  'grading',
  'status',
  'error',
  'prediction_time',
  'attempts',
  'prompt_tokens',
  'completion_tokens',
  'formatted_prompt',
  'created_at',
] as const satisfies readonly (keyof PredictionRecord)[];

/** Each export column as SQL; booleans and timestamps spelled as the JSON API spells them. */
const EXPORT_EXPRESSIONS: Record<(typeof PREDICTION_EXPORT_COLUMNS)[number], string> = {
  prediction_id: 'p.prediction_id',
  dataset_id: 'p.dataset_id',
  model_id: 'p.model_id',
  prompt_id: 'p.prompt_id',
  row_id: 'p.row_id',
  content: 'r.content',
  expected_prediction: 'r.expected_prediction',
  prediction: 'p.prediction',
  passed: 'p.passed',
  correct: 'p.passed',
  score: 'p.score',
  grading: 'p.grading',
  status: 'p.status',
  error: 'p.error',
  prediction_time: 'p.prediction_time',
  attempts: 'p.attempts',
  prompt_tokens: 'p.prompt_tokens',
  completion_tokens: 'p.completion_tokens',
  formatted_prompt: 'p.formatted_prompt',
  created_at: `to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
};

/**
 * COPY takes no bind parameters, so the filter's values are written into the statement.
 * They are only ever integers and one of two status words, checked here, never text
 * from a request.
 */
function integerLiteral(value: number): string {
  if (!Number.isSafeInteger(value)) throw new TypeError(`not an integer id: ${String(value)}`);
  return String(value);
}
const STATUS_LITERALS: Record<PredictionOutcome, string> = {
  success: "'success'",
  failed: "'failed'",
};

function exportQuery(filter: PredictionFilter, format: PredictionExportFormat): string {
  const where = [
    'p.dataset_id IS NOT NULL',
    'p.model_id IS NOT NULL',
    'p.prompt_id IS NOT NULL',
    'p.row_id IS NOT NULL',
  ];
  if (filter.dataset_id !== undefined)
    where.push(`p.dataset_id = ${integerLiteral(filter.dataset_id)}`);
  if (filter.model_id !== undefined) where.push(`p.model_id = ${integerLiteral(filter.model_id)}`);
  if (filter.prompt_id !== undefined)
    where.push(`p.prompt_id = ${integerLiteral(filter.prompt_id)}`);
  if (filter.status !== undefined) where.push(`p.status = ${STATUS_LITERALS[filter.status]}`);
  if (filter.passed === null) where.push(`p.status = 'success' AND p.passed IS NULL`);
  else if (filter.passed !== undefined)
    where.push(`p.passed = ${filter.passed ? 'true' : 'false'}`);
  const columns =
    format === 'csv'
      ? PREDICTION_EXPORT_COLUMNS.map((column) => {
          const expression = EXPORT_EXPRESSIONS[column];
          // COPY writes booleans as t/f; the API says true/false.
          return column === 'correct' || column === 'passed'
            ? `CASE (${expression}) WHEN true THEN 'true' WHEN false THEN 'false' END AS ${column}`
            : `${expression} AS ${column}`;
        }).join(', ')
      : `json_build_object(${PREDICTION_EXPORT_COLUMNS.map((column) => `'${column}', ${EXPORT_EXPRESSIONS[column]}`).join(', ')})`;
  const select = `SELECT ${columns}
      FROM predictions p LEFT JOIN rows r ON r.row_id = p.row_id
     WHERE ${where.join(' AND ')}
     ORDER BY p.dataset_id, p.model_id, p.prompt_id, p.row_id`;
  // JSONL: CSV mode with a quote and delimiter that JSON text never contains raw (it
  // escapes control characters), so each line is exactly one JSON object, unquoted.
  return format === 'csv'
    ? `COPY (${select}) TO STDOUT WITH (FORMAT csv, HEADER true)`
    : `COPY (${select}) TO STDOUT WITH (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')`;
}

export interface PredictionExport {
  /** The export's bytes (CSV with a header row, or JSON Lines), as PostgreSQL writes them. */
  stream: Readable;
}

/**
 * Every matching prediction as CSV or JSONL, written by PostgreSQL (COPY … TO STDOUT)
 * and streamed with backpressure: the bytes pass through untouched, so memory stays
 * flat for a million predictions, and one read-only snapshot makes the export
 * consistent even while workers add predictions. The connection is held for the
 * download and released (or, if the download is abandoned, closed) at its end.
 */
export async function exportPredictions(
  pool: pg.Pool,
  filter: PredictionFilter,
  format: PredictionExportFormat,
  options: { statementTimeout?: string } = {},
): Promise<PredictionExport> {
  const text = exportQuery(filter, format);
  const client = await pool.connect();
  try {
    await client.query('BEGIN READ ONLY');
    await client.query(`SELECT set_config('statement_timeout', $1, true)`, [
      options.statementTimeout ?? '1h',
    ]);
  } catch (error) {
    client.release(true);
    throw error;
  }
  const stream = client.query(copyTo(text));
  let released = false;
  const release = (broken: boolean) => {
    if (released) return;
    released = true;
    if (broken) {
      // Mid-COPY the connection cannot be reused: closing it ends the query too.
      client.release(true);
      return;
    }
    client.query('COMMIT').then(
      () => client.release(),
      () => client.release(true),
    );
  };
  stream.once('end', () => release(false));
  stream.once('error', () => release(true));
  stream.once('close', () => release(!stream.readableEnded));
  return { stream };
}
