import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assignBatch,
  claimRows,
  finishRows,
  heartbeatClaims,
  listRunnableJobs,
  loadModels,
  loadPrompts,
  reclaimExpiredClaims,
  releaseClaims,
  type ClaimedRow,
  type FinishedRow,
} from '@evalq/db';
import { createTestDatabase, type TestDatabase } from '@evalq/testing';
import type { JobKey } from '@evalq/core';

// The claim protocol's SQL (packages/db/src/queries/claims.ts) against real PostgreSQL.

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.drop();
});

async function newJob(rows: number): Promise<JobKey> {
  const [dataset] = await t.query<{ dataset_id: number }>(
    `INSERT INTO datasets (name) VALUES ('d') RETURNING dataset_id`,
  );
  const dataset_id = dataset!.dataset_id;
  await t.query(
    `INSERT INTO rows (dataset_id, content, expected_prediction)
     SELECT $1, 'content ' || g, 'label' FROM generate_series(1, $2::int) g`,
    [dataset_id, rows],
  );
  const [model] = await t.query<{ model_id: number }>(
    `INSERT INTO models (name, source, config) VALUES ('m', 'mock', '{"max_retries": 2}') RETURNING model_id`,
  );
  const [prompt] = await t.query<{ prompt_id: number }>(
    `INSERT INTO prompts (text) VALUES ('Q: {{content}}') RETURNING prompt_id`,
  );
  const key = { model_id: model!.model_id, prompt_id: prompt!.prompt_id, dataset_id };
  await t.query(
    `INSERT INTO modelpromptstatus (model_id, prompt_id, dataset_id, status) VALUES ($1, $2, $3, 'pending')`,
    [key.model_id, key.prompt_id, key.dataset_id],
  );
  return key;
}

function results(key: JobKey, rows: ClaimedRow[], prediction = 'label'): FinishedRow[] {
  return rows.map((row) => ({
    row_id: row.row_id,
    model_id: key.model_id,
    prompt_id: key.prompt_id,
    dataset_id: key.dataset_id,
    claim_attempt: row.claim_attempt,
    prediction,
    prediction_time: 0.01,
    status: 'success' as const,
    formatted_prompt: `Q: ${row.content}`,
    error: null,
    attempts: 1,
    prompt_tokens: 3,
    completion_tokens: 1,
    passed: prediction === 'label',
    score: prediction === 'label' ? 1 : 0,
    grading: JSON.stringify([{ type: 'equals', pass: prediction === 'label' }]),
    grading_version: 0,
  }));
}

const held = (key: JobKey, rows: ClaimedRow[]) =>
  rows.map((row) => ({
    row_id: row.row_id,
    model_id: key.model_id,
    prompt_id: key.prompt_id,
    claim_attempt: row.claim_attempt,
  }));

