import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  killAll,
  startFakeOllamaServer,
  startFakeOpenAIServer,
  type FakeModelServer,
  type RecordedRequest,
  type WorkerProcess,
} from '@evalq/testing';
import { startWorkers } from './support/dashboard-workers.js';
import { startTestApi, type TestApi } from './support/test-api.js';

// A run of chat and text prompt versions over rows with variables, end to end: the API,
// real worker processes, and fake OpenAI-compatible and Ollama servers reached through
// the openai and ollama SDKs. The servers must receive each row's rendered messages,
// with the prompt's model defaults over the model's config.

const ROWS = 12;
/** The row whose `subject` is removed after the launch (see below). */
const LOST = 5;

let api: TestApi;
let openai: FakeModelServer;
let ollama: FakeModelServer;
let workers: WorkerProcess[] = [];

interface Row {
  content: string;
  expected: string;
  subject: string;
  lang: string;
}
const rows: Row[] = Array.from({ length: ROWS }, (_, i) => ({
  content: `mail ${i + 1}`,
  expected: i % 3 === 0 ? 'spam' : 'ham',
  subject: i % 3 === 0 ? `WIN a prize ${i + 1}` : `meeting ${i + 1}`,
  lang: i % 2 ? 'fr' : 'en',
}));

/** Both fakes answer from the last message: "spam" when it shouts WIN. */
const answer = (prompt: string) => (prompt.includes('WIN') ? 'spam' : 'ham');

const ids = { dataset: 0, gpt: 0, llama: 0, chat1: 0, chat2: 0, text: 0 };
let runId = '';

beforeAll(async () => {
  api = await startTestApi();
  openai = await startFakeOpenAIServer({ respond: answer });
  ollama = await startFakeOllamaServer({ respond: answer });
  ids.dataset = (await api.post('/v1/datasets', { name: 'mail' })).body.dataset_id;
  const csv =
    'content,expected_prediction,subject,meta.lang\n' +
    rows.map((r) => `${r.content},${r.expected},"${r.subject}",${r.lang}`).join('\n');
  const imported = await api.request('POST', `/v1/datasets/${ids.dataset}/rows`, {
    raw: csv,
    contentType: 'text/csv',
  });
  expect(imported.status).toBe(201);

  const model = async (name: string, source: string, url: string) =>
    (await api.post('/v1/models', { name, source, config: { base_url: url, temperature: 1 } })).body
      .model_id as number;
  ids.gpt = await model('gpt-fake', 'openai', openai.url);
  ids.llama = await model('llama-fake', 'ollama', ollama.url);
  const prompt = async (body: Record<string, unknown>) => {
    const created = await api.post('/v1/prompts', body);
    expect(created.status, created.text).toBe(201);
    return created.body.prompt_id as number;
  };
  ids.chat1 = await prompt({
    name: 'sorter',
    messages: [
      { role: 'system', content: 'Sort mail into spam and ham. Reply in {{meta.lang}}.' },
      { role: 'user', content: 'Subject: {{ subject }}\n{{content}}' },
    ],
    model_defaults: { temperature: 0.25, max_tokens: 5 },
  });
  ids.chat2 = await prompt({
    name: 'sorter',
    messages: [
      { role: 'system', content: 'Answer spam or ham.' },
      { role: 'user', content: 'Is this spam? Win money now' },
      { role: 'assistant', content: 'spam' },
      { role: 'user', content: '{{subject}}' },
    ],
  });
  ids.text = await prompt({
    text: 'Label ({{expected}} is the answer key, ignore it): {{subject}}',
  });

  const launched = await api.post('/v1/runs', {
    name: 'chat e2e',
    dataset_id: ids.dataset,
    model_ids: [ids.gpt, ids.llama],
    prompt_ids: [ids.chat1, ids.chat2, ids.text],
  });
  expect(launched.status, launched.text).toBe(201);
  runId = launched.body.id;
  // After the launch's check, before any worker runs: one row loses its subject (as a
  // plain-SQL edit could). Its renders must fail, naming the variable; the rest go on.
  await api.t.query(
    `UPDATE rows SET input = input - 'subject' WHERE dataset_id = $1 AND content = $2`,
    [ids.dataset, rows[LOST - 1]!.content],
  );
  workers = await startWorkers(api, 2);
});

afterAll(async () => {
  await killAll(workers);
  await Promise.all([openai?.close(), ollama?.close()]);
  await api?.close();
});

