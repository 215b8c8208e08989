import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireRedis } from '@evalq/testing';
import { jobPath, startTestApi, type TestApi } from './support/test-api.js';

// Batch dispatch through the API (docs/batch.md): who may use it, and a batch job's
// phase in its progress instead of a bar that stands still for hours.

requireRedis();

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api?.close();
});

describe('config.dispatch', () => {
  it('is accepted on an openai model and refused (400 naming config.dispatch) on others, storing nothing', async () => {
    const ok = await api.post('/v1/models', {
      name: 'gpt-batch',
      source: 'openai',
      config: { dispatch: 'batch', batch_max_requests: 1000 },
    });
    expect(ok.status).toBe(201);
    expect(ok.body.config).toEqual({ dispatch: 'batch', batch_max_requests: 1000 });

    const before = await api.t.query<{ n: number }>('SELECT count(*)::int AS n FROM models');
    const refused = await api.post('/v1/models', {
      name: 'llama',
      source: 'ollama',
      config: { dispatch: 'batch' },
    });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body.error)).toContain('config.dispatch');
    const tooLarge = await api.post('/v1/models', {
      name: 'gpt',
      source: 'openai',
      config: { dispatch: 'batch', batch_max_requests: 50_001 },
    });
    expect(tooLarge.status).toBe(400);
    expect(JSON.stringify(tooLarge.body.error)).toContain('batch_max_requests');
    const after = await api.t.query<{ n: number }>('SELECT count(*)::int AS n FROM models');
    expect(after).toEqual(before);

    // A PATCH that moves a batch model to another client is refused too.
    const moved = await api.request('PATCH', `/v1/models/${ok.body.model_id}`, {
      body: { library: 'mock' },
    });
    expect(moved.status).toBe(400);
    expect(JSON.stringify(moved.body.error)).toContain('config.dispatch');
  });
});

describe("a batch job's progress", () => {
  it('names its phase — uploading, waiting on the provider with its counts, ingesting — and is null for other jobs', async () => {
    const dataset = await api.post('/v1/datasets', { name: 'batch phases' });
    const dataset_id = dataset.body.dataset_id as number;
    await api.post(
      `/v1/datasets/${dataset_id}/rows`,
      Array.from({ length: 10 }, (_, i) => ({ content: `c${i}`, expected_prediction: 'x' })),
    );
    const model = await api.post('/v1/models', {
      name: 'gpt-phase',
      source: 'openai',
      config: { dispatch: 'batch', base_url: 'http://127.0.0.1:9/v1' },
    });
    const online = await api.post('/v1/models', { name: 'echo', source: 'mock' });
    const prompt = await api.post('/v1/prompts', { text: 'Say {{content}}' });
    const key = { model_id: model.body.model_id, prompt_id: prompt.body.prompt_id, dataset_id };
    const launched = await api.post('/v1/jobs', {
      dataset_id,
      model_ids: [key.model_id, online.body.model_id],
      prompt_ids: [key.prompt_id],
    });
    expect(launched.status).toBe(201);
    for (const job of launched.body.jobs) expect(job.batch).toBeNull();

    // Batches as workers record them (apps/worker/src/batch): one being uploaded, two at
    // the provider, one cancelled (not counted).
    const insert = (state: string, counts: [number, number, number] | null) =>
      api.t.query(
        `INSERT INTO provider_batches (model_id, prompt_id, dataset_id, request_count, state,
                                       provider_total, provider_completed, provider_failed)
         VALUES ($1, $2, $3, 5, $4, $5, $6, $7)`,
        [key.model_id, key.prompt_id, dataset_id, state, ...(counts ?? [null, null, null])],
      );
    await insert('uploading', null);
    await insert('submitted', [5, 2, 1]);
    await insert('submitted', [5, 3, 0]);
    await insert('cancelled', [5, 0, 0]);
    const phase = async () => (await api.get(jobPath(key))).body.batch;
    await expect.poll(phase).toEqual({
      phase: 'uploading',
      batches: 3,
      open_batches: 3,
      provider_total: 10,
      provider_completed: 5,
      provider_failed: 1,
    });
    await api.t.query(
      `UPDATE provider_batches SET state = 'submitted', provider_total = 0, provider_completed = 0, provider_failed = 0 WHERE state = 'uploading'`,
    );
    await expect.poll(phase).toMatchObject({
      phase: 'waiting',
      provider_total: 10,
      provider_completed: 5,
    });
    await api.t.query(
      `UPDATE provider_batches SET state = 'ingesting' WHERE provider_completed = 3`,
    );
    await expect.poll(phase).toMatchObject({ phase: 'ingesting', open_batches: 3 });
    await api.t.query(`UPDATE provider_batches SET state = 'done' WHERE state <> 'cancelled'`);
    await expect.poll(phase).toMatchObject({ phase: 'done', open_batches: 0, batches: 3 });
    // The list carries it too.
    const listed = await api.get(`/v1/jobs?dataset_id=${dataset_id}`);
    const phases = listed.body.items.map(
      (job: { batch: { phase: string } | null }) => job.batch?.phase ?? null,
    );
    expect(phases.sort()).toEqual(['done', null]);
  });
});
