import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  killAll,
  startWorkerProcess,
  TEST_REDIS_URL,
  type WorkerProcess,
  requireRedis,
} from '@evalq/testing';
import { runEvalq } from './support/run-evalq.js';
import { startTestApi, type TestApi } from '../../api/test/support/test-api.js';

// Every test here goes through Redis (skipped with the reason where none answers).
requireRedis();

// An operator's whole evaluation through the built `evalq` command: a real API over
// HTTP and two real worker processes that call the built-in mock model.

const ROWS = 120;

let api: TestApi;
let dir: string;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  api = await startTestApi();
  dir = await mkdtemp(join(tmpdir(), 'evalq-cli-workers-'));
  for (const label of ['worker-1', 'worker-2']) {
    workers.push(
      await startWorkerProcess({
        label,
        env: {
          DATABASE_URL: api.t.url,
          REDIS_URL: TEST_REDIS_URL,
          QUEUE_PREFIX: api.prefix,
          WORKER_CONCURRENCY: '8',
          SHUTDOWN_GRACE_SECONDS: '5',
        },
      }),
    );
  }
});
afterAll(async () => {
  await killAll(workers);
  await api?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function evalq(args: string[]) {
  return runEvalq(args, { EVALQ_API_URL: api.url }, 45_000);
}

/** Runs evalq and expects it to succeed; returns its stdout. */
async function ok(args: string[]): Promise<string> {
  const run = await evalq(args);
  expect(run.code, `evalq ${args.join(' ')}:\n${run.stdout}\n${run.stderr}`).toBe(0);
  return run.stdout;
}

const idIn = (text: string, pattern: RegExp) => Number(pattern.exec(text)?.[1]);

async function jobRows(key: { model_id: number; prompt_id: number; dataset_id: number }) {
  const [counts] = await api.t.query<{ jobs: number; status_rows: number; predictions: number }>(
    `SELECT (SELECT count(*)::int FROM modelpromptstatus
              WHERE model_id = $1 AND prompt_id = $2 AND dataset_id = $3) AS jobs,
            (SELECT count(*)::int FROM predictionstatus
              WHERE model_id = $1 AND prompt_id = $2 AND dataset_id = $3) AS status_rows,
            (SELECT count(*)::int FROM predictions
              WHERE model_id = $1 AND prompt_id = $2 AND dataset_id = $3) AS predictions`,
    [key.model_id, key.prompt_id, key.dataset_id],
  );
  return counts!;
}

describe('evalq with real workers', () => {
  it('imports, registers, launches and watches to the end, then reads status, results and the leaderboard', async () => {
    const csv = join(dir, 'questions.csv');
    const lines = Array.from({ length: ROWS }, (_, i) =>
      i % 3 === 0
        ? `"What is ${i} + ${i + 1}?",${2 * i + 1}`
        : i % 3 === 1
          ? `"A great, ""lovely"" kettle, I love it",positive`
          : `"Awful: it broke, what a waste",negative`,
    );
    await writeFile(csv, `content,expected_prediction\n${lines.join('\n')}\n`);

    const dataset = idIn(
      await ok(['datasets', 'import', csv, '--name', 'questions']),
      /into dataset (\d+)/,
    );
    const models = [
      idIn(await ok(['models', 'add', '--name', 'mock-big', '--source', 'mock']), /model (\d+)/),
      idIn(await ok(['models', 'add', '--name', 'mock-tiny', '--source', 'mock']), /model (\d+)/),
    ];
    const prompts = [
      idIn(await ok(['prompts', 'add', '--text', 'Answer: {{content}}']), /prompt (\d+)/),
      idIn(await ok(['prompts', 'add', '--text', 'Think, then answer.']), /prompt (\d+)/),
    ];

    const launched = await ok([
      'launch',
      '--dataset',
      String(dataset),
      '--models',
      models.join(','),
      '--prompts',
      prompts.join(','),
      '--watch',
    ]);
    expect(launched).toContain('4 job(s) launched');
    expect(launched).toContain('all done');
    for (const m of models) {
      for (const p of prompts) {
        expect(launched).toContain(`job ${m}/${p}/${dataset}: done ${ROWS}/${ROWS} (100%)`);
      }
    }

    const status = await ok(['status', '--dataset', String(dataset)]);
    const statusLines = status.split('\n').filter((line) => /^\d+\/\d+\/\d+\s/.test(line));
    expect(statusLines).toHaveLength(4);
    expect(statusLines.every((line) => /\sdone\s+120\s+120\s+100\s+0\s/.test(line))).toBe(true);

    const csvFile = join(dir, 'results.csv');
    await ok(['results', '--dataset', String(dataset), '--format', 'csv', '--output', csvFile]);
    const records: Record<string, string>[] = parse(await readFile(csvFile, 'utf8'), {
      columns: true,
    });
    expect(records).toHaveLength(4 * ROWS);
    expect(new Set(records.map((r) => `${r.row_id}/${r.model_id}/${r.prompt_id}`)).size).toBe(
      4 * ROWS,
    );
    expect(records.every((r) => r.status === 'success')).toBe(true);
    expect(records.some((r) => r.content === 'A great, "lovely" kettle, I love it')).toBe(true);

    const jsonl = await ok(['results', '--dataset', String(dataset), '--format', 'jsonl']);
    const objects = jsonl
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(objects).toHaveLength(4 * ROWS);
    const correct = objects.filter((o) => o.correct === true).length;
    expect(correct).toBe(records.filter((r) => r.correct === 't' || r.correct === 'true').length);

    const board = await ok(['leaderboard', '--dataset', String(dataset)]);
    const entries = board
      .trim()
      .split('\n')
      .slice(1)
      .filter((line) => /^\d/.test(line))
      .map((line) => /^\d+\s+\d+ (mock-\w+)\s.*\sdone\s+120\s+([\d.]+)%/.exec(line));
    expect(entries.every(Boolean), board).toBe(true);
    expect(entries.map((m) => m![1]).sort()).toEqual([
      'mock-big',
      'mock-big',
      'mock-tiny',
      'mock-tiny',
    ]);
    // The mock errs on a share of rows that depends on the model and the prompt.
    expect(new Set(entries.map((m) => m![2])).size).toBeGreaterThan(1);
    const [stored] = await api.t.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM predictions WHERE dataset_id = $1',
      [dataset],
    );
    expect(stored!.n).toBe(4 * ROWS);
  });

  it('grades with the launch assertions, then regrades in the workers without calling the model again', async () => {
    const dataset = (await api.post('/v1/datasets', { name: 'regraded' })).body.dataset_id;
    await api.post(
      `/v1/datasets/${dataset}/rows`,
      Array.from({ length: 40 }, (_, i) => ({
        content: `What is ${i} + ${i}?`,
        expected_prediction: String(2 * i),
      })),
    );
    const model = (await api.post('/v1/models', { name: 'mock-big', source: 'mock' })).body
      .model_id;
    const prompt = (await api.post('/v1/prompts', { text: 'Answer: {{content}}' })).body.prompt_id;
    const job = `${model}/${prompt}/${dataset}`;
    await ok([
      'launch',
      '--dataset',
      String(dataset),
      '--models',
      String(model),
      '--prompts',
      String(prompt),
      '--assertions',
      '[{"type": "number"}]',
      '--watch',
    ]);
    const graded = (await api.get(`/v1/jobs/${job}`)).body;
    expect(graded).toMatchObject({ status: 'done', done: 40, ungraded: 0, regrading: false });
    const outputs = await api.t.query<{ prediction: string; passed: boolean }>(
      'SELECT prediction, passed FROM predictions WHERE dataset_id = $1 ORDER BY row_id',
      [dataset],
    );
    expect(graded.passed).toBe(outputs.filter((o) => o.passed).length);

    // Regrade: every output is non-empty text, so a pattern of any character passes all.
    await ok(['regrade', job, '--assertions', '[{"type": "regex", "value": "."}]']);
    const deadline = Date.now() + 30_000;
    let progress = (await api.get(`/v1/jobs/${job}`)).body;
    while (progress.regrading && Date.now() < deadline) {
      await sleep(100);
      progress = (await api.get(`/v1/jobs/${job}`)).body;
    }
    expect(progress).toMatchObject({ regrading: false, passed: 40, pass_rate: 1, ungraded: 0 });
    // The same outputs, new verdicts: the model was not called again.
    const after = await api.t.query<{ prediction: string; passed: boolean }>(
      'SELECT prediction, passed FROM predictions WHERE dataset_id = $1 ORDER BY row_id',
      [dataset],
    );
    expect(after.map((o) => o.prediction)).toEqual(outputs.map((o) => o.prediction));
    expect((await ok(['results', '--job', job, '--verdict', 'wrong'])).trim()).toBe(
      'no predictions match',
    );
  });

  it('cancels a running job: its status rows and predictions go, and the workers store nothing more for it', async () => {
    const file = join(dir, 'slow.jsonl');
    await writeFile(
      file,
      Array.from({ length: 200 }, (_, i) =>
        JSON.stringify({ content: `What is ${i} + 1?`, expected_prediction: String(i + 1) }),
      ).join('\n'),
    );
    const dataset = idIn(
      await ok(['datasets', 'import', file, '--name', 'slow']),
      /into dataset (\d+)/,
    );
    // 20 calls a second across both workers: the job runs for about 10 s.
    const model = idIn(
      await ok([
        'models',
        'add',
        '--name',
        'mock-slow',
        '--source',
        'mock',
        '--requests-per-minute',
        '1200',
      ]),
      /model (\d+)/,
    );
    const prompt = idIn(await ok(['prompts', 'add', '--text', '{{content}}']), /prompt (\d+)/);
    const key = { model_id: model, prompt_id: prompt, dataset_id: dataset };
    await ok([
      'launch',
      '--dataset',
      String(dataset),
      '--models',
      String(model),
      '--prompts',
      String(prompt),
    ]);
    for (let waited = 0; waited < 200 && (await jobRows(key)).predictions < 10; waited += 1) {
      await sleep(50);
    }
    const running = await ok(['status', '--job', `${model}/${prompt}/${dataset}`]);
    expect(running).toMatch(/\srunning\s/);

    const cancelled = await ok(['cancel', `${model}/${prompt}/${dataset}`]);
    expect(cancelled).toMatch(
      new RegExp(`job ${model}/${prompt}/${dataset} cancelled; \\d+ prediction`),
    );
    expect(await jobRows(key)).toEqual({ jobs: 0, status_rows: 0, predictions: 0 });

    const gone = await evalq(['status', '--job', `${model}/${prompt}/${dataset}`]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('was not found');

    // Stopping the workers flushes whatever they still held: none of it may land.
    const exits = await Promise.all(workers.map((worker) => worker.stop()));
    expect(exits.map((exit) => exit.code)).toEqual([0, 0]);
    expect(await jobRows(key)).toEqual({ jobs: 0, status_rows: 0, predictions: 0 });
  });
});
