import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_DEFAULTS } from '@evalq/api';
import { jobPath, seedCatalog, startTestApi, type TestApi } from './support/test-api.js';
import { claimRows, processRows } from './support/claim-protocol.js';
import { requireRedis } from '@evalq/testing';

// Every test here goes through Redis (skipped with the reason where none answers).
requireRedis();

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api?.close();
});

async function catalog(rows: number, models = 1, prompts = 1) {
  const { dataset_id, model_id, prompt_id } = await seedCatalog(api, rows);
  const model_ids = [model_id];
  const prompt_ids = [prompt_id];
  for (let i = 1; i < models; i += 1) {
    model_ids.push((await api.post('/v1/models', { name: `m${i}`, source: 'mock' })).body.model_id);
  }
  for (let i = 1; i < prompts; i += 1) {
    prompt_ids.push((await api.post('/v1/prompts', { text: `P${i}: {{content}}` })).body.prompt_id);
  }
  return { dataset_id, model_ids, prompt_ids };
}

async function countRows(sql: string, params: unknown[]): Promise<number> {
  const [row] = await api.t.query<{ n: number }>(sql, params);
  return row!.n;
}

describe('POST /v1/jobs (launch)', () => {
  it('creates every model × prompt job, seeds its rows and enqueues it', async () => {
    const { dataset_id, model_ids, prompt_ids } = await catalog(7, 2, 2);
    const launched = await api.post('/v1/jobs', { dataset_id, model_ids, prompt_ids });

    expect(launched.status).toBe(201);
    expect(launched.body.enqueued).toBe(true);
    expect(launched.body.jobs).toHaveLength(4);
    expect(launched.body.created).toHaveLength(4);
    for (const job of launched.body.jobs) {
      expect(job).toMatchObject({ status: 'pending', total: 7, done: 0, pending: 7, percent: 0 });
    }
    expect(
      await countRows('SELECT count(*)::int AS n FROM predictionstatus WHERE dataset_id = $1', [
        dataset_id,
      ]),
    ).toBe(28);
    const waiting = (await api.queue.getWaiting()).map((job) => job.id).sort();
    const expected = model_ids
      .flatMap((m) => prompt_ids.map((p) => `job-${m}-${p}-${dataset_id}`))
      .sort();
    expect(waiting).toEqual(expect.arrayContaining(expected));
  });

  it('returns existing jobs instead of duplicating them', async () => {
    const { dataset_id, model_ids, prompt_ids } = await catalog(3, 1, 1);
    const body = { dataset_id, model_ids, prompt_ids };
    const first = await api.post('/v1/jobs', body);
    const key = first.body.created[0];
    await processRows(api.t, key, 2);

    const again = await api.post('/v1/jobs', { ...body, model_ids: [...model_ids, ...model_ids] });
    expect(again.status).toBe(201);
    expect(again.body.created).toEqual([]);
    expect(again.body.jobs).toHaveLength(1);
    expect(again.body.jobs[0]).toMatchObject({ ...key, done: 2, total: 3 });
    expect(
      await countRows('SELECT count(*)::int AS n FROM modelpromptstatus WHERE dataset_id = $1', [
        dataset_id,
      ]),
    ).toBe(1);
    expect(
      await countRows('SELECT count(*)::int AS n FROM predictionstatus WHERE dataset_id = $1', [
        dataset_id,
      ]),
    ).toBe(3);
  });

  it('refuses a prompt bound to another model (409) and creates nothing', async () => {
    const { dataset_id, model_ids, prompt_ids } = await catalog(2, 2, 1);
    const bound = await api.post('/v1/prompts', { text: 'only for m0', model_id: model_ids[0] });
    const refused = await api.post('/v1/jobs', {
      dataset_id,
      model_ids,
      prompt_ids: [...prompt_ids, bound.body.prompt_id],
    });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('CONFLICT');
    expect(refused.body.error.message).toContain(
      `prompt ${bound.body.prompt_id} is bound to model`,
    );
    expect(
      await countRows('SELECT count(*)::int AS n FROM modelpromptstatus WHERE dataset_id = $1', [
        dataset_id,
      ]),
    ).toBe(0);

    const own = await api.post('/v1/jobs', {
      dataset_id,
      model_ids: [model_ids[0]],
      prompt_ids: [bound.body.prompt_id],
    });
    expect(own.status).toBe(201);
  });

  it('answers 404 naming what is missing, and 400 naming a bad field', async () => {
    const { dataset_id, model_ids, prompt_ids } = await catalog(1);
    const noDataset = await api.post('/v1/jobs', { dataset_id: 999_999, model_ids, prompt_ids });
    expect(noDataset.status).toBe(404);
    expect(noDataset.body.error.message).toContain('dataset 999999');
    const noModel = await api.post('/v1/jobs', { dataset_id, model_ids: [999_998], prompt_ids });
    expect(noModel.status).toBe(404);
    expect(noModel.body.error.message).toContain('model 999998');
    const bad = await api.post('/v1/jobs', { dataset_id, model_ids: [], prompt_ids: ['1'] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string }) => d.path)).toEqual(
      expect.arrayContaining(['body.model_ids', 'body.prompt_ids.0']),
    );
  });
});

