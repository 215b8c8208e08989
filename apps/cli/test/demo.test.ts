import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mockAnswer } from '@evalq/providers';
import {
  createTestDatabase,
  deleteKeysWithPrefix,
  isProcessAlive,
  processesWithEnvironment,
  startFakeOpenAIServer,
  TEST_REDIS_URL,
  uniqueQueuePrefix,
  type FakeModelServer,
  type TestDatabase,
  requireRedis,
} from '@evalq/testing';
import { MOCK_PRICES } from '../src/demo/demo-catalog.js';

// `evalq demo` as a person runs it (`npm run demo` runs exactly this), as a child
// process against this file's own database and Redis prefix.

const CLI = fileURLToPath(new URL('../dist/main.js', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

type DemoRun = Promise<Run> & {
  /** Resolves once stdout contains `text`. */
  printed(text: string): Promise<void>;
  signal(signal: NodeJS.Signals): void;
};

let t: TestDatabase;
let prefix: string;
let openai: FakeModelServer | undefined;

beforeAll(async () => {
  t = await createTestDatabase();
  prefix = uniqueQueuePrefix('demo');
});
afterAll(async () => {
  // Whatever a failed test left running goes now, so the next file is not slowed by it.
  for (const pid of processesWithEnvironment('QUEUE_PREFIX', prefix)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  await openai?.close();
  await deleteKeysWithPrefix(prefix);
  await t?.drop();
});

function demo(args: string[] = [], env: Record<string, string> = {}): DemoRun {
  const child = spawn(process.execPath, [CLI, 'demo', ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      DATABASE_URL: t.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiting = new Set<{ text: string; resolve: () => void }>();
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const waiter of waiting) {
      if (stdout.includes(waiter.text)) {
        waiting.delete(waiter);
        waiter.resolve();
      }
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<Run>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`evalq demo timed out:\n${stdout}\n${stderr}`));
    }, 90_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
  return Object.assign(done, {
    printed: (text: string) =>
      stdout.includes(text)
        ? Promise.resolve()
        : Promise.race([
            new Promise<void>((resolve) => waiting.add({ text, resolve })),
            done.then((run) => {
              throw new Error(
                `the demo ended before printing "${text}":\n${run.stdout}\n${run.stderr}`,
              );
            }),
          ]),
    signal: (signal: NodeJS.Signals) => void child.kill(signal),
  });
}

/** The leaderboard table the demo printed: one entry per model × prompt row. */
function leaderboardRows(
  stdout: string,
): { model: string; status: string; n: number; accuracy: number }[] {
  const lines = stdout.split('\n');
  const header = lines.findIndex((line) =>
    /^#\s+MODEL\s+PROMPT\s+STATUS\s+N\s+PASS RATE/.test(line),
  );
  expect(header, stdout).toBeGreaterThan(-1);
  const rows = [];
  for (const line of lines.slice(header + 1)) {
    const match = /^\d+\s+\d+ (\S+)\s+.+?\s+(done|running|pending)\s+([\d,]+)\s+([\d.]+)%/.exec(
      line,
    );
    if (!match) break;
    rows.push({
      model: match[1]!,
      status: match[2]!,
      n: Number(match[3]!.replace(/,/g, '')),
      accuracy: Number(match[4]),
    });
  }
  return rows;
}

const leftBehind = () => processesWithEnvironment('QUEUE_PREFIX', prefix);

const datasetCount = async () =>
  (await t.query<{ n: number }>('SELECT count(*)::int AS n FROM datasets'))[0]!.n;

describe('evalq demo', () => {
  // These go through Redis (skipped with the reason where none answers).
  requireRedis();

  it('runs a sample evaluation end to end and stops everything it started', async () => {
    const run = await demo();
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain(`✓ PostgreSQL at ${t.url}; Redis at ${TEST_REDIS_URL}`);
    expect(run.stdout).toMatch(/✓ API on http:\/\/127\.0\.0\.1:\d+ and 2 workers started/);
    expect(run.stdout).toMatch(
      /✓ dataset \d+ "evalq demo \d{4}-\d\d-\d\d \d\d:\d\d:\d\d": 400 rows/,
    );
    expect(run.stdout).toMatch(
      /✓ 2 versions of the chat prompt demo-grader: demo-grader@\d+ "first version: terse", demo-grader@\d+ \[production\] "spell out both kinds of rows"/,
    );
    expect(run.stdout).toMatch(/✓ run [0-9a-f-]{36} launched: 4 jobs/);
    expect(run.stdout).toContain('Comparisons (same rows, exact McNemar test):');
    // The best two of the leaderboard, compared row by row.
    expect(run.stdout).toMatch(
      /The best two, row by row \(evalq compare; A = mock-big × demo-grader@\d+, B = .+\):\n.*B PASSES/,
    );
    expect(run.stdout).toMatch(/McNemar exact p = [\d.e-]+; mean score A − B = /);
    expect(run.stdout).toContain('✓ stopped the API and the 2 workers');

    const board = leaderboardRows(run.stdout);
    expect(board).toHaveLength(4);
    expect(board.every((row) => row.status === 'done' && row.n === 400)).toBe(true);
    expect(new Set(board.map((row) => row.model))).toEqual(new Set(['mock-big', 'mock-tiny']));
    expect(new Set(board.map((row) => row.accuracy)).size).toBe(4);

    const jobs = await t.query<{ status: string; count: number }>(
      'SELECT status, count FROM modelpromptstatus',
    );
    expect(jobs).toEqual(Array.from({ length: 4 }, () => ({ status: 'done', count: 400 })));
    const [stored] = await t.query<{ n: number; distinct_rows: number }>(
      'SELECT count(*)::int AS n, count(DISTINCT (row_id, model_id, prompt_id))::int AS distinct_rows FROM predictions',
    );
    expect(stored).toEqual({ n: 1600, distinct_rows: 1600 });
    // Graded by the run's assertions: a pass is an answer equal to the label.
    const [graded] = await t.query<{ mismatched: number; ungraded: number }>(
      `SELECT count(*) FILTER (WHERE passed <> (lower(trim(prediction)) = lower(trim(d.expected_prediction))))::int AS mismatched,
              count(*) FILTER (WHERE passed IS NULL)::int AS ungraded
         FROM predictions p JOIN rows d USING (row_id)`,
    );
    expect(graded).toEqual({ mismatched: 0, ungraded: 0 });
    // The share link it printed opens the run's read-only data while the API runs.
    const link = /A read-only page of the run.*: http:\/\/127\.0\.0\.1:3000(\/share\/[\w-]+)/.exec(
      run.stdout,
    );
    expect(link, run.stdout).not.toBeNull();
    const [share] = await t.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM run_share_links WHERE revoked_at IS NULL AND expires_at > now()',
    );
    expect(share!.n).toBe(1);

    // The mock models are priced: the leaderboard shows each candidate's cost, which is
    // the tokens its calls reported at its prices (docs/cost.md), as computed here.
    expect(run.stdout).toMatch(/TOKENS IN\/OUT\s+COST\s+COST\/PASS/);
    expect(run.stdout).toMatch(/\nCost: \$[\d.]+, \$[\d.]+ per passed row; [\d,]+ tokens/);
    const spend = await t.query<{
      name: string;
      prompt_id: number;
      tokens_in: number;
      tokens_out: number;
      spent_usd: number;
    }>(
      `SELECT m.name, j.prompt_id, sum(p.prompt_tokens)::int AS tokens_in,
              sum(p.completion_tokens)::int AS tokens_out, j.spent_usd
         FROM modelpromptstatus j JOIN models m ON m.model_id = j.model_id
         JOIN predictions p ON p.model_id = j.model_id AND p.prompt_id = j.prompt_id
        GROUP BY m.name, j.prompt_id, j.spent_usd`,
    );
    expect(spend).toHaveLength(4);
    for (const job of spend) {
      const prices = MOCK_PRICES[job.name as keyof typeof MOCK_PRICES];
      const expected =
        (job.tokens_in * prices.price_in_per_mtok + job.tokens_out * prices.price_out_per_mtok) /
        1e6;
      expect(job.spent_usd).toBeCloseTo(expected, 12);
      // Its leaderboard line: its model, prompt version, …, its cost and cost per pass.
      expect(run.stdout).toMatch(
        new RegExp(
          `\\n\\d+\\s+\\d+ ${job.name}\\s+demo-grader@\\d+\\s+done .*\\$${expected.toPrecision(3).replace('.', '\\.')}\\s+\\$`,
        ),
      );
    }
    expect(leftBehind()).toEqual([]);
  });

  it('says how to start PostgreSQL when it does not answer, and starts nothing', async () => {
    const run = await demo([], { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/evalq' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'PostgreSQL does not answer at postgres://postgres@127.0.0.1:1/evalq',
    );
    expect(run.stderr).toContain(
      'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
    );
    expect(run.stderr).toContain('Nothing was started.');
    expect(run.stderr).not.toContain('Redis');
    expect(run.stdout).not.toContain('✓');
    expect(leftBehind()).toEqual([]);
  });

  it('says how to start Redis when it does not answer, and starts nothing', async () => {
    const before = await datasetCount();
    const run = await demo([], { REDIS_URL: 'redis://127.0.0.1:1' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Redis does not answer at redis://127.0.0.1:1');
    expect(run.stderr).toContain('redis-server --daemonize yes');
    expect(run.stderr).toContain('Nothing was started.');
    expect(run.stdout).not.toContain('✓');
    expect(await datasetCount()).toBe(before);
    expect(leftBehind()).toEqual([]);
  });

  it('evaluates a real model through the openai SDK with --provider openai', async () => {
    // An OpenAI-compatible server that answers like the mock model would, with a
    // different error rate per prompt, so the two prompts score differently.
    openai = await startFakeOpenAIServer({
      respond: (prompt) =>
        mockAnswer(prompt.startsWith('Text: ') ? 'careful' : 'hasty', '', prompt),
    });
    const env = { OPENAI_API_KEY: 'sk-demo-test-key', OPENAI_BASE_URL: openai.url };

    const offered = await demo([], { ...env, REDIS_URL: 'redis://127.0.0.1:1' });
    expect(offered.stdout).toContain('OPENAI_API_KEY is set: `npm run demo -- --provider openai`');

    const run = await demo(['--provider', 'openai'], env);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toContain('1 openai model × 2 prompt versions over 100 labelled rows');
    expect(run.stdout).toContain(`OpenAI API at ${openai.url}`);
    const board = leaderboardRows(run.stdout);
    expect(board.map((row) => [row.model, row.status, row.n])).toEqual([
      ['gpt-4o-mini', 'done', 100],
      ['gpt-4o-mini', 'done', 100],
    ]);
    expect(board[0]!.accuracy).toBeGreaterThan(board[1]!.accuracy);

    expect(openai.requests).toHaveLength(200);
    expect(new Set(openai.requests.map((r) => r.model))).toEqual(new Set(['gpt-4o-mini']));
    expect(new Set(openai.requests.map((r) => r.authorization))).toEqual(
      new Set(['Bearer sk-demo-test-key']),
    );
    expect(openai.requests.every((r) => r.body.temperature === 0)).toBe(true);
    // The key stays in the workers' environment: the model holds only its variable's name.
    const [model] = await t.query<{ config: Record<string, unknown> }>(
      `SELECT config FROM models WHERE name = 'gpt-4o-mini'`,
    );
    expect(model!.config).toMatchObject({ api_key_env: 'OPENAI_API_KEY', base_url: openai.url });
    expect(JSON.stringify(model)).not.toContain('sk-demo-test-key');
    expect(leftBehind()).toEqual([]);
  });

  it('stops the API and the workers on Ctrl-C', async () => {
    const run = demo(['--rows', '2000']);
    await run.printed('launched: 4 jobs');
    run.signal('SIGINT');
    const result = await run;
    expect(result.code).toBe(130);
    expect(result.stderr).toContain('Ctrl-C: stopping');
    expect(result.stdout).toContain('Stopped everything the demo had started.');
    expect(result.stdout).toMatch(/The unfinished jobs of dataset \d+ stay in the database/);
    expect(result.stdout).not.toContain('Leaderboard');
    expect(leftBehind()).toEqual([]);
  });

  it('leaves nothing running even when it is killed outright', async () => {
    const run = demo(['--rows', '2000']);
    await run.printed('launched: 4 jobs');
    run.signal('SIGKILL');
    expect((await run).code).toBe(null);
    // The API and the workers notice that the demo is gone and stop by themselves.
    for (let waited = 0; waited < 200 && leftBehind().length > 0; waited += 1) await sleep(100);
    expect(leftBehind()).toEqual([]);
  });
});

describe('evalq demo with nothing but Node (DATABASE_URL and REDIS_URL unset)', () => {
  let home: string;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'evalq-demo-'));
    await chmod(home, 0o755); // the embedded server may run as nobody
  });
  afterAll(async () => {
    await rm(home, { recursive: true, force: true });
  });
  const alone = { DATABASE_URL: '', REDIS_URL: '' };
  /** The embedded server's process, from its pid file (read while it runs). */
  const serverPid = async (evalqHome: string) =>
    Number(
      (await readFile(join(evalqHome, 'postgres-18', 'postmaster.pid'), 'utf8')).split('\n')[0],
    );

  it('runs on an embedded PostgreSQL, queue-less, and stops it at the end', async () => {
    const evalqHome = join(home, 'first');
    const run = demo(['--rows', '40'], { ...alone, EVALQ_HOME: evalqHome });
    await run.printed('launched: 4 jobs');
    const pid = await serverPid(evalqHome);
    const done = await run;
    expect(done.code, `${done.stdout}\n${done.stderr}`).toBe(0);
    expect(done.stdout).toMatch(/✓ embedded PostgreSQL in \S+ \(127\.0\.0\.1:\d+, created now\)/);
    expect(done.stdout).toContain('queue-less (no Redis)');
    const board = leaderboardRows(done.stdout);
    expect(board).toHaveLength(4);
    expect(board.every((row) => row.status === 'done' && row.n === 40)).toBe(true);
    expect(done.stdout).toContain('✓ stopped the embedded PostgreSQL');
    expect(isProcessAlive(pid)).toBe(false);
    expect(leftBehind()).toEqual([]);
  });

  it('leaves nothing running, the embedded PostgreSQL included, when it is killed outright', async () => {
    const evalqHome = join(home, 'killed');
    const run = demo(['--rows', '2000'], { ...alone, EVALQ_HOME: evalqHome });
    await run.printed('launched: 4 jobs');
    const pid = await serverPid(evalqHome);
    run.signal('SIGKILL');
    expect((await run).code).toBe(null);
    // Within 15 s, the API, the workers and the server all notice and stop.
    for (
      let waited = 0;
      waited < 150 && (isProcessAlive(pid) || leftBehind().length > 0);
      waited += 1
    ) {
      await sleep(100);
    }
    expect(leftBehind()).toEqual([]);
    expect(isProcessAlive(pid)).toBe(false);
  });
});