async function statuses(key: JobKey): Promise<Record<string, number>> {
  const rows = await t.query<{ status: string; n: number }>(
    `SELECT status, count(*)::int AS n FROM predictionstatus
     WHERE model_id = $1 AND prompt_id = $2 AND dataset_id = $3 GROUP BY status`,
    [key.model_id, key.prompt_id, key.dataset_id],
  );
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

async function job(key: JobKey): Promise<{ status: string; count: number; total: number }> {
  const [row] = await t.query<{ status: string; count: number; total: number }>(
    'SELECT status, count, total FROM modelpromptstatus WHERE model_id = $1 AND prompt_id = $2 AND dataset_id = $3',
    [key.model_id, key.prompt_id, key.dataset_id],
  );
  return row!;
}

describe('claimRows', () => {
  it('claims at most n pending rows in row order, with a fencing token and a stamp', async () => {
    const key = await newJob(10);
    const before = Date.now();
    const rows = await claimRows(t.db, key, 4, 'worker-a');
    expect(rows.map((r) => r.claim_attempt)).toEqual([1, 1, 1, 1]);
    expect(rows.map((r) => r.content)).toEqual([
      'content 1',
      'content 2',
      'content 3',
      'content 4',
    ]);
    const stamped = await t.query<{ claimed_by: string; in_progress_time: Date }>(
      `SELECT claimed_by, in_progress_time FROM predictionstatus WHERE status = 'in_progress' AND model_id = $1`,
      [key.model_id],
    );
    expect(stamped).toHaveLength(4);
    for (const row of stamped) {
      expect(row.claimed_by).toBe('worker-a');
      expect(row.in_progress_time.getTime()).toBeGreaterThan(before - 2000);
    }
    expect(await claimRows(t.db, key, 100, 'worker-b')).toHaveLength(6);
    expect(await claimRows(t.db, key, 100, 'worker-b')).toHaveLength(0);
  });

  it("returns each row's label always (grading needs it) and its input only when asked", async () => {
    const key = await newJob(4);
    await t.query(`UPDATE rows SET input = jsonb_build_object('n', row_id) WHERE dataset_id = $1`, [
      key.dataset_id,
    ]);
    const plain = await claimRows(t.db, key, 2, 'worker-a');
    expect(plain.map((r) => [r.content, r.expected_prediction, r.input])).toEqual([
      ['content 1', 'label', null],
      ['content 2', 'label', null],
    ]);
    const withVariables = await claimRows(t.db, key, 2, 'worker-a', true);
    expect(withVariables.map((r) => [r.content, r.expected_prediction, r.input])).toEqual([
      ['content 3', 'label', { n: withVariables[0]!.row_id }],
      ['content 4', 'label', { n: withVariables[1]!.row_id }],
    ]);
  });

  it('never hands a row to two concurrent claimers, and never more than n to one', async () => {
    const key = await newJob(600);
    const claimers = Array.from({ length: 8 }, (_, i) => `w${i}`);
    const taken: number[] = [];
    await Promise.all(
      claimers.map(async (worker) => {
        for (;;) {
          const rows = await claimRows(t.db, key, 7, worker);
          expect(rows.length).toBeLessThanOrEqual(7);
          if (rows.length === 0) return;
          taken.push(...rows.map((r) => r.row_id));
        }
      }),
    );
    expect(taken).toHaveLength(600);
    expect(new Set(taken).size).toBe(600);
    expect(await statuses(key)).toEqual({ in_progress: 600 });
  });
});

describe('finishRows', () => {
  it('stores predictions and marks rows done in one statement; a replay stores nothing twice', async () => {
    const key = await newJob(5);
    const rows = await claimRows(t.db, key, 5, 'worker-a');
    const batch = results(key, rows);
    const first = await finishRows(t.db, 'worker-a', batch);
    expect(first.finished).toHaveLength(5);
    expect(first.inserted).toBe(5);
    expect(await statuses(key)).toEqual({ done: 5 });
    expect(await job(key)).toMatchObject({ status: 'done', count: 5, total: 5 });

    const replay = await finishRows(t.db, 'worker-a', batch);
    expect(replay).toEqual({ finished: [], inserted: 0 });
    const [{ n } = { n: -1 }] = await t.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM predictions WHERE model_id = $1',
      [key.model_id],
    );
    expect(n).toBe(5);
    expect((await job(key)).count).toBe(5);

    const stored = await t.query<{
      formatted_prompt: string;
      prompt_tokens: number;
      attempts: number;
    }>(
      'SELECT formatted_prompt, prompt_tokens, attempts FROM predictions WHERE model_id = $1 ORDER BY row_id LIMIT 1',
      [key.model_id],
    );
    expect(stored[0]).toEqual({ formatted_prompt: 'Q: content 1', prompt_tokens: 3, attempts: 1 });
  });

  it('lets a zombie store nothing once its claim was reclaimed and claimed again', async () => {
    const key = await newJob(3);
    const zombieRows = await claimRows(t.db, key, 3, 'zombie');
    await new Promise((resolve) => setTimeout(resolve, 20));
    // The zombie stopped heartbeating: a lease of 0 s has expired for its rows.
    const reclaimed = await reclaimExpiredClaims(t.db, 0, 10_000);
    expect(reclaimed).toContainEqual({ ...key, rows: 3 });
    const freshRows = await claimRows(t.db, key, 3, 'fresh');
    expect(freshRows.map((r) => r.claim_attempt)).toEqual([2, 2, 2]);

    // The zombie wakes up: its heartbeat, its finish and its release all match nothing.
    expect(await heartbeatClaims(t.db, 'zombie', held(key, zombieRows))).toBe(0);
    expect(await finishRows(t.db, 'zombie', results(key, zombieRows, 'zombie answer'))).toEqual({
      finished: [],
      inserted: 0,
    });
    expect(await releaseClaims(t.db, 'zombie', held(key, zombieRows))).toBe(0);
    expect(await statuses(key)).toEqual({ in_progress: 3 });

    // Even the same worker id cannot finish with a stale attempt.
    const sameWorkerStale = await finishRows(
      t.db,
      'fresh',
      results(
        key,
        freshRows.map((r) => ({ ...r, claim_attempt: 1 })),
      ),
    );
    expect(sameWorkerStale.finished).toHaveLength(0);

    const fresh = await finishRows(t.db, 'fresh', results(key, freshRows));
    expect(fresh.finished).toHaveLength(3);
    const predictions = await t.query<{ prediction: string }>(
      'SELECT prediction FROM predictions WHERE model_id = $1',
      [key.model_id],
    );
    expect(predictions.map((p) => p.prediction)).toEqual(['label', 'label', 'label']);
    expect(await job(key)).toMatchObject({ status: 'done', count: 3 });
  });

  it('stores a failed prediction with an empty answer and the error, and counts it', async () => {
    const key = await newJob(1);
    const [row] = await claimRows(t.db, key, 1, 'w');
    await finishRows(t.db, 'w', [
      {
        ...results(key, [row!])[0]!,
        prediction: '',
        status: 'failed',
        error: 'bad_request (HTTP 400): nope',
        attempts: 1,
        prompt_tokens: null,
        completion_tokens: null,
        passed: null,
        score: null,
        grading: null,
      },
    ]);
    const [stored] = await t.query<{ prediction: string; status: string; error: string }>(
      'SELECT prediction, status, error FROM predictions WHERE model_id = $1',
      [key.model_id],
    );
    expect(stored).toEqual({
      prediction: '',
      status: 'failed',
      error: 'bad_request (HTTP 400): nope',
    });
    const [counters] = await t.query<{ failed: number; status: string }>(
      'SELECT failed, status FROM modelpromptstatus WHERE model_id = $1',
      [key.model_id],
    );
    expect(counters).toEqual({ failed: 1, status: 'done' });
  });
});

