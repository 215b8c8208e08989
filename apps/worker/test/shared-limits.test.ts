import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '@evalq/core';
import { RedisCallLimits, type ModelLimits } from '@evalq/worker';
import {
  deleteKeysWithPrefix,
  requireRedis,
  TEST_REDIS_URL,
  uniqueQueuePrefix,
} from '@evalq/testing';

// The per-model limits shared through Redis, with two RedisCallLimits instances standing
// for two worker processes.

const prefix = uniqueQueuePrefix('limits');
const log = createLogger({ name: 'test', level: 'silent' });
const connections: Redis[] = [];

function worker(url = TEST_REDIS_URL): RedisCallLimits {
  const redis = new Redis(url, {
    maxRetriesPerRequest: 1,
    lazyConnect: false,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  connections.push(redis);
  return new RedisCallLimits(redis, prefix, log);
}

async function ready(...redis: Redis[]): Promise<void> {
  await Promise.all(
    redis.map((r) =>
      r.status === 'ready'
        ? Promise.resolve()
        : new Promise<void>((resolve) => r.once('ready', () => resolve())),
    ),
  );
}

afterAll(async () => {
  for (const redis of connections) redis.disconnect();
  await deleteKeysWithPrefix(prefix);
});

const limits = (partial: Partial<ModelLimits>): ModelLimits => ({
  maxConcurrency: undefined,
  requestsPerMinute: undefined,
  permitTtlMs: 30_000,
  ...partial,
});

// Every test here goes through Redis (skipped with the reason where none answers).
requireRedis();

describe('shared limits', () => {
  const a = worker();
  const b = worker();

  it('caps calls in flight across workers at max_concurrency, and frees a slot on release', async () => {
    await ready(...connections.slice(0, 2));
    const model = limits({ maxConcurrency: 3 });
    const first = await a.tryAcquire(1, model, 5);
    expect(first.granted).toBe(3);
    expect(first.permits).toHaveLength(3);
    const refused = await b.tryAcquire(1, model, 1);
    expect(refused.granted).toBe(0);
    expect(refused.waitMs).toBeGreaterThan(0);
    a.release(1, first.permits.slice(0, 1));
    await expect.poll(async () => (await b.tryAcquire(1, model, 2)).granted).toBe(1);
  });

  it('spaces call starts by 60 / requests_per_minute seconds across workers', async () => {
    const model = limits({ requestsPerMinute: 600 }); // one start every 100 ms
    expect((await a.tryAcquire(2, model, 1)).granted).toBe(1);
    const refused = await b.tryAcquire(2, model, 1);
    expect(refused.granted).toBe(0);
    expect(refused.waitMs).toBeGreaterThan(50);
    expect(refused.waitMs).toBeLessThanOrEqual(100);
    await new Promise((resolve) => setTimeout(resolve, refused.waitMs + 5));
    expect((await b.tryAcquire(2, model, 1)).granted).toBe(1);
  });

  it('grants at most about 100 ms worth of starts at once to a fast model', async () => {
    const grant = await a.tryAcquire(3, limits({ requestsPerMinute: 60_000 }), 500); // 1 per ms
    expect(grant.granted).toBeGreaterThanOrEqual(100);
    expect(grant.granted).toBeLessThanOrEqual(102);
  });

  it('gives unused rate slots back', async () => {
    const model = limits({ requestsPerMinute: 60 }); // one start per second
    const grant = await a.tryAcquire(4, model, 1);
    expect(grant.granted).toBe(1);
    expect((await b.tryAcquire(4, model, 1)).granted).toBe(0);
    a.giveBack(4, model, grant, 0);
    await expect.poll(async () => (await b.tryAcquire(4, model, 1)).granted).toBe(1);
  });

  it('does not give back starts that another worker was granted starts after', async () => {
    const model = limits({ requestsPerMinute: 60 }); // one start per second
    const early = await a.tryAcquire(9, model, 1);
    expect(early.granted).toBe(1);
    // b is granted the next start, a second later.
    await expect
      .poll(async () => (await b.tryAcquire(9, model, 1)).granted, { timeout: 3000 })
      .toBe(1);
    // a gives its start back late: the schedule now ends after b's start, and moving it
    // back would give b's slot to someone else too. a's connection runs the refund
    // before the acquire that follows it.
    a.giveBack(9, model, early, 0);
    const refused = await a.tryAcquire(9, model, 1);
    expect(refused.granted).toBe(0);
    expect(refused.waitMs).toBeGreaterThan(500);
  });

  it('pauses a model for every worker after a 429, limits or not', async () => {
    await a.pause(5, 400);
    const refused = await b.tryAcquire(5, limits({}), 4);
    expect(refused.granted).toBe(0);
    expect(refused.waitMs).toBeGreaterThan(300);
    expect(refused.waitMs).toBeLessThanOrEqual(400);
    // A shorter Retry-After never cuts a longer pause short.
    await b.pause(5, 10);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await b.tryAcquire(5, limits({}), 1)).granted).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, refused.waitMs + 10));
    expect((await b.tryAcquire(5, limits({}), 4)).granted).toBe(4);
  });

  it('lets the permits of a worker that died expire', async () => {
    const model = limits({ maxConcurrency: 2, permitTtlMs: 200 });
    expect((await a.tryAcquire(6, model, 2)).granted).toBe(2); // never released
    expect((await b.tryAcquire(6, model, 1)).granted).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect((await b.tryAcquire(6, model, 1)).granted).toBe(1);
  });

  it('re-creates its state after the keys are deleted', async () => {
    const model = limits({ maxConcurrency: 2, requestsPerMinute: 6000 });
    expect((await a.tryAcquire(7, model, 2)).granted).toBeGreaterThan(0);
    expect(await deleteKeysWithPrefix(prefix)).toBeGreaterThan(0);
    const after = await b.tryAcquire(7, model, 2);
    expect(after.granted).toBe(2);
    expect((await a.tryAcquire(7, model, 1)).granted).toBe(0);
  });

  it('keeps models without limits running when Redis is unreachable, and holds limited ones', async () => {
    const offline = worker('redis://127.0.0.1:9');
    expect(await offline.tryAcquire(8, limits({}), 5)).toMatchObject({ granted: 5 });
    expect(await offline.tryAcquire(8, limits({ requestsPerMinute: 10 }), 5)).toMatchObject({
      granted: 0,
      waitMs: 1000,
    });
  });
});
