import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobKey } from '@evalq/core';
import { finishRows as finishClaims, type ClaimedRow, type FinishedRow } from '@evalq/db';
import { claimRows } from './support/claim-protocol.js';
import { startTestApi, type TestApi } from './support/test-api.js';

// Cost, budgets and pauses as a user of the API sees them (docs/cost.md). Rows are moved
// through the worker's own claim and finish statements with costs the test chooses; the
// spend, cost per pass, pauses and resumes are checked against values computed here.

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api?.close();
});

const patch = (path: string, body: unknown) => api.request('PATCH', path, { body });
const jobPath = (key: JobKey) => `/v1/jobs/${key.model_id}/${key.prompt_id}/${key.dataset_id}`;
/** A job's progress as stored now (the list route; GET on one job may serve a read 100 ms old). */
const jobNow = async (key: JobKey) =>
  (
    await api.get(
      `/v1/jobs?model_id=${key.model_id}&prompt_id=${key.prompt_id}&dataset_id=${key.dataset_id}`,
    )
  ).body.items[0];

/** A dataset of `rows` rows labelled `yes`, `models` mock models and one prompt. */
async function catalog(rows: number, models: number) {
  const dataset_id = (await api.post('/v1/datasets', { name: `cost ${rows}` })).body.dataset_id;
  await api.post(
    `/v1/datasets/${dataset_id}/rows`,
    Array.from({ length: rows }, (_, i) => ({
      content: `row ${i + 1}`,
      expected_prediction: 'yes',
    })),
  );
  const model_ids: number[] = [];
  for (let i = 0; i < models; i += 1) {
    const model = await api.post('/v1/models', {
      name: `priced-${dataset_id}-${i}`,
      source: 'mock',
      config: { price_in_per_mtok: 2.5, price_out_per_mtok: 10 },
    });
    model_ids.push(model.body.model_id);
  }
  const prompt_ids = [
    (await api.post('/v1/prompts', { text: 'Say yes. {{content}}' })).body.prompt_id,
  ];
  return { dataset_id, model_ids, prompt_ids };
}

interface Finish {
  answer?: string;
  cost_usd?: number | null;
  prompt_tokens?: number;
  completion_tokens?: number;
  failed?: { error: string; error_kind: string };
}

/** Stores a result for each claim through the worker's finish statement. */
async function finish(key: JobKey, claims: readonly ClaimedRow[], options: Finish = {}) {
  const rows: FinishedRow[] = claims.map((claim) => ({
    ...key,
    row_id: claim.row_id,
    claim_attempt: claim.claim_attempt,
    prediction: options.failed ? '' : (options.answer ?? 'yes'),
    prediction_time: 0.01,
    status: options.failed ? 'failed' : 'success',
    formatted_prompt: claim.content,
    error: options.failed?.error ?? null,
    error_kind: options.failed?.error_kind ?? null,
    attempts: 1,
    prompt_tokens: options.failed ? null : (options.prompt_tokens ?? null),
    completion_tokens: options.failed ? null : (options.completion_tokens ?? null),
    passed: options.failed ? null : (options.answer ?? 'yes') === 'yes',
    score: options.failed ? null : (options.answer ?? 'yes') === 'yes' ? 1 : 0,
    grading: options.failed ? null : '[]',
    grading_version: 0,
    cost_usd: options.failed ? null : (options.cost_usd ?? null),
  }));
  return finishClaims(api.t.db, 'test-worker', rows);
}

/** What a call of `prompt` and `completion` tokens costs at $2.50 / $10 per million. */
const costOf = (prompt: number, completion: number) => (prompt * 2.5 + completion * 10) / 1e6;

