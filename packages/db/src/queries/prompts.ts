import { sql, type Kysely } from 'kysely';
import { ConflictError, NotFoundError, ValidationError } from '@evalq/core';
import type { Database } from '../database.js';
import type {
  Prompt,
  PromptModelDefaults,
  PromptType,
  StoredChatMessage,
} from '../tables/prompts.js';
import { retryOnDeadlock } from '../transaction-retry.js';
import { assignPromptLabels, nextPromptVersion } from './prompt-labels.js';
import { describeReferences } from './references.js';

export interface NewPrompt {
  /** The template; for a chat prompt, its messages joined readably. */
  text: string;
  /** Binds the prompt to one model; null or absent means any model may use it. */
  model_id?: number | null;
  /** Versions of a name are numbered 1, 2, …; without a name the prompt is unversioned. */
  name?: string | null;
  type?: PromptType;
  messages?: StoredChatMessage[] | null;
  /** Moved to this new version from whichever version of the name held them. */
  labels?: string[];
  commit_message?: string | null;
  model_defaults?: PromptModelDefaults;
}

/**
 * Stores a prompt. With a name, it becomes the name's next version (nextPromptVersion:
 * concurrent creations of one name get 1, 2, 3, …; the unique key (name, version) is
 * the backstop), and its labels move to it in the same transaction.
 */
export async function createPrompt(db: Kysely<Database>, input: NewPrompt): Promise<Prompt> {
  return retryOnDeadlock(() =>
    db.transaction().execute(async (trx) => {
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
      const name = input.name ?? null;
      let version: number | null = null;
      if (name !== null) {
        version = await nextPromptVersion(trx, name);
      } else if ((input.labels ?? []).length > 0) {
        throw new ValidationError('labels need a named prompt: give the prompt a name', [
          { path: 'labels', message: 'only a named prompt can hold labels' },
        ]);
      }
      const created = await trx
        .insertInto('prompts')
        .values({
          text: input.text,
          model_id: input.model_id ?? null,
          name,
          version,
          type: input.type ?? 'text',
          messages: input.messages ? JSON.stringify(input.messages) : null,
          commit_message: input.commit_message ?? null,
          model_defaults: JSON.stringify(input.model_defaults ?? {}),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      if (name === null || (input.labels ?? []).length === 0) return created;
      return assignPromptLabels(trx, created, { add: input.labels ?? [], remove: [] });
    }),
  );
}

export async function listPrompts(
  db: Kysely<Database>,
  filter: { model_id?: number; name?: string },
  page: { after?: number; limit: number },
): Promise<Prompt[]> {
  return db
    .selectFrom('prompts')
    .selectAll()
    .$if(filter.model_id !== undefined, (q) => q.where('model_id', '=', filter.model_id!))
    .$if(filter.name !== undefined, (q) => q.where('name', '=', filter.name!))
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

/** Prompts by id, in no particular order; ids that do not exist are left out. */
export async function getPrompts(
  db: Kysely<Database>,
  promptIds: readonly number[],
): Promise<Prompt[]> {
  if (promptIds.length === 0) return [];
  return db
    .selectFrom('prompts')
    .selectAll()
    .where('prompt_id', 'in', [...promptIds])
    .execute();
}

/** One version of a name: the one holding `label`, number `version`, or else the latest. */
export async function resolvePrompt(
  db: Kysely<Database>,
  name: string,
  by: { label?: string; version?: number },
): Promise<Prompt | undefined> {
  return db
    .selectFrom('prompts')
    .selectAll()
    .where('name', '=', name)
    .$if(by.version !== undefined, (q) => q.where('version', '=', by.version!))
    .$if(by.label !== undefined, (q) =>
      q.where(sql<boolean>`labels @> ARRAY[${by.label!}]::text[]`),
    )
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
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
