import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import {
  killAll,
  requireRedis,
  startFakeOpenAIServer,
  type FakeModelServer,
  type WorkerProcess,
} from '@evalq/testing';
import { openBrowserSession, type BrowserSession, type PageWatch } from '../support/browser.js';
import { claimRows, finishRows, processRows } from '../support/claim-protocol.js';
import { startWorkers } from '../support/dashboard-workers.js';
import { expectedMcNemar, expectedWilson } from '../support/expected-statistics.js';
import { addFakeOpenAIModel, rowIdsOf, startTestApi, type TestApi } from '../support/test-api.js';

// The grading views in Chromium, against the real API: the leaderboard with intervals
// and the round-table winner, two candidates compared (2×2 table, p-value, verdict in
// words, the rows they disagree on), the grid of rows × candidates, a prediction's
// grading (with a judge's reason, from real workers and a judge model), wrong answers
// apart from failed calls, and a classification report.

requireRedis();

const ROWS = 60;
const EVIL = '<img src=x onerror="window.__xss = 1; alert(1)"><script>window.__xss = 2</script>';
/** Row i (1-based): its gold label. */
const labelOf = (i: number) => ['eggs', 'spam', 'ham'][i % 3]!;
/** Model A: right except every 4th row; every 8th it answers outside the label set. */
const answerA = (i: number) =>
  i % 8 === 0
    ? `${EVIL} spam probably`
    : i % 4 === 0
      ? labelOf(i) === 'spam'
        ? 'ham'
        : 'spam'
      : labelOf(i);
/** Model B: always "eggs" (right on a third of the rows); its last two calls fail. */
const answerB = () => 'eggs';
const B_ANSWERED = ROWS - 2;

let api: TestApi;
let judgeServer: FakeModelServer;
let candidateServer: FakeModelServer;
let workers: WorkerProcess[] = [];
let session: BrowserSession;
let watch: PageWatch;
let page: Page;
const ids = { dataset: 0, a: 0, b: 0, prompt: 0, judged: 0, candidate: 0, judge: 0 };
let rowIds: number[] = [];
const position = (rowId: number) => rowIds.indexOf(rowId) + 1;

beforeAll(async () => {
  api = await startTestApi();
  ids.dataset = (await api.post('/v1/datasets', { name: 'mail triage' })).body.dataset_id;
  await api.post(
    `/v1/datasets/${ids.dataset}/rows`,
    Array.from({ length: ROWS }, (_, n) => ({
      content: n === 0 ? `first mail ${EVIL}` : `mail ${n + 1}`,
      expected_prediction: labelOf(n + 1),
    })),
  );
  rowIds = await rowIdsOf(api, ids.dataset);
  ids.a = (await api.post('/v1/models', { name: 'model-a', source: 'mock' })).body.model_id;
  ids.b = (await api.post('/v1/models', { name: 'model-b', source: 'mock' })).body.model_id;
  ids.prompt = (
    await api.post('/v1/prompts', { name: 'triage', text: 'Sort this mail: {{content}}' })
  ).body.prompt_id;
  await api.post('/v1/jobs', {
    dataset_id: ids.dataset,
    model_ids: [ids.a, ids.b],
    prompt_ids: [ids.prompt],
  });
  const job = (model: number) => ({
    model_id: model,
    prompt_id: ids.prompt,
    dataset_id: ids.dataset,
  });
  await processRows(api.t, job(ids.a), ROWS, {
    answer: (row) => answerA(position(row.row_id)),
  });
  await processRows(api.t, job(ids.b), B_ANSWERED, { answer: answerB });
  await finishRows(api.t, job(ids.b), await claimRows(api.t, job(ids.b), 2), {
    outcome: 'failed',
  });

  // A judged job run by real workers: the judge approves answers saying "4", with a
  // reason; for "5" it answers nonsense (ungraded, with the error).
  candidateServer = await startFakeOpenAIServer({
    respond: (prompt) => (prompt.includes('2 + 2') ? 'The answer is 4' : 'The answer is 5'),
  });
  judgeServer = await startFakeOpenAIServer({
    respond: (prompt) =>
      prompt.includes('The answer is 4')
        ? JSON.stringify({ pass: true, score: 0.9, reason: `right: 4 ${EVIL}` })
        : 'I cannot say',
  });
  ids.candidate = await addFakeOpenAIModel(api, 'solver', candidateServer);
  ids.judge = await addFakeOpenAIModel(api, 'judge', judgeServer);
  ids.judged = (await api.post('/v1/datasets', { name: 'sums' })).body.dataset_id;
  await api.post(`/v1/datasets/${ids.judged}/rows`, [
    { content: 'What is 2 + 2?', expected_prediction: '4' },
    { content: 'What is 2 + 3?', expected_prediction: '5' },
  ]);
  const judgedLaunch = await api.post('/v1/jobs', {
    dataset_id: ids.judged,
    model_ids: [ids.candidate],
    prompt_ids: [ids.prompt],
    assertions: [
      { type: 'contains' },
      { type: 'llm-judge', model_id: ids.judge, rubric: 'Is {{output}} right for {{content}}?' },
    ],
  });
  expect(judgedLaunch.status).toBe(201);
  workers = await startWorkers(api, 1);

  session = await openBrowserSession({ width: 1400, height: 900 });
  ({ watch, page } = session);
});

