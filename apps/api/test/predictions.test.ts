import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processRows } from './support/claim-protocol.js';
import { startTestApi, type Reply, type TestApi } from './support/test-api.js';
import { requireRedis } from '@evalq/testing';
import { expectedWilson } from './support/expected-statistics.js';

// Every test here goes through Redis (skipped with the reason where none answers).
requireRedis();

let api: TestApi;
let dataset_id: number;
let modelA: number;
let modelB: number;
let prompt_id: number;
const ROWS = 1200;

beforeAll(async () => {
  api = await startTestApi();
  dataset_id = (await api.post('/v1/datasets', { name: 'results' })).body.dataset_id;
  const rows = Array.from({ length: ROWS }, (_, i) => ({
    content: i === 0 ? 'a "quoted", multi\nline ünïcode row' : `row ${i + 1}`,
    expected_prediction: i % 2 === 0 ? 'yes' : 'no',
  }));
  await api.post(`/v1/datasets/${dataset_id}/rows`, rows);
  modelA = (await api.post('/v1/models', { name: 'a', source: 'mock' })).body.model_id;
  modelB = (await api.post('/v1/models', { name: 'b', source: 'mock' })).body.model_id;
  prompt_id = (await api.post('/v1/prompts', { text: 'Q: {{content}}' })).body.prompt_id;
  await api.post('/v1/jobs', { dataset_id, model_ids: [modelA, modelB], prompt_ids: [prompt_id] });

  // Model A: every row answered right, with token counts; slower.
  await processRows(api.t, { model_id: modelA, prompt_id, dataset_id }, ROWS, {
    answer: (row) => ` ${row.expected_prediction.toUpperCase()} `,
    promptTokens: 12,
    seconds: 0.2,
  });
  // Model B: 1000 rows answered "yes" (half right), 200 failed, no token counts.
  await processRows(api.t, { model_id: modelB, prompt_id, dataset_id }, 1000, {
    answer: () => 'yes',
    seconds: 0.1,
  });
  await processRows(api.t, { model_id: modelB, prompt_id, dataset_id }, 200, { outcome: 'failed' });
});
afterAll(async () => {
  await api?.close();
});

