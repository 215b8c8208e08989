import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimRows, finishRows, processRows } from './support/claim-protocol.js';
import { rowIdsOf, startTestApi, type TestApi } from './support/test-api.js';

// The routes the dashboard's compare view, grid and grading panel read: the rows two
// candidates disagree on, rows × candidates a page at a time, and one prediction.

const ROWS = 30;
let api: TestApi;
const ids = { dataset: 0, modelA: 0, modelB: 0, prompt: 0, empty: 0 };
/** Rows (by position, 1-based) where each candidate answers right. */
const aRight = (n: number) => n % 2 === 1 || n % 5 === 0; // odd rows and 10, 20, 30
const bRight = (n: number) => n % 3 === 0; // 3, 6, 9, …
let rowIds: number[] = [];
/** Row n's content and a wrong answer to it: row 1's content and row 2's wrong answer are long. */
const contentOf = (n: number) => `question ${n} ${'x'.repeat(n === 1 ? 1500 : 0)}`;
const wrongAnswer = (n: number) => `wrong ${'y'.repeat(n === 2 ? 1200 : 0)}`;

beforeAll(async () => {
  api = await startTestApi();
  ids.dataset = (await api.post('/v1/datasets', { name: 'paired' })).body.dataset_id;
  await api.post(
    `/v1/datasets/${ids.dataset}/rows`,
    Array.from({ length: ROWS }, (_, i) => ({
      content: contentOf(i + 1),
      expected_prediction: `answer ${i + 1}`,
    })),
  );
  ids.empty = (await api.post('/v1/datasets', { name: 'no jobs' })).body.dataset_id;
  await api.post(`/v1/datasets/${ids.empty}/rows`, [{ content: 'c', expected_prediction: 'e' }]);
  ids.modelA = (await api.post('/v1/models', { name: 'a', source: 'mock' })).body.model_id;
  ids.modelB = (await api.post('/v1/models', { name: 'b', source: 'mock' })).body.model_id;
  ids.prompt = (await api.post('/v1/prompts', { text: 'Q: {{content}}' })).body.prompt_id;
  const launched = await api.post('/v1/jobs', {
    dataset_id: ids.dataset,
    model_ids: [ids.modelA, ids.modelB],
    prompt_ids: [ids.prompt],
  });
  expect(launched.status).toBe(201);
  rowIds = await rowIdsOf(api, ids.dataset);
  const position = (rowId: number) => rowIds.indexOf(rowId) + 1;
  const answer =
    (right: (n: number) => boolean) => (row: { row_id: number; expected_prediction: string }) =>
      right(position(row.row_id)) ? row.expected_prediction : wrongAnswer(position(row.row_id));
  const a = { model_id: ids.modelA, prompt_id: ids.prompt, dataset_id: ids.dataset };
  const b = { model_id: ids.modelB, prompt_id: ids.prompt, dataset_id: ids.dataset };
  await processRows(api.t, a, ROWS, { answer: answer(aRight) });
  // B: its first 26 rows answered, 2 failed calls, 2 rows not yet done.
  await processRows(api.t, b, 26, { answer: answer(bRight) });
  await finishRows(api.t, b, await claimRows(api.t, b, 2), { outcome: 'failed' });
});

afterAll(async () => {
  await api?.close();
});

const candidate = (model: number) => `${model}/${ids.prompt}`;