afterAll(async () => {
  await session?.close();
  await killAll(workers);
  await Promise.all([judgeServer?.close(), candidateServer?.close()]);
  await api?.close();
});

const percent = (rate: number) => `${(rate * 100).toFixed(1)} %`;
/** A p-value as the page writes it: two significant digits, in exponent form below 0.0001. */
const pText = (p: number) => (p < 0.0001 ? p.toExponential(1) : String(Number(p.toPrecision(2))));
/** Rows (1-based) both answered, and who passed them. */
const paired = Array.from({ length: B_ANSWERED }, (_, n) => n + 1);
const aPasses = (i: number) => answerA(i) === labelOf(i);
const bPasses = (i: number) => answerB() === labelOf(i);
const aOnly = paired.filter((i) => aPasses(i) && !bPasses(i));
const bOnly = paired.filter((i) => bPasses(i) && !aPasses(i));

async function noScriptRan(): Promise<void> {
  expect(watch.dialogs).toEqual([]);
  expect(watch.errors).toEqual([]);
  expect(await watch.violations()).toEqual([]);
  expect(await page.evaluate(() => (globalThis as any).__xss)).toBeUndefined();
  expect(await page.locator('img').count()).toBe(0);
}

describe('the leaderboard', () => {
  it('shows pass rate with its Wilson interval (text and bar), wrong, failed, processed of total, and ★ the winner', async () => {
    await page.goto(`${api.url}/#/datasets/${ids.dataset}`);
    const rowOf = (model: number) =>
      page.locator(`table.leaderboard tr[data-candidate="${model}/${ids.prompt}"]`);
    await rowOf(ids.b).waitFor({ timeout: 30_000 });
    const cell = (model: number, label: string) =>
      rowOf(model).locator(`td[data-label="${label}"]`).textContent();

    const aPassed = Array.from({ length: ROWS }, (_, n) => n + 1).filter(aPasses).length;
    const bPassed = paired.filter(bPasses).length;
    expect(await cell(ids.a, 'Processed')).toBe(`${ROWS} / ${ROWS}`);
    expect(await cell(ids.b, 'Processed')).toBe(`${ROWS} / ${ROWS}`);
    expect(await cell(ids.a, 'Pass rate')).toBe(percent(aPassed / ROWS));
    expect(await cell(ids.b, 'Pass rate')).toBe(percent(bPassed / B_ANSWERED));
    const [lo, hi] = expectedWilson(aPassed, ROWS);
    expect(await cell(ids.a, '95% interval')).toBe(`${percent(lo)} – ${percent(hi)}`);
    expect(await cell(ids.a, 'Wrong')).toBe(String(ROWS - aPassed));
    expect(await cell(ids.b, 'Wrong')).toBe(String(B_ANSWERED - bPassed));
    expect(await cell(ids.b, 'Failed')).toBe('2');
    expect(await cell(ids.b, 'Ungraded')).toBe('0');
    // A beats B on their shared prompt with p < 0.05: the round table's winner.
    expect(expectedMcNemar(aOnly.length, bOnly.length)).toBeLessThan(0.05);
    expect(await rowOf(ids.a).locator('.winner-mark').count()).toBe(1);
    expect(await rowOf(ids.b).locator('.winner-mark').count()).toBe(0);
    // The interval drawn: its bar spans lo..hi of the 120-unit track.
    const drawn = rowOf(ids.a).locator('svg.interval-bar rect.interval');
    expect(Number(await drawn.getAttribute('x'))).toBeCloseTo(lo * 120, 3);
    expect(Number(await drawn.getAttribute('width'))).toBeCloseTo((hi - lo) * 120, 3);
    // The chart: one whisker per candidate, and the winner's label starred.
    expect(await page.locator('svg.bar-chart .whisker').count()).toBe(2);
    expect(await page.locator('svg.bar-chart .bar-label').first().textContent()).toBe(
      '★ model-a · triage@1',
    );
  });
});

