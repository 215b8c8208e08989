import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedCatalog, startTestApi, type Reply, type TestApi } from './support/test-api.js';
import { requireRedis } from '@evalq/testing';

// Every test here goes through Redis (skipped with the reason where none answers).
requireRedis();

// Random bodies thrown at every write route: the API may refuse them (4xx, in the
// error shape) or accept them, but never answers 5xx, and a refused request changes
// nothing at all.

const RUNS = Number(process.env.PROPERTY_RUNS ?? 40);

let api: TestApi;
let ids: {
  dataset_id: number;
  model_id: number;
  prompt_id: number;
  bound_prompt_id: number;
  run_id: string;
};

beforeAll(async () => {
  api = await startTestApi({ config: { bodyLimitBytes: 64 * 1024, importLimitBytes: 64 * 1024 } });
  const seeded = await seedCatalog(api, 3);
  const bound = await api.post('/v1/prompts', { text: 'bound', model_id: seeded.model_id });
  const run = await api.post('/v1/runs', {
    dataset_id: seeded.dataset_id,
    model_ids: [seeded.model_id],
    prompt_ids: [seeded.prompt_id],
  });
  ids = { ...seeded, bound_prompt_id: bound.body.prompt_id, run_id: run.body.id };
  await api.post('/v1/prompts', { name: 'named', text: 'v1 {{content}}', labels: ['production'] });
});
afterAll(async () => {
  await api?.close();
});

/** Everything a refused request must leave as it was. */
async function snapshot(): Promise<string> {
  const [state] = await api.t.query(`
    SELECT
      (SELECT md5(coalesce(string_agg(d::text, '|' ORDER BY dataset_id), '')) FROM datasets d) AS datasets,
      (SELECT md5(coalesce(string_agg(m::text, '|' ORDER BY model_id), '')) FROM models m) AS models,
      (SELECT md5(coalesce(string_agg(p::text, '|' ORDER BY prompt_id), '')) FROM prompts p) AS prompts,
      (SELECT md5(coalesce(string_agg(j::text, '|' ORDER BY model_id, prompt_id, dataset_id), '')) FROM modelpromptstatus j) AS jobs,
      (SELECT count(*) FROM rows) AS rows,
      (SELECT count(*) FROM predictionstatus) AS status_rows,
      (SELECT count(*) FROM predictions) AS predictions,
      (SELECT md5(coalesce(string_agg(r::text, '|' ORDER BY id), '')) FROM runs r) AS runs,
      (SELECT count(*) FROM run_jobs) AS run_jobs,
      (SELECT md5(coalesce(string_agg(n::text, '|' ORDER BY name), '')) FROM prompt_names n) AS prompt_names,
      (SELECT md5(coalesce(string_agg(l::text, '|' ORDER BY token_hash), '')) FROM run_share_links l) AS share_links`);
  return JSON.stringify(state);
}

async function expectSafe(send: () => Promise<Reply>): Promise<void> {
  const before = await snapshot();
  const reply = await send();
  expect(reply.status, reply.text).toBeLessThan(500);
  if (reply.status >= 400) {
    expect(reply.body?.error?.code, reply.text).toEqual(expect.any(String));
    expect(reply.body.error.message).toEqual(expect.any(String));
    expect(await snapshot(), `${reply.status} ${reply.text}`).toBe(before);
  }
}

const tricky = fc.constantFrom(
  '\u0000',
  '\ud800',
  '\udfff',
  '"',
  ',',
  '\n',
  '\r',
  '\\',
  '\t',
  '{',
  ']',
  '🙂',
  'é',
  ' ',
);
const nastyString = fc.string({
  unit: fc.oneof(tricky, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })),
  maxLength: 40,
});
const scalar = fc.oneof(
  nastyString,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map((n) => Number(n)),
);
const value = fc.oneof(
  { weight: 4, arbitrary: scalar },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.dictionary(nastyString, scalar, { maxKeys: 3 }) },
);
const someId = () =>
  fc.oneof(
    fc.constantFrom(ids.dataset_id, ids.model_id, ids.prompt_id, ids.bound_prompt_id),
    fc.integer({ min: -3, max: 3_000_000_000 }),
    scalar,
  );
