import type { Kysely } from 'kysely';
import { ConflictError, NotFoundError } from '@evalq/core';
import type { Assertion } from '@evalq/grading';
import type { Database } from '../database.js';
import type { Dataset } from '../tables/datasets.js';
import { retryOnDeadlock } from '../transaction-retry.js';
import { checkJudgeModels } from './jobs.js';
import { extendStatementTimeout } from './statement-timeout.js';

export interface NewDataset {
  name: string;
  description?: string | null;
}

export async function createDataset(db: Kysely<Database>, input: NewDataset): Promise<Dataset> {
  return db
    .insertInto('datasets')
    .values({ name: input.name, description: input.description ?? null })
    .returningAll()
    .executeTakeFirstOrThrow();
}

interface Page {
  /** Return items after this id (keyset pagination). */
  after?: number;
  limit: number;
  /** Only those with exactly this name. */
  name?: string;
}

export async function listDatasets(db: Kysely<Database>, page: Page): Promise<Dataset[]> {
  return db
    .selectFrom('datasets')
    .selectAll()
    .$if(page.name !== undefined, (q) => q.where('name', '=', page.name!))
    .$if(page.after !== undefined, (q) => q.where('dataset_id', '>', page.after!))
    .orderBy('dataset_id')
    .limit(page.limit)
    .execute();
}

export async function getDataset(
  db: Kysely<Database>,
  datasetId: number,
): Promise<Dataset | undefined> {
  return db
    .selectFrom('datasets')
    .selectAll()
    .where('dataset_id', '=', datasetId)
    .executeTakeFirst();
}

export interface DeletedDataset {
  dataset_id: number;
  rows: number;
  jobs: number;
  predictions: number;
}

/**
 * Deletes a dataset with its finished jobs, their predictions and its rows, in one
 * transaction. Refused (409) while any of its jobs is pending or running: cancel
 * those first. The dataset row is locked first, so no job can be launched on it
 * while it is being deleted.
 */
export async function deleteDataset(
  db: Kysely<Database>,
  datasetId: number,
): Promise<DeletedDataset> {
  return retryOnDeadlock(() =>
    db.transaction().execute(async (trx) => {
      await extendStatementTimeout(trx, '30min');
      const dataset = await trx
        .selectFrom('datasets')
        .select(['dataset_id', 'row_count'])
        .where('dataset_id', '=', datasetId)
        .forUpdate()
        .executeTakeFirst();
      if (!dataset) throw new NotFoundError(`dataset ${datasetId}`);

      const unfinished = await trx
        .selectFrom('modelpromptstatus')
        .select(['model_id', 'prompt_id', 'dataset_id', 'status'])
        .where('dataset_id', '=', datasetId)
        .where('status', 'in', ['pending', 'running'])
        .orderBy('model_id')
        .orderBy('prompt_id')
        .execute();
      if (unfinished.length > 0) {
        const shown = unfinished
          .slice(0, 5)
          .map((job) => `${job.model_id}/${job.prompt_id}/${job.dataset_id} (${job.status})`)
          .join(', ');
        throw new ConflictError(
          `dataset ${datasetId} has ${unfinished.length} unfinished job(s): ${shown}` +
            `${unfinished.length > 5 ? ', …' : ''}. Cancel them (DELETE /v1/jobs/<model>/<prompt>/<dataset>) ` +
            'or wait until they are done, then delete the dataset.',
          { details: { unfinished_jobs: unfinished } },
        );
      }

      // The jobs first (the documented delete trigger takes their status rows), so the
      // predictions deleted next belong to no job and move no counter.
      const jobs = await trx
        .deleteFrom('modelpromptstatus')
        .where('dataset_id', '=', datasetId)
        .executeTakeFirst();
      // Predictions stored without a dataset_id (the column is nullable) still
      // reference this dataset's rows; they go too, or the rows could not be deleted.
      // Two statements, one per index path (an OR of both scans the whole table).
      const predictions = await trx
        .deleteFrom('predictions')
        .where('dataset_id', '=', datasetId)
        .executeTakeFirst();
      const predictionsWithoutDataset = await trx
        .deleteFrom('predictions')
        .where('dataset_id', 'is', null)
        .where('row_id', 'in', (eb) =>
          eb.selectFrom('rows').select('row_id').where('dataset_id', '=', datasetId),
        )
        .executeTakeFirst();
      await trx.deleteFrom('rows').where('dataset_id', '=', datasetId).execute();
      await trx.deleteFrom('datasets').where('dataset_id', '=', datasetId).execute();
      return {
        dataset_id: datasetId,
        rows: dataset.row_count,
        jobs: Number(jobs.numDeletedRows),
        predictions:
          Number(predictions.numDeletedRows) + Number(predictionsWithoutDataset.numDeletedRows),
      };
    }),
  );
}

export interface DatasetChanges {
  name?: string;
  description?: string | null;
  /** Validated already; null goes back to the default (equals). */
  default_assertions?: Assertion[] | null;
  default_threshold?: number | null;
}

/**
 * Changes a dataset's name, description or grading defaults. Jobs launched before keep
 * the assertions they were launched with (regrade one to apply new ones).
 */
export async function updateDataset(
  db: Kysely<Database>,
  datasetId: number,
  changes: DatasetChanges,
  options: { assertionsPath?: string } = {},
): Promise<Dataset> {
  return db.transaction().execute(async (trx) => {
    if (changes.default_assertions) {
      await checkJudgeModels(
        trx,
        changes.default_assertions,
        options.assertionsPath ?? 'default_assertions',
      );
    }
    const { default_assertions: defaults, ...rest } = changes;
    const updated = await trx
      .updateTable('datasets')
      .set({
        ...rest,
        ...(defaults === undefined
          ? {}
          : { default_assertions: defaults === null ? null : JSON.stringify(defaults) }),
      })
      .where('dataset_id', '=', datasetId)
      .returningAll()
      .executeTakeFirst();
    if (!updated) throw new NotFoundError(`dataset ${datasetId}`);
    return updated;
  });
}