describe('prices in a model config', () => {
  it('are validated as non-negative numbers, with a 400 naming the field, and shown back', async () => {
    for (const [config, path] of [
      [{ price_in_per_mtok: -1 }, 'body.config.price_in_per_mtok'],
      [{ price_out_per_mtok: 'cheap' }, 'body.config.price_out_per_mtok'],
    ] as const) {
      const reply = await api.post('/v1/models', { name: 'bad price', source: 'mock', config });
      expect(reply.status).toBe(400);
      expect(reply.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
    }
    const model = await api.post('/v1/models', {
      name: 'priced',
      source: 'mock',
      config: { price_in_per_mtok: 0.15, price_out_per_mtok: 0.6 },
    });
    expect(model.body.config).toEqual({ price_in_per_mtok: 0.15, price_out_per_mtok: 0.6 });
    const patched = await patch(`/v1/models/${model.body.model_id}`, {
      config: { price_in_per_mtok: -0.1 },
    });
    expect(patched.status).toBe(400);
    expect(patched.body.error.details.map((d: { path: string }) => d.path)).toContain(
      'body.config.price_in_per_mtok',
    );
  });
});

describe('a run with a budget', () => {
  it('shows its spend and cost per pass, pauses at its budget, and resumes when it is raised', async () => {
    const { dataset_id, model_ids, prompt_ids } = await catalog(10, 2);
    const perCall = costOf(400, 2);
    // Room for 6 calls and a half: the 7th reaches it.
    const budget = perCall * 6.5;
    const created = await api.post('/v1/runs', {
      dataset_id,
      model_ids,
      prompt_ids,
      budget: { max_cost_usd: budget },
    });
    expect(created.status).toBe(201);
    expect(created.body.cost).toMatchObject({
      spent_usd: 0,
      cost_usd: null,
      budget: { max_cost_usd: budget, max_tokens: null },
    });
    const [a, b] = model_ids.map((model_id) => ({
      model_id: model_id,
      prompt_id: prompt_ids[0]!,
      dataset_id,
    }));

    // Job a: 3 passed, 1 wrong answer; job b: 2 passed.
    await finish(a!, await claimRows(api.t, a!, 3), {
      cost_usd: perCall,
      prompt_tokens: 400,
      completion_tokens: 2,
    });
    await finish(a!, await claimRows(api.t, a!, 1), {
      answer: 'no',
      cost_usd: perCall,
      prompt_tokens: 400,
      completion_tokens: 2,
    });
    await finish(b!, await claimRows(api.t, b!, 2), {
      cost_usd: perCall,
      prompt_tokens: 400,
      completion_tokens: 2,
    });
    const running = (await api.get(`/v1/runs/${created.body.id}`)).body;
    expect(running.status).toBe('running');
    expect(running.cost.spent_usd).toBeCloseTo(6 * perCall, 12);
    expect(running.cost.spent_tokens).toBe(6 * 402);
    expect(running.cost.cost_per_pass_usd).toBeCloseTo((6 * perCall) / 5, 12);
    const jobA = await jobNow(a!);
    expect(jobA).toMatchObject({ spent_tokens: 4 * 402, passed: 3, paused_reason: null });
    expect(jobA.cost_usd).toBeCloseTo(4 * perCall, 12);
    expect(jobA.cost_per_pass_usd).toBeCloseTo((4 * perCall) / 3, 12);

    // Under the budget with 0.5 of a call left and nothing in flight: one row at a time.
    expect(await claimRows(api.t, b!, 5)).toHaveLength(1);
    const [last] = await api.t.query<{ row_id: number; attempt: number }>(
      `SELECT row_id, attempt FROM predictionstatus
        WHERE model_id = $1 AND prompt_id = $2 AND status = 'in_progress'`,
      [b!.model_id, b!.prompt_id],
    );
    // While that row is in flight, its expected cost counts as spent: no more claims.
    expect(await claimRows(api.t, a!, 5)).toHaveLength(0);
    await finish(
      b!,
      [{ ...lastClaim(last!), content: 'row', expected_prediction: 'yes', input: null }],
      {
        cost_usd: perCall,
        prompt_tokens: 400,
        completion_tokens: 2,
      },
    );

    // 7 calls ≥ 6.5: the job that stored the last one is paused at once, the other at its next claim.
    expect(await jobNow(b!)).toMatchObject({
      status: 'paused',
      paused_reason: 'budget',
    });
    expect(await claimRows(api.t, a!, 5)).toHaveLength(0);
    const paused = (await api.get(`/v1/runs/${created.body.id}`)).body;
    expect(paused.status).toBe('paused');
    expect(paused.jobs.map((j: { job: { status: string } }) => j.job.status)).toEqual([
      'paused',
      'paused',
    ]);
    expect(paused.cost.spent_usd).toBeCloseTo(7 * perCall, 12);
    expect(
      await api.t.query(`SELECT 1 FROM predictionstatus WHERE status = 'in_progress'`),
    ).toEqual([]);

    // A budget that is still reached resumes nothing; a higher one resumes both jobs.
    const same = await patch(`/v1/runs/${created.body.id}`, { budget: { max_cost_usd: budget } });
    expect(same.body.status).toBe('paused');
    const bad = await patch(`/v1/runs/${created.body.id}`, { budget: { max_cost_usd: -1 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string }) => d.path)).toContain(
      'body.budget.max_cost_usd',
    );
    const raised = await patch(`/v1/runs/${created.body.id}`, {
      budget: { max_cost_usd: perCall * 100 },
    });
    expect(raised.status).toBe(200);
    expect(raised.body.status).toBe('running');
    expect(raised.body.cost.budget.max_cost_usd).toBeCloseTo(perCall * 100, 12);
    expect(await claimRows(api.t, a!, 2)).toHaveLength(2);
  });

  it('is also a token budget, checked by SQL when rows are claimed', async () => {
    const { dataset_id, model_ids, prompt_ids } = await catalog(5, 1);
    const launched = await api.post('/v1/jobs', {
      dataset_id,
      model_ids,
      prompt_ids,
      budget: { max_tokens: 1000 },
      cache: true,
    });
    const key = launched.body.jobs[0];
    expect(key).toMatchObject({ budget: { max_cost_usd: null, max_tokens: 1000 }, cache: true });
    await finish(key, await claimRows(api.t, key, 2), { prompt_tokens: 500, completion_tokens: 0 });
    const job = await jobNow(key);
    expect(job).toMatchObject({ status: 'paused', paused_reason: 'budget', spent_tokens: 1000 });
    // No price: no cost, only tokens.
    expect(job.cost_usd).toBeNull();
    const raised = await patch(jobPath(key), { budget: { max_tokens: 5000 } });
    expect(raised.body).toMatchObject({ status: 'running', budget: { max_tokens: 5000 } });
  });
});