describe('job progress', () => {
  it('reports the progress object from the counters', async () => {
    const { dataset_id, model_ids, prompt_ids } = await catalog(10);
    const key = { model_id: model_ids[0]!, prompt_id: prompt_ids[0]!, dataset_id };
    await api.post('/v1/jobs', { dataset_id, model_ids, prompt_ids });

    // 4 right, 1 wrong, 2 failed, 3 in flight, the rest pending.
    await processRows(api.t, key, 4);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await processRows(api.t, key, 1, { answer: () => 'wrong' });
    await processRows(api.t, key, 2, { outcome: 'failed' });
    await claimRows(api.t, key, 3);

    const job = await api.get(jobPath(key));
    expect(job.status).toBe(200);
    expect(Object.keys(job.body).sort()).toEqual(
      [
        'model_id',
        'prompt_id',
        'dataset_id',
        'status',
        'total',
        'done',
        'succeeded',
        'failed',
        'in_progress',
        'pending',
        'percent',
        'passed',
        'ungraded',
        'pass_rate',
        'accuracy',
        'regrading',
        'regrade_remaining',
        'assertions',
        'threshold',
        'started_at',
        'updated_at',
        'finished_at',
        'rate_per_s',
        'eta_s',
        'outcome',
        'spent_usd',
        'spent_tokens',
        'cost_usd',
        'cost_per_pass_usd',
        'budget',
        'paused_reason',
        'paused_message',
        'cache',
        'cached',
        'cache_hit_rate',
        'batch',
      ].sort(),
    );
    const doc = await api.get('/openapi.json');
    const documented =
      doc.body.paths['/v1/jobs/{model_id}/{prompt_id}/{dataset_id}'].get.responses['200'].content[
        'application/json'
      ].schema.properties;
    expect(Object.keys(documented).sort()).toEqual(Object.keys(job.body).sort());
    expect(job.body).toMatchObject({
      ...key,
      status: 'running',
      total: 10,
      done: 7,
      succeeded: 5,
      failed: 2,
      in_progress: 3,
      pending: 0,
      percent: 70,
      passed: 4,
      ungraded: 0,
      pass_rate: 0.8,
      accuracy: 0.8,
      regrading: false,
      assertions: [{ type: 'equals', weight: 1, not: false }],
      threshold: null,
      finished_at: null,
    });
    // The rate is rows done over the time from the first to the latest stored prediction
    // (timestamps shown to the millisecond, so within 10%); the ETA is the 3 rows left at
    // that rate, rounded up to a tenth of a second.
    const elapsedS = (Date.parse(job.body.updated_at) - Date.parse(job.body.started_at)) / 1000;
    expect(elapsedS).toBeGreaterThan(0);
    expect(Math.abs(job.body.rate_per_s / (7 / elapsedS) - 1)).toBeLessThan(0.1);
    const eta = Math.ceil((3 / job.body.rate_per_s) * 10) / 10;
    expect(Math.abs(job.body.eta_s - eta)).toBeLessThanOrEqual(0.1 + 1e-9);
  });

  it('shows a finished job as done with eta 0', async () => {
    const { dataset_id, model_ids, prompt_ids } = await catalog(3);
    const key = { model_id: model_ids[0]!, prompt_id: prompt_ids[0]!, dataset_id };
    await api.post('/v1/jobs', { dataset_id, model_ids, prompt_ids });
    await processRows(api.t, key, 3);
    const job = await api.get(jobPath(key));
    expect(job.body).toMatchObject({ status: 'done', done: 3, percent: 100, eta_s: 0, pending: 0 });
    expect(job.body.finished_at).not.toBeNull();
  });

  it('answers 304 to If-None-Match until the job changes', async () => {
    const { dataset_id, model_ids, prompt_ids } = await catalog(4);
    const key = { model_id: model_ids[0]!, prompt_id: prompt_ids[0]!, dataset_id };
    await api.post('/v1/jobs', { dataset_id, model_ids, prompt_ids });

    const first = await api.get(jobPath(key));
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const unchanged = await api.get(jobPath(key), { headers: { 'if-none-match': etag } });
    expect(unchanged.status).toBe(304);
    expect(unchanged.text).toBe('');

    await processRows(api.t, key, 1);
    // One read serves a job's pollers for up to 2 × progressCacheMs: after it, the change shows.
    await sleep(2 * API_DEFAULTS.progressCacheMs + 10);
    const changed = await api.get(jobPath(key), { headers: { 'if-none-match': etag } });
    expect(changed.status).toBe(200);
    expect(changed.body.done).toBe(1);
    expect(changed.headers.get('etag')).not.toBe(etag);

    const list = await api.get(`/v1/jobs?dataset_id=${dataset_id}`);
    const listEtag = list.headers.get('etag')!;
    expect(
      (
        await api.get(`/v1/jobs?dataset_id=${dataset_id}`, {
          headers: { 'if-none-match': listEtag },
        })
      ).status,
    ).toBe(304);
    await processRows(api.t, key, 1);
    expect(
      (
        await api.get(`/v1/jobs?dataset_id=${dataset_id}`, {
          headers: { 'if-none-match': listEtag },
        })
      ).status,
    ).toBe(200);
  });

  it('answers 404 for a job that does not exist and 400 for a malformed id', async () => {
    const missing = await api.get('/v1/jobs/1/1/987654');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({
      code: 'NOT_FOUND',
      message: 'job 1/1/987654 was not found',
    });
    const malformed = await api.get('/v1/jobs/1/x/2');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.details[0].path).toBe('params.prompt_id');
  });
});

