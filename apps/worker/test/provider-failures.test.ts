import { beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAIServer } from '@evalq/testing';
import {
  createDataset,
  createModel,
  createPrompt,
  expectExactlyOnce,
  launchJob,
  useWorkerTestBed,
  waitFor,
  waitForJobDone,
} from './support.js';

// What a user sees when the provider misbehaves: transient failures (500s, 429s) are
// retried until every row succeeds; a request the provider rejects (400) fails at
// once, is counted as failed, and the job still finishes.

const bed = useWorkerTestBed('provider-failures', async () => ({
  flaky: await startFakeOpenAIServer({
    latencyMs: 2,
    errorRate: 0.3,
    rateLimitRate: 0.1,
    retryAfterMs: 20,
    seed: 7,
    respond: () => 'fine',
  }),
  rejecting: await startFakeOpenAIServer({ failWith: 400 }),
}));

beforeAll(async () => {
  await Promise.all(['f1', 'f2'].map((id) => bed.startWorker(id)));
});

describe('a provider failing 30 % with 500 and 10 % with 429', () => {
  it('completes the job with every row a success, through retries', async () => {
    const rows = 300;
    const key = {
      // Enough retries that 40 % transient failures cannot exhaust them (0.4^16 per row).
      model_id: await createModel(bed.t, {
        config: { base_url: bed.servers.flaky.url, max_retries: 15 },
      }),
      prompt_id: await createPrompt(bed.t),
      dataset_id: await createDataset(bed.t, rows),
    };
    await launchJob(bed.t, key, bed.prefix);
    const done = await waitForJobDone(bed.t, key, 60_000, () =>
      bed.workers.map((w) => w.describe()).join('\n'),
    );
    expect(done).toMatchObject({ count: rows, failed: 0 });
    await expectExactlyOnce(bed.t, key, rows);

    const [stats] = await bed.t.query<{ success: number; calls: number }>(
      `SELECT count(*) FILTER (WHERE status = 'success')::int AS success, sum(attempts)::int AS calls
       FROM predictions WHERE model_id = $1`,
      [key.model_id],
    );
    expect(stats!.success).toBe(rows);
    const answered = bed.servers.flaky.requests.filter((r) => r.model === 'fake-model');
    const statuses = new Map<number, number>();
    for (const request of answered)
      statuses.set(request.status, (statuses.get(request.status) ?? 0) + 1);
    expect(statuses.get(200)).toBe(rows);
    expect(statuses.get(500)).toBeGreaterThan(rows * 0.2);
    expect(statuses.get(429)).toBeGreaterThan(rows * 0.04);
    // Every call the provider saw is accounted for in the stored attempts.
    expect(stats!.calls).toBe(answered.length);
  });
});

describe('a provider answering 400', () => {
  it('fails every row at once, without retries, counts them as failed, and finishes the job', async () => {
    const rows = 60;
    const key = {
      model_id: await createModel(bed.t, {
        name: 'rejected-model',
        config: { base_url: bed.servers.rejecting.url, max_retries: 5 },
      }),
      prompt_id: await createPrompt(bed.t),
      dataset_id: await createDataset(bed.t, rows),
    };
    await launchJob(bed.t, key, bed.prefix);
    expect(await waitForJobDone(bed.t, key, 30_000)).toMatchObject({
      count: rows,
      failed: rows,
      correct: 0,
    });
    await expectExactlyOnce(bed.t, key, rows);

    const predictions = await bed.t.query<{
      status: string;
      prediction: string;
      error: string;
      attempts: number;
    }>('SELECT status, prediction, error, attempts FROM predictions WHERE model_id = $1', [
      key.model_id,
    ]);
    for (const prediction of predictions) {
      expect(prediction).toMatchObject({ status: 'failed', prediction: '', attempts: 1 });
      expect(prediction.error).toMatch(/^bad_request \(HTTP 400\): /);
    }
    // Fail fast: one request per row, no retries.
    expect(bed.servers.rejecting.requests.filter((r) => r.model === 'rejected-model')).toHaveLength(
      rows,
    );
  });
});

