import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processRows } from './support/claim-protocol.js';
import { jobPath, seedCatalog, startTestApi, type TestApi } from './support/test-api.js';
import { requireRedis } from '@evalq/testing';

// Every test here goes through Redis (skipped with the reason where none answers).
requireRedis();

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api?.close();
});

describe('datasets', () => {
  it('creates, reads and lists datasets with their row counts', async () => {
    const created = await api.post('/v1/datasets', {
      name: '  Sentiment  ',
      description: 'reviews',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'Sentiment', description: 'reviews', row_count: 0 });
    const id = created.body.dataset_id;
    await api.request('POST', `/v1/datasets/${id}/rows`, {
      raw: 'content,expected_prediction\na,x\nb,y\n',
      contentType: 'text/csv',
    });

    const one = await api.get(`/v1/datasets/${id}`);
    expect(one.body).toMatchObject({ dataset_id: id, row_count: 2 });
    expect(Date.parse(one.body.created_at)).not.toBeNaN();

    await api.post('/v1/datasets', { name: 'second' });
    await api.post('/v1/datasets', { name: 'third' });
    const firstPage = await api.get('/v1/datasets?limit=2');
    expect(firstPage.body.items).toHaveLength(2);
    const secondPage = await api.get(`/v1/datasets?limit=2&cursor=${firstPage.body.next_cursor}`);
    const names = [...firstPage.body.items, ...secondPage.body.items].map(
      (d: { name: string }) => d.name,
    );
    expect(names).toEqual(expect.arrayContaining(['Sentiment', 'second', 'third']));
    expect(secondPage.body.next_cursor).toBeNull();
  });

  it('validates the body, naming the field', async () => {
    const blank = await api.post('/v1/datasets', { name: '   ' });
    expect(blank.status).toBe(400);
    expect(blank.body.error).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [{ path: 'body.name', message: 'must not be empty' }],
    });
    const extra = await api.post('/v1/datasets', { name: 'x', rows: [] });
    expect(extra.status).toBe(400);
    expect(extra.body.error.message).toContain('rows');
    const notJson = await api.request('POST', '/v1/datasets', {
      raw: '{"name":',
      contentType: 'application/json',
    });
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.code).toBe('BAD_REQUEST');
    const wrongType = await api.request('POST', '/v1/datasets', {
      raw: 'name=x',
      contentType: 'text/plain',
    });
    expect(wrongType.status).toBe(415);
    expect(wrongType.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers 404 for a dataset that does not exist', async () => {
    const missing = await api.get('/v1/datasets/424242');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toEqual({
      code: 'NOT_FOUND',
      message: 'dataset 424242 was not found',
      details: null,
    });
    expect((await api.get('/v1/datasets/424242/rows')).status).toBe(404);
    expect((await api.request('DELETE', '/v1/datasets/424242')).status).toBe(404);
  });
});

describe('DELETE /v1/datasets/:id', () => {
  it('refuses (409) while a job is unfinished, then deletes everything once it is done', async () => {
    const { dataset_id, model_id, prompt_id } = await seedCatalog(api, 4);
    const key = { model_id, prompt_id, dataset_id };
    await api.post('/v1/jobs', { dataset_id, model_ids: [model_id], prompt_ids: [prompt_id] });
    await processRows(api.t, key, 2);

    const refused = await api.request('DELETE', `/v1/datasets/${dataset_id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain(
      `${model_id}/${prompt_id}/${dataset_id} (running)`,
    );
    expect(refused.body.error.message).toContain('Cancel them');
    expect((await api.get(`/v1/datasets/${dataset_id}`)).body.row_count).toBe(4);

    await processRows(api.t, key, 2);
    const deleted = await api.request('DELETE', `/v1/datasets/${dataset_id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ dataset_id, rows: 4, jobs: 1, predictions: 4 });
    expect((await api.get(`/v1/datasets/${dataset_id}`)).status).toBe(404);
    expect((await api.get(jobPath(key))).status).toBe(404);
    for (const table of ['rows', 'predictions', 'predictionstatus', 'modelpromptstatus']) {
      const [{ n }] = (await api.t.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${table} WHERE dataset_id = $1`,
        [dataset_id],
      )) as [{ n: number }];
      expect(n, table).toBe(0);
    }
  });

  it('deletes a dataset whose only job was cancelled', async () => {
    const { dataset_id, model_id, prompt_id } = await seedCatalog(api, 2);
    const key = { model_id, prompt_id, dataset_id };
    await api.post('/v1/jobs', { dataset_id, model_ids: [model_id], prompt_ids: [prompt_id] });
    expect((await api.request('DELETE', `/v1/datasets/${dataset_id}`)).status).toBe(409);
    await api.request('DELETE', jobPath(key));
    expect((await api.request('DELETE', `/v1/datasets/${dataset_id}`)).status).toBe(200);
  });
});
