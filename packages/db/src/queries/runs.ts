import { sql, type Kysely } from 'kysely';
import { formatJobKey, NotFoundError, type JobKey } from '@evalq/core';
import type { Database } from '../database.js';
import type { RunProgressView, RunRow } from '../tables/runs.js';
import { retryOnDeadlock } from '../transaction-retry.js';
import {
  cancelJobWithin,
  launchJobs,
  selectJobs,
  toJobRecord,
  type JobRecord,
  type LaunchedJob,
  type LaunchOptions,
  type LaunchRequest,
} from './jobs.js';
import { extendStatementTimeout } from './statement-timeout.js';

/** A run with its status and progress (the view run_progress derives both from its jobs). */
export type RunRecord = RunRow &
  Omit<RunProgressView, 'run_id'> & { model_ids: number[]; prompt_ids: number[] };

export interface NewRun extends LaunchRequest {
  name?: string | null;
}

/** One model × prompt of a run, with its job when the job still exists. */
export interface RunCandidate {
  model_id: number;
  prompt_id: number;
  job: JobRecord | undefined;
}

function selectRuns(db: Kysely<Database>) {
  return db
    .selectFrom('runs as r')
    .innerJoin('run_progress as p', 'p.run_id', 'r.id')
    .selectAll('r')
    .select(() => [
      sql<
        number[]
      >`array(SELECT DISTINCT model_id FROM run_jobs WHERE run_id = r.id ORDER BY 1)`.as(
        'model_ids',
      ),
      sql<
        number[]
      >`array(SELECT DISTINCT prompt_id FROM run_jobs WHERE run_id = r.id ORDER BY 1)`.as(
        'prompt_ids',
      ),
    ])
    .select([
      'p.total',
      'p.done',
      'p.failed',
      'p.jobs',
      'p.jobs_present',
      'p.status',
      'p.started_at',
      'p.completed_at',
    ]);
}

/**
 * Creates every model × prompt job over the dataset (existing jobs are reused with
 * their predictions, never duplicated) and the run grouping them, in one transaction.
 */
