import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@evalq/core';
import { isProcessAlive } from '@evalq/testing';
import { runEvalq } from './support/run-evalq.js';

// `evalq serve` (npm start) as a person runs it, DATABASE_URL and REDIS_URL unset: the
// API, its dashboard and two workers in one process on an embedded PostgreSQL in
// EVALQ_HOME, queue-less (wake-ups and limits through PostgreSQL).

let home: string;
let port: number;
beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'evalq-serve-'));
  await chmod(home, 0o755); // the embedded server may run as nobody
  port = await freePort();
});
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

function serve() {
  return runEvalq(
    ['serve', '--workers', '2'],
    {
      HOME: process.env.HOME ?? '',
      EVALQ_HOME: join(home, '.evalq'),
      PORT: String(port),
      SHUTDOWN_GRACE_SECONDS: '5',
    },
    90_000,
  );
}

async function until<T>(
  what: string,
  read: () => Promise<T | undefined>,
  context: () => string = () => '',
): Promise<T> {
  const deadline = Date.now() + 45_000;
  for (;;) {
    const value = await read().catch((error: unknown) => {
      if (error instanceof Error && error.message.startsWith('evalq serve ended')) throw error;
      return undefined;
    });
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${context()}`);
    await sleep(100);
  }
}

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok)
    throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

async function serverPid(): Promise<number> {
  const pidFile = await readFile(join(home, '.evalq', 'postgres-18', 'postmaster.pid'), 'utf8');
  return Number(pidFile.split('\n')[0]);
}

describe('evalq serve', () => {
  it('evaluates with its own workers, stops cleanly on SIGTERM, and keeps its data across a restart', async () => {
    const first = serve();
    let exited: string | undefined;
    first.then(
      (run) => (exited = `exit ${run.code}:\n${run.stdout}\n${run.stderr}`),
      (error: Error) => (exited = error.message),
    );
    // What serve said, without the API's request lines: the story of a run that went wrong.
    const story = () =>
      `; evalq serve said:\n${first
        .output()
        .filter((line) => !line.includes('"req"') && !line.includes('"res"'))
        .join('\n')}`;
    await until(
      'serve and both its workers to be ready',
      () => {
        // A serve that ended (a port taken meanwhile, say) is a failure to report, not to wait out.
        if (exited) throw new Error(`evalq serve ended before it was ready (${exited})`);
        const lines = first.output();
        // The workers log through an asynchronous logger: their lines may follow serve's own.
        const ready =
          lines.some((line) => line.startsWith('evalq serve:')) &&
          lines.filter((line) => line.includes('"worker ready"')).length === 2;
        return Promise.resolve(ready || undefined);
      },
      story,
    );
    expect(first.output().join('\n')).toContain('embedded PostgreSQL');
    expect(first.output().join('\n')).toContain('queue-less (no Redis)');
    const ready = await api<{ postgres: { ok: boolean }; redis?: unknown }>('GET', '/readyz');
    expect(ready).toEqual({ status: 'ready', postgres: { ok: true } });

    const dataset = await api<{ dataset_id: number }>('POST', '/v1/datasets', { name: 'kept' });
    const rows = Array.from({ length: 30 }, (_, i) => ({
      content: `${i} + 1 = ?`,
      expected_prediction: String(i + 1),
    }));
    await api('POST', `/v1/datasets/${dataset.dataset_id}/rows`, rows);
    const model = await api<{ model_id: number }>('POST', '/v1/models', {
      name: 'mock-serve',
      source: 'mock',
    });
    const prompt = await api<{ prompt_id: number }>('POST', '/v1/prompts', { text: '{{content}}' });
    await api('POST', '/v1/jobs', {
      dataset_id: dataset.dataset_id,
      model_ids: [model.model_id],
      prompt_ids: [prompt.prompt_id],
    });
    const job = `/v1/jobs/${model.model_id}/${prompt.prompt_id}/${dataset.dataset_id}`;
    const done = await until(
      'the job to finish',
      async () => {
        const progress = await api<{ status: string; done: number }>('GET', job);
        return progress.status === 'done' ? progress : undefined;
      },
      story,
    );
    expect(done.done).toBe(30);

    const pid = await serverPid();
    first.kill(); // SIGTERM
    expect((await first).code).toBe(0);
    expect(isProcessAlive(pid)).toBe(false);
    expect(first.output().join('\n')).toContain('"worker stopped"');

    const second = serve();
    await until('the API again', () => api('GET', '/readyz'));
    expect(second.output().join('\n')).not.toContain('created now');
    const kept = await api<{ status: string; done: number }>('GET', job);
    expect(kept).toMatchObject({ status: 'done', done: 30 });
    const predictions = await api<{ items: unknown[] }>(
      'GET',
      `/v1/predictions?dataset_id=${dataset.dataset_id}&limit=100`,
    );
    expect(predictions.items).toHaveLength(30);
    second.kill();
    expect((await second).code).toBe(0);
  }, 180_000);

  it('stops everything, the embedded PostgreSQL included, when told to stop while its workers are still starting', async () => {
    const run = serve();
    // The API listens before the workers start: the signal lands in the middle of start-up.
    await until('the API to listen', () =>
      Promise.resolve(run.output().some((line) => line.includes('Server listening')) || undefined),
    );
    const pid = await serverPid();
    run.kill(); // SIGTERM
    const ended = await run;
    expect(ended.code, ended.stdout + ended.stderr).toBe(0);
    expect(isProcessAlive(pid)).toBe(false);
    expect(ended.stdout).toContain('"stopped"');
  }, 120_000);
});
