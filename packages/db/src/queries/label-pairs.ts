import { sql, type Kysely } from 'kysely';
import type { Database } from '../database.js';
import type { Candidate } from './paired-verdicts.js';

export interface RawLabelPair {
  expected: string;
  predicted: string;
  count: number;
}

/**
 * How often each (gold label, output) pair occurs among one candidate's successful
 * predictions, as stored: the caller normalizes labels (packages/grading's
 * normalizeLabel, the rule `equals` uses) and merges. Returns at most `limit` pairs,
 * most frequent first; more mean the outputs are free text, not labels.
 */
export async function labelPairs(
  db: Kysely<Database>,
  datasetId: number,
  candidate: Candidate,
  limit: number,
): Promise<RawLabelPair[]> {
  const result = await sql<RawLabelPair>`
    SELECT r.expected_prediction AS expected, p.prediction AS predicted, count(*)::int AS count
      FROM predictions p
      JOIN rows r ON r.row_id = p.row_id
     WHERE p.dataset_id = ${datasetId} AND p.model_id = ${candidate.model_id}
       AND p.prompt_id = ${candidate.prompt_id} AND p.status = 'success'
     GROUP BY 1, 2
     ORDER BY 3 DESC, 1, 2
     LIMIT ${limit}`.execute(db);
  return result.rows;
}

/** The distinct gold labels of a dataset, up to `limit` of them. */
export async function datasetLabels(
  db: Kysely<Database>,
  datasetId: number,
  limit: number,
): Promise<string[]> {
  const result = await sql<{ label: string }>`
    SELECT DISTINCT expected_prediction AS label FROM rows
     WHERE dataset_id = ${datasetId} LIMIT ${limit}`.execute(db);
  return result.rows.map((row) => row.label);
}
