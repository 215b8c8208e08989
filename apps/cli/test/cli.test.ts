import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  deleteKeysWithPrefix,
  requireRedis,
  TEST_REDIS_URL,
  uniqueQueuePrefix,
} from '@evalq/testing';
import { processRows } from '../../api/test/support/claim-protocol.js';
import { runEvalq } from './support/run-evalq.js';
import { startTestApi, type TestApi } from '../../api/test/support/test-api.js';

// Every test here goes through Redis (skipped with the reason where none answers).
requireRedis();

// The built `evalq` command, run as a child process against a real API, as an operator runs it.

const TOKEN = 'cli-test-token-0001';

let api: TestApi;
let dir: string;

beforeAll(async () => {
  api = await startTestApi({ config: { apiToken: TOKEN } });
  dir = await mkdtemp(join(tmpdir(), 'evalq-cli-'));
});
afterAll(async () => {
  await api?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function evalq(args: string[], env: Record<string, string> = {}) {
  return runEvalq(args, { EVALQ_API_URL: api.url, API_TOKEN: TOKEN, ...env });
}

const idIn = (text: string, pattern: RegExp) => Number(pattern.exec(text)?.[1]);

describe('evalq, driving a real API', () => {
  it('imports, registers, launches with --watch, and reads results and the leaderboard', async () => {
    const csv = join(dir, 'reviews.csv');
    const rows = Array.from({ length: 50 }, (_, i) =>
      i === 0
        ? '"Great, ""really"" great",positive'
        : `review ${i},${i % 2 ? 'negative' : 'positive'}`,
    );
    await writeFile(csv, `content,expected_prediction\n${rows.join('\n')}\n`);

    const imported = await evalq(['datasets', 'import', csv, '--name', 'reviews']);
    expect(imported.stderr).toBe('');
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(/imported 50 rows into dataset \d+ \(reviews\)/);
    const datasetId = idIn(imported.stdout, /into dataset (\d+)/);

    const modelA = await evalq([
      'models',
      'add',
      '--name',
      'alpha',
      '--source',
      'mock',
      '--temperature',
      '0',
    ]);
    const modelB = await evalq(['models', 'add', '--name', 'beta', '--source', 'mock']);
    const prompt = await evalq(['prompts', 'add', '--text', 'Sentiment: {{content}}']);
    expect([modelA.code, modelB.code, prompt.code]).toEqual([0, 0, 0]);
    const a = idIn(modelA.stdout, /model (\d+) added/);
    const b = idIn(modelB.stdout, /model (\d+) added/);
    const p = idIn(prompt.stdout, /prompt (\d+) added/);

    const launch = evalq([
      'launch',
      '--dataset',
      String(datasetId),
      '--models',
      `${a},${b}`,
      '--prompts',
      String(p),
      '--watch',
    ]);
    // A worker's work, done the way the worker stores it, while the CLI watches.
    const keys = [a, b].map((model_id) => ({ model_id, prompt_id: p, dataset_id: datasetId }));
    for (let waited = 0; waited < 100; waited += 1) {
      const [{ n }] = (await api.t.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM modelpromptstatus WHERE dataset_id = $1',
        [datasetId],
      )) as [{ n: number }];
      if (n === 2) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    for (let round = 0; round < 5; round += 1) {
      await processRows(api.t, keys[0]!, 10);
      await processRows(api.t, keys[1]!, 10, { answer: () => 'positive' });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const watched = await launch;
    expect(watched.code, watched.stderr).toBe(0);
    expect(watched.stdout).toContain('2 job(s) launched');
    expect(watched.stdout).toContain(`job ${a}/${p}/${datasetId}: done 50/50 (100%)`);
    expect(watched.stdout).toContain('all done');

    const status = await evalq(['status', '--dataset', String(datasetId)]);
    expect(status.stdout.split('\n').filter((line) => /\bdone\b/.test(line))).toHaveLength(2);

    const board = await evalq(['leaderboard', '--dataset', String(datasetId)]);
    expect(board.code).toBe(0);
    const lines = board.stdout.trim().split('\n');
    expect(lines[1]).toContain(`${a} alpha`);
    expect(lines[1]).toContain('100.0%');
    expect(lines[2]).toContain(`${b} beta`);
    expect(lines[2]).toContain('50.0%');

    const exported = join(dir, 'results.csv');
    const csvExport = await evalq([
      'results',
      '--dataset',
      String(datasetId),
      '--format',
      'csv',
      '--output',
      exported,
    ]);
    expect(csvExport.code).toBe(0);
    const records: Record<string, string>[] = parse(await readFile(exported, 'utf8'), {
      columns: true,
    });
    expect(records).toHaveLength(100);
    expect(records.find((r) => r.content === 'Great, "really" great')).toBeDefined();

    const jsonl = await evalq(['results', '--job', `${b}/${p}/${datasetId}`, '--format', 'jsonl']);
    const objects = jsonl.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(objects).toHaveLength(50);
    expect(objects.every((o) => o.model_id === b && o.prediction === 'positive')).toBe(true);

    const table = await evalq(['results', '--dataset', String(datasetId), '--limit', '3']);
    expect(table.stdout.split('\n')[0]).toMatch(/^JOB\s+ROW\s+EXPECTED\s+PREDICTION\s+OK/);
    expect(table.stdout).toContain('more:');

    const listed = await evalq(['datasets', 'list']);
    expect(listed.stdout).toMatch(new RegExp(`${datasetId}\\s+reviews\\s+50`));
  });

  it('cancels a job and sends failed rows back to the workers', async () => {
    const csv = join(dir, 'small.jsonl');
    await writeFile(
      csv,
      ['x', 'y', 'z'].map((c) => JSON.stringify({ content: c, expected_prediction: c })).join('\n'),
    );
    const imported = await evalq(['datasets', 'import', csv, '--name', 'small']);
    const datasetId = idIn(imported.stdout, /into dataset (\d+)/);
    const model = idIn(
      (await evalq(['models', 'add', '--name', 'm', '--source', 'mock'])).stdout,
      /model (\d+)/,
    );
    const prompt = idIn((await evalq(['prompts', 'add', '--text', 'q'])).stdout, /prompt (\d+)/);
    await evalq([
      'launch',
      '--dataset',
      String(datasetId),
      '--models',
      String(model),
      '--prompts',
      String(prompt),
    ]);
    const key = { model_id: model, prompt_id: prompt, dataset_id: datasetId };
    await processRows(api.t, key, 3, { outcome: 'failed' });

    const retried = await evalq(['retry-failed', `${model}/${prompt}/${datasetId}`]);
    expect(retried.stdout).toContain('3 failed row(s) sent back');
    const cancelled = await evalq(['cancel', `${model}/${prompt}/${datasetId}`]);
    expect(cancelled.code).toBe(0);
    expect(cancelled.stdout).toContain('cancelled');
    const status = await evalq(['status', '--job', `${model}/${prompt}/${datasetId}`]);
    expect(status.code).toBe(1);
    expect(status.stderr).toContain(`job ${model}/${prompt}/${datasetId} was not found`);
  });

  it("shows a batch job's phase and the provider's counts in status, not an ETA", async () => {
    const dataset = await api.post('/v1/datasets', { name: 'batch status' }, { token: TOKEN });
    const datasetId = dataset.body.dataset_id as number;
    await api.post(
      `/v1/datasets/${datasetId}/rows`,
      [1, 2, 3, 4].map((i) => ({ content: `r${i}`, expected_prediction: 'x' })),
      { token: TOKEN },
    );
    const model = await api.post(
      '/v1/models',
      { name: 'gpt-batch', source: 'openai', config: { dispatch: 'batch' } },
      { token: TOKEN },
    );
    const prompt = await api.post('/v1/prompts', { text: '{{content}}' }, { token: TOKEN });
    const job = `${model.body.model_id}/${prompt.body.prompt_id}/${datasetId}`;
    await evalq([
      'launch',
      '--dataset',
      String(datasetId),
      '--models',
      String(model.body.model_id),
      '--prompts',
      String(prompt.body.prompt_id),
    ]);
    // A batch at the provider, as a worker records it (apps/worker/src/batch).
    await api.t.query(
      `INSERT INTO provider_batches (model_id, prompt_id, dataset_id, request_count, state,
                                     provider_total, provider_completed, provider_failed)
       VALUES ($1, $2, $3, 4, 'submitted', 4, 1, 0)`,
      [model.body.model_id, prompt.body.prompt_id, datasetId],
    );
    const status = await evalq(['status', '--job', job]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('batch: waiting on provider 1/4, 1 open');
  });

  it('says what to do when something is wrong, and exits non-zero', async () => {
    const down = await evalq(['datasets', 'list'], { EVALQ_API_URL: 'http://127.0.0.1:1' });
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('cannot reach the API at http://127.0.0.1:1');
    expect(down.stderr).toContain('npm run api');

    const wrongToken = await evalq(['datasets', 'list'], { API_TOKEN: 'not-the-token' });
    expect(wrongToken.code).toBe(1);
    expect(wrongToken.stderr).toContain('set API_TOKEN');

    const badCsv = join(dir, 'bad.csv');
    await writeFile(badCsv, 'content,expected_prediction\nfine,ok\nalso fine,ok\nno label,\n');
    const refused = await evalq(['datasets', 'import', badCsv, '--name', 'never-stored']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('row 3: expected_prediction must not be empty');
    expect((await evalq(['datasets', 'list'])).stdout).not.toContain('never-stored');

    const badId = await evalq(['launch', '--dataset', 'abc', '--models', '1', '--prompts', '1']);
    expect(badId.code).toBe(1);
    expect(badId.stderr).toContain('no dataset is named "abc"');

    const bound = await evalq([
      'models',
      'add',
      '--name',
      'k',
      '--source',
      'openai',
      '--api-key-env',
      'sk-live-1234',
    ]);
    expect(bound.code).toBe(1);
    expect(bound.stderr).toContain('api_key_env');
  });
});

describe('evalq api', () => {
  it('serves the API from the environment and stops cleanly on SIGTERM', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as { port: number };
        probe.close(() => resolve(free));
      });
    });
    const prefix = uniqueQueuePrefix('cli-api');
    const server = evalq(['api'], {
      DATABASE_URL: api.t.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    });
    try {
      let healthy = false;
      for (let attempt = 0; attempt < 100 && !healthy; attempt += 1) {
        healthy = await fetch(`http://127.0.0.1:${port}/healthz`).then(
          (response) => response.ok,
          () => false,
        );
        if (!healthy) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(healthy).toBe(true);
      const unauthorised = await fetch(`http://127.0.0.1:${port}/v1/datasets`);
      expect(unauthorised.status).toBe(401);
      const listed = await fetch(`http://127.0.0.1:${port}/v1/datasets`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(listed.status).toBe(200);
    } finally {
      server.kill();
    }
    const exited = await server;
    expect(exited.code).toBe(0);
    await deleteKeysWithPrefix(prefix);
  });
});
