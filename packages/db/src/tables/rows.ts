import type { ColumnType, Generated, Selectable } from 'kysely';

export interface RowsTable {
  row_id: Generated<number>;
  dataset_id: number | null;
  content: string;
  /** The gold label. */
  expected_prediction: string;
  /** The row's variables for templates beside content and expected (an object). */
  input: ColumnType<Record<string, unknown>, string | undefined, string>;
}

export type Row = Selectable<RowsTable>;
