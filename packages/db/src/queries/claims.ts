import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { JobKey } from '@evalq/core';
import type { Database } from '../database.js';

/**
 * The claim protocol (docs/architecture.md, "A job's life"), the only SQL that moves
 * `predictionstatus` rows between pending, in_progress and done. Every statement is a
 * single autocommit statement: nothing here opens a transaction that outlives it, and
 * nothing is ever held across a model call.
 *
 * A claim's fencing token is (claimed_by, attempt): every claim bumps the `attempt`
 * column, and heartbeat, finish and release only touch a row while both still match.
 * In TypeScript the column is `claim_attempt`, apart from `attempts` (calls made).
 */

/** One row a worker holds, identified together with its fencing token. */
export interface HeldClaim {
  row_id: number;
  model_id: number;
  prompt_id: number;
  /** The fencing token's counter: `predictionstatus.attempt` as this claim set it. */
  claim_attempt: number;
}

export interface ClaimedRow {
  row_id: number;
  claim_attempt: number;
  content: string;
  /** The gold label, which most assertions (and `{{expected}}`) compare the output with. */
  expected_prediction: string;
  /** The row's variables: only when the claim asks for them, else null. */
  input: Record<string, unknown> | null;
}

/**
 * Claims up to `limit` pending rows of one job for `workerId`, in row order. The CTE
 * with `FOR UPDATE SKIP LOCKED LIMIT n` takes at most n rows and never waits on a row
 * another worker is claiming (`WHERE … IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)`
 * can take more). The documented BEFORE UPDATE trigger stamps in_progress_time, and
 * the job's first claim makes it running (after_claim_prediction_status, 0017). A row's
 * input travels only when its prompt or a judge rubric uses it (most use content only).
 * How many rows may be claimed is the claim gate's to say (claim_allowance, 0012): none
 * while the job is paused, fewer under a budget (docs/cost.md).
 */
export async function claimRows(
  db: Kysely<Database>,
  job: JobKey,
  limit: number,
  workerId: string,
  /** Also return each row's input (its prompt or a judge rubric uses input variables). */
  withInput = false,
): Promise<ClaimedRow[]> {
  // The outer LIMIT repeats the bound the planner cannot see through claim_allowance():
  // without it, it plans for a tenth of the job's rows and hash-joins every row of the
  // job and of the dataset for each claim (a claim of 25 rows of a 50,000-row job took
  // 13 ms, now 2.4; docs/performance.md).
  const result = await sql<ClaimedRow>`
    WITH c AS (
      SELECT row_id FROM (
        SELECT row_id FROM predictionstatus
         WHERE model_id = ${job.model_id} AND prompt_id = ${job.prompt_id}
           AND dataset_id = ${job.dataset_id} AND status = 'pending'
         ORDER BY row_id
         LIMIT claim_allowance(${job.model_id}, ${job.prompt_id}, ${job.dataset_id}, ${limit})
         FOR UPDATE SKIP LOCKED
      ) gated
      LIMIT ${limit}
    )
    UPDATE predictionstatus ps
       SET status = 'in_progress', claimed_by = ${workerId}, attempt = ps.attempt + 1
      FROM c JOIN rows r ON r.row_id = c.row_id
     WHERE ps.row_id = c.row_id AND ps.model_id = ${job.model_id} AND ps.prompt_id = ${job.prompt_id}
    RETURNING ps.row_id, ps.attempt AS claim_attempt, r.content, r.expected_prediction,
              CASE WHEN ${withInput}::boolean THEN r.input END AS input`.execute(db);
  return result.rows;
}

/** The claims as a table `h(row_id, model_id, prompt_id, attempt)`: one array parameter per column. */
function heldTable(claims: readonly HeldClaim[]): RawBuilder<unknown> {
  const rowIds: number[] = [];
  const modelIds: number[] = [];
  const promptIds: number[] = [];
  const claimAttempts: number[] = [];
  for (const claim of claims) {
    rowIds.push(claim.row_id);
    modelIds.push(claim.model_id);
    promptIds.push(claim.prompt_id);
    claimAttempts.push(claim.claim_attempt);
  }
  return sql`unnest(${rowIds}::int[], ${modelIds}::int[], ${promptIds}::int[], ${claimAttempts}::int[])
             AS h(row_id, model_id, prompt_id, attempt)`;
}

/**
 * The fencing check, the one condition under which a worker may still act on a row:
 * `ps` is the claim's row, still `in_progress` under this worker and this attempt.
 * `h` is the claims' keys (heldTable).
 */
function stillHeld(workerId: string): RawBuilder<unknown> {
  return sql`ps.row_id = h.row_id AND ps.model_id = h.model_id AND ps.prompt_id = h.prompt_id
         AND ps.status = 'in_progress' AND ps.claimed_by = ${workerId} AND ps.attempt = h.attempt`;
}

