import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freePort, type JobKey } from '@evalq/core';
import { startFakeOpenAIServer } from '@evalq/testing';
import {
  createDataset,
  createJob,
  createPrompt,
  expectExactlyOnce,
  jobState,
  launchJob,
  useWorkerTestBed,
  waitFor,
  waitForJobDone,
} from './support.js';

// Provider batch mode (docs/batch.md) with real worker processes against the fake
// server's Batch API, through the official openai SDK.

/** The right answer to "What is i + i?", so grading has something to count. */
const sum = (prompt: string): string => {
  const match = /What is (\d+) \+ (\d+)\?/.exec(prompt);
  return match ? String(Number(match[1]) + Number(match[2])) : 'no idea';
};

const bed = useWorkerTestBed('batch-mode', async () => ({
  server: await startFakeOpenAIServer({ respond: sum }),
  judge: await startFakeOpenAIServer({ respond: () => 'Correct' }),
}));

const QUIET = {
  batchDelayMs: 200,
  batchOutcome: 'completed',
  batchLineFails: () => false,
  uploadStallMs: 0,
  uploadDelayMs: 0,
  createDelayMs: 0,
  latencyMs: 0,
} as const;

beforeEach(() => {
  bed.servers.server.reset();
  bed.servers.server.configure(QUIET);
});

afterEach(async () => {
  // Each test's workers end with it, so the next test's batches are its own.
  for (const worker of bed.workers.splice(0)) await worker.kill();
});

interface StoredBatch {
  uid: string;
  state: string;
  provider_batch_id: string | null;
  input_file_id: string | null;
}

const batchesOf = (key: JobKey) =>
  bed.t.query<StoredBatch>(
    `SELECT uid, state, provider_batch_id, input_file_id FROM provider_batches
      WHERE model_id = $1 AND prompt_id = $2 AND dataset_id = $3 ORDER BY batch_key`,
    [key.model_id, key.prompt_id, key.dataset_id],
  );

/** The batches' last step (files deleted, state done) follows the job's last prediction. */
const untilBatchesDone = (key: JobKey, describe: () => string) =>
  waitFor(async () => (await batchesOf(key)).every((batch) => batch.state === 'done'), {
    timeoutMs: 10_000,
    intervalMs: 20,
    describe,
  });

const batchFiles = () => bed.servers.server.files.filter((file) => file.purpose === 'batch');

/**
 * Launches a batch job of `rows` rows with a victim worker, kills it (SIGKILL) once
 * `atStep` holds, then lets a survivor finish the job. Returns the job and the survivor.
 */
async function killAt(
  label: string,
  rows: number,
  atStep: () => Promise<boolean> | boolean,
  grading?: Parameters<typeof launchJob>[3],
  perFile = 100,
) {
  const key = await batchJob(rows, perFile);
  const victim = await bed.startWorker(`${label}-victim`, BATCH_ENV);
  await launchJob(bed.t, key, bed.queuePrefix, grading);
  await waitFor(atStep, { timeoutMs: 20_000, intervalMs: 10, describe: () => victim.describe() });
  expect(await victim.kill()).toMatchObject({ signal: 'SIGKILL' });
  bed.servers.server.configure({ uploadStallMs: 0, uploadDelayMs: 0, createDelayMs: 0 });
  const survivor = await bed.startWorker(`${label}-survivor`, BATCH_ENV);
  await waitForJobDone(bed.t, key, 40_000, () => survivor.describe());
  await expectExactlyOnce(bed.t, key, rows);
  await untilBatchesDone(key, () => survivor.describe());
  return { key, survivor };
}

const BATCH_ENV = { BATCH_POLL_MS: 100 };

async function batchJob(rows: number, perFile = 50): Promise<JobKey> {
  return createJob(bed.t, bed.servers.server.url, rows, {
    model: { library: 'openai', config: { dispatch: 'batch', batch_max_requests: perFile } },
  });
}

const rowOf = (customId: string): number => Number(customId.split('.')[0]);

