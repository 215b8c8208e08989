import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobKey } from '@evalq/core';
import { startTestApi, type TestApi } from './support/test-api.js';
import { processRows } from './support/claim-protocol.js';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api?.close();
});

/** A dataset of `rows` rows (labels a, b in turn), `models` mock models and `prompts` prompts. */
async function catalog(rows: number, models: number, prompts: number) {
  const dataset_id = (await api.post('/v1/datasets', { name: `runs ${rows}` })).body.dataset_id;
  const records = Array.from({ length: rows }, (_, i) => ({
    content: `row ${i + 1}`,
    expected_prediction: i % 2 ? 'b' : 'a',
    input: { question: `question ${i + 1}`, meta: { lang: 'en' } },
  }));
  await api.post(`/v1/datasets/${dataset_id}/rows`, records);
  const model_ids: number[] = [];
  for (let i = 0; i < models; i += 1) {
    model_ids.push((await api.post('/v1/models', { name: `m${i}`, source: 'mock' })).body.model_id);
  }
  const prompt_ids: number[] = [];
  for (let i = 0; i < prompts; i += 1) {
    const prompt = await api.post('/v1/prompts', {
      name: `runs-${dataset_id}-p${i}`,
      text: `P${i} {{question}}`,
    });
    prompt_ids.push(prompt.body.prompt_id);
  }
  return { dataset_id, model_ids, prompt_ids };
}

const count = async (sql: string, params: unknown[] = []) =>
  Number((await api.t.query<{ n: string }>(sql, params))[0]!.n);

/** Answers the first `correct` rows of a job right and the rest wrong. */
async function finishJob(key: JobKey, rows: number, correct: number): Promise<void> {
  let index = 0;
  await processRows(api.t, key, rows, {
    answer: (row) => (index++ < correct ? row.expected_prediction : 'wrong'),
  });
}