describe('comparing two candidates', () => {
  it('shows the 2×2 table, the p-value and the verdict in words, and the rows they disagree on', async () => {
    await page.goto(`${api.url}/#/datasets/${ids.dataset}/compare`);
    await page.getByText('Pick two candidates').waitFor({ timeout: 30_000 });
    await page.getByLabel('A', { exact: true }).selectOption(`${ids.b}/${ids.prompt}`);
    await page.getByLabel('B', { exact: true }).selectOption(`${ids.a}/${ids.prompt}`);
    const verdict = page.locator('.compare-view .verdict-text');
    await verdict.waitFor({ timeout: 30_000 });

    const p = expectedMcNemar(bOnly.length, aOnly.length);
    expect(await verdict.textContent()).toBe(
      `model-a × triage@1 wins on ${aOnly.length} rows, loses on ${bOnly.length}: significant, p = ${pText(p)}`,
    );
    const count = (cell: string) =>
      page.locator(`table.two-by-two td[data-cell="${cell}"]`).textContent();
    expect(await count('both')).toBe(String(paired.filter((i) => aPasses(i) && bPasses(i)).length));
    expect(await count('a_only')).toBe(String(bOnly.length)); // A here is model B
    expect(await count('b_only')).toBe(String(aOnly.length));
    expect(await count('neither')).toBe(
      String(paired.filter((i) => !aPasses(i) && !bPasses(i)).length),
    );
    expect(await page.locator('.p-value').textContent()).toBe(pText(p));
    // The score difference (B − A here) and its bootstrap interval, below zero.
    const diff = (bOnly.length - aOnly.length) / paired.length;
    expect(await page.locator('.score-diff span').textContent()).toMatch(
      new RegExp(
        `^${diff.toFixed(3).replace('.', '\\.')}, 95% interval \\[-0\\.\\d{3}, -0\\.\\d{3}\\]$`,
      ),
    );

    // The disagreeing rows, both outputs side by side, in row order.
    const rows = page.locator('table.disagreements tbody tr');
    await expect.poll(() => rows.count()).toBe(aOnly.length + bOnly.length);
    const shown = await rows.evaluateAll((trs) =>
      trs.map((tr) => ({
        row: Number(tr.getAttribute('data-row')),
        a: tr.querySelector('td.output-a .text')!.textContent,
        b: tr.querySelector('td.output-b .text')!.textContent,
      })),
    );
    expect(shown).toEqual(
      [...aOnly, ...bOnly]
        .sort((x, y) => x - y)
        .map((i) => ({ row: rowIds[i - 1], a: answerB(), b: answerA(i) })),
    );
    // Only the rows model A (column B) passes alone.
    await page.getByRole('link', { name: `Only B passes (${aOnly.length})` }).click();
    await expect.poll(() => rows.count()).toBe(aOnly.length);

    // An output opens its grading: the equals assertion's verdict.
    await rows.first().locator('td.output-a button').click();
    const panel = page.locator('dialog.prediction-panel');
    await panel.locator('table.grading').waitFor({ timeout: 10_000 });
    expect(await panel.locator('table.grading td.assertion').textContent()).toBe('equals');
    expect(await panel.locator('table.grading .verdict').textContent()).toBe('✗ wrong');
    expect(await panel.locator('.field.output .text').textContent()).toBe('eggs');
    await panel.getByRole('button', { name: 'Close' }).click();
    await noScriptRan();
  });
});

