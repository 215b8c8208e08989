import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@evalq/core';
import {
  createTestDatabase,
  deleteKeysWithPrefix,
  killAll,
  sampleBackends,
  startFakeOpenAIServer,
  startPgBouncer,
  startWorkerProcess,
  uniqueQueuePrefix,
  type BackendSampler,
  type FakeModelServer,
  type PgBouncer,
  type TestDatabase,
  type WorkerProcess,
} from '@evalq/testing';
import { expectExactlyOnce, waitFor, workerEnv } from '../../apps/worker/test/support.js';

// evalq as deploy/kubernetes/ runs it: the API and three workers reach PostgreSQL only
// through a real PgBouncer in transaction pooling mode (the shipped configuration, a
// pool of 4 server connections), and DATABASE_DIRECT_URL names PostgreSQL itself. One
// worker is killed (SIGKILL) mid-run. Every prediction is stored exactly once, the API's
// main routes work (COPY import and export included), and PostgreSQL never runs more
// server processes for the database than the pool.

const EVALQ_MAIN = fileURLToPath(new URL('../../apps/cli/dist/main.js', import.meta.url));
const POOL = 4;
const ROWS = 600;
const TOKEN = 'behind-pgbouncer-token';

let t: TestDatabase;
let pgbouncer: PgBouncer;
let provider: FakeModelServer;
let sampler: BackendSampler;
let api: WorkerProcess;
let apiUrl: string;
const workers: WorkerProcess[] = [];
const prefix = uniqueQueuePrefix('pgbouncer');

/** The connections of every evalq process here: the pool through PgBouncer, DATABASE_DIRECT_URL past it. */
const connections = (): Record<string, string> => ({
  DATABASE_URL: pgbouncer.url(t.name),
  DATABASE_DIRECT_URL: t.url,
});

async function call(method: string, path: string, body?: unknown, contentType?: string) {
  const response = await fetch(`${apiUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      ...(body !== undefined && { 'content-type': contentType ?? 'application/json' }),
    },
    body: typeof body === 'string' || body === undefined ? body : JSON.stringify(body),
  });
  const text = await response.text();
  const json = (response.headers.get('content-type') ?? '').includes('json')
    ? JSON.parse(text)
    : undefined;
  return { status: response.status, text, json };
}

beforeAll(async () => {
  t = await createTestDatabase();
  pgbouncer = await startPgBouncer({ poolSize: POOL });
  provider = await startFakeOpenAIServer({
    latencyMs: 150,
    respond: (prompt) => `echo ${prompt.length}`,
  });
  // Everything but the test's own pool (evalq-test) goes through PgBouncer.
  sampler = await sampleBackends({ database: t.name, ignoreApplicationNames: ['evalq-test'] });
  const port = await freePort();
  apiUrl = `http://127.0.0.1:${port}`;
  api = await startWorkerProcess({
    label: 'api',
    script: EVALQ_MAIN,
    args: ['api'],
    env: {
      ...workerEnv(t, prefix, connections()),
      PORT: String(port),
      HOST: '127.0.0.1',
      API_TOKEN: TOKEN,
    },
    ready: (record) => record.msg === 'API listening',
  });
});

afterAll(async () => {
  await killAll([api, ...workers]);
  await sampler?.stop().catch(() => undefined);
  await pgbouncer?.stop();
  await provider?.close();
  await t?.drop();
  await deleteKeysWithPrefix(prefix);
});

