import type { Queue } from 'bullmq';
import { coerceError, type JobKey } from '@evalq/core';
import { enqueueJob, type RunJobData } from '@evalq/queue';

/**
 * Puts launched jobs on the queue so workers start at once. Best effort, bounded in
 * time: PostgreSQL already holds the jobs, and workers reconcile from it, so a Redis
 * outage delays the start of work but never loses it. Returns whether all were enqueued
 * (always true in queue-less mode, where there is no queue).
 */
export async function enqueueJobs(
  queue: Queue<RunJobData> | undefined,
  keys: JobKey[],
  timeoutMs: number,
  logger: { warn(fields: object, message: string): void },
): Promise<boolean> {
  // Queue-less: the launch's own transaction announced the jobs (docs/local-mode.md).
  if (keys.length === 0 || queue === undefined) return true;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const adds = Promise.allSettled(keys.map((key) => enqueueJob(queue, key)));
  try {
    const outcome = await Promise.race([adds, timeout]);
    if (outcome === 'timeout') {
      logger.warn(
        { jobs: keys.length, timeout_ms: timeoutMs },
        'Redis did not answer in time: jobs are stored and workers will find them in PostgreSQL',
      );
      return false;
    }
    const failed = outcome.filter(
      (result): result is PromiseRejectedResult => result.status === 'rejected',
    );
    if (failed.length > 0) {
      logger.warn(
        { jobs: keys.length, failed: failed.length, err: coerceError(failed[0]!.reason) },
        'could not enqueue every job: they are stored and workers will find them in PostgreSQL',
      );
      return false;
    }
    return true;
  } finally {
    clearTimeout(timer);
  }
}
