import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openBrowserSession, type BrowserSession, type PageWatch } from '../support/browser.js';
import { processRows } from '../support/claim-protocol.js';
import { expectedMcNemar } from '../support/expected-statistics.js';
import { rowIdsOf, startTestApi, type TestApi } from '../support/test-api.js';

// Runs and prompt versions in Chromium, against the real API, rows moved by the
// workers' own claim protocol while the page watches: the run list, a run's jobs
// climbing live, its summary at completion, share (link shown and copied) and revoke,
// cancel; prompt versions with their messages, labels and commit messages, and a line
// diff between two versions.

const ROWS = 20;
const EVIL = '<img src=x onerror="window.__xss = 1; alert(1)">';

let api: TestApi;
let session: BrowserSession;
let watch: PageWatch;
let page: Page;
const ids = { dataset: 0, x: 0, y: 0, v1: 0, v2: 0, v3: 0, run: '', other: '' };
let rowIds: number[] = [];
const position = (rowId: number) => rowIds.indexOf(rowId) + 1;

/** Which rows (1-based) each model answers right, per prompt version. */
const right = {
  x1: (i: number) => i <= 15,
  x2: () => true,
  y: (i: number) => i % 2 === 0,
};

const V1 = [
  { role: 'system', content: 'You sort mail.\nAnswer spam or ham.' },
  { role: 'user', content: '{{content}}' },
];
const V2 = [
  { role: 'system', content: `You sort mail ${EVIL}.\nAnswer spam or ham.\nBe brief.` },
  { role: 'assistant', content: 'ham' },
  { role: 'user', content: '{{content}}' },
];

beforeAll(async () => {
  api = await startTestApi();
  ids.dataset = (await api.post('/v1/datasets', { name: 'inbox' })).body.dataset_id;
  await api.post(
    `/v1/datasets/${ids.dataset}/rows`,
    Array.from({ length: ROWS }, (_, n) => ({
      content: `mail ${n + 1}`,
      expected_prediction: 'spam',
    })),
  );
  rowIds = await rowIdsOf(api, ids.dataset);
  ids.x = (await api.post('/v1/models', { name: 'model-x', source: 'mock' })).body.model_id;
  ids.y = (await api.post('/v1/models', { name: 'model-y', source: 'mock' })).body.model_id;
  const version = async (messages: unknown, extra: Record<string, unknown>) => {
    const reply = await api.post('/v1/prompts', { name: 'classify', messages, ...extra });
    expect(reply.status).toBe(201);
    return reply.body.prompt_id as number;
  };
  ids.v1 = await version(V1, { commit_message: 'first cut' });
  ids.v2 = await version(V2, { commit_message: `be brief ${EVIL}`, labels: ['production'] });
  ids.v3 = await version([{ role: 'user', content: 'Spam or ham? {{content}}' }], {});
  const run = await api.post('/v1/runs', {
    name: 'triage run',
    dataset_id: ids.dataset,
    model_ids: [ids.x, ids.y],
    prompt_ids: [ids.v1, ids.v2],
  });
  expect(run.status).toBe(201);
  ids.run = run.body.id;
  const other = await api.post('/v1/runs', {
    name: 'run to cancel',
    dataset_id: ids.dataset,
    model_ids: [ids.x],
    prompt_ids: [ids.v3],
  });
  ids.other = other.body.id;

  session = await openBrowserSession({ width: 1400, height: 900 });
  await session.context.grantPermissions(['clipboard-read', 'clipboard-write'], {
    origin: api.url,
  });
  ({ watch, page } = session);
});

afterAll(async () => {
  await session?.close();
  await api?.close();
});

const job = (model: number, prompt: number) => ({
  model_id: model,
  prompt_id: prompt,
  dataset_id: ids.dataset,
});
const answer = (rule: (i: number) => boolean) => (row: { row_id: number }) =>
  rule(position(row.row_id)) ? 'spam' : 'ham';

