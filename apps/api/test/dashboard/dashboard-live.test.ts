import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  killAll,
  startFakeOpenAIServer,
  type FakeModelServer,
  type WorkerProcess,
  requireRedis,
} from '@evalq/testing';
import {
  barValue,
  jobRow,
  launchChromium,
  recordBarValues,
  watchedPage,
} from '../support/browser.js';
import { startWorkers } from '../support/dashboard-workers.js';
import { addFakeOpenAIModel, startTestApi, type TestApi } from '../support/test-api.js';

// Every test here goes through Redis (skipped with the reason where none answers).
requireRedis();

// The dashboard in a real browser against the real API and real worker processes: a
// launched job's bar climbs to 100 % as the workers go (over SSE, or by polling when
// the event stream is blocked); the leaderboard and a job's failed rows show the
// numbers the API holds; text from datasets, prompts and models never runs as code.

const ROWS = 60;
/** Row 1 of the dataset, the prompt and one model's answers all carry this. */
const EVIL =
  '<script>window.__xss = "script"; alert("script")</script><img src=x onerror="window.__xss = \'img\'; alert(\'img\')">';

let api: TestApi;
let labeller: FakeModelServer;
let evil: FakeModelServer;
let refusing: FakeModelServer;
let workers: WorkerProcess[] = [];
let browser: Browser;
let context: BrowserContext;
let page: Page;

const ids = { dataset: 0, labeller: 0, evil: 0, refused: 0, evilPrompt: 0, plainPrompt: 0 };
const key = (model: number, prompt: number) => `${model}/${prompt}/${ids.dataset}`;

beforeAll(async () => {
  api = await startTestApi();
  // Answers "no" to everything: right on the 45 rows labelled "no", wrong on the 15 "yes".
  // Slow enough (4 calls at a time, 100 ms each) that its progress can be watched.
  labeller = await startFakeOpenAIServer({ latencyMs: 100, respond: () => 'no' });
  evil = await startFakeOpenAIServer({ latencyMs: 5, respond: () => EVIL });
  refusing = await startFakeOpenAIServer({ failWith: 400 });

  const dataset = await api.post('/v1/datasets', { name: `reviews ${EVIL}` });
  ids.dataset = dataset.body.dataset_id;
  const rows = Array.from({ length: ROWS }, (_, i) => ({
    content: i === 0 ? `first review ${EVIL}` : `review ${i + 1}`,
    expected_prediction: (i + 1) % 4 === 0 ? 'yes' : 'no',
  }));
  expect((await api.post(`/v1/datasets/${ids.dataset}/rows`, rows)).status).toBe(201);
  const model = (name: string, server: FakeModelServer) => addFakeOpenAIModel(api, name, server);
  ids.labeller = await model('labeller', labeller);
  ids.evil = await model(`evil ${EVIL}`, evil);
  ids.refused = await model('refused', refusing);
  ids.evilPrompt = (
    await api.post('/v1/prompts', { text: `Classify ${EVIL}: {{content}}` })
  ).body.prompt_id;
  ids.plainPrompt = (await api.post('/v1/prompts', { text: 'Label: {{content}}' })).body.prompt_id;

  workers = await startWorkers(api, 2, { WORKER_CONCURRENCY: '2' });
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  page = (await watchedPage(context)).page;
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await killAll(workers);
  await Promise.all([labeller?.close(), evil?.close(), refusing?.close()]);
  await api?.close();
});

