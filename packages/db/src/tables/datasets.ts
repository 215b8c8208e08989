import type { Generated, Selectable } from 'kysely';

export interface DatasetsTable {
  dataset_id: Generated<number>;
  name: string;
  description: string | null;
  created_at: Generated<Date>;
  /** Rows in the dataset, kept by statement-level triggers on `rows` (0005). */
  row_count: Generated<number>;
}

export type Dataset = Selectable<DatasetsTable>;
