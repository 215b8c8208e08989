import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEvalq } from './support/run-evalq.js';
import { processRows } from '../../api/test/support/claim-protocol.js';
import { startTestApi, type TestApi } from '../../api/test/support/test-api.js';

// Grading through the built `evalq` command against a real API; predictions are stored
// the way workers store them (graded with the job's assertions).

let api: TestApi;
let dir: string;
let dataset_id: number;
let modelA: number;
let modelB: number;
let prompt_id: number;
// 40 rows: 30 "yes", 10 "no".
const LABELS = Array.from({ length: 40 }, (_, i) => (i < 30 ? 'yes' : 'no'));

beforeAll(async () => {
  api = await startTestApi();
  dir = await mkdtemp(join(tmpdir(), 'evalq-cli-grading-'));
  dataset_id = (await api.post('/v1/datasets', { name: 'graded' })).body.dataset_id;
  await api.post(
    `/v1/datasets/${dataset_id}/rows`,
    LABELS.map((label, i) => ({ content: `review ${i}`, expected_prediction: label })),
  );
  modelA = (await api.post('/v1/models', { name: 'a', source: 'mock' })).body.model_id;
  modelB = (await api.post('/v1/models', { name: 'b', source: 'mock' })).body.model_id;
  prompt_id = (await api.post('/v1/prompts', { text: 'Yes or no: {{content}}' })).body.prompt_id;
});
afterAll(async () => {
  await api?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function evalq(args: string[]) {
  return runEvalq(args, { EVALQ_API_URL: api.url }, 30_000);
}

async function ok(args: string[]): Promise<string> {
  const run = await evalq(args);
  expect(run.code, `evalq ${args.join(' ')}:\n${run.stdout}\n${run.stderr}`).toBe(0);
  return run.stdout;
}

describe('evalq and grading', () => {
  it('refuses invalid assertions at launch, naming the assertion and field', async () => {
    const run = await evalq([
      'launch',
      '--dataset',
      String(dataset_id),
      '--models',
      String(modelA),
      '--prompts',
      String(prompt_id),
      '--assertions',
      '[{"type": "equals"}, {"type": "regexx"}]',
    ]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/body\.assertions\.1\.type: unknown assertion type/);
    expect((await api.get('/v1/jobs')).body.items).toEqual([]);
  });

  it('launches with assertions from a file, then lists wrong answers, compares and ranks', async () => {
    const file = join(dir, 'assertions.json');
    await writeFile(file, JSON.stringify([{ type: 'icontains' }, { type: 'latency', value: 1 }]));
    const out = await ok([
      'launch',
      '--dataset',
      String(dataset_id),
      '--models',
      `${modelA},${modelB}`,
      '--prompts',
      String(prompt_id),
      '--assertions',
      `@${file}`,
      '--threshold',
      '0.5',
    ]);
    expect(out).toMatch(/2 job\(s\) launched/);
    // A: right on every row. B: says "yes" everywhere, so wrong on the 10 "no" rows.
    await processRows(api.t, { model_id: modelA, prompt_id, dataset_id }, 40, {
      answer: (row) => `Answer: ${row.expected_prediction.toUpperCase()}`,
    });
    await processRows(api.t, { model_id: modelB, prompt_id, dataset_id }, 40, {
      answer: () => 'yes',
      seconds: 2, // too slow: the latency assertion fails everywhere, score 0.5 on right rows
    });

    const wrong = await ok([
      'results',
      '--job',
      `${modelB}/${prompt_id}/${dataset_id}`,
      '--verdict',
      'wrong',
      '--limit',
      '100',
    ]);
    const wrongLines = wrong.trim().split('\n').slice(1);
    expect(wrongLines).toHaveLength(10);
    expect(wrongLines.every((line) => / no /.test(line))).toBe(true);

    // Candidates by name (model) and id (the prompt has no name), the dataset by name.
    const compare = await ok([
      'compare',
      '--dataset',
      'graded',
      `a/${prompt_id}`,
      `b/${prompt_id}`,
    ]);
    // 10 discordant pairs all one way: p = 2 / 1024.
    expect(compare).toMatch(/McNemar exact p = 0\.00195/);
    expect(compare).toMatch(new RegExp(`A a/${prompt_id} is better`));
    expect(compare).toMatch(/mean score A − B = 0\.6250/);

    const board = await ok(['leaderboard', '--dataset', String(dataset_id)]);
    const first = board.split('\n')[1]!;
    expect(first).toMatch(/100\.0% ★/);
    // Wilson interval of 40 / 40: [1 / (1 + 1.96² / 40), 1]
    expect(first).toContain(`${((1 / (1 + 1.96 ** 2 / 40)) * 100).toFixed(1)}%–100.0%`);
    expect(board.split('\n')[2]).toMatch(/75\.0%\s+\S+–/);
  });

  it('prints the classification report with outputs outside the label set', async () => {
    const out = await ok([
      'classification',
      '--dataset',
      String(dataset_id),
      '--model',
      String(modelA),
      '--prompt',
      String(prompt_id),
    ]);
    // A answered "Answer: YES": outside the label set {no, yes} on every row.
    expect(out).toMatch(
      /40 outside the label set \(most often: "answer: yes" ×30, "answer: no" ×10\)/,
    );
    const b = await ok([
      'classification',
      '--dataset',
      'graded',
      '--model',
      'b',
      '--prompt',
      String(prompt_id),
    ]);
    // B: yes precision 30/40, recall 1; no never predicted.
    expect(b).toMatch(/^yes\s+75\.0%\s+100\.0%\s+85\.7%\s+30\s+40$/m);
    expect(b).toMatch(/accuracy 75\.0% over 40 predictions; 0 outside the label set/);
  });

  it('sets dataset defaults and starts a regrade', async () => {
    const defaults = await ok([
      'datasets',
      'defaults',
      '--dataset',
      'graded',
      '--assertions',
      '[{"type": "starts-with"}]',
    ]);
    expect(defaults).toMatch(
      /jobs launched without assertions get \[\{.*"type":"starts-with".*\}\]/,
    );
    const regrade = await ok([
      'regrade',
      `${modelB}/${prompt_id}/${dataset_id}`,
      '--assertions',
      '[{"type": "equals"}]',
    ]);
    expect(regrade).toMatch(/regrading 40 prediction\(s\) with \[\{.*"type":"equals"/);
    const job = await api.get(`/v1/jobs/${modelB}/${prompt_id}/${dataset_id}`);
    expect(job.body).toMatchObject({ regrading: true, threshold: null });
  });
});