describe('the jobs view', () => {
  it('serves the page with a strict Content-Security-Policy: no inline script, same origin only', async () => {
    const response = await fetch(`${api.url}/`);
    expect(response.status).toBe(200);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("require-trusted-types-for 'script'");
    expect(csp).not.toContain('unsafe');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await response.text();
    expect(html).not.toMatch(/<script>|<script [^>]*>[^<]/); // every script is a file
    expect(html).not.toMatch(/\sstyle=|\son[a-z]+=/);

    const script = await fetch(`${api.url}/dashboard/js/main.js`);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(script.headers.get('content-security-policy')).toBe(csp);
    // A reload revalidates: an unchanged file is a 304.
    const again = await fetch(`${api.url}/dashboard/js/main.js`, {
      headers: { 'if-none-match': script.headers.get('etag')! },
    });
    expect(again.status).toBe(304);
    // Only the dashboard's own files are served.
    for (const path of ['/dashboard/nope.js', '/dashboard/%2e%2e/package.json', '/dashboard/']) {
      expect((await fetch(`${api.url}${path}`)).status).toBe(404);
    }
  });

  it("shows a launched job's bar climbing to 100 % as the workers finish rows, live over SSE", async () => {
    await page.goto(`${api.url}/#/jobs`);
    await page.getByText('No jobs yet').waitFor();
    expect(await page.locator('#live-status').textContent()).toContain('live');
    const barValues = await recordBarValues(page);

    const launched = await api.post('/v1/jobs', {
      dataset_id: ids.dataset,
      model_ids: [ids.labeller, ids.evil, ids.refused],
      prompt_ids: [ids.evilPrompt],
    });
    expect(launched.status).toBe(201);

    const watched = key(ids.labeller, ids.evilPrompt);
    await expect.poll(() => barValue(page, watched), { timeout: 30_000 }).toBe(100);
    for (const model of [ids.evil, ids.refused]) {
      await expect.poll(() => barValue(page, key(model, ids.evilPrompt))).toBe(100);
    }
    const row = jobRow(page, watched);
    await expect.poll(() => row.locator('[role="cell"]').nth(4).textContent()).toBe('60 / 60');
    expect(await row.locator('.status').textContent()).toBe('done');
    expect(await row.locator('[data-label="Pass rate"]').textContent()).toBe('75.0 %');
    // The 15 wrong answers are counted apart from failed calls, and link to them.
    expect(await row.locator('a.wrong-count').textContent()).toBe('15');
    expect(await row.locator('a.failed-count').textContent()).toBe('0');

    // The bar went through values between 0 and 100: it moved while the job ran.
    const seen = (await barValues())[watched] ?? [];
    expect(seen.filter((value) => value > 0 && value < 100).length).toBeGreaterThan(0);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(await page.locator('.summary').textContent()).toContain(
      '3 jobs: 0 running, 0 pending, 3 done',
    );
  });

  it('falls back to polling the job list with ETags when the event stream is unavailable', async () => {
    const polling = await watchedPage(context);
    await polling.page.route('**/v1/events**', (route) => route.abort());
    const jobListAnswers: number[] = [];
    polling.page.on('response', (response) => {
      if (new URL(response.url()).pathname === '/v1/jobs') jobListAnswers.push(response.status());
    });
    await polling.page.goto(`${api.url}/#/jobs`);
    await expect
      .poll(() => polling.page.locator('#live-status').textContent())
      .toContain('polling');

    await api.post('/v1/jobs', {
      dataset_id: ids.dataset,
      model_ids: [ids.labeller],
      prompt_ids: [ids.plainPrompt],
    });
    const added = key(ids.labeller, ids.plainPrompt);
    await expect.poll(() => barValue(polling.page, added), { timeout: 30_000 }).toBe(100);
    // Once nothing changes, a poll is answered 304 Not Modified, with no body.
    await expect.poll(() => jobListAnswers.includes(304), { timeout: 10_000 }).toBe(true);
    expect(jobListAnswers.every((status) => status === 200 || status === 304)).toBe(true);
    expect(polling.errors).toEqual([]);
    await polling.page.close();
  });
});

