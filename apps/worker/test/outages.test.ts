import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  deleteKeysWithPrefix,
  killAll,
  startFakeOpenAIServer,
  startWorkerProcess,
  TEST_SERVER_URL,
  uniqueQueuePrefix,
  type FakeModelServer,
  type TestDatabase,
  type WorkerProcess,
} from '@evalq/testing';
import {
  createDataset,
  createModel,
  createPrompt,
  expectExactlyOnce,
  jobState,
  launchJob,
  waitFor,
  waitForJobDone,
  workerEnv,
} from './support.js';

// Redis emptied and PostgreSQL connections killed while jobs run: the workers carry on
// without being restarted, and every job completes exactly once.

let t: TestDatabase;
let server: FakeModelServer;
const prefix = uniqueQueuePrefix('outages');
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  t = await createTestDatabase();
  server = await startFakeOpenAIServer({ latencyMs: 30, respond: () => 'ok' });
});
afterAll(async () => {
  await killAll(workers);
  await server?.close();
  await t?.drop();
  await deleteKeysWithPrefix(prefix);
});

async function startWorkers(...ids: string[]): Promise<WorkerProcess[]> {
  const started = await Promise.all(
    ids.map((id) =>
      startWorkerProcess({ label: id, env: workerEnv(t, prefix, { WORKER_ID: id }) }),
    ),
  );
  workers.push(...started);
  return started;
}

async function stopAll(running: WorkerProcess[]): Promise<void> {
  for (const worker of running) expect(await worker.stop()).toEqual({ code: 0, signal: null });
}

describe("this installation's Redis keys deleted mid-run", () => {
  it('loses no work: running jobs complete, and jobs launched afterwards are found (queue or SQL)', async () => {
    const dataset_id = await createDataset(t, 300);
    const prompt_id = await createPrompt(t);
    // One model with shared limits, so its limiter state is among the deleted keys.
    const limited = {
      model_id: await createModel(t, {
        config: { base_url: server.url, max_concurrency: 4, requests_per_minute: 60_000 },
      }),
      prompt_id,
      dataset_id,
    };
    const unlimited = {
      model_id: await createModel(t, { config: { base_url: server.url } }),
      prompt_id,
      dataset_id,
    };
    const running = await startWorkers('r1', 'r2');
    await launchJob(t, limited, prefix);
    await launchJob(t, unlimited, prefix);

    await waitFor(async () => (await jobState(t, limited)).count >= 30, {
      timeoutMs: 20_000,
      intervalMs: 20,
    });
    const deleted = await deleteKeysWithPrefix(prefix);
    expect(deleted).toBeGreaterThan(0);

    // Launched after the wipe: one through the queue (re-created on use), one by plain SQL only.
    const viaQueue = {
      model_id: await createModel(t, { config: { base_url: server.url } }),
      prompt_id,
      dataset_id,
    };
    const viaSql = {
      model_id: await createModel(t, { config: { base_url: server.url } }),
      prompt_id,
      dataset_id,
    };
    await launchJob(t, viaQueue, prefix);
    await launchJob(t, viaSql, undefined);

    const describe = () => running.map((w) => w.describe()).join('\n');
    for (const key of [limited, unlimited, viaQueue, viaSql]) {
      await waitForJobDone(t, key, 45_000, describe);
      await expectExactlyOnce(t, key, 300);
    }
    expect(server.peakInFlight).toBeGreaterThan(0);
    await stopAll(running);
  });
});

describe('every PostgreSQL connection of the database terminated mid-run', () => {
  it('the workers reconnect by themselves and the job completes, nothing lost or duplicated', async () => {
    const rows = 400;
    const key = {
      model_id: await createModel(t, { config: { base_url: server.url } }),
      prompt_id: await createPrompt(t),
      dataset_id: await createDataset(t, rows),
    };
    const running = await startWorkers('p1', 'p2');
    await launchJob(t, key, prefix);

    const admin = new pg.Client({
      connectionString: TEST_SERVER_URL,
      application_name: 'evalq-test-admin',
    });
    await admin.connect();
    let terminated = 0;
    try {
      for (const threshold of [60, 180]) {
        await waitFor(async () => (await jobState(t, key)).count >= threshold, {
          timeoutMs: 20_000,
          intervalMs: 10,
          describe: async () =>
            `before ${threshold}: ${JSON.stringify(await jobState(t, key))}\n${running.map((w) => w.describe()).join('\n')}`,
        });
        const result = await admin.query<{ ok: boolean }>(
          'SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
          [t.name],
        );
        terminated += result.rows.filter((r) => r.ok).length;
      }
    } finally {
      await admin.end();
    }
    expect(terminated).toBeGreaterThanOrEqual(4);

    await waitForJobDone(t, key, 45_000, () => running.map((w) => w.describe()).join('\n'));
    await expectExactlyOnce(t, key, rows);
    // Still the same processes: none exited, each logged the trouble and carried on.
    for (const worker of running) {
      expect(await Promise.race([worker.exited, Promise.resolve('running')])).toBe('running');
    }
    expect(running.some((w) => w.logs.some((r) => r.level === 'warn'))).toBe(true);
    await stopAll(running);
  });
});