describe('the grid of rows × candidates', () => {
  it("shows each row's verdict and output per candidate, page by page, and a cell's grading", async () => {
    await page.goto(`${api.url}/#/datasets/${ids.dataset}/grid`);
    const rows = page.locator('table.grid tbody tr');
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(50);
    expect(await page.locator('table.grid thead th').allTextContents()).toEqual([
      'Row',
      'Content',
      'Expected',
      'model-a × triage@1',
      'model-b × triage@1',
    ]);
    await page.getByRole('button', { name: 'Load more rows' }).click();
    await expect.poll(() => rows.count()).toBe(ROWS);
    const cells = await rows.evaluateAll((trs) =>
      trs.map((tr) =>
        [...tr.querySelectorAll('td.output')].map((td) => td.getAttribute('data-verdict')),
      ),
    );
    expect(cells).toEqual(
      Array.from({ length: ROWS }, (_, n) => [
        aPasses(n + 1) ? 'passed' : 'wrong',
        n + 1 > B_ANSWERED ? 'failed' : bPasses(n + 1) ? 'passed' : 'wrong',
      ]),
    );
    // Row 8's answer from A is outside the labels and holds markup: shown as text.
    const eighth = rows.nth(7).locator('td.output').first();
    expect(await eighth.locator('.text').textContent()).toBe(answerA(8));
    expect(
      await rows
        .nth(ROWS - 1)
        .locator('td.output')
        .nth(1)
        .locator('.text')
        .textContent(),
    ).toBe('HTTP 500 from provider');
    await eighth.locator('button').click();
    const panel = page.locator('dialog.prediction-panel');
    await expect.poll(() => panel.locator('.field.output .text').textContent()).toBe(answerA(8));
    expect(await panel.locator('.field.expected .text').textContent()).toBe(labelOf(8));
    await page.keyboard.press('Escape');
    await noScriptRan();
  });

  it("shows a judge's reason for its verdict, and the error that left an answer ungraded", async () => {
    const job = `${ids.candidate}/${ids.prompt}/${ids.judged}`;
    await expect
      .poll(async () => (await api.get(`/v1/jobs/${job}`)).body.status, { timeout: 60_000 })
      .toBe('done');
    await page.goto(`${api.url}/#/datasets/${ids.judged}/grid`);
    const rows = page.locator('table.grid tbody tr');
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(2);
    expect(await rows.nth(1).locator('td.output').getAttribute('data-verdict')).toBe('ungraded');
    await rows.first().locator('td.output button').click();
    const panel = page.locator('dialog.prediction-panel');
    const reasons = panel.locator('table.grading td.reason');
    await expect.poll(() => reasons.count(), { timeout: 10_000 }).toBe(2);
    expect(await panel.locator('table.grading td.assertion').allTextContents()).toEqual([
      'contains',
      'llm-judge (judge: judge)',
    ]);
    expect(await reasons.nth(1).textContent()).toBe(`right: 4 ${EVIL}`);
    expect(await panel.locator('table.grading td[data-label="Score"]').nth(1).textContent()).toBe(
      '0.900',
    );
    await page.keyboard.press('Escape');

    await rows.nth(1).locator('td.output button').click();
    await expect
      .poll(() => panel.locator('table.grading td.reason.error').count(), { timeout: 10_000 })
      .toBe(1);
    expect(await panel.locator('table.grading td.reason.error').textContent()).toMatch(/\S/);
    expect(await panel.locator('.panel-facts .verdict').textContent()).toBe('? ungraded');
    await page.keyboard.press('Escape');
    await noScriptRan();
  });
});

