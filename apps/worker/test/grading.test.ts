import { describe, expect, it } from 'vitest';
import type { JobKey } from '@evalq/core';
import { startFakeOpenAIServer } from '@evalq/testing';
import {
  createJob,
  createModel,
  expectExactlyOnce,
  jobState,
  launchJob,
  useWorkerTestBed,
  waitFor,
  waitForJobDone,
} from './support.js';

// Grading in real worker processes: each output graded right after its call and stored
// with its verdict; judge models called like candidates; regrades without the candidate.

/** The fake candidate: right ("The answer is 2i") on even rows, off by one on odd rows. */
function candidateAnswer(prompt: string): string {
  const i = Number(/What is (\d+) \+/.exec(prompt)?.[1]);
  return `The answer is ${i % 2 === 0 ? 2 * i : 2 * i + 1}.`;
}

/** The fake judge: "correct" when the answer it is shown is even. */
function judgeAnswer(prompt: string): string {
  const n = Number(/Answer: The answer is (\d+)/.exec(prompt)?.[1]);
  return n % 2 === 0 ? 'Correct' : 'wrong';
}

const bed = useWorkerTestBed('grading', async () => ({
  candidate: await startFakeOpenAIServer({ respond: candidateAnswer }),
  judge: await startFakeOpenAIServer({ respond: judgeAnswer, record: true }),
}));

const predictionsOf = (key: JobKey) =>
  bed.t.query<{
    row_id: number;
    prediction: string;
    passed: boolean | null;
    score: number | null;
    grading: any[];
    grading_version: number;
  }>(
    `SELECT row_id, prediction, passed, score, grading, grading_version FROM predictions
      WHERE model_id = $1 AND prompt_id = $2 AND dataset_id = $3 ORDER BY row_id`,
    [key.model_id, key.prompt_id, key.dataset_id],
  );

/**
 * The job's counters and the same counts recomputed from the stored verdicts, read in
 * one statement (one snapshot), so they can be compared while workers write.
 */
async function countedVerdicts(key: JobKey) {
  const [row] = await bed.t.query<{
    correct: number;
    remaining: number;
    passed: number;
    ungraded: number;
    stale: number;
  }>(
    `SELECT min(j.correct)::int AS correct, min(j.regrade_remaining)::int AS remaining,
            count(*) FILTER (WHERE p.passed)::int AS passed,
            count(*) FILTER (WHERE p.status = 'success' AND p.passed IS NULL)::int AS ungraded,
            count(*) FILTER (WHERE p.status = 'success' AND p.grading_version < j.grading_version)::int AS stale
       FROM predictions p JOIN modelpromptstatus j
         ON j.model_id = p.model_id AND j.prompt_id = p.prompt_id AND j.dataset_id = p.dataset_id
      WHERE p.model_id = $1 AND p.prompt_id = $2 AND p.dataset_id = $3`,
    [key.model_id, key.prompt_id, key.dataset_id],
  );
  return row!;
}

async function judgeModel(config: Record<string, unknown> = {}): Promise<number> {
  return createModel(bed.t, {
    name: 'judge',
    config: { base_url: bed.servers.judge.url, ...config },
  });
}

describe('grading at the call', () => {
  it('stores each output with its verdict, score and grading, and counts the verdicts', async () => {
    const rows = 60;
    const key = await createJob(bed.t, bed.servers.candidate.url, rows);
    const worker = await bed.startWorker('grader');
    await launchJob(bed.t, key, bed.prefix, {
      assertions: [
        { type: 'number' },
        { type: 'icontains', value: 'answer' },
        { type: 'latency', value: 30, weight: 0 },
      ],
    });
    await waitForJobDone(bed.t, key, 30_000, () => worker.describe());
    await expectExactlyOnce(bed.t, key, rows);

    const stored = await predictionsOf(key);
    // The candidate is right on the rows with an even i (createDataset: "What is i + i?").
    const rights = stored.filter((p) => p.passed).length;
    expect(rights).toBe(rows / 2);
    const wrong = stored.find((p) => p.passed === false)!;
    expect(wrong.score).toBeCloseTo(1 / 2, 15); // number fails, icontains passes; latency has weight 0
    expect(wrong.grading.map((g: { type: string; pass: boolean }) => [g.type, g.pass])).toEqual([
      ['number', false],
      ['icontains', true],
      ['latency', true],
    ]);
    expect(await jobState(bed.t, key)).toMatchObject({ correct: rows / 2, ungraded: 0, failed: 0 });
    expect(await worker.stop()).toEqual({ code: 0, signal: null });
  });
});

