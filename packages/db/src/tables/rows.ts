import type { Generated, Selectable } from 'kysely';

export interface RowsTable {
  row_id: Generated<number>;
  dataset_id: number | null;
  content: string;
  /** The gold label. */
  expected_prediction: string;
}

export type Row = Selectable<RowsTable>;
