import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@evalq/testing';

// Each of the four documented triggers and the added ones (status log, counting of
// deleted and regraded predictions, regrade start, job start on claim), driven through
// plain SQL with no application code in between, as docs/triggers.md promises.

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.drop();
});

interface Job {
  status: string;
  count: number;
  total: number;
  failed: number;
  correct: number;
  ungraded: number;
  regrade_remaining: number;
  started_at: Date | null;
  finished_at: Date | null;
}

async function newDataset(rows: number, label = (i: number) => `label-${i % 3}`): Promise<number> {
  const [dataset] = await t.query<{ dataset_id: number }>(
    `INSERT INTO datasets (name) VALUES ('d') RETURNING dataset_id`,
  );
  await t.query(
    `INSERT INTO rows (dataset_id, content, expected_prediction)
     SELECT $1, 'content ' || g, ($2::text[])[g]
     FROM generate_series(1, $3::int) g`,
    [dataset!.dataset_id, Array.from({ length: rows }, (_, i) => label(i + 1)), rows],
  );
  return dataset!.dataset_id;
}

async function newModelAndPrompt(): Promise<{ model_id: number; prompt_id: number }> {
  const [model] = await t.query<{ model_id: number }>(
    `INSERT INTO models (name, source) VALUES ('m', 'mock') RETURNING model_id`,
  );
  const [prompt] = await t.query<{ prompt_id: number }>(
    `INSERT INTO prompts (text) VALUES ('Answer: {{content}}') RETURNING prompt_id`,
  );
  return { model_id: model!.model_id, prompt_id: prompt!.prompt_id };
}

async function launch(model_id: number, prompt_id: number, dataset_id: number): Promise<void> {
  await t.query(
    `INSERT INTO modelpromptstatus (model_id, prompt_id, dataset_id, status) VALUES ($1, $2, $3, 'pending')`,
    [model_id, prompt_id, dataset_id],
  );
}

async function job(model_id: number, prompt_id: number, dataset_id: number): Promise<Job> {
  const [row] = await t.query<Job>(
    `SELECT status, count, total, failed, correct, ungraded, regrade_remaining, started_at, finished_at
       FROM modelpromptstatus
     WHERE model_id = $1 AND prompt_id = $2 AND dataset_id = $3`,
    [model_id, prompt_id, dataset_id],
  );
  if (!row) throw new Error('job not found');
  return row;
}

async function rowIds(dataset_id: number): Promise<number[]> {
  const rows = await t.query<{ row_id: number }>(
    'SELECT row_id FROM rows WHERE dataset_id = $1 ORDER BY row_id',
    [dataset_id],
  );
  return rows.map((r) => r.row_id);
}

/** Stores predictions the way a worker's finish does: several per INSERT, duplicates ignored. */
async function predict(
  key: { model_id: number; prompt_id: number; dataset_id: number },
  rows: number[],
  outcome: 'success' | 'failed' = 'success',
  prediction = (row: number) => `answer ${row}`,
): Promise<number> {
  const result = await t.pool.query(
    `INSERT INTO predictions (row_id, model_id, prompt_id, dataset_id, prediction, prediction_time, status)
     SELECT r, $2, $3, $4, p, 0.01, $5 FROM unnest($1::int[], $6::text[]) AS u(r, p)
     ON CONFLICT DO NOTHING`,
    [rows, key.model_id, key.prompt_id, key.dataset_id, outcome, rows.map(prediction)],
  );
  return result.rowCount ?? 0;
}

/** Stores successful predictions with the given verdicts, as a grading worker does. */
async function storeVerdicts(
  key: { model_id: number; prompt_id: number; dataset_id: number },
  rows: number[],
  verdicts: (boolean | null)[],
  gradingVersion = 0,
): Promise<void> {
  await t.query(
    `INSERT INTO predictions (row_id, model_id, prompt_id, dataset_id, prediction, prediction_time,
                              status, passed, score, grading_version)
     SELECT r, $2, $3, $4, 'out', 0.01, 'success', v, CASE WHEN v THEN 1 WHEN NOT v THEN 0 END, $6
       FROM unnest($1::int[], $5::boolean[]) AS u(r, v)`,
    [rows, key.model_id, key.prompt_id, key.dataset_id, verdicts, gradingVersion],
  );
}

