import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processRows } from '../../api/test/support/claim-protocol.js';
import { startTestApi, type TestApi } from '../../api/test/support/test-api.js';
import { runEvalq } from './support/run-evalq.js';

// Prompt versions, labels, runs and share links through the built `evalq` command,
// with names wherever ids are accepted.

const TOKEN = 'cli-runs-token-0001';

let api: TestApi;
let datasetId = 0;

beforeAll(async () => {
  api = await startTestApi({ config: { apiToken: TOKEN } });
  datasetId = (await api.post('/v1/datasets', { name: 'spamassassin' })).body.dataset_id;
  const rows = Array.from({ length: 20 }, (_, i) => ({
    content: `mail ${i + 1}`,
    expected_prediction: i % 4 === 0 ? 'spam' : 'ham',
    input: { subject: `subject ${i + 1}` },
  }));
  await api.post(`/v1/datasets/${datasetId}/rows`, rows);
});
afterAll(async () => {
  await api?.close();
});

const evalq = (args: string[]) => runEvalq(args, { EVALQ_API_URL: api.url, API_TOKEN: TOKEN });

async function ok(args: string[]): Promise<string> {
  const result = await evalq(args);
  expect(result.code, `evalq ${args.join(' ')}\n${result.stdout}\n${result.stderr}`).toBe(0);
  return result.stdout;
}

describe('evalq prompts', () => {
  it('adds chat prompt versions with labels, lists the versions and moves a label', async () => {
    const first = await ok([
      'prompts',
      'add',
      '--name',
      'classify',
      '--system',
      'You sort mail into spam and ham.',
      '--user',
      'Subject: {{subject}}\n{{ content }}',
      '--label',
      'production',
      '-m',
      'first version',
      '--temperature',
      '0',
    ]);
    expect(first).toMatch(/prompt \d+ added as classify@1 \[production\]/);
    expect(first).toContain('variables: {{subject}}, {{content}}');
    expect(first).not.toContain('appended');
    const second = await ok([
      'prompts',
      'add',
      '--name',
      'classify',
      '--system',
      'Sort mail: answer spam or ham.',
      '--message',
      'user:Win money now',
      '--message',
      'assistant:spam',
      '--user',
      '{{content}}',
    ]);
    expect(second).toMatch(/added as classify@2$/m);
    const stored = await api.get('/v1/prompts/resolve?name=classify&version=2', { token: TOKEN });
    expect(stored.body.messages.map((m: { role: string }) => m.role)).toEqual([
      'system',
      'user',
      'assistant',
      'user',
    ]);

    const versions = await ok(['prompts', 'versions', 'classify']);
    const lines = versions.trim().split('\n');
    expect(lines[0]).toMatch(/^VERSION\s+ID\s+TYPE\s+LABELS/);
    expect(lines[1]!.trim()).toMatch(/^1\s+\d+\s+chat\s+production\s/);
    expect(lines[1]).toContain('first version');
    expect(lines[2]!.trim()).toMatch(/^2\s+\d+\s+chat\s+\S/);

    const moved = await ok(['prompts', 'label', 'classify@2', '--add', 'production']);
    expect(moved).toMatch(/classify@2 \(prompt \d+\) now holds \[production\]/);
    const holder = await api.get('/v1/prompts/resolve?name=classify&label=production', {
      token: TOKEN,
    });
    expect(holder.body.version).toBe(2);
  });

  it('warns about a missing placeholder only when there is none ({{ content }} with spaces counts)', async () => {
    const spaced = await ok(['prompts', 'add', '--text', 'Sentiment: {{ content }}']);
    expect(spaced).not.toContain('appended');
    const none = await ok(['prompts', 'add', '--text', 'Say spam or ham.']);
    expect(none).toContain('uses no variable: the row content is appended after a blank line');
    const broken = await evalq(['prompts', 'add', '--text', 'Q: {{content']);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('unclosed {{');
  });
});