describe('heartbeat, reclaim and release', () => {
  it('re-stamps held rows, skipping (not waiting for) a row locked by another transaction', async () => {
    const key = await newJob(4);
    const rows = await claimRows(t.db, key, 4, 'w');
    const stampOf = async (rowId: number) =>
      (
        await t.query<{ in_progress_time: Date }>(
          'SELECT in_progress_time FROM predictionstatus WHERE row_id = $1 AND model_id = $2',
          [rowId, key.model_id],
        )
      )[0]!.in_progress_time.getTime();
    const first = await stampOf(rows[1]!.row_id);
    await new Promise((resolve) => setTimeout(resolve, 20));

    const locker = await t.pool.connect();
    try {
      await locker.query('BEGIN');
      await locker.query(
        'SELECT 1 FROM predictionstatus WHERE row_id = $1 AND model_id = $2 FOR UPDATE',
        [rows[0]!.row_id, key.model_id],
      );
      expect(await heartbeatClaims(t.db, 'w', held(key, rows))).toBe(3);
      await locker.query('COMMIT');
    } finally {
      locker.release();
    }
    expect(await stampOf(rows[1]!.row_id)).toBeGreaterThan(first);
    expect(await heartbeatClaims(t.db, 'someone-else', held(key, rows))).toBe(0);
  });

  it('reclaims only claims older than the lease', async () => {
    const key = await newJob(2);
    await claimRows(t.db, key, 2, 'w');
    expect(
      (await reclaimExpiredClaims(t.db, 60, 100)).filter((j) => j.model_id === key.model_id),
    ).toEqual([]);
    expect(await statuses(key)).toEqual({ in_progress: 2 });
  });

  it("leaves a provider batch's rows to the batch's lease, however old their stamp", async () => {
    const key = await newJob(30);
    const lease = { workerId: 'w', seconds: 60 };
    const batch = await assignBatch(t.db, key, { wanted: 20, probe: 20 }, lease);
    expect(batch?.request_count).toBe(20);
    await claimRows(t.db, key, 3, 'w');
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(
      (await reclaimExpiredClaims(t.db, 0, 100)).filter((j) => j.model_id === key.model_id),
    ).toEqual([{ ...key, rows: 3 }]);
    expect(await statuses(key)).toEqual({ in_progress: 20, pending: 10 });
  });

  it('hands held rows back to pending', async () => {
    const key = await newJob(3);
    const rows = await claimRows(t.db, key, 3, 'w');
    expect(await releaseClaims(t.db, 'w', held(key, rows))).toBe(3);
    expect(await statuses(key)).toEqual({ pending: 3 });
    const again = await claimRows(t.db, key, 3, 'w2');
    expect(again.map((r) => r.claim_attempt)).toEqual([2, 2, 2]);
  });
});

