import { sql, type Kysely } from 'kysely';
import type { Database } from '../database.js';
import type { PredictionOutcome } from '../tables/predictions.js';
import type { Candidate } from './paired-verdicts.js';

/** Longer texts are cut in a grid cell; the whole prediction is one GET /v1/predictions/:id away. */
export const GRID_TEXT_LIMIT = 1_000;

/** One candidate's prediction for one row, its output cut to GRID_TEXT_LIMIT characters. */
export interface GridCell {
  prediction_id: number;
  status: PredictionOutcome;
  prediction: string;
  prediction_truncated: boolean;
  passed: boolean | null;
  score: number | null;
  error: string | null;
}

/** A dataset row with each candidate's prediction, in the order the candidates were given. */
export interface GridRow {
  row_id: number;
  content: string;
  content_truncated: boolean;
  expected_prediction: string;
  /** null where the candidate has no prediction for the row (yet). */
  cells: (GridCell | null)[];
}

/**
 * A page of a dataset's rows × candidates in one statement: the page's rows (keyset on
 * row_id, rows_dataset_idx), each crossed with the candidates and looked up in
 * predictions_job_idx, aggregated back into one line per row (no candidates: the rows
 * with no cells).
 */
export async function predictionGrid(
  db: Kysely<Database>,
  datasetId: number,
  candidates: readonly Candidate[],
  page: { afterRowId?: number; limit: number },
): Promise<GridRow[]> {
  const models = candidates.map((c) => c.model_id);
  const prompts = candidates.map((c) => c.prompt_id);
  const result = await sql<GridRow>`
    WITH page AS (
      SELECT row_id, content, expected_prediction
        FROM rows
       WHERE dataset_id = ${datasetId} AND row_id > ${page.afterRowId ?? 0}
       ORDER BY row_id
       LIMIT ${page.limit}
    )
    SELECT page.row_id,
           left(page.content, ${GRID_TEXT_LIMIT}) AS content,
           length(page.content) > ${GRID_TEXT_LIMIT} AS content_truncated,
           page.expected_prediction,
           coalesce(json_agg(
             CASE WHEN p.prediction_id IS NULL THEN NULL ELSE json_build_object(
               'prediction_id', p.prediction_id,
               'status', p.status,
               'prediction', left(p.prediction, ${GRID_TEXT_LIMIT}),
               'prediction_truncated', length(p.prediction) > ${GRID_TEXT_LIMIT},
               'passed', p.passed,
               'score', p.score,
               'error', left(p.error, ${GRID_TEXT_LIMIT})) END
             ORDER BY c.ord) FILTER (WHERE c.ord IS NOT NULL), '[]') AS cells
      FROM page
      LEFT JOIN unnest(${models}::int[], ${prompts}::int[]) WITH ORDINALITY
           AS c(model_id, prompt_id, ord) ON true
      LEFT JOIN predictions p
        ON p.dataset_id = ${datasetId} AND p.model_id = c.model_id
       AND p.prompt_id = c.prompt_id AND p.row_id = page.row_id
     GROUP BY page.row_id, page.content, page.expected_prediction
     ORDER BY page.row_id`.execute(db);
  return result.rows;
}

/** The first `limit` jobs over a dataset as candidates, by model then prompt. */
export async function datasetCandidates(
  db: Kysely<Database>,
  datasetId: number,
  limit: number,
): Promise<Candidate[]> {
  return db
    .selectFrom('modelpromptstatus')
    .select(['model_id', 'prompt_id'])
    .where('dataset_id', '=', datasetId)
    .orderBy('model_id')
    .orderBy('prompt_id')
    .limit(limit)
    .execute();
}
