import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@evalq/core';
import { createPool } from '@evalq/db';
import { createJobQueue, createRedisConnection } from '@evalq/queue';
import { TEST_REDIS_URL, TEST_SERVER_URL, uniqueQueuePrefix, requireRedis } from '@evalq/testing';
import { createApiServer, type ApiServer } from '@evalq/api';
import { startTestApi, type TestApi } from './support/test-api.js';

// Every test here goes through Redis (skipped with the reason where none answers).
requireRedis();

// When PostgreSQL goes away the API says so (503, retry later) instead of a 500, and
// it comes back by itself when the database does, without a restart.

describe('with PostgreSQL unreachable', () => {
  let server: ApiServer;
  let url: string;
  const redis = createRedisConnection({
    url: TEST_REDIS_URL,
    connectionName: 'evalq-api-outage-test',
    maxRetriesPerRequest: 1,
  });
  const queue = createJobQueue(redis, uniqueQueuePrefix('outage'));

  beforeAll(async () => {
    const pool = createPool({
      connectionString: 'postgres://postgres@127.0.0.1:1/evalq',
      applicationName: 'evalq-api-test',
      connectionTimeoutMs: 1_000,
    });
    server = await createApiServer({
      pool,
      redis,
      queue,
      logger: createLogger({ level: 'silent', name: 'api-test' }),
      config: { shutdownGraceMs: 500 },
    });
    await server.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await server?.close();
    await queue.close();
    redis.disconnect();
  });

  it('answers 503 with Retry-After on reads and writes, and readiness says why', async () => {
    const read = await fetch(`${url}/v1/jobs`);
    expect(read.status).toBe(503);
    expect(read.headers.get('retry-after')).toBe('5');
    expect(((await read.json()) as { error: { code: string } }).error.code).toBe(
      'SERVICE_UNAVAILABLE',
    );

    const write = await fetch(`${url}/v1/datasets`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x' }),
    });
    expect(write.status).toBe(503);

    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { postgres: { ok: boolean } }).postgres.ok).toBe(false);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });
});

describe('when every connection to the database is killed', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api?.close();
  });

  it('keeps answering without a restart', async () => {
    expect((await api.post('/v1/datasets', { name: 'before' })).status).toBe(201);

    const admin = new pg.Client({ connectionString: TEST_SERVER_URL });
    await admin.connect();
    const killed = await admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1',
      [api.t.name],
    );
    await admin.end();
    expect(killed.rowCount).toBeGreaterThan(0);

    // The pool drops the dead connections and opens new ones; at most one request
    // (one that had already taken a dead connection) may see the outage as a 503.
    const statuses: number[] = [];
    for (let i = 0; i < 5; i += 1) statuses.push((await api.get('/v1/datasets')).status);
    expect(statuses.filter((status) => status !== 200 && status !== 503)).toEqual([]);
    expect(statuses.at(-1)).toBe(200);
    const after = await api.post('/v1/datasets', { name: 'after' });
    expect(after.status).toBe(201);
    expect((await api.get('/v1/datasets')).body.items.map((d: { name: string }) => d.name)).toEqual(
      expect.arrayContaining(['before', 'after']),
    );
  });
});