describe('GET /v1/jobs', () => {
  it('filters by dataset, model, prompt and status, and pages with a cursor', async () => {
    const { dataset_id, model_ids, prompt_ids } = await catalog(2, 2, 2);
    await api.post('/v1/jobs', { dataset_id, model_ids, prompt_ids });
    await processRows(api.t, { model_id: model_ids[1]!, prompt_id: prompt_ids[0]!, dataset_id }, 2);

    const all = await api.get(`/v1/jobs?dataset_id=${dataset_id}`);
    expect(all.body.items).toHaveLength(4);
    expect(all.body.next_cursor).toBeNull();
    const done = await api.get(`/v1/jobs?dataset_id=${dataset_id}&status=done`);
    expect(done.body.items.map((j: { model_id: number }) => j.model_id)).toEqual([model_ids[1]]);
    const byModel = await api.get(`/v1/jobs?dataset_id=${dataset_id}&model_id=${model_ids[0]}`);
    expect(byModel.body.items).toHaveLength(2);
    const byPrompt = await api.get(`/v1/jobs?dataset_id=${dataset_id}&prompt_id=${prompt_ids[1]}`);
    expect(byPrompt.body.items).toHaveLength(2);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `/v1/jobs?dataset_id=${dataset_id}&limit=3${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await api.get(query);
      seen.push(
        ...page.body.items.map(
          (j: { model_id: number; prompt_id: number }) => `${j.model_id}/${j.prompt_id}`,
        ),
      );
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toHaveLength(4);
    expect(new Set(seen).size).toBe(4);

    const badStatus = await api.get('/v1/jobs?status=finished');
    expect(badStatus.status).toBe(400);
    expect(badStatus.body.error.details[0].path).toBe('querystring.status');
    const badCursor = await api.get('/v1/jobs?cursor=not-a-cursor');
    expect(badCursor.status).toBe(400);
  });
});

describe('DELETE /v1/jobs/:m/:p/:d (cancel)', () => {
  it('removes the job, its status rows and its predictions, and a relaunch starts from zero', async () => {
    const { dataset_id, model_ids, prompt_ids } = await catalog(5, 2, 1);
    await api.post('/v1/jobs', { dataset_id, model_ids, prompt_ids });
    const key = { model_id: model_ids[0]!, prompt_id: prompt_ids[0]!, dataset_id };
    const sibling = { model_id: model_ids[1]!, prompt_id: prompt_ids[0]!, dataset_id };
    await processRows(api.t, key, 3);
    // One prediction stored without a dataset_id (the column is nullable): the job still owns it.
    const [held] = await claimRows(api.t, key, 1);
    await api.t.query(
      `INSERT INTO predictions (row_id, model_id, prompt_id, dataset_id, prediction, prediction_time, status)
       VALUES ($1, $2, $3, NULL, 'x', 0.1, 'success')`,
      [held!.row_id, key.model_id, key.prompt_id],
    );
    await claimRows(api.t, key, 1);
    await processRows(api.t, sibling, 2);

    const cancelled = await api.request('DELETE', jobPath(key));
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ ...key, cancelled: true, predictions_deleted: 4 });

    const forJob = [key.model_id, key.prompt_id, key.dataset_id];
    expect(
      await countRows(
        `SELECT count(*)::int AS n FROM predictions p JOIN rows r USING (row_id)
          WHERE p.model_id = $1 AND p.prompt_id = $2 AND r.dataset_id = $3`,
        forJob,
      ),
    ).toBe(0);
    expect(
      await countRows(
        'SELECT count(*)::int AS n FROM predictionstatus WHERE model_id = $1 AND prompt_id = $2 AND dataset_id = $3',
        forJob,
      ),
    ).toBe(0);
    expect((await api.get(jobPath(key))).status).toBe(404);
    expect((await api.get(jobPath(sibling))).body).toMatchObject({ done: 2, total: 5 });

    const relaunched = await api.post('/v1/jobs', {
      dataset_id,
      model_ids: [key.model_id],
      prompt_ids: [key.prompt_id],
    });
    expect(relaunched.body.created).toEqual([key]);
    expect(relaunched.body.jobs[0]).toMatchObject({ status: 'pending', total: 5, done: 0 });

    expect((await api.request('DELETE', '/v1/jobs/1/2/999999')).status).toBe(404);
  });
});

describe('POST …/retry-failed', () => {
  it('sends failed rows back to pending and the job back to running', async () => {
    const { dataset_id, model_ids, prompt_ids } = await catalog(6);
    const key = { model_id: model_ids[0]!, prompt_id: prompt_ids[0]!, dataset_id };
    await api.post('/v1/jobs', { dataset_id, model_ids, prompt_ids });
    await processRows(api.t, key, 4);
    const failedRows = await processRows(api.t, key, 2, { outcome: 'failed' });
    expect((await api.get(jobPath(key))).body).toMatchObject({ status: 'done', failed: 2 });
    await api.queue.drain();

    const retried = await api.post(`${jobPath(key)}/retry-failed`);
    expect(retried.status).toBe(200);
    expect(retried.body.reset).toBe(2);
    expect(retried.body.job).toMatchObject({
      status: 'running',
      done: 4,
      failed: 0,
      pending: 2,
      finished_at: null,
    });
    const statuses = await api.t.query<{ status: string; claimed_by: string | null }>(
      'SELECT status, claimed_by FROM predictionstatus WHERE model_id = $1 AND prompt_id = $2 AND row_id = ANY($3::int[])',
      [key.model_id, key.prompt_id, failedRows],
    );
    expect(statuses).toEqual([
      { status: 'pending', claimed_by: null },
      { status: 'pending', claimed_by: null },
    ]);
    expect(
      await countRows(
        "SELECT count(*)::int AS n FROM predictions WHERE model_id = $1 AND prompt_id = $2 AND status = 'failed'",
        [key.model_id, key.prompt_id],
      ),
    ).toBe(0);
    expect((await api.queue.getWaiting()).map((job) => job.id)).toContain(
      `job-${key.model_id}-${key.prompt_id}-${dataset_id}`,
    );

    // The rows run again and the job finishes, counted once each.
    await processRows(api.t, key, 2);
    expect((await api.get(jobPath(key))).body).toMatchObject({
      status: 'done',
      done: 6,
      failed: 0,
    });
    const nothing = await api.post(`${jobPath(key)}/retry-failed`);
    expect(nothing.body).toMatchObject({ reset: 0, job: { status: 'done' } });

    const log = await api.t.query<{ previous_status: string | null; status: string }>(
      'SELECT previous_status, status FROM status_update_log WHERE model_id = $1 AND prompt_id = $2 AND dataset_id = $3 ORDER BY id',
      [key.model_id, key.prompt_id, dataset_id],
    );
    expect(log.map((l) => `${l.previous_status}->${l.status}`)).toEqual([
      'null->pending',
      'pending->running',
      'running->done',
      'done->running',
      'running->done',
    ]);
  });

  it('answers 404 for a job that does not exist', async () => {
    expect((await api.post('/v1/jobs/1/1/424242/retry-failed')).status).toBe(404);
  });
});

describe('when Redis is unreachable', () => {
  let offline: TestApi;
  beforeAll(async () => {
    offline = await startTestApi({ redisUrl: 'redis://127.0.0.1:1' });
  });
  afterAll(async () => {
    await offline?.close();
  });

  it('still launches (the jobs are in PostgreSQL) and says they were not enqueued', async () => {
    const { dataset_id, model_id, prompt_id } = await seedCatalog(offline, 3);
    const launched = await offline.post('/v1/jobs', {
      dataset_id,
      model_ids: [model_id],
      prompt_ids: [prompt_id],
    });
    expect(launched.status).toBe(201);
    expect(launched.body.enqueued).toBe(false);
    expect(launched.body.jobs[0]).toMatchObject({ status: 'pending', total: 3 });
  });

  it('is not ready', async () => {
    const ready = await offline.get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({
      status: 'unavailable',
      postgres: { ok: true },
      redis: { ok: false },
    });
  });
});

describe('shared progress reads', () => {
  // A long window, so that what happens inside it does not depend on the machine's speed.
  const windowMs = 1_000;
  let shared: TestApi;
  beforeAll(async () => {
    shared = await startTestApi({ config: { progressCacheMs: windowMs } });
  });
  afterAll(async () => {
    await shared?.close();
  });

  async function waitForDone(
    key: { model_id: number; prompt_id: number; dataset_id: number },
    done: number,
  ) {
    const deadline = performance.now() + 2_000;
    while ((await shared.get(jobPath(key))).body.done !== done) {
      if (performance.now() > deadline) throw new Error(`progress never showed done = ${done}`);
      await sleep(20);
    }
  }

  it("serve a job's pollers from one read for the window, and drop it when the API changes the job", async () => {
    const { dataset_id, model_id, prompt_id } = await seedCatalog(shared, 3);
    const key = { model_id, prompt_id, dataset_id };
    await shared.post('/v1/jobs', { dataset_id, model_ids: [model_id], prompt_ids: [prompt_id] });
    const started = performance.now();
    expect((await shared.get(jobPath(key))).body.done).toBe(0);

    // A worker stores a result: pollers inside the window still get the shared read…
    await processRows(shared.t, key, 1);
    const readers = await Promise.all([1, 2, 3].map(() => shared.get(jobPath(key))));
    if (performance.now() - started < windowMs) {
      expect(readers.map((r) => r.body.done)).toEqual([0, 0, 0]);
    }
    // After the window, a poller still gets the last read at once while a newer one
    // runs; the next poller gets the newer one.
    await sleep(windowMs - (performance.now() - started) + 50);
    const stale = await shared.get(jobPath(key));
    if (performance.now() - started < 2 * windowMs) expect(stale.body.done).toBe(0);
    await waitForDone(key, 1);
    // Nothing older than two windows is ever served.
    await processRows(shared.t, key, 1);
    await sleep(2 * windowMs + 20);
    expect((await shared.get(jobPath(key))).body.done).toBe(2);

    // The API's own change (cancel) shows at once, not after the window.
    expect((await shared.get(jobPath(key))).status).toBe(200);
    await shared.request('DELETE', jobPath(key));
    expect((await shared.get(jobPath(key))).status).toBe(404);
  });
});
