import { sql, type Kysely, type SqlBool } from 'kysely';
import { ConflictError, NotFoundError } from '@evalq/core';
import type { Database } from '../database.js';
import type { Model } from '../tables/models.js';
import { retryOnDeadlock } from '../transaction-retry.js';
import { describeReferences } from './references.js';

export interface NewModel {
  name: string;
  source: string;
  library?: string;
  description?: string | null;
  /** Already validated by the caller (modelConfigSchema). */
  config?: Record<string, unknown>;
}

export type ModelChanges = Partial<NewModel>;

export async function createModel(db: Kysely<Database>, input: NewModel): Promise<Model> {
  return db
    .insertInto('models')
    .values({
      name: input.name,
      source: input.source,
      library: input.library,
      description: input.description ?? null,
      config: JSON.stringify(input.config ?? {}),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function listModels(
  db: Kysely<Database>,
  page: { after?: number; limit: number; name?: string },
): Promise<Model[]> {
  return db
    .selectFrom('models')
    .selectAll()
    .$if(page.name !== undefined, (q) => q.where('name', '=', page.name!))
    .$if(page.after !== undefined, (q) => q.where('model_id', '>', page.after!))
    .orderBy('model_id')
    .limit(page.limit)
    .execute();
}

export async function getModel(db: Kysely<Database>, modelId: number): Promise<Model | undefined> {
  return db.selectFrom('models').selectAll().where('model_id', '=', modelId).executeTakeFirst();
}

/**
 * Applies a partial update. `check` sees the model as it would be after the change,
 * inside the transaction, so a change that leaves it unrunnable is refused whole.
 */
export async function updateModel(
  db: Kysely<Database>,
  modelId: number,
  changes: ModelChanges,
  check: (next: Model) => void = () => undefined,
): Promise<Model> {
  return db.transaction().execute(async (trx) => {
    const current = await trx
      .selectFrom('models')
      .selectAll()
      .where('model_id', '=', modelId)
      .forUpdate()
      .executeTakeFirst();
    if (!current) throw new NotFoundError(`model ${modelId}`);
    const next: Model = {
      ...current,
      ...(changes.name !== undefined && { name: changes.name }),
      ...(changes.source !== undefined && { source: changes.source }),
      ...(changes.library !== undefined && { library: changes.library }),
      ...(changes.description !== undefined && { description: changes.description }),
      ...(changes.config !== undefined && { config: changes.config }),
    };
    check(next);
    return trx
      .updateTable('models')
      .set({
        name: next.name,
        source: next.source,
        library: next.library,
        description: next.description,
        config: JSON.stringify(next.config),
      })
      .where('model_id', '=', modelId)
      .returningAll()
      .executeTakeFirstOrThrow();
  });
}

/** Deletes a model nothing refers to; a model used by jobs or bound prompts is kept (409). */
const judgedBy = (modelId: number) => JSON.stringify([{ type: 'llm-judge', model_id: modelId }]);

export async function deleteModel(db: Kysely<Database>, modelId: number): Promise<void> {
  await retryOnDeadlock(() =>
    db.transaction().execute(async (trx) => {
      const found = await trx
        .selectFrom('models')
        .select('model_id')
        .where('model_id', '=', modelId)
        .forUpdate()
        .executeTakeFirst();
      if (!found) throw new NotFoundError(`model ${modelId}`);
      const counts = await trx
        .selectNoFrom((eb) => [
          eb
            .selectFrom('modelpromptstatus')
            .select(eb.fn.countAll<number>().as('n'))
            .where('model_id', '=', modelId)
            .as('jobs'),
          eb
            .selectFrom('prompts')
            .select(eb.fn.countAll<number>().as('n'))
            .where('model_id', '=', modelId)
            .as('prompts'),
          // Jobs and dataset defaults that call it as an llm-judge (docs/grading.md).
          eb
            .selectFrom('modelpromptstatus')
            .select(eb.fn.countAll<number>().as('n'))
            .where(sql<SqlBool>`assertions @> ${judgedBy(modelId)}::jsonb`)
            .as('judged jobs'),
          eb
            .selectFrom('datasets')
            .select(eb.fn.countAll<number>().as('n'))
            .where(sql<SqlBool>`default_assertions @> ${judgedBy(modelId)}::jsonb`)
            .as('dataset defaults'),
        ])
        .executeTakeFirstOrThrow();
      const references = describeReferences(counts);
      if (references) {
        throw new ConflictError(
          `model ${modelId} is still used by ${references}: cancel its jobs, delete the prompts bound to it and stop judging with it first`,
          { details: counts },
        );
      }
      await trx.deleteFrom('models').where('model_id', '=', modelId).execute();
    }),
  );
}

/** Models' names by id, and nothing else of them (for pages that must not show config). */
export async function modelNames(
  db: Kysely<Database>,
  modelIds: readonly number[],
): Promise<Map<number, string>> {
  if (modelIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('models')
    .select(['model_id', 'name'])
    .where('model_id', 'in', [...modelIds])
    .execute();
  return new Map(rows.map((row) => [row.model_id, row.name]));
}