describe('evalq run, runs and share', () => {
  it('launches a run by names, follows it live, prints its summary, and shares it', async () => {
    await ok(['models', 'add', '--name', 'fake-gpt', '--source', 'mock']);
    await ok(['models', 'add', '--name', 'fake-llama', '--source', 'mock']);
    await ok(['prompts', 'add', '--name', 'mailsort', '--text', 'v1 {{content}}']);
    await ok([
      'prompts',
      'add',
      '--name',
      'mailsort',
      '--text',
      '{{subject}}: {{content}}',
      '--label',
      'production',
    ]);
    const running = evalq([
      'run',
      '--name',
      'mail triage',
      '--dataset',
      'spamassassin',
      '--models',
      'fake-gpt,fake-llama',
      '--prompts',
      'mailsort@production',
      '--watch',
    ]);
    let runId = '';
    for (let waited = 0; waited < 300 && !runId; waited += 1) {
      const found = await api.t.query<{ id: string }>('SELECT id FROM runs WHERE dataset_id = $1', [
        datasetId,
      ]);
      runId = found[0]?.id ?? '';
      if (!runId) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(runId).not.toBe('');
    const jobs = await api.t.query<{ model_id: number; prompt_id: number; name: string }>(
      `SELECT j.model_id, j.prompt_id, m.name FROM run_jobs j JOIN models m USING (model_id)
        WHERE run_id = $1 ORDER BY m.name`,
      [runId],
    );
    // fake-gpt answers every row right; fake-llama says "ham" to everything (15 of 20 right).
    for (const job of jobs) {
      const key = { model_id: job.model_id, prompt_id: job.prompt_id, dataset_id: datasetId };
      await processRows(api.t, key, 20, job.name === 'fake-gpt' ? {} : { answer: () => 'ham' });
    }
    const watched = await running;
    expect(watched.code, watched.stderr).toBe(0);
    expect(watched.stdout).toContain(`run ${runId} launched: 2 job(s)`);
    expect(watched.stdout).toContain('run mail triage: completed 40/40 (100%)');
    expect(watched.stdout).toMatch(/Leaderboard \(pass rate with its 95% interval/);
    expect(watched.stdout).toMatch(/1\s+\d+ fake-gpt\s+mailsort@2\s+done\s+20\s+100\.0%/);
    expect(watched.stdout).toMatch(/2\s+\d+ fake-llama\s+mailsort@2\s+done\s+20\s+75\.0%/);
    // fake-gpt passes alone on the 5 spam rows, fake-llama on none: McNemar's exact
    // p = 2 · (1/2)^5 = 0.0625, not below 0.05, so neither wins.
    expect(watched.stdout).toContain(
      'fake-gpt × mailsort@2 vs fake-llama × mailsort@2: 5 vs 0 rows won of 20 paired, ' +
        `McNemar p = ${(2 / 2 ** 5).toPrecision(2)}`,
    );
    expect(watched.stdout).toContain('→ no significant difference');
    expect(watched.stdout).toContain('mailsort@2: no model is significantly better than the rest');

    const listed = await ok(['runs']);
    expect(listed).toMatch(
      new RegExp(`${runId}\\s+mail triage\\s+${datasetId}\\s+completed\\s+40/40`),
    );
    const shown = await ok(['runs', 'show', runId]);
    expect(shown).toContain('completed');

    const shared = await ok(['share', runId, '--expires-in', '2h']);
    const url = shared.split('\n')[0]!;
    expect(url).toMatch(new RegExp(`^${api.url}/share/[A-Za-z0-9_-]{43}$`));
    const page = await fetch(`${url}/data`);
    expect(page.status).toBe(200);
    expect(((await page.json()) as { run: { name: string } }).run.name).toBe('mail triage');
    expect(await ok(['share', runId, '--revoke'])).toContain(`1 link(s) of run ${runId} revoked`);
    expect((await fetch(`${url}/data`)).status).toBe(410);

    expect(await ok(['runs', 'cancel', runId])).toContain(
      `run ${runId} canceled: 0 unfinished job(s)`,
    );
    expect(
      await ok(['status', '--dataset', 'spamassassin', '--prompt', 'mailsort@production']),
    ).toMatch(/done/);
  });

  it('says which ids to choose from when a name is ambiguous, and when it matches nothing', async () => {
    await ok(['models', 'add', '--name', 'twin', '--source', 'mock']);
    await ok(['models', 'add', '--name', 'twin', '--source', 'mock']);
    const twins = await evalq([
      'launch',
      '--dataset',
      'spamassassin',
      '--models',
      'twin',
      '--prompts',
      'mailsort',
    ]);
    expect(twins.code).toBe(1);
    expect(twins.stderr).toMatch(/2 models are named "twin" \(ids \d+, \d+\): give the id/);
    const nothing = await evalq(['leaderboard', '--dataset', 'no-such-dataset']);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toContain('no dataset is named "no-such-dataset"');
    const label = await evalq([
      'run',
      '--dataset',
      'spamassassin',
      '--models',
      'fake-gpt',
      '--prompts',
      'mailsort@nolabel',
    ]);
    expect(label.code).toBe(1);
    expect(label.stderr).toContain('no version holding label nolabel');
  });
});