describe('the leaderboard', () => {
  it('shows pass rate, interval, wrong answers, failures and latency by model × prompt, as a table and a chart', async () => {
    const expected = (await api.get(`/v1/datasets/${ids.dataset}/leaderboard`)).body.entries;
    expect(expected).toHaveLength(4);

    await page.goto(`${api.url}/#/datasets/${ids.dataset}`);
    const rows = page.locator('table.leaderboard tbody tr');
    await expect.poll(() => rows.count()).toBe(4);
    const table = await rows.evaluateAll((trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)),
    );
    const ms = (seconds: number | null) =>
      seconds === null ? '—' : `${Math.round(seconds * 1000).toLocaleString('en-US')} ms`;
    const rate = (value: number) => `${(value * 100).toFixed(1)} %`;
    expect(table).toEqual(
      expected.map((entry: any, index: number) => [
        String(index + 1),
        `${entry.model_name}${entry.round_table_winner ? ' ★' : ''}`,
        expect.stringContaining(`prompt #${entry.prompt_id} `),
        // A job whose every row failed reads failed, never a plain done.
        entry.failed === 60 ? 'failed' : 'done',
        // Rows processed (failed calls included) over the total: the refused model's
        // 60 failed calls count as processed, though none is graded.
        '60 / 60',
        entry.pass_rate === null ? '—' : rate(entry.pass_rate),
        entry.pass_rate_ci95 === null
          ? '—'
          : `${rate(entry.pass_rate_ci95[0])} – ${rate(entry.pass_rate_ci95[1])}`,
        entry.mean_score === null ? '—' : entry.mean_score.toFixed(3),
        String(entry.n - entry.passed),
        String(entry.failed),
        '0',
        ms(entry.latency_p50_s),
        ms(entry.latency_p95_s),
        expect.any(String),
        // Cost and cost per pass: these models have no price.
        '—',
        '—',
      ]),
    );
    // The numbers themselves, as the user reads them.
    const byModel = Object.fromEntries(
      table.map((cells) => [
        `${cells[1]!.replace(' ★', '')} ${cells[2]!.split(' ').slice(0, 2).join(' ')}`,
        cells,
      ]),
    );
    expect(byModel[`labeller prompt #${ids.evilPrompt}`]?.slice(5, 10)).toEqual([
      '75.0 %',
      expect.stringMatching(/ – /),
      '0.750',
      '15',
      '0',
    ]);
    expect(byModel[`evil ${EVIL} prompt #${ids.evilPrompt}`]?.[5]).toBe('0.0 %');
    expect(byModel[`refused prompt #${ids.evilPrompt}`]?.slice(5, 10)).toEqual([
      '—',
      '—',
      '—',
      '0',
      '60',
    ]);

    // One bar per model × prompt, labelled with its pass rate, best first.
    const chartValues = await page.locator('svg.bar-chart .bar-value').allTextContents();
    expect(chartValues).toEqual(['75.0 %', '75.0 %', '0.0 %', '—']);
  });
});

describe("a job's failed rows", () => {
  it('lists every failed row with its error, 50 at a time, reached from the failed count', async () => {
    const failed = key(ids.refused, ids.evilPrompt);
    await page.goto(`${api.url}/#/jobs`);
    await jobRow(page, failed).locator('a.failed-count').click();
    expect(new URL(page.url()).hash).toBe(`#/jobs/${failed}?status=failed`);

    const status = page.locator('.job-rows-view .notice');
    await expect.poll(() => status.textContent()).toBe('Showing 50 of 60 failed calls.');
    await page.getByRole('button', { name: 'Load more' }).click();
    await expect.poll(() => status.textContent()).toBe('Showing 60 of 60 failed calls.');
    expect(await page.getByRole('button', { name: 'Load more' }).isHidden()).toBe(true);

    const fromApi = (
      await api.get(
        `/v1/predictions?model_id=${ids.refused}&prompt_id=${ids.evilPrompt}&dataset_id=${ids.dataset}&status=failed&limit=1000`,
      )
    ).body.items;
    const shown = await page.locator('table.job-rows tbody tr').evaluateAll((trs) =>
      trs.map((tr) => ({
        row: Number(tr.querySelector('td')!.textContent),
        error: tr.querySelector('td.error')!.textContent,
      })),
    );
    expect(shown).toEqual(
      fromApi.map((prediction: any) => ({ row: prediction.row_id, error: prediction.error })),
    );
    expect(fromApi[0].error).toMatch(/400/);
  });
});

