import type { Generated } from 'kysely';

export type RowStatus = 'pending' | 'in_progress' | 'done';

/** `predictionstatus`: one row per (row, model, prompt) of a job; the unit workers claim. */
export interface PredictionStatusTable {
  row_id: number;
  model_id: number;
  prompt_id: number;
  dataset_id: number | null;
  status: RowStatus;
  /** Last heartbeat of the claim (stamped by the before_update trigger). */
  in_progress_time: Date | null;
  /** Fencing token, part 1: the worker that holds the claim. */
  claimed_by: string | null;
  /** Fencing token, part 2: bumped by every claim. */
  attempt: Generated<number>;
}