describe('GET /v1/compare/rows', () => {
  it('lists exactly the rows behind a_only and b_only, page by page, with both outputs', async () => {
    const compared = await api.get(
      `/v1/compare?dataset_id=${ids.dataset}&a=${candidate(ids.modelA)}&b=${candidate(ids.modelB)}`,
    );
    // Worked out from the answers above over the 26 rows both answered successfully.
    const paired = Array.from({ length: 26 }, (_, i) => i + 1);
    const expectedAOnly = paired.filter((n) => aRight(n) && !bRight(n));
    const expectedBOnly = paired.filter((n) => bRight(n) && !aRight(n));
    expect(compared.body.a_only).toBe(expectedAOnly.length);
    expect(compared.body.b_only).toBe(expectedBOnly.length);

    const seen: { row: number; a: boolean; b: boolean }[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const reply: any = await api.get(
        `/v1/compare/rows?dataset_id=${ids.dataset}&a=${candidate(ids.modelA)}&b=${candidate(ids.modelB)}&limit=4${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(reply.status).toBe(200);
      for (const item of reply.body.items) {
        const n = rowIds.indexOf(item.row_id) + 1;
        expect(item.content).toBe(contentOf(n));
        expect(item.expected_prediction).toBe(`answer ${n}`);
        expect(item.a.prediction).toBe(aRight(n) ? `answer ${n}` : wrongAnswer(n));
        expect(item.b.prediction).toBe(bRight(n) ? `answer ${n}` : wrongAnswer(n));
        seen.push({ row: n, a: item.a.passed, b: item.b.passed });
      }
      cursor = reply.body.next_cursor;
      pages += 1;
    } while (cursor !== null);
    expect(pages).toBe(Math.ceil((expectedAOnly.length + expectedBOnly.length) / 4));
    expect(seen.map((s) => s.row)).toEqual(
      [...expectedAOnly, ...expectedBOnly].sort((x, y) => x - y),
    );
    expect(seen.every((s) => s.a !== s.b)).toBe(true);

    const onlyB = await api.get(
      `/v1/compare/rows?dataset_id=${ids.dataset}&a=${candidate(ids.modelA)}&b=${candidate(ids.modelB)}&only=b`,
    );
    expect(onlyB.body.items.map((i: any) => rowIds.indexOf(i.row_id) + 1)).toEqual(expectedBOnly);
    expect(onlyB.body.next_cursor).toBeNull();
  });

  it('refuses a bad candidate, a bad cursor or filter with the field named, and an unknown dataset with 404', async () => {
    const base = `/v1/compare/rows?dataset_id=${ids.dataset}&a=${candidate(ids.modelA)}`;
    const bad = await api.get(`${base}&b=x/1`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: any) => d.path)).toContain('querystring.b');
    const badCursor = await api.get(`${base}&b=${candidate(ids.modelB)}&cursor=nope`);
    expect(badCursor.status).toBe(400);
    expect(badCursor.body.error.details[0].path).toBe('querystring.cursor');
    const badOnly = await api.get(`${base}&b=${candidate(ids.modelB)}&only=c`);
    expect(badOnly.body.error.details[0].path).toBe('querystring.only');
    const missing = await api.get(
      `/v1/compare/rows?dataset_id=999999&a=${candidate(ids.modelA)}&b=${candidate(ids.modelB)}`,
    );
    expect(missing.status).toBe(404);
  });
});

describe('GET /v1/datasets/:id/grid', () => {
  it('gives every row with one cell per candidate: verdict, output (cut), failures, and gaps', async () => {
    const reply = await api.get(`/v1/datasets/${ids.dataset}/grid?limit=10`);
    expect(reply.status).toBe(200);
    // By default: the dataset's jobs, by model then prompt.
    expect(reply.body.candidates).toEqual([
      { model_id: ids.modelA, prompt_id: ids.prompt },
      { model_id: ids.modelB, prompt_id: ids.prompt },
    ]);
    const first = reply.body.items[0];
    expect(first.row_id).toBe(rowIds[0]);
    expect(first.content).toHaveLength(1000);
    expect(first.content_truncated).toBe(true);
    expect(first.cells[0]).toMatchObject({
      status: 'success',
      passed: true,
      prediction: 'answer 1',
    });
    expect(first.cells[1]).toMatchObject({
      status: 'success',
      passed: false,
      prediction: 'wrong ',
    });
    const second = reply.body.items[1];
    expect(second.cells[0].prediction).toHaveLength(1000);
    expect(second.cells[0].prediction_truncated).toBe(true);
    expect(second.content_truncated).toBe(false);

    const rows: any[] = [...reply.body.items];
    let cursor = reply.body.next_cursor;
    while (cursor !== null) {
      const next = await api.get(`/v1/datasets/${ids.dataset}/grid?limit=10&cursor=${cursor}`);
      rows.push(...next.body.items);
      cursor = next.body.next_cursor;
    }
    expect(rows.map((r) => r.row_id)).toEqual(rowIds);
    for (const [index, row] of rows.entries()) {
      const n = index + 1;
      expect(row.cells[0].passed).toBe(aRight(n));
      if (n <= 26) expect(row.cells[1].passed).toBe(bRight(n));
      else if (n <= 28) {
        expect(row.cells[1]).toMatchObject({ status: 'failed', passed: null, prediction: '' });
        expect(row.cells[1].error).toMatch(/500/);
      } else expect(row.cells[1]).toBeNull();
    }
  });

  it('takes the columns in the order given, and lists rows without cells when there are no jobs', async () => {
    const reply = await api.get(
      `/v1/datasets/${ids.dataset}/grid?candidates=${candidate(ids.modelB)},${candidate(ids.modelA)}&limit=1`,
    );
    expect(reply.body.candidates.map((c: any) => c.model_id)).toEqual([ids.modelB, ids.modelA]);
    expect(reply.body.items[0].cells.map((c: any) => c.prediction)).toEqual(['wrong ', 'answer 1']);
    const empty = await api.get(`/v1/datasets/${ids.empty}/grid`);
    expect(empty.body).toMatchObject({ candidates: [], next_cursor: null });
    expect(empty.body.items).toEqual([
      expect.objectContaining({ content: 'c', expected_prediction: 'e', cells: [] }),
    ]);
  });

  it('refuses malformed or too many candidates with the field named, and an unknown dataset with 404', async () => {
    const bad = await api.get(`/v1/datasets/${ids.dataset}/grid?candidates=1/2,banana`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe('querystring.candidates');
    const many = Array.from({ length: 21 }, (_, i) => `${i + 1}/1`).join(',');
    const tooMany = await api.get(`/v1/datasets/${ids.dataset}/grid?candidates=${many}`);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.message).toContain('at most 20');
    expect((await api.get('/v1/datasets/999999/grid')).status).toBe(404);
  });
});

describe('GET /v1/predictions/:id', () => {
  it("gives one prediction whole, with each assertion's result", async () => {
    const grid = await api.get(`/v1/datasets/${ids.dataset}/grid?limit=2`);
    const cell = grid.body.items[1].cells[0];
    const reply = await api.get(`/v1/predictions/${cell.prediction_id}`);
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({
      prediction_id: cell.prediction_id,
      row_id: rowIds[1],
      model_id: ids.modelA,
      passed: false,
      prediction: wrongAnswer(2),
      formatted_prompt: 'Q: question 2 ',
    });
    expect(reply.body.grading).toEqual([
      expect.objectContaining({ type: 'equals', pass: false, score: 0 }),
    ]);
    expect((await api.get('/v1/predictions/999999')).status).toBe(404);
    const bad = await api.get('/v1/predictions/abc');
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe('params.prediction_id');
  });

  it('documents the new routes in the OpenAPI document', async () => {
    const doc = (await api.get('/openapi.json')).body;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/compare/rows',
        '/v1/datasets/{dataset_id}/grid',
        '/v1/predictions/{prediction_id}',
      ]),
    );
    const grid = doc.paths['/v1/datasets/{dataset_id}/grid'].get;
    expect(grid.parameters.map((p: any) => p.name)).toEqual(
      expect.arrayContaining(['dataset_id', 'candidates', 'cursor', 'limit']),
    );
  });
});
