import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimRows, finishRows } from '../../api/test/support/claim-protocol.js';
import { startTestApi, type TestApi } from '../../api/test/support/test-api.js';
import { runEvalq } from './support/run-evalq.js';

// Budgets, resume, cost columns and the response cache through the built `evalq`
// command (docs/cost.md).

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api?.close();
});

const evalq = (args: string[]) => runEvalq(args, { EVALQ_API_URL: api.url });

async function ok(args: string[]): Promise<string> {
  const result = await evalq(args);
  expect(result.code, `evalq ${args.join(' ')}\n${result.stdout}\n${result.stderr}`).toBe(0);
  return result.stdout;
}

describe('evalq run --max-cost, evalq budget and evalq status', () => {
  it('launches with a budget, shows the job paused with its cost, and a higher budget resumes it', async () => {
    const dataset = (await api.post('/v1/datasets', { name: 'cli cost' })).body.dataset_id;
    await api.post(
      `/v1/datasets/${dataset}/rows`,
      Array.from({ length: 6 }, (_, i) => ({ content: `row ${i}`, expected_prediction: 'yes' })),
    );
    const model = (
      await api.post('/v1/models', {
        name: 'cli-priced',
        source: 'mock',
        config: { price_in_per_mtok: 1, price_out_per_mtok: 1 },
      })
    ).body.model_id;
    const prompt = (await api.post('/v1/prompts', { text: 'Say yes: {{content}}' })).body.prompt_id;
    const launched = await ok([
      'run',
      '--dataset',
      String(dataset),
      '--models',
      String(model),
      '--prompts',
      String(prompt),
      '--max-cost',
      '0.25',
      '--cache',
    ]);
    const runId = /run ([0-9a-f-]{36}) launched/.exec(launched)![1]!;
    const key = { model_id: model, prompt_id: prompt, dataset_id: dataset };
    const claims = await claimRows(api.t, key, 3);
    // Three correct answers at $0.10 each (10 + 1 tokens).
    await finishRows(api.t, key, claims, { promptTokens: 10, costUsd: 0.1 });
    const status = await ok(['status', '--dataset', String(dataset)]);
    expect(status).toContain('paused (budget)');
    expect(status).toContain('$0.300');

    const leaderboard = await ok(['leaderboard', '--dataset', String(dataset)]);
    // 0.30 for 3 passed rows.
    expect(leaderboard).toContain('$0.100');

    const budget = await ok(['budget', runId, '--max-cost', '1']);
    expect(budget).toContain('at most $1.00');
    expect(budget).toMatch(/running/);
    const bad = await evalq(['budget', 'not-a-run']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('run id');
  });
});

describe('evalq resume', () => {
  it("runs a run's rows failed by a model that could not be called again; a job that is not paused is not resumed, and says so", async () => {
    const dataset = (await api.post('/v1/datasets', { name: 'cli resume' })).body.dataset_id;
    await api.post(
      `/v1/datasets/${dataset}/rows`,
      Array.from({ length: 5 }, (_, i) => ({ content: `row ${i}`, expected_prediction: 'yes' })),
    );
    const model = (await api.post('/v1/models', { name: 'cli-unreachable', source: 'mock' })).body
      .model_id;
    const prompt = (await api.post('/v1/prompts', { text: 'Resume: {{content}}' })).body.prompt_id;
    const launched = await ok([
      'run',
      '--dataset',
      String(dataset),
      '--models',
      String(model),
      '--prompts',
      String(prompt),
    ]);
    const runId = /run ([0-9a-f-]{36}) launched/.exec(launched)![1]!;
    const key = { model_id: model, prompt_id: prompt, dataset_id: dataset };
    // Three calls refused for a bad key, as a worker stores them: the job pauses (provider).
    const claims = await claimRows(api.t, key, 3);
    await finishRows(api.t, key, claims, {
      outcome: 'failed',
      error: { message: 'auth (HTTP 401): Incorrect API key provided', kind: 'auth' },
    });
    expect(await ok(['status', '--dataset', String(dataset)])).toContain('paused (provider)');

    expect(await ok(['resume', runId])).toContain(`run ${runId}: running`);
    const job = (await api.get(`/v1/jobs/${model}/${prompt}/${dataset}`)).body;
    // The failed rows are pending again, to be called with the fixed model.
    expect(job).toMatchObject({ status: 'running', failed: 0, done: 0, pending: 5 });
    const again = await ok(['resume', `${model}/${prompt}/${dataset}`]);
    expect(again).toContain(`job ${model}/${prompt}/${dataset} not resumed`);
    const bad = await evalq(['resume', 'nonsense']);
    expect(bad.code).not.toBe(0);
  });
});

describe('evalq cache', () => {
  it('shows the stats and clears by model', async () => {
    const model = (await api.post('/v1/models', { name: 'cli-cached', source: 'mock' })).body
      .model_id;
    await api.t.query(
      `INSERT INTO response_cache (cache_key, model_id, prediction)
       SELECT sha256(('cli' || i)::bytea), $1, 'ok' FROM generate_series(1, 4) AS i`,
      [model],
    );
    expect(await ok(['cache', 'stats'])).toContain('4 cached answer(s), 8 bytes');
    expect(await ok(['cache', 'clear', '--model', String(model), '--older-than', '1h'])).toContain(
      '0 cached answer(s) deleted',
    );
    expect(await ok(['cache', 'clear', '--model', String(model)])).toContain(
      '4 cached answer(s) deleted',
    );
  });
});