describe('llm-judge', () => {
  it("calls the judge under its own limits with the row's variables, records its tokens, and counts its verdicts", async () => {
    const rows = 40;
    const judge = await judgeModel({ max_concurrency: 2 });
    bed.servers.judge.configure({ latencyMs: 20, failWith: undefined });
    bed.servers.judge.reset();
    const key = await createJob(bed.t, bed.servers.candidate.url, rows);
    // Each row's input holds a nested variable the rubric (not the prompt) uses.
    await bed.t.query(
      `UPDATE rows SET input = jsonb_build_object('meta', jsonb_build_object('topic', 'topic of ' || content))
        WHERE dataset_id = $1`,
      [key.dataset_id],
    );
    const worker = await bed.startWorker('judged', { WORKER_CONCURRENCY: 16 });
    await launchJob(bed.t, key, bed.prefix, {
      assertions: [
        {
          type: 'llm-judge',
          model_id: judge,
          rubric:
            'Topic: {{ meta.topic }}\nQuestion: {{content}}\nAnswer: {{output}}\nIs the answer right?',
          labels: ['correct', 'wrong'],
          pass_labels: ['correct'],
        },
      ],
    });
    await waitForJobDone(bed.t, key, 30_000, () => worker.describe());
    expect(bed.servers.judge.requestCount).toBe(rows);
    expect(bed.servers.judge.peakInFlight).toBeLessThanOrEqual(2);
    const asked = bed.servers.judge.requests[0]!;
    expect(asked.model).toBe('judge');
    expect(asked.prompt).toMatch(
      /^Topic: topic of What is \d+ \+ \d+\?\nQuestion: What is \d+ \+ \d+\?\nAnswer: The answer is \d+\.\nIs the answer right\?\n\nAnswer with exactly one of these labels/,
    );
    // Each judge call carries its own row's variables (the topic names the same question).
    for (const request of bed.servers.judge.requests) {
      expect(request.prompt).toMatch(/^Topic: topic of (What is \d+ \+ \d+\?)\nQuestion: \1\n/);
    }

    const stored = await predictionsOf(key);
    expect(stored.filter((p) => p.passed).length).toBe(rows / 2);
    expect(stored[0]!.grading[0]).toMatchObject({
      type: 'llm-judge',
      model_id: judge,
      prompt_tokens: expect.any(Number),
      completion_tokens: expect.any(Number),
    });
    expect(await jobState(bed.t, key)).toMatchObject({ correct: rows / 2, ungraded: 0 });
    expect(await worker.stop()).toEqual({ code: 0, signal: null });
  });

  it('a failing judge leaves the predictions stored and ungraded; a regrade grades them later', async () => {
    const rows = 20;
    const judge = await judgeModel({ max_retries: 1 });
    bed.servers.judge.configure({ latencyMs: 0, failWith: 500 });
    const key = await createJob(bed.t, bed.servers.candidate.url, rows);
    const worker = await bed.startWorker('judge-down');
    await launchJob(bed.t, key, bed.prefix, {
      assertions: [
        {
          type: 'llm-judge',
          model_id: judge,
          rubric: 'Answer: {{output}}',
          labels: ['correct', 'wrong'],
          pass_labels: ['correct'],
        },
      ],
    });
    await waitForJobDone(bed.t, key, 30_000, () => worker.describe());
    await expectExactlyOnce(bed.t, key, rows);
    const stored = await predictionsOf(key);
    expect(
      stored.every((p) => p.passed === null && /^The answer is \d+\.$/.test(p.prediction)),
    ).toBe(true);
    expect(stored[0]!.grading[0].error).toMatch(/^judge model \d+ failed: server \(HTTP 500\)/);
    expect(await jobState(bed.t, key)).toMatchObject({
      status: 'done',
      correct: 0,
      ungraded: rows,
      failed: 0,
    });

    bed.servers.judge.configure({ failWith: undefined });
    const candidateCalls = bed.servers.candidate.requestCount;
    await bed.t.query(
      `UPDATE modelpromptstatus SET grading_version = grading_version + 1
        WHERE model_id = $1 AND prompt_id = $2 AND dataset_id = $3`,
      [key.model_id, key.prompt_id, key.dataset_id],
    );
    await waitFor(async () => (await jobState(bed.t, key)).regrade_remaining === 0, {
      timeoutMs: 30_000,
      describe: () => worker.describe(),
    });
    expect(await jobState(bed.t, key)).toMatchObject({ correct: rows / 2, ungraded: 0 });
    expect(bed.servers.candidate.requestCount).toBe(candidateCalls); // the candidate is not called again
    expect(await worker.stop()).toEqual({ code: 0, signal: null });
  });
});

