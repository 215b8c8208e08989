import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processRows } from './support/claim-protocol.js';
import { seedCatalog, startTestApi, type TestApi } from './support/test-api.js';
import { requireRedis } from '@evalq/testing';

// Every test here goes through Redis (skipped with the reason where none answers).
requireRedis();

const TOKEN = 'operations-token-5678';
let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ config: { apiToken: TOKEN, bodyLimitBytes: 4096 } });
});
afterAll(async () => {
  await api?.close();
});

describe('bearer auth', () => {
  it('refuses /v1 and /metrics without the token, with the error shape', async () => {
    for (const path of ['/v1/datasets', '/v1/jobs', '/metrics']) {
      const missing = await api.get(path, { token: null });
      expect(missing.status, path).toBe(401);
      expect(missing.body.error.code).toBe('UNAUTHORIZED');
      expect(missing.headers.get('www-authenticate')).toContain('Bearer');
    }
    const wrong = await api.get('/v1/datasets', { token: 'operations-token-5679' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.message).toContain('not this API');
    const shorter = await api.get('/v1/datasets', { token: 'x' });
    expect(shorter.status).toBe(401);
    const basic = await api.get('/v1/datasets', {
      headers: { authorization: `Basic ${TOKEN}` },
      token: null,
    });
    expect(basic.status).toBe(401);
  });

  it('refuses a write without the token before reading its body', async () => {
    const refused = await api.post('/v1/datasets', { name: 'sneaky' }, { token: null });
    expect(refused.status).toBe(401);
    expect((await api.get('/v1/datasets')).body.items).toEqual([]);
  });

  it('lets the right token through, and keeps health, docs and the page open', async () => {
    expect((await api.get('/v1/datasets')).status).toBe(200);
    expect((await api.get('/metrics')).status).toBe(200);
    for (const path of ['/healthz', '/readyz', '/openapi.json', '/docs', '/']) {
      expect((await api.get(path, { token: null })).status, path).toBe(200);
    }
  });
});

describe('health', () => {
  it('reports liveness and readiness of PostgreSQL and Redis', async () => {
    expect((await api.get('/healthz', { token: null })).body).toEqual({ status: 'ok' });
    expect((await api.get('/readyz', { token: null })).body).toEqual({
      status: 'ready',
      postgres: { ok: true },
      redis: { ok: true },
    });
  });
});

describe('OpenAPI and docs', () => {
  it('documents every route from the same schemas that validate requests', async () => {
    const doc = await api.get('/openapi.json', { token: null });
    expect(doc.body.openapi).toBe('3.0.3');
    const paths = Object.keys(doc.body.paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/healthz',
        '/readyz',
        '/metrics',
        '/v1/datasets',
        '/v1/datasets/{dataset_id}',
        '/v1/datasets/{dataset_id}/rows',
        '/v1/datasets/{dataset_id}/leaderboard',
        '/v1/models',
        '/v1/models/{model_id}',
        '/v1/prompts',
        '/v1/prompts/{prompt_id}',
        '/v1/prompts/resolve',
        '/v1/prompts/{prompt_id}/labels',
        '/v1/runs',
        '/v1/runs/{id}',
        '/v1/runs/{id}/share',
        '/share/{token}/data',
        '/v1/jobs',
        '/v1/jobs/{model_id}/{prompt_id}/{dataset_id}',
        '/v1/jobs/{model_id}/{prompt_id}/{dataset_id}/retry-failed',
        '/v1/events',
        '/v1/predictions',
        '/v1/predictions/export',
      ]),
    );
    const createRun = doc.body.paths['/v1/runs'].post.requestBody.content['application/json'];
    expect(createRun.schema.required).toEqual(
      expect.arrayContaining(['dataset_id', 'model_ids', 'prompt_ids']),
    );
    expect(doc.body.paths['/share/{token}/data'].get.security).toEqual([]);
    const createModel = doc.body.paths['/v1/models'].post;
    const bodySchema = createModel.requestBody.content['application/json'].schema;
    expect(bodySchema.required).toEqual(expect.arrayContaining(['name', 'source']));
    expect(Object.keys(bodySchema.properties.config.properties)).toContain('api_key_env');
    // What registering a model can answer: created, or a refusal in the error shape.
    expect(Object.keys(createModel.responses).sort()).toEqual(['201', '400', '401', '413', '415']);
    const refusal = createModel.responses['400'].content['application/json'].schema;
    expect(Object.keys(refusal.properties)).toEqual(['error']);
    expect(refusal.properties.error.required).toEqual(['code', 'message', 'details']);
  });

  it('serves browsable docs with their assets', async () => {
    const page = await api.get('/docs', { token: null });
    expect(page.text).toContain('<html');
    const asset = await api.get('/docs/static/swagger-ui.css', { token: null });
    expect(asset.status).toBe(200);
  });
});

describe('errors', () => {
  it('answers an unknown route with 404 in the error shape', async () => {
    const missing = await api.get('/v1/nothing-here');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('answers 413 for a JSON body over the limit and 415 for other content types', async () => {
    const big = await api.post('/v1/prompts', { text: 'x'.repeat(10_000) });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    const form = await api.request('POST', '/v1/prompts', {
      raw: 'text=hello',
      contentType: 'application/x-www-form-urlencoded',
    });
    expect(form.status).toBe(415);
  });

  it('keeps a caller-supplied request id and makes one otherwise', async () => {
    const given = await api.get('/healthz', { headers: { 'x-request-id': 'trace-abc-123' } });
    expect(given.headers.get('x-request-id')).toBe('trace-abc-123');
    const made = await api.get('/healthz', { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('GET /metrics', () => {
  it('exposes jobs and rows by status, job progress, queue depth and HTTP latency', async () => {
    const { dataset_id, model_id, prompt_id } = await seedCatalog(api, 4);
    await api.post('/v1/jobs', { dataset_id, model_ids: [model_id], prompt_ids: [prompt_id] });
    await processRows(api.t, { model_id, prompt_id, dataset_id }, 1);
    await processRows(api.t, { model_id, prompt_id, dataset_id }, 1, { outcome: 'failed' });

    const metrics = await api.get('/metrics');
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    expect(metrics.text).toContain('evalq_jobs{status="running"} 1');
    expect(metrics.text).toContain('evalq_rows{status="done"} 2');
    expect(metrics.text).toContain('evalq_rows{status="pending"} 2');
    expect(metrics.text).toContain('evalq_predictions{outcome="failed"} 1');
    // No worker runs in this file, so the launch's message is still waiting in BullMQ.
    expect(metrics.text).toContain('evalq_queue_messages{state="wait"} 1');
    expect(metrics.text).toContain(
      `evalq_job_progress_ratio{job="${model_id}/${prompt_id}/${dataset_id}",model_id="${model_id}",prompt_id="${prompt_id}",dataset_id="${dataset_id}"} 0.5`,
    );
    expect(metrics.text).toMatch(
      /evalq_api_http_request_duration_seconds_count\{method="POST",route="\/v1\/jobs",status_code="201"\} 1/,
    );
  });
});
