import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { killAll, type WorkerProcess, requireRedis } from '@evalq/testing';
import { barValue, launchChromium, watchedPage } from '../support/browser.js';
import { startWorkers } from '../support/dashboard-workers.js';
import { seedCatalog, startTestApi, type TestApi } from '../support/test-api.js';

// Every test here goes through Redis (skipped with the reason where none answers).
requireRedis();

// With API_TOKEN set, the page asks for the token once per browser tab session, keeps
// it in sessionStorage, and then works: lists, and live progress over the event stream
// (read with fetch, since EventSource cannot send the Authorization header).

const TOKEN = 'dashboard-test-token-7f3a';

let api: TestApi;
let workers: WorkerProcess[] = [];
let browser: Browser;

beforeAll(async () => {
  api = await startTestApi({ config: { apiToken: TOKEN } });
  workers = await startWorkers(api, 1, { WORKER_CONCURRENCY: '2' });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await killAll(workers);
  await api?.close();
});

describe('with API_TOKEN set', () => {
  it('asks for the token, refuses a wrong one, then shows jobs progressing live', async () => {
    const context = await browser.newContext();
    const { page, errors } = await watchedPage(context);
    await page.goto(`${api.url}/#/jobs`);

    const dialog = page.locator('#token-dialog');
    await dialog.waitFor({ state: 'visible' });
    expect(await dialog.textContent()).toContain('This API needs a token');
    expect(await page.locator('[data-job]').count()).toBe(0);

    await dialog.locator('input').fill('not-the-token');
    await dialog.getByRole('button', { name: 'Use this token' }).click();
    await expect.poll(() => dialog.textContent()).toContain('The API refused that token');

    await dialog.locator('input').fill(TOKEN);
    await dialog.getByRole('button', { name: 'Use this token' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByText('No jobs yet').waitFor();
    await expect.poll(() => page.locator('#live-status').textContent()).toContain('live');

    const { dataset_id, model_id, prompt_id } = await seedCatalog(api, 300);
    expect(
      (await api.post('/v1/jobs', { dataset_id, model_ids: [model_id], prompt_ids: [prompt_id] }))
        .status,
    ).toBe(201);
    const key = `${model_id}/${prompt_id}/${dataset_id}`;
    await expect.poll(() => barValue(page, key), { timeout: 30_000 }).toBe(100);

    // Kept for the tab's session: a reload asks nothing.
    await page.reload();
    await expect.poll(() => barValue(page, key)).toBe(100);
    expect(await dialog.isVisible()).toBe(false);
    expect(
      await page.evaluate(() => (globalThis as any).sessionStorage.getItem('evalq.apiToken')),
    ).toBe(TOKEN);
    expect(errors).toEqual([]);

    // "Forget token" drops it, and the page asks again.
    await page.getByRole('button', { name: 'Forget token' }).click();
    await dialog.waitFor({ state: 'visible' });
    expect(
      await page.evaluate(() => (globalThis as any).sessionStorage.getItem('evalq.apiToken')),
    ).toBeNull();
    await context.close();
  });

  it('asks again in a new browser session (the token is never kept beyond it)', async () => {
    const context = await browser.newContext();
    const { page } = await watchedPage(context);
    await page.goto(`${api.url}/#/jobs`);
    await page.locator('#token-dialog').waitFor({ state: 'visible' });
    expect(await page.evaluate(() => (globalThis as any).localStorage.length)).toBe(0);
    await context.close();
  });
});