describe('a job of a batch-dispatch model', () => {
  it('goes through provider batches within the file limit; error lines are called online; each row stored once and graded', async () => {
    const server = bed.servers.server;
    server.configure({ batchDelayMs: 300, batchLineFails: (id) => rowOf(id) % 10 === 3 });
    const rows = 120;
    const key = await batchJob(rows);
    const metricsPort = await freePort();
    const worker = await bed.startWorker('batch-a', { ...BATCH_ENV, METRICS_PORT: metricsPort });
    await launchJob(bed.t, key, bed.queuePrefix);

    await waitForJobDone(bed.t, key, 30_000, () => worker.describe());
    await expectExactlyOnce(bed.t, key, rows);
    await untilBatchesDone(key, () => worker.describe());
    // 120 rows, 50 per file: three batches, each created once.
    expect(server.batches.map((b) => b.request_counts.total).sort()).toEqual([20, 50, 50]);
    expect(server.files.filter((f) => f.purpose === 'batch')).toHaveLength(3);
    // No worker died: nobody had to search the provider for an upload or a batch.
    expect(server.batchListings).toEqual({ files: 0, batches: 0 });
    // Rows 3, 13, …: their lines failed and they were called online, once each.
    const online = server.requests.map((r) => r.prompt);
    const failedRows = await bed.t.query<{ row_id: number }>(
      `SELECT row_id FROM rows WHERE dataset_id = $1 AND row_id % 10 = 3`,
      [key.dataset_id],
    );
    expect(online).toHaveLength(failedRows.length);
    // Their batch line counts as a call: two attempts each, one for every other row.
    const attempts = await bed.t.query<{ attempts: number; n: number }>(
      `SELECT attempts, count(*)::int AS n FROM predictions WHERE model_id = $1
        GROUP BY attempts ORDER BY attempts`,
      [key.model_id],
    );
    expect(attempts).toEqual([
      { attempts: 1, n: rows - failedRows.length },
      { attempts: 2, n: failedRows.length },
    ]);
    expect(await jobState(bed.t, key)).toMatchObject({ correct: rows, failed: 0 });
    const stored = await bed.t.query<{ state: string; n: number }>(
      `SELECT state, count(*)::int AS n FROM provider_batches GROUP BY state`,
    );
    expect(stored).toEqual([{ state: 'done', n: 3 }]);
    // Nothing left at the provider: each batch's input, output and error file deleted.
    expect(server.files.map((f) => [f.purpose, f.deleted === true])).toEqual(
      Array.from({ length: 9 }, () => [expect.stringMatching(/^batch/), true]),
    );
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const model = `model_id="${key.model_id}"`;
    expect(metrics).toContain(
      `evalq_worker_batch_lines_total{${model},outcome="stored"} ${rows - failedRows.length}`,
    );
    expect(metrics).toContain(
      `evalq_worker_batch_lines_total{${model},outcome="online"} ${failedRows.length}`,
    );
    expect(metrics).toContain(`evalq_worker_provider_batches_total{${model},event="created"} 3`);
    expect(metrics).toContain(`evalq_worker_provider_batches_total{${model},event="completed"} 3`);
    expect(await worker.stop()).toEqual({ code: 0, signal: null });
  });

  it('keeps each batch file within its byte limit: rows past it go into the next batch', async () => {
    const server = bed.servers.server;
    const key = await createJob(bed.t, server.url, 30, {
      model: { library: 'openai', config: { dispatch: 'batch', batch_max_bytes: 2048 } },
    });
    const worker = await bed.startWorker('bytes', BATCH_ENV);
    await launchJob(bed.t, key, bed.queuePrefix);
    await waitForJobDone(bed.t, key, 30_000, () => worker.describe());
    await expectExactlyOnce(bed.t, key, 30);
    const files = batchFiles();
    expect(files.length).toBeGreaterThan(1);
    for (const file of files) expect(Buffer.byteLength(file.content)).toBeLessThanOrEqual(2048);
    const lines = files.flatMap((file) => file.content.trim().split('\n'));
    expect(lines).toHaveLength(30);
    expect(server.requests).toHaveLength(0);
  });

  it('stores a row whose prompt cannot be rendered as failed, the same as an online call does (error kind bad_request)', async () => {
    const server = bed.servers.server;
    const rows = 12;
    const dataset_id = await createDataset(bed.t, rows);
    // Rows 3, 6, …: no input, so no {{hint}}; the others render.
    await bed.t.query(
      `UPDATE rows SET input = jsonb_build_object('hint', 'add them') WHERE dataset_id = $1 AND row_id % 3 <> 0`,
      [dataset_id],
    );
    const prompt_id = await createPrompt(
      bed.t,
      'Answer with the number only. {{content}} ({{hint}})',
    );
    const batched = await createJob(bed.t, server.url, rows, {
      model: { name: 'batched', library: 'openai', config: { dispatch: 'batch' } },
      prompt_id,
      dataset_id,
    });
    const online = await createJob(bed.t, server.url, rows, {
      model: { name: 'online', library: 'openai' },
      prompt_id,
      dataset_id,
    });
    const worker = await bed.startWorker('unrenderable', BATCH_ENV);
    await launchJob(bed.t, batched, bed.queuePrefix);
    await launchJob(bed.t, online, bed.queuePrefix);
    for (const key of [batched, online]) {
      await waitForJobDone(bed.t, key, 30_000, () => worker.describe());
      await expectExactlyOnce(bed.t, key, rows);
      expect(await jobState(bed.t, key)).toMatchObject({ failed: 4, correct: 8 });
    }
    expect(server.batches.map((b) => b.request_counts.total)).toEqual([8]);
    const failed = (key: JobKey) =>
      bed.t.query<Record<string, unknown>>(
        `SELECT row_id, status, prediction, error, error_kind, attempts, formatted_prompt,
                passed, score, grading, prompt_tokens, completion_tokens, cost_usd, cached
           FROM predictions WHERE model_id = $1 AND status = 'failed' ORDER BY row_id`,
        [key.model_id],
      );
    const fromBatch = await failed(batched);
    expect(fromBatch.map((p) => Number(p.row_id) % 3)).toEqual([0, 0, 0, 0]);
    for (const prediction of fromBatch) {
      expect(prediction).toMatchObject({
        prediction: '',
        error: expect.stringMatching(/^config: the row has no variable \{\{hint\}\}/),
        error_kind: 'bad_request',
        attempts: 0,
        passed: null,
        grading: null,
        prompt_tokens: null,
      });
    }
    expect(await failed(online)).toEqual(fromBatch);
  });

  it('sends the rows of an expired batch to online calls, each once', async () => {
    const server = bed.servers.server;
    server.configure({ batchOutcome: 'expired' });
    const key = await batchJob(30);
    const worker = await bed.startWorker('expired', BATCH_ENV);
    await launchJob(bed.t, key, bed.queuePrefix);
    await waitForJobDone(bed.t, key, 30_000, () => worker.describe());
    await expectExactlyOnce(bed.t, key, 30);
    await untilBatchesDone(key, () => worker.describe());
    expect(server.batches).toHaveLength(1);
    expect(server.requests).toHaveLength(30);
    expect(await jobState(bed.t, key)).toMatchObject({ correct: 30 });
    const [batch] = await bed.t.query<{ state: string; error: string; returned: number }>(
      `SELECT state, error, returned FROM provider_batches WHERE model_id = $1`,
      [key.model_id],
    );
    expect(batch).toEqual({ state: 'done', error: 'provider batch expired', returned: 30 });
  });
});

