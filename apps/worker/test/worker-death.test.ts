import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  deleteKeysWithPrefix,
  killAll,
  startFakeOpenAIServer,
  startWorkerProcess,
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

// Workers that die (SIGKILL) or freeze (SIGSTOP, then wake up as zombies) mid-run: the
// lease brings their rows back, and the fencing token keeps a zombie from storing a
// result for a row that was handed to someone else.

let t: TestDatabase;
let server: FakeModelServer;
const prefix = uniqueQueuePrefix('worker-death');
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  t = await createTestDatabase();
  server = await startFakeOpenAIServer({ respond: (prompt) => `answer to ${prompt}` });
});
afterAll(async () => {
  await killAll(workers);
  await server?.close();
  await t?.drop();
  await deleteKeysWithPrefix(prefix);
});

async function start(
  id: string,
  extra: Record<string, string | number> = {},
): Promise<WorkerProcess> {
  const worker = await startWorkerProcess({
    label: id,
    env: workerEnv(t, prefix, { WORKER_ID: id, ...extra }),
  });
  workers.push(worker);
  return worker;
}

async function newJob(rows: number) {
  const dataset_id = await createDataset(t, rows);
  const key = {
    model_id: await createModel(t, { config: { base_url: server.url } }),
    prompt_id: await createPrompt(t),
    dataset_id,
  };
  return key;
}

const heldBy = async (workerId: string): Promise<number> =>
  (
    await t.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM predictionstatus WHERE status = 'in_progress' AND claimed_by = $1`,
      [workerId],
    )
  )[0]!.n;

describe('a worker killed mid-run', () => {
  it('does not stop the job: its rows come back after the lease, nothing duplicated, nothing missing', async () => {
    server.configure({ latencyMs: 40 });
    const rows = 400;
    const key = await newJob(rows);
    const victim = await start('victim');
    const survivor = await start('survivor');
    await launchJob(t, key, prefix);

    await waitFor(
      async () => (await jobState(t, key)).count >= 60 && (await heldBy('victim')) > 0,
      {
        timeoutMs: 20_000,
        intervalMs: 20,
      },
    );
    expect(await victim.kill()).toMatchObject({ signal: 'SIGKILL' });
    const orphaned = await heldBy('victim');
    expect(orphaned).toBeGreaterThan(0);

    await waitForJobDone(t, key, 30_000, () => survivor.describe());
    await expectExactlyOnce(t, key, rows);
    expect(await heldBy('victim')).toBe(0);
    const reclaimed = survivor.logs.filter(
      (r) => r.msg === 'reclaimed expired claims: rows back to pending',
    );
    expect(reclaimed.reduce((sum, r) => sum + Number(r.rows), 0)).toBeGreaterThanOrEqual(orphaned);
    expect(await survivor.stop()).toEqual({ code: 0, signal: null });
  });
});

describe('a zombie (a frozen worker whose claims were reclaimed)', () => {
  it('cannot mark a row done or store a second prediction when it wakes up', async () => {
    server.configure({ latencyMs: 100 });
    const rows = 200;
    const key = await newJob(rows);
    const zombie = await start('zombie');
    const healthy = await start('healthy');
    await launchJob(t, key, prefix);

    await waitFor(
      async () => (await jobState(t, key)).count >= 20 && (await heldBy('zombie')) >= 4,
      {
        timeoutMs: 20_000,
        intervalMs: 10,
      },
    );
    zombie.pause();
    // While it is frozen its calls are answered; the answers wait in its sockets.
    await waitForJobDone(t, key, 30_000, () => healthy.describe());
    await expectExactlyOnce(t, key, rows);
    const before = await t.query<{ row_id: number; prediction: string }>(
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

    await expectExactlyOnce(t, key, rows);
    const after = await t.query<{ row_id: number; prediction: string }>(
      'SELECT row_id, prediction FROM predictions WHERE model_id = $1 ORDER BY row_id',
      [key.model_id],
    );
    expect(after).toEqual(before);
    expect(await jobState(t, key)).toMatchObject({ status: 'done', count: rows });
    expect(await healthy.stop()).toEqual({ code: 0, signal: null });
  });
});
