import { afterAll, beforeAll, expect } from 'vitest';
import type { JobKey } from '@evalq/core';
import { createJobQueue, enqueueJob } from '@evalq/queue';
import {
  createTestDatabase,
  deleteKeysWithPrefix,
  killAll,
  requireRedis,
  startWorkerProcess,
  TEST_REDIS_URL,
  uniqueQueuePrefix,
  type FakeModelServer,
  type TestDatabase,
  type WorkerProcess,
} from '@evalq/testing';

/** Shared set-up for the worker's tests: datasets, models, jobs, and what to assert on them. */

export interface ModelSpec {
  name?: string;
  source?: string;
  library?: string;
  config?: Record<string, unknown>;
}

export async function createDataset(
  t: TestDatabase,
  rows: number,
  content: (i: number) => string = (i) => `What is ${i} + ${i}?`,
  expected: (i: number) => string = (i) => String(2 * i),
): Promise<number> {
  const [dataset] = await t.query<{ dataset_id: number }>(
    `INSERT INTO datasets (name) VALUES ('worker test') RETURNING dataset_id`,
  );
  const ids = Array.from({ length: rows }, (_, i) => i + 1);
  await t.query(
    `INSERT INTO rows (dataset_id, content, expected_prediction)
     SELECT $1, c, e FROM unnest($2::text[], $3::text[]) AS u(c, e)`,
    [dataset!.dataset_id, ids.map(content), ids.map(expected)],
  );
  return dataset!.dataset_id;
}

export async function createModel(t: TestDatabase, spec: ModelSpec = {}): Promise<number> {
  const [model] = await t.query<{ model_id: number }>(
    `INSERT INTO models (name, source, library, config) VALUES ($1, $2, $3, $4) RETURNING model_id`,
    [
      spec.name ?? 'fake-model',
      spec.source ?? 'openai',
      spec.library ?? 'unknown',
      JSON.stringify(spec.config ?? {}),
    ],
  );
  return model!.model_id;
}

export async function createPrompt(
  t: TestDatabase,
  text = 'Answer with the number only. {{content}}',
): Promise<number> {
  const [prompt] = await t.query<{ prompt_id: number }>(
    `INSERT INTO prompts (text) VALUES ($1) RETURNING prompt_id`,
    [text],
  );
  return prompt!.prompt_id;
}

/**
 * A job's parts: a model served at `baseUrl` (with `model`'s name and config on top), a
 * prompt (the default text, or `prompt_id`), and a dataset of `rows` rows unless
 * `dataset_id` names one. Not launched yet.
 */
export async function createJob(
  t: TestDatabase,
  baseUrl: string,
  rows: number,
  options: { model?: ModelSpec; prompt_id?: number; dataset_id?: number } = {},
): Promise<JobKey> {
  const { model = {}, prompt_id, dataset_id } = options;
  return {
    model_id: await createModel(t, { ...model, config: { base_url: baseUrl, ...model.config } }),
    prompt_id: prompt_id ?? (await createPrompt(t)),
    dataset_id: dataset_id ?? (await createDataset(t, rows)),
  };
}

/**
 * Launches a job the way the API does: insert it (the trigger seeds its rows) with its
 * assertions (default: equals), then enqueue it.
 */
export async function launchJob(
  t: TestDatabase,
  key: JobKey,
  prefix: string | undefined,
  grading: { assertions?: object[]; threshold?: number } = {},
): Promise<void> {
  await t.query(
    `INSERT INTO modelpromptstatus (model_id, prompt_id, dataset_id, status, assertions, threshold)
     VALUES ($1, $2, $3, 'pending', $4, $5)`,
    [
      key.model_id,
      key.prompt_id,
      key.dataset_id,
      JSON.stringify(grading.assertions ?? [{ type: 'equals' }]),
      grading.threshold ?? null,
    ],
  );
  if (prefix === undefined) return;
  const queue = createJobQueue({ url: TEST_REDIS_URL }, prefix);
  try {
    await enqueueJob(queue, key);
  } finally {
    await queue.close();
  }
}

export interface JobState {
  status: string;
  count: number;
  total: number;
  failed: number;
  correct: number;
  ungraded: number;
  regrade_remaining: number;
}

export async function jobState(t: TestDatabase, key: JobKey): Promise<JobState> {
  const [row] = await t.query<JobState>(
    `SELECT status, count, total, failed, correct, ungraded, regrade_remaining FROM modelpromptstatus
     WHERE model_id = $1 AND prompt_id = $2 AND dataset_id = $3`,
    [key.model_id, key.prompt_id, key.dataset_id],
  );
  if (!row) throw new Error(`job ${JSON.stringify(key)} not found`);
  return row;
}

/**
 * Polls until `check` returns true; fails with `describe()` after `timeoutMs`. A check
 * that throws counts as "not yet" (the test's own connections may be the ones killed).
 */
