import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startFakeOpenAIServer, startWorkerProcess } from '@evalq/testing';
import {
  createJob,
  expectExactlyOnce,
  jobState,
  launchJob,
  useWorkerTestBed,
  waitFor,
  waitForJobDone,
  workerEnv,
} from './support.js';

// Stopping a worker: SIGTERM lets calls in flight finish (within the grace), stores
// their results, hands every other claim back to pending and exits 0; a second signal
// exits at once. And what an operator's probes see on METRICS_PORT.

const bed = useWorkerTestBed('shutdown', async () => ({
  server: await startFakeOpenAIServer({ respond: () => 'ok' }),
}));

const newJob = (rows: number) => createJob(bed.t, bed.servers.server.url, rows);

async function rowStatuses(model_id: number): Promise<Record<string, number>> {
  const rows = await bed.t.query<{ status: string; n: number }>(
    'SELECT status, count(*)::int AS n FROM predictionstatus WHERE model_id = $1 GROUP BY status',
    [model_id],
  );
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('METRICS_PORT', () => {
  it('serves /healthz, /readyz and Prometheus /metrics with the worker counters', async () => {
    bed.servers.server.configure({ latencyMs: 1 });
    const port = await freePort();
    const worker = await bed.startWorker('observed', { METRICS_PORT: port });
    const key = await newJob(30);
    await launchJob(bed.t, key, bed.prefix);
    await waitForJobDone(bed.t, key, 30_000);

    const base = `http://127.0.0.1:${port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, checks: { postgres: 'ok', redis: 'ok' } });
    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await metrics.text();
    expect(text).toMatch(
      new RegExp(
        `evalq_worker_provider_calls_total\\{model_id="${key.model_id}",outcome="success"\\} 30`,
      ),
    );
    const value = (pattern: RegExp): number => Number(pattern.exec(text)?.[1] ?? Number.NaN);
    expect(value(/^evalq_worker_rows_claimed_total (\d+)$/m)).toBe(30);
    expect(value(/^evalq_worker_rows_finished_total\{status="success"\} (\d+)$/m)).toBe(30);
    expect(text).toContain('evalq_worker_provider_call_duration_seconds_bucket');
    expect(text).toContain('evalq_worker_calls_in_flight 0');
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect(await worker.stop()).toEqual({ code: 0, signal: null });
  });
});

describe('SIGTERM', () => {
  it('finishes the calls in flight, hands the rest back, leaves no row in_progress and exits 0', async () => {
    bed.servers.server.configure({ latencyMs: 300 });
    const rows = 200;
    const key = await newJob(rows);
    const worker = await bed.startWorker('graceful', {
      WORKER_CONCURRENCY: 8,
      SHUTDOWN_GRACE_SECONDS: 10,
    });
    await launchJob(bed.t, key, bed.prefix);
    await waitFor(async () => (await jobState(bed.t, key)).count >= 8, {
      timeoutMs: 20_000,
      intervalMs: 10,
    });
    const inFlight = bed.servers.server.inFlight;
    expect(inFlight).toBeGreaterThan(0);
    const storedBefore = (await jobState(bed.t, key)).count;

    expect(await worker.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    const statuses = await rowStatuses(key.model_id);
    expect(statuses.in_progress).toBeUndefined();
    // The calls that were in flight were allowed to finish, and their results stored.
    const storedAfter = (await jobState(bed.t, key)).count;
    expect(storedAfter).toBeGreaterThanOrEqual(storedBefore + inFlight);
    expect(statuses.done).toBe(storedAfter);
    expect(statuses.pending).toBe(rows - storedAfter);
    const stopped = worker.logs.find((r) => r.msg === 'worker stopped');
    expect(stopped).toMatchObject({ releasedToPending: expect.any(Number) });

    // Another worker picks the rest up from where it was left.
    bed.servers.server.configure({ latencyMs: 2 });
    const next = await bed.startWorker('successor');
    await waitForJobDone(bed.t, key, 30_000, () => next.describe());
    await expectExactlyOnce(bed.t, key, rows);
    expect(await next.stop()).toEqual({ code: 0, signal: null });
  });

  it('abandons calls still running when the grace is over, handing their rows back', async () => {
    bed.servers.server.configure({ latencyMs: 20_000 });
    const rows = 20;
    const key = await newJob(rows);
    const worker = await bed.startWorker('impatient', { SHUTDOWN_GRACE_SECONDS: 1 });
    await launchJob(bed.t, key, bed.prefix);
    await waitFor(() => bed.servers.server.inFlight >= 8, { timeoutMs: 20_000, intervalMs: 10 });
    const signalled = Date.now();
    expect(await worker.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalled).toBeLessThan(8_000);
    expect(await rowStatuses(key.model_id)).toEqual({ pending: rows });
    expect(worker.logs.some((r) => String(r.msg).startsWith('shutdown grace over'))).toBe(true);
  });

  it('exits at once on a second signal', async () => {
    bed.servers.server.configure({ latencyMs: 20_000 });
    const key = await newJob(10);
    const worker = await bed.startWorker('forced', { SHUTDOWN_GRACE_SECONDS: 60 });
    await launchJob(bed.t, key, bed.prefix);
    await waitFor(() => bed.servers.server.inFlight >= 8, { timeoutMs: 20_000, intervalMs: 10 });
    const signalled = Date.now();
    process.kill(worker.pid, 'SIGTERM');
    await worker.waitForLog(
      (r) => r.msg === 'worker stopping: no more claims; letting calls in flight finish',
    );
    expect(await worker.stop('SIGINT')).toEqual({ code: 1, signal: null });
    expect(Date.now() - signalled).toBeLessThan(5_000);
  });
});

describe('evalq worker', () => {
  it('runs the same worker from the CLI (what npm run worker starts) and stops it on SIGTERM', async () => {
    bed.servers.server.configure({ latencyMs: 1 });
    const worker = await startWorkerProcess({
      label: 'cli',
      script: fileURLToPath(new URL('../../cli/dist/main.js', import.meta.url)),
      args: ['worker'],
      env: workerEnv(bed.t, bed.prefix, { WORKER_ID: 'cli-worker' }),
    });
    bed.workers.push(worker);
    const key = await newJob(25);
    await launchJob(bed.t, key, bed.prefix);
    await waitForJobDone(bed.t, key, 30_000, () => worker.describe());
    await expectExactlyOnce(bed.t, key, 25);
    expect(await worker.stop()).toEqual({ code: 0, signal: null });
    expect(worker.logs.at(-1)).toMatchObject({ msg: 'worker stopped', workerId: 'cli-worker' });
  });

  it('refuses to start with a bad variable, naming it', async () => {
    await expect(
      startWorkerProcess({
        label: 'misconfigured',
        env: workerEnv(bed.t, bed.prefix, { WORKER_CONCURRENCY: 'lots', LEASE_SECONDS: 0 }),
        readyTimeoutMs: 10_000,
      }),
    ).rejects.toThrow(/WORKER_CONCURRENCY: must be a whole number[\s\S]*LEASE_SECONDS/);
  });

  it('stops with a clear message when METRICS_PORT is taken', async () => {
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '0.0.0.0', resolve));
    const { port } = squatter.address() as { port: number };
    try {
      await expect(
        startWorkerProcess({
          label: 'port-taken',
          env: workerEnv(bed.t, bed.prefix, { METRICS_PORT: port }),
          readyTimeoutMs: 10_000,
        }),
      ).rejects.toThrow(new RegExp(`METRICS_PORT: cannot serve metrics on port ${port}`));
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });
});
