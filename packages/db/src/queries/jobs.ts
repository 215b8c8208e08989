import { sql, type Kysely, type SqlBool } from 'kysely';
import {
  ConflictError,
  NotFoundError,
  ValidationError,
  formatJobKey,
  type JobKey,
} from '@evalq/core';
import { DEFAULT_ASSERTIONS, judgeModelIds, sameAssertions, type Assertion } from '@evalq/grading';
import type { Database } from '../database.js';
import type { JobStatus, PausedReason } from '../tables/jobs.js';
import { retryOnDeadlock } from '../transaction-retry.js';
import {
  jobBatchCountsSql,
  jobBatchPhase,
  type JobBatchCounts,
  type JobBatchPhase,
} from './provider-batches.js';
import { extendStatementTimeout } from './statement-timeout.js';

/** A job's counters as stored (kept by the triggers), plus its rows in flight. */
export interface JobRecord extends JobKey {
  status: JobStatus;
  /** Rows the job covers. */
  total: number;
  /** Rows processed, failed ones included (the `count` column). */
  done: number;
  failed: number;
  /** Successful predictions that passed. */
  correct: number;
  /** Successful predictions without a verdict. */
  ungraded: number;
  /** The job's assertions as stored (packages/grading parses them). */
  assertions: unknown;
  threshold: number | null;
  grading_version: number;
  /** Successful predictions still to be regraded; regrading while above 0. */
  regrade_remaining: number;
  /** Rows claimed by a worker right now (from a partial index: bounded by calls in flight). */
  in_progress: number;
  /** For a job run through provider batches (docs/batch.md): what they are doing; else null. */
  batch?: JobBatchPhase | null;
  created_at: Date;
  started_at: Date | null;
  updated_at: Date;
  finished_at: Date | null;
  /** Sum of its predictions' costs (docs/cost.md); null until a priced one is stored. */
  spent_usd: number | null;
  spent_tokens: number;
  /** Predictions answered from the response cache. */
  cached_hits: number;
  /** Reads and writes the response cache. */
  cache: boolean;
  /** Its own budget; a run's budget is on the run. */
  max_cost_usd: number | null;
  max_tokens: number | null;
  paused_reason: PausedReason | null;
  paused_message: string | null;
}

export interface JobFilter {
  dataset_id?: number;
  model_id?: number;
  prompt_id?: number;
  status?: JobStatus;
}

/** The job row and its in-progress count: O(1) in the job's size. */
export function selectJobs(db: Kysely<Database>) {
  return db
    .selectFrom('modelpromptstatus as j')
    .select((eb) => [
      'j.model_id',
      'j.prompt_id',
      'j.dataset_id',
      'j.status',
      'j.total',
      sql<number>`coalesce(j.count, 0)`.as('done'),
      'j.failed',
      'j.correct',
      'j.ungraded',
      'j.assertions',
      'j.threshold',
      'j.grading_version',
      'j.regrade_remaining',
      'j.created_at',
      'j.started_at',
      'j.updated_at',
      'j.finished_at',
      'j.spent_usd',
      'j.spent_tokens',
      'j.cached_hits',
      'j.cache',
      'j.max_cost_usd',
      'j.max_tokens',
      'j.paused_reason',
      'j.paused_message',
      eb
        .selectFrom('predictionstatus as ps')
        .select(eb.fn.countAll<number>().as('n'))
        .whereRef('ps.model_id', '=', 'j.model_id')
        .whereRef('ps.prompt_id', '=', 'j.prompt_id')
        .whereRef('ps.dataset_id', '=', 'j.dataset_id')
        .where('ps.status', '=', 'in_progress')
        .as('in_progress'),
      jobBatchCountsSql.as('batch_counts'),
    ]);
}

export function toJobRecord(
  row: Omit<JobRecord, 'in_progress' | 'batch'> & {
    in_progress: number | null;
    batch_counts?: JobBatchCounts | null;
  },
): JobRecord {
  const { batch_counts, ...job } = row;
  return { ...job, in_progress: row.in_progress ?? 0, batch: jobBatchPhase(batch_counts ?? null) };
}

