import { sql, type Kysely } from 'kysely';
import type { Database } from '../database.js';
import type { JobStatus } from '../tables/jobs.js';

export interface LeaderboardEntry {
  model_id: number;
  prompt_id: number;
  model_name: string;
  prompt_text: string;
  status: JobStatus;
  total: number;
  /** Rows processed (succeeded + failed). */
  processed: number;
  succeeded: number;
  failed: number;
  /** Successful predictions that passed. */
  passed: number;
  /** Successful predictions without a verdict. */
  ungraded: number;
  /** Mean score of the graded successful predictions; null when there are none. */
  mean_score: number | null;
  regrade_remaining: number;
  /** Seconds per successful call. Null until a call has succeeded. */
  latency_p50_s: number | null;
  latency_p95_s: number | null;
  /** Summed over predictions whose provider reported them; null when none did. */
  prompt_tokens: number | null;
  completion_tokens: number | null;
  /** The job's spend (docs/cost.md): null when its model has no price. */
  cost_usd: number | null;
  spent_tokens: number;
  /** Predictions answered from the response cache. */
  cached_hits: number;
}

/**
 * Per model × prompt over one dataset, best pass rate first. Counts come from the job
 * counters (O(1) per job); latency percentiles, token sums and the mean score read the
 * job's successful predictions through predictions_job_idx.
 */
export async function datasetLeaderboard(
  db: Kysely<Database>,
  datasetId: number,
): Promise<LeaderboardEntry[]> {
  const result = await sql<LeaderboardEntry>`
    SELECT j.model_id,
           j.prompt_id,
           m.name                           AS model_name,
           pr.text                          AS prompt_text,
           j.status,
           j.total,
           coalesce(j.count, 0)             AS processed,
           coalesce(j.count, 0) - j.failed  AS succeeded,
           j.failed,
           j.correct                        AS passed,
           j.ungraded,
           s.mean_score,
           j.regrade_remaining,
           s.p50                            AS latency_p50_s,
           s.p95                            AS latency_p95_s,
           s.prompt_tokens,
           s.completion_tokens,
           j.spent_usd                      AS cost_usd,
           j.spent_tokens,
           j.cached_hits
      FROM modelpromptstatus j
      JOIN models m   ON m.model_id = j.model_id
      JOIN prompts pr ON pr.prompt_id = j.prompt_id
      LEFT JOIN LATERAL (
        SELECT percentile_cont(0.5)  WITHIN GROUP (ORDER BY p.prediction_time) AS p50,
               percentile_cont(0.95) WITHIN GROUP (ORDER BY p.prediction_time) AS p95,
               sum(p.prompt_tokens)                                            AS prompt_tokens,
               sum(p.completion_tokens)                                        AS completion_tokens,
               avg(p.score) FILTER (WHERE p.passed IS NOT NULL)                AS mean_score
          FROM predictions p
         WHERE p.dataset_id = j.dataset_id AND p.model_id = j.model_id
           AND p.prompt_id = j.prompt_id AND p.status = 'success'
      ) s ON true
     WHERE j.dataset_id = ${datasetId}
     ORDER BY CASE WHEN coalesce(j.count, 0) - j.failed - j.ungraded > 0
                   THEN j.correct::float8 / (coalesce(j.count, 0) - j.failed - j.ungraded) END
                   DESC NULLS LAST,
              processed DESC, j.model_id, j.prompt_id`.execute(db);
  return result.rows;
}