function lastClaim(row: { row_id: number; attempt: number }) {
  return { row_id: row.row_id, claim_attempt: row.attempt };
}

describe('a large budget over cheap calls', () => {
  it('lets every claim through (what is left is far more calls than an integer holds)', async () => {
    const { dataset_id, model_ids, prompt_ids } = await catalog(10, 1);
    const key = (
      await api.post('/v1/jobs', {
        dataset_id,
        model_ids,
        prompt_ids,
        budget: { max_cost_usd: 1_000_000, max_tokens: 1e15 },
      })
    ).body.jobs[0];
    await finish(key, await claimRows(api.t, key, 2), {
      cost_usd: 1e-9,
      prompt_tokens: 1,
      completion_tokens: 0,
    });
    expect(await claimRows(api.t, key, 8)).toHaveLength(8);
  });
});

describe('a job whose model cannot be called', () => {
  it('pauses with reason provider and the message after a few calls; resume runs those rows again', async () => {
    const { dataset_id, model_ids, prompt_ids } = await catalog(20, 1);
    const key = (await api.post('/v1/jobs', { dataset_id, model_ids, prompt_ids })).body.jobs[0];
    const failed = {
      error: 'auth (HTTP 401): Incorrect API key provided',
      error_kind: 'auth',
    };
    await finish(key, await claimRows(api.t, key, 2), { failed });
    expect((await jobNow(key)).status).toBe('running');
    await finish(key, await claimRows(api.t, key, 2), { failed });
    const paused = await jobNow(key);
    expect(paused).toMatchObject({
      status: 'paused',
      paused_reason: 'provider',
      paused_message: failed.error,
      failed: 4,
    });
    expect(await claimRows(api.t, key, 5)).toHaveLength(0);

    const resumed = await api.post(`${jobPath(key)}/resume`);
    expect(resumed.body).toMatchObject({
      resumed: true,
      job: { status: 'running', failed: 0, done: 0, pending: 20, paused_reason: null },
    });
    const again = await api.post(`${jobPath(key)}/resume`);
    expect(again.body.resumed).toBe(false);
  });

  it('is never shown as a plain success when every row failed', async () => {
    const { dataset_id, model_ids, prompt_ids } = await catalog(3, 1);
    const key = (await api.post('/v1/jobs', { dataset_id, model_ids, prompt_ids })).body.jobs[0];
    await finish(key, await claimRows(api.t, key, 3), {
      failed: { error: 'bad_request (HTTP 400): too long', error_kind: 'bad_request' },
    });
    expect(await jobNow(key)).toMatchObject({ status: 'done', outcome: 'failed' });
    const board = (await api.get(`/v1/datasets/${dataset_id}/leaderboard`)).body;
    expect(board.entries[0]).toMatchObject({ status: 'done', outcome: 'failed', failed: 3 });
  });
});