describe('GET /v1/predictions', () => {
  it('pages through every prediction of a job exactly once', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Reply = await api.get(
        `/v1/predictions?dataset_id=${dataset_id}&model_id=${modelA}&prompt_id=${prompt_id}&limit=500${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((p: { row_id: number }) => p.row_id));
      cursor = page.body.next_cursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(ROWS);
    expect(new Set(seen).size).toBe(ROWS);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
  });

  it('returns each prediction with its row, gold label and correctness', async () => {
    const page = await api.get(
      `/v1/predictions?dataset_id=${dataset_id}&model_id=${modelA}&limit=1`,
    );
    expect(page.body.items[0]).toMatchObject({
      dataset_id,
      model_id: modelA,
      prompt_id,
      content: 'a "quoted", multi\nline ünïcode row',
      expected_prediction: 'yes',
      prediction: ' YES ',
      correct: true,
      status: 'success',
      error: null,
      prompt_tokens: 12,
      formatted_prompt: 'Q: a "quoted", multi\nline ünïcode row',
    });
  });

  it('filters by status and pages across jobs of a dataset', async () => {
    const failed = await api.get(
      `/v1/predictions?dataset_id=${dataset_id}&status=failed&limit=1000`,
    );
    expect(failed.body.items).toHaveLength(200);
    expect(
      failed.body.items.every(
        (p: { model_id: number; correct: null }) => p.model_id === modelB && p.correct === null,
      ),
    ).toBe(true);
    expect(failed.body.items[0].error).toBe('HTTP 500 from provider');

    let total = 0;
    let cursor: string | null = null;
    do {
      const page: Reply = await api.get(
        `/v1/predictions?dataset_id=${dataset_id}&limit=1000${cursor ? `&cursor=${cursor}` : ''}`,
      );
      total += page.body.items.length;
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(total).toBe(2 * ROWS);
  });

  it('rejects bad filters and cursors with 400', async () => {
    expect((await api.get('/v1/predictions?status=maybe')).status).toBe(400);
    expect((await api.get('/v1/predictions?limit=100000')).status).toBe(400);
    const cursor = Buffer.from('[1,2]').toString('base64url');
    const bad = await api.get(`/v1/predictions?cursor=${cursor}`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe('querystring.cursor');
  });
});

describe('GET /v1/predictions/export', () => {
  it('streams every matching prediction as CSV with a header row', async () => {
    const exported = await api.get(`/v1/predictions/export?dataset_id=${dataset_id}&format=csv`);
    expect(exported.status).toBe(200);
    expect(exported.headers.get('content-type')).toContain('text/csv');
    expect(exported.headers.get('content-disposition')).toContain('.csv');
    const records: Record<string, string>[] = parse(exported.text, { columns: true });
    expect(records).toHaveLength(2 * ROWS);
    const first = records.find(
      (r) => r.model_id === String(modelA) && r.content!.startsWith('a "quoted"'),
    );
    expect(first).toMatchObject({
      content: 'a "quoted", multi\nline ünïcode row',
      correct: 'true',
      status: 'success',
      prompt_tokens: '12',
    });
    expect(first!.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const onlyFailed = await api.get(
      `/v1/predictions/export?dataset_id=${dataset_id}&status=failed`,
    );
    expect(parse(onlyFailed.text, { columns: true })).toHaveLength(200);
  });

  it('streams JSONL, one object per line, with the fields of the JSON API', async () => {
    const exported = await api.get(
      `/v1/predictions/export?dataset_id=${dataset_id}&model_id=${modelB}&format=jsonl`,
    );
    expect(exported.headers.get('content-type')).toContain('application/x-ndjson');
    const lines = exported.text.trimEnd().split('\n');
    expect(lines).toHaveLength(ROWS);
    const objects = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const page = await api.get(
      `/v1/predictions?dataset_id=${dataset_id}&model_id=${modelB}&limit=1`,
    );
    expect(objects[0]).toEqual(page.body.items[0]);
    expect(objects.filter((o) => o.status === 'failed')).toHaveLength(200);
    expect(objects.filter((o) => o.correct === true)).toHaveLength(500);
  });

  it('gives the connection back when a client abandons an export', async () => {
    // More abandoned downloads than the pool has connections: none may stay held.
    for (let i = 0; i < 15; i += 1) {
      const response = await fetch(
        `${api.url}/v1/predictions/export?dataset_id=${dataset_id}&format=jsonl`,
      );
      const reader = response.body!.getReader();
      await reader.read();
      await reader.cancel();
    }
    const page = await api.get(`/v1/predictions?dataset_id=${dataset_id}&limit=1`);
    expect(page.status).toBe(200);
    await expect
      .poll(async () =>
        api.t.query(
          `SELECT pid FROM pg_stat_activity
            WHERE datname = current_database() AND state LIKE 'idle in transaction%'`,
        ),
      )
      .toEqual([]);
  });

  it('exports an empty CSV (header only) when nothing matches', async () => {
    const exported = await api.get('/v1/predictions/export?dataset_id=999999');
    expect(exported.status).toBe(200);
    expect(exported.text.trim().split('\n')).toHaveLength(1);
    expect((await api.get('/v1/predictions/export?format=xml')).status).toBe(400);
  });
});

describe('GET /v1/datasets/:id/leaderboard', () => {
  it('ranks model × prompt by pass rate with its interval, failures, latency and tokens', async () => {
    const board = await api.get(`/v1/datasets/${dataset_id}/leaderboard`);
    expect(board.status).toBe(200);
    expect(board.body.dataset_id).toBe(dataset_id);
    const [first, second] = board.body.entries;
    expect(first).toMatchObject({
      model_id: modelA,
      model_name: 'a',
      prompt_text: 'Q: {{content}}',
      status: 'done',
      processed: ROWS,
      n: ROWS,
      succeeded: ROWS,
      passed: ROWS,
      failed: 0,
      ungraded: 0,
      pass_rate: 1,
      accuracy: 1,
      mean_score: 1,
      prompt_tokens: 12 * ROWS,
      completion_tokens: ROWS,
    });
    expect(first.latency_p50_s).toBeCloseTo(0.2);
    expect(first.latency_p95_s).toBeCloseTo(0.2);
    expect(second).toMatchObject({
      model_id: modelB,
      processed: ROWS,
      n: 1000,
      succeeded: 1000,
      failed: 200,
      passed: 500,
      pass_rate: 0.5,
      accuracy: 0.5,
      mean_score: 0.5,
      prompt_tokens: null,
      completion_tokens: null,
    });
    expect(second.latency_p50_s).toBeCloseTo(0.1);
    expect(second.pass_rate_ci95[0]).toBeCloseTo(expectedWilson(500, 1000)[0], 12);
    expect(second.pass_rate_ci95[1]).toBeCloseTo(expectedWilson(500, 1000)[1], 12);
    expect(first.pass_rate_ci95[0]).toBeCloseTo(expectedWilson(ROWS, ROWS)[0], 12);
    expect(first.pass_rate_ci95[1]).toBeCloseTo(1, 12);
    // Same prompt, 1,000 paired rows: A passes all, B 500 of them. McNemar p ≈ 0: A wins.
    expect(first.round_table_winner).toBe(true);
    expect(second.round_table_winner).toBe(false);
    expect((await api.get('/v1/datasets/999999/leaderboard')).status).toBe(404);
  });
});
