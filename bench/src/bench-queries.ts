import pg from 'pg';
import type { JobKey } from '@evalq/core';

/**
 * Every SQL statement of the benchmark: synthetic rows, job state, and the reference
 * tables the trigger path and the import are compared with.
 */

/** `n` synthetic rows for a dataset, in one statement (faster than any upload). */
export async function insertRows(pool: pg.Pool, datasetId: number, n: number): Promise<void> {
  await pool.query(
    `INSERT INTO rows (dataset_id, content, expected_prediction)
     SELECT $1, 'What is ' || g || ' plus ' || (g % 97) || '?', (g + g % 97)::text
       FROM generate_series(1, $2::int) AS g`,
    [datasetId, n],
  );
}

export interface JobState {
  status: string;
  count: number;
  total: number;
  failed: number;
  /** When the last prediction was counted (ms since the epoch), once done. */
  finishedAt: number | null;
}

export async function jobState(pool: pg.Pool, key: JobKey): Promise<JobState> {
  const { rows } = await pool.query<JobState>(
    `SELECT status, coalesce(count, 0) AS count, total, failed,
            extract(epoch FROM finished_at) * 1000 AS "finishedAt"
       FROM modelpromptstatus
      WHERE model_id = $1 AND prompt_id = $2 AND dataset_id = $3`,
    [key.model_id, key.prompt_id, key.dataset_id],
  );
  const state = rows[0];
  if (!state) throw new Error(`job ${JSON.stringify(key)} does not exist`);
  return { ...state, finishedAt: state.finishedAt === null ? null : Number(state.finishedAt) };
}

/** When a job's first and last predictions were stored (ms since the epoch). */
export async function predictionSpan(
  pool: pg.Pool,
  key: JobKey,
): Promise<{ first: number; last: number }> {
  const { rows } = await pool.query<{ first: number; last: number }>(
    `SELECT extract(epoch FROM min(created_at)) * 1000 AS first, extract(epoch FROM max(created_at)) * 1000 AS last
       FROM predictions WHERE model_id = $1 AND prompt_id = $2 AND dataset_id = $3`,
    [key.model_id, key.prompt_id, key.dataset_id],
  );
  return { first: Number(rows[0]!.first), last: Number(rows[0]!.last) };
}

/**
 * When the job's first row was claimed, ms since the epoch: the earliest claim stamp
 * (in_progress_time, UTC, set at the claim; runs are far shorter than a heartbeat).
 */
export async function firstClaimAt(pool: pg.Pool, key: JobKey): Promise<number> {
  const { rows } = await pool.query<{ first: number }>(
    `SELECT extract(epoch FROM min(in_progress_time)) * 1000 AS first
       FROM predictionstatus WHERE model_id = $1 AND prompt_id = $2 AND dataset_id = $3`,
    [key.model_id, key.prompt_id, key.dataset_id],
  );
  return Number(rows[0]!.first);
}

/** Predictions stored for a job, and how many rows have more than one (must be 0). */
export async function predictionCounts(
  pool: pg.Pool,
  key: JobKey,
): Promise<{ predictions: number; duplicated: number }> {
  const { rows } = await pool.query<{ predictions: string; duplicated: string }>(
    `SELECT count(*) AS predictions, count(*) - count(DISTINCT row_id) AS duplicated
       FROM predictions WHERE model_id = $1 AND prompt_id = $2 AND dataset_id = $3`,
    [key.model_id, key.prompt_id, key.dataset_id],
  );
  return { predictions: Number(rows[0]!.predictions), duplicated: Number(rows[0]!.duplicated) };
}

/**
 * T4's references: tables shaped like predictionstatus (columns, defaults, primary key
 * and indexes), one with the same four foreign keys, one bare.
 */
export async function createSeedReferenceTables(pool: pg.Pool): Promise<void> {
  await pool.query(`
    DROP TABLE IF EXISTS bench_seed_with_fks, bench_seed_bare;
    CREATE TABLE bench_seed_with_fks (LIKE predictionstatus INCLUDING ALL);
    ALTER TABLE bench_seed_with_fks
      ADD FOREIGN KEY (row_id) REFERENCES rows (row_id),
      ADD FOREIGN KEY (model_id) REFERENCES models (model_id),
      ADD FOREIGN KEY (prompt_id) REFERENCES prompts (prompt_id),
      ADD FOREIGN KEY (dataset_id) REFERENCES datasets (dataset_id);
    CREATE TABLE bench_seed_bare (LIKE predictionstatus INCLUDING ALL);`);
}

/** The plain `INSERT … SELECT` the seeding trigger is compared with; returns seconds. */
export async function timePlainSeed(
  pool: pg.Pool,
  table: 'bench_seed_with_fks' | 'bench_seed_bare',
  key: JobKey,
): Promise<number> {
  const started = performance.now();
  await pool.query(
    `INSERT INTO ${table} (row_id, model_id, prompt_id, dataset_id, status)
     SELECT r.row_id, $1, $2, $3, 'pending' FROM rows r WHERE r.dataset_id = $3`,
    [key.model_id, key.prompt_id, key.dataset_id],
  );
  return (performance.now() - started) / 1000;
}

