import { sql, type Kysely } from 'kysely';
import type { JobKey } from '@evalq/core';
import type { Database } from '../database.js';
import type { JobGrading } from './worker-jobs.js';

/**
 * The regrade protocol (docs/grading.md, "Regrade"): workers give every successful
 * prediction graded under an older `grading_version` a verdict under the job's current
 * one. The verdicts are stored by one UPDATE per batch, and the counting trigger moves
 * the job's counters in that same statement, so they match the verdicts at every
 * moment, whatever happens to the worker.
 */

export interface RegradingJob extends JobGrading {
  regrade_remaining: number;
}

/** Jobs with predictions left to regrade, least recently changed first. */
export async function listRegradingJobs(
  db: Kysely<Database>,
  limit = 100,
): Promise<RegradingJob[]> {
  const result = await sql<RegradingJob>`
    SELECT model_id, prompt_id, dataset_id, assertions, threshold, grading_version, regrade_remaining
      FROM modelpromptstatus
     WHERE regrade_remaining > 0
     ORDER BY updated_at
     LIMIT ${limit}`.execute(db);
  return result.rows;
}

/** A prediction to regrade, with what grading needs. */
export interface StalePrediction {
  prediction_id: number;
  row_id: number;
  prediction: string;
  prediction_time: number;
  content: string;
  expected_prediction: string;
}

export interface RegradeScan {
  job: JobKey;
  /** The job's grading_version the new verdicts are made under. */
  version: number;
  /** Rows after this row_id (a worker's pass through the job, in row order). */
  afterRowId: number;
  limit: number;
  /**
   * Predictions stored without a dataset_id (plain SQL may store them), found through
   * their rows instead of the job's index range.
   */
  withoutDataset?: boolean;
}

/** The next stale predictions of a scan, locked (`SKIP LOCKED`: workers share a job). */
function staleOf(scan: RegradeScan, leaseFree: boolean, columns: ReturnType<typeof sql>) {
  const { job, version, afterRowId } = scan;
  const owner = scan.withoutDataset
    ? sql`p.dataset_id IS NULL AND r.dataset_id = ${job.dataset_id}`
    : sql`p.dataset_id = ${job.dataset_id}`;
  return sql`
    SELECT ${columns}
      FROM predictions p JOIN rows r ON r.row_id = p.row_id
     WHERE ${owner} AND p.model_id = ${job.model_id} AND p.prompt_id = ${job.prompt_id}
       AND p.row_id > ${afterRowId} AND p.status = 'success' AND p.grading_version < ${version}
       -- Also on rows, so that both sides of the join start at the scan's position.
       AND r.row_id > ${afterRowId}
       ${leaseFree ? sql`AND (p.regrade_lease_until IS NULL OR p.regrade_lease_until < now())` : sql``}
     ORDER BY p.row_id
     LIMIT ${scan.limit}
       FOR UPDATE OF p SKIP LOCKED`;
}

const STALE_COLUMNS = sql`p.prediction_id, p.row_id, p.prediction, p.prediction_time, r.content, r.expected_prediction`;

export interface NewVerdict {
  prediction_id: number;
  passed: boolean | null;
  score: number | null;
  /** JSON text of the assertions' results. */
  grading: string;
  /** What this regrade's judge calls cost: added to what the prediction's judges cost before. */
  judge_cost_usd?: number | null;
  judge_tokens?: number | null;
}

/**
 * Stores new verdicts made under `version`; a prediction already graded under it (by
 * another worker) is left alone. Returns how many were stored.
 */
export async function storeVerdicts(
  db: Kysely<Database>,
  version: number,
  verdicts: readonly NewVerdict[],
): Promise<number> {
  if (verdicts.length === 0) return 0;
  // One JSON document for the whole batch (the gradings spliced in as they are): one
  // parse on each side, where an array parameter of JSON texts costs an escaped literal.
  const document = `[${verdicts
    .map(
      (v) =>
        `{"prediction_id":${v.prediction_id},"passed":${v.passed},"score":${v.score},"grading":${v.grading},` +
        `"judge_cost_usd":${v.judge_cost_usd ?? null},"judge_tokens":${v.judge_tokens ?? null}}`,
    )
    .join(',')}]`;
  const result = await sql`
    UPDATE predictions p
       SET passed = v.passed, score = v.score, grading = v.grading, grading_version = ${version},
           regrade_lease_until = NULL,
           -- Judge spend accumulates: a regrade's judge calls are paid on top of the earlier ones.
           judge_cost_usd = CASE WHEN v.judge_cost_usd IS NULL THEN p.judge_cost_usd
                                 ELSE coalesce(p.judge_cost_usd, 0) + v.judge_cost_usd END,
           judge_tokens = CASE WHEN v.judge_tokens IS NULL THEN p.judge_tokens
                               ELSE coalesce(p.judge_tokens, 0) + v.judge_tokens END
      FROM jsonb_to_recordset(${document}::jsonb)
           AS v(prediction_id int, passed boolean, score float8, grading jsonb,
                judge_cost_usd float8, judge_tokens int)
     WHERE p.prediction_id = v.prediction_id AND p.grading_version < ${version}`.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}

/**
 * Regrades the next batch without any model call, in one short transaction: the
 * predictions are locked (`SKIP LOCKED`: workers share a job), graded by `grade` and
 * stored. A worker killed meanwhile stores nothing, and its batch is free again.
 * Returns the predictions read (0: nothing left in this pass) and the last row_id.
 */
export async function regradeBatch(
  db: Kysely<Database>,
  scan: RegradeScan,
  grade: (rows: StalePrediction[]) => NewVerdict[],
): Promise<{ read: number; stored: number; lastRowId: number }> {
  return db.transaction().execute(async (trx) => {
    const stale = await sql<StalePrediction>`${staleOf(scan, false, STALE_COLUMNS)}`.execute(trx);
    const rows = stale.rows;
    const stored = await storeVerdicts(trx, scan.version, grade(rows));
    return { read: rows.length, stored, lastRowId: rows.at(-1)?.row_id ?? scan.afterRowId };
  });
}

/**
 * Takes the next batch to regrade with judge calls: leases it for `leaseSeconds`
 * instead of holding a transaction across the calls. The caller stores the verdicts
 * with storeVerdicts; a lease that expires first (the worker died) lets another worker
 * take the batch.
 */
export async function leaseRegradeBatch(
  db: Kysely<Database>,
  scan: RegradeScan,
  leaseSeconds: number,
): Promise<StalePrediction[]> {
  const result = await sql<StalePrediction>`
    WITH s AS (${staleOf(scan, true, sql`p.prediction_id`)})
    UPDATE predictions p
       SET regrade_lease_until = now() + make_interval(secs => ${leaseSeconds})
      FROM s JOIN rows r ON true
     WHERE p.prediction_id = s.prediction_id AND r.row_id = p.row_id
    RETURNING ${STALE_COLUMNS}`.execute(db);
  return result.rows.sort((a, b) => a.row_id - b.row_id);
}