describe('the response cache routes', () => {
  it('give the stats and clear by model and by age', async () => {
    const { model_ids } = await catalog(1, 2);
    const [m1, m2] = model_ids;
    await api.t.query(
      `INSERT INTO response_cache (cache_key, model_id, prediction, created_at)
       SELECT sha256(('k' || i)::bytea), CASE WHEN i <= 3 THEN $1::int ELSE $2::int END, 'answer',
              now() - make_interval(days => i)
         FROM generate_series(1, 5) AS i`,
      [m1, m2],
    );
    const stats = (await api.get('/v1/cache')).body;
    expect(stats).toMatchObject({ entries: 5, bytes: 30 });
    expect(stats.by_model).toEqual([
      { model_id: m1, entries: 3 },
      { model_id: m2, entries: 2 },
    ]);
    const bad = await api.request('DELETE', '/v1/cache?older_than=soon');
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string }) => d.path)).toContain(
      'querystring.older_than',
    );
    // Entries 4 and 5 days old of model 2, then everything of model 1.
    expect((await api.request('DELETE', `/v1/cache?older_than=3d&model_id=${m2}`)).body).toEqual({
      deleted: 2,
    });
    expect((await api.request('DELETE', `/v1/cache?model_id=${m1}`)).body).toEqual({ deleted: 3 });
    expect((await api.get('/v1/cache')).body.entries).toBe(0);
  });
});

describe('GET /metrics', () => {
  it('shows spend by model and paused jobs', async () => {
    const { dataset_id, model_ids, prompt_ids } = await catalog(4, 1);
    const key = (
      await api.post('/v1/jobs', {
        dataset_id,
        model_ids,
        prompt_ids,
        budget: { max_cost_usd: 0.001 },
      })
    ).body.jobs[0];
    await finish(key, await claimRows(api.t, key, 1), { cost_usd: 0.002, prompt_tokens: 3 });
    const metrics = (await api.get('/metrics')).text;
    expect(metrics).toMatch(
      new RegExp(`evalq_spend_usd\\{model_id="${key.model_id}"\\} 0\\.002\\b`),
    );
    expect(metrics).toMatch(/evalq_jobs_paused\{reason="budget"\} [1-9]/);
    expect(metrics).toMatch(/evalq_jobs\{status="paused"\} [1-9]/);
  });
});
