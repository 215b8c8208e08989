import { sql, type Kysely } from 'kysely';
import type { Database } from '../database.js';

/**
 * The response cache (docs/cost.md): successful answers by request key, shared by every
 * worker. Only successful answers are ever written; the first answer for a key stays.
 */

export interface CachedAnswer {
  cache_key: Buffer;
  prediction: string;
  prompt_tokens: number | null;
  completion_tokens: number | null;
}

/** The stored answers among `keys` (one statement for a whole batch of lookups). */
export async function lookupCachedAnswers(
  db: Kysely<Database>,
  keys: readonly Buffer[],
): Promise<CachedAnswer[]> {
  if (keys.length === 0) return [];
  const result = await sql<CachedAnswer>`
    SELECT cache_key, prediction, prompt_tokens, completion_tokens
      FROM response_cache WHERE cache_key = ANY(${[...keys]}::bytea[])`.execute(db);
  return result.rows;
}

export interface AnswerToCache extends CachedAnswer {
  model_id: number;
}

/** Stores answers; a key already stored keeps its first answer. */
export async function storeCachedAnswers(
  db: Kysely<Database>,
  answers: readonly AnswerToCache[],
): Promise<void> {
  if (answers.length === 0) return;
  await sql`
    INSERT INTO response_cache (cache_key, model_id, prediction, prompt_tokens, completion_tokens)
    SELECT * FROM unnest(${answers.map((a) => a.cache_key)}::bytea[], ${answers.map((a) => a.model_id)}::int[],
                         ${answers.map((a) => a.prediction)}::text[], ${answers.map((a) => a.prompt_tokens)}::int[],
                         ${answers.map((a) => a.completion_tokens)}::int[])
     ORDER BY 1
    ON CONFLICT (cache_key) DO NOTHING`.execute(db);
}

export interface CacheFilter {
  model_id?: number;
  /** Only entries stored before this time. */
  older_than?: Date;
}

export interface CacheStats {
  entries: number;
  bytes: number;
  oldest: Date | null;
  newest: Date | null;
  by_model: { model_id: number | null; entries: number }[];
}

export async function cacheStats(
  db: Kysely<Database>,
  filter: CacheFilter = {},
): Promise<CacheStats> {
  const rows = await db
    .selectFrom('response_cache')
    .select((eb) => [
      'model_id',
      eb.fn.countAll<number>().as('entries'),
      sql<number>`coalesce(sum(octet_length(prediction)), 0)::bigint`.as('bytes'),
      eb.fn.min('created_at').as('oldest'),
      eb.fn.max('created_at').as('newest'),
    ])
    .$if(filter.model_id !== undefined, (q) => q.where('model_id', '=', filter.model_id!))
    .$if(filter.older_than !== undefined, (q) => q.where('created_at', '<', filter.older_than!))
    .groupBy('model_id')
    .orderBy('model_id')
    .execute();
  const times = (pick: (row: (typeof rows)[number]) => Date | null) =>
    rows
      .map(pick)
      .filter((t): t is Date => t !== null)
      .map((t) => new Date(t).getTime());
  const oldest = times((r) => r.oldest);
  const newest = times((r) => r.newest);
  return {
    entries: rows.reduce((sum, row) => sum + Number(row.entries), 0),
    bytes: rows.reduce((sum, row) => sum + Number(row.bytes), 0),
    oldest: oldest.length > 0 ? new Date(Math.min(...oldest)) : null,
    newest: newest.length > 0 ? new Date(Math.max(...newest)) : null,
    by_model: rows.map((row) => ({ model_id: row.model_id, entries: Number(row.entries) })),
  };
}

/** Deletes entries (all, or those of one model, or older than a time); returns how many. */
export async function clearCache(db: Kysely<Database>, filter: CacheFilter = {}): Promise<number> {
  const result = await db
    .deleteFrom('response_cache')
    .$if(filter.model_id !== undefined, (q) => q.where('model_id', '=', filter.model_id!))
    .$if(filter.older_than !== undefined, (q) => q.where('created_at', '<', filter.older_than!))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