describe('cost and budgets of a batch job', () => {
  it('costs each stored line at the batch price by the cost rule, an error line sent online at the online price', async () => {
    const server = bed.servers.server;
    server.configure({ batchLineFails: (id) => rowOf(id) % 5 === 0 });
    const prices = { price_in_per_mtok: 3, price_out_per_mtok: 12, batch_price_factor: 0.4 };
    const key = await createJob(bed.t, server.url, 20, {
      model: { library: 'openai', config: { dispatch: 'batch', ...prices } },
    });
    const worker = await bed.startWorker('priced', BATCH_ENV);
    await launchJob(bed.t, key, bed.queuePrefix);
    await waitForJobDone(bed.t, key, 30_000, () => worker.describe());
    await expectExactlyOnce(bed.t, key, 20);
    const stored = await bed.t.query<{
      row_id: number;
      attempts: number;
      prompt_tokens: number;
      completion_tokens: number;
      cost_usd: number;
    }>(
      `SELECT row_id, attempts, prompt_tokens, completion_tokens, cost_usd FROM predictions
        WHERE model_id = $1 ORDER BY row_id`,
      [key.model_id],
    );
    let total = 0;
    for (const p of stored) {
      const online = (p.prompt_tokens * 3 + p.completion_tokens * 12) / 1e6;
      const expected = p.row_id % 5 === 0 ? online : online * 0.4;
      expect(p.cost_usd).toBeCloseTo(expected, 12);
      expect(p.attempts).toBe(p.row_id % 5 === 0 ? 2 : 1);
      total += expected;
    }
    const [job] = await bed.t.query<{ spent_usd: number }>(
      `SELECT spent_usd FROM modelpromptstatus WHERE model_id = $1`,
      [key.model_id],
    );
    expect(job!.spent_usd).toBeCloseTo(total, 12);
  });

  it('under a budget sends a probe batch first, then no more than the budget pays for, and pauses', async () => {
    const server = bed.servers.server;
    // 10 prompt tokens and 1 completion token a row: $1 online, $0.50 in a batch.
    const key = await createJob(bed.t, server.url, 40, {
      model: {
        library: 'openai',
        config: {
          dispatch: 'batch',
          max_concurrency: 5,
          price_in_per_mtok: 100_000,
          price_out_per_mtok: 0,
        },
      },
    });
    const worker = await bed.startWorker('budget', BATCH_ENV);
    await bed.t.query(
      `INSERT INTO modelpromptstatus (model_id, prompt_id, dataset_id, status, max_cost_usd)
       VALUES ($1, $2, $3, 'pending', 6)`,
      [key.model_id, key.prompt_id, key.dataset_id],
    );
    await waitFor(async () => (await jobState(bed.t, key)).status === 'paused', {
      timeoutMs: 30_000,
      describe: () => worker.describe(),
    });
    // The probe (5 = max_concurrency rows, $2.50) told the price; the gate then allowed
    // floor(($6 - $2.50) / $0.50) = 7 rows: $6 spent, the budget reached.
    expect(server.batches.map((b) => b.request_counts.total)).toEqual([5, 7]);
    const [job] = await bed.t.query<{
      count: number;
      spent_usd: number;
      paused_reason: string;
    }>(`SELECT count, spent_usd, paused_reason FROM modelpromptstatus WHERE model_id = $1`, [
      key.model_id,
    ]);
    expect(job).toEqual({ count: 12, spent_usd: 6, paused_reason: 'budget' });
    const [left] = await bed.t.query<{ pending: number; held: number }>(
      `SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending,
              count(*) FILTER (WHERE status = 'in_progress')::int AS held
         FROM predictionstatus WHERE model_id = $1`,
      [key.model_id],
    );
    expect(left).toEqual({ pending: 28, held: 0 });
    expect(server.requests).toHaveLength(0);
  });
});

