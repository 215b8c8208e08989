import { sql, type Kysely } from 'kysely';
import { formatJobKey, NotFoundError, type JobKey } from '@evalq/core';
import type { Database } from '../database.js';
import { retryOnDeadlock } from '../transaction-retry.js';
import { getJob, type Budget, type JobRecord } from './jobs.js';

/**
 * Budgets and pauses (docs/cost.md). When a budget is reached, and when a job is paused
 * or resumed, is decided in SQL (budget_reached, claim_allowance, resume_paused_job in
 * migrations/0012); these functions only store a budget and ask for a resume.
 */

/** Resumes every job of `jobs` that is paused for its budget and whose budget now allows it. */
async function resumeBudgetPaused(
  trx: Kysely<Database>,
  jobs: readonly JobKey[],
): Promise<JobKey[]> {
  const resumed: JobKey[] = [];
  for (const key of jobs) {
    const result = await sql<{ resumed: boolean }>`
      SELECT resume_paused_job(${key.model_id}, ${key.prompt_id}, ${key.dataset_id}) AS resumed
        FROM modelpromptstatus
       WHERE model_id = ${key.model_id} AND prompt_id = ${key.prompt_id}
         AND dataset_id = ${key.dataset_id} AND paused_reason = 'budget'`.execute(trx);
    if (result.rows[0]?.resumed) resumed.push(key);
  }
  return resumed;
}

export interface BudgetChange {
  /** Jobs that run again because the new budget allows it. */
  resumed: JobKey[];
}

/** Sets a job's own budget (replacing the old one); a job paused for it resumes if it now fits. */
export async function setJobBudget(
  db: Kysely<Database>,
  key: JobKey,
  budget: Budget,
): Promise<BudgetChange & { job: JobRecord }> {
  return retryOnDeadlock(() =>
    db.transaction().execute(async (trx) => {
      const updated = await trx
        .updateTable('modelpromptstatus')
        .set({
          max_cost_usd: budget.max_cost_usd ?? null,
          max_tokens: budget.max_tokens ?? null,
          updated_at: sql<Date>`now()`,
        })
        .where('model_id', '=', key.model_id)
        .where('prompt_id', '=', key.prompt_id)
        .where('dataset_id', '=', key.dataset_id)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) throw new NotFoundError(`job ${formatJobKey(key)}`);
      const resumed = await resumeBudgetPaused(trx, [key]);
      const job = await getJob(trx, key);
      if (!job) throw new NotFoundError(`job ${formatJobKey(key)}`);
      return { resumed, job };
    }),
  );
}

/** Sets a run's budget (replacing the old one); its jobs paused for a budget resume if they now fit. */
export async function setRunBudget(
  db: Kysely<Database>,
  runId: string,
  budget: Budget,
): Promise<BudgetChange> {
  return retryOnDeadlock(() =>
    db.transaction().execute(async (trx) => {
      const run = await trx
        .updateTable('runs')
        .set({ max_cost_usd: budget.max_cost_usd ?? null, max_tokens: budget.max_tokens ?? null })
        .where('id', '=', runId)
        .returning(['dataset_id'])
        .executeTakeFirst();
      if (!run) throw new NotFoundError(`run ${runId}`);
      const jobs = await trx
        .selectFrom('run_jobs')
        .select(['model_id', 'prompt_id'])
        .where('run_id', '=', runId)
        .orderBy('model_id')
        .orderBy('prompt_id')
        .execute();
      const resumed = await resumeBudgetPaused(
        trx,
        jobs.map((job) => ({ ...job, dataset_id: run.dataset_id })),
      );
      return { resumed };
    }),
  );
}

/**
 * Resumes a paused job (its model fixed, or its budget raised): it runs again unless a
 * budget is still reached. After a provider pause, the rows that failed by the
 * configuration error are processed again. `resumed` false: it was not paused, or a
 * budget still holds it.
 */
export async function resumeJob(
  db: Kysely<Database>,
  key: JobKey,
): Promise<{ resumed: boolean; job: JobRecord }> {
  return retryOnDeadlock(() =>
    db.transaction().execute(async (trx) => {
      const result = await sql<{ resumed: boolean }>`
        SELECT resume_paused_job(${key.model_id}, ${key.prompt_id}, ${key.dataset_id}) AS resumed`.execute(
        trx,
      );
      const job = await getJob(trx, key);
      if (!job) throw new NotFoundError(`job ${formatJobKey(key)}`);
      return { resumed: result.rows[0]?.resumed === true, job };
    }),
  );
}

/** A run's jobs that are paused, for resuming a whole run. */
export async function pausedRunJobs(db: Kysely<Database>, runId: string): Promise<JobKey[]> {
  const result = await sql<JobKey>`
    SELECT j.model_id, j.prompt_id, j.dataset_id
      FROM runs r
      JOIN run_jobs rj ON rj.run_id = r.id
      JOIN modelpromptstatus j
        ON j.model_id = rj.model_id AND j.prompt_id = rj.prompt_id AND j.dataset_id = r.dataset_id
     WHERE r.id = ${runId} AND j.status = 'paused'
     ORDER BY j.model_id, j.prompt_id`.execute(db);
  return result.rows;
}

/** A run's spend: the sum of its jobs' (docs/cost.md), with its budget and cache use. */
export interface RunSpend {
  max_cost_usd: number | null;
  max_tokens: number | null;
  cache: boolean;
  /** Null when none of its jobs has a priced prediction. */
  spent_usd: number | null;
  spent_tokens: number;
  cached_hits: number;
  /** Predictions stored by its jobs that use the cache (the hit rate's denominator). */
  cache_lookups: number;
}

export async function runSpend(db: Kysely<Database>, runId: string): Promise<RunSpend | undefined> {
  const result = await sql<RunSpend>`
    SELECT r.max_cost_usd, r.max_tokens, r.cache,
           sum(j.spent_usd) AS spent_usd,
           coalesce(sum(j.spent_tokens), 0)::bigint AS spent_tokens,
           coalesce(sum(j.cached_hits), 0)::int AS cached_hits,
           coalesce(sum(coalesce(j.count, 0)) FILTER (WHERE j.cache), 0)::int AS cache_lookups
      FROM runs r
      LEFT JOIN run_jobs rj ON rj.run_id = r.id
      LEFT JOIN modelpromptstatus j
        ON j.model_id = rj.model_id AND j.prompt_id = rj.prompt_id AND j.dataset_id = r.dataset_id
     WHERE r.id = ${runId}
     GROUP BY r.id`.execute(db);
  return result.rows[0];
}
