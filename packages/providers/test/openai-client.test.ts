import { describe, expect, it } from 'vitest';
import { createModelClient } from '@evalq/providers';
import { startFakeOpenAIServer } from '@evalq/testing';
import { failure, useFakeModelServer, user } from './support.js';

// The openai client through the real openai SDK against the fake OpenAI-compatible server.

const fake = useFakeModelServer(
  () => startFakeOpenAIServer({ respond: (prompt) => `echo: ${prompt}` }),
  { name: 'gpt-fake', source: 'openai' },
);
const client = fake.client;

describe('openai client (real SDK, fake server)', () => {
  it('returns the completion text and token counts, sending the prompt as the user message', async () => {
    const result = await client().complete({ messages: user('Say hi to Ada'), timeoutMs: 5000 });
    expect(result).toEqual({ text: 'echo: Say hi to Ada', promptTokens: 4, completionTokens: 5 });
    expect(fake.server.requests).toHaveLength(1);
    expect(fake.server.requests[0]).toMatchObject({
      model: 'gpt-fake',
      prompt: 'Say hi to Ada',
      status: 200,
    });
  });

  it('reads the API key from the variable named by api_key_env at call time and sends it as a bearer token', async () => {
    const env: Record<string, string> = { MY_KEY: 'sk-first' };
    const c = client({ api_key_env: 'MY_KEY' }, env);
    await c.complete({ messages: user('a'), timeoutMs: 5000 });
    env.MY_KEY = 'sk-rotated';
    await c.complete({ messages: user('b'), timeoutMs: 5000 });
    expect(fake.server.requests.map((r) => r.authorization)).toEqual([
      'Bearer sk-first',
      'Bearer sk-rotated',
    ]);
  });

  it('fails at once, without a request, when the named key variable is missing; the message names it but holds no key', async () => {
    const error = await failure(
      client({ api_key_env: 'EVALQ_TEST_MISSING_KEY' }, { OTHER: 'sk-secret' }).complete({
        messages: user('a'),
        timeoutMs: 5000,
      }),
    );
    expect(error.kind).toBe('config');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('EVALQ_TEST_MISSING_KEY');
    expect(error.message).not.toContain('sk-secret');
    expect(fake.server.requests).toHaveLength(0);
  });

  it('requires OPENAI_API_KEY for api.openai.com (no base_url)', async () => {
    const openai = createModelClient(
      { name: 'gpt-4o-mini', source: 'openai', library: 'unknown', config: {} },
      { env: {} },
    );
    const error = await failure(openai.complete({ messages: user('a'), timeoutMs: 1000 }));
    expect(error).toMatchObject({ kind: 'config', retryable: false });
    expect(error.message).toContain('OPENAI_API_KEY');
  });

  it.each([
    [400, 'bad_request', false],
    [401, 'auth', false],
    [404, 'not_found', false],
    [422, 'bad_request', false],
    [500, 'server', true],
    [503, 'server', true],
  ] as const)(
    'classifies HTTP %i as %s and makes one request only (SDK retries off)',
    async (status, kind, retryable) => {
      fake.server.configure({ failWith: status });
      const error = await failure(client().complete({ messages: user('a'), timeoutMs: 5000 }));
      expect(error).toMatchObject({ kind, retryable, status });
      expect(error.message).toContain(String(status));
      expect(fake.server.requests).toHaveLength(1);
    },
  );

  it('reports a 429 with its Retry-After', async () => {
    fake.server.configure({ rateLimitRate: 1, retryAfterSeconds: 2 });
    const error = await failure(client().complete({ messages: user('a'), timeoutMs: 5000 }));
    expect(error).toMatchObject({
      kind: 'rate_limited',
      retryable: true,
      status: 429,
      retryAfterMs: 2000,
    });
    fake.server.configure({ retryAfterMs: 150 });
    expect(
      await failure(client().complete({ messages: user('a'), timeoutMs: 5000 })),
    ).toMatchObject({
      retryAfterMs: 150,
    });
  });

  it('times out a slow answer as a retryable timeout', async () => {
    fake.server.configure({ latencyMs: 500 });
    const started = Date.now();
    const error = await failure(client().complete({ messages: user('a'), timeoutMs: 50 }));
    expect(error).toMatchObject({ kind: 'timeout', retryable: true });
    expect(Date.now() - started).toBeLessThan(450);
  });

  it('stops at once, as aborted, when the caller gives up', async () => {
    fake.server.configure({ latencyMs: 2000 });
    const controller = new AbortController();
    const pending = client().complete({
      messages: user('a'),
      timeoutMs: 10_000,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 30);
    expect(await failure(pending)).toMatchObject({ kind: 'aborted', retryable: false });
  });

  it('classifies a refused connection as a retryable network error', async () => {
    const dead = createModelClient(
      {
        name: 'x',
        source: 'openai',
        library: 'unknown',
        config: { base_url: 'http://127.0.0.1:9/v1' },
      },
      { env: {} },
    );
    expect(await failure(dead.complete({ messages: user('a'), timeoutMs: 5000 }))).toMatchObject({
      kind: 'network',
      retryable: true,
    });
  });

  it('keeps connections alive across calls', async () => {
    const c = client();
    for (let round = 0; round < 5; round += 1) {
      await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          c.complete({ messages: user(`keep-alive ${round}.${i}`), timeoutMs: 5000 }),
        ),
      );
    }
    // Only this test's requests: one an earlier test gave up on may still arrive late.
    const ours = fake.server.requests.filter((request) => request.prompt.startsWith('keep-alive '));
    expect(ours).toHaveLength(40);
    expect(new Set(ours.map((request) => request.connection)).size).toBeLessThanOrEqual(8);
  });

  it('sends temperature and max_tokens from the model config, and nothing it was not given', async () => {
    await client({ temperature: 0, max_tokens: 5 }).complete({
      messages: user('a'),
      timeoutMs: 5000,
    });
    await client().complete({ messages: user('b'), timeoutMs: 5000 });
    expect(fake.server.requests[0]!.body).toMatchObject({ temperature: 0, max_tokens: 5 });
    expect(fake.server.requests[1]!.body).not.toHaveProperty('temperature');
    expect(fake.server.requests[1]!.body).not.toHaveProperty('max_tokens');
  });

  it('sends chat messages as they are, and the prompt sampling settings over the model config', async () => {
    const messages = [
      { role: 'system', content: 'You label spam.' },
      { role: 'user', content: 'Win a prize now' },
      { role: 'assistant', content: 'spam' },
      { role: 'user', content: 'Lunch at noon?' },
    ] as const;
    const result = await client({ temperature: 1, max_tokens: 50 }).complete({
      messages,
      sampling: { temperature: 0 },
      timeoutMs: 5000,
    });
    expect(result.text).toBe('echo: Lunch at noon?');
    expect(fake.server.requests[0]!.body).toMatchObject({
      messages,
      temperature: 0,
      max_tokens: 50,
    });
  });
});
