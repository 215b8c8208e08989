import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@evalq/core';
import {
  createTestDatabase,
  requireRedis,
  TEST_REDIS_URL,
  uniqueQueuePrefix,
  type TestDatabase,
} from '@evalq/testing';
import { runEvalq } from './support/run-evalq.js';

// Where the API listens: this machine only, unless a token protects it.

describe('an API on a non-loopback address without API_TOKEN', () => {
  it.each([['api'], ['serve']])(
    'evalq %s refuses to start, naming both ways out',
    async (command) => {
      const run = await runEvalq([command], {
        HOST: '0.0.0.0',
        // Never reached: the refusal comes first.
        DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none',
        REDIS_URL: 'redis://127.0.0.1:1',
      });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('HOST=0.0.0.0');
      expect(run.stderr).toContain('Set API_TOKEN');
      expect(run.stderr).toContain('HOST=127.0.0.1');
    },
  );
});

describe('by default', () => {
  requireRedis();
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('listens on 127.0.0.1, and on 0.0.0.0 once a token is set', async () => {
    const port = String(await freePort());
    const env = {
      DATABASE_URL: t.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: uniqueQueuePrefix('api-host'),
      PORT: port,
    };
    for (const [extra, address] of [
      [{}, '127.0.0.1'],
      [{ HOST: '0.0.0.0', API_TOKEN: 'a-token-of-some-length' }, '0.0.0.0'],
    ] as const) {
      const api = runEvalq(['api'], { ...env, ...extra });
      await waitForListening(api);
      expect(await listeningAddresses(Number(port))).toEqual([address]);
      api.kill();
      expect((await api).code).toBe(0);
    }
  });
});

/** The IPv4 addresses the system has a listening socket on for `port` (from /proc/net/tcp). */
async function listeningAddresses(port: number): Promise<string[]> {
  const table = await readFile('/proc/net/tcp', 'utf8');
  const addresses: string[] = [];
  for (const line of table.split('\n').slice(1)) {
    const [, local, , state] = line.trim().split(/\s+/);
    if (state !== '0A' || !local) continue; // 0A: LISTEN
    const [hexAddress, hexPort] = local.split(':');
    if (Number.parseInt(hexPort ?? '', 16) !== port) continue;
    // Little-endian bytes: 0100007F is 127.0.0.1.
    const bytes = (hexAddress ?? '').match(/../g) ?? [];
    addresses.push(
      bytes
        .reverse()
        .map((byte) => Number.parseInt(byte, 16))
        .join('.'),
    );
  }
  return addresses;
}

/** The URL of the API's `API listening` log line. */
async function waitForListening(api: ReturnType<typeof runEvalq>): Promise<string> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const line = api.output().find((record) => record.includes('"API listening"'));
    if (line) return (JSON.parse(line) as { url: string }).url;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no "API listening" line:\n${api.output().join('\n')}`);
}
