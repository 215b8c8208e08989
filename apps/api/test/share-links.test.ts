import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium, watchedPage } from './support/browser.js';
import { processRows } from './support/claim-protocol.js';
import { startTestApi, type TestApi } from './support/test-api.js';
import { expectedWilson } from './support/expected-statistics.js';

// Share links: a read-only page and JSON of one run, opened by a token in the URL
// without the API token; only the token's hash is stored; expired or revoked links
// answer 410, unknown ones 404; no model configuration reaches the page.

const API_TOKEN = 'the-api-token-of-this-test';
const SECRET_URL = 'http://secret-host.internal:8000/v1';
const SECRET_KEY_VAR = 'ACME_SECRET_KEY_VAR';

let api: TestApi;
let browser: Browser | undefined;
const run = { id: '', other: '', dataset_id: 0, model_id: 0, prompt_id: 0 };

beforeAll(async () => {
  api = await startTestApi({ config: { apiToken: API_TOKEN } });
  const dataset = await api.post('/v1/datasets', { name: 'tickets to share' });
  run.dataset_id = dataset.body.dataset_id;
  const rows = Array.from({ length: 8 }, (_, i) => ({
    content: `ticket ${i + 1}`,
    expected_prediction: i % 2 ? 'bug' : 'question',
  }));
  await api.post(`/v1/datasets/${run.dataset_id}/rows`, rows);
  const model = await api.post('/v1/models', {
    name: 'shared-model',
    source: 'openai',
    config: { base_url: SECRET_URL, api_key_env: SECRET_KEY_VAR, temperature: 0 },
  });
  run.model_id = model.body.model_id;
  const prompt = await api.post('/v1/prompts', {
    name: 'triage',
    messages: [
      { role: 'system', content: 'You triage tickets.' },
      { role: 'user', content: '{{content}}' },
    ],
  });
  run.prompt_id = prompt.body.prompt_id;
  const body = {
    dataset_id: run.dataset_id,
    model_ids: [run.model_id],
    prompt_ids: [run.prompt_id],
  };
  run.id = (await api.post('/v1/runs', { ...body, name: 'triage run' })).body.id;
  run.other = (await api.post('/v1/runs', { ...body, name: 'another run' })).body.id;
  // Both runs share the one job: 6 of its 8 answers are right.
  const key = { model_id: run.model_id, prompt_id: run.prompt_id, dataset_id: run.dataset_id };
  await processRows(api.t, key, 8, {
    answer: (r) => (r.row_id % 4 === 0 ? 'nope' : r.expected_prediction),
  });
});

afterAll(async () => {
  await browser?.close();
  await api?.close();
});

const share = (id: string, expires_in_s?: number) =>
  api.post(`/v1/runs/${id}/share`, expires_in_s === undefined ? {} : { expires_in_s });
const open = (url: string, suffix = '/data') => api.get(`${url}${suffix}`, { token: null });

