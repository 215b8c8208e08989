import { describe, expect, it } from 'vitest';
import type { JobKey } from '@evalq/core';
import { resumeJob, setJobBudget } from '@evalq/db';
import { startFakeOpenAIServer } from '@evalq/testing';
import {
  createDataset,
  createModel,
  createPrompt,
  expectExactlyOnce,
  jobState,
  launchJob,
  useWorkerTestBed,
  waitFor,
  waitForJobDone,
} from './support.js';

// Cost, budgets, pauses and the response cache with real workers against the fake
// OpenAI server (docs/cost.md). Every call reports 100 prompt tokens and a one-word
// answer (1 completion token), so each cost below is a formula written out here.

const PROMPT_TOKENS = 100;
const bed = useWorkerTestBed('cost', async () => ({
  server: await startFakeOpenAIServer({
    latencyMs: 5,
    promptTokens: () => PROMPT_TOKENS,
    respond: (_prompt, model) => (model === 'judge' ? '{"pass":true}' : 'fine'),
  }),
  rejecting: await startFakeOpenAIServer({ failWith: 400 }),
}));

const CANDIDATE_PRICES = { price_in_per_mtok: 3, price_out_per_mtok: 15 };
const JUDGE_PRICES = { price_in_per_mtok: 1, price_out_per_mtok: 2 };
/** USD of one call: prompt tokens × input price + completion tokens × output price, per million. */
const costOf = (prices: typeof CANDIDATE_PRICES, completionTokens = 1) =>
  (PROMPT_TOKENS * prices.price_in_per_mtok + completionTokens * prices.price_out_per_mtok) / 1e6;
const CALL = costOf(CANDIDATE_PRICES);

interface Spend {
  status: string;
  count: number;
  spent_usd: number | null;
  spent_tokens: number;
  cached_hits: number;
  paused_reason: string | null;
  paused_message: string | null;
  in_progress: number;
}

async function spendOf(key: JobKey): Promise<Spend> {
  const [row] = await bed.t.query<Spend>(
    `SELECT status, coalesce(count, 0) AS count, spent_usd, spent_tokens::int, cached_hits,
            paused_reason, paused_message,
            (SELECT count(*)::int FROM predictionstatus ps
              WHERE ps.model_id = j.model_id AND ps.prompt_id = j.prompt_id
                AND ps.dataset_id = j.dataset_id AND ps.status = 'in_progress') AS in_progress
       FROM modelpromptstatus j WHERE model_id = $1 AND prompt_id = $2 AND dataset_id = $3`,
    [key.model_id, key.prompt_id, key.dataset_id],
  );
  return row!;
}

async function pricedJob(rows: number, model: Record<string, unknown> = {}): Promise<JobKey> {
  return {
    model_id: await createModel(bed.t, {
      config: { base_url: bed.servers.server.url, ...CANDIDATE_PRICES, ...model },
    }),
    prompt_id: await createPrompt(bed.t),
    dataset_id: await createDataset(bed.t, rows),
  };
}

async function setBudget(key: JobKey, maxCostUsd: number | null): Promise<void> {
  await bed.t.query(
    `UPDATE modelpromptstatus SET max_cost_usd = $4
      WHERE model_id = $1 AND prompt_id = $2 AND dataset_id = $3`,
    [key.model_id, key.prompt_id, key.dataset_id, maxCostUsd],
  );
}

/** Waits until a job is paused with nothing in flight any more. */
async function waitForPause(key: JobKey, timeoutMs = 30_000): Promise<Spend> {
  await waitFor(
    async () => {
      const spend = await spendOf(key);
      return spend.status === 'paused' && spend.in_progress === 0;
    },
    { timeoutMs, describe: async () => JSON.stringify(await spendOf(key)) },
  );
  return spendOf(key);
}

/** Every stored prediction once, every other row pending, the spend the sum of what is stored. */
async function expectNothingLostOrDoubled(key: JobKey, rows: number): Promise<void> {
  const [check] = await bed.t.query<{
    predictions: number;
    distinct_rows: number;
    done: number;
    pending: number;
    cost: number;
  }>(
    `SELECT (SELECT count(*)::int FROM predictions p WHERE p.model_id = $1 AND p.prompt_id = $2) AS predictions,
            (SELECT count(DISTINCT row_id)::int FROM predictions p WHERE p.model_id = $1 AND p.prompt_id = $2) AS distinct_rows,
            (SELECT count(*)::int FROM predictionstatus s WHERE s.model_id = $1 AND s.prompt_id = $2 AND s.status = 'done') AS done,
            (SELECT count(*)::int FROM predictionstatus s WHERE s.model_id = $1 AND s.prompt_id = $2 AND s.status = 'pending') AS pending,
            (SELECT sum(cost_usd) FROM predictions p WHERE p.model_id = $1 AND p.prompt_id = $2) AS cost`,
    [key.model_id, key.prompt_id],
  );
  const spend = await spendOf(key);
  expect(check!.distinct_rows).toBe(check!.predictions);
  expect(check!.done).toBe(check!.predictions);
  expect(check!.done + check!.pending).toBe(rows);
  expect(spend.count).toBe(check!.predictions);
  // Each prediction costs exactly one call (the fake server never fails here).
  expect(spend.spent_usd).toBeCloseTo(spend.count * CALL, 12);
  expect(check!.cost).toBeCloseTo(spend.count * CALL, 12);
  expect(spend.spent_tokens).toBe(spend.count * (PROMPT_TOKENS + 1));
}

