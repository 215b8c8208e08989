import { Queue, type ConnectionOptions } from 'bullmq';
import type { JobKey } from '@evalq/core';

/** The BullMQ queue every evalq installation uses, under its QUEUE_PREFIX. */
export const JOB_QUEUE_NAME = 'evalq-jobs';

/** The BullMQ job name of a "this evalq job has rows to process" message. */
export const RUN_JOB = 'run-job';

/**
 * The deterministic BullMQ job id of an evalq job, so enqueuing it twice is a no-op.
 * BullMQ reserves all-digit ids (its own counter) and `:` (its key separator), so the
 * id is `job-<model>-<prompt>-<dataset>`.
 */
export function queueJobId(key: JobKey): string {
  return `job-${key.model_id}-${key.prompt_id}-${key.dataset_id}`;
}

/** The inverse of queueJobId; undefined for an id evalq did not make. */
export function parseQueueJobId(id: string | undefined): JobKey | undefined {
  const match = id === undefined ? null : /^job-(\d+)-(\d+)-(\d+)$/.exec(id);
  if (!match) return undefined;
  return { model_id: Number(match[1]), prompt_id: Number(match[2]), dataset_id: Number(match[3]) };
}

export type RunJobData = JobKey;

/** The producer side: the API enqueues launched jobs; workers consume them. */
export function createJobQueue(connection: ConnectionOptions, prefix: string): Queue<RunJobData> {
  return new Queue<RunJobData>(JOB_QUEUE_NAME, {
    connection,
    prefix,
    defaultJobOptions: {
      // A message only says "look at this job in PostgreSQL"; once a worker has taken
      // it, it has no further use. Removing it frees the id for a later re-enqueue
      // (retry of failed rows).
      removeOnComplete: true,
      removeOnFail: 1000,
      attempts: 1,
    },
  });
}

/** Enqueues a launched job; a job already waiting in the queue is not added twice. */
export async function enqueueJob(queue: Queue<RunJobData>, key: JobKey): Promise<void> {
  await queue.add(RUN_JOB, key, { jobId: queueJobId(key) });
}
