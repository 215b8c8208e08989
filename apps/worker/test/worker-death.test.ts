import { describe, expect, it } from 'vitest';
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

// Workers that die (SIGKILL) or freeze (SIGSTOP, then wake up as zombies) mid-run: the
// lease brings their rows back, and the fencing token keeps a zombie from storing a
// result for a row that was handed to someone else.

describe.each(QUEUE_MODES)('with wake-ups and limits through %s', (queue) => {
  const bed = useWorkerTestBed(
    'worker-death',
    async () => ({
      server: await startFakeOpenAIServer({ respond: (prompt) => `answer to ${prompt}` }),
    }),
    queue,
  );

  const newJob = (rows: number) => createJob(bed.t, bed.servers.server.url, rows);

  const heldBy = async (workerId: string): Promise<number> =>
    (
      await bed.t.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM predictionstatus WHERE status = 'in_progress' AND claimed_by = $1`,
        [workerId],
      )
    )[0]!.n;

  describe('a worker killed mid-run', () => {
    it('does not stop the job: its rows come back after the lease, nothing duplicated, nothing missing', async () => {
      bed.servers.server.configure({ latencyMs: 40 });
      const rows = 400;
      const key = await newJob(rows);
      const victim = await bed.startWorker('victim');
      const survivor = await bed.startWorker('survivor');
      await launchJob(bed.t, key, bed.queuePrefix);

      await waitFor(
        async () => (await jobState(bed.t, key)).count >= 60 && (await heldBy('victim')) > 0,
        {
          timeoutMs: 20_000,
          intervalMs: 20,
        },
      );
      expect(await victim.kill()).toMatchObject({ signal: 'SIGKILL' });
      // A finish it sent just before dying may still commit: count its claims once the
      // server has seen all of its connections go.
      await waitFor(
        async () =>
          (
            await bed.t.query(
              `SELECT 1 FROM pg_stat_activity WHERE application_name LIKE 'evalq-worker victim%'`,
            )
          ).length === 0,
        { timeoutMs: 20_000, intervalMs: 20 },
      );
      const orphaned = await heldBy('victim');
      expect(orphaned).toBeGreaterThan(0);

      await waitForJobDone(bed.t, key, 30_000, () => survivor.describe());
      await expectExactlyOnce(bed.t, key, rows);
      expect(await heldBy('victim')).toBe(0);
      const reclaimed = survivor.logs.filter(
        (r) => r.msg === 'reclaimed expired claims: rows back to pending',
      );
      expect(reclaimed.reduce((sum, r) => sum + Number(r.rows), 0)).toBeGreaterThanOrEqual(
        orphaned,
      );
      expect(await survivor.stop()).toEqual({ code: 0, signal: null });
    });
  });

  describe('a zombie (a frozen worker whose claims were reclaimed)', () => {
    it('cannot mark a row done or store a second prediction when it wakes up', async () => {
      bed.servers.server.configure({ latencyMs: 100 });
      const rows = 200;
      const key = await newJob(rows);
      const zombie = await bed.startWorker('zombie');
      const healthy = await bed.startWorker('healthy');
      await launchJob(bed.t, key, bed.queuePrefix);

      await waitFor(
        async () => (await jobState(bed.t, key)).count >= 20 && (await heldBy('zombie')) >= 4,
        {
          timeoutMs: 20_000,
          intervalMs: 10,
        },
      );
      zombie.pause();
      // While it is frozen its calls are answered; the answers wait in its sockets.
      await waitForJobDone(bed.t, key, 30_000, () => healthy.describe());
      await expectExactlyOnce(bed.t, key, rows);
      const before = await bed.t.query<{ row_id: number; prediction: string }>(
        'SELECT row_id, prediction FROM predictions WHERE model_id = $1 ORDER BY row_id',
        [key.model_id],
      );

      zombie.resume();
      const discarded = await zombie.waitForLog(
        (r) => String(r.msg).startsWith('result discarded'),
        15_000,
      );
      expect(discarded).toMatchObject({
        model_id: key.model_id,
        prompt_id: key.prompt_id,
        dataset_id: key.dataset_id,
      });
      expect(await zombie.stop()).toEqual({ code: 0, signal: null });

      await expectExactlyOnce(bed.t, key, rows);
      const after = await bed.t.query<{ row_id: number; prediction: string }>(
        'SELECT row_id, prediction FROM predictions WHERE model_id = $1 ORDER BY row_id',
        [key.model_id],
      );
      expect(after).toEqual(before);
      expect(await jobState(bed.t, key)).toMatchObject({ status: 'done', count: rows });
      expect(await healthy.stop()).toEqual({ code: 0, signal: null });
    });
  });
});
