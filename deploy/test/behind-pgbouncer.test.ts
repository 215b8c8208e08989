import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@evalq/core';
import {
  killAll,
  sampleBackends,
  startFakeOpenAIServer,
  startPgBouncer,
  startWorkerProcess,
  type BackendSampler,
  type PgBouncer,
  type WorkerProcess,
} from '@evalq/testing';
import {
  expectExactlyOnce,
  QUEUE_MODES,
  useWorkerTestBed,
  waitFor,
  workerEnv,
} from '../../apps/worker/test/support.js';

// evalq as deploy/kubernetes/ runs it: the API and three workers reach PostgreSQL only
// through a real PgBouncer in transaction pooling mode (the shipped configuration, a
// pool of 4 server connections), and DATABASE_DIRECT_URL names PostgreSQL itself (for
// the queue-less mode's LISTEN). One worker is killed (SIGKILL) mid-run. Every
// prediction is stored exactly once, the API's main routes work (COPY import and
// export included), and PostgreSQL never runs more server processes for the database
// than the pool.

const EVALQ_MAIN = fileURLToPath(new URL('../../apps/cli/dist/main.js', import.meta.url));
const POOL = 4;
const ROWS = 600;
const TOKEN = 'behind-pgbouncer-token';

describe.each(QUEUE_MODES)('evalq behind PgBouncer, wake-ups and limits through %s', (queue) => {
  const bed = useWorkerTestBed(
    'pgbouncer',
    async () => ({
      provider: await startFakeOpenAIServer({
        latencyMs: 150,
        respond: (prompt) => `echo ${prompt.length}`,
      }),
    }),
    queue,
  );
  let pgbouncer: PgBouncer;
  let sampler: BackendSampler;
  let api: WorkerProcess | undefined;
  let apiUrl: string;

  /** Every evalq process here: its pool through PgBouncer, DATABASE_DIRECT_URL past it. */
  const connections = (): Record<string, string> => ({
    DATABASE_URL: pgbouncer.url(bed.t.name),
    DATABASE_DIRECT_URL: bed.t.url,
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
    pgbouncer = await startPgBouncer({ poolSize: POOL });
    // Everything goes through PgBouncer but the test's own pool and, queue-less, each
    // worker's LISTEN connection to DATABASE_DIRECT_URL.
    sampler = await sampleBackends({
      database: bed.t.name,
      ignoreApplicationNames: ['evalq-test', 'evalq-worker-listen %'],
    });
    const port = await freePort();
    apiUrl = `http://127.0.0.1:${port}`;
    api = await startWorkerProcess({
      label: 'api',
      script: EVALQ_MAIN,
      args: ['api'],
      env: {
        ...workerEnv(bed.t, bed.prefix, connections(), queue),
        PORT: String(port),
        HOST: '127.0.0.1',
        API_TOKEN: TOKEN,
      },
      ready: (record) => record.msg === 'API listening',
    });
  });

  afterAll(async () => {
    await killAll([api, ...bed.workers]);
    await sampler?.stop().catch(() => undefined);
    await pgbouncer?.stop();
  });

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
          config: { base_url: bed.servers.provider.url, max_retries: 0 },
        })
      ).json;
      const prompts = await Promise.all(
        ['A: {{content}}', 'B: {{content}}'].map(
          async (text) => (await call('POST', '/v1/prompts', { text })).json,
        ),
      );

      // Three workers, ready before the launch, so each gets a share of the job.
      for (const id of ['victim', 'survivor-1', 'survivor-2']) {
        await bed.startWorker(id, { ...connections(), DATABASE_POOL_SIZE: 3 });
      }
      const launch = async (prompt_id: number) => {
        const launched = await call('POST', '/v1/jobs', {
          dataset_id: dataset.dataset_id,
          model_ids: [model.model_id],
          prompt_ids: [prompt_id],
        });
        expect(launched.status).toBe(201);
        const [job] = launched.json.jobs;
        return { job, path: `/v1/jobs/${job.model_id}/${job.prompt_id}/${job.dataset_id}` };
      };

      // Two jobs; the second is cancelled at once.
      const { job, path } = await launch(prompts[0].prompt_id);
      expect(job).toMatchObject({ total: ROWS, pending: ROWS });
      const other = await launch(prompts[1].prompt_id);
      expect((await call('DELETE', other.path)).status).toBeLessThan(300);
      expect((await call('GET', other.path)).status).toBe(404);

      const heldByVictim = async () =>
        (
          await bed.t.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM predictionstatus WHERE status = 'in_progress' AND claimed_by = 'victim'`,
          )
        )[0]!.n;
      const describe = () => bed.workers.map((w) => w.describe()).join('\n');
      await waitFor(
        async () => (await call('GET', path)).json.done >= 30 && (await heldByVictim()) > 0,
        { timeoutMs: 60_000, intervalMs: 20, describe },
      );
      expect(await bed.workers[0]!.kill()).toMatchObject({ signal: 'SIGKILL' });

      await waitFor(async () => (await call('GET', path)).json.status === 'done', {
        timeoutMs: 60_000,
        describe,
      });
      expect((await call('GET', path)).json).toMatchObject({
        total: ROWS,
        done: ROWS,
        failed: 0,
        succeeded: ROWS,
      });
      await expectExactlyOnce(bed.t, job, ROWS);
      // The launch reached the workers at once (BullMQ, or queue-less the announcement
      // they LISTEN to on DATABASE_DIRECT_URL), not only by their periodic reconcile.
      const heardOf = bed.workers.flatMap((w) =>
        w.logs.filter((r) => r.msg === 'job discovered' && r.prompt_id === job.prompt_id),
      );
      expect(heardOf.some((r) => r.source !== 'reconcile')).toBe(true);
      // The victim's claims came back after the lease and were redone by the others.
      expect(await heldByVictim()).toBe(0);
      const reclaimed = bed.workers
        .slice(1)
        .flatMap((w) => w.logs)
        .filter((r) => r.msg === 'reclaimed expired claims: rows back to pending')
        .reduce((sum, r) => sum + Number(r.rows), 0);
      expect(reclaimed).toBeGreaterThan(0);

      // Reads: the export is a COPY inside a read-only transaction.
      const jobQuery = `model_id=${job.model_id}&prompt_id=${job.prompt_id}&dataset_id=${job.dataset_id}`;
      const exported = await call('GET', `/v1/predictions/export?${jobQuery}&format=csv`);
      expect(exported.status).toBe(200);
      expect(exported.text.trim().split('\n')).toHaveLength(ROWS + 1);
      expect((await call('GET', `/v1/predictions?${jobQuery}`)).status).toBe(200);
      const board = await call('GET', `/v1/datasets/${dataset.dataset_id}/leaderboard`);
      expect(board.status).toBe(200);
      expect(JSON.stringify(board.json)).toContain(`"n":${ROWS}`);

      for (const worker of bed.workers.slice(1)) {
        expect(await worker.stop()).toEqual({ code: 0, signal: null });
      }
      expect(await api!.stop()).toEqual({ code: 0, signal: null });
      const backends = await sampler.stop();
      expect(backends.count).toBeGreaterThan(20);
      expect(backends.max).toBeGreaterThan(0);
      expect(backends.max).toBeLessThanOrEqual(POOL);
    },
  );
});
