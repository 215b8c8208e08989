import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedCatalog, startTestApi, type TestApi } from './support/test-api.js';
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

describe('models', () => {
  it('registers, reads, lists, changes and deletes a model', async () => {
    const created = await api.post('/v1/models', {
      name: 'gpt-4o-mini',
      source: 'openai',
      description: 'the small one',
      config: {
        api_key_env: 'OPENAI_API_KEY',
        temperature: 0,
        max_tokens: 5,
        base_url: 'https://api.openai.com/v1',
      },
    });
    expect(created.status).toBe(201);
    const id = created.body.model_id;
    expect(created.body).toMatchObject({
      name: 'gpt-4o-mini',
      source: 'openai',
      library: 'unknown',
      config: { api_key_env: 'OPENAI_API_KEY', temperature: 0, max_tokens: 5 },
    });
    expect((await api.get(`/v1/models/${id}`)).body).toEqual(created.body);
    expect(
      (await api.get('/v1/models')).body.items.map((m: { model_id: number }) => m.model_id),
    ).toContain(id);

    const changed = await api.request('PATCH', `/v1/models/${id}`, {
      body: { config: { max_concurrency: 4 }, library: 'openai' },
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({
      library: 'openai',
      config: { max_concurrency: 4 },
      name: 'gpt-4o-mini',
    });

    const deleted = await api.request('DELETE', `/v1/models/${id}`);
    expect(deleted.body).toEqual({ model_id: id, deleted: true });
    expect((await api.get(`/v1/models/${id}`)).status).toBe(404);
  });

  it('never stores or returns a secret', async () => {
    const key = 'sk-proj-abcdefghijklmnopqrstuvwxyz0123456789';
    const asName = await api.post('/v1/models', {
      name: 'm',
      source: 'openai',
      config: { api_key_env: key },
    });
    expect(asName.status).toBe(400);
    expect(asName.body.error.details[0].path).toBe('body.config.api_key_env');
    expect(asName.text).not.toContain(key);

    const randomLooking = await api.post('/v1/models', {
      name: 'm',
      source: 'openai',
      config: { api_key_env: 'AbCdEf0123456789GhIjKl98765' },
    });
    expect(randomLooking.status).toBe(400);
    expect(randomLooking.body.error.message).toContain('looks like an API key');

    const asKey = await api.post('/v1/models', {
      name: 'm',
      source: 'openai',
      config: { api_key: key },
    });
    expect(asKey.status).toBe(400);
    expect(asKey.body.error.details[0].path).toBe('body.config');

    const inUrl = await api.post('/v1/models', {
      name: 'm',
      source: 'openai',
      config: { base_url: 'https://user:secret@example.com/v1' },
    });
    expect(inUrl.status).toBe(400);
    expect(inUrl.body.error.details[0].path).toBe('body.config.base_url');
    const inQuery = await api.post('/v1/models', {
      name: 'm',
      source: 'openai',
      config: { base_url: 'https://example.com/v1?api-key=abc' },
    });
    expect(inQuery.status).toBe(400);

    // A key that reached the column by plain SQL is never echoed.
    const [row] = await api.t.query<{ model_id: number }>(
      `INSERT INTO models (name, source, config) VALUES ('legacy', 'mock', $1) RETURNING model_id`,
      [JSON.stringify({ api_key: key, temperature: 1 })],
    );
    const legacy = await api.get(`/v1/models/${row!.model_id}`);
    expect(legacy.status).toBe(200);
    expect(legacy.body.config).toEqual({ temperature: 1 });
    expect(legacy.text).not.toContain(key);
  });

  it('refuses a model no client can run, and unknown config keys', async () => {
    const unknownSource = await api.post('/v1/models', { name: 'x', source: 'anthropic-direct' });
    expect(unknownSource.status).toBe(400);
    expect(unknownSource.body.error.details[0].path).toBe('source');
    const viaLibrary = await api.post('/v1/models', {
      name: 'x',
      source: 'vllm',
      library: 'openai',
    });
    expect(viaLibrary.status).toBe(201);
    const typo = await api.post('/v1/models', {
      name: 'x',
      source: 'mock',
      config: { max_retry: 3 },
    });
    expect(typo.status).toBe(400);
    expect(typo.body.error.message).toContain('max_retry');
    const badValue = await api.post('/v1/models', {
      name: 'x',
      source: 'mock',
      config: { temperature: 9 },
    });
    expect(badValue.body.error.details[0].path).toBe('body.config.temperature');
    const unrunnable = await api.request('PATCH', `/v1/models/${viaLibrary.body.model_id}`, {
      body: { library: 'unknown' },
    });
    expect(unrunnable.status).toBe(400);
    expect((await api.get(`/v1/models/${viaLibrary.body.model_id}`)).body.library).toBe('openai');
    const empty = await api.request('PATCH', `/v1/models/${viaLibrary.body.model_id}`, {
      body: {},
    });
    expect(empty.status).toBe(400);
  });

  it('refuses (409) to delete a model that jobs or bound prompts use, saying what uses it', async () => {
    const { dataset_id, model_id, prompt_id } = await seedCatalog(api, 2);
    await api.post('/v1/prompts', { text: 'bound', model_id });
    await api.post('/v1/jobs', { dataset_id, model_ids: [model_id], prompt_ids: [prompt_id] });
    const refused = await api.request('DELETE', `/v1/models/${model_id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain('1 job and 1 prompt');
    expect((await api.get(`/v1/models/${model_id}`)).status).toBe(200);
  });
});

describe('prompts', () => {
  it('adds, reads, lists (by model) and deletes prompts', async () => {
    const model = await api.post('/v1/models', { name: 'p-model', source: 'mock' });
    const free = await api.post('/v1/prompts', { text: 'Answer: {{content}}' });
    const bound = await api.post('/v1/prompts', {
      text: 'Only mine',
      model_id: model.body.model_id,
    });
    expect(free.status).toBe(201);
    expect(free.body).toMatchObject({ text: 'Answer: {{content}}', model_id: null });
    expect(bound.body.model_id).toBe(model.body.model_id);
    expect((await api.get(`/v1/prompts/${free.body.prompt_id}`)).body).toEqual(free.body);
    const byModel = await api.get(`/v1/prompts?model_id=${model.body.model_id}`);
    expect(byModel.body.items.map((p: { prompt_id: number }) => p.prompt_id)).toEqual([
      bound.body.prompt_id,
    ]);

    expect((await api.request('DELETE', `/v1/prompts/${free.body.prompt_id}`)).body).toEqual({
      prompt_id: free.body.prompt_id,
      deleted: true,
    });
    expect((await api.get(`/v1/prompts/${free.body.prompt_id}`)).status).toBe(404);
  });

  it('refuses a prompt for a model that does not exist, and an empty template', async () => {
    const missing = await api.post('/v1/prompts', { text: 'x', model_id: 777_777 });
    expect(missing.status).toBe(404);
    expect(missing.body.error.details[0].path).toBe('model_id');
    const empty = await api.post('/v1/prompts', { text: '' });
    expect(empty.status).toBe(400);
    expect(empty.body.error.details[0].path).toBe('body.text');
  });

  it('refuses (409) to delete a prompt that a job uses', async () => {
    const { dataset_id, model_id, prompt_id } = await seedCatalog(api, 1);
    await api.post('/v1/jobs', { dataset_id, model_ids: [model_id], prompt_ids: [prompt_id] });
    const refused = await api.request('DELETE', `/v1/prompts/${prompt_id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain('1 job');
  });
});