describe('answers the database cannot store as they are', () => {
  it('strips NUL characters, and stores an impossible answer as failed without holding back the others', async () => {
    const odd = await startFakeOpenAIServer({
      respond: (prompt) => (prompt.includes('What is 3 + 3?') ? 'six\u0000!' : 'ok'),
      // An out-of-range token count (it does not fit an integer column) for one row.
      promptTokens: (prompt) => (prompt.includes('What is 5 + 5?') ? 3_000_000_000 : 4),
    });
    try {
      const rows = 40;
      const key = {
        model_id: await createModel(bed.t, { name: 'odd-model', config: { base_url: odd.url } }),
        prompt_id: await createPrompt(bed.t),
        dataset_id: await createDataset(bed.t, rows),
      };
      await launchJob(bed.t, key, bed.prefix);
      expect(await waitForJobDone(bed.t, key, 30_000)).toMatchObject({ count: rows, failed: 1 });
      await expectExactlyOnce(bed.t, key, rows);
      const stored = await bed.t.query<{
        content: string;
        status: string;
        prediction: string;
        error: string | null;
      }>(
        `SELECT r.content, p.status, p.prediction, p.error FROM predictions p JOIN rows r USING (row_id)
         WHERE p.model_id = $1 AND r.content IN ('What is 3 + 3?', 'What is 5 + 5?', 'What is 6 + 6?')
         ORDER BY r.row_id`,
        [key.model_id],
      );
      expect(stored[0]).toEqual({
        content: 'What is 3 + 3?',
        status: 'success',
        prediction: 'six!',
        error: null,
      });
      expect(stored[1]).toMatchObject({
        content: 'What is 5 + 5?',
        status: 'failed',
        prediction: '',
      });
      expect(stored[1]!.error).toMatch(/^storage: the answer could not be stored \(.*out of range/);
      expect(stored[2]).toEqual({
        content: 'What is 6 + 6?',
        status: 'success',
        prediction: 'ok',
        error: null,
      });
    } finally {
      await odd.close();
    }
  });
});

describe('a model that cannot be called', () => {
  it('fails its rows at once with the reason (unknown client, missing API-key variable), and the job ends: done, or paused by those failures', async () => {
    const rows = 10;
    const dataset_id = await createDataset(bed.t, rows);
    const prompt_id = await createPrompt(bed.t);
    const unknown = {
      model_id: await createModel(bed.t, { source: 'telepathy' }),
      prompt_id,
      dataset_id,
    };
    const keyless = {
      model_id: await createModel(bed.t, {
        config: { base_url: bed.servers.flaky.url, api_key_env: 'EVALQ_TEST_KEY_THAT_IS_NOT_SET' },
      }),
      prompt_id,
      dataset_id,
    };
    await launchJob(bed.t, unknown, bed.prefix);
    await launchJob(bed.t, keyless, bed.prefix);
    // Every call fails without a request. Three such failures pause a job (docs/cost.md):
    // rows claimed before the pause are stored as failed, the rest wait for a resume.
    // Whether the pause comes before the last claim depends on how the worker's claims
    // and writes fall, so the job ends done with every row failed, or paused by them.
    for (const key of [unknown, keyless]) {
      await waitFor(
        async () => {
          const job = await jobEnd(key);
          return job.status === 'done' || job.status === 'paused';
        },
        { timeoutMs: 30_000, describe: async () => JSON.stringify(await jobEnd(key)) },
      );
      const job = await jobEnd(key);
      expect(job.failed).toBe(job.count);
      expect(job.count).toBeGreaterThanOrEqual(3);
      if (job.status === 'paused') expect(job.paused_reason).toBe('provider');
      else expect(job.count).toBe(rows);
    }
    const errors = await bed.t.query<{ model_id: number; error: string; attempts: number }>(
      'SELECT DISTINCT model_id, error, attempts FROM predictions WHERE model_id = ANY($1::int[]) ORDER BY model_id',
      [[unknown.model_id, keyless.model_id]],
    );
    expect(errors).toHaveLength(2);
    expect(errors[0]!.error).toMatch(/^config: no model client for source "telepathy"/);
    expect(errors[0]!.attempts).toBe(0);
    expect(errors[1]!.error).toMatch(
      /^config: the environment variable EVALQ_TEST_KEY_THAT_IS_NOT_SET/,
    );
    expect(errors[1]!.attempts).toBe(1);
  });
});

async function jobEnd(key: { model_id: number; prompt_id: number; dataset_id: number }) {
  const [job] = await bed.t.query<{
    status: string;
    count: number;
    failed: number;
    paused_reason: string | null;
  }>(
    `SELECT status, coalesce(count, 0) AS count, failed, paused_reason FROM modelpromptstatus
      WHERE model_id = $1 AND prompt_id = $2 AND dataset_id = $3`,
    [key.model_id, key.prompt_id, key.dataset_id],
  );
  return job!;
}