/** T5's reference: a table shaped like rows (plus `textColumns`), its dataset_id defaulting to `datasetId`. */
export async function createImportReferenceTable(
  pool: pg.Pool,
  datasetId: number,
  textColumns: readonly string[] = [],
): Promise<void> {
  const extra = textColumns
    .map((name) => `, ADD COLUMN ${pg.escapeIdentifier(name)} text`)
    .join('');
  await pool.query(`
    DROP TABLE IF EXISTS bench_rows_copy;
    CREATE TABLE bench_rows_copy (LIKE rows INCLUDING ALL);
    ALTER TABLE bench_rows_copy
      ALTER COLUMN dataset_id SET DEFAULT ${Number(datasetId)},
      ADD FOREIGN KEY (dataset_id) REFERENCES datasets (dataset_id)${extra};`);
}

/**
 * Predictions for every row of a job that has none yet, as a finished run leaves them
 * (T7's export source), written in one statement.
 */
export async function fillPredictions(pool: pg.Pool, key: JobKey): Promise<void> {
  const client = await pool.connect();
  try {
    // Triggers off for this session only: a million counter updates in one statement
    // would measure nothing T7 is about.
    await client.query('SET session_replication_role = replica');
    await client.query(
      `INSERT INTO predictions (row_id, model_id, prompt_id, dataset_id, prediction, prediction_time, status, formatted_prompt)
     SELECT r.row_id, $1, $2, $3, r.expected_prediction, 0.1, 'success', 'Answer: ' || r.content
       FROM rows r WHERE r.dataset_id = $3
     ON CONFLICT (row_id, model_id, prompt_id) DO NOTHING`,
      [key.model_id, key.prompt_id, key.dataset_id],
    );
  } finally {
    client.release(true);
  }
}

export async function dropReferenceTables(pool: pg.Pool): Promise<void> {
  await pool.query('DROP TABLE IF EXISTS bench_seed_with_fks, bench_seed_bare, bench_rows_copy');
}

export async function serverVersion(pool: pg.Pool): Promise<string> {
  const { rows } = await pool.query<{ server_version: string }>('SHOW server_version');
  return rows[0]!.server_version;
}

/** Transactions committed in this database so far (a proxy for round trips to PostgreSQL). */
export async function committedTransactions(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(
    'SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()',
  );
  return Number(rows[0]!.n);
}

/**
 * A finished job with a graded prediction for every row of its dataset (`passed` per
 * row by `passedWhen`, a SQL condition on `r.row_id`; score 1 or 0), and its counters to
 * match, without running it: the fixture of the regrade and compare scenarios. Written
 * with triggers off, then the job's counters set from what was written.
 */
export async function fillGradedJob(
  pool: pg.Pool,
  key: JobKey,
  passedWhen: string,
): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('SET session_replication_role = replica');
    await client.query(
      `INSERT INTO modelpromptstatus (model_id, prompt_id, dataset_id, status) VALUES ($1, $2, $3, 'done')`,
      [key.model_id, key.prompt_id, key.dataset_id],
    );
    const inserted = await client.query(
      `INSERT INTO predictions (row_id, model_id, prompt_id, dataset_id, prediction, prediction_time,
                                status, passed, score, grading)
       SELECT r.row_id, $1, $2, $3, CASE WHEN ${passedWhen} THEN r.expected_prediction ELSE 'unsure' END,
              0.1, 'success', ${passedWhen}, CASE WHEN ${passedWhen} THEN 1 ELSE 0 END, '[]'
         FROM rows r WHERE r.dataset_id = $3`,
      [key.model_id, key.prompt_id, key.dataset_id],
    );
    await client.query(
      `UPDATE modelpromptstatus j
          SET total = c.n, count = c.n, correct = c.passed, finished_at = now()
         FROM (SELECT count(*)::int AS n, count(*) FILTER (WHERE passed)::int AS passed
                 FROM predictions WHERE model_id = $1 AND prompt_id = $2 AND dataset_id = $3) c
        WHERE j.model_id = $1 AND j.prompt_id = $2 AND j.dataset_id = $3`,
      [key.model_id, key.prompt_id, key.dataset_id],
    );
    return inserted.rowCount ?? 0;
  } finally {
    client.release(true);
  }
}

/** The regrade's reference: a plain UPDATE setting `passed` on the job's predictions; seconds. */
export async function timePlainVerdictUpdate(pool: pg.Pool, key: JobKey): Promise<number> {
  const started = performance.now();
  await pool.query(
    `UPDATE predictions SET passed = NOT passed
      WHERE dataset_id = $3 AND model_id = $1 AND prompt_id = $2 AND status = 'success'`,
    [key.model_id, key.prompt_id, key.dataset_id],
  );
  return (performance.now() - started) / 1000;
}

/** The comparison's reference: one SQL aggregate over the two jobs' pairs; seconds. */
export async function timePairAggregate(pool: pg.Pool, a: JobKey, b: JobKey): Promise<number> {
  const started = performance.now();
  await pool.query(
    `SELECT count(*) FILTER (WHERE pa.passed AND pb.passed) AS both,
            count(*) FILTER (WHERE pa.passed AND NOT pb.passed) AS a_only,
            count(*) FILTER (WHERE NOT pa.passed AND pb.passed) AS b_only,
            avg(pa.score - pb.score) AS diff
       FROM predictions pa
       JOIN predictions pb ON pb.dataset_id = $1 AND pb.model_id = $4 AND pb.prompt_id = $5
                          AND pb.row_id = pa.row_id
      WHERE pa.dataset_id = $1 AND pa.model_id = $2 AND pa.prompt_id = $3
        AND pa.status = 'success' AND pa.passed IS NOT NULL
        AND pb.status = 'success' AND pb.passed IS NOT NULL`,
    [a.dataset_id, a.model_id, a.prompt_id, b.model_id, b.prompt_id],
  );
  return (performance.now() - started) / 1000;
}
