import type { z } from 'zod';
import type { JobRecord } from '@evalq/db';
import { jobOutcome, jobSpend } from './job-spend.js';
import { passRate as rateOf } from './pass-rate.js';
import type { progress } from './schemas/jobs.js';

export type Progress = z.output<typeof progress>;

const round = (value: number, digits: number) => {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
};

/**
 * The progress object (docs/api.md) from a job's stored counters. A pure function of the
 * stored row (the rate is measured up to the latest prediction, not up to "now"), so
 * the same state always gives the same body, and the same ETag.
 */
export function toProgress(job: JobRecord): Progress {
  const total = Math.max(job.total, 0);
  const done = Math.min(Math.max(job.done, 0), Math.max(total, job.done));
  const failed = Math.max(Math.min(job.failed, done), 0);
  const succeeded = done - failed;
  const remaining = Math.max(total - done, 0);
  const inProgress = Math.min(Math.max(job.in_progress, 0), remaining);

  const passRate = rateOf(job.correct, succeeded, job.ungraded);

  const until = job.finished_at ?? job.updated_at;
  const elapsedS = job.started_at ? (until.getTime() - job.started_at.getTime()) / 1000 : 0;
  const rate = elapsedS > 0 && done > 0 ? done / elapsedS : null;

  return {
    model_id: job.model_id,
    prompt_id: job.prompt_id,
    dataset_id: job.dataset_id,
    status: job.status,
    total,
    done,
    succeeded,
    failed,
    in_progress: inProgress,
    pending: remaining - inProgress,
    percent:
      total > 0 ? Math.min(round((done / total) * 100, 2), 100) : job.status === 'done' ? 100 : 0,
    passed: Math.min(Math.max(job.correct, 0), succeeded),
    ungraded: Math.min(Math.max(job.ungraded, 0), succeeded),
    pass_rate: passRate,
    accuracy: passRate,
    regrading: job.regrade_remaining > 0,
    regrade_remaining: Math.max(job.regrade_remaining, 0),
    assertions: Array.isArray(job.assertions) ? (job.assertions as Record<string, unknown>[]) : [],
    threshold: job.threshold,
    started_at: job.started_at?.toISOString() ?? null,
    updated_at: job.updated_at.toISOString(),
    finished_at: job.finished_at?.toISOString() ?? null,
    rate_per_s: rate === null ? null : round(rate, 3),
    // Rounded up, so a job that is not done never claims an ETA of 0.
    eta_s:
      job.status === 'done' ? 0 : rate === null ? null : Math.ceil((remaining / rate) * 10) / 10,
    outcome: jobOutcome(job.status, done, failed),
    ...jobSpend(job, Math.min(Math.max(job.correct, 0), succeeded)),
    budget: { max_cost_usd: job.max_cost_usd, max_tokens: job.max_tokens },
    paused_reason: job.status === 'paused' ? job.paused_reason : null,
    paused_message: job.status === 'paused' ? job.paused_message : null,
    cache: job.cache,
    cached: Math.max(job.cached_hits, 0),
    cache_hit_rate: job.cache && done > 0 ? Math.min(job.cached_hits / done, 1) : null,
    batch: job.batch ?? null,
  };
}
