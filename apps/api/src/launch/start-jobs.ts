import type { FastifyBaseLogger } from 'fastify';
import type { JobKey } from '@evalq/core';
import type { LaunchedJob } from '@evalq/db';
import type { ApiContext } from '../context.js';
import { enqueueJobs } from '../enqueue.js';

const keyOf = (job: JobKey): JobKey => ({
  model_id: job.model_id,
  prompt_id: job.prompt_id,
  dataset_id: job.dataset_id,
});

/**
 * After a launch committed: drops the shared progress reads of its jobs and enqueues
 * the ones with work left. Returns false when Redis could not be reached (the workers
 * then find the jobs in PostgreSQL).
 */
export async function startLaunchedJobs(
  ctx: ApiContext,
  jobs: readonly LaunchedJob[],
  log: FastifyBaseLogger,
): Promise<boolean> {
  for (const job of jobs) ctx.progressCache.invalidate(job);
  const runnable = jobs.filter((job) => job.status !== 'done').map(keyOf);
  return enqueueJobs(ctx.queue, runnable, ctx.config.enqueueTimeoutMs, log);
}