describe('runs', () => {
  it("are the home page: each run's status, progress and when it was created", async () => {
    await page.goto(`${api.url}/`);
    const row = page.locator(`table.runs tr[data-run="${ids.run}"]`);
    await row.waitFor({ timeout: 30_000 });
    expect(await row.locator('td[data-label="Run"]').textContent()).toBe('triage run');
    expect(await row.locator('.status').textContent()).toBe('pending');
    expect(await row.locator('td[data-label="Done"]').textContent()).toBe(`0 / ${4 * ROWS}`);
    expect(await row.locator('td[data-label="Candidates"]').textContent()).toBe('2 × 2');
    expect(await row.locator('td[data-label="Created"]').textContent()).toMatch(/\d{4}/);
    expect(await page.locator('table.runs tbody tr').count()).toBe(2);
  });

  it("shows a run's jobs climbing live, then its summary: leaderboard, comparisons, winners", async () => {
    await page.locator(`table.runs tr[data-run="${ids.run}"] a`).click();
    expect(new URL(page.url()).hash).toBe(`#/runs/${ids.run}`);
    const jobRow = (model: number, prompt: number) =>
      page.locator(`table.run-jobs tr[data-job="${model}/${prompt}/${ids.dataset}"]`);
    await jobRow(ids.x, ids.v1).waitFor({ timeout: 30_000 });
    expect(await jobRow(ids.x, ids.v2).locator('td[data-label="Prompt"]').textContent()).toBe(
      'classify@2',
    );
    const bar = jobRow(ids.x, ids.v1).locator('[role="progressbar"]');
    expect(await bar.getAttribute('aria-valuenow')).toBe('0');

    // Half of one job, while the page is open: its bar and the run's move without a reload.
    await processRows(api.t, job(ids.x, ids.v1), ROWS / 2, { answer: answer(right.x1) });
    await expect.poll(() => bar.getAttribute('aria-valuenow'), { timeout: 30_000 }).toBe('50');
    const runBar = page.locator('.run-progress [role="progressbar"]');
    await expect.poll(() => runBar.getAttribute('aria-valuenow'), { timeout: 30_000 }).toBe('12.5');
    expect(await page.locator('.run-view .view-head .status').textContent()).toBe('running');

    await processRows(api.t, job(ids.x, ids.v1), ROWS, { answer: answer(right.x1) });
    await processRows(api.t, job(ids.x, ids.v2), ROWS, { answer: answer(right.x2) });
    await processRows(api.t, job(ids.y, ids.v1), ROWS, { answer: answer(right.y) });
    await processRows(api.t, job(ids.y, ids.v2), ROWS, { answer: answer(right.y) });
    const board = page.locator('.run-summary table.leaderboard tbody tr');
    await expect.poll(() => board.count(), { timeout: 30_000 }).toBe(4);
    expect(await page.locator('.run-view .view-head .status').textContent()).toBe('completed');
    expect(await runBar.getAttribute('aria-valuenow')).toBe('100');
    expect(await board.locator('td[data-label="Pass rate"]').allTextContents()).toEqual([
      '100.0 %',
      '75.0 %',
      '50.0 %',
      '50.0 %',
    ]);
    // model-x beats model-y on classify@2 (10 rows to 0), not on classify@1 (8 to 3).
    expect(expectedMcNemar(10, 0)).toBeLessThan(0.05);
    expect(expectedMcNemar(8, 3)).toBeGreaterThan(0.05);
    expect(await page.locator('.run-summary .winners li').allTextContents()).toEqual([
      'classify@1: no model is significantly better than the others',
      'classify@2: ★ model-x',
    ]);
    expect(
      await board.first().locator('.winner-mark').count(),
      'the winner is starred in the leaderboard',
    ).toBe(1);
    const comparisons = page.locator('.run-summary .comparisons li');
    expect(await comparisons.count()).toBe(4);
    const xy2 = comparisons.filter({ hasText: 'model-x × classify@2 wins on 10 rows, loses on 0' });
    expect(await xy2.count()).toBe(1);
    // A is model-x: it passes 10 rows model-y fails, and no row the other way.
    expect(await xy2.locator('.verdict-text').textContent()).toContain(
      `significant, p = ${Number(expectedMcNemar(10, 0).toPrecision(2))}`,
    );
    expect(await xy2.locator('.comparison-numbers').textContent()).toMatch(
      /^ \(mean score A − B \+0\.500, 95% interval \[\+0\.\d{3}, \+0\.\d{3}\]\)$/,
    );
    // Each comparison opens the compare view on its two candidates.
    expect(await xy2.locator('a').getAttribute('href')).toMatch(
      new RegExp(`^#/datasets/${ids.dataset}/compare\\?a=\\d+/${ids.v2}&b=\\d+/${ids.v2}$`),
    );
  });

  it('makes a share link, shows it and copies it to the clipboard; revoke ends it', async () => {
    await page.getByRole('button', { name: 'Share…' }).click();
    const link = page.locator('input.share-link');
    await expect.poll(() => link.inputValue(), { timeout: 10_000 }).toMatch(/\/share\/[\w-]{40,}$/);
    const url = await link.inputValue();
    expect(url.startsWith(`${api.url}/share/`)).toBe(true);
    expect(await page.locator('.share-message').textContent()).toMatch(
      /^Link copied to the clipboard/,
    );
    expect(await page.evaluate(() => (globalThis as any).navigator.clipboard.readText())).toBe(url);
    const shared = await fetch(`${url}/data`);
    expect(shared.status).toBe(200);
    expect(((await shared.json()) as any).run.name).toBe('triage run');

    await page.getByRole('button', { name: 'Revoke links' }).click();
    await expect
      .poll(() => page.locator('.share-message').textContent())
      .toMatch(/^1 link revoked/);
    expect(await link.isHidden()).toBe(true);
    expect((await fetch(`${url}/data`)).status).toBe(410);
  });

  it('cancels a run after asking twice', async () => {
    await page.goto(`${api.url}/#/runs/${ids.other}`);
    await page.getByRole('button', { name: 'Cancel run' }).click();
    await page.getByRole('button', { name: 'Yes, cancel its unfinished jobs' }).click();
    await expect
      .poll(() => page.locator('.run-view .view-head .status').textContent(), { timeout: 10_000 })
      .toBe('canceled');
    expect((await api.get(`/v1/runs/${ids.other}`)).body.status).toBe('canceled');
    expect(await page.getByRole('button', { name: 'Cancel run' }).isHidden()).toBe(true);
    expect(await page.locator('.run-summary').textContent()).toContain('was cancelled');
  });
});