describe('after_insert_model_prompt_status (seed)', () => {
  it('seeds one pending status row per dataset row and records the total', async () => {
    const dataset_id = await newDataset(73);
    const { model_id, prompt_id } = await newModelAndPrompt();
    await launch(model_id, prompt_id, dataset_id);

    const statuses = await t.query<{ status: string; n: number }>(
      `SELECT status, count(*)::int AS n FROM predictionstatus
       WHERE model_id = $1 AND prompt_id = $2 AND dataset_id = $3 GROUP BY status`,
      [model_id, prompt_id, dataset_id],
    );
    expect(statuses).toEqual([{ status: 'pending', n: 73 }]);
    expect(await job(model_id, prompt_id, dataset_id)).toMatchObject({
      status: 'pending',
      total: 73,
      count: 0,
    });
  });

  it('covers the rows as they are at launch; rows added later do not join the job', async () => {
    const dataset_id = await newDataset(5);
    const { model_id, prompt_id } = await newModelAndPrompt();
    await launch(model_id, prompt_id, dataset_id);
    await t.query(
      `INSERT INTO rows (dataset_id, content, expected_prediction) VALUES ($1, 'late', 'x')`,
      [dataset_id],
    );

    const [{ n } = { n: -1 }] = await t.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM predictionstatus WHERE model_id = $1 AND prompt_id = $2',
      [model_id, prompt_id],
    );
    expect(n).toBe(5);
    expect((await job(model_id, prompt_id, dataset_id)).total).toBe(5);
  });

  it('finishes a job over an empty dataset at once', async () => {
    const dataset_id = await newDataset(0);
    const { model_id, prompt_id } = await newModelAndPrompt();
    await launch(model_id, prompt_id, dataset_id);
    const state = await job(model_id, prompt_id, dataset_id);
    expect(state).toMatchObject({ status: 'done', total: 0 });
    expect(state.finished_at).not.toBeNull();
  });
});

