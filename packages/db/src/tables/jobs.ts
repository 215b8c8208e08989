import type { ColumnType, Generated } from 'kysely';

export type JobStatus = 'pending' | 'running' | 'paused' | 'done';

/** Why a job is paused (docs/cost.md): its budget is reached, or its model cannot be called. */
export type PausedReason = 'budget' | 'provider';

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
  /** Successful predictions that passed (docs/grading.md). */
  correct: Generated<number>;
  /** Successful predictions without a verdict (a judge failed or answered unreadably). */
  ungraded: Generated<number>;
  /** How predictions are graded: a list of assertions (packages/grading). */
  assertions: ColumnType<unknown, string | undefined, string>;
  threshold: number | null;
  /** Bumped by each regrade request. */
  grading_version: Generated<number>;
  /** Successful predictions graded under an older grading_version. */
  regrade_remaining: Generated<number>;
  created_at: Generated<Date>;
  started_at: Date | null;
  updated_at: Generated<Date>;
  finished_at: Date | null;
  /** Sum of its predictions' costs (docs/cost.md); null until a priced one is stored. */
  spent_usd: number | null;
  /** Tokens its calls used (cache hits used none). */
  spent_tokens: Generated<number>;
  /** Predictions answered from the response cache. */
  cached_hits: Generated<number>;
  max_call_cost_usd: Generated<number>;
  max_call_tokens: Generated<number>;
  /** The job's own budget. */
  max_cost_usd: number | null;
  max_tokens: number | null;
  /** Reads and writes the response cache. */
  cache: Generated<boolean>;
  paused_reason: PausedReason | null;
  paused_message: string | null;
  provider_failures: Generated<number>;
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