/**
 * Re-asserts `in_progress` on the rows this worker still holds, so the documented
 * trigger re-stamps in_progress_time and the lease does not expire while calls run.
 * `SKIP LOCKED`: a row being finished right now is skipped rather than waited for (a
 * heartbeat never waits on, or deadlocks with, its own finish). Returns how many rows
 * were refreshed; rows whose token no longer matches are left alone.
 */
export async function heartbeatClaims(
  db: Kysely<Database>,
  workerId: string,
  claims: readonly HeldClaim[],
): Promise<number> {
  if (claims.length === 0) return 0;
  const result = await sql`
    WITH held AS (
      SELECT ps.row_id, ps.model_id, ps.prompt_id
        FROM ${heldTable(claims)}
        JOIN predictionstatus ps ON ${stillHeld(workerId)}
       ORDER BY ps.row_id, ps.model_id, ps.prompt_id
       FOR UPDATE OF ps SKIP LOCKED
    )
    UPDATE predictionstatus ps
       SET status = 'in_progress'
      FROM held
     WHERE ps.row_id = held.row_id AND ps.model_id = held.model_id AND ps.prompt_id = held.prompt_id`.execute(
    db,
  );
  return Number(result.numAffectedRows ?? 0n);
}

export interface ReclaimedJob extends JobKey {
  rows: number;
}

/**
 * Hands back to `pending` up to `limit` rows whose heartbeat is older than the lease
 * (their worker died, froze or lost its connection). Their old holder can no longer
 * finish them: the next claim bumps `attempt`. Returns the jobs that got rows back.
 * in_progress_time is a `timestamp` without time zone stamped by the documented trigger
 * with CURRENT_TIMESTAMP in the session's zone; LOCALTIMESTAMP reads the same clock in
 * the same zone, so the comparison holds whatever zone the sessions run in (evalq's
 * pools set UTC, but a connection pooler may drop that setting). Rows held by a provider
 * batch (provider-batches.ts) have no heartbeat: their batch's own lease covers them.
 * The WHERE clause is the predicate of predictionstatus_lease_expiry_idx (migration
 * 0016), word for word, so the planner walks that index, which holds no batch's rows.
 */
export async function reclaimExpiredClaims(
  db: Kysely<Database>,
  leaseSeconds: number,
  limit: number,
): Promise<ReclaimedJob[]> {
  const result = await sql<ReclaimedJob>`
    WITH stale AS (
      SELECT row_id, model_id, prompt_id FROM predictionstatus
       WHERE status = 'in_progress'
         AND in_progress_time < LOCALTIMESTAMP - make_interval(secs => ${leaseSeconds})
         AND coalesce(claimed_by, '') NOT LIKE 'provider-batch/%'
       ORDER BY in_progress_time
       LIMIT ${limit}
       FOR UPDATE SKIP LOCKED
    ), reclaimed AS (
      UPDATE predictionstatus ps
         SET status = 'pending', claimed_by = NULL
        FROM stale
       WHERE ps.row_id = stale.row_id AND ps.model_id = stale.model_id AND ps.prompt_id = stale.prompt_id
      RETURNING ps.model_id, ps.prompt_id, ps.dataset_id
    )
    SELECT model_id, prompt_id, dataset_id, count(*)::int AS rows
      FROM reclaimed GROUP BY model_id, prompt_id, dataset_id`.execute(db);
  return result.rows;
}

/**
 * Gives rows this worker holds back to `pending` (shutdown, a call abandoned). Only
 * rows whose token still matches are touched. Returns how many were released.
 */
export async function releaseClaims(
  db: Kysely<Database>,
  workerId: string,
  claims: readonly HeldClaim[],
): Promise<number> {
  if (claims.length === 0) return 0;
  const result = await sql`
    UPDATE predictionstatus ps
       SET status = 'pending', claimed_by = NULL
      FROM ${heldTable(claims)}
     WHERE ${stillHeld(workerId)}`.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}

/** The rows' gradings (JSON texts, or null) as one JSON array, in the rows' order. */
function gradingDocument(rows: readonly FinishedRow[]): string {
  return `[${rows.map((row) => row.grading ?? 'null').join(',')}]`;
}

/** One finished call, ready to be stored. */
export interface FinishedRow extends HeldClaim {
  dataset_id: number;
  prediction: string;
  /** Seconds the call took. */
  prediction_time: number;
  status: 'success' | 'failed';
  formatted_prompt: string;
  error: string | null;
  /** Calls made for this row (1 + retries). */
  attempts: number;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  /** The verdict (packages/grading): null for a failed call or an ungraded success. */
  passed: boolean | null;
  score: number | null;
  /** Each assertion's result, as JSON text; null for a failed call. */
  grading: string | null;
  /** The job's grading_version the verdict was made under. */
  grading_version: number;
  /** The candidate call's cost (packages/providers/src/call-cost.ts); null without prices. */
  cost_usd?: number | null;
  /** What the judge calls grading it cost, and their tokens. */
  judge_cost_usd?: number | null;
  judge_tokens?: number | null;
  /** Answered from the response cache (no call made). */
  cached?: boolean;
  /** A failed call's provider error kind (the pause rule counts configuration errors). */
  error_kind?: string | null;
}

