import { sql, type Kysely } from 'kysely';
import type { Database } from '../database.js';
import type { Candidate } from './paired-verdicts.js';

/** One candidate's side of a disagreeing row. */
export interface PairedSide {
  prediction_id: number;
  prediction: string;
  passed: boolean;
  score: number | null;
}

/** A row where exactly one of two candidates passed, with both outputs. */
export interface DisagreeingRow {
  row_id: number;
  content: string;
  expected_prediction: string;
  a: PairedSide;
  b: PairedSide;
}

export interface DisagreeingRowsPage {
  /** Only the rows A passes alone ('a'), or B alone ('b'); both kinds when absent. */
  only?: 'a' | 'b';
  /** Rows after this row id (the previous page's last). */
  afterRowId?: number;
  limit: number;
}

/**
 * The rows behind a comparison's a_only and b_only counts (packages/db/src/queries/
 * paired-verdicts.ts pairs them the same way: both graded successful predictions), in
 * row order, keyset-paginated on row_id: a page walks A's part of predictions_job_idx
 * from the cursor and looks B's prediction up in the same index.
 */
export async function disagreeingRows(
  db: Kysely<Database>,
  datasetId: number,
  a: Candidate,
  b: Candidate,
  page: DisagreeingRowsPage,
): Promise<DisagreeingRow[]> {
  const only =
    page.only === 'a'
      ? sql`AND pa.passed AND NOT pb.passed`
      : page.only === 'b'
        ? sql`AND pb.passed AND NOT pa.passed`
        : sql`AND pa.passed <> pb.passed`;
  const result = await sql<DisagreeingRow>`
    SELECT pa.row_id,
           r.content,
           r.expected_prediction,
           json_build_object('prediction_id', pa.prediction_id, 'prediction', pa.prediction,
                             'passed', pa.passed, 'score', pa.score) AS a,
           json_build_object('prediction_id', pb.prediction_id, 'prediction', pb.prediction,
                             'passed', pb.passed, 'score', pb.score) AS b
      FROM predictions pa
      JOIN predictions pb
        ON pb.dataset_id = ${datasetId} AND pb.model_id = ${b.model_id}
       AND pb.prompt_id = ${b.prompt_id} AND pb.row_id = pa.row_id
      JOIN rows r ON r.row_id = pa.row_id
     WHERE pa.dataset_id = ${datasetId} AND pa.model_id = ${a.model_id}
       AND pa.prompt_id = ${a.prompt_id} AND pa.row_id > ${page.afterRowId ?? 0}
       AND pa.status = 'success' AND pa.passed IS NOT NULL
       AND pb.status = 'success' AND pb.passed IS NOT NULL
       ${only}
     ORDER BY pa.row_id
     LIMIT ${page.limit}`.execute(db);
  return result.rows;
}
