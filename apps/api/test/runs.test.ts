import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobKey } from '@evalq/core';
import { startTestApi, type TestApi } from './support/test-api.js';
import { processRows } from './support/claim-protocol.js';
import { expectedMcNemar, expectedWilson } from './support/expected-statistics.js';

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

  it('runs, then completes with a graded summary: pass rates, intervals, paired comparisons, winners', async () => {
    const { dataset_id, model_ids, prompt_ids } = await catalog(20, 2, 2);
    const created = await api.post('/v1/runs', { dataset_id, model_ids, prompt_ids });
    const id = created.body.id as string;
    const [m1, m2] = model_ids as [number, number];
    const [p1, p2] = prompt_ids as [number, number];
    // Each job answers its first `right` rows (in row order) right and the rest wrong, so
    // on the rows both answer, the one with more right answers passes alone on the rest.
    const right = new Map([
      [`${m1}/${p1}`, 18],
      [`${m2}/${p1}`, 10],
      [`${m1}/${p2}`, 12],
      [`${m2}/${p2}`, 12],
    ]);

    await finishJob({ model_id: m1, prompt_id: p1, dataset_id }, 3, 3);
    const running = await api.get(`/v1/runs/${id}`);
    expect(running.body).toMatchObject({ status: 'running', progress: { done: 3, total: 80 } });
    expect(running.body.started_at).not.toBeNull();
    expect(running.body.progress.percent).toBe(3.75);
    expect(running.body.summary).toBeNull();

    await finishJob({ model_id: m1, prompt_id: p1, dataset_id }, 17, 15);
    for (const [key, passed] of right) {
      if (key === `${m1}/${p1}`) continue;
      const [model_id, prompt_id] = key.split('/').map(Number) as [number, number];
      await finishJob({ model_id, prompt_id, dataset_id }, 20, passed);
    }
    const done = await api.get(`/v1/runs/${id}`);
    expect(done.body).toMatchObject({ status: 'completed', progress: { done: 80, percent: 100 } });
    expect(done.body.completed_at).not.toBeNull();
    const summary = done.body.summary;

    // Leaderboard: pass rate = passed / 20, with the Wilson 95% interval written out here.
    type Entry = JobKey & {
      n: number;
      passed: number;
      pass_rate: number;
      pass_rate_ci95: [number, number];
      mean_score: number;
      failed: number;
      ungraded: number;
      round_table_winner: boolean;
      prompt_label: string;
    };
    const board = summary.leaderboard as Entry[];
    expect(board.map((e) => [e.model_id, e.prompt_id, e.pass_rate])).toEqual([
      [m1, p1, 0.9],
      [m1, p2, 0.6],
      [m2, p2, 0.6],
      [m2, p1, 0.5],
    ]);
    for (const entry of board) {
      const passed = right.get(`${entry.model_id}/${entry.prompt_id}`)!;
      expect(entry).toMatchObject({ n: 20, passed, failed: 0, ungraded: 0 });
      expect(entry.mean_score).toBeCloseTo(passed / 20, 12);
      const [lo, hi] = expectedWilson(passed, 20);
      expect(entry.pass_rate_ci95[0]).toBeCloseTo(lo, 12);
      expect(entry.pass_rate_ci95[1]).toBeCloseTo(hi, 12);
    }
    expect(board[0]).toMatchObject({ prompt_label: `runs-${dataset_id}-p0@1` });
    expect(board.map((e) => e.round_table_winner)).toEqual([true, false, false, false]);

    // Comparisons: pairs sharing a prompt (2) or a model (2), best-ranked first; McNemar's
    // exact p = min(1, 2 · Σ_{k ≤ min} C(N, k) / 2^N) over the N discordant rows.
    const find = (a: [number, number], b: [number, number]) =>
      summary.comparisons.find(
        (c: { a: JobKey; b: JobKey }) =>
          c.a.model_id === a[0] &&
          c.a.prompt_id === a[1] &&
          c.b.model_id === b[0] &&
          c.b.prompt_id === b[1],
      );
    expect(summary.comparisons).toHaveLength(4);
    const cases = [
      // a, b, shared, both, a_only, b_only, neither, winner
      [[m1, p1], [m2, p1], 'prompt', 10, 8, 0, 2, 'a'],
      [[m1, p1], [m1, p2], 'model', 12, 6, 0, 2, 'a'],
      [[m1, p2], [m2, p2], 'prompt', 12, 0, 0, 8, null],
      [[m2, p2], [m2, p1], 'model', 10, 2, 0, 8, null],
    ] as const;
    for (const [a, b, shared, both, aOnly, bOnly, neither, winner] of cases) {
      const c = find([...a], [...b]);
      expect(c, `${a.join('/')} vs ${b.join('/')}`).toMatchObject({
        shared,
        n_paired: 20,
        both,
        a_only: aOnly,
        b_only: bOnly,
        neither,
        winner,
      });
      expect(c.mcnemar_p).toBeCloseTo(expectedMcNemar(aOnly, bOnly), 12);
      expect(c.score_diff).toBeCloseTo((aOnly - bOnly) / 20, 12);
      // The bootstrap interval holds the observed difference; for a significant winner
      // (every discordant row favours A) it stays above 0.
      expect(c.score_diff_ci95[0]).toBeLessThanOrEqual(c.score_diff + 1e-12);
      expect(c.score_diff_ci95[1]).toBeGreaterThanOrEqual(c.score_diff - 1e-12);
      if (winner === 'a') expect(c.score_diff_ci95[0]).toBeGreaterThan(0);
      expect(c.verdict).toContain(winner ? 'significant' : 'not significant');
    }
    expect(find([m1, p1], [m2, p1]).verdict).toContain(
      `m0 × runs-${dataset_id}-p0@1 wins on 8 rows`,
    );
    // The same numbers as GET /v1/compare: one owner of the statistics.
    const direct = await api.get(
      `/v1/compare?dataset_id=${dataset_id}&a=${m1}/${p1}&b=${m2}/${p1}`,
    );
    const { dataset_id: _d, a: _a, b: _b, verdict: _v, ...numbers } = direct.body;
    expect(find([m1, p1], [m2, p1])).toMatchObject(numbers);

    // Round table: m1 beats m2 on p1 (p = 2/2^8); on p2 they tie, so no winner.
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
      expect(run.body.summary.leaderboard[0]).toMatchObject({ pass_rate: 1, n: 6 });
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

  it('grades its jobs with its assertions; reuses a job only when its assertions match, else 409 pointing to regrade', async () => {
    const { dataset_id, model_ids, prompt_ids } = await catalog(4, 1, 1);
    const key = { model_id: model_ids[0]!, prompt_id: prompt_ids[0]!, dataset_id };
    const assertions = [{ type: 'icontains' }, { type: 'latency', value: 5, weight: 0 }];
    const first = await api.post('/v1/runs', { dataset_id, model_ids, prompt_ids, assertions });
    expect(first.status).toBe(201);
    expect(first.body.jobs[0].job).toMatchObject({
      assertions: [
        { type: 'icontains', weight: 1, not: false },
        { type: 'latency', value: 5, weight: 0, not: false },
      ],
      threshold: null,
    });
    // icontains: "The answer is A." contains the label a, ignoring case.
    await processRows(api.t, key, 4, {
      answer: (row) => `The answer is ${row.expected_prediction.toUpperCase()}.`,
    });
    const graded = await api.get(`/v1/runs/${first.body.id}`);
    expect(graded.body.summary.leaderboard[0]).toMatchObject({ n: 4, passed: 4, pass_rate: 1 });

    const same = await api.post('/v1/runs', { dataset_id, model_ids, prompt_ids, assertions });
    expect(same.status).toBe(201);
    expect(same.body.status).toBe('completed');
    const runs = await count('SELECT count(*) AS n FROM runs WHERE dataset_id = $1', [dataset_id]);
    const other = await api.post('/v1/runs', {
      dataset_id,
      model_ids,
      prompt_ids,
      assertions: [{ type: 'equals' }],
    });
    expect(other.status).toBe(409);
    expect(other.body.error.message).toContain(
      `POST /v1/jobs/${key.model_id}/${key.prompt_id}/${dataset_id}/regrade`,
    );
    expect(await count('SELECT count(*) AS n FROM runs WHERE dataset_id = $1', [dataset_id])).toBe(
      runs,
    );
  });

  it('refuses bad input, writing nothing', async () => {
    const { dataset_id, model_ids, prompt_ids } = await catalog(2, 1, 1);
    const runsBefore = await count('SELECT count(*) AS n FROM runs');
    const jobsBefore = await count('SELECT count(*) AS n FROM modelpromptstatus');
    const base = { dataset_id, model_ids, prompt_ids };
    const cases = [
      [{ ...base, budget: { max_cost_usd: -5 } }, 400, 'body.budget.max_cost_usd'],
      [{ ...base, budget: { max_tokens: 1.5 } }, 400, 'body.budget.max_tokens'],
      [{ ...base, budget: { max_usd: 5 } }, 400, 'body.budget'],
      [{ ...base, cache: 'yes' }, 400, 'body.cache'],
      [{ ...base, threshold: 2 }, 400, 'body.threshold'],
      [{ ...base, assertions: [{ weight: 1 }] }, 400, 'body.assertions.0.type'],
      [{ ...base, assertions: [{ type: 'equals', weight: -1 }] }, 400, 'body.assertions.0.weight'],
      [
        {
          ...base,
          assertions: [
            { type: 'equals' },
            { type: 'icontains' },
            { type: 'llm-judge', model_id: 999_999, rubric: 'Is {{output}} right?' },
          ],
        },
        400,
        'body.assertions.2.model_id',
      ],
      [{ ...base, assertions: [{ type: 'regex', value: '(' }] }, 400, 'body.assertions.0.value'],
      [
        { ...base, assertions: [{ type: 'llm-judge', model_id: 1, rubric: 'Is {{output right?' }] },
        400,
        'body.assertions.0.rubric',
      ],
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

    // A judge rubric's row variables are checked the same way (output is the rubric's own).
    const judged = (rubric: string) => ({
      dataset_id,
      model_ids,
      prompt_ids: [fine],
      assertions: [{ type: 'equals' }, { type: 'llm-judge', model_id: model_ids[0], rubric }],
    });
    for (const path of ['/v1/jobs', '/v1/runs']) {
      const reply = await api.post(path, judged('{{output}} vs {{meta.lang}}: {{ question }}?'));
      expect(reply.status).toBe(400);
      expect(reply.body.error.details).toEqual([
        expect.objectContaining({
          path: 'body.assertions.1.rubric',
          variable: 'meta.lang',
          rows_lacking: 3,
        }),
        expect.objectContaining({
          path: 'body.assertions.1.rubric',
          variable: 'question',
          rows_lacking: 3,
        }),
      ]);
      expect(reply.body.error.message).toContain("assertion 1's rubric uses {{question}}");
    }
    expect(await count('SELECT count(*) AS n FROM modelpromptstatus')).toBe(before);

    const ok = await api.post('/v1/runs', { dataset_id, model_ids, prompt_ids: [fine] });
    expect(ok.status).toBe(201);
  });
});
