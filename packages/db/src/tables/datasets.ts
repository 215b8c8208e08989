import type { Generated, Selectable } from 'kysely';

export interface DatasetsTable {
  dataset_id: Generated<number>;
  name: string;
  description: string | null;
  created_at: Generated<Date>;
}

export type Dataset = Selectable<DatasetsTable>;