export async function getJob(db: Kysely<Database>, key: JobKey): Promise<JobRecord | undefined> {
  const row = await selectJobs(db)
    .where('j.model_id', '=', key.model_id)
    .where('j.prompt_id', '=', key.prompt_id)
    .where('j.dataset_id', '=', key.dataset_id)
    .executeTakeFirst();
  return row && toJobRecord(row);
}

/** Jobs in (dataset, model, prompt) order, keyset-paginated on that triple. */
export async function listJobs(
  db: Kysely<Database>,
  filter: JobFilter,
  page: { after?: JobKey; limit: number },
): Promise<JobRecord[]> {
  const after = page.after;
  const rows = await selectJobs(db)
    .$if(filter.dataset_id !== undefined, (q) => q.where('j.dataset_id', '=', filter.dataset_id!))
    .$if(filter.model_id !== undefined, (q) => q.where('j.model_id', '=', filter.model_id!))
    .$if(filter.prompt_id !== undefined, (q) => q.where('j.prompt_id', '=', filter.prompt_id!))
    .$if(filter.status !== undefined, (q) => q.where('j.status', '=', filter.status!))
    .$if(after !== undefined, (q) =>
      q.where(
        sql<SqlBool>`(j.dataset_id, j.model_id, j.prompt_id) > (${after!.dataset_id}, ${after!.model_id}, ${after!.prompt_id})`,
      ),
    )
    .orderBy('j.dataset_id')
    .orderBy('j.model_id')
    .orderBy('j.prompt_id')
    .limit(page.limit)
    .execute();
  return rows.map(toJobRecord);
}

export interface LaunchRequest {
  dataset_id: number;
  model_ids: number[];
  prompt_ids: number[];
  /** Validated already (packages/grading); else the dataset's default_assertions, else equals. */
  assertions?: Assertion[];
  /** With `assertions`, null when not given; without, the dataset's default_threshold. */
  threshold?: number | null;
  /** Each job's own budget (docs/cost.md), set on new and existing jobs alike. */
  budget?: Budget;
  /** Read and write the response cache: set on new and existing jobs alike. */
  cache?: boolean;
}

/** A budget (docs/cost.md): an absent or null limit is no limit. */
export interface Budget {
  max_cost_usd?: number | null;
  max_tokens?: number | null;
}

export interface LaunchOptions {
  /** How errors name the request's assertions, e.g. `body.assertions`. */
  assertionsPath?: string;
  /** Runs in the launch's transaction, after the jobs exist (a run records them). */
  alsoWithin?: (trx: Kysely<Database>, jobs: LaunchedJob[]) => Promise<void>;
}

export interface LaunchedJob extends JobRecord {
  /** False when the job already existed: it is returned, not duplicated. */
  created: boolean;
}

/**
 * Creates every model × prompt job over a dataset in one transaction. Existing jobs
 * are kept as they are (ON CONFLICT DO NOTHING) and returned with `created: false`.
 * The documented insert trigger seeds each new job's status rows, inside this
 * transaction, so a launch either creates whole jobs or nothing.
 */