describe('making a link', () => {
  it('returns /share/<token> with its expiry; each call makes a new link', async () => {
    const before = Date.now();
    const first = await share(run.id, 3600);
    expect(first.status).toBe(201);
    expect(first.body.url).toMatch(/^\/share\/[A-Za-z0-9_-]{43}$/);
    const expires = Date.parse(first.body.expires_at);
    expect(expires).toBeGreaterThanOrEqual(before + 3600_000 - 5_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 3600_000 + 5_000);
    const second = await share(run.id);
    expect(second.body.url).not.toBe(first.body.url);
    expect(Date.parse(second.body.expires_at)).toBeGreaterThan(Date.now() + 6 * 24 * 3600_000);
    expect((await open(first.body.url)).status).toBe(200);
    expect((await open(second.body.url)).status).toBe(200);
  });

  it('stores only the SHA-256 of the token: the token is nowhere in the database', async () => {
    const { url } = (await share(run.id)).body;
    const token = url.slice('/share/'.length);
    const hash = createHash('sha256').update(token).digest();
    const stored = await api.t.query<{ token_hash: Buffer }>(
      'SELECT token_hash FROM run_share_links WHERE run_id = $1',
      [run.id],
    );
    expect(stored.some((row) => row.token_hash.equals(hash))).toBe(true);
    const dump = await api.t.query<{ found: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM run_share_links l
                       WHERE encode(l.token_hash, 'escape') LIKE '%' || $1 || '%'
                          OR l::text LIKE '%' || $1 || '%') AS found`,
      [token],
    );
    expect(dump[0]!.found).toBe(false);
  });

  it('refuses a link longer than 30 days, and a run that does not exist', async () => {
    const long = await share(run.id, 30 * 24 * 3600 + 1);
    expect(long.status).toBe(400);
    expect(long.body.error.details[0].path).toBe('body.expires_in_s');
    expect((await share(run.id, 30 * 24 * 3600)).status).toBe(201);
    expect((await share('00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await api.post(`/v1/runs/${run.id}/share`, {}, { token: null })).status).toBe(401);
  });
});

describe('opening a link', () => {
  it("shows the run's progress and results without the API token, and no model config, key name or base URL", async () => {
    const { url } = (await share(run.id)).body;
    const data = await open(url);
    expect(data.status).toBe(200);
    expect(data.headers.get('cache-control')).toBe('no-store');
    expect(data.body.run).toMatchObject({
      name: 'triage run',
      status: 'completed',
      progress: { total: 8, done: 8, failed: 0, percent: 100 },
    });
    expect(data.body.candidates).toEqual([
      expect.objectContaining({ model_name: 'shared-model', prompt_label: 'triage@1' }),
    ]);
    expect(data.body.summary.leaderboard[0]).toMatchObject({ n: 8, passed: 6, pass_rate: 0.75 });
    const [lo, hi] = expectedWilson(6, 8);
    expect(data.body.summary.leaderboard[0].pass_rate_ci95[0]).toBeCloseTo(lo, 12);
    expect(data.body.summary.leaderboard[0].pass_rate_ci95[1]).toBeCloseTo(hi, 12);
    // The same summary as the run's own (one owner), winners included.
    expect(data.body.summary).toEqual((await api.get(`/v1/runs/${run.id}`)).body.summary);
    const page = await open(url, '');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    for (const text of [data.text, page.text]) {
      expect(text).not.toContain('secret-host');
      expect(text).not.toContain(SECRET_KEY_VAR);
      expect(text).not.toContain('base_url');
      expect(text).not.toContain('api_key_env');
      expect(text).not.toContain('"config"');
    }
  });

  it('answers 404 for an unknown or malformed token, and 410 once expired or revoked', async () => {
    for (const url of ['/share/' + 'A'.repeat(43), '/share/short', '/share/..%2Fv1%2Fruns']) {
      expect((await open(url)).status).toBe(404);
      expect((await open(url, '')).status).toBe(404);
    }
    const expiring = (await share(run.id)).body.url as string;
    const token = expiring.slice('/share/'.length);
    await api.t.query(
      "UPDATE run_share_links SET expires_at = now() - interval '1 second' WHERE token_hash = $1",
      [createHash('sha256').update(token).digest()],
    );
    const expired = await open(expiring);
    expect(expired.status).toBe(410);
    expect(expired.body.error.code).toBe('GONE');
    expect((await open(expiring, '')).status).toBe(410);

    const other = (await share(run.other)).body.url as string;
    const links = [(await share(run.id)).body.url, (await share(run.id)).body.url];
    const revoked = await api.request('DELETE', `/v1/runs/${run.id}/share`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revoked).toBeGreaterThanOrEqual(2);
    for (const url of links) {
      expect((await open(url)).status).toBe(410);
      expect((await open(url, '')).status).toBe(410);
    }
    expect((await open(other)).status).toBe(200);
    const fresh = (await share(run.id)).body.url;
    expect((await open(fresh)).status).toBe(200);
  });

  it('opens nothing else: the token is no API token, and a link shows its own run only', async () => {
    const { url } = (await share(run.other)).body;
    const token = url.slice('/share/'.length);
    for (const path of ['/v1/runs', `/v1/runs/${run.other}`, '/v1/models', '/metrics']) {
      expect((await api.get(path, { token })).status).toBe(401);
    }
    expect((await api.request('DELETE', `/v1/runs/${run.other}/share`, { token })).status).toBe(
      401,
    );
    const data = await open(url);
    expect(data.body.run.name).toBe('another run');
    expect(data.text).not.toContain('triage run');
  });
});

describe('the share page in Chromium, on a phone', () => {
  it('is readable at 420 px wide: no sideways scroll, progress, failures and accuracy in view', async () => {
    const { url } = (await share(run.id)).body;
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 420, height: 860 } });
    const watch = await watchedPage(context);
    const { page } = watch;
    await page.goto(`${api.url}${url}`);
    await page
      .locator('table.share-jobs [role="progressbar"]')
      .first()
      .waitFor({ timeout: 30_000 });
    await page.locator('table.leaderboard').waitFor({ timeout: 30_000 });

    expect(
      await page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth),
    ).toBeLessThanOrEqual(420);
    expect(await page.locator('h1').textContent()).toBe('triage run');
    for (const selector of [
      'table.share-jobs [role="progressbar"]',
      'table.share-jobs td.failed',
      'table.share-jobs td.accuracy',
      'table.leaderboard td.accuracy',
    ]) {
      const cell = page.locator(selector).first();
      expect(await cell.isVisible(), selector).toBe(true);
      const box = (await cell.boundingBox())!;
      expect(box.x, selector).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width, selector).toBeLessThanOrEqual(420);
    }
    expect(await page.locator('table.share-jobs td.accuracy').first().textContent()).toBe('75.0 %');
    const [lo, hi] = expectedWilson(6, 8);
    expect(await page.locator('table.leaderboard td.interval').first().textContent()).toBe(
      `${(lo * 100).toFixed(1)} % – ${(hi * 100).toFixed(1)} %`,
    );
    expect(
      await page
        .locator('table.share-jobs [role="progressbar"]')
        .first()
        .getAttribute('aria-valuenow'),
    ).toBe('100');
    expect(await page.locator('body').textContent()).not.toContain('secret-host');
    expect(watch.errors).toEqual([]);
    expect(await watch.violations()).toEqual([]);

    await api.request('DELETE', `/v1/runs/${run.id}/share`);
    const gone = await page.goto(`${api.url}${url}`);
    expect(gone?.status()).toBe(410);
    expect(await page.locator('h1').textContent()).toBe('This link has expired');
    await context.close();
  });
});
