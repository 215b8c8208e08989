import type { JobStatus } from '@evalq/db';

/** What a job (or a leaderboard entry) cost, as the API shows it (docs/cost.md). */
export interface SpendFields {
  spent_usd: number;
  spent_tokens: number;
  /** Null when its model has no price. */
  cost_usd: number | null;
  /** cost_usd per passed prediction; null without a price or before one passed. */
  cost_per_pass_usd: number | null;
}

export function jobSpend(
  job: { spent_usd: number | null; spent_tokens: number },
  passed: number,
): SpendFields {
  const cost = job.spent_usd === null ? null : Math.max(job.spent_usd, 0);
  return {
    spent_usd: cost ?? 0,
    spent_tokens: Math.max(job.spent_tokens, 0),
    cost_usd: cost,
    cost_per_pass_usd: cost !== null && passed > 0 ? cost / passed : null,
  };
}

export type JobOutcome = 'succeeded' | 'partly_failed' | 'failed';

/**
 * How a finished job went: a job whose every row failed is `failed`, never a plain
 * success (docs/cost.md); null until it is done.
 */
export function jobOutcome(status: JobStatus, done: number, failed: number): JobOutcome | null {
  if (status !== 'done') return null;
  if (done > 0 && failed >= done) return 'failed';
  return failed > 0 ? 'partly_failed' : 'succeeded';
}