describe('prices', () => {
  it("store each call's cost, and each judge call's in the grading and the job's spend", async () => {
    await bed.startWorker('w1');
    const rows = 20;
    const judge = await createModel(bed.t, {
      name: 'judge',
      config: { base_url: bed.servers.server.url, ...JUDGE_PRICES },
    });
    const key = await pricedJob(rows);
    await launchJob(bed.t, key, bed.queuePrefix, {
      assertions: [{ type: 'llm-judge', model_id: judge, rubric: 'Is {{output}} right?' }],
    });
    await waitForJobDone(bed.t, key);
    const judgeCall = costOf(JUDGE_PRICES);
    const predictions = await bed.t.query<{
      cost_usd: number;
      judge_cost_usd: number;
      judge_tokens: number;
      passed: boolean;
      grading: { cost_usd: number; prompt_tokens: number }[];
    }>(
      `SELECT cost_usd, judge_cost_usd, judge_tokens, passed, grading FROM predictions WHERE model_id = $1`,
      [key.model_id],
    );
    expect(predictions).toHaveLength(rows);
    for (const prediction of predictions) {
      expect(prediction.passed).toBe(true);
      expect(prediction.cost_usd).toBeCloseTo(CALL, 15);
      expect(prediction.judge_cost_usd).toBeCloseTo(judgeCall, 15);
      expect(prediction.judge_tokens).toBe(PROMPT_TOKENS + 1);
      expect(prediction.grading[0]!.cost_usd).toBeCloseTo(judgeCall, 15);
    }
    const spend = await spendOf(key);
    expect(spend.spent_usd).toBeCloseTo(rows * (CALL + judgeCall), 12);
    expect(spend.spent_tokens).toBe(rows * 2 * (PROMPT_TOKENS + 1));
  });
});

describe('a budget', () => {
  it('stops three workers together; the overshoot is at most what was in flight; raising it finishes the job', async () => {
    await Promise.all(['b1', 'b2'].map((id) => bed.startWorker(id)));
    bed.servers.server.configure({ latencyMs: 30 });
    const rows = 400;
    const maxConcurrency = 6;
    const key = await pricedJob(rows, { max_concurrency: maxConcurrency });
    const budget = CALL * 60.5;
    await launchJob(bed.t, key, bed.queuePrefix);
    await setBudget(key, budget);

    const paused = await waitForPause(key);
    expect(paused.paused_reason).toBe('budget');
    expect(paused.spent_usd!).toBeGreaterThanOrEqual(budget);
    // At most every call the fleet may run at once was still in flight when it was reached.
    expect(paused.spent_usd! - budget).toBeLessThanOrEqual(maxConcurrency * CALL + 1e-12);
    await expectNothingLostOrDoubled(key, rows);

    // Paused stays paused: nothing more is claimed while the workers keep running.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect((await spendOf(key)).count).toBe(paused.count);

    const { resumed } = await setJobBudget(bed.t.db, key, { max_cost_usd: CALL * rows * 2 });
    expect(resumed).toEqual([key]);
    await waitForJobDone(bed.t, key, 60_000);
    await expectExactlyOnce(bed.t, key, rows);
    expect((await spendOf(key)).spent_usd).toBeCloseTo(rows * CALL, 12);
    bed.servers.server.configure({ latencyMs: 5 });
  });

  it('loses and doubles nothing when a worker is killed on the way to it', async () => {
    bed.servers.server.configure({ latencyMs: 40 });
    const rows = 300;
    const key = await pricedJob(rows);
    const victim = await bed.startWorker('victim', { WORKER_CONCURRENCY: 16 });
    await launchJob(bed.t, key, bed.queuePrefix);
    await setBudget(key, CALL * 150.5);
    await waitFor(async () => (await spendOf(key)).count >= 40, {
      timeoutMs: 20_000,
      intervalMs: 20,
    });
    expect(await victim.kill()).toMatchObject({ signal: 'SIGKILL' });

    // The victim's claims come back after the lease; the other workers reach the budget.
    const paused = await waitForPause(key, 40_000);
    expect(paused.paused_reason).toBe('budget');
    await expectNothingLostOrDoubled(key, rows);

    await setJobBudget(bed.t.db, key, { max_cost_usd: null });
    await waitForJobDone(bed.t, key, 60_000);
    await expectExactlyOnce(bed.t, key, rows);
    expect((await spendOf(key)).spent_usd).toBeCloseTo(rows * CALL, 12);
    bed.servers.server.configure({ latencyMs: 5 });
  });
});