describe('predictions_after_insert (count and done)', () => {
  it('finishes a 73-row job at its 73rd prediction and not before', async () => {
    const dataset_id = await newDataset(73);
    const { model_id, prompt_id } = await newModelAndPrompt();
    const key = { model_id, prompt_id, dataset_id };
    await launch(model_id, prompt_id, dataset_id);
    const ids = await rowIds(dataset_id);

    // One at a time for the last rows, so every intermediate state is observed.
    await predict(key, ids.slice(0, 70));
    for (let i = 70; i < 72; i += 1) {
      await predict(key, [ids[i]!]);
      expect(await job(model_id, prompt_id, dataset_id)).toMatchObject({
        status: 'running',
        count: i + 1,
      });
    }
    await predict(key, [ids[72]!]);
    const done = await job(model_id, prompt_id, dataset_id);
    expect(done).toMatchObject({ status: 'done', count: 73, total: 73, failed: 0 });
    expect(done.finished_at).not.toBeNull();
    expect(done.started_at).not.toBeNull();
  });

  it('finishes a 120-row job at 120 while sibling jobs on the same dataset also get predictions', async () => {
    const dataset_id = await newDataset(120);
    const a = { ...(await newModelAndPrompt()), dataset_id };
    const b = { ...(await newModelAndPrompt()), dataset_id };
    const c = { model_id: a.model_id, prompt_id: b.prompt_id, dataset_id };
    for (const key of [a, b, c]) await launch(key.model_id, key.prompt_id, key.dataset_id);
    const ids = await rowIds(dataset_id);

    // Interleave: the siblings get more predictions than `a` along the way.
    for (let start = 0; start < 120; start += 30) {
      await predict(b, ids.slice(start, start + 30));
      await predict(c, ids.slice(start, start + 40));
      if (start + 30 < 120) {
        await predict(a, ids.slice(start, start + 30));
        expect((await job(a.model_id, a.prompt_id, dataset_id)).status).toBe('running');
      }
    }
    expect(await job(a.model_id, a.prompt_id, dataset_id)).toMatchObject({
      status: 'running',
      count: 90,
    });
    expect(await job(b.model_id, b.prompt_id, dataset_id)).toMatchObject({
      status: 'done',
      count: 120,
    });
    await predict(a, ids.slice(90, 119));
    expect(await job(a.model_id, a.prompt_id, dataset_id)).toMatchObject({
      status: 'running',
      count: 119,
    });
    await predict(a, ids.slice(119));
    expect(await job(a.model_id, a.prompt_id, dataset_id)).toMatchObject({
      status: 'done',
      count: 120,
    });
    expect(await job(c.model_id, c.prompt_id, dataset_id)).toMatchObject({
      status: 'done',
      count: 120,
    });
  });

  it('never counts a duplicate prediction twice', async () => {
    const dataset_id = await newDataset(10);
    const { model_id, prompt_id } = await newModelAndPrompt();
    const key = { model_id, prompt_id, dataset_id };
    await launch(model_id, prompt_id, dataset_id);
    const ids = await rowIds(dataset_id);

    expect(await predict(key, ids.slice(0, 6))).toBe(6);
    expect(await predict(key, ids.slice(0, 6))).toBe(0); // ON CONFLICT DO NOTHING
    expect(await predict(key, ids.slice(4, 8))).toBe(2); // half new, half duplicate
    await expect(
      t.query(
        `INSERT INTO predictions (row_id, model_id, prompt_id, dataset_id, prediction, prediction_time, status)
         VALUES ($1, $2, $3, $4, 'again', 0.1, 'success')`,
        [ids[0], model_id, prompt_id, dataset_id],
      ),
    ).rejects.toThrow(/predictions_row_model_prompt_key/);

    expect(await job(model_id, prompt_id, dataset_id)).toMatchObject({
      status: 'running',
      count: 8,
    });
    const [{ n } = { n: -1 }] = await t.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM predictions WHERE model_id = $1 AND prompt_id = $2',
      [model_id, prompt_id],
    );
    expect(n).toBe(8);
  });

  it('counts failed predictions as processed and in failed, and a job of failures still finishes', async () => {
    const dataset_id = await newDataset(12);
    const { model_id, prompt_id } = await newModelAndPrompt();
    const key = { model_id, prompt_id, dataset_id };
    await launch(model_id, prompt_id, dataset_id);
    const ids = await rowIds(dataset_id);

    await predict(key, ids.slice(0, 5), 'failed', () => '');
    expect(await job(model_id, prompt_id, dataset_id)).toMatchObject({
      status: 'running',
      count: 5,
      failed: 5,
    });
    await predict(key, ids.slice(5), 'failed', () => '');
    expect(await job(model_id, prompt_id, dataset_id)).toMatchObject({
      status: 'done',
      count: 12,
      failed: 12,
      correct: 0,
    });
  });

  it('pauses a job at the prediction that reaches its budget; one that spent nothing (a cache hit) never does, the next claim does', async () => {
    const dataset_id = await newDataset(6);
    const { model_id, prompt_id } = await newModelAndPrompt();
    await launch(model_id, prompt_id, dataset_id);
    const setJob = (assignments: string) =>
      t.query(
        `UPDATE modelpromptstatus SET ${assignments}
          WHERE model_id = $1 AND prompt_id = $2 AND dataset_id = $3`,
        [model_id, prompt_id, dataset_id],
      );
    await setJob('max_tokens = 30');
    const ids = await rowIds(dataset_id);
    const store = (row: number, cached: boolean) =>
      t.query(
        `INSERT INTO predictions (row_id, model_id, prompt_id, dataset_id, prediction, prediction_time,
                                  status, prompt_tokens, completion_tokens, cached)
         VALUES ($1, $2, $3, $4, 'out', 0.01, 'success', 10, 10, $5)`,
        [row, model_id, prompt_id, dataset_id, cached],
      );
    const state = async () =>
      (
        await t.query<{ status: string; paused_reason: string | null; spent_tokens: number }>(
          `SELECT status, paused_reason, spent_tokens FROM modelpromptstatus
            WHERE model_id = $1 AND prompt_id = $2 AND dataset_id = $3`,
          [model_id, prompt_id, dataset_id],
        )
      )[0];

    await store(ids[0]!, false);
    expect(await state()).toMatchObject({ status: 'running', spent_tokens: 20 });
    await store(ids[1]!, true); // a hit: its tokens were paid for by the call that stored it
    expect(await state()).toMatchObject({ status: 'running', spent_tokens: 20 });
    await store(ids[2]!, false);
    expect(await state()).toMatchObject({ status: 'paused', paused_reason: 'budget' });

    // Resumed under a higher budget, then lowered below the spend: a hit does not pause
    // the job, its next claim does (and takes nothing).
    await setJob(`max_tokens = 100, status = 'running'`);
    await setJob('max_tokens = 10');
    await store(ids[3]!, true);
    expect(await state()).toMatchObject({ status: 'running', spent_tokens: 40 });
    const [claim] = await t.query<{ allowed: number }>(
      'SELECT claim_allowance($1, $2, $3, 5) AS allowed',
      [model_id, prompt_id, dataset_id],
    );
    expect(claim!.allowed).toBe(0);
    expect(await state()).toMatchObject({ status: 'paused', paused_reason: 'budget' });
  });

  it('counts the stored verdicts: passed as correct, no verdict as ungraded, failures as neither', async () => {
    const dataset_id = await newDataset(5);
    const { model_id, prompt_id } = await newModelAndPrompt();
    const key = { model_id, prompt_id, dataset_id };
    await launch(model_id, prompt_id, dataset_id);
    const ids = await rowIds(dataset_id);
    await storeVerdicts(key, ids.slice(0, 4), [true, false, null, true]);
    await predict(key, [ids[4]!], 'failed', () => '');
    expect(await job(model_id, prompt_id, dataset_id)).toMatchObject({
      status: 'done',
      count: 5,
      failed: 1,
      correct: 2,
      ungraded: 1,
    });
    // A verdict on a failed call is refused: only successful predictions are graded.
    await expect(
      t.query(`UPDATE predictions SET passed = true WHERE row_id = $1 AND model_id = $2`, [
        ids[4],
        model_id,
      ]),
    ).rejects.toThrow(/predictions_verdict_of_success_check/);
  });

  it('finds the job through the row when a prediction carries no dataset_id', async () => {
    const dataset_id = await newDataset(2);
    const { model_id, prompt_id } = await newModelAndPrompt();
    await launch(model_id, prompt_id, dataset_id);
    const ids = await rowIds(dataset_id);
    await t.query(
      `INSERT INTO predictions (row_id, model_id, prompt_id, prediction, prediction_time, status)
       SELECT r, $2, $3, 'label-1', 0.2, 'success' FROM unnest($1::int[]) r`,
      [ids, model_id, prompt_id],
    );
    expect(await job(model_id, prompt_id, dataset_id)).toMatchObject({
      status: 'done',
      count: 2,
      correct: 0,
      ungraded: 2, // stored without a verdict
    });
  });
});

