import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, watchedPage, type PageWatch } from '../support/browser.js';
import { finishRows, claimRows, processRows } from '../support/claim-protocol.js';
import { startTestApi, type TestApi } from '../support/test-api.js';

// Every dashboard page on a phone (Chromium at 420 px wide): nothing overflows
// sideways, and each job's progress, failures and accuracy are on screen.

const WIDTH = 420;

let api: TestApi;
let browser: Browser;
let context: BrowserContext;
let watch: PageWatch;
let page: Page;
const ids = { dataset: 0, model: 0, prompt: 0 };

beforeAll(async () => {
  api = await startTestApi();
  const dataset = await api.post('/v1/datasets', {
    name: 'customer reviews with a rather long dataset name that must wrap on a phone',
  });
  ids.dataset = dataset.body.dataset_id;
  const rows = Array.from({ length: 20 }, (_, i) => ({
    content: `review ${i + 1}: ${'a long sentence without much in it '.repeat(6)}`,
    expected_prediction: i % 2 ? 'positive' : 'negative',
  }));
  await api.post(`/v1/datasets/${ids.dataset}/rows`, rows);
  ids.model = (
    await api.post('/v1/models', { name: 'a-model-with-a-long-name-v2', source: 'mock' })
  ).body.model_id;
  ids.prompt = (
    await api.post('/v1/prompts', {
      text: 'Classify the sentiment of this review as positive or negative: {{content}}',
    })
  ).body.prompt_id;
  await api.post('/v1/jobs', {
    dataset_id: ids.dataset,
    model_ids: [ids.model],
    prompt_ids: [ids.prompt],
  });
  const key = { model_id: ids.model, prompt_id: ids.prompt, dataset_id: ids.dataset };
  await processRows(api.t, key, 12);
  await finishRows(api.t, key, await claimRows(api.t, key, 3), { outcome: 'failed' });

  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: WIDTH, height: 860 } });
  watch = await watchedPage(context);
  page = watch.page;
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await api?.close();
});

const pageWidth = () =>
  page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth as number);

/** The first element matching `selector` is shown and lies within the screen's width. */
async function inView(selector: string): Promise<void> {
  const element = page.locator(selector).first();
  await element.waitFor({ state: 'visible', timeout: 30_000 });
  const box = (await element.boundingBox())!;
  expect(box.x, selector).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width, selector).toBeLessThanOrEqual(WIDTH);
}

describe('the dashboard at 420 px wide', () => {
  it('jobs: no sideways scroll; progress, failures and accuracy on screen', async () => {
    await page.goto(`${api.url}/#/`);
    const row = `.jobs [data-job="${ids.model}/${ids.prompt}/${ids.dataset}"]`;
    await page
      .locator(`${row} .failed-count`)
      .filter({ hasText: '3' })
      .waitFor({ timeout: 30_000 });
    for (const cell of ['[role="progressbar"]', '.failed-count', '[data-label="Accuracy"]']) {
      await inView(`${row} ${cell}`);
    }
    expect(await page.locator(`${row} [data-label="Accuracy"]`).textContent()).toBe('100.0 %');
    expect(await pageWidth()).toBeLessThanOrEqual(WIDTH);
  });

  it('leaderboard: no sideways scroll; accuracy and failures on screen', async () => {
    await page.goto(`${api.url}/#/datasets/${ids.dataset}`);
    await page.locator('table.leaderboard td.accuracy').first().waitFor({ timeout: 30_000 });
    await inView('table.leaderboard td.accuracy');
    await inView('table.leaderboard .failed-count');
    expect(await pageWidth()).toBeLessThanOrEqual(WIDTH);
  });

  it("a job's failed rows: no sideways scroll; each row's error on screen", async () => {
    await page.goto(`${api.url}/#/jobs/${ids.model}/${ids.prompt}/${ids.dataset}?status=failed`);
    await page.locator('table.job-rows td.error').first().waitFor({ timeout: 30_000 });
    await inView('table.job-rows td.error');
    await inView('.job-progress [role="progressbar"]');
    expect(await pageWidth()).toBeLessThanOrEqual(WIDTH);
    expect(watch.errors).toEqual([]);
    expect(await watch.violations()).toEqual([]);
  });
});
