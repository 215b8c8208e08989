import { sql, type Kysely } from 'kysely';
import { NotFoundError, ValidationError } from '@evalq/core';
import type { Database } from '../database.js';
import type { Prompt } from '../tables/prompts.js';
import { retryOnDeadlock } from '../transaction-retry.js';

/**
 * Gives `name` its next version number, locking the name's prompt_names row until
 * commit: concurrent creations of one name wait for each other and get 1, 2, 3, …, and
 * a number is never given twice (not even after a version is deleted). Versions
 * written by plain SQL are taken into account.
 */
export async function nextPromptVersion(trx: Kysely<Database>, name: string): Promise<number> {
  const result = await sql<{ last_version: number }>`
    INSERT INTO prompt_names (name, last_version)
    VALUES (${name}, (SELECT coalesce(max(version), 0) + 1 FROM prompts WHERE name = ${name}))
    ON CONFLICT (name) DO UPDATE
       SET last_version = greatest(prompt_names.last_version,
                                   (SELECT coalesce(max(version), 0) FROM prompts WHERE name = ${name})) + 1
    RETURNING last_version`.execute(trx);
  return result.rows[0]!.last_version;
}

/** Locks `name` (its prompt_names row) until commit, as numbering a version does. */
async function lockPromptName(trx: Kysely<Database>, name: string): Promise<void> {
  await sql`
    INSERT INTO prompt_names (name, last_version)
    VALUES (${name}, (SELECT coalesce(max(version), 0) FROM prompts WHERE name = ${name}))
    ON CONFLICT (name) DO UPDATE SET last_version = prompt_names.last_version`.execute(trx);
}

export interface LabelChange {
  add: readonly string[];
  remove: readonly string[];
}

/**
 * The one place labels move: a label is held by one version of a name at a time, so
 * adding it to `prompt` takes it from whichever version held it. Runs inside the
 * caller's transaction, which must hold the name's lock (nextPromptVersion or
 * lockPromptName).
 */
export async function assignPromptLabels(
  trx: Kysely<Database>,
  prompt: Prompt,
  change: LabelChange,
): Promise<Prompt> {
  const add = [...new Set(change.add)];
  const remove = [...new Set(change.remove)];
  if (add.length > 0) {
    await sql`
      UPDATE prompts
         SET labels = array(SELECT l FROM unnest(labels) WITH ORDINALITY AS t(l, i)
                             WHERE l <> ALL(${add}::text[]) ORDER BY i)
       WHERE name = ${prompt.name} AND prompt_id <> ${prompt.prompt_id}
         AND labels && ${add}::text[]`.execute(trx);
  }
  const updated = await sql<Prompt>`
    UPDATE prompts
       SET labels = array(
             SELECT l FROM (
               SELECT l, i FROM unnest(labels) WITH ORDINALITY AS t(l, i)
                WHERE l <> ALL(${remove}::text[])
               UNION ALL
               SELECT l, 1000000 + i FROM unnest(${add}::text[]) WITH ORDINALITY AS a(l, i)
                WHERE NOT (l = ANY(labels))
             ) kept ORDER BY i)
     WHERE prompt_id = ${prompt.prompt_id}
    RETURNING *`.execute(trx);
  return updated.rows[0]!;
}

/**
 * Moves labels onto (add) or off (remove) one version of a named prompt, atomically:
 * no moment exists at which two versions of the name hold the same label.
 */
export async function movePromptLabels(
  db: Kysely<Database>,
  promptId: number,
  change: LabelChange,
): Promise<Prompt> {
  const both = change.add.filter((label) => change.remove.includes(label));
  if (both.length > 0) {
    throw new ValidationError(`label ${both[0]} is both added and removed: pick one`, [
      { path: 'body.add', message: `${both[0]} is also in remove` },
    ]);
  }
  return retryOnDeadlock(() =>
    db.transaction().execute(async (trx) => {
      const found = await trx
        .selectFrom('prompts')
        .select('name')
        .where('prompt_id', '=', promptId)
        .executeTakeFirst();
      if (!found) throw new NotFoundError(`prompt ${promptId}`);
      if (found.name === null) {
        throw new ValidationError(
          `prompt ${promptId} has no name, and labels belong to the versions of a name: create a named prompt`,
          [{ path: 'params.prompt_id', message: 'an unnamed prompt cannot hold labels' }],
        );
      }
      await lockPromptName(trx, found.name);
      const prompt = await trx
        .selectFrom('prompts')
        .selectAll()
        .where('prompt_id', '=', promptId)
        .executeTakeFirst();
      if (!prompt) throw new NotFoundError(`prompt ${promptId}`);
      return assignPromptLabels(trx, prompt, change);
    }),
  );
}
