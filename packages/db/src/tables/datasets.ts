import type { ColumnType, Generated, Selectable } from 'kysely';

export interface DatasetsTable {
  dataset_id: Generated<number>;
  name: string;
  description: string | null;
  created_at: Generated<Date>;
  /** Rows in the dataset, kept by statement-level triggers on `rows` (0005). */
  row_count: Generated<number>;
  /** Assertions of jobs launched without their own; null: the default, equals. */
  default_assertions: ColumnType<unknown, string | null | undefined, string | null>;
  default_threshold: number | null;
}

export type Dataset = Selectable<DatasetsTable>;
