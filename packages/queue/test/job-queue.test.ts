import { afterAll, describe, expect, it } from 'vitest';
import { createJobQueue, enqueueJob, parseQueueJobId, queueJobId } from '@evalq/queue';
import {
  deleteKeysWithPrefix,
  TEST_REDIS_URL,
  uniqueQueuePrefix,
  requireRedis,
} from '@evalq/testing';

// Every test here goes through Redis (skipped with the reason where none answers).
requireRedis();

const prefix = uniqueQueuePrefix('queue');
const queue = createJobQueue({ url: TEST_REDIS_URL }, prefix);

afterAll(async () => {
  await queue.close();
  await deleteKeysWithPrefix(prefix);
});

describe('job queue', () => {
  it('gives every job a deterministic id that BullMQ accepts as custom', () => {
    const id = queueJobId({ model_id: 12, prompt_id: 3, dataset_id: 45 });
    expect(id).toBe('job-12-3-45');
    expect(id).not.toMatch(/^\d+$/);
    expect(id).not.toContain(':');
    expect(parseQueueJobId(id)).toEqual({ model_id: 12, prompt_id: 3, dataset_id: 45 });
    expect(parseQueueJobId('17')).toBeUndefined();
  });

  it('enqueues a job once, however often it is launched', async () => {
    const key = { model_id: 1, prompt_id: 2, dataset_id: 3 };
    await enqueueJob(queue, key);
    await enqueueJob(queue, key);
    await enqueueJob(queue, { ...key, prompt_id: 9 });
    const waiting = await queue.getWaiting();
    expect(waiting.map((job) => job.id).sort()).toEqual(['job-1-2-3', 'job-1-9-3']);
    expect(waiting.find((job) => job.id === 'job-1-2-3')?.data).toEqual(key);
  });

  it('keeps its keys under the installation prefix only', async () => {
    const deleted = await deleteKeysWithPrefix(prefix);
    expect(deleted).toBeGreaterThan(0);
    expect(await queue.getWaitingCount()).toBe(0);
  });
});