export async function launchJobs(
  db: Kysely<Database>,
  request: LaunchRequest,
  options: LaunchOptions = {},
): Promise<LaunchedJob[]> {
  const modelIds = [...new Set(request.model_ids)];
  const promptIds = [...new Set(request.prompt_ids)];
  const datasetId = request.dataset_id;

  return retryOnDeadlock(() =>
    db.transaction().execute(async (trx) => {
      // Seeding costs a statement per row of the dataset: far beyond the pool's
      // default statement cap for a million-row dataset.
      await extendStatementTimeout(trx, '1h');

      const dataset = await trx
        .selectFrom('datasets')
        .select(['dataset_id', 'default_assertions', 'default_threshold'])
        .where('dataset_id', '=', datasetId)
        .forKeyShare()
        .executeTakeFirst();
      if (!dataset) {
        throw new NotFoundError(`dataset ${datasetId}`, {
          details: [{ path: 'dataset_id', message: `no dataset has id ${datasetId}` }],
        });
      }
      const models = await trx
        .selectFrom('models')
        .select('model_id')
        .where('model_id', 'in', modelIds)
        .forKeyShare()
        .execute();
      const missingModels = modelIds.filter((id) => !models.some((m) => m.model_id === id));
      if (missingModels.length > 0) {
        throw new NotFoundError(`model ${missingModels.join(', ')}`, {
          details: missingModels.map((id) => ({
            path: 'model_ids',
            message: `no model has id ${id}`,
          })),
        });
      }
      const prompts = await trx
        .selectFrom('prompts')
        .select(['prompt_id', 'model_id'])
        .where('prompt_id', 'in', promptIds)
        .forKeyShare()
        .execute();
      const missingPrompts = promptIds.filter((id) => !prompts.some((p) => p.prompt_id === id));
      if (missingPrompts.length > 0) {
        throw new NotFoundError(`prompt ${missingPrompts.join(', ')}`, {
          details: missingPrompts.map((id) => ({
            path: 'prompt_ids',
            message: `no prompt has id ${id}`,
          })),
        });
      }
      const mismatches = prompts.flatMap((prompt) =>
        prompt.model_id === null
          ? []
          : modelIds
              .filter((modelId) => modelId !== prompt.model_id)
              .map((modelId) => ({
                prompt_id: prompt.prompt_id,
                bound_to_model_id: prompt.model_id,
                model_id: modelId,
              })),
      );
      if (mismatches.length > 0) {
        const first = mismatches[0]!;
        throw new ConflictError(
          `prompt ${first.prompt_id} is bound to model ${first.bound_to_model_id} and cannot run with model ${first.model_id}` +
            (mismatches.length > 1 ? ` (and ${mismatches.length - 1} more such pair(s))` : '') +
            ': launch it with its own model only, or use an unbound prompt',
          { details: { bound_prompts: mismatches } },
        );
      }

      const grading = gradingOf(request, dataset);
      await checkJudgeModels(
        trx,
        grading.assertions,
        request.assertions !== undefined
          ? (options.assertionsPath ?? 'assertions')
          : `dataset ${datasetId}'s default_assertions`,
      );

      const inserted = await sql<JobKey>`
        INSERT INTO modelpromptstatus (model_id, prompt_id, dataset_id, status, assertions, threshold,
                                       max_cost_usd, max_tokens, cache)
        SELECT m, p, ${datasetId}::int, 'pending', ${JSON.stringify(grading.assertions)}::jsonb,
               ${grading.threshold}::float8, ${request.budget?.max_cost_usd ?? null}::float8,
               ${request.budget?.max_tokens ?? null}::bigint, ${request.cache === true}
          FROM unnest(${modelIds}::int[]) AS m CROSS JOIN unnest(${promptIds}::int[]) AS p
         ORDER BY m, p
        ON CONFLICT (model_id, prompt_id, dataset_id) DO NOTHING
        RETURNING model_id, prompt_id, dataset_id`.execute(trx);
      const created = new Set(inserted.rows.map((key) => formatJobKey(key)));
      if (request.budget !== undefined || request.cache === true) {
        // Existing jobs take the launch's budget and cache too (a new budget may resume one).
        await sql`
          UPDATE modelpromptstatus
             SET max_cost_usd = CASE WHEN ${request.budget !== undefined} THEN ${request.budget?.max_cost_usd ?? null}::float8 ELSE max_cost_usd END,
                 max_tokens   = CASE WHEN ${request.budget !== undefined} THEN ${request.budget?.max_tokens ?? null}::bigint ELSE max_tokens END,
                 cache        = cache OR ${request.cache === true}
           WHERE dataset_id = ${datasetId} AND model_id = ANY(${modelIds}::int[])
             AND prompt_id = ANY(${promptIds}::int[])`.execute(trx);
      }

      const jobs = await selectJobs(trx)
        .where('j.dataset_id', '=', datasetId)
        .where('j.model_id', 'in', modelIds)
        .where('j.prompt_id', 'in', promptIds)
        .orderBy('j.model_id')
        .orderBy('j.prompt_id')
        .execute();
      const explicit = request.assertions !== undefined || request.threshold !== undefined;
      const differing = jobs.filter(
        (job) => explicit && !created.has(formatJobKey(job)) && !sameAssertions(job, grading),
      );
      if (differing.length > 0) {
        const keys = differing.map((job) => formatJobKey(job));
        throw new ConflictError(
          `job ${keys.slice(0, 3).join(', ')}${keys.length > 3 ? ', …' : ''} already exists with ` +
            'other assertions or threshold: to grade its predictions with these, regrade it ' +
            `(POST /v1/jobs/${keys[0]}/regrade with the assertions and threshold); ` +
            'to run it again from zero, cancel it and launch again',
          {
            details: {
              jobs: differing.map((job) => ({
                model_id: job.model_id,
                prompt_id: job.prompt_id,
                dataset_id: job.dataset_id,
                assertions: job.assertions,
                threshold: job.threshold,
                regrade: `/v1/jobs/${formatJobKey(job)}/regrade`,
              })),
            },
          },
        );
      }
      const launched = jobs.map((job) => ({
        ...toJobRecord(job),
        created: created.has(formatJobKey(job)),
      }));
      await options.alsoWithin?.(trx, launched);
      return launched;
    }),
  );
}

