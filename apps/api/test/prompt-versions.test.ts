import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './support/test-api.js';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api?.close();
});

const countPrompts = async () =>
  Number((await api.t.query<{ n: string }>('SELECT count(*) AS n FROM prompts'))[0]!.n);

describe('prompt versions', () => {
  it('numbers 20 concurrent creations of one name 1..20, each once', async () => {
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        api.post('/v1/prompts', { name: 'race', text: `version from request ${i}: {{content}}` }),
      ),
    );
    expect(replies.map((r) => r.status)).toEqual(Array(20).fill(201));
    const versions = replies.map((r) => r.body.version as number).sort((a, b) => a - b);
    expect(versions).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const listed = await api.get('/v1/prompts?name=race');
    expect(listed.body.items.map((p: { version: number }) => p.version)).toEqual(versions);
  });

  it('never gives a version number twice, even after a version was deleted', async () => {
    const one = await api.post('/v1/prompts', { name: 'once', text: 'v1' });
    const two = await api.post('/v1/prompts', { name: 'once', text: 'v2' });
    expect((await api.request('DELETE', `/v1/prompts/${two.body.prompt_id}`)).status).toBe(200);
    const three = await api.post('/v1/prompts', { name: 'once', text: 'v3' });
    expect([one.body.version, two.body.version, three.body.version]).toEqual([1, 2, 3]);
    expect((await api.get('/v1/prompts/resolve?name=once')).body.text).toBe('v3');
  });

  it('stores a chat prompt: its messages, their text joined readably, its variables and model defaults', async () => {
    const messages = [
      { role: 'system', content: 'You label support tickets. Answer in {{ lang }}.' },
      { role: 'user', content: 'Ticket: {{content}}\nPriority: {{meta.priority}}' },
    ];
    const created = await api.post('/v1/prompts', {
      name: 'tickets',
      messages,
      commit_message: 'first cut',
      model_defaults: { temperature: 0, max_tokens: 20 },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'tickets',
      version: 1,
      type: 'chat',
      messages,
      text:
        'system: You label support tickets. Answer in {{ lang }}.\n\n' +
        'user: Ticket: {{content}}\nPriority: {{meta.priority}}',
      labels: [],
      commit_message: 'first cut',
      model_defaults: { temperature: 0, max_tokens: 20 },
      variables: ['lang', 'content', 'meta.priority'],
    });
    const text = await api.post('/v1/prompts', { name: 'tickets', text: 'Label: {{ content }}' });
    expect(text.body).toMatchObject({ version: 2, type: 'text', messages: null });
    expect(text.body.variables).toEqual(['content']);
  });

  it('keeps unnamed prompts as before: no name, no version, no labels', async () => {
    const plain = await api.post('/v1/prompts', { text: 'Classify.' });
    expect(plain.body).toMatchObject({ name: null, version: null, labels: [], variables: [] });
    const labelled = await api.post('/v1/prompts', { text: 'x', labels: ['production'] });
    expect(labelled.status).toBe(400);
    expect(labelled.body.error.details[0].path).toBe('body.labels');
    const move = await api.post(`/v1/prompts/${plain.body.prompt_id}/labels`, { add: ['prod'] });
    expect(move.status).toBe(400);
  });

  it('rejects a template that does not parse, naming the field, and stores nothing', async () => {
    const before = await countPrompts();
    const cases = [
      [{ name: 'bad', text: 'Q: {{content' }, 'body.text', 'unclosed {{ at line 1, column 4'],
      [
        {
          name: 'bad',
          messages: [
            { role: 'system', content: 'ok' },
            { role: 'user', content: '{{ }}' },
          ],
        },
        'body.messages.1.content',
        'empty {{}}',
      ],
      [{ text: 'a', messages: [{ role: 'user', content: 'b' }] }, 'body.messages', 'either text'],
      [{ name: 'bad' }, 'body.text', 'either text'],
      [{ text: 'x', type: 'chat' }, 'body.type', 'a chat prompt takes messages'],
      [{ messages: [{ role: 'robot', content: 'b' }] }, 'body.messages.0.role', ''],
      [{ text: 'x', model_defaults: { temperature: 3 } }, 'body.model_defaults.temperature', ''],
      [{ text: 'x', model_defaults: { top_p: 1 } }, 'body.model_defaults', ''],
      [{ name: 'has space', text: 'x' }, 'body.name', ''],
    ] as const;
    for (const [body, path, message] of cases) {
      const reply = await api.post('/v1/prompts', body);
      expect(reply.status, JSON.stringify(body)).toBe(400);
      expect(reply.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
      expect(reply.body.error.message).toContain(message);
    }
    expect(await countPrompts()).toBe(before);
  });

  it('is immutable: the database refuses any change but a label move', async () => {
    const created = await api.post('/v1/prompts', { name: 'frozen', text: 'A {{content}}' });
    await expect(
      api.t.query('UPDATE prompts SET text = $1 WHERE prompt_id = $2', [
        'B',
        created.body.prompt_id,
      ]),
    ).rejects.toThrow(/immutable/);
    await api.t.query('UPDATE prompts SET labels = $1 WHERE prompt_id = $2', [
      ['x'],
      created.body.prompt_id,
    ]);
    expect((await api.get(`/v1/prompts/${created.body.prompt_id}`)).body.text).toBe(
      'A {{content}}',
    );
  });
});

