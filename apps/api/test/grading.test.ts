import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processRows } from './support/claim-protocol.js';
import { startTestApi, type TestApi } from './support/test-api.js';

let api: TestApi;
let judge: number;
let modelA: number;
let modelB: number;
let prompt_id: number;

beforeAll(async () => {
  api = await startTestApi();
  judge = (await api.post('/v1/models', { name: 'judge', source: 'mock' })).body.model_id;
  modelA = (await api.post('/v1/models', { name: 'a', source: 'mock' })).body.model_id;
  modelB = (await api.post('/v1/models', { name: 'b', source: 'mock' })).body.model_id;
  prompt_id = (await api.post('/v1/prompts', { text: 'Label: {{content}}' })).body.prompt_id;
});
afterAll(async () => {
  await api?.close();
});

async function dataset(labels: string[]): Promise<number> {
  const id = (await api.post('/v1/datasets', { name: 'graded' })).body.dataset_id as number;
  await api.post(
    `/v1/datasets/${id}/rows`,
    labels.map((label, i) => ({ content: `row ${i}`, expected_prediction: label })),
  );
  return id;
}

const jobCount = async () =>
  (await api.t.query<{ n: number }>('SELECT count(*)::int AS n FROM modelpromptstatus'))[0]!.n;

describe('assertions at launch', () => {
  it('refuses an invalid list with the index and field of each problem, and writes nothing', async () => {
    const dataset_id = await dataset(['a', 'b']);
    const before = await jobCount();
    const reply = await api.post('/v1/jobs', {
      dataset_id,
      model_ids: [modelA],
      prompt_ids: [prompt_id],
      assertions: [
        { type: 'equals' },
        { type: 'contains', weight: -2 },
        { type: 'containz' },
        { type: 'regex', value: '([a-z]' },
        { type: 'is-json', schema: { type: 'objekt' } },
        { type: 'llm-judge', rubric: 'Is {{output}} right?' },
      ],
    });
    expect(reply.status).toBe(400);
    expect(reply.body.error.code).toBe('VALIDATION_FAILED');
    expect(reply.body.error.details.map((d: { path: string }) => d.path)).toEqual([
      'body.assertions.1.weight',
      'body.assertions.2.type',
      'body.assertions.3.value',
      'body.assertions.4.schema',
      'body.assertions.5.model_id',
    ]);
    expect(await jobCount()).toBe(before);
  });

  it('refuses a judge model that does not exist, naming its assertion', async () => {
    const dataset_id = await dataset(['a']);
    const before = await jobCount();
    const reply = await api.post('/v1/jobs', {
      dataset_id,
      model_ids: [modelA],
      prompt_ids: [prompt_id],
      assertions: [{ type: 'equals' }, { type: 'llm-judge', model_id: 999_999, rubric: 'r' }],
    });
    expect(reply.status).toBe(400);
    expect(reply.body.error.details).toEqual([
      {
        path: 'body.assertions.1.model_id',
        message: 'no model has id 999999: register the judge model first (POST /v1/models)',
      },
    ]);
    expect(await jobCount()).toBe(before);
  });

  it('stores the list on the job; the same launch again is idempotent, another list is a 409 pointing to regrade', async () => {
    const dataset_id = await dataset(['a', 'b']);
    const assertions = [
      { type: 'icontains', weight: 2 },
      { type: 'llm-judge', model_id: judge, rubric: 'Is {{output}} {{expected}}?', weight: 0 },
    ];
    const launch = (body: object) =>
      api.post('/v1/jobs', { dataset_id, model_ids: [modelA], prompt_ids: [prompt_id], ...body });
    const first = await launch({ assertions, threshold: 0.5 });
    expect(first.status).toBe(201);
    expect(first.body.jobs[0]).toMatchObject({
      threshold: 0.5,
      assertions: [
        { type: 'icontains', weight: 2, not: false },
        { type: 'llm-judge', model_id: judge, weight: 0, not: false },
      ],
    });
    expect((await launch({ assertions, threshold: 0.5 })).body.created).toEqual([]);
    expect((await launch({})).status).toBe(201); // no assertions given: the job as it is

    const conflict = await launch({ assertions: [{ type: 'equals' }] });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.message).toMatch(
      new RegExp(`regrade it \\(POST /v1/jobs/${modelA}/${prompt_id}/${dataset_id}/regrade`),
    );
    expect((await launch({ assertions, threshold: 0.6 })).status).toBe(409);

    // The judge cannot be deleted while a job grades with it.
    const refused = await api.request('DELETE', `/v1/models/${judge}`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/1 judged job/);
  });

  it("uses the dataset's default_assertions, else equals", async () => {
    const dataset_id = await dataset(['a']);
    const patched = await api.request('PATCH', `/v1/datasets/${dataset_id}`, {
      body: { default_assertions: [{ type: 'starts-with' }], default_threshold: 1 },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      default_assertions: [{ type: 'starts-with', weight: 1, not: false }],
      default_threshold: 1,
    });
    const launched = await api.post('/v1/jobs', {
      dataset_id,
      model_ids: [modelA],
      prompt_ids: [prompt_id],
    });
    expect(launched.body.jobs[0]).toMatchObject({
      assertions: [{ type: 'starts-with' }],
      threshold: 1,
    });

    const other = await dataset(['a']);
    const plain = await api.post('/v1/jobs', {
      dataset_id: other,
      model_ids: [modelA],
      prompt_ids: [prompt_id],
    });
    expect(plain.body.jobs[0]).toMatchObject({ assertions: [{ type: 'equals' }], threshold: null });

    const bad = await api.request('PATCH', `/v1/datasets/${other}`, {
      body: { default_assertions: [{ type: 'llm-judge', model_id: 424_242, rubric: 'r' }] },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe('body.default_assertions.0.model_id');
    expect(
      (await api.request('PATCH', `/v1/datasets/${other}`, { body: { default_threshold: 2 } })).body
        .error.details[0].path,
    ).toBe('body.default_threshold');
  });
});

describe('verdicts, regrade, comparison and classification', () => {
  let dataset_id: number;
  const labels = ['pos', 'neg', 'neu', 'pos', 'neg', 'pos', 'neg', 'pos', 'neu', 'pos'];
  // A answers right on rows 0–7, "maybe" on 8 and 9. B answers "pos" everywhere: right on 0, 3, 5, 7, 9.
  const answerA = (row: { expected_prediction: string }, i: number) =>
    i < 8 ? row.expected_prediction : 'maybe';

  beforeAll(async () => {
    dataset_id = await dataset(labels);
    await api.post('/v1/jobs', {
      dataset_id,
      model_ids: [modelA, modelB],
      prompt_ids: [prompt_id],
    });
    let index = 0;
    await processRows(api.t, { model_id: modelA, prompt_id, dataset_id }, labels.length, {
      answer: (row) => answerA(row, index++),
    });
    await processRows(api.t, { model_id: modelB, prompt_id, dataset_id }, labels.length, {
      answer: () => 'POS',
    });
  });

  it('lists predictions by verdict, each with its grading', async () => {
    const wrong = await api.get(
      `/v1/predictions?model_id=${modelA}&dataset_id=${dataset_id}&passed=false`,
    );
    expect(wrong.body.items.map((p: { prediction: string }) => p.prediction)).toEqual([
      'maybe',
      'maybe',
    ]);
    expect(wrong.body.items[0]).toMatchObject({
      passed: false,
      correct: false,
      score: 0,
      grading: [{ type: 'equals', pass: false, score: 0, weight: 1 }],
    });
    const right = await api.get(
      `/v1/predictions?model_id=${modelB}&dataset_id=${dataset_id}&passed=true`,
    );
    expect(right.body.items).toHaveLength(5);
    const ungraded = await api.get(`/v1/predictions?dataset_id=${dataset_id}&passed=null`);
    expect(ungraded.body.items).toEqual([]);
    expect((await api.get('/v1/predictions?passed=maybe')).body.error.details[0].path).toBe(
      'querystring.passed',
    );
  });

  it('compares two candidates on the same rows: counts, exact McNemar p, bootstrap, winner', async () => {
    const path = `/v1/compare?dataset_id=${dataset_id}&a=${modelA}/${prompt_id}&b=${modelB}/${prompt_id}`;
    const reply = await api.get(path);
    expect(reply.status).toBe(200);
    // A right on 0–7, B right on 0, 3, 5, 7, 9: both 4, A only 4 (1, 2, 4, 6), B only 1 (9), neither 1 (8).
    expect(reply.body).toMatchObject({
      n_paired: 10,
      a_pass: 8,
      b_pass: 5,
      both: 4,
      a_only: 4,
      b_only: 1,
      neither: 1,
      winner: null,
    });
    // N = 5 discordant, min 1: p = 2 · (1 + 5) / 32
    expect(reply.body.mcnemar_p).toBeCloseTo(12 / 32, 15);
    expect(reply.body.score_diff).toBeCloseTo(3 / 10, 15);
    expect(reply.body.score_diff_ci95).toEqual((await api.get(path)).body.score_diff_ci95);
    expect(reply.body.verdict).toBe(
      `model ${modelA} × prompt ${prompt_id} wins on 4 rows, loses on 1 (of 10 paired): not significant, p = 0.38`,
    );
    const bad = await api.get(`/v1/compare?dataset_id=${dataset_id}&a=${modelA}&b=x/1`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string }) => d.path)).toEqual([
      'querystring.a',
      'querystring.b',
    ]);
  });

  it('reports per-label precision, recall, F1 and outputs outside the label set', async () => {
    const reply = await api.get(
      `/v1/datasets/${dataset_id}/classification?model_id=${modelB}&prompt_id=${prompt_id}`,
    );
    expect(reply.status).toBe(200);
    expect(reply.body.labels).toEqual(['neg', 'neu', 'pos']);
    // B says pos always: pos precision 5/10, recall 5/5; neg and neu never predicted.
    expect(reply.body.confusion).toEqual([
      [0, 0, 3, 0],
      [0, 0, 2, 0],
      [0, 0, 5, 0],
    ]);
    const pos = reply.body.per_label[2];
    expect(pos).toMatchObject({ label: 'pos', precision: 0.5, recall: 1 });
    expect(pos.f1).toBeCloseTo(2 / 3, 15);
    const a = await api.get(
      `/v1/datasets/${dataset_id}/classification?model_id=${modelA}&prompt_id=${prompt_id}`,
    );
    expect(a.body.outside_label_set).toEqual({ count: 2, top: [{ predicted: 'maybe', count: 2 }] });
    expect(a.body.accuracy).toBeCloseTo(0.8, 15);
  });

  it('starts a regrade: regrading until every successful prediction has a new verdict', async () => {
    const key = `${modelB}/${prompt_id}/${dataset_id}`;
    const reply = await api.post(`/v1/jobs/${key}/regrade`, {
      assertions: [{ type: 'icontains', value: 'o' }],
    });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({
      regrading: true,
      regrade_remaining: 10,
      threshold: null,
      assertions: [{ type: 'icontains', value: 'o' }],
    });
    const invalid = await api.post(`/v1/jobs/${key}/regrade`, {
      assertions: [{ type: 'regex', value: '(?=x)' }],
    });
    expect(invalid.body.error.details[0].path).toBe('body.assertions.0.value');
    expect((await api.post(`/v1/jobs/999/1/1/regrade`, {})).status).toBe(404);
    // The threshold alone, then the current assertions with it.
    const threshold = await api.post(`/v1/jobs/${key}/regrade`, { threshold: 0.5 });
    expect(threshold.body).toMatchObject({
      threshold: 0.5,
      assertions: [{ type: 'icontains', value: 'o' }],
    });
    const cleared = await api.post(`/v1/jobs/${key}/regrade`, {
      assertions: [{ type: 'equals' }],
    });
    expect(cleared.body.threshold).toBeNull();
  });
});
