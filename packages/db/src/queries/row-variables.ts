import { sql, type Kysely } from 'kysely';
import type { Database } from '../database.js';

export interface VariableCoverage {
  /** Rows in the dataset. */
  rows: number;
  /** For each variable asked about, how many rows lack it. */
  lacking: Map<string, number>;
}

/**
 * How many rows of a dataset lack each of `variables` (dotted paths into rows.input,
 * e.g. `meta.lang`), in one scan of the dataset's rows whatever the number of variables.
 * A path is present when `input #> path` finds a value (JSON null included), the same
 * rule the template engine renders by (packages/providers/src/template/row-variables.ts).
 */
export async function countRowsLackingVariables(
  db: Kysely<Database>,
  datasetId: number,
  variables: readonly string[],
): Promise<VariableCoverage> {
  const counts = variables.map(
    (variable) =>
      sql<number>`count(*) FILTER (WHERE input #> ${variable.split('.')}::text[] IS NULL)::int`,
  );
  const result = await sql<{ rows: number; lacking: number[] }>`
    SELECT count(*)::int AS rows,
           ARRAY[${counts.length === 0 ? sql`` : sql.join(counts)}]::int[] AS lacking
      FROM rows
     WHERE dataset_id = ${datasetId}`.execute(db);
  const row = result.rows[0] ?? { rows: 0, lacking: [] };
  return {
    rows: row.rows,
    lacking: new Map(variables.map((variable, i) => [variable, row.lacking[i] ?? 0])),
  };
}