describe('POST /v1/runs', () => {
  it('creates every model × prompt job and a run over them, pending until work starts', async () => {
    const { dataset_id, model_ids, prompt_ids } = await catalog(4, 2, 2);
    const created = await api.post('/v1/runs', {
      name: 'first run',
      dataset_id,
      model_ids,
      prompt_ids,
      assertions: [{ type: 'equals' }],
      threshold: 0.5,
      cache: false,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'first run',
      dataset_id,
      model_ids,
      prompt_ids,
      status: 'pending',
      progress: { total: 16, done: 0, failed: 0, percent: 0 },
      assertions: [{ type: 'equals' }],
      threshold: 0.5,
      started_at: null,
      completed_at: null,
      summary: null,
      enqueued: true,
    });
    expect(created.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.body.jobs).toHaveLength(4);
    expect(created.body.jobs[0].job).toMatchObject({ status: 'pending', total: 4 });
    expect(
      await count('SELECT count(*) AS n FROM modelpromptstatus WHERE dataset_id = $1', [
        dataset_id,
      ]),
    ).toBe(4);

    const listed = await api.get('/v1/runs');
    expect(listed.body.items[0]).toMatchObject({ id: created.body.id, status: 'pending' });
    const one = await api.get(`/v1/runs/${created.body.id}`);
    expect(one.status).toBe(200);
    expect(one.headers.get('etag')).toBeTruthy();
  });

  it('runs, then completes with a summary whose numbers match the stored answers', async () => {
    const { dataset_id, model_ids, prompt_ids } = await catalog(10, 2, 2);
    const created = await api.post('/v1/runs', { dataset_id, model_ids, prompt_ids });
    const id = created.body.id as string;
    const [m1, m2] = model_ids as [number, number];
    const [p1, p2] = prompt_ids as [number, number];
    // correct answers out of 10, per model × prompt
    const correct = new Map([
      [`${m1}/${p1}`, 8],
      [`${m2}/${p1}`, 5],
      [`${m1}/${p2}`, 6],
      [`${m2}/${p2}`, 6],
    ]);

    await finishJob({ model_id: m1, prompt_id: p1, dataset_id }, 3, 3);
    const running = await api.get(`/v1/runs/${id}`);
    expect(running.body).toMatchObject({ status: 'running', progress: { done: 3, total: 40 } });
    expect(running.body.started_at).not.toBeNull();
    expect(running.body.progress.percent).toBe(7.5);

    await finishJob({ model_id: m1, prompt_id: p1, dataset_id }, 7, 5);
    for (const [key, right] of correct) {
      if (key === `${m1}/${p1}`) continue;
      const [model_id, prompt_id] = key.split('/').map(Number) as [number, number];
      await finishJob({ model_id, prompt_id, dataset_id }, 10, right);
    }
    const done = await api.get(`/v1/runs/${id}`);
    expect(done.body).toMatchObject({ status: 'completed', progress: { done: 40, percent: 100 } });
    expect(done.body.completed_at).not.toBeNull();
    const summary = done.body.summary;
    expect(summary.basis).toBe('accuracy');
    const accuracyOf = (m: number, p: number) =>
      summary.leaderboard.find((r: JobKey) => r.model_id === m && r.prompt_id === p).accuracy;
    for (const [key, right] of correct) {
      const [m, p] = key.split('/').map(Number) as [number, number];
      expect(accuracyOf(m, p)).toBeCloseTo(right / 10, 9);
    }
    expect(summary.leaderboard.map((r: { accuracy: number }) => r.accuracy)).toEqual([
      0.8, 0.6, 0.6, 0.5,
    ]);
    expect(summary.leaderboard[0]).toMatchObject({
      prompt_label: `runs-${dataset_id}-p0@1`,
      round_table_winner: true,
    });
    // Pairs sharing a prompt (2) or a model (2); the diagonal pairs share nothing.
    expect(summary.comparisons).toHaveLength(4);
    const onP1 = summary.comparisons.find(
      (c: { shared: string; a: JobKey }) => c.shared === 'prompt' && c.a.prompt_id === p1,
    );
    expect(onP1).toMatchObject({ a_accuracy: 0.8, b_accuracy: 0.5, winner: 'a' });
    expect(onP1.difference).toBeCloseTo(0.3, 9);
    expect(summary.winners).toEqual([
      { prompt_id: p1, model_id: m1 },
      { prompt_id: p2, model_id: null },
    ]);
  });

  it('reuses existing jobs and their predictions: no duplicate job, no new prediction', async () => {
    const { dataset_id, model_ids, prompt_ids } = await catalog(6, 1, 1);
    const key = { model_id: model_ids[0]!, prompt_id: prompt_ids[0]!, dataset_id };
    await api.post('/v1/jobs', { dataset_id, model_ids, prompt_ids });
    await finishJob(key, 6, 6);
    const predictions = await count('SELECT count(*) AS n FROM predictions WHERE dataset_id = $1', [
      dataset_id,
    ]);

    const first = await api.post('/v1/runs', { dataset_id, model_ids, prompt_ids });
    const second = await api.post('/v1/runs', { dataset_id, model_ids, prompt_ids });
    for (const run of [first, second]) {
      expect(run.status).toBe(201);
      expect(run.body).toMatchObject({ status: 'completed', progress: { done: 6, total: 6 } });
      expect(run.body.summary.leaderboard[0].accuracy).toBe(1);
    }
    expect(
      await count('SELECT count(*) AS n FROM modelpromptstatus WHERE dataset_id = $1', [
        dataset_id,
      ]),
    ).toBe(1);
    expect(
      await count('SELECT count(*) AS n FROM predictionstatus WHERE dataset_id = $1', [dataset_id]),
    ).toBe(6);
    expect(
      await count('SELECT count(*) AS n FROM predictions WHERE dataset_id = $1', [dataset_id]),
    ).toBe(predictions);
  });

  it('refuses what it cannot do yet, and bad input, writing nothing', async () => {
    const { dataset_id, model_ids, prompt_ids } = await catalog(2, 1, 1);
    const runsBefore = await count('SELECT count(*) AS n FROM runs');
    const jobsBefore = await count('SELECT count(*) AS n FROM modelpromptstatus');
    const base = { dataset_id, model_ids, prompt_ids };
    const cases = [
      [{ ...base, budget: { max_cost_usd: 5 } }, 400, 'body.budget'],
      [{ ...base, cache: true }, 400, 'body.cache'],
      [{ ...base, threshold: 2 }, 400, 'body.threshold'],
      [{ ...base, assertions: [{ weight: 1 }] }, 400, 'body.assertions.0.type'],
      [{ ...base, model_ids: [] }, 400, 'body.model_ids'],
      [{ ...base, dataset_id: 999_999 }, 404, 'dataset_id'],
      [{ ...base, prompt_ids: [999_999] }, 404, 'prompt_ids'],
    ] as const;
    for (const [body, status, path] of cases) {
      const reply = await api.post('/v1/runs', body);
      expect(reply.status, JSON.stringify(body)).toBe(status);
      expect(reply.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
    }
    const other = (await api.post('/v1/models', { name: 'other', source: 'mock' })).body.model_id;
    const bound = (await api.post('/v1/prompts', { text: 'mine {{content}}', model_id: other }))
      .body.prompt_id;
    const mismatch = await api.post('/v1/runs', { ...base, prompt_ids: [prompt_ids[0], bound] });
    expect(mismatch.status).toBe(409);
    expect(await count('SELECT count(*) AS n FROM runs')).toBe(runsBefore);
    expect(await count('SELECT count(*) AS n FROM modelpromptstatus')).toBe(jobsBefore);
    expect((await api.get('/v1/runs/not-a-uuid')).status).toBe(400);
    expect((await api.get('/v1/runs/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });
});

describe('DELETE /v1/runs/:id', () => {
  it("cancels the run's unfinished jobs no other run uses; finished jobs and shared ones stay", async () => {
    const { dataset_id, model_ids, prompt_ids } = await catalog(5, 3, 1);
    const [shared, own, finished] = model_ids.map((model_id) => ({
      model_id,
      prompt_id: prompt_ids[0]!,
      dataset_id,
    })) as [JobKey, JobKey, JobKey];
    const a = await api.post('/v1/runs', { dataset_id, model_ids, prompt_ids });
    const b = await api.post('/v1/runs', { dataset_id, model_ids: [shared.model_id], prompt_ids });
    await finishJob(finished, 5, 4);
    await finishJob(own, 2, 2);
    await finishJob(shared, 1, 1);

    const canceled = await api.request('DELETE', `/v1/runs/${a.body.id}`);
    expect(canceled.status).toBe(200);
    expect(canceled.body.status).toBe('canceled');
    expect(canceled.body.canceled_at).not.toBeNull();
    expect(canceled.body.canceled_jobs).toEqual([own]);
    expect(canceled.body.kept_jobs).toEqual([shared]);
    const jobOf = (key: JobKey) =>
      count(
        'SELECT count(*) AS n FROM modelpromptstatus WHERE model_id = $1 AND prompt_id = $2 AND dataset_id = $3',
        [key.model_id, key.prompt_id, key.dataset_id],
      );
    const predictionsOf = (key: JobKey) =>
      count(
        'SELECT count(*) AS n FROM predictions WHERE model_id = $1 AND prompt_id = $2 AND dataset_id = $3',
        [key.model_id, key.prompt_id, key.dataset_id],
      );
    expect(await jobOf(own)).toBe(0);
    expect(await predictionsOf(own)).toBe(0);
    expect(await jobOf(finished)).toBe(1);
    expect(await predictionsOf(finished)).toBe(5);
    expect(await jobOf(shared)).toBe(1);
    expect(await predictionsOf(shared)).toBe(1);
    expect((await api.get(`/v1/runs/${b.body.id}`)).body.status).toBe('running');
    expect(
      (await api.get(`/v1/runs/${a.body.id}`)).body.jobs.find(
        (j: JobKey) => j.model_id === own.model_id,
      ).job,
    ).toBeNull();

    const again = await api.request('DELETE', `/v1/runs/${a.body.id}`);
    expect(again.body).toMatchObject({ status: 'canceled', canceled_jobs: [] });
    expect(
      (await api.request('DELETE', '/v1/runs/00000000-0000-4000-8000-000000000000')).status,
    ).toBe(404);
  });

  it('reads canceled when one of its jobs was cancelled by itself and the rest are done', async () => {
    const { dataset_id, model_ids, prompt_ids } = await catalog(3, 2, 1);
    const run = await api.post('/v1/runs', { dataset_id, model_ids, prompt_ids });
    await finishJob({ model_id: model_ids[0]!, prompt_id: prompt_ids[0]!, dataset_id }, 3, 3);
    await api.request('DELETE', `/v1/jobs/${model_ids[1]}/${prompt_ids[0]}/${dataset_id}`);
    expect((await api.get(`/v1/runs/${run.body.id}`)).body.status).toBe('canceled');
  });
});

describe('prompt variables at launch', () => {
  it('refuses (400) a prompt using a variable some rows lack or none has, through /v1/jobs and /v1/runs, before writing anything', async () => {
    const dataset_id = (await api.post('/v1/datasets', { name: 'partial input' })).body.dataset_id;
    const rows = Array.from({ length: 10 }, (_, i) => ({
      content: `c${i}`,
      expected_prediction: 'x',
      input: i < 7 ? { question: `q${i}`, meta: { lang: 'en' } } : { meta: {} },
    }));
    await api.post(`/v1/datasets/${dataset_id}/rows`, rows);
    const model_ids = [
      (await api.post('/v1/models', { name: 'vars', source: 'mock' })).body.model_id,
    ];
    const prompt = async (text: string) =>
      (await api.post('/v1/prompts', { text })).body.prompt_id as number;
    const fine = await prompt('{{content}} / {{expected}}');
    const partial = await prompt('Q: {{ question }} ({{meta.lang}})');
    const typo = await prompt('Q: {{contnet}}');
    const before = await count('SELECT count(*) AS n FROM modelpromptstatus');

    for (const path of ['/v1/jobs', '/v1/runs']) {
      const reply = await api.post(path, {
        dataset_id,
        model_ids,
        prompt_ids: [fine, partial, typo],
      });
      expect(reply.status).toBe(400);
      const details = reply.body.error.details;
      expect(details).toEqual([
        expect.objectContaining({
          path: 'body.prompt_ids.1',
          variable: 'question',
          rows_lacking: 3,
        }),
        expect.objectContaining({
          path: 'body.prompt_ids.1',
          variable: 'meta.lang',
          rows_lacking: 3,
        }),
        expect.objectContaining({
          path: 'body.prompt_ids.2',
          variable: 'contnet',
          rows_lacking: 10,
        }),
      ]);
      expect(reply.body.error.message).toContain('{{question}}, which 3 of the 10 rows');
      expect(reply.body.error.message).toContain('{{contnet}}, an unknown variable');
    }
    expect(await count('SELECT count(*) AS n FROM modelpromptstatus')).toBe(before);
    expect(await count('SELECT count(*) AS n FROM runs WHERE dataset_id = $1', [dataset_id])).toBe(
      0,
    );

    const ok = await api.post('/v1/runs', { dataset_id, model_ids, prompt_ids: [fine] });
    expect(ok.status).toBe(201);
  });
});
