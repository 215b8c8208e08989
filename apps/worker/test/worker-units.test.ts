import { describe, expect, it } from 'vitest';
import { backoffDelay, ConfigError, createLogger, throttled } from '@evalq/core';
import {
  CACHED_CLAIM_MAX,
  JobRotation,
  parseWorkerConfig,
  runStopSteps,
  withCacheHits,
} from '@evalq/worker';

// The worker's small pieces, without processes: job rotation, backoff, configuration,
// the stop sequence, the warning throttle and the size of a claim of cached rows.

const job = (model_id: number, prompt_id = 1, dataset_id = 1) => ({
  model_id,
  prompt_id,
  dataset_id,
});

describe('JobRotation', () => {
  it('serves runnable jobs round robin, skipping exhausted jobs and blocked models', () => {
    const rotation = new JobRotation();
    for (const id of [1, 2, 3]) rotation.add(job(id));
    const order = Array.from({ length: 6 }, () => rotation.next(0)!.key.model_id);
    expect(order).toEqual([1, 2, 3, 1, 2, 3]);

    rotation.markExhausted(rotation.get(job(2))!);
    rotation.blockModel(3, 1_000);
    expect([rotation.next(500)!.key.model_id, rotation.next(500)!.key.model_id]).toEqual([1, 1]);
    expect(rotation.nextUnblockAt()).toBe(1_000);
    expect(rotation.next(1_000)!.key.model_id).toBe(3);

    // A hint (queue message, reclaim) revives an exhausted job.
    rotation.add(job(2));
    expect(rotation.get(job(2))!.exhausted).toBe(false);
  });

  it('reconciles with PostgreSQL: adds new jobs, revives all, drops those gone unless learnt meanwhile', () => {
    const rotation = new JobRotation();
    rotation.add(job(1));
    rotation.add(job(2));
    rotation.markExhausted(rotation.get(job(1))!);
    const queryStartedAt = Date.now() + 1; // after jobs 1 and 2 were learnt
    const late = rotation.add(job(9)).entry;
    late.seenAt = queryStartedAt + 1; // learnt from the queue while the query ran

    const { added, removed } = rotation.reconcile(
      [
        { ...job(1), status: 'running' },
        { ...job(3), status: 'pending' },
      ],
      queryStartedAt,
    );
    expect(added.map((e) => e.id)).toEqual(['3/1/1']);
    expect(removed.map((e) => e.id)).toEqual(['2/1/1']);
    expect(rotation.entries().map((e) => e.id)).toEqual(['1/1/1', '9/1/1', '3/1/1']);
    expect(rotation.get(job(1))).toMatchObject({ exhausted: false, status: 'running' });
  });
});

describe('withCacheHits (claim size)', () => {
  it('claims enough rows that the expected misses fill the free slots, at most CACHED_CLAIM_MAX', () => {
    expect(CACHED_CLAIM_MAX).toBe(100);
    expect(withCacheHits(25, 0)).toBe(25); // nothing known yet, or no hits: one row a slot
    expect(withCacheHits(25, 0.5)).toBe(50); // about 25 misses among 50
    expect(withCacheHits(25, 0.8)).toBe(100); // 125 would hold 25 misses; capped
    expect(withCacheHits(25, 1)).toBe(100);
    expect(withCacheHits(30, 0.25)).toBe(40);
    expect(withCacheHits(0, 1)).toBe(0); // no free slot: no claim
    expect(withCacheHits(250, 1)).toBe(250); // never fewer than the slots
  });
});

describe('backoffDelay', () => {
  it('doubles per retry up to the cap, with jitter between half and all of it', () => {
    const options = { baseMs: 100, maxMs: 1_000 };
    expect(backoffDelay(1, options, () => 0)).toBe(50);
    expect(backoffDelay(1, options, () => 1)).toBe(100);
    expect(backoffDelay(3, options, () => 1)).toBe(400);
    expect(backoffDelay(10, options, () => 1)).toBe(1_000);
    expect(backoffDelay(10, options, () => 0)).toBe(500);
  });

  it('never waits less than the Retry-After the provider asked for', () => {
    expect(backoffDelay(1, { baseMs: 100, maxMs: 1_000, retryAfterMs: 5_000 }, () => 0.5)).toBe(
      5_000,
    );
  });
});

describe('parseWorkerConfig', () => {
  it('applies the documented defaults (README.md, docs/worker.md) and derives the lease timers', () => {
    const config = parseWorkerConfig({});
    expect(config).toMatchObject({
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/evalq',
      redisUrl: 'redis://127.0.0.1:6379',
      queuePrefix: 'evalq',
      concurrency: 32,
      claimBatchSize: 32,
      leaseSeconds: 300,
      heartbeatIntervalMs: 100_000,
      reclaimIntervalMs: 30_000,
      shutdownGraceMs: 30_000,
      metricsPort: undefined,
      logLevel: 'info',
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(config.databasePooled).toBe(false);
    // A direct URL says DATABASE_URL is a pooler: its pool sends only what PgBouncer accepts.
    expect(
      parseWorkerConfig({
        DATABASE_URL: 'postgres://evalq@pgbouncer:6432/evalq',
        DATABASE_DIRECT_URL: 'postgres://evalq@postgres:5432/evalq',
      }),
    ).toMatchObject({ databaseUrl: 'postgres://evalq@pgbouncer:6432/evalq', databasePooled: true });
    expect(parseWorkerConfig({ LEASE_SECONDS: '6', WORKER_ID: 'w-1' })).toMatchObject({
      heartbeatIntervalMs: 2_000,
      reclaimIntervalMs: 1_500,
      workerId: 'w-1',
    });
  });

  it('fails fast naming every bad variable', () => {
    let thrown: unknown;
    try {
      parseWorkerConfig({ WORKER_CONCURRENCY: 'many', LEASE_SECONDS: '1', FINISH_BATCH_SIZE: '0' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    const message = (thrown as Error).message;
    expect(message).toContain('WORKER_CONCURRENCY');
    expect(message).toContain('LEASE_SECONDS');
    expect(message).toContain('FINISH_BATCH_SIZE');
  });
});

describe('runStopSteps', () => {
  const log = createLogger({ name: 'test', level: 'silent' });

  it('runs every step in order even when earlier ones fail or hang, and reports each failure', async () => {
    const ran: string[] = [];
    const report = await runStopSteps(
      [
        { name: 'first', run: () => void ran.push('first') },
        {
          name: 'throws',
          run: () => {
            ran.push('throws');
            throw new Error('boom');
          },
        },
        { name: 'rejects', run: () => (ran.push('rejects'), Promise.reject(new Error('no'))) },
        {
          name: 'hangs',
          run: () => (ran.push('hangs'), new Promise<void>(() => undefined)),
          timeoutMs: 50,
        },
        { name: 'reports', run: () => (ran.push('reports'), { releasedToPending: 3 }) },
        { name: 'async report', run: () => Promise.resolve({ notStarted: 2 }) },
      ],
      log,
    );
    expect(ran).toEqual(['first', 'throws', 'rejects', 'hangs', 'reports']);
    expect(report).toEqual({
      facts: { releasedToPending: 3, notStarted: 2 },
      failed: ['throws', 'rejects', 'hangs'],
    });
  });
});

describe('throttled', () => {
  it('runs the action at most once per interval, dropping the calls in between', () => {
    const seen: number[] = [];
    const warn = throttled(60_000, (n: number) => seen.push(n));
    warn(1);
    warn(2);
    warn(3);
    expect(seen).toEqual([1]);
  });
});
