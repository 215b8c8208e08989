import type { Generated } from 'kysely';

export type JobStatus = 'pending' | 'running' | 'done';

/** `modelpromptstatus`: one row per job (model × prompt × dataset). Counters are kept by triggers. */
export interface ModelPromptStatusTable {
  model_id: number;
  prompt_id: number;
  dataset_id: number;
  status: JobStatus;
  /** Rows processed (documented), failed ones included. */
  count: Generated<number | null>;
  /** Rows the job covers, fixed at launch by the seeding trigger. */
  total: Generated<number>;
  failed: Generated<number>;
  correct: Generated<number>;
  created_at: Generated<Date>;
  started_at: Date | null;
  updated_at: Generated<Date>;
  finished_at: Date | null;
}

export interface StatusUpdateLogTable {
  id: Generated<number>;
  model_id: number | null;
  prompt_id: number | null;
  dataset_id: number | null;
  status: string | null;
  previous_status: string | null;
  updated_at: Generated<Date | null>;
}
