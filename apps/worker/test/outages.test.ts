import pg from 'pg';
import { describe, expect, it } from 'vitest';
import {
  deleteKeysWithPrefix,
  startFakeOpenAIServer,
  TEST_SERVER_URL,
  type WorkerProcess,
} from '@evalq/testing';
import {
  createDataset,
  createModel,
  createPrompt,
  expectExactlyOnce,
  jobState,
  launchJob,
  useWorkerTestBed,
  waitFor,
  waitForJobDone,
} from './support.js';

// Redis emptied and PostgreSQL connections killed while jobs run: the workers carry on
// without being restarted, and every job completes exactly once.

const bed = useWorkerTestBed('outages', async () => ({
  server: await startFakeOpenAIServer({ latencyMs: 30, respond: () => 'ok' }),
}));

async function startWorkers(...ids: string[]): Promise<WorkerProcess[]> {
  return Promise.all(ids.map((id) => bed.startWorker(id)));
}

async function stopAll(running: WorkerProcess[]): Promise<void> {
  for (const worker of running) expect(await worker.stop()).toEqual({ code: 0, signal: null });
}

describe("this installation's Redis keys deleted mid-run", () => {
  it('loses no work: running jobs complete, and jobs launched afterwards are found (queue or SQL)', async () => {
    const dataset_id = await createDataset(bed.t, 300);
    const prompt_id = await createPrompt(bed.t);
    // One model with shared limits, so its limiter state is among the deleted keys.
    const limited = {
      model_id: await createModel(bed.t, {
        config: {
          base_url: bed.servers.server.url,
          max_concurrency: 4,
          requests_per_minute: 60_000,
        },
      }),
      prompt_id,
      dataset_id,
    };
    const unlimited = {
      model_id: await createModel(bed.t, { config: { base_url: bed.servers.server.url } }),
      prompt_id,
      dataset_id,
    };
    const running = await startWorkers('r1', 'r2');
    await launchJob(bed.t, limited, bed.prefix);
    await launchJob(bed.t, unlimited, bed.prefix);

    await waitFor(async () => (await jobState(bed.t, limited)).count >= 30, {
      timeoutMs: 20_000,
      intervalMs: 20,
    });
    const deleted = await deleteKeysWithPrefix(bed.prefix);
    expect(deleted).toBeGreaterThan(0);

    // Launched after the wipe: one through the queue (re-created on use), one by plain SQL only.
    const viaQueue = {
      model_id: await createModel(bed.t, { config: { base_url: bed.servers.server.url } }),
      prompt_id,
      dataset_id,
    };
    const viaSql = {
      model_id: await createModel(bed.t, { config: { base_url: bed.servers.server.url } }),
      prompt_id,
      dataset_id,
    };
    await launchJob(bed.t, viaQueue, bed.prefix);
    await launchJob(bed.t, viaSql, undefined);

    const describe = () => running.map((w) => w.describe()).join('\n');
    for (const key of [limited, unlimited, viaQueue, viaSql]) {
      await waitForJobDone(bed.t, key, 45_000, describe);
      await expectExactlyOnce(bed.t, key, 300);
    }
    expect(bed.servers.server.peakInFlight).toBeGreaterThan(0);
    await stopAll(running);
  });
});

describe('every PostgreSQL connection of the database terminated mid-run', () => {
  it('the bed.workers reconnect by themselves and the job completes, nothing lost or duplicated', async () => {
    const rows = 400;
    const key = {
      model_id: await createModel(bed.t, { config: { base_url: bed.servers.server.url } }),
      prompt_id: await createPrompt(bed.t),
      dataset_id: await createDataset(bed.t, rows),
    };
    const running = await startWorkers('p1', 'p2');
    await launchJob(bed.t, key, bed.prefix);

    const admin = new pg.Client({
      connectionString: TEST_SERVER_URL,
      application_name: 'evalq-test-admin',
    });
    await admin.connect();
    let terminated = 0;
    try {
      for (const threshold of [60, 180]) {
        await waitFor(async () => (await jobState(bed.t, key)).count >= threshold, {
          timeoutMs: 20_000,
          intervalMs: 10,
          describe: async () =>
            `before ${threshold}: ${JSON.stringify(await jobState(bed.t, key))}\n${running.map((w) => w.describe()).join('\n')}`,
        });
        const result = await admin.query<{ ok: boolean }>(
          'SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
          [bed.t.name],
        );
        terminated += result.rows.filter((r) => r.ok).length;
      }
    } finally {
      await admin.end();
    }
    expect(terminated).toBeGreaterThanOrEqual(4);

    await waitForJobDone(bed.t, key, 45_000, () => running.map((w) => w.describe()).join('\n'));
    await expectExactlyOnce(bed.t, key, rows);
    // Still the same processes: none exited, each logged the trouble and carried on.
    for (const worker of running) {
      expect(await Promise.race([worker.exited, Promise.resolve('running')])).toBe('running');
    }
    expect(running.some((w) => w.logs.some((r) => r.level === 'warn'))).toBe(true);
    await stopAll(running);
  });
});