export async function waitFor(
  check: () => Promise<boolean> | boolean,
  options: {
    timeoutMs?: number;
    intervalMs?: number;
    describe?: () => string | Promise<string>;
  } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const detail = options.describe
        ? await Promise.resolve().then(options.describe).catch(String)
        : '';
      throw new Error(
        `condition not met within ${options.timeoutMs ?? 30_000} ms ${detail}` +
          (lastError === undefined
            ? ''
            : `\nlast error: ${lastError instanceof Error ? lastError.message : JSON.stringify(lastError)}`),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}

export async function waitForJobDone(
  t: TestDatabase,
  key: JobKey,
  timeoutMs = 30_000,
  describe?: () => string,
): Promise<JobState> {
  await waitFor(async () => (await jobState(t, key)).status === 'done', {
    timeoutMs,
    describe: async () =>
      `job state ${JSON.stringify(await jobState(t, key).catch(String))}\n${describe?.() ?? ''}`,
  });
  return jobState(t, key);
}

/**
 * The exactly-once guarantee for one job: every row has exactly one prediction, every
 * status row is done, and the counters agree.
 */
export async function expectExactlyOnce(t: TestDatabase, key: JobKey, rows: number): Promise<void> {
  const [check] = await t.query<{
    predictions: number;
    distinct_rows: number;
    done: number;
    not_done: number;
    missing: number;
  }>(
    `SELECT
       (SELECT count(*)::int FROM predictions p WHERE p.model_id = $1 AND p.prompt_id = $2 AND p.dataset_id = $3) AS predictions,
       (SELECT count(DISTINCT p.row_id)::int FROM predictions p WHERE p.model_id = $1 AND p.prompt_id = $2 AND p.dataset_id = $3) AS distinct_rows,
       (SELECT count(*)::int FROM predictionstatus s WHERE s.model_id = $1 AND s.prompt_id = $2 AND s.dataset_id = $3 AND s.status = 'done') AS done,
       (SELECT count(*)::int FROM predictionstatus s WHERE s.model_id = $1 AND s.prompt_id = $2 AND s.dataset_id = $3 AND s.status <> 'done') AS not_done,
       (SELECT count(*)::int FROM rows r WHERE r.dataset_id = $3 AND NOT EXISTS (
          SELECT 1 FROM predictions p WHERE p.row_id = r.row_id AND p.model_id = $1 AND p.prompt_id = $2)) AS missing`,
    [key.model_id, key.prompt_id, key.dataset_id],
  );
  expect(check).toEqual({
    predictions: rows,
    distinct_rows: rows,
    done: rows,
    not_done: 0,
    missing: 0,
  });
  expect(await jobState(t, key)).toMatchObject({ status: 'done', count: rows, total: rows });
}

/**
 * How workers learn of jobs and share limits: through Redis (BullMQ), or through
 * PostgreSQL alone (queue-less, REDIS_URL=none). The main flows run in both.
 */
export type QueueMode = 'redis' | 'postgres';
export const QUEUE_MODES: readonly QueueMode[] = ['redis', 'postgres'];

/** The environment of a worker child process for one test file. */
export function workerEnv(
  t: TestDatabase,
  prefix: string,
  extra: Record<string, string | number> = {},
  queue: QueueMode = 'redis',
): Record<string, string> {
  const env: Record<string, string> = {
    DATABASE_URL: t.url,
    REDIS_URL: queue === 'redis' ? TEST_REDIS_URL : 'none',
    QUEUE_PREFIX: prefix,
    WORKER_CONCURRENCY: '8',
    LEASE_SECONDS: '3',
    SHUTDOWN_GRACE_SECONDS: '5',
    RECONCILE_INTERVAL_MS: '1000',
    RETRY_BASE_DELAY_MS: '20',
    RETRY_MAX_DELAY_MS: '200',
    LOG_LEVEL: 'info',
  };
  for (const [name, value] of Object.entries(extra)) env[name] = String(value);
  return env;
}

/**
 * One test file's world, set up before its tests and torn down after them: its own
 * database and Redis prefix, the fake model servers it asks for, and every worker
 * process it starts (killed at the end, whatever the tests did).
 */
export interface WorkerTestBed<S extends Record<string, FakeModelServer>> {
  readonly t: TestDatabase;
  readonly prefix: string;
  readonly queue: QueueMode;
  /** What launchJob takes: the prefix to enqueue on, undefined when there is no queue. */
  readonly queuePrefix: string | undefined;
  readonly servers: S;
  readonly workers: WorkerProcess[];
  /** Starts a worker process (WORKER_ID = label) on this file's database and prefix (see workerEnv). */
  startWorker(label: string, extra?: Record<string, string | number>): Promise<WorkerProcess>;
}

export function useWorkerTestBed<S extends Record<string, FakeModelServer>>(
  label: string,
  startServers: () => Promise<S>,
  queue: QueueMode = 'redis',
): WorkerTestBed<S> {
  if (queue === 'redis') requireRedis();
  let t: TestDatabase | undefined;
  let servers: S | undefined;
  const prefix = uniqueQueuePrefix(label);
  const workers: WorkerProcess[] = [];
  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined)
      throw new Error(`${what} is set up in beforeAll; use it inside a test`);
    return value;
  };

  beforeAll(async () => {
    t = await createTestDatabase();
    servers = await startServers();
  });
  afterAll(async () => {
    await killAll(workers);
    await Promise.all(Object.values(servers ?? {}).map((server) => server.close()));
    await t?.drop();
    await deleteKeysWithPrefix(prefix);
  });

  return {
    get t() {
      return ready(t, 'the test database');
    },
    get servers() {
      return ready(servers, 'the fake model servers');
    },
    prefix,
    queue,
    queuePrefix: queue === 'redis' ? prefix : undefined,
    workers,
    async startWorker(workerLabel, extra = {}) {
      const worker = await startWorkerProcess({
        label: workerLabel,
        env: workerEnv(
          ready(t, 'the test database'),
          prefix,
          { WORKER_ID: workerLabel, ...extra },
          queue,
        ),
      });
      workers.push(worker);
      return worker;
    },
  };
}