describe('worker job queries', () => {
  it('lists jobs not done, makes a job running at its first claim only, and loads models and prompts', async () => {
    const key = await newJob(2);
    const runnable = await listRunnableJobs(t.db);
    expect(runnable).toContainEqual({ ...key, status: 'pending' });
    const first = await claimRows(t.db, key, 1, 'w1');
    const second = await claimRows(t.db, key, 1, 'w2');
    const log = await t.query<{ previous_status: string | null; status: string }>(
      'SELECT previous_status, status FROM status_update_log WHERE model_id = $1 ORDER BY id',
      [key.model_id],
    );
    expect(log).toEqual([
      { previous_status: null, status: 'pending' },
      { previous_status: 'pending', status: 'running' },
    ]);
    await finishRows(t.db, 'w1', results(key, first));
    await finishRows(t.db, 'w2', results(key, second));
    expect((await listRunnableJobs(t.db)).filter((j) => j.model_id === key.model_id)).toEqual([]);

    const [model] = await loadModels(t.db, [key.model_id]);
    expect(model).toMatchObject({
      model_id: key.model_id,
      name: 'm',
      source: 'mock',
      config: { max_retries: 2 },
    });
    expect(await loadPrompts(t.db, [key.prompt_id])).toEqual([
      {
        prompt_id: key.prompt_id,
        type: 'text',
        text: 'Q: {{content}}',
        messages: null,
        model_defaults: {},
      },
    ]);
  });
});

describe('finishing with verdicts', () => {
  it('stores each verdict with its prediction and counts it in the same statement', async () => {
    const key = await newJob(3);
    const rows = await claimRows(t.db, key, 3, 'w');
    const [right, wrong, ungraded] = results(key, rows);
    await finishRows(t.db, 'w', [
      right!,
      { ...wrong!, prediction: 'other', passed: false, score: 0.25 },
      { ...ungraded!, passed: null, score: null, grading: '[{"error": "judge failed"}]' },
    ]);
    const stored = await t.query<{
      passed: boolean | null;
      score: number | null;
      grading: unknown;
    }>('SELECT passed, score, grading FROM predictions WHERE model_id = $1 ORDER BY row_id', [
      key.model_id,
    ]);
    expect(stored).toEqual([
      { passed: true, score: 1, grading: [{ type: 'equals', pass: true }] },
      { passed: false, score: 0.25, grading: [{ type: 'equals', pass: true }] },
      { passed: null, score: null, grading: [{ error: 'judge failed' }] },
    ]);
    const [job] = await t.query<{ correct: number; ungraded: number; status: string }>(
      'SELECT correct, ungraded, status FROM modelpromptstatus WHERE model_id = $1',
      [key.model_id],
    );
    expect(job).toEqual({ correct: 1, ungraded: 1, status: 'done' });
  });
});