/** What a prompt should send for a row, written out here independently of the engine. */
function expectedMessages(promptId: number, row: Row) {
  if (promptId === ids.chat1) {
    return [
      { role: 'system', content: `Sort mail into spam and ham. Reply in ${row.lang}.` },
      { role: 'user', content: `Subject: ${row.subject}\n${row.content}` },
    ];
  }
  if (promptId === ids.chat2) {
    return [
      { role: 'system', content: 'Answer spam or ham.' },
      { role: 'user', content: 'Is this spam? Win money now' },
      { role: 'assistant', content: 'spam' },
      { role: 'user', content: row.subject },
    ];
  }
  return [
    {
      role: 'user',
      content: `Label (${row.expected} is the answer key, ignore it): ${row.subject}`,
    },
  ];
}

async function waitForRun(): Promise<any> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const run = await api.get(`/v1/runs/${runId}`);
    if (run.body.status === 'completed') return run.body;
    if (Date.now() > deadline) {
      throw new Error(
        `run not completed: ${JSON.stringify(run.body.progress)} ${workers.map((w) => w.describe()).join('\n')}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const sentMessages = (request: RecordedRequest) => request.body.messages;

describe('a run of chat and text prompts, through real workers and the SDKs', () => {
  it('sends every row its rendered messages, stores them as formatted_prompt, and completes', async () => {
    const run = await waitForRun();
    expect(run.progress).toMatchObject({ total: ROWS * 6, done: ROWS * 6, failed: 6 });

    const predictions = await api.t.query<{
      model_id: number;
      prompt_id: number;
      content: string;
      status: string;
      prediction: string;
      formatted_prompt: string;
      error: string | null;
    }>(
      `SELECT p.model_id, p.prompt_id, r.content, p.status, p.prediction, p.formatted_prompt, p.error
         FROM predictions p JOIN rows r USING (row_id) WHERE p.dataset_id = $1`,
      [ids.dataset],
    );
    expect(predictions).toHaveLength(ROWS * 6);
    for (const p of predictions) {
      const row = rows.find((r) => r.content === p.content)!;
      const lost = row === rows[LOST - 1];
      if (lost) {
        expect(p.status).toBe('failed');
        expect(p.error).toContain('{{subject}}');
        continue;
      }
      const messages = expectedMessages(p.prompt_id, row);
      expect(p.status, p.error ?? '').toBe('success');
      expect(p.prediction).toBe(answer(messages.at(-1)!.content));
      if (p.prompt_id === ids.text) expect(p.formatted_prompt).toBe(messages[0]!.content);
      else expect(JSON.parse(p.formatted_prompt)).toEqual(messages);
    }

    // Each server saw each row's messages once per prompt, and the prompt's defaults.
    for (const [server, modelName] of [
      [openai, 'gpt-fake'],
      [ollama, 'llama-fake'],
    ] as const) {
      const requests = server.requests.filter((r) => r.model === modelName && r.status === 200);
      expect(requests).toHaveLength((ROWS - 1) * 3);
      for (const promptId of [ids.chat1, ids.chat2, ids.text]) {
        const expected = rows
          .filter((row) => row !== rows[LOST - 1])
          .map((row) => JSON.stringify(expectedMessages(promptId, row)))
          .sort();
        const sent = requests
          .map((r) => JSON.stringify(sentMessages(r)))
          .filter((m) => expected.includes(m))
          .sort();
        expect(sent, `prompt ${promptId} via ${modelName}`).toEqual(expected);
      }
      const temperatures = (filter: (r: RecordedRequest) => boolean) =>
        new Set(
          requests
            .filter(filter)
            .map((r) =>
              server === openai
                ? [r.body.temperature, r.body.max_tokens]
                : [
                    (r.body.options as { temperature?: number }).temperature,
                    (r.body.options as { num_predict?: number }).num_predict,
                  ],
            )
            .map((pair) => JSON.stringify(pair)),
        );
      const isChat1 = (r: RecordedRequest) =>
        (sentMessages(r) as { content: string }[])[0]!.content.startsWith('Sort mail');
      expect(temperatures(isChat1)).toEqual(new Set([JSON.stringify([0.25, 5])]));
      expect(temperatures((r) => !isChat1(r))).toEqual(new Set([JSON.stringify([1, null])]));
    }

    // The summary ranks the six candidates by pass rate on the 11 rows that rendered (the
    // failed one is not graded), and compares the pairs that share a prompt or a model.
    expect(run.summary.leaderboard).toHaveLength(6);
    for (const entry of run.summary.leaderboard) {
      expect(entry).toMatchObject({ n: ROWS - 1, processed: ROWS, failed: 1, pass_rate: 1 });
    }
    expect(run.summary.comparisons.length).toBeGreaterThan(0);
    for (const comparison of run.summary.comparisons) {
      expect(comparison).toMatchObject({ n_paired: ROWS - 1, mcnemar_p: 1, winner: null });
    }
  });
});
