import type { FastifyBaseLogger } from 'fastify';
import type { JobKey } from '@evalq/core';
import type { ApiContext } from '../context.js';
import { enqueueJobs } from '../enqueue.js';

/**
 * After jobs were resumed (a budget raised, a model fixed): drops their shared progress
 * reads and enqueues them. The resume itself already announced them to queue-less
 * workers (the status trigger of migrations/0011).
 */
export async function resumeQueued(
  ctx: ApiContext,
  jobs: readonly JobKey[],
  log: FastifyBaseLogger,
): Promise<void> {
  for (const job of jobs) ctx.progressCache.invalidate(job);
  if (jobs.length > 0) await enqueueJobs(ctx.queue, [...jobs], ctx.config.enqueueTimeoutMs, log);
}