describe('labels and resolve', () => {
  it('moves a label from version to version, one holder at a time, and resolves by label, version or latest', async () => {
    const v1 = await api.post('/v1/prompts', {
      name: 'classify',
      text: 'v1 {{content}}',
      labels: ['production', 'staging'],
    });
    const v2 = await api.post('/v1/prompts', {
      name: 'classify',
      text: 'v2 {{content}}',
      labels: ['staging'],
    });
    const v3 = await api.post('/v1/prompts', { name: 'classify', text: 'v3 {{content}}' });
    expect(v2.body.labels).toEqual(['staging']);
    expect((await api.get(`/v1/prompts/${v1.body.prompt_id}`)).body.labels).toEqual(['production']);

    const resolve = (query: string) => api.get(`/v1/prompts/resolve?name=classify${query}`);
    expect((await resolve('&label=production')).body.version).toBe(1);
    expect((await resolve('&label=staging')).body.version).toBe(2);
    expect((await resolve('&version=3')).body.prompt_id).toBe(v3.body.prompt_id);
    expect((await resolve('')).body.version).toBe(3);

    const moved = await api.post(`/v1/prompts/${v3.body.prompt_id}/labels`, {
      add: ['production'],
    });
    expect(moved.status).toBe(200);
    expect(moved.body.labels).toEqual(['production']);
    expect((await resolve('&label=production')).body.version).toBe(3);
    expect((await api.get(`/v1/prompts/${v1.body.prompt_id}`)).body.labels).toEqual([]);

    const removed = await api.post(`/v1/prompts/${v2.body.prompt_id}/labels`, {
      remove: ['staging'],
    });
    expect(removed.body.labels).toEqual([]);
    expect((await resolve('&label=staging')).status).toBe(404);
    expect((await resolve('&version=9')).status).toBe(404);
    expect((await api.get('/v1/prompts/resolve?name=nobody')).status).toBe(404);
    const both = await resolve('&version=1&label=production');
    expect(both.status).toBe(400);
  });

  it('keeps one holder per name when moves race, with each other and with new versions', async () => {
    const versions: number[] = [];
    for (let i = 0; i < 8; i += 1) {
      versions.push(
        (await api.post('/v1/prompts', { name: 'contested', text: `v${i}` })).body.prompt_id,
      );
    }
    const holders = () =>
      api.t.query(
        "SELECT prompt_id FROM prompts WHERE name = 'contested' AND 'production' = ANY(labels)",
      );
    for (let round = 0; round < 5; round += 1) {
      const moves = await Promise.all(
        versions.map((id) => api.post(`/v1/prompts/${id}/labels`, { add: ['production'] })),
      );
      expect(moves.map((m) => m.status)).toEqual(Array(8).fill(200));
      expect(await holders()).toHaveLength(1);
    }
    const mixed = await Promise.all(
      versions.flatMap((id) => [
        api.post(`/v1/prompts/${id}/labels`, { add: ['production'] }),
        api.post('/v1/prompts', { name: 'contested', text: 'late', labels: ['production'] }),
      ]),
    );
    expect(mixed.every((r) => r.status === 200 || r.status === 201)).toBe(true);
    expect(await holders()).toHaveLength(1);
  });

  it('answers 404 for a prompt that does not exist and 400 for an empty move', async () => {
    expect((await api.post('/v1/prompts/999999/labels', { add: ['x'] })).status).toBe(404);
    const some = await api.post('/v1/prompts', { name: 'empty-move', text: 'x' });
    const empty = await api.post(`/v1/prompts/${some.body.prompt_id}/labels`, {});
    expect(empty.status).toBe(400);
    const both = await api.post(`/v1/prompts/${some.body.prompt_id}/labels`, {
      add: ['a'],
      remove: ['a'],
    });
    expect(both.status).toBe(400);
  });
});