export interface FinishResult {
  /** Rows whose token matched: marked done, prediction stored (or already there). */
  finished: { row_id: number; model_id: number; prompt_id: number }[];
  /** Predictions actually inserted (fewer than `finished` only if one already existed). */
  inserted: number;
}

/**
 * Stores a batch of results, each with its verdict, in one statement, so one transaction
 * (the counting trigger counts the verdicts in it too): rows are marked
 * `done` only where this worker's fencing token still matches, and predictions are
 * inserted only for those rows, `ON CONFLICT DO NOTHING` on (row_id, model_id,
 * prompt_id). A crash stores both or neither; replaying the same batch is harmless.
 * Predictions are inserted in job order, so concurrent batches spanning several jobs
 * lock the job rows (the counting trigger) in the same order. Rows missing from
 * `finished` were lost: reclaimed and handed to someone else (a zombie's results).
 */
export async function finishRows(
  db: Kysely<Database>,
  workerId: string,
  rows: readonly FinishedRow[],
): Promise<FinishResult> {
  if (rows.length === 0) return { finished: [], inserted: 0 };
  const col = <K extends keyof FinishedRow>(key: K): FinishedRow[K][] => rows.map((r) => r[key]);
  const result = await sql<{
    row_id: number;
    model_id: number;
    prompt_id: number;
    inserted: number;
  }>`
    WITH input AS (
      SELECT * FROM unnest(
        ${col('row_id')}::int[], ${col('model_id')}::int[], ${col('prompt_id')}::int[],
        ${col('dataset_id')}::int[], ${col('claim_attempt')}::int[], ${col('prediction')}::text[],
        ${col('prediction_time')}::float8[], ${col('status')}::text[], ${col('formatted_prompt')}::text[],
        ${col('error')}::text[], ${col('attempts')}::int[], ${col('prompt_tokens')}::int[],
        ${col('completion_tokens')}::int[], ${col('passed')}::boolean[], ${col('score')}::float8[],
        ${col('grading_version')}::int[], ${col('cost_usd')}::float8[], ${col('judge_cost_usd')}::float8[],
        ${col('judge_tokens')}::int[], ${col('cached')}::boolean[], ${col('error_kind')}::text[]
      ) WITH ORDINALITY AS i(row_id, model_id, prompt_id, dataset_id, attempt, prediction,
             prediction_time, status, formatted_prompt, error, attempts, prompt_tokens,
             completion_tokens, passed, score, grading_version, cost_usd, judge_cost_usd,
             judge_tokens, cached, error_kind, n)
    ), gradings AS (
      -- All gradings in one JSON document, matched by position: one parse, where an array
      -- parameter of JSON texts would be an escaped literal parsed twice.
      SELECT nullif(g.grading, 'null'::jsonb) AS grading, g.n
        FROM jsonb_array_elements(${gradingDocument(rows)}::jsonb) WITH ORDINALITY AS g(grading, n)
    ), fenced AS (
      -- Joined to the claims' keys alone, not to input: the UPDATE carries each row it
      -- joins as a whole (to recheck it if the row is locked), and input's rows hold the
      -- answers and prompts: building them was a tenth of PostgreSQL's time here.
      UPDATE predictionstatus ps
         SET status = 'done'
        FROM ${heldTable(rows)}
       WHERE ${stillHeld(workerId)}
      RETURNING ps.row_id, ps.model_id, ps.prompt_id
    ), inserted AS (
      INSERT INTO predictions (row_id, model_id, prompt_id, dataset_id, prediction, prediction_time,
                               status, formatted_prompt, error, attempts, prompt_tokens, completion_tokens,
                               passed, score, grading, grading_version, cost_usd, judge_cost_usd,
                               judge_tokens, cached, error_kind)
      SELECT i.row_id, i.model_id, i.prompt_id, i.dataset_id, i.prediction, i.prediction_time,
             i.status, i.formatted_prompt, i.error, i.attempts, i.prompt_tokens, i.completion_tokens,
             i.passed, i.score, g.grading, i.grading_version, i.cost_usd, i.judge_cost_usd,
             i.judge_tokens, coalesce(i.cached, false), i.error_kind
        FROM input i
        JOIN gradings g ON g.n = i.n
        JOIN fenced f ON f.row_id = i.row_id AND f.model_id = i.model_id AND f.prompt_id = i.prompt_id
       ORDER BY i.dataset_id, i.model_id, i.prompt_id, i.row_id
      ON CONFLICT (row_id, model_id, prompt_id) DO NOTHING
      RETURNING 1
    )
    SELECT f.row_id, f.model_id, f.prompt_id, (SELECT count(*) FROM inserted)::int AS inserted
      FROM fenced f`.execute(db);
  return {
    finished: result.rows.map(({ row_id, model_id, prompt_id }) => ({
      row_id,
      model_id,
      prompt_id,
    })),
    inserted: result.rows[0]?.inserted ?? 0,
  };
}
