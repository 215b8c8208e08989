import { beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAIServer } from '@evalq/testing';
import {
  createJob,
  expectExactlyOnce,
  jobState,
  launchJob,
  QUEUE_MODES,
  useWorkerTestBed,
  waitFor,
  waitForJobDone,
} from './support.js';

// A model's limits hold across worker processes: requests_per_minute, max_concurrency,
// and the pause every worker takes after the provider answers 429.

describe.each(QUEUE_MODES)('with wake-ups and limits through %s', (queue) => {
  const bed = useWorkerTestBed(
    'rate-limits',
    async () => ({
      server: await startFakeOpenAIServer({ latencyMs: 5, respond: () => 'ok' }),
    }),
    queue,
  );

  beforeAll(async () => {
    await Promise.all(['l1', 'l2'].map((id) => bed.startWorker(id)));
  });

  const newJob = (name: string, config: Record<string, unknown>, rows: number) =>
    createJob(bed.t, bed.servers.server.url, rows, { model: { name, config } });

  const workersOf = async (model_id: number): Promise<string[]> =>
    (
      await bed.t.query<{ claimed_by: string }>(
        'SELECT DISTINCT claimed_by FROM predictionstatus WHERE model_id = $1 ORDER BY 1',
        [model_id],
      )
    ).map((r) => r.claimed_by);

  describe('requests_per_minute 120, run by two workers', () => {
    it('starts calls at 120 per minute (±10 %) across both bed.workers together', async () => {
      const rows = 16;
      const key = await newJob('rpm-model', { requests_per_minute: 120 }, rows);
      await launchJob(bed.t, key, bed.queuePrefix);
      await waitForJobDone(bed.t, key, 30_000);
      await expectExactlyOnce(bed.t, key, rows);
      expect(await workersOf(key.model_id)).toEqual(['l1', 'l2']);

      const starts = bed.servers.server.requests
        .filter((r) => r.model === 'rpm-model')
        .map((r) => r.at)
        .sort((x, y) => x - y);
      expect(starts).toHaveLength(rows);
      const perMinute = ((starts.length - 1) / (starts.at(-1)! - starts[0]!)) * 60_000;
      expect(perMinute).toBeGreaterThanOrEqual(108);
      expect(perMinute).toBeLessThanOrEqual(132);
      // Never a burst: in any 2-second window, at most 2 × 2/s starts plus one at its edge.
      for (const [i, start] of starts.entries()) {
        expect(starts.filter((s, j) => j >= i && s < start + 2000).length).toBeLessThanOrEqual(5);
      }
    });
  });

  describe('max_concurrency 3, run by two bed.workers of 8 slots each', () => {
    it('never has more than 3 calls of the model in flight at the provider', async () => {
      bed.servers.server.configure({ latencyMs: 60 });
      bed.servers.server.reset();
      const rows = 45;
      const key = await newJob('narrow-model', { max_concurrency: 3 }, rows);
      await launchJob(bed.t, key, bed.queuePrefix);
      await waitForJobDone(bed.t, key, 30_000);
      await expectExactlyOnce(bed.t, key, rows);
      expect(bed.servers.server.peakInFlight).toBe(3);
      expect(await workersOf(key.model_id)).toEqual(['l1', 'l2']);
      bed.servers.server.configure({ latencyMs: 5 });
    });
  });

  describe('a 429 with Retry-After', () => {
    it('pauses the model for every worker until the Retry-After has passed', async () => {
      bed.servers.server.reset();
      bed.servers.server.configure({ rateLimitRate: 1, retryAfterMs: 1500 });
      const rows = 12;
      // One call at a time across both bed.workers, so the 429 is the only call in flight
      // when it comes back: whatever follows must have waited for the pause.
      const key = await newJob('throttled-model', { max_concurrency: 1 }, rows);
      await launchJob(bed.t, key, bed.queuePrefix);
      await waitFor(() => bed.servers.server.requests.some((r) => r.status === 429), {
        timeoutMs: 20_000,
        intervalMs: 5,
      });
      bed.servers.server.configure({ rateLimitRate: 0 });
      await waitForJobDone(bed.t, key, 30_000);
      await expectExactlyOnce(bed.t, key, rows);

      const requests = bed.servers.server.requests.filter((r) => r.model === 'throttled-model');
      expect(requests.filter((r) => r.status === 429)).toHaveLength(1);
      const [rateLimited, next] = requests;
      expect(rateLimited!.status).toBe(429);
      expect(next!.at - rateLimited!.at).toBeGreaterThanOrEqual(1400);
      expect(requests.filter((r) => r.status === 200)).toHaveLength(rows);
      expect(await workersOf(key.model_id)).toEqual(['l1', 'l2']);
    });
  });

  describe('a model with limits next to a busy model without', () => {
    it('gets its share of every worker: it is not starved by rows claimed ahead for the other', async () => {
      bed.servers.server.reset();
      bed.servers.server.configure({ latencyMs: 50 });
      const busy = await newJob('busy-model', {}, 1000);
      const limited = await newJob('limited-model', { max_concurrency: 2 }, 20);
      await launchJob(bed.t, busy, bed.prefix);
      await waitFor(async () => (await jobState(bed.t, busy)).count >= 30, {
        timeoutMs: 20_000,
        intervalMs: 10,
      });
      await launchJob(bed.t, limited, bed.prefix);
      await waitForJobDone(bed.t, limited, 30_000);
      // 20 rows, 2 at a time, 50 ms each: about half a second when served in turn.
      expect((await jobState(bed.t, busy)).count).toBeLessThan(700);
      await waitForJobDone(bed.t, busy, 30_000);
      await expectExactlyOnce(bed.t, busy, 1000);
      await expectExactlyOnce(bed.t, limited, 20);
      bed.servers.server.configure({ latencyMs: 5 });
    });
  });
});
