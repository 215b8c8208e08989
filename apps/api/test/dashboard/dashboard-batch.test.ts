import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  killAll,
  requireRedis,
  startFakeOpenAIServer,
  type FakeModelServer,
  type WorkerProcess,
} from '@evalq/testing';
import { jobRow, launchChromium, watchedPage } from '../support/browser.js';
import { startWorkers } from '../support/dashboard-workers.js';
import { startTestApi, type TestApi } from '../support/test-api.js';

requireRedis();

// A batch job on the jobs page, in a real browser, with real workers and the fake
// server's Batch API: while its batch is out, its row says what the batch is doing
// (waiting on the provider, with the provider's counts), then it ends done.

let api: TestApi;
let server: FakeModelServer;
let workers: WorkerProcess[] = [];
let browser: Browser;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  api = await startTestApi();
  server = await startFakeOpenAIServer({ respond: () => 'yes', batchDelayMs: 4_000 });
  workers = await startWorkers(api, 1, { BATCH_POLL_MS: '200' });
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  page = (await watchedPage(context)).page;
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await killAll(workers);
  await server?.close();
  await api?.close();
});

describe('a batch job on the jobs page', () => {
  it("shows the batch's phase and the provider's counts instead of an ETA, then done", async () => {
    const dataset = await api.post('/v1/datasets', { name: 'batch on the page' });
    const dataset_id = dataset.body.dataset_id as number;
    await api.post(
      `/v1/datasets/${dataset_id}/rows`,
      Array.from({ length: 12 }, (_, i) => ({ content: `r${i}`, expected_prediction: 'yes' })),
    );
    const model = await api.post('/v1/models', {
      name: 'gpt-batch',
      source: 'openai',
      config: { base_url: server.url, dispatch: 'batch' },
    });
    const prompt = await api.post('/v1/prompts', { text: 'Is it? {{content}}' });
    await page.goto(`${api.url}/#/jobs`);
    await page.getByText('No jobs yet').waitFor();
    await api.post('/v1/jobs', {
      dataset_id,
      model_ids: [model.body.model_id],
      prompt_ids: [prompt.body.prompt_id],
    });
    const row = jobRow(page, `${model.body.model_id}/${prompt.body.prompt_id}/${dataset_id}`);
    const eta = row.locator('[role="cell"]').last();
    await expect
      .poll(() => eta.textContent(), { timeout: 20_000 })
      .toBe('batch: waiting on provider 0/12');
    await expect.poll(() => row.locator('.status').textContent(), { timeout: 30_000 }).toBe('done');
    expect(await row.locator('[data-label="Pass rate"]').textContent()).toBe('100.0 %');
    expect(await eta.textContent()).toBe('done');
    expect(server.requests).toHaveLength(0);
  });
});
