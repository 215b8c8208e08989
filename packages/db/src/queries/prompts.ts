import type { Kysely } from 'kysely';
import { ConflictError, NotFoundError } from '@evalq/core';
import type { Database } from '../database.js';
import type { Prompt } from '../tables/prompts.js';
import { retryOnDeadlock } from '../transaction-retry.js';
import { describeReferences } from './references.js';

export interface NewPrompt {
  text: string;
  /** Binds the prompt to one model; null or absent means any model may use it. */
  model_id?: number | null;
}

export async function createPrompt(db: Kysely<Database>, input: NewPrompt): Promise<Prompt> {
  return db.transaction().execute(async (trx) => {
    if (input.model_id != null) {
      // KEY SHARE, as the foreign key would take: the model cannot vanish before we commit.
      const model = await trx
        .selectFrom('models')
        .select('model_id')
        .where('model_id', '=', input.model_id)
        .forKeyShare()
        .executeTakeFirst();
      if (!model) {
        throw new NotFoundError(`model ${input.model_id}`, {
          details: [{ path: 'model_id', message: `no model has id ${input.model_id}` }],
        });
      }
    }
    return trx
      .insertInto('prompts')
      .values({ text: input.text, model_id: input.model_id ?? null })
      .returningAll()
      .executeTakeFirstOrThrow();
  });
}

export async function listPrompts(
  db: Kysely<Database>,
  filter: { model_id?: number },
  page: { after?: number; limit: number },
): Promise<Prompt[]> {
  return db
    .selectFrom('prompts')
    .selectAll()
    .$if(filter.model_id !== undefined, (q) => q.where('model_id', '=', filter.model_id!))
    .$if(page.after !== undefined, (q) => q.where('prompt_id', '>', page.after!))
    .orderBy('prompt_id')
    .limit(page.limit)
    .execute();
}

export async function getPrompt(
  db: Kysely<Database>,
  promptId: number,
): Promise<Prompt | undefined> {
  return db.selectFrom('prompts').selectAll().where('prompt_id', '=', promptId).executeTakeFirst();
}

/** Deletes a prompt no job uses; one that jobs use is kept (409). */
export async function deletePrompt(db: Kysely<Database>, promptId: number): Promise<void> {
  await retryOnDeadlock(() =>
    db.transaction().execute(async (trx) => {
      const found = await trx
        .selectFrom('prompts')
        .select('prompt_id')
        .where('prompt_id', '=', promptId)
        .forUpdate()
        .executeTakeFirst();
      if (!found) throw new NotFoundError(`prompt ${promptId}`);
      const counts = await trx
        .selectNoFrom((eb) => [
          eb
            .selectFrom('modelpromptstatus')
            .select(eb.fn.countAll<number>().as('n'))
            .where('prompt_id', '=', promptId)
            .as('jobs'),
        ])
        .executeTakeFirstOrThrow();
      const references = describeReferences(counts);
      if (references) {
        throw new ConflictError(
          `prompt ${promptId} is still used by ${references}: cancel those jobs first`,
          { details: counts },
        );
      }
      await trx.deleteFrom('prompts').where('prompt_id', '=', promptId).execute();
    }),
  );
}