/** Launches a job with the response cache on (workers find it by their reconcile). */
async function launchCached(key: JobKey): Promise<void> {
  await bed.t.query(
    `INSERT INTO modelpromptstatus (model_id, prompt_id, dataset_id, status, cache)
     VALUES ($1, $2, $3, 'pending', true)`,
    [key.model_id, key.prompt_id, key.dataset_id],
  );
}

describe('the response cache', () => {
  it('answers an identical request without a call, at no cost, graded like any other', async () => {
    const rows = 30;
    const dataset_id = await createDataset(
      bed.t,
      rows,
      (i) => `cache row ${i}`,
      () => 'fine',
    );
    const text = 'Cached prompt: {{content}}';
    /** A model named like the others, so each asks the same requests. */
    const sameModel = () =>
      createModel(bed.t, {
        name: 'cached-model',
        config: { base_url: bed.servers.server.url, ...CANDIDATE_PRICES },
      });
    const requestsSeen = () =>
      bed.servers.server.requests.filter((r) => r.model === 'cached-model').length;

    const first = {
      model_id: await sameModel(),
      prompt_id: await createPrompt(bed.t, text),
      dataset_id,
    };
    await launchCached(first);
    await waitForJobDone(bed.t, first);
    expect(requestsSeen()).toBe(rows);
    await waitFor(async () => {
      const [n] = await bed.t.query<{ n: number }>(`SELECT count(*)::int AS n FROM response_cache`);
      return n!.n >= rows;
    });

    // Another model and prompt that send exactly the same requests: all hits.
    const second = {
      model_id: await sameModel(),
      prompt_id: await createPrompt(bed.t, text),
      dataset_id,
    };
    await launchCached(second);
    await waitForJobDone(bed.t, second);
    expect(requestsSeen()).toBe(rows);
    const hits = await bed.t.query<{
      cached: boolean;
      cost_usd: number;
      passed: boolean;
      prediction: string;
    }>(`SELECT cached, cost_usd, passed, prediction FROM predictions WHERE model_id = $1`, [
      second.model_id,
    ]);
    expect(hits).toHaveLength(rows);
    expect(
      hits.every((p) => p.cached && p.cost_usd === 0 && p.passed && p.prediction === 'fine'),
    ).toBe(true);
    expect(await spendOf(second)).toMatchObject({
      spent_usd: 0,
      spent_tokens: 0,
      cached_hits: rows,
    });

    // The same requests without the cache: called again.
    const third = {
      model_id: await sameModel(),
      prompt_id: await createPrompt(bed.t, text),
      dataset_id,
    };
    await launchJob(bed.t, third, undefined);
    await waitForJobDone(bed.t, third);
    expect(requestsSeen()).toBe(2 * rows);
    expect((await spendOf(third)).spent_usd).toBeCloseTo(rows * CALL, 12);
  });

  it('never keeps a failed call', async () => {
    const key = {
      model_id: await createModel(bed.t, {
        name: 'rejected',
        config: { base_url: bed.servers.rejecting.url },
      }),
      prompt_id: await createPrompt(bed.t, 'Rejected: {{content}}'),
      dataset_id: await createDataset(bed.t, 5),
    };
    await launchCached(key);
    const done = await waitForJobDone(bed.t, key);
    expect(done).toMatchObject({ failed: 5 });
    expect(
      await bed.t.query(`SELECT 1 FROM response_cache WHERE model_id = $1`, [key.model_id]),
    ).toEqual([]);
  });
});

describe('a model that cannot be called', () => {
  it('pauses its job after a few rows, with the reason; fixed and resumed, the job finishes', async () => {
    const rows = 300;
    const key = await pricedJob(rows, { api_key_env: 'EVALQ_TEST_UNSET_KEY' });
    await launchJob(bed.t, key, bed.queuePrefix);
    const paused = await waitForPause(key);
    expect(paused.paused_reason).toBe('provider');
    expect(paused.paused_message).toContain('EVALQ_TEST_UNSET_KEY');
    // A claim or two per worker failed, not the whole job.
    expect((await jobState(bed.t, key)).failed).toBeLessThan(rows / 3);

    await bed.t.query(`UPDATE models SET config = config - 'api_key_env' WHERE model_id = $1`, [
      key.model_id,
    ]);
    const { resumed } = await resumeJob(bed.t.db, key);
    expect(resumed).toBe(true);
    const done = await waitForJobDone(bed.t, key, 60_000);
    expect(done).toMatchObject({ failed: 0, count: rows });
    await expectExactlyOnce(bed.t, key, rows);
  });
});
