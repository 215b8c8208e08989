import { sql, type Kysely } from 'kysely';
import type { Database } from '../database.js';

export interface ModelSpend {
  model_id: number;
  /** Null when none of its jobs has a priced prediction. */
  spent_usd: number | null;
  spent_tokens: number;
  cached_hits: number;
  /** Predictions of its jobs that use the response cache (the hit rate's denominator). */
  cache_lookups: number;
}

/** Spend and cache use per model, from the job counters: O(jobs). */
export async function spendByModel(db: Kysely<Database>): Promise<ModelSpend[]> {
  const result = await sql<ModelSpend>`
    SELECT model_id,
           sum(spent_usd)                                              AS spent_usd,
           coalesce(sum(spent_tokens), 0)::bigint                      AS spent_tokens,
           coalesce(sum(cached_hits), 0)::bigint                       AS cached_hits,
           coalesce(sum(coalesce(count, 0)) FILTER (WHERE cache), 0)::bigint AS cache_lookups
      FROM modelpromptstatus
     GROUP BY model_id
     ORDER BY model_id`.execute(db);
  return result.rows;
}

/** Paused jobs by reason (budget, provider). */
export async function pausedJobCounts(
  db: Kysely<Database>,
): Promise<{ reason: string; jobs: number }[]> {
  const result = await sql<{ reason: string; jobs: number }>`
    SELECT coalesce(paused_reason, 'unknown') AS reason, count(*)::int AS jobs
      FROM modelpromptstatus WHERE status = 'paused'
     GROUP BY 1`.execute(db);
  return result.rows;
}
