import { sql, type Kysely } from 'kysely';
import type { Database } from '../database.js';

/** One candidate of a comparison: a model × prompt on the compared dataset. */
export interface Candidate {
  model_id: number;
  prompt_id: number;
}

/** The pairs whose score difference is `diff`, by which of the two passed. */
export interface PairedVerdictGroup {
  diff: number;
  both: number;
  a_only: number;
  b_only: number;
  neither: number;
}

/**
 * Two candidates' verdicts on the rows where both have a graded successful prediction,
 * in one pass over the pairs (a merge of the two jobs' index ranges), grouped by the
 * score difference: a compact result (three groups for pass/fail scores) from which
 * the counts and the bootstrap of the mean difference follow.
 */
export async function pairedVerdicts(
  db: Kysely<Database>,
  datasetId: number,
  a: Candidate,
  b: Candidate,
): Promise<PairedVerdictGroup[]> {
  const result = await sql<PairedVerdictGroup>`
    SELECT pa.score - pb.score                                        AS diff,
           count(*) FILTER (WHERE pa.passed AND pb.passed)::int       AS both,
           count(*) FILTER (WHERE pa.passed AND NOT pb.passed)::int   AS a_only,
           count(*) FILTER (WHERE NOT pa.passed AND pb.passed)::int   AS b_only,
           count(*) FILTER (WHERE NOT pa.passed AND NOT pb.passed)::int AS neither
      FROM predictions pa
      JOIN predictions pb
        ON pb.dataset_id = ${datasetId} AND pb.model_id = ${b.model_id}
       AND pb.prompt_id = ${b.prompt_id} AND pb.row_id = pa.row_id
     WHERE pa.dataset_id = ${datasetId} AND pa.model_id = ${a.model_id}
       AND pa.prompt_id = ${a.prompt_id}
       AND pa.status = 'success' AND pa.passed IS NOT NULL
       AND pb.status = 'success' AND pb.passed IS NOT NULL
     GROUP BY 1`.execute(db);
  return result.rows;
}