describe('wrong answers', () => {
  it("are listed apart from failed calls, reached from the job's wrong count", async () => {
    const key = `${ids.b}/${ids.prompt}/${ids.dataset}`;
    await page.goto(`${api.url}/#/jobs`);
    const wrongLink = page.locator(`.jobs [data-job="${key}"] a.wrong-count`);
    const wrong = paired.filter((i) => !bPasses(i)).length;
    await expect.poll(() => wrongLink.textContent(), { timeout: 30_000 }).toBe(String(wrong));
    await wrongLink.click();
    expect(new URL(page.url()).hash).toBe(`#/jobs/${key}?status=wrong`);
    const status = page.locator('.job-rows-view .notice');
    await expect
      .poll(() => status.textContent())
      .toBe(`Showing ${wrong} of ${wrong} wrong answers.`);
    const verdicts = await page.locator('table.job-rows tbody .verdict').allTextContents();
    expect(verdicts).toEqual(Array(wrong).fill('✗ wrong'));

    await page.getByRole('link', { name: 'Failed calls' }).click();
    await expect.poll(() => status.textContent()).toBe('Showing 2 of 2 failed calls.');
    expect(await page.locator('table.job-rows td.error').allTextContents()).toEqual([
      'HTTP 500 from provider',
      'HTTP 500 from provider',
    ]);
  });
});

describe('classification', () => {
  it('shows per-label precision, recall and F1, the confusion matrix, and outputs outside the labels', async () => {
    await page.goto(`${api.url}/#/datasets/${ids.dataset}/classification`);
    await page.getByLabel('Candidate').selectOption(`${ids.a}/${ids.prompt}`);
    const perLabel = page.locator('table.per-label tbody tr');
    await expect.poll(() => perLabel.count(), { timeout: 30_000 }).toBe(4);

    const rows = Array.from({ length: ROWS }, (_, n) => n + 1);
    const labels = ['eggs', 'ham', 'spam'];
    const expectedRows = labels.map((label) => {
      const support = rows.filter((i) => labelOf(i) === label).length;
      const predicted = rows.filter((i) => answerA(i) === label).length;
      const right = rows.filter((i) => labelOf(i) === label && answerA(i) === label).length;
      const precision = right / predicted;
      const recall = right / support;
      const f1 = (2 * precision * recall) / (precision + recall);
      return [
        label,
        support,
        predicted,
        right,
        percent(precision),
        percent(recall),
        percent(f1),
      ].map(String);
    });
    const shown = await perLabel.evaluateAll((trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)),
    );
    expect(shown.slice(0, 3)).toEqual(expectedRows);

    const matrix = await page
      .locator('table.confusion tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)),
      );
    expect(matrix).toEqual(
      labels.map((expected) =>
        [...labels, null].map((predicted) =>
          String(
            rows.filter(
              (i) =>
                labelOf(i) === expected &&
                (predicted === null ? !labels.includes(answerA(i)) : answerA(i) === predicted),
            ).length,
          ),
        ),
      ),
    );
    expect(await page.locator('table.confusion thead th').last().textContent()).toBe(
      'outside the label set',
    );
    expect(await page.locator('.outside-outputs li').first().textContent()).toBe(
      `${answerA(8).toLowerCase()} × ${rows.filter((i) => i % 8 === 0).length}`,
    );
    await noScriptRan();
  });
});