export async function createRun(
  db: Kysely<Database>,
  request: NewRun,
  options: Omit<LaunchOptions, 'alsoWithin'> = {},
): Promise<{ run: RunRecord; jobs: LaunchedJob[] }> {
  let runId = '';
  const alsoWithin = async (trx: Kysely<Database>, launched: LaunchedJob[]) => {
    const run = await trx
      .insertInto('runs')
      .values({
        name: request.name ?? null,
        dataset_id: request.dataset_id,
        assertions: request.assertions ? JSON.stringify(request.assertions) : null,
        threshold: request.threshold ?? null,
        max_cost_usd: request.budget?.max_cost_usd ?? null,
        max_tokens: request.budget?.max_tokens ?? null,
        cache: request.cache === true,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    runId = run.id;
    await trx
      .insertInto('run_jobs')
      .values(
        launched.map((job) => ({
          run_id: run.id,
          model_id: job.model_id,
          prompt_id: job.prompt_id,
        })),
      )
      .execute();
  };
  // The run's budget covers its jobs together: it is the run's, not each job's.
  const jobs = await launchJobs(db, { ...request, budget: undefined }, { ...options, alsoWithin });
  const run = await getRun(db, runId);
  if (!run) throw new NotFoundError(`run ${runId}`);
  return { run, jobs };
}

export async function getRun(db: Kysely<Database>, runId: string): Promise<RunRecord | undefined> {
  return selectRuns(db).where('r.id', '=', runId).executeTakeFirst();
}

/** Newest first; `after` is the id of the last run of the previous page. */
export async function listRuns(
  db: Kysely<Database>,
  filter: { dataset_id?: number },
  page: { after?: string; limit: number },
): Promise<RunRecord[]> {
  return selectRuns(db)
    .$if(filter.dataset_id !== undefined, (q) => q.where('r.dataset_id', '=', filter.dataset_id!))
    .$if(page.after !== undefined, (q) =>
      q.where(
        sql<boolean>`(r.created_at, r.id) < (SELECT created_at, id FROM runs WHERE id = ${page.after!})`,
      ),
    )
    .orderBy('r.created_at', 'desc')
    .orderBy('r.id', 'desc')
    .limit(page.limit)
    .execute();
}

/** The run's model × prompt pairs in (model, prompt) order, each with its job if it exists. */
export async function runCandidates(
  db: Kysely<Database>,
  run: Pick<RunRow, 'id' | 'dataset_id'>,
): Promise<RunCandidate[]> {
  const pairs = await db
    .selectFrom('run_jobs')
    .select(['model_id', 'prompt_id'])
    .where('run_id', '=', run.id)
    .orderBy('model_id')
    .orderBy('prompt_id')
    .execute();
  const jobs = await selectJobs(db)
    .innerJoin('run_jobs as rj', (join) =>
      join.onRef('rj.model_id', '=', 'j.model_id').onRef('rj.prompt_id', '=', 'j.prompt_id'),
    )
    .where('rj.run_id', '=', run.id)
    .where('j.dataset_id', '=', run.dataset_id)
    .execute();
  const byKey = new Map(jobs.map((job) => [formatJobKey(job), toJobRecord(job)]));
  return pairs.map((pair) => ({
    ...pair,
    job: byKey.get(formatJobKey({ ...pair, dataset_id: run.dataset_id })),
  }));
}

export interface CanceledRun {
  run: RunRecord;
  /** Unfinished jobs of the run that no other run uses: deleted with their predictions. */
  canceled_jobs: JobKey[];
  /** Unfinished jobs kept because another run still uses them. */
  kept_jobs: JobKey[];
}

/**
 * Cancels a run in one transaction: its unfinished jobs that no other (not cancelled)
 * run uses are cancelled like DELETE /v1/jobs/… (their predictions go); finished jobs
 * and their predictions stay, and so do jobs another run still needs. The run then
 * reads `canceled`. Cancelling a cancelled run changes nothing.
 */
export async function cancelRun(db: Kysely<Database>, runId: string): Promise<CanceledRun> {
  const outcome = await retryOnDeadlock(() =>
    db.transaction().execute(async (trx) => {
      await extendStatementTimeout(trx, '30min');
      const run = await trx
        .selectFrom('runs')
        .select(['id', 'dataset_id', 'canceled_at'])
        .where('id', '=', runId)
        .forUpdate()
        .executeTakeFirst();
      if (!run) throw new NotFoundError(`run ${runId}`);
      const unfinished = await sql<JobKey & { shared: boolean }>`
        SELECT j.model_id, j.prompt_id, j.dataset_id,
               EXISTS (SELECT 1 FROM run_jobs o JOIN runs r ON r.id = o.run_id
                        WHERE o.model_id = j.model_id AND o.prompt_id = j.prompt_id
                          AND r.dataset_id = j.dataset_id AND r.id <> ${runId}
                          AND r.canceled_at IS NULL) AS shared
          FROM run_jobs rj
          JOIN modelpromptstatus j
            ON j.model_id = rj.model_id AND j.prompt_id = rj.prompt_id
           AND j.dataset_id = ${run.dataset_id}
         WHERE rj.run_id = ${runId} AND j.status <> 'done'
         ORDER BY j.model_id, j.prompt_id`.execute(trx);
      const canceled: JobKey[] = [];
      const kept: JobKey[] = [];
      if (run.canceled_at === null) {
        for (const { shared, ...key } of unfinished.rows) {
          if (shared) {
            kept.push(key);
            continue;
          }
          await cancelJobWithin(trx, key);
          canceled.push(key);
        }
        await trx
          .updateTable('runs')
          .set({ canceled_at: new Date() })
          .where('id', '=', runId)
          .execute();
      }
      return { canceled, kept };
    }),
  );
  const run = await getRun(db, runId);
  if (!run) throw new NotFoundError(`run ${runId}`);
  return { run, canceled_jobs: outcome.canceled, kept_jobs: outcome.kept };
}

/** Keeps a completed run's summary with the state of the jobs it was computed from. */
export async function saveRunSummary(
  db: Kysely<Database>,
  runId: string,
  summary: unknown,
  computedFrom: string,
): Promise<void> {
  await db
    .updateTable('runs')
    .set({ summary: JSON.stringify(summary), summary_of: computedFrom })
    .where('id', '=', runId)
    .execute();
}