/** The assertions and threshold a launch gives its new jobs. */
function gradingOf(
  request: LaunchRequest,
  dataset: { default_assertions: unknown; default_threshold: number | null },
): { assertions: readonly unknown[]; threshold: number | null } {
  if (request.assertions !== undefined) {
    return { assertions: request.assertions, threshold: request.threshold ?? null };
  }
  const defaults = dataset.default_assertions;
  return {
    assertions: Array.isArray(defaults) ? defaults : DEFAULT_ASSERTIONS,
    threshold:
      request.threshold !== undefined
        ? request.threshold
        : Array.isArray(defaults)
          ? dataset.default_threshold
          : null,
  };
}

/**
 * Every judge model the assertions name must exist; they are locked like the job's own
 * model, so none can be deleted while the launch commits. `path` names the list in errors.
 */
export async function checkJudgeModels(
  trx: Kysely<Database>,
  assertions: readonly unknown[],
  path: string,
): Promise<void> {
  const judges = judgeModelIds(assertions as Assertion[]);
  if (judges.length === 0) return;
  const found = await trx
    .selectFrom('models')
    .select('model_id')
    .where(
      'model_id',
      'in',
      judges.map((j) => j.model_id),
    )
    .forKeyShare()
    .execute();
  const missing = judges.filter((j) => !found.some((m) => m.model_id === j.model_id));
  if (missing.length > 0) {
    const problems = missing.map((j) => ({
      path: `${path}.${j.index}.model_id`,
      message: `no model has id ${j.model_id}: register the judge model first (POST /v1/models)`,
    }));
    throw new ValidationError(problems.map((p) => `${p.path}: ${p.message}`).join('; '), problems);
  }
}

/**
 * Deletes a job's predictions (only the failed ones with `failedOnly`), including any
 * stored without a dataset_id (the column is nullable; the counting trigger finds
 * their job through the row). Two statements, one per index path: an OR of both
 * conditions makes PostgreSQL scan the whole predictions table.
 */
async function deleteJobPredictions(
  trx: Kysely<Database>,
  key: JobKey,
  failedOnly: boolean,
): Promise<number> {
  const status = failedOnly ? sql`AND p.status = 'failed'` : sql``;
  const withDataset = await sql`
    DELETE FROM predictions p
     WHERE p.dataset_id = ${key.dataset_id} AND p.model_id = ${key.model_id}
       AND p.prompt_id = ${key.prompt_id} ${status}`.execute(trx);
  const withoutDataset = await sql`
    DELETE FROM predictions p
     USING rows r
     WHERE p.dataset_id IS NULL AND p.model_id = ${key.model_id}
       AND p.prompt_id = ${key.prompt_id} ${status}
       AND r.row_id = p.row_id AND r.dataset_id = ${key.dataset_id}`.execute(trx);
  return Number(withDataset.numAffectedRows ?? 0n) + Number(withoutDataset.numAffectedRows ?? 0n);
}

async function lockJob(trx: Kysely<Database>, key: JobKey): Promise<void> {
  const job = await trx
    .selectFrom('modelpromptstatus')
    .select('status')
    .where('model_id', '=', key.model_id)
    .where('prompt_id', '=', key.prompt_id)
    .where('dataset_id', '=', key.dataset_id)
    .forUpdate()
    .executeTakeFirst();
  if (!job) throw new NotFoundError(`job ${formatJobKey(key)}`);
}

