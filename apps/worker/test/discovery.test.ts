import { describe, expect, it } from 'vitest';
import { startFakeOpenAIServer } from '@evalq/testing';
import type { JobKey } from '@evalq/core';
import {
  createDataset,
  createJob,
  expectExactlyOnce,
  jobState,
  launchJob,
  QUEUE_MODES,
  useWorkerTestBed,
  waitFor,
  waitForJobDone,
} from './support.js';

// How workers find work: through the queue (every worker wakes), through PostgreSQL
// alone (a job inserted by plain SQL), and fairly across many jobs at once.

describe.each(QUEUE_MODES)('with wake-ups and limits through %s', (queue) => {
  const bed = useWorkerTestBed(
    'discovery',
    async () => ({
      server: await startFakeOpenAIServer({ latencyMs: 5, respond: () => 'ok' }),
    }),
    queue,
  );

  const newJob = (rows: number, dataset_id?: number): Promise<JobKey> =>
    createJob(bed.t, bed.servers.server.url, rows, { dataset_id });

  const discoveredBy = (key: JobKey) => (record: Record<string, unknown>) =>
    record.msg === 'job discovered' &&
    record.model_id === key.model_id &&
    record.prompt_id === key.prompt_id;

  describe('discovery', () => {
    it('wakes every worker at a launch, long before their next reconcile', async () => {
      // A reconcile only every minute (and at most every 12 s when idle): the queue, or
      // PostgreSQL's announcements without one, must do it.
      const env = { RECONCILE_INTERVAL_MS: 60_000, LOG_LEVEL: 'debug' };
      const [q1, q2] = await Promise.all([bed.startWorker('q1', env), bed.startWorker('q2', env)]);
      for (const worker of [q1, q2]) {
        await worker.waitForLog(
          (r) => r.msg === 'reconciled with PostgreSQL' && r.reason === 'start',
        );
        if (queue === 'postgres') {
          await worker.waitForLog((r) => r.msg === 'listening for job announcements');
        }
      }
      const key = await newJob(200);
      await launchJob(bed.t, key, bed.queuePrefix);
      await waitForJobDone(bed.t, key, 10_000);
      await expectExactlyOnce(bed.t, key, 200);
      for (const worker of [q1, q2]) {
        const record = await worker.waitForLog(discoveredBy(key), 1000);
        // With Redis both are heard; PostgreSQL's announcement (at the launch's commit)
        // usually first.
        expect(
          queue === 'redis' ? ['queue message', 'queue event', 'announcement'] : ['announcement'],
        ).toContain(record.source);
      }
      for (const worker of [q1, q2]) expect(await worker.stop()).toEqual({ code: 0, signal: null });
    });

    it('finds a job inserted by plain SQL, with no queue message, within seconds', async () => {
      const worker = await bed.startWorker('sql-only', { RECONCILE_INTERVAL_MS: 5_000 });
      if (queue === 'postgres') {
        await worker.waitForLog((r) => r.msg === 'listening for job announcements');
      }
      const key = await newJob(50);
      await launchJob(bed.t, key, undefined);
      await waitForJobDone(bed.t, key, 8_000, () => worker.describe());
      await expectExactlyOnce(bed.t, key, 50);
      // PostgreSQL announces whatever inserted the job, to every worker that reaches it
      // directly (with or without a queue).
      expect((await worker.waitForLog(discoveredBy(key), 1000)).source).toBe('announcement');
      expect(await worker.stop()).toEqual({ code: 0, signal: null });
    });

    it('behind a transaction pooler, finds a job inserted by plain SQL all the same', async () => {
      // DATABASE_DIRECT_URL says DATABASE_URL is a pooler. Queue-less, the worker LISTENs
      // on the direct URL; with Redis it opens no such connection (the fleet's connection
      // budget), so the reconcile finds the job.
      const worker = await bed.startWorker('pooled', {
        RECONCILE_INTERVAL_MS: 5_000,
        DATABASE_DIRECT_URL: bed.t.url,
      });
      if (queue === 'postgres') {
        await worker.waitForLog((r) => r.msg === 'listening for job announcements');
      }
      const key = await newJob(50);
      await launchJob(bed.t, key, undefined);
      await waitForJobDone(bed.t, key, 8_000, () => worker.describe());
      await expectExactlyOnce(bed.t, key, 50);
      expect((await worker.waitForLog(discoveredBy(key), 1000)).source).toBe(
        queue === 'redis' ? 'reconcile' : 'announcement',
      );
      expect(await worker.stop()).toEqual({ code: 0, signal: null });
    });

    it('lets many small jobs progress side by side with a big one (fair claims)', async () => {
      bed.servers.server.configure({ latencyMs: 10 });
      const dataset = await createDataset(bed.t, 400);
      const small = await createDataset(bed.t, 20);
      const big = await newJob(0, dataset);
      const smalls = [
        await newJob(0, small),
        await newJob(0, small),
        await newJob(0, small),
        await newJob(0, small),
      ];
      // Launched first, the big job would be served alone by a first-come queue.
      await launchJob(bed.t, big, bed.queuePrefix);
      for (const key of smalls) await launchJob(bed.t, key, bed.queuePrefix);
      const worker = await bed.startWorker('fair', { WORKER_CONCURRENCY: 2, CLAIM_BATCH_SIZE: 2 });

      await waitFor(
        async () =>
          (await Promise.all(smalls.map((key) => jobState(bed.t, key)))).every(
            (s) => s.status === 'done',
          ),
        {
          timeoutMs: 30_000,
          intervalMs: 20,
          describe: () => worker.describe(),
        },
      );
      const bigProgress = (await jobState(bed.t, big)).count;
      // Round robin: each small job got a batch in turn with the big one.
      expect(bigProgress).toBeLessThan(200);
      await waitForJobDone(bed.t, big, 30_000);
      await expectExactlyOnce(bed.t, big, 400);
      for (const key of smalls) await expectExactlyOnce(bed.t, key, 20);
      expect(await worker.stop()).toEqual({ code: 0, signal: null });
      bed.servers.server.configure({ latencyMs: 5 });
    });

    it('stores nothing for a job cancelled while its rows are being called', async () => {
      bed.servers.server.configure({ latencyMs: 200 });
      const key = await newJob(100);
      const worker = await bed.startWorker('cancelled');
      await launchJob(bed.t, key, bed.queuePrefix);
      await waitFor(() => bed.servers.server.inFlight > 0, { timeoutMs: 10_000, intervalMs: 5 });
      // A cancel, as the API does it: the job's predictions and the job, in one transaction.
      const client = await bed.t.pool.connect();
      try {
        await client.query('BEGIN');
        const where = 'WHERE model_id = $1 AND prompt_id = $2 AND dataset_id = $3';
        await client.query(`DELETE FROM predictions ${where}`, [
          key.model_id,
          key.prompt_id,
          key.dataset_id,
        ]);
        await client.query(`DELETE FROM modelpromptstatus ${where}`, [
          key.model_id,
          key.prompt_id,
          key.dataset_id,
        ]);
        await client.query('COMMIT');
      } finally {
        client.release();
      }
      await waitFor(() => bed.servers.server.inFlight === 0, { timeoutMs: 10_000, intervalMs: 10 });
      await worker.waitForLog((r) => String(r.msg).startsWith('result discarded'), 5_000);
      expect(await worker.stop()).toEqual({ code: 0, signal: null });
      const [left] = await bed.t.query<{ predictions: number; statuses: number }>(
        `SELECT (SELECT count(*)::int FROM predictions WHERE model_id = $1) AS predictions,
                (SELECT count(*)::int FROM predictionstatus WHERE model_id = $1) AS statuses`,
        [key.model_id],
      );
      expect(left).toEqual({ predictions: 0, statuses: 0 });
      bed.servers.server.configure({ latencyMs: 5 });
    });
  });
});