describe('a worker killed (SIGKILL) at each step of a batch', () => {
  it('after its rows were assigned, before the upload arrived: the survivor uploads the same batch once', async () => {
    // The upload is held by the server and dropped when its sender dies.
    bed.servers.server.configure({ uploadStallMs: 4_000 });
    const { key } = await killAt('assigned', 60, async () => {
      const [batch] = await bed.t.query<{ state: string }>(
        `SELECT state FROM provider_batches ORDER BY batch_key DESC LIMIT 1`,
      );
      return batch?.state === 'uploading' && batchFiles().length === 0;
    });
    const [batch, ...others] = await batchesOf(key);
    expect(others).toEqual([]);
    expect(batch!.state).toBe('done');
    expect(batchFiles().map((file) => file.filename)).toEqual([`evalq-${batch!.uid}.jsonl`]);
    expect(bed.servers.server.batches).toHaveLength(1);
  });

  it('after the upload, before its answer: the file is found by its name, not uploaded again', async () => {
    bed.servers.server.configure({ uploadDelayMs: 4_000 });
    const { key } = await killAt('uploaded', 60, () => batchFiles().length === 1);
    const [batch] = await batchesOf(key);
    expect(batchFiles()).toHaveLength(1);
    expect(batch!.input_file_id).toBe(batchFiles()[0]!.id);
    // The survivor, taking over a batch left mid-upload, looked for the file first.
    expect(bed.servers.server.batchListings.files).toBeGreaterThan(0);
    expect(bed.servers.server.batches).toHaveLength(1);
    expect(bed.servers.server.requests).toHaveLength(0);
  });

  it('right after the batch was created, before its answer: the batch is found by its tag, not created (or paid) again', async () => {
    bed.servers.server.configure({ createDelayMs: 4_000 });
    const { key } = await killAt('created', 60, () => bed.servers.server.batches.length === 1);
    const [batch, ...others] = await batchesOf(key);
    expect(others).toEqual([]);
    expect(bed.servers.server.batches).toHaveLength(1);
    expect(batch!.provider_batch_id).toBe(bed.servers.server.batches[0]!.id);
    expect(bed.servers.server.batches[0]!.metadata).toEqual({ evalq_batch: batch!.uid });
    // The survivor, taking over a batch left mid-create, looked for it by its tag first.
    expect(bed.servers.server.batchListings.batches).toBeGreaterThan(0);
    expect(bed.servers.server.requests).toHaveLength(0);
  });

  it('while ingesting the output (judge calls under way): each line stored once', async () => {
    const judge = bed.servers.judge;
    judge.configure({ latencyMs: 600 });
    const [judgeModel] = await bed.t.query<{ model_id: number }>(
      `INSERT INTO models (name, source, config) VALUES ('judge', 'openai', $1) RETURNING model_id`,
      [JSON.stringify({ base_url: judge.url })],
    );
    let key: JobKey | undefined;
    const counted = async () => (key ? (await jobState(bed.t, key)).count : 0);
    const job = await killAt(
      'ingesting',
      60,
      async () => {
        const rows = await bed.t.query<{ model_id: number; prompt_id: number; dataset_id: number }>(
          `SELECT model_id, prompt_id, dataset_id FROM provider_batches
            WHERE state = 'ingesting' ORDER BY batch_key DESC LIMIT 1`,
        );
        if (rows[0]) key = rows[0];
        const count = await counted();
        return rows.length > 0 && count >= 20 && count < 60;
      },
      {
        assertions: [
          {
            type: 'llm-judge',
            model_id: judgeModel!.model_id,
            rubric: 'Question: {{content}}\nAnswer: {{output}}\nRight?',
            labels: ['correct', 'wrong'],
            pass_labels: ['correct'],
          },
        ],
      },
      20,
    );
    expect(await jobState(bed.t, job.key)).toMatchObject({ correct: 60 });
    expect(bed.servers.server.batches).toHaveLength(3);
    judge.configure({ latencyMs: 0 });
  });
});