const body = <T extends Record<string, fc.Arbitrary<unknown>>>(fields: T) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.record(fields, { requiredKeys: [] }) },
    { weight: 1, arbitrary: fc.anything() },
  );
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/** An id as it would appear in a path, malformed percent-encodings included. */
const pathId = () =>
  fc.oneof(
    {
      weight: 5,
      arbitrary: someId().map((id) =>
        encodeURIComponent(String(id).replace(LONE_SURROGATE, '\uFFFD')),
      ),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom('%ED%A0%80', '%', '%zz', '1%00', '..', '1.5', '-1', '0x10'),
    },
  );

describe('every write route, random input', () => {
  it('POST /v1/datasets', async () => {
    await fc.assert(
      fc.asyncProperty(body({ name: value, description: value, extra: value }), async (b) =>
        expectSafe(() => api.post('/v1/datasets', b)),
      ),
      { numRuns: RUNS },
    );
  });

  it('POST /v1/datasets/:id/rows as JSON', async () => {
    const row = fc.oneof(
      fc.record(
        {
          content: value,
          expected_prediction: value,
          input: fc.oneof(fc.dictionary(nastyString, value, { maxKeys: 3 }), value),
          id: value,
        },
        { requiredKeys: [] },
      ),
      value,
    );
    await fc.assert(
      fc.asyncProperty(
        pathId(),
        fc.oneof(fc.array(row, { maxLength: 6 }), value),
        async (id, rows) => expectSafe(() => api.post(`/v1/datasets/${id}/rows`, rows)),
      ),
      { numRuns: RUNS },
    );
  });

  it('POST /v1/datasets/:id/rows as CSV, NDJSON and other types', async () => {
    const lines = fc.array(
      fc.oneof(
        nastyString,
        fc.tuple(nastyString, nastyString).map(([a, b]) => `"${a.replace(/"/g, '""')}",${b}`),
        value.map((v) => JSON.stringify(v) ?? ''),
      ),
      { maxLength: 8 },
    );
    const header = fc.constantFrom(
      'content,expected_prediction\n',
      'expected_prediction,content\n',
      'content,expected_prediction,meta.lang,q\n',
      'expected_prediction,a.b,a.c\n',
      '',
      'a,b\n',
    );
    const contentType = fc.constantFrom(
      'text/csv',
      'application/x-ndjson',
      'application/json',
      'text/plain',
      'application/octet-stream',
      'text/csv; charset=latin1',
    );
    await fc.assert(
      fc.asyncProperty(
        contentType,
        header,
        lines,
        fc.boolean(),
        async (type, head, rows, validId) => {
          const id = validId ? ids.dataset_id : 999_999;
          await expectSafe(() =>
            api.request('POST', `/v1/datasets/${id}/rows`, {
              raw: head + rows.join('\n'),
              contentType: type,
            }),
          );
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('POST /v1/models and PATCH /v1/models/:id', async () => {
    const config = fc.oneof(
      fc.record(
        {
          base_url: fc.oneof(value, fc.webUrl({ withQueryParameters: true })),
          api_key_env: fc.oneof(
            value,
            fc.constantFrom('OPENAI_API_KEY', 'sk-abc123', 'x'.repeat(200)),
          ),
          temperature: value,
          max_tokens: value,
          timeout_ms: value,
          max_retries: value,
          max_concurrency: value,
          requests_per_minute: value,
          api_key: value,
        },
        { requiredKeys: [] },
      ),
      value,
    );
    const model = body({
      name: value,
      source: fc.oneof(value, fc.constantFrom('mock', 'openai', 'ollama')),
      library: fc.oneof(value, fc.constantFrom('mock', 'openai', 'unknown')),
      description: value,
      config,
    });
    await fc.assert(
      fc.asyncProperty(model, async (b) => expectSafe(() => api.post('/v1/models', b))),
      { numRuns: RUNS },
    );
    await fc.assert(
      fc.asyncProperty(pathId(), model, async (id, b) =>
        expectSafe(() => api.request('PATCH', `/v1/models/${id}`, { body: b })),
      ),
      { numRuns: RUNS },
    );
  });

  it('POST /v1/prompts', async () => {
    const template = fc.oneof(value, fc.constantFrom('{{content}}', '{{ a.b }}', '{{', '{{}}'));
    const message = fc.oneof(
      fc.record({ role: fc.oneof(fc.constantFrom('system', 'user'), value), content: template }),
      value,
    );
    const fields = {
      text: template,
      messages: fc.oneof(fc.array(message, { maxLength: 3 }), value),
      type: fc.oneof(fc.constantFrom('text', 'chat'), value),
      name: fc.oneof(fc.constantFrom('named', 'other'), value),
      labels: fc.oneof(fc.array(fc.oneof(fc.constant('production'), nastyString)), value),
      commit_message: value,
      model_defaults: fc.oneof(
        fc.record({ temperature: value, max_tokens: value }, { requiredKeys: [] }),
        value,
      ),
      model_id: someId(),
    };
    await fc.assert(
      fc.asyncProperty(body(fields), async (b) => expectSafe(() => api.post('/v1/prompts', b))),
      { numRuns: RUNS },
    );
  });

  it('POST /v1/prompts/:id/labels', async () => {
    const labels = fc.oneof(fc.array(fc.oneof(fc.constant('production'), nastyString)), value);
    await fc.assert(
      fc.asyncProperty(pathId(), body({ add: labels, remove: labels }), async (id, b) =>
        expectSafe(() => api.post(`/v1/prompts/${id}/labels`, b)),
      ),
      { numRuns: RUNS },
    );
  });

  it('POST /v1/runs and its share links', async () => {
    const idList = fc.oneof(fc.array(someId(), { maxLength: 3 }), value);
    const runBody = body({
      name: value,
      dataset_id: someId(),
      model_ids: idList,
      prompt_ids: idList,
      assertions: fc.oneof(fc.array(fc.oneof(fc.record({ type: value }), value)), value),
      threshold: value,
      budget: value,
      cache: value,
    });
    const runId = fc.oneof(fc.constant(ids.run_id), fc.uuid(), pathId());
    const route = fc.oneof(
      runBody.map((b) => ['POST', '/v1/runs', b] as const),
      fc
        .tuple(runId, body({ expires_in_s: value }))
        .map(([id, b]) => ['POST', `/v1/runs/${id}/share`, b] as const),
      runId.map((id) => ['DELETE', `/v1/runs/${id}/share`, undefined] as const),
    );
    await fc.assert(
      fc.asyncProperty(route, async ([method, path, b]) =>
        expectSafe(() => api.request(method, path, b === undefined ? {} : { body: b })),
      ),
      { numRuns: RUNS * 2 },
    );
  });

  it('POST /v1/jobs', async () => {
    const idList = fc.oneof(fc.array(someId(), { maxLength: 4 }), value);
    await fc.assert(
      fc.asyncProperty(
        body({ dataset_id: someId(), model_ids: idList, prompt_ids: idList }),
        async (b) => expectSafe(() => api.post('/v1/jobs', b)),
      ),
      { numRuns: RUNS },
    );
  });

  it('DELETE routes and retry-failed', async () => {
    const route = fc.oneof(
      pathId().map((id) => ['DELETE', `/v1/datasets/${id}`] as const),
      pathId().map((id) => ['DELETE', `/v1/models/${id}`] as const),
      pathId().map((id) => ['DELETE', `/v1/prompts/${id}`] as const),
      fc.oneof(fc.uuid(), pathId()).map((id) => ['DELETE', `/v1/runs/${id}`] as const),
      fc
        .tuple(pathId(), pathId(), pathId())
        .map(([m, p, d]) => ['DELETE', `/v1/jobs/${m}/${p}/${d}`] as const),
      fc
        .tuple(pathId(), pathId(), pathId())
        .map(([m, p, d]) => ['POST', `/v1/jobs/${m}/${p}/${d}/retry-failed`] as const),
    );
    await fc.assert(
      fc.asyncProperty(route, value, async ([method, path], b) =>
        expectSafe(() => api.request(method, path, method === 'POST' ? { body: b } : {})),
      ),
      { numRuns: RUNS * 2 },
    );
  });
});
