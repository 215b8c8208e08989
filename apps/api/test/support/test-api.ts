import type { AddressInfo } from 'node:net';
import { createLogger, type JobKey } from '@evalq/core';
import { createJobQueue, createRedisConnection } from '@evalq/queue';
import {
  createTestDatabase,
  deleteKeysWithPrefix,
  TEST_REDIS_URL,
  uniqueQueuePrefix,
  type TestDatabase,
} from '@evalq/testing';
import { createApiServer, type ApiConfig, type ApiServer } from '@evalq/api';

export interface Reply<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface RequestOptions {
  body?: unknown;
  /** Sent as is (with `contentType`), instead of JSON. */
  raw?: string | Buffer | ReadableStream;
  contentType?: string;
  headers?: Record<string, string>;
  /** Overrides the harness token; `null` sends no Authorization header. */
  token?: string | null;
}

export interface TestApi {
  url: string;
  t: TestDatabase;
  prefix: string;
  server: ApiServer;
  queue: ReturnType<typeof createJobQueue>;
  request<T = any>(method: string, path: string, options?: RequestOptions): Promise<Reply<T>>;
  get<T = any>(path: string, options?: RequestOptions): Promise<Reply<T>>;
  post<T = any>(path: string, body?: unknown, options?: RequestOptions): Promise<Reply<T>>;
  close(): Promise<void>;
}

export interface TestApiOptions {
  config?: Partial<ApiConfig>;
  /** Point the API at another Redis (e.g. one that is down). */
  redisUrl?: string;
}

/**
 * The API over real HTTP on an ephemeral port, with its own database (cloned from the
 * migrated template) and its own Redis key prefix, as a test file needs it.
 */
export async function startTestApi(options: TestApiOptions = {}): Promise<TestApi> {
  const t = await createTestDatabase();
  const prefix = uniqueQueuePrefix('api');
  const logger = createLogger({
    level: (process.env.TEST_LOG_LEVEL as 'silent') ?? 'silent',
    name: 'api-test',
  });
  const redis = createRedisConnection({
    url: options.redisUrl ?? TEST_REDIS_URL,
    connectionName: 'evalq-api-test',
    maxRetriesPerRequest: 1,
  });
  const queue = createJobQueue(redis, prefix);
  queue.on('error', () => undefined);
  const server = await createApiServer({
    pool: t.pool,
    redis,
    queue,
    logger,
    config: {
      enqueueTimeoutMs: 500,
      eventsPollIntervalMs: 100,
      shutdownGraceMs: 1000,
      ...options.config,
    },
  });
  await server.listen({ port: 0, host: '127.0.0.1' });
  const { port } = server.server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const token = options.config?.apiToken;

  const request = async <T>(method: string, path: string, opts: RequestOptions = {}) => {
    const headers: Record<string, string> = { ...opts.headers };
    const bearer = opts.token === undefined ? token : opts.token;
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    let body: string | Buffer | ReadableStream | undefined;
    if (opts.raw !== undefined) {
      body = opts.raw;
      if (opts.contentType) headers['content-type'] = opts.contentType;
    } else if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] = opts.contentType ?? 'application/json';
    }
    const response = await fetch(`${url}${path}`, {
      method,
      headers,
      body,
      ...(body instanceof ReadableStream && { duplex: 'half' }),
    });
    const text = await response.text();
    let parsed: unknown = text;
    if ((response.headers.get('content-type') ?? '').includes('application/json') && text) {
      parsed = JSON.parse(text);
    }
    return { status: response.status, headers: response.headers, body: parsed as T, text };
  };

  let closed = false;
  return {
    url,
    t,
    prefix,
    server,
    queue,
    request,
    get: (path, opts) => request('GET', path, opts),
    post: (path, body, opts) => request('POST', path, { ...opts, body }),
    async close() {
      if (closed) return;
      closed = true;
      await server.close();
      await queue.close().catch(() => undefined);
      redis.disconnect();
      await deleteKeysWithPrefix(prefix).catch(() => undefined);
      await t.drop();
    },
  };
}

/** A dataset with `rows` rows (labels a, b, c in turn), a mock model and an unbound prompt. */
export async function seedCatalog(
  api: TestApi,
  rows: number,
): Promise<{ dataset_id: number; model_id: number; prompt_id: number }> {
  const dataset = await api.post('/v1/datasets', { name: `dataset of ${rows}` });
  const dataset_id = dataset.body.dataset_id as number;
  if (rows > 0) {
    const records = Array.from({ length: rows }, (_, i) => ({
      content: `content ${i + 1}`,
      expected_prediction: ['a', 'b', 'c'][i % 3]!,
    }));
    const imported = await api.post(`/v1/datasets/${dataset_id}/rows`, records);
    if (imported.status !== 201) throw new Error(`import failed: ${imported.text}`);
  }
  const model = await api.post('/v1/models', { name: 'echo', source: 'mock' });
  const prompt = await api.post('/v1/prompts', { text: 'Label: {{content}}' });
  return { dataset_id, model_id: model.body.model_id, prompt_id: prompt.body.prompt_id };
}

export const jobPath = (key: JobKey) =>
  `/v1/jobs/${key.model_id}/${key.prompt_id}/${key.dataset_id}`;

/** Registers an OpenAI-compatible model at a fake server's URL (no retries); its id. */
export async function addFakeOpenAIModel(
  api: TestApi,
  name: string,
  server: { url: string },
): Promise<number> {
  const reply = await api.post('/v1/models', {
    name,
    source: 'openai',
    config: { base_url: server.url, max_retries: 0 },
  });
  if (reply.status !== 201) throw new Error(`model ${name}: ${reply.text}`);
  return reply.body.model_id as number;
}

/** A dataset's row ids in import order. */
export async function rowIdsOf(api: TestApi, datasetId: number): Promise<number[]> {
  const rows = await api.t.query<{ row_id: number }>(
    'SELECT row_id FROM rows WHERE dataset_id = $1 ORDER BY row_id',
    [datasetId],
  );
  return rows.map((row) => row.row_id);
}