describe('cancelling a job mid-batch', () => {
  it('cancels its provider batch, deletes its file and stores nothing', async () => {
    const server = bed.servers.server;
    server.configure({ batchDelayMs: 60_000 });
    const key = await batchJob(40);
    const worker = await bed.startWorker('cancel', BATCH_ENV);
    await launchJob(bed.t, key, bed.queuePrefix);
    await waitFor(async () => (await batchesOf(key))[0]?.state === 'submitted', {
      timeoutMs: 20_000,
      describe: () => worker.describe(),
    });
    // What DELETE /v1/jobs/:m/:p/:d does: the job row goes, the documented trigger takes
    // its status rows.
    await bed.t.query(
      `DELETE FROM modelpromptstatus WHERE model_id = $1 AND prompt_id = $2 AND dataset_id = $3`,
      [key.model_id, key.prompt_id, key.dataset_id],
    );
    await waitFor(async () => (await batchesOf(key))[0]?.state === 'cancelled', {
      timeoutMs: 20_000,
      describe: () => worker.describe(),
    });
    expect(server.batches).toHaveLength(1);
    expect(server.batches[0]).toMatchObject({ status: 'cancelled', cancelled: true });
    // The job's prompts are not left at the provider.
    const input = server.files.find((f) => f.id === server.batches[0]!.input_file_id);
    expect(input).toMatchObject({ purpose: 'batch', deleted: true });
    expect(server.requests).toHaveLength(0);
    const [left] = await bed.t.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM predictions WHERE model_id = $1`,
      [key.model_id],
    );
    expect(left!.n).toBe(0);
  });
});