describe('after_delete_model_prompt_status (cancel)', () => {
  it("removes only the deleted job's status rows", async () => {
    const dataset_id = await newDataset(30);
    const other_dataset_id = await newDataset(7);
    const a = await newModelAndPrompt();
    const b = await newModelAndPrompt();
    await launch(a.model_id, a.prompt_id, dataset_id);
    await launch(b.model_id, b.prompt_id, dataset_id); // sibling on the same dataset
    await launch(a.model_id, a.prompt_id, other_dataset_id); // same model and prompt, other dataset

    const before = await statusCounts();
    await t.query(
      'DELETE FROM modelpromptstatus WHERE model_id = $1 AND prompt_id = $2 AND dataset_id = $3',
      [a.model_id, a.prompt_id, dataset_id],
    );
    const after = await statusCounts();

    expect(before.get(`${a.model_id}/${a.prompt_id}/${dataset_id}`)).toBe(30);
    expect(after.has(`${a.model_id}/${a.prompt_id}/${dataset_id}`)).toBe(false);
    expect(after.get(`${b.model_id}/${b.prompt_id}/${dataset_id}`)).toBe(30);
    expect(after.get(`${a.model_id}/${a.prompt_id}/${other_dataset_id}`)).toBe(7);
    expect([...after.values()].reduce((x, y) => x + y, 0)).toBe(
      [...before.values()].reduce((x, y) => x + y, 0) - 30,
    );
  });

  it('lets the same job be launched again from zero after a cancel', async () => {
    const dataset_id = await newDataset(3);
    const { model_id, prompt_id } = await newModelAndPrompt();
    const key = { model_id, prompt_id, dataset_id };
    await launch(model_id, prompt_id, dataset_id);
    await predict(key, await rowIds(dataset_id));
    expect((await job(model_id, prompt_id, dataset_id)).status).toBe('done');

    // A cancel, as the API does it: the job (its status rows go by trigger) and its
    // predictions, in one transaction.
    const client = await t.pool.connect();
    try {
      await client.query('BEGIN');
      const where = 'WHERE model_id = $1 AND prompt_id = $2 AND dataset_id = $3';
      await client.query(`DELETE FROM predictions ${where}`, [model_id, prompt_id, dataset_id]);
      await client.query(`DELETE FROM modelpromptstatus ${where}`, [
        model_id,
        prompt_id,
        dataset_id,
      ]);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    await launch(model_id, prompt_id, dataset_id);
    expect(await job(model_id, prompt_id, dataset_id)).toMatchObject({
      status: 'pending',
      count: 0,
      total: 3,
    });
  });

  async function statusCounts(): Promise<Map<string, number>> {
    const rows = await t.query<{ k: string; n: number }>(
      `SELECT model_id || '/' || prompt_id || '/' || dataset_id AS k, count(*)::int AS n
       FROM predictionstatus GROUP BY 1`,
    );
    return new Map(rows.map((r) => [r.k, r.n]));
  }
});

describe('before_update_prediction_status (heartbeat)', () => {
  let key: { model_id: number; prompt_id: number; dataset_id: number };
  let row_id: number;

  beforeEach(async () => {
    const dataset_id = await newDataset(1);
    key = { ...(await newModelAndPrompt()), dataset_id };
    await launch(key.model_id, key.prompt_id, dataset_id);
    row_id = (await rowIds(dataset_id))[0]!;
  });

  async function stamp(): Promise<number> {
    const [row] = await t.query<{ in_progress_time: Date | null }>(
      'SELECT in_progress_time FROM predictionstatus WHERE row_id = $1 AND model_id = $2 AND prompt_id = $3',
      [row_id, key.model_id, key.prompt_id],
    );
    return row!.in_progress_time?.getTime() ?? Number.NaN;
  }

  async function setStatus(status: string, extra = ''): Promise<void> {
    await t.query(
      `UPDATE predictionstatus SET status = $4 ${extra} WHERE row_id = $1 AND model_id = $2 AND prompt_id = $3`,
      [row_id, key.model_id, key.prompt_id, status],
    );
  }

  it('stamps in_progress_time when a row becomes in_progress', async () => {
    expect(Number.isNaN(await stamp())).toBe(true);
    const before = Date.now();
    await setStatus('in_progress');
    expect(await stamp()).toBeGreaterThanOrEqual(before - 1000);
  });

  it('re-stamps on every update that keeps the row in_progress (a heartbeat)', async () => {
    await setStatus('in_progress');
    const first = await stamp();
    await new Promise((resolve) => setTimeout(resolve, 30));
    await setStatus('in_progress');
    const second = await stamp();
    expect(second).toBeGreaterThan(first);

    // Even an explicit old time is overwritten: a heartbeat cannot be backdated.
    await setStatus('in_progress', `, in_progress_time = '2000-01-01'`);
    expect(await stamp()).toBeGreaterThanOrEqual(second);
  });

  it('leaves the stamp alone when the row leaves in_progress', async () => {
    await setStatus('in_progress');
    const claimed = await stamp();
    await new Promise((resolve) => setTimeout(resolve, 30));
    await setStatus('done');
    expect(await stamp()).toBe(claimed);
  });
});

describe('status_update_log', () => {
  it('gets one row per job status transition, in order', async () => {
    const dataset_id = await newDataset(4);
    const { model_id, prompt_id } = await newModelAndPrompt();
    const key = { model_id, prompt_id, dataset_id };
    await launch(model_id, prompt_id, dataset_id);
    const ids = await rowIds(dataset_id);
    await predict(key, ids.slice(0, 1));
    await predict(key, ids.slice(1, 2));
    await predict(key, ids.slice(2));
    // A status write that changes nothing is not a transition.
    await t.query(
      `UPDATE modelpromptstatus SET status = 'done' WHERE model_id = $1 AND prompt_id = $2`,
      [model_id, prompt_id],
    );

    const log = await t.query<{ previous_status: string | null; status: string }>(
      `SELECT previous_status, status FROM status_update_log
       WHERE model_id = $1 AND prompt_id = $2 AND dataset_id = $3 ORDER BY id`,
      [model_id, prompt_id, dataset_id],
    );
    expect(log).toEqual([
      { previous_status: null, status: 'pending' },
      { previous_status: 'pending', status: 'running' },
      { previous_status: 'running', status: 'done' },
    ]);
  });

  it('logs the launch of an empty job before its immediate finish', async () => {
    const dataset_id = await newDataset(0);
    const { model_id, prompt_id } = await newModelAndPrompt();
    await launch(model_id, prompt_id, dataset_id);
    const log = await t.query<{ status: string }>(
      'SELECT status FROM status_update_log WHERE model_id = $1 AND prompt_id = $2 ORDER BY id',
      [model_id, prompt_id],
    );
    expect(log.map((r) => r.status)).toEqual(['pending', 'done']);
  });
});

describe('predictions_after_delete (retry, cancel, any delete)', () => {
  it('counts deleted predictions out in one statement, and their rows go back to pending', async () => {
    const dataset_id = await newDataset(6);
    const { model_id, prompt_id } = await newModelAndPrompt();
    const key = { model_id, prompt_id, dataset_id };
    await launch(model_id, prompt_id, dataset_id);
    const ids = await rowIds(dataset_id);
    await storeVerdicts(key, ids.slice(0, 3), [true, false, null]);
    await predict(key, ids.slice(3), 'failed', () => '');
    await t.query(`UPDATE predictionstatus SET status = 'done' WHERE model_id = $1`, [model_id]);
    expect((await job(model_id, prompt_id, dataset_id)).status).toBe('done');

    // A retry of the failed rows: nothing but a DELETE.
    await t.query(`DELETE FROM predictions WHERE model_id = $1 AND status = 'failed'`, [model_id]);
    const retried = await job(model_id, prompt_id, dataset_id);
    expect(retried).toMatchObject({
      status: 'running',
      count: 3,
      failed: 0,
      correct: 1,
      ungraded: 1,
      finished_at: null,
    });
    const statuses = await t.query<{ row_id: number; status: string }>(
      `SELECT row_id, status FROM predictionstatus WHERE model_id = $1 ORDER BY row_id`,
      [model_id],
    );
    expect(statuses.map((s) => s.status)).toEqual([
      'done',
      'done',
      'done',
      'pending',
      'pending',
      'pending',
    ]);

    // Any other delete is counted too, passed and ungraded alike.
    await t.query(`DELETE FROM predictions WHERE model_id = $1`, [model_id]);
    expect(await job(model_id, prompt_id, dataset_id)).toMatchObject({
      count: 0,
      failed: 0,
      correct: 0,
      ungraded: 0,
      status: 'running',
    });
  });

  it('moves nothing when the job was deleted first (a cancel)', async () => {
    const dataset_id = await newDataset(3);
    const a = await newModelAndPrompt();
    const b = await newModelAndPrompt();
    await launch(a.model_id, a.prompt_id, dataset_id);
    await launch(b.model_id, b.prompt_id, dataset_id);
    const ids = await rowIds(dataset_id);
    await storeVerdicts({ ...a, dataset_id }, ids, [true, true, false]);
    await storeVerdicts({ ...b, dataset_id }, ids, [true, false, false]);
    await t.query(`DELETE FROM modelpromptstatus WHERE model_id = $1`, [a.model_id]);
    await t.query(`DELETE FROM predictions WHERE model_id = $1`, [a.model_id]);
    expect(await job(b.model_id, b.prompt_id, dataset_id)).toMatchObject({
      status: 'done',
      count: 3,
      correct: 1,
    });
  });
});

describe('predictions_after_update and a regrade', () => {
  it('starts a regrade when grading_version is bumped, and counts each new verdict exactly', async () => {
    const dataset_id = await newDataset(5);
    const { model_id, prompt_id } = await newModelAndPrompt();
    const key = { model_id, prompt_id, dataset_id };
    await launch(model_id, prompt_id, dataset_id);
    const ids = await rowIds(dataset_id);
    await storeVerdicts(key, ids.slice(0, 4), [true, false, null, false]);
    await predict(key, [ids[4]!], 'failed', () => '');

    await t.query(
      `UPDATE modelpromptstatus SET grading_version = grading_version + 1 WHERE model_id = $1`,
      [model_id],
    );
    expect(await job(model_id, prompt_id, dataset_id)).toMatchObject({
      regrade_remaining: 4, // every successful prediction, none of the failed
      correct: 1,
      ungraded: 1,
    });

    // A regrade batch: two new verdicts under version 1.
    await t.query(
      `UPDATE predictions SET passed = true, score = 1, grading_version = 1
        WHERE model_id = $1 AND row_id = ANY($2::int[])`,
      [model_id, ids.slice(1, 3)],
    );
    expect(await job(model_id, prompt_id, dataset_id)).toMatchObject({
      regrade_remaining: 2,
      correct: 3,
      ungraded: 0,
      count: 5,
      status: 'done',
    });
    // Regrading a row twice, or to the same verdict, changes nothing.
    await t.query(
      `UPDATE predictions SET passed = true, grading_version = 1
        WHERE model_id = $1 AND row_id = $2`,
      [model_id, ids[1]],
    );
    await t.query(
      `UPDATE predictions SET passed = false, grading_version = 1
        WHERE model_id = $1 AND row_id = ANY($2::int[])`,
      [model_id, [ids[0], ids[3]]],
    );
    expect(await job(model_id, prompt_id, dataset_id)).toMatchObject({
      regrade_remaining: 0,
      correct: 2,
      ungraded: 0,
    });
    // A prediction stored under an old version after the bump is still to be regraded.
    const [counted] = await t.query<{ passed: number; n: number }>(
      `SELECT count(*) FILTER (WHERE passed)::int AS passed, count(*)::int AS n FROM predictions
        WHERE model_id = $1 AND status = 'success'`,
      [model_id],
    );
    expect(counted).toEqual({ passed: 2, n: 4 });
  });

  it('leaves the job row alone when an update changes nothing it counts', async () => {
    const dataset_id = await newDataset(2);
    const { model_id, prompt_id } = await newModelAndPrompt();
    const key = { model_id, prompt_id, dataset_id };
    await launch(model_id, prompt_id, dataset_id);
    await storeVerdicts(key, await rowIds(dataset_id), [true, null]);
    const before = await t.query<{ updated_at: Date }>(
      'SELECT updated_at FROM modelpromptstatus WHERE model_id = $1',
      [model_id],
    );
    await t.query(`UPDATE predictions SET grading = '[]' WHERE model_id = $1`, [model_id]);
    const after = await t.query<{ updated_at: Date }>(
      'SELECT updated_at FROM modelpromptstatus WHERE model_id = $1',
      [model_id],
    );
    expect(after).toEqual(before);
  });

  it('counts predictions stored under an older version after a regrade started', async () => {
    const dataset_id = await newDataset(3);
    const { model_id, prompt_id } = await newModelAndPrompt();
    const key = { model_id, prompt_id, dataset_id };
    await launch(model_id, prompt_id, dataset_id);
    const ids = await rowIds(dataset_id);
    await storeVerdicts(key, [ids[0]!], [true]);
    await t.query(`UPDATE modelpromptstatus SET grading_version = 1 WHERE model_id = $1`, [
      model_id,
    ]);
    // One made by a worker that still graded under version 0, one under version 1.
    await storeVerdicts(key, [ids[1]!], [false], 0);
    await storeVerdicts(key, [ids[2]!], [false], 1);
    expect(await job(model_id, prompt_id, dataset_id)).toMatchObject({
      regrade_remaining: 2,
      count: 3,
      status: 'done',
    });
  });
});

describe('after_claim_prediction_status (job start)', () => {
  it('makes a pending job running at its first claim, whoever claims', async () => {
    const dataset_id = await newDataset(3);
    const { model_id, prompt_id } = await newModelAndPrompt();
    await launch(model_id, prompt_id, dataset_id);
    const ids = await rowIds(dataset_id);
    await t.query(
      `UPDATE predictionstatus SET status = 'in_progress' WHERE model_id = $1 AND row_id = $2`,
      [model_id, ids[0]],
    );
    const started = await job(model_id, prompt_id, dataset_id);
    expect(started.status).toBe('running');
    expect(started.started_at).not.toBeNull();
    await t.query(`UPDATE predictionstatus SET status = 'in_progress' WHERE model_id = $1`, [
      model_id,
    ]);
    const log = await t.query<{ status: string }>(
      'SELECT status FROM status_update_log WHERE model_id = $1 ORDER BY id',
      [model_id],
    );
    expect(log.map((r) => r.status)).toEqual(['pending', 'running']);
  });

  it('starts every pending job one statement claims rows of, and no job whose rows go elsewhere', async () => {
    const dataset_id = await newDataset(2);
    const first = await newModelAndPrompt();
    const second = await newModelAndPrompt();
    const untouched = await newModelAndPrompt();
    for (const key of [first, second, untouched]) {
      await launch(key.model_id, key.prompt_id, dataset_id);
    }
    await t.query(
      `UPDATE predictionstatus SET status = 'in_progress' WHERE model_id = ANY($1::int[])`,
      [[first.model_id, second.model_id]],
    );
    // Rows of the third job handed back (a release) do not start it.
    await t.query(`UPDATE predictionstatus SET status = 'pending' WHERE model_id = $1`, [
      untouched.model_id,
    ]);
    const statuses = await Promise.all(
      [first, second, untouched].map(
        async (key) => (await job(key.model_id, key.prompt_id, dataset_id)).status,
      ),
    );
    expect(statuses).toEqual(['running', 'running', 'pending']);
  });
});
