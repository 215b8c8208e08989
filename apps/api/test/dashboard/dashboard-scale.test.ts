import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { killAll, type WorkerProcess, requireRedis } from '@evalq/testing';
import {
  barValue,
  launchChromium,
  recordTouchedRows,
  timeRowsPainted,
  watchedPage,
} from '../support/browser.js';
import { startWorkers } from '../support/dashboard-workers.js';
import { processRows } from '../support/claim-protocol.js';
import { startTestApi, type TestApi } from '../support/test-api.js';

// Every test here goes through Redis (skipped with the reason where none answers).
requireRedis();

// A 1,000-job installation: the page shows every job, an event for one job redraws
// that job's row only, and all 1,000 bars follow the workers to 100 %. How long the
// page takes is measured and printed, not asserted (the machine is shared).

const MODELS = 10;
const PROMPTS = 100;
const JOBS = MODELS * PROMPTS;
const ROWS = 5;

let api: TestApi;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let datasetId: number;
const modelIds: number[] = [];
let promptIds: number[] = [];
let workers: WorkerProcess[] = [];

const report = (line: string) => process.stdout.write(`[dashboard, ${JOBS} jobs] ${line}\n`);
const round = (ms: number) => Math.round(ms);

beforeAll(async () => {
  api = await startTestApi();
  const dataset = await api.post('/v1/datasets', { name: 'thousand jobs' });
  datasetId = dataset.body.dataset_id;
  const rows = Array.from({ length: ROWS }, (_, i) => ({
    content: `${i} + ${i}`,
    expected_prediction: String(2 * i),
  }));
  await api.post(`/v1/datasets/${datasetId}/rows`, rows);
  for (let i = 0; i < MODELS; i += 1) {
    modelIds.push(
      (await api.post('/v1/models', { name: `mock-${i}`, source: 'mock' })).body.model_id,
    );
  }
  promptIds = await Promise.all(
    Array.from(
      { length: PROMPTS },
      async (_, i) =>
        (await api.post('/v1/prompts', { text: `Variant ${i}: {{content}}` })).body
          .prompt_id as number,
    ),
  );
  const launched = await api.post('/v1/jobs', {
    dataset_id: datasetId,
    model_ids: modelIds,
    prompt_ids: promptIds,
  });
  expect(launched.body.jobs).toHaveLength(JOBS);
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await killAll(workers);
  await api?.close();
});

describe('with 1,000 jobs', () => {
  it('shows every job, with the totals, and reports how long the page took', async () => {
    const watch = await watchedPage(context);
    page = watch.page;
    await page.addInitScript(timeRowsPainted, JOBS);
    const started = Date.now();
    await page.goto(`${api.url}/#/jobs`);
    await page.waitForFunction(() => (globalThis as any).__rowsPainted, null, {
      timeout: 30_000,
    });
    const wall = Date.now() - started;

    expect(await page.locator('.jobs [data-job]').count()).toBe(JOBS);
    expect(await page.locator('.summary').textContent()).toContain(
      '1,000 jobs: 0 running, 1,000 pending, 0 done · 0 of 5,000 rows',
    );
    expect(watch.errors).toEqual([]);

    const timing = await page.evaluate(() => ({
      painted: (globalThis as any).__rowsPainted as { rowsAt: number; paintedAt: number },
      build: performance.getEntriesByName('evalq:jobs-first-render')[0]?.duration ?? NaN,
      jobList: performance
        .getEntriesByType('resource')
        .find((entry) => entry.name.includes('/v1/jobs'))?.duration,
    }));
    report(
      `navigation → 1,000 rows painted: ${round(timing.painted.paintedAt)} ms in the page ` +
        `(${wall} ms as the test saw it); GET /v1/jobs ${round(timing.jobList ?? NaN)} ms; ` +
        `building the rows ${round(timing.build)} ms`,
    );
  });

  it('reads the job list page by page when it is longer than one page', async () => {
    const paged = await watchedPage(context);
    const pages: string[] = [];
    // Ask for pages of 300: the page must follow next_cursor to see all 1,000 jobs.
    await paged.page.route(
      (url) => url.pathname === '/v1/jobs',
      (route) => {
        const url = new URL(route.request().url());
        url.searchParams.set('limit', '300');
        pages.push(url.searchParams.get('cursor') ?? 'first');
        return route.continue({ url: url.toString() });
      },
    );
    await paged.page.goto(`${api.url}/#/jobs`);
    await expect.poll(() => paged.page.locator('.jobs [data-job]').count()).toBe(JOBS);
    expect(pages.length).toBeGreaterThanOrEqual(4);
    await paged.page.close();
  });

  it("redraws only the changed job's row when one job progresses", async () => {
    const touchedRows = await recordTouchedRows(page);
    const job = { model_id: modelIds[3]!, prompt_id: promptIds[42]!, dataset_id: datasetId };
    await processRows(api.t, job, 2);
    const key = `${job.model_id}/${job.prompt_id}/${job.dataset_id}`;
    await expect.poll(() => barValue(page, key), { timeout: 10_000 }).toBe(40);

    expect(await touchedRows()).toEqual([key]);
    expect(await page.locator('.summary').textContent()).toContain('2 of 5,000 rows');
  });

  it('narrows the list to the jobs matching a filter', async () => {
    await page.getByLabel('Filter jobs').fill('variant 42:');
    const visible = page.locator('.jobs [data-job]:visible');
    await expect.poll(() => visible.count()).toBe(MODELS);
    expect(await page.locator('.shown').textContent()).toBe('10 of 1,000 shown');
    await page.getByLabel('Filter jobs').fill('');
    await page.getByLabel('Show jobs').selectOption('running');
    await expect.poll(() => visible.count()).toBe(1); // the job two rows into it
    await page.getByLabel('Show jobs').selectOption('');
    await expect.poll(() => visible.count()).toBe(JOBS);
  });

  it('follows all 1,000 jobs to 100 % while workers run them, and reports the cost of each redraw', async () => {
    await page.evaluate(() => performance.clearMeasures('evalq:jobs-update'));
    workers = await startWorkers(api, 2, { WORKER_CONCURRENCY: '32' });
    const started = Date.now();
    await page.waitForFunction(
      (jobs) =>
        (globalThis as any).document.querySelectorAll(
          '.jobs [role="progressbar"][aria-valuenow="100"]',
        ).length === jobs,
      JOBS,
      { timeout: 90_000, polling: 250 },
    );
    const took = Date.now() - started;
    expect(await page.locator('.summary').textContent()).toContain(
      '1,000 jobs: 0 running, 0 pending, 1,000 done · 5,000 of 5,000 rows',
    );
    const redraws = await page.evaluate(() =>
      performance.getEntriesByName('evalq:jobs-update').map((entry) => ({
        ms: entry.duration,
        rows: (entry as any).detail.rows as number,
      })),
    );
    const durations = redraws.map((redraw) => redraw.ms).sort((a, b) => a - b);
    report(
      `workers ran every job in ${took} ms; the page redrew ${redraws.length} times ` +
        `(at most once a frame), up to ${Math.max(...redraws.map((r) => r.rows))} rows at once; ` +
        `redraw median ${durations[durations.length >> 1]?.toFixed(1)} ms, max ${durations[durations.length - 1]?.toFixed(1)} ms`,
    );
  });
});