describe('a regrade', () => {
  it('ends with counters that match the verdicts exactly, although a worker is killed mid-regrade', async () => {
    const rows = 20_000;
    const key = await createJob(bed.t, bed.servers.candidate.url, rows);
    await launchJob(bed.t, key, undefined);
    // Predictions as a finished job has them, graded by equals (none passed): the right
    // number on even row ids, no number on odd ones.
    await bed.t.query(
      `INSERT INTO predictions (row_id, model_id, prompt_id, dataset_id, prediction, prediction_time,
                                status, passed, score, grading)
       SELECT r.row_id, $1, $2, $3,
              CASE WHEN r.row_id % 2 = 0 THEN 'The answer is ' || r.expected_prediction ELSE 'no idea' END,
              0.1, 'success', false, 0, '[]'
         FROM rows r WHERE r.dataset_id = $3`,
      [key.model_id, key.prompt_id, key.dataset_id],
    );
    const [{ even } = { even: -1 }] = await bed.t.query<{ even: number }>(
      'SELECT count(*)::int AS even FROM rows WHERE dataset_id = $1 AND row_id % 2 = 0',
      [key.dataset_id],
    );
    await bed.t.query(`UPDATE predictionstatus SET status = 'done' WHERE model_id = $1`, [
      key.model_id,
    ]);
    expect(await jobState(bed.t, key)).toMatchObject({ status: 'done', correct: 0, count: rows });

    // The regrade, as POST …/regrade stores it: contains the expected number.
    await bed.t.query(
      `UPDATE modelpromptstatus
          SET assertions = $4, grading_version = grading_version + 1
        WHERE model_id = $1 AND prompt_id = $2 AND dataset_id = $3`,
      [
        key.model_id,
        key.prompt_id,
        key.dataset_id,
        JSON.stringify([{ type: 'contains' }, { type: 'regex', value: '^The answer is \\d+$' }]),
      ],
    );
    const batch = { REGRADE_BATCH_SIZE: 100, REGRADE_IDLE_MS: 50 };
    const victim = await bed.startWorker('regrade-victim', batch);
    const survivor = await bed.startWorker('regrade-survivor', batch);
    await waitFor(async () => (await jobState(bed.t, key)).regrade_remaining < rows - 2_000, {
      timeoutMs: 30_000,
      intervalMs: 10,
    });
    expect(await victim.kill()).toMatchObject({ signal: 'SIGKILL' });
    // At any moment, mid-regrade too, the counters are those of the stored verdicts.
    const midway = await countedVerdicts(key);
    expect(midway.remaining).toBeGreaterThan(0);
    expect(midway.correct).toBeGreaterThan(0);
    expect({ correct: midway.correct, remaining: midway.remaining }).toEqual({
      correct: midway.passed,
      remaining: midway.stale,
    });

    await waitFor(async () => (await jobState(bed.t, key)).regrade_remaining === 0, {
      timeoutMs: 60_000,
      describe: () => survivor.describe(),
    });
    const counted = await countedVerdicts(key);
    expect(counted).toEqual({ correct: even, remaining: 0, passed: even, ungraded: 0, stale: 0 });
    expect(await jobState(bed.t, key)).toMatchObject({
      correct: even,
      ungraded: 0,
      status: 'done',
    });
    const versions = await bed.t.query<{ v: number; n: number }>(
      `SELECT grading_version AS v, count(*)::int AS n FROM predictions WHERE model_id = $1 GROUP BY 1`,
      [key.model_id],
    );
    expect(versions).toEqual([{ v: 1, n: rows }]);
    expect(await survivor.stop()).toEqual({ code: 0, signal: null });
  });
});