describe('untrusted text', () => {
  // Twice: as served, and with the Content-Security-Policy switched off, which proves
  // the page's own rendering (text, never HTML) is safe without the CSP's backing.
  it.each([
    { policy: 'with the CSP', bypassCSP: false },
    { policy: 'with the CSP bypassed', bypassCSP: true },
  ])(
    'shows <script> and <img onerror> from rows, prompts and model output as text and runs none of it ($policy)',
    async ({ bypassCSP }) => {
      const isolated = await browser.newContext({ bypassCSP });
      try {
        const evilWatch = await watchedPage(isolated);
        const evilPage = evilWatch.page;
        const evilJob = key(ids.evil, ids.evilPrompt);
        const visits = [
          { hash: '#/jobs', text: `evil ${EVIL}` },
          { hash: `#/datasets/${ids.dataset}`, text: `reviews ${EVIL}` },
          { hash: `#/jobs/${evilJob}?status=success`, text: EVIL },
          {
            hash: `#/jobs/${key(ids.refused, ids.evilPrompt)}?status=failed`,
            text: `first review ${EVIL}`,
          },
          { hash: `#/datasets/${ids.dataset}/grid`, text: EVIL },
          {
            hash: `#/datasets/${ids.dataset}/compare?a=${ids.evil}/${ids.evilPrompt}&b=${ids.labeller}/${ids.evilPrompt}`,
            text: EVIL,
          },
          {
            hash: `#/datasets/${ids.dataset}/classification?candidate=${ids.evil}/${ids.evilPrompt}`,
            text: EVIL,
          },
          { hash: '#/prompts', text: `Classify ${EVIL}` },
        ];
        for (const visit of visits) {
          await evilPage.goto(`${api.url}/${visit.hash}`);
          await evilPage.waitForFunction(
            (text) => (globalThis as any).document.body.textContent.includes(text),
            visit.text,
            { timeout: 10_000 },
          );
        }
        // The model's answer, the row and the prompt sent: exactly the strings, as text.
        await evilPage.goto(`${api.url}/#/jobs/${evilJob}?status=success`);
        const rows = evilPage.locator('table.job-rows');
        await expect.poll(() => rows.locator('td.output').first().textContent()).toBe(EVIL);
        expect(await rows.locator('td.content .text').first().textContent()).toBe(
          `first review ${EVIL}`,
        );
        await rows.locator('details summary').first().click();
        expect(await rows.locator('details .text').first().textContent()).toBe(
          `Classify ${EVIL}: first review ${EVIL}`,
        );

        // The grading of the evil answer, from the grid: the output, as text.
        await evilPage.goto(`${api.url}/#/datasets/${ids.dataset}/grid`);
        const evilCell = evilPage
          .locator('table.grid td.output', { hasText: 'onerror' })
          .locator('button');
        await evilCell.first().click();
        await expect
          .poll(() => evilPage.locator('dialog.prediction-panel .field.output .text').textContent())
          .toBe(EVIL);

        expect(evilWatch.dialogs).toEqual([]);
        expect(evilWatch.errors).toEqual([]);
        expect(await evilWatch.violations()).toEqual([]);
        expect(await evilPage.evaluate(() => (globalThis as any).__xss)).toBeUndefined();
        // No element came out of the text: no images at all, one script (the page's own).
        expect(await evilPage.locator('img').count()).toBe(0);
        expect(await evilPage.locator('script').count()).toBe(1);
      } finally {
        await isolated.close();
      }
    },
  );
});