describe('prompt versions', () => {
  it('lists prompts by name with their versions and labels', async () => {
    await page.goto(`${api.url}/#/prompts`);
    const row = page.locator('table.prompt-names tr[data-name="classify"]');
    await row.waitFor({ timeout: 30_000 });
    expect(await row.locator('td[data-label="Versions"]').textContent()).toBe('3');
    expect(await row.locator('td[data-label="Latest"]').textContent()).toBe('v3');
    expect(await row.locator('td[data-label="Labels"]').textContent()).toBe('production → v2');
  });

  it("shows each version's messages, labels and commit message, and a line diff of two versions", async () => {
    await page.locator('table.prompt-names tr[data-name="classify"] a').click();
    const cards = page.locator('article.version');
    await expect.poll(() => cards.count(), { timeout: 30_000 }).toBe(3);
    const v2 = page.locator('article.version[data-version="2"]');
    expect(await v2.locator('.label-badge').allTextContents()).toEqual(['production']);
    expect(await v2.locator('.commit-message').textContent()).toBe(`be brief ${EVIL}`);
    expect(await v2.locator('.message .role').allTextContents()).toEqual([
      'system',
      'assistant',
      'user',
    ]);
    expect(await v2.locator('.message .text').first().textContent()).toBe(V2[0]!.content);

    // By default the latest against the one before; then v1 → v2, picked.
    expect(await page.locator('.diff-facts').textContent()).toMatch(/^v2 → v3: /);
    await page.getByLabel('Diff to version').selectOption('2');
    await page.getByLabel('Diff from version').selectOption('1');
    await expect
      .poll(() => page.locator('.diff-facts').textContent())
      .toBe('v1 → v2: 4 lines added, 1 removed.');
    const lines = await page
      .locator('.diff-line')
      .evaluateAll((rows) =>
        rows.map((row) => [row.getAttribute('data-op'), row.querySelector('.line')!.textContent]),
      );
    expect(lines).toEqual([
      ['same', '[system]'],
      ['removed', 'You sort mail.'],
      ['added', `You sort mail ${EVIL}.`],
      ['same', 'Answer spam or ham.'],
      ['added', 'Be brief.'],
      ['added', '[assistant]'],
      ['added', 'ham'],
      ['same', '[user]'],
      ['same', '{{content}}'],
    ]);
    expect(new URL(page.url()).hash).toBe('#/prompts/classify?a=1&b=2');
    expect(watch.dialogs).toEqual([]);
    expect(watch.errors).toEqual([]);
    expect(await watch.violations()).toEqual([]);
    expect(await page.evaluate(() => (globalThis as any).__xss)).toBeUndefined();
    expect(await page.locator('img').count()).toBe(0);
  });
});