describe('evalq behind PgBouncer in transaction pooling mode', () => {
  it(
    'stores exactly one prediction per row through a killed worker, and serves the API',
    { timeout: 180_000 },
    async () => {
      expect((await call('GET', '/readyz')).status).toBe(200);

      // Catalog: a CSV import streams through COPY inside one transaction.
      const dataset = (await call('POST', '/v1/datasets', { name: 'behind pgbouncer' })).json;
      const csv = [
        'content,expected_prediction',
        ...Array.from({ length: ROWS }, (_, i) => `q${i},a`),
      ];
      const imported = await call(
        'POST',
        `/v1/datasets/${dataset.dataset_id}/rows`,
        `${csv.join('\n')}\n`,
        'text/csv',
      );
      expect(imported.status).toBe(201);
      expect(imported.json.imported).toBe(ROWS);
      const model = (
        await call('POST', '/v1/models', {
          name: 'fake',
          source: 'openai',
          config: { base_url: provider.url, max_retries: 0 },
        })
      ).json;
      const prompts = await Promise.all(
        ['A: {{content}}', 'B: {{content}}'].map(
          async (text) => (await call('POST', '/v1/prompts', { text })).json,
        ),
      );

      // Three workers, ready before the launch, so each gets a share of the job.
      for (const id of ['victim', 'survivor-1', 'survivor-2']) {
        workers.push(
          await startWorkerProcess({
            label: id,
            env: workerEnv(t, prefix, {
              ...connections(),
              WORKER_ID: id,
              DATABASE_POOL_SIZE: 3,
            }),
          }),
        );
      }
      // Two jobs; the second is cancelled while its rows wait.
      const launched = await call('POST', '/v1/jobs', {
        dataset_id: dataset.dataset_id,
        model_ids: [model.model_id],
        prompt_ids: [prompts[0].prompt_id],
      });
      expect(launched.status).toBe(201);
      const [job] = launched.json.jobs;
      expect(job).toMatchObject({ total: ROWS, pending: ROWS });
      const jobPath = `/v1/jobs/${job.model_id}/${job.prompt_id}/${job.dataset_id}`;
      const other = (
        await call('POST', '/v1/jobs', {
          dataset_id: dataset.dataset_id,
          model_ids: [model.model_id],
          prompt_ids: [prompts[1].prompt_id],
        })
      ).json.jobs[0];
      const otherPath = `/v1/jobs/${other.model_id}/${other.prompt_id}/${other.dataset_id}`;
      expect((await call('DELETE', otherPath)).status).toBeLessThan(300);
      expect((await call('GET', otherPath)).status).toBe(404);

      const heldByVictim = async () =>
        (
          await t.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM predictionstatus WHERE status = 'in_progress' AND claimed_by = 'victim'`,
          )
        )[0]!.n;
      const describe = () => workers.map((w) => w.describe()).join('\n');
      await waitFor(
        async () => (await call('GET', jobPath)).json.done >= 30 && (await heldByVictim()) > 0,
        { timeoutMs: 60_000, intervalMs: 20, describe },
      );
      expect(await workers[0]!.kill()).toMatchObject({ signal: 'SIGKILL' });
      const orphaned = await heldByVictim();

      await waitFor(async () => (await call('GET', jobPath)).json.status === 'done', {
        timeoutMs: 60_000,
        describe,
      });
      expect((await call('GET', jobPath)).json).toMatchObject({
        total: ROWS,
        done: ROWS,
        failed: 0,
        succeeded: ROWS,
      });
      await expectExactlyOnce(t, job, ROWS);
      expect(await heldByVictim()).toBe(0);
      const reclaimed = workers
        .slice(1)
        .flatMap((w) => w.logs)
        .filter((r) => r.msg === 'reclaimed expired claims: rows back to pending')
        .reduce((sum, r) => sum + Number(r.rows), 0);
      expect(reclaimed).toBeGreaterThanOrEqual(orphaned);

      // Reads: the export is a COPY inside a read-only transaction.
      const exported = await call(
        'GET',
        `/v1/predictions/export?model_id=${job.model_id}&prompt_id=${job.prompt_id}&dataset_id=${job.dataset_id}&format=csv`,
      );
      expect(exported.status).toBe(200);
      expect(exported.text.trim().split('\n')).toHaveLength(ROWS + 1);
      const page = await call(
        'GET',
        `/v1/predictions?model_id=${job.model_id}&prompt_id=${job.prompt_id}&dataset_id=${job.dataset_id}`,
      );
      expect(page.status).toBe(200);
      const board = await call('GET', `/v1/datasets/${dataset.dataset_id}/leaderboard`);
      expect(board.status).toBe(200);
      expect(JSON.stringify(board.json)).toContain(`"n":${ROWS}`);

      for (const worker of workers.slice(1))
        expect(await worker.stop()).toEqual({ code: 0, signal: null });
      expect(await api.stop()).toEqual({ code: 0, signal: null });
      const backends = await sampler.stop();
      expect(backends.count).toBeGreaterThan(20);
      expect(backends.max).toBeGreaterThan(0);
      expect(backends.max).toBeLessThanOrEqual(POOL);
    },
  );
});
