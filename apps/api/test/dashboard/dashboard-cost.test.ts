import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { JobKey } from '@evalq/core';
import { finishRows } from '@evalq/db';
import { openBrowserSession, type BrowserSession } from '../support/browser.js';
import { claimRows } from '../support/claim-protocol.js';
import { startTestApi, type TestApi } from '../support/test-api.js';

// Cost in Chromium (docs/cost.md): the jobs list and the leaderboard show each job's
// cost, a job paused by its budget says so, and a job whose every row failed is shown
// as failed, never as a plain "done".

let api: TestApi;
let session: BrowserSession;
let page: Page;
let dataset = 0;
let priced: JobKey;
let broken: JobKey;

async function finish(key: JobKey, rows: number, outcome: 'success' | 'failed') {
  const claims = await claimRows(api.t, key, rows);
  await finishRows(
    api.t.db,
    'test-worker',
    claims.map((claim) => ({
      ...key,
      row_id: claim.row_id,
      claim_attempt: claim.claim_attempt,
      prediction: outcome === 'success' ? 'yes' : '',
      prediction_time: 0.01,
      status: outcome,
      formatted_prompt: claim.content,
      error: outcome === 'success' ? null : 'bad_request (HTTP 400): no',
      error_kind: outcome === 'success' ? null : 'bad_request',
      attempts: 1,
      prompt_tokens: null,
      completion_tokens: null,
      passed: outcome === 'success' ? true : null,
      score: outcome === 'success' ? 1 : null,
      grading: outcome === 'success' ? '[]' : null,
      grading_version: 0,
      cost_usd: outcome === 'success' ? 0.125 : null,
    })),
  );
}

beforeAll(async () => {
  api = await startTestApi();
  dataset = (await api.post('/v1/datasets', { name: 'costly' })).body.dataset_id;
  await api.post(
    `/v1/datasets/${dataset}/rows`,
    Array.from({ length: 4 }, (_, i) => ({ content: `row ${i}`, expected_prediction: 'yes' })),
  );
  const model = async (name: string) =>
    (
      await api.post('/v1/models', {
        name,
        source: 'mock',
        config: { price_in_per_mtok: 1, price_out_per_mtok: 2 },
      })
    ).body.model_id as number;
  const prompt = (await api.post('/v1/prompts', { text: 'Yes? {{content}}' })).body.prompt_id;
  priced = { model_id: await model('priced-model'), prompt_id: prompt, dataset_id: dataset };
  broken = { model_id: await model('broken-model'), prompt_id: prompt, dataset_id: dataset };
  await api.post('/v1/jobs', {
    dataset_id: dataset,
    model_ids: [priced.model_id],
    prompt_ids: [prompt],
    budget: { max_cost_usd: 0.25 },
  });
  await api.post('/v1/jobs', {
    dataset_id: dataset,
    model_ids: [broken.model_id],
    prompt_ids: [prompt],
  });
  await finish(priced, 2, 'success');
  await finish(broken, 4, 'failed');
  session = await openBrowserSession({ width: 1400, height: 900 });
  page = session.page;
});

afterAll(async () => {
  await session?.close();
  await api?.close();
});

const key = (job: JobKey) => `${job.model_id}/${job.prompt_id}/${job.dataset_id}`;

describe('the jobs list', () => {
  it("shows each job's cost, a budget pause, and an all-failed job as failed", async () => {
    await page.goto(`${api.url}/#/jobs`);
    const row = page.locator(`.job[data-job="${key(priced)}"]`);
    await row.waitFor({ timeout: 30_000 });
    expect(await row.locator('[data-label="Cost"]').textContent()).toBe('$0.250');
    expect(await row.locator('.status').textContent()).toBe('paused: budget');
    const failed = page.locator(`.job[data-job="${key(broken)}"] .status`);
    expect(await failed.textContent()).toBe('failed');
    expect(await failed.getAttribute('data-status')).toBe('failed');
  });
});

describe('the leaderboard', () => {
  it('has a cost and a cost-per-pass column', async () => {
    await page.goto(`${api.url}/#/datasets/${dataset}`);
    const row = page.locator(
      `table.leaderboard tr[data-candidate="${priced.model_id}/${priced.prompt_id}"]`,
    );
    await row.waitFor({ timeout: 30_000 });
    expect(await row.locator('td[data-label="Cost"]').textContent()).toBe('$0.250');
    expect(await row.locator('td[data-label="Cost/pass"]').textContent()).toBe('$0.125');
    const other = page.locator(
      `table.leaderboard tr[data-candidate="${broken.model_id}/${broken.prompt_id}"]`,
    );
    expect(await other.locator('.status').textContent()).toBe('failed');
  });
});
