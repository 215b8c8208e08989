import { sql, type Kysely, type SqlBool } from 'kysely';
import { ConflictError, NotFoundError, formatJobKey, type JobKey } from '@evalq/core';
import type { Database } from '../database.js';
import type { JobStatus } from '../tables/jobs.js';
import { retryOnDeadlock } from '../transaction-retry.js';
import { extendStatementTimeout } from './statement-timeout.js';

/** A job's counters as stored (kept by the triggers), plus its rows in flight. */
export interface JobRecord extends JobKey {
  status: JobStatus;
  /** Rows the job covers. */
  total: number;
  /** Rows processed, failed ones included (the `count` column). */
  done: number;
  failed: number;
  correct: number;
  /** Rows claimed by a worker right now (from a partial index: bounded by calls in flight). */
  in_progress: number;
  created_at: Date;
  started_at: Date | null;
  updated_at: Date;
  finished_at: Date | null;
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
      'j.created_at',
      'j.started_at',
      'j.updated_at',
      'j.finished_at',
      eb
        .selectFrom('predictionstatus as ps')
        .select(eb.fn.countAll<number>().as('n'))
        .whereRef('ps.model_id', '=', 'j.model_id')
        .whereRef('ps.prompt_id', '=', 'j.prompt_id')
        .whereRef('ps.dataset_id', '=', 'j.dataset_id')
        .where('ps.status', '=', 'in_progress')
        .as('in_progress'),
    ]);
}

export function toJobRecord(
  row: Omit<JobRecord, 'in_progress'> & { in_progress: number | null },
): JobRecord {
  return { ...row, in_progress: row.in_progress ?? 0 };
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
  /** Runs in the launch's transaction, after the jobs exist (a run records them). */
  alsoWithin?: (trx: Kysely<Database>, jobs: LaunchedJob[]) => Promise<void>,
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
        .select('dataset_id')
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

      const inserted = await sql<JobKey>`
        INSERT INTO modelpromptstatus (model_id, prompt_id, dataset_id, status)
        SELECT m, p, ${datasetId}::int, 'pending'
          FROM unnest(${modelIds}::int[]) AS m CROSS JOIN unnest(${promptIds}::int[]) AS p
         ORDER BY m, p
        ON CONFLICT (model_id, prompt_id, dataset_id) DO NOTHING
        RETURNING model_id, prompt_id, dataset_id`.execute(trx);
      const created = new Set(inserted.rows.map((key) => formatJobKey(key)));

      const jobs = await selectJobs(trx)
        .where('j.dataset_id', '=', datasetId)
        .where('j.model_id', 'in', modelIds)
        .where('j.prompt_id', 'in', promptIds)
        .orderBy('j.model_id')
        .orderBy('j.prompt_id')
        .execute();
      const launched = jobs.map((job) => ({
        ...toJobRecord(job),
        created: created.has(formatJobKey(job)),
      }));
      await alsoWithin?.(trx, launched);
      return launched;
    }),
  );
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
): Promise<number[]> {
  const status = failedOnly ? sql`AND p.status = 'failed'` : sql``;
  const withDataset = await sql<{ row_id: number }>`
    DELETE FROM predictions p
     WHERE p.dataset_id = ${key.dataset_id} AND p.model_id = ${key.model_id}
       AND p.prompt_id = ${key.prompt_id} ${status}
    RETURNING p.row_id`.execute(trx);
  const withoutDataset = await sql<{ row_id: number }>`
    DELETE FROM predictions p
     USING rows r
     WHERE p.dataset_id IS NULL AND p.model_id = ${key.model_id}
       AND p.prompt_id = ${key.prompt_id} ${status}
       AND r.row_id = p.row_id AND r.dataset_id = ${key.dataset_id}
    RETURNING p.row_id`.execute(trx);
  return [...withDataset.rows, ...withoutDataset.rows].map((row) => row.row_id);
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
  const deleted = await deleteJobPredictions(trx, key, false);
  await trx
    .deleteFrom('modelpromptstatus')
    .where('model_id', '=', key.model_id)
    .where('prompt_id', '=', key.prompt_id)
    .where('dataset_id', '=', key.dataset_id)
    .execute();
  return { ...key, predictions_deleted: deleted.length };
}

export interface RetriedJob {
  /** Failed rows sent back to pending. */
  reset: number;
  job: JobRecord;
}

/**
 * Sends a job's failed rows back to be processed again, in one transaction: deletes
 * the failed predictions, sets their status rows back to pending, lowers `count` and
 * `failed` by as many, and (when anything was reset) makes the job running again.
 */
export async function retryFailedRows(db: Kysely<Database>, key: JobKey): Promise<RetriedJob> {
  return retryOnDeadlock(() =>
    db.transaction().execute(async (trx) => {
      await extendStatementTimeout(trx, '30min');
      await lockJob(trx, key);
      const failedRows = await deleteJobPredictions(trx, key, true);
      const deleted = failedRows.length;
      if (deleted > 0) {
        await sql`
          UPDATE predictionstatus
             SET status = 'pending', claimed_by = NULL
           WHERE model_id = ${key.model_id} AND prompt_id = ${key.prompt_id}
             AND row_id = ANY(${failedRows}::int[])`.execute(trx);
        await sql`
          UPDATE modelpromptstatus
             SET count       = greatest(coalesce(count, 0) - ${deleted}::int, 0),
                 failed      = greatest(failed - ${deleted}::int, 0),
                 status      = 'running',
                 finished_at = NULL,
                 updated_at  = now()
           WHERE model_id = ${key.model_id} AND prompt_id = ${key.prompt_id}
             AND dataset_id = ${key.dataset_id}`.execute(trx);
      }
      const job = await getJob(trx, key);
      if (!job) throw new NotFoundError(`job ${formatJobKey(key)}`);
      return { reset: deleted, job };
    }),
  );
}
