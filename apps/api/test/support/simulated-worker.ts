import type { JobKey } from '@evalq/core';
import type { TestDatabase } from '@evalq/testing';

const WORKER = 'test-worker';

/**
 * Claims up to `count` pending rows of a job the way a worker does (status
 * in_progress, fenced by claimed_by and attempt). Returns the claimed row ids.
 */
export async function claimRows(t: TestDatabase, key: JobKey, count: number): Promise<number[]> {
  const claimed = await t.query<{ row_id: number }>(
    `WITH c AS (
       SELECT row_id FROM predictionstatus
        WHERE model_id = $1 AND prompt_id = $2 AND dataset_id = $3 AND status = 'pending'
        ORDER BY row_id LIMIT $4 FOR UPDATE SKIP LOCKED
     )
     UPDATE predictionstatus ps
        SET status = 'in_progress', claimed_by = $5, attempt = ps.attempt + 1
       FROM c
      WHERE ps.row_id = c.row_id AND ps.model_id = $1 AND ps.prompt_id = $2
     RETURNING ps.row_id`,
    [key.model_id, key.prompt_id, key.dataset_id, count, WORKER],
  );
  return claimed.map((row) => row.row_id).sort((a, b) => a - b);
}

export interface FinishOptions {
  outcome?: 'success' | 'failed';
  /** The model's answer per row; by default the row's gold label (a correct answer). */
  answer?: (row: { row_id: number; expected_prediction: string }) => string;
  promptTokens?: number | null;
  seconds?: number;
}

/**
 * Stores predictions for claimed rows as a worker's finish does: in one statement that
 * marks the rows done (where the fence still matches) and inserts their predictions,
 * ON CONFLICT DO NOTHING. The documented triggers count them on the job.
 */
export async function finishRows(
  t: TestDatabase,
  key: JobKey,
  rowIds: number[],
  options: FinishOptions = {},
): Promise<number> {
  if (rowIds.length === 0) return 0;
  const rows = await t.query<{ row_id: number; expected_prediction: string }>(
    'SELECT row_id, expected_prediction FROM rows WHERE row_id = ANY($1::int[]) ORDER BY row_id',
    [rowIds],
  );
  const outcome = options.outcome ?? 'success';
  const answers = rows.map((row) =>
    outcome === 'failed' ? '' : (options.answer ?? ((r) => r.expected_prediction))(row),
  );
  const [result] = await t.query<{ n: number }>(
    `WITH input AS (
       SELECT * FROM unnest($1::int[], $2::text[]) AS i(row_id, prediction)
     ), fenced AS (
       UPDATE predictionstatus ps SET status = 'done'
         FROM input i
        WHERE ps.row_id = i.row_id AND ps.model_id = $3 AND ps.prompt_id = $4
          AND ps.status = 'in_progress' AND ps.claimed_by = $7
       RETURNING ps.row_id
     ), stored AS (
       INSERT INTO predictions (row_id, model_id, prompt_id, dataset_id, prediction,
                                prediction_time, status, formatted_prompt, error,
                                prompt_tokens, completion_tokens)
       SELECT i.row_id, $3, $4, $5, i.prediction, $8::float8, $6::text, 'Label: ' || r.content,
              CASE WHEN $6::text = 'failed' THEN 'HTTP 500 from provider' END, $9::int, $10::int
         FROM input i JOIN fenced f USING (row_id) JOIN rows r ON r.row_id = i.row_id
        ORDER BY i.row_id
       ON CONFLICT (row_id, model_id, prompt_id) DO NOTHING
       RETURNING 1
     )
     SELECT count(*)::int AS n FROM stored`,
    [
      rows.map((r) => r.row_id),
      answers,
      key.model_id,
      key.prompt_id,
      key.dataset_id,
      outcome,
      WORKER,
      options.seconds ?? 0.05,
      options.promptTokens ?? null,
      options.promptTokens == null ? null : 1,
    ],
  );
  return result?.n ?? 0;
}

/** Claims and finishes `count` rows in one go. */
export async function processRows(
  t: TestDatabase,
  key: JobKey,
  count: number,
  options: FinishOptions = {},
): Promise<number[]> {
  const claimed = await claimRows(t, key, count);
  await finishRows(t, key, claimed, options);
  return claimed;
}