export interface CancelledJob extends JobKey {
  predictions_deleted: number;
}

/**
 * Cancels a job: deletes its predictions and the job in one transaction; the
 * documented delete trigger removes its status rows. Launching it again starts from
 * zero. A worker finishing a batch of this job at the same moment can deadlock with
 * us (it locks status rows, then the job row; we lock the job row first); PostgreSQL
 * aborts one side and both retry, and a worker's retried finish then matches no row.
 */
export async function cancelJob(db: Kysely<Database>, key: JobKey): Promise<CancelledJob> {
  return retryOnDeadlock(() =>
    db.transaction().execute(async (trx) => {
      await extendStatementTimeout(trx, '30min');
      return cancelJobWithin(trx, key);
    }),
  );
}

/** cancelJob inside the caller's transaction (cancelling a run cancels several jobs). */
export async function cancelJobWithin(trx: Kysely<Database>, key: JobKey): Promise<CancelledJob> {
  await lockJob(trx, key);
  // The job first (the documented delete trigger takes its status rows): its
  // predictions then belong to no job, and the counting trigger has nothing to do.
  await trx
    .deleteFrom('modelpromptstatus')
    .where('model_id', '=', key.model_id)
    .where('prompt_id', '=', key.prompt_id)
    .where('dataset_id', '=', key.dataset_id)
    .execute();
  const deleted = await deleteJobPredictions(trx, key, false);
  return { ...key, predictions_deleted: deleted };
}

export interface RetriedJob {
  /** Failed rows sent back to pending. */
  reset: number;
  job: JobRecord;
}

/**
 * Sends a job's failed rows back to be processed again: deletes its failed predictions.
 * The counting trigger on predictions does the rest in the same statement: their status
 * rows go back to pending, `count` and `failed` go down, and the job runs again.
 */
export async function retryFailedRows(db: Kysely<Database>, key: JobKey): Promise<RetriedJob> {
  return retryOnDeadlock(() =>
    db.transaction().execute(async (trx) => {
      await extendStatementTimeout(trx, '30min');
      await lockJob(trx, key);
      const deleted = await deleteJobPredictions(trx, key, true);
      const job = await getJob(trx, key);
      if (!job) throw new NotFoundError(`job ${formatJobKey(key)}`);
      return { reset: deleted, job };
    }),
  );
}

export interface RegradeRequest {
  /** A new list (validated already); absent: regrade with the job's current one. */
  assertions?: Assertion[];
  /** A new threshold; a new list without one clears it (null). */
  threshold?: number | null;
}

/**
 * Asks for a regrade of every successful prediction of a job: stores the new grading
 * setup and bumps `grading_version`. A trigger then marks all its successful
 * predictions as to be regraded (`regrade_remaining`); workers regrade them without
 * calling the candidate model, and the counters follow each new verdict.
 */
export async function requestRegrade(
  db: Kysely<Database>,
  key: JobKey,
  request: RegradeRequest,
  options: LaunchOptions = {},
): Promise<JobRecord> {
  return retryOnDeadlock(() =>
    db.transaction().execute(async (trx) => {
      await lockJob(trx, key);
      if (request.assertions !== undefined) {
        await checkJudgeModels(trx, request.assertions, options.assertionsPath ?? 'assertions');
      }
      const threshold =
        request.threshold !== undefined
          ? request.threshold
          : request.assertions !== undefined
            ? null
            : undefined;
      await trx
        .updateTable('modelpromptstatus')
        .set((eb) => ({
          ...(request.assertions === undefined
            ? {}
            : { assertions: JSON.stringify(request.assertions) }),
          ...(threshold === undefined ? {} : { threshold }),
          grading_version: eb('grading_version', '+', 1),
          updated_at: sql<Date>`now()`,
        }))
        .where('model_id', '=', key.model_id)
        .where('prompt_id', '=', key.prompt_id)
        .where('dataset_id', '=', key.dataset_id)
        .execute();
      const job = await getJob(trx, key);
      if (!job) throw new NotFoundError(`job ${formatJobKey(key)}`);
      return job;
    }),
  );
}
