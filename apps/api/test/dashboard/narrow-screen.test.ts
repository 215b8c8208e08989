import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openBrowserSession, type BrowserSession, type PageWatch } from '../support/browser.js';
import { finishRows, claimRows, processRows } from '../support/claim-protocol.js';
import { startTestApi, type TestApi } from '../support/test-api.js';

// Every dashboard page on a phone (Chromium at 420 px wide): nothing overflows
// sideways, and the numbers each page is for are on screen.

const WIDTH = 420;

let api: TestApi;
let session: BrowserSession;
let watch: PageWatch;
let page: Page;
const ids = { dataset: 0, model: 0, prompt: 0, other: 0, v1: 0, v2: 0, run: '' };

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

  // A run of two models over two versions of a named chat prompt, done, with a summary.
  ids.other = (
    await api.post('/v1/models', { name: 'another-model-with-a-long-name', source: 'mock' })
  ).body.model_id;
  const version = async (system: string, commit: string) =>
    (
      await api.post('/v1/prompts', {
        name: 'sentiment-with-a-long-name',
        messages: [
          { role: 'system', content: system },
          { role: 'user', content: '{{content}}' },
        ],
        commit_message: commit,
      })
    ).body.prompt_id as number;
  ids.v1 = await version('Answer positive or negative.', 'first');
  ids.v2 = await version(`Answer positive or negative. ${'Think about it. '.repeat(12)}`, 'longer');
  ids.run = (
    await api.post('/v1/runs', {
      name: 'a run whose name is long enough to wrap on a phone screen',
      dataset_id: ids.dataset,
      model_ids: [ids.model, ids.other],
      prompt_ids: [ids.v1, ids.v2],
    })
  ).body.id;
  for (const model of [ids.model, ids.other]) {
    for (const prompt of [ids.v1, ids.v2]) {
      await processRows(
        api.t,
        { model_id: model, prompt_id: prompt, dataset_id: ids.dataset },
        20,
        {
          // The second model is wrong on every third row, in a long sentence.
          answer: (row) =>
            model === ids.other && row.row_id % 3 === 0
              ? `I am not sure, ${'but it could be either of them '.repeat(4)}`
              : row.expected_prediction,
        },
      );
    }
  }

  session = await openBrowserSession({ width: WIDTH, height: 860 });
  ({ watch, page } = session);
});

afterAll(async () => {
  await session?.close();
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
    await page.goto(`${api.url}/#/jobs`);
    const row = `.jobs [data-job="${ids.model}/${ids.prompt}/${ids.dataset}"]`;
    await page
      .locator(`${row} .failed-count`)
      .filter({ hasText: '3' })
      .waitFor({ timeout: 30_000 });
    for (const cell of ['[role="progressbar"]', '.failed-count', '[data-label="Pass rate"]']) {
      await inView(`${row} ${cell}`);
    }
    expect(await page.locator(`${row} [data-label="Pass rate"]`).textContent()).toBe('100.0 %');
    expect(await pageWidth()).toBeLessThanOrEqual(WIDTH);
  });

  it('leaderboard: no sideways scroll; pass rate, interval and failures on screen', async () => {
    await page.goto(`${api.url}/#/datasets/${ids.dataset}`);
    const board = '.leaderboard-view table.leaderboard';
    await inView(`${board} td.accuracy`);
    await inView(`${board} td.interval`);
    await inView(`${board} .failed-count`);
    expect(await pageWidth()).toBeLessThanOrEqual(WIDTH);
  });

  it("a job's failed rows: no sideways scroll; each row's error on screen", async () => {
    await page.goto(`${api.url}/#/jobs/${ids.model}/${ids.prompt}/${ids.dataset}?status=failed`);
    await page.locator('table.job-rows td.error').first().waitFor({ timeout: 30_000 });
    await inView('table.job-rows td.error');
    await inView('.job-rows-view .job-progress [role="progressbar"]');
    expect(await pageWidth()).toBeLessThanOrEqual(WIDTH);
  });

  // Each page: where it is, what must be on screen once it has loaded.
  const pages = () => [
    { name: 'runs', hash: '#/', shown: ['table.runs [role="progressbar"]', 'table.runs .status'] },
    {
      name: 'a run',
      hash: `#/runs/${ids.run}`,
      shown: [
        '.run-view .run-progress [role="progressbar"]',
        'table.run-jobs td.accuracy',
        'table.run-jobs td.failed',
        '.share-button',
        '.run-summary table.leaderboard td.accuracy',
        '.run-summary table.leaderboard td.interval',
        '.run-summary .comparisons li',
      ],
    },
    {
      name: 'wrong answers',
      hash: `#/jobs/${ids.other}/${ids.v2}/${ids.dataset}?status=wrong`,
      shown: ['table.job-rows td.output', 'table.job-rows .verdict'],
    },
    {
      name: 'compare',
      hash: `#/datasets/${ids.dataset}/compare?a=${ids.model}/${ids.v2}&b=${ids.other}/${ids.v2}`,
      shown: [
        '.compare-view .verdict-text',
        'table.two-by-two td[data-cell="a_only"]',
        '.p-value',
        '.score-diff',
        'table.disagreements td.output-b',
      ],
    },
    {
      name: 'grid',
      hash: `#/datasets/${ids.dataset}/grid`,
      shown: ['table.grid td.output', 'table.grid td.content'],
    },
    {
      name: 'classification',
      hash: `#/datasets/${ids.dataset}/classification?candidate=${ids.other}/${ids.v2}`,
      shown: ['table.per-label td.f1', '.matrix-wrap', '.class-facts'],
    },
    { name: 'prompts', hash: '#/prompts', shown: ['table.prompt-names td[data-label="Versions"]'] },
    {
      name: 'prompt versions',
      hash: '#/prompts/sentiment-with-a-long-name',
      shown: ['.diff-line.added', 'article.version .commit-message'],
    },
  ];

  it.each(pages().map((entry) => [entry.name, entry.hash]))(
    '%s: no sideways scroll; its numbers on screen',
    async (name) => {
      const entry = pages().find((candidate) => candidate.name === name)!;
      await page.goto(`${api.url}/${entry.hash}`);
      for (const selector of entry.shown) await inView(selector);
      expect(await pageWidth()).toBeLessThanOrEqual(WIDTH);
    },
  );

  it("a prediction's grading: fits the screen", async () => {
    await page.goto(`${api.url}/#/datasets/${ids.dataset}/grid`);
    await page.locator('table.grid td.output button').first().click();
    await inView('dialog.prediction-panel table.grading td.reason');
    await inView('dialog.prediction-panel .panel-facts .verdict');
    expect(await pageWidth()).toBeLessThanOrEqual(WIDTH);
    expect(watch.errors).toEqual([]);
    expect(await watch.violations()).toEqual([]);
  });
});
