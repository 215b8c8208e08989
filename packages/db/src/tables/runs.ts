import type { ColumnType, Generated, Selectable } from 'kysely';

export type RunStatus = 'pending' | 'running' | 'completed' | 'paused' | 'canceled';

/** `runs`: an evaluation launched as a whole (every model × prompt job over a dataset). */
export interface RunsTable {
  id: Generated<string>;
  name: string | null;
  dataset_id: number;
  assertions: ColumnType<unknown[] | null, string | null, never>;
  threshold: number | null;
  created_at: Generated<Date>;
  canceled_at: Date | null;
  summary: ColumnType<unknown, string | null, string | null>;
  /** The state of the jobs `summary` was computed from. */
  summary_of: string | null;
  /** The run's budget over all its jobs (docs/cost.md). */
  max_cost_usd: number | null;
  max_tokens: number | null;
  /** Launched with the response cache. */
  cache: Generated<boolean>;
}

export type RunRow = Selectable<RunsTable>;

export interface RunJobsTable {
  run_id: string;
  model_id: number;
  prompt_id: number;
}

/** The view `run_progress`: a run's status and progress, derived from its jobs. */
export interface RunProgressView {
  run_id: string;
  total: number;
  done: number;
  failed: number;
  jobs: number;
  jobs_present: number;
  status: RunStatus;
  started_at: Date | null;
  completed_at: Date | null;
}

/** `run_share_links`: read-only links to a run; only the token's SHA-256 is kept. */
export interface RunShareLinksTable {
  token_hash: Buffer;
  run_id: string;
  created_at: Generated<Date>;
  expires_at: Date;
  revoked_at: Date | null;
}
