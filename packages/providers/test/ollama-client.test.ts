import { describe, expect, it } from 'vitest';
import { createModelClient } from '@evalq/providers';
import { startFakeOllamaServer } from '@evalq/testing';
import { failure, useFakeModelServer, user } from './support.js';

// The ollama client through the real ollama SDK against the fake Ollama server.

const fake = useFakeModelServer(
  () => startFakeOllamaServer({ respond: (prompt) => `llama says ${prompt}` }),
  { name: 'llama3.2', source: 'ollama' },
);
const client = fake.client;

describe('ollama client (real SDK, fake server)', () => {
  it('returns the answer and token counts', async () => {
    const result = await client().complete({ messages: user('hello there'), timeoutMs: 5000 });
    expect(result).toEqual({
      text: 'llama says hello there',
      promptTokens: 2,
      completionTokens: 4,
    });
    expect(fake.server.requests[0]).toMatchObject({
      model: 'llama3.2',
      prompt: 'hello there',
      status: 200,
    });
  });

  it('uses the host given by the worker (OLLAMA_HOST) when the model sets no base_url', async () => {
    const viaHost = createModelClient(
      { name: 'llama3.2', source: 'x', library: 'ollama', config: {} },
      { env: {}, ollamaHost: fake.server.url },
    );
    expect((await viaHost.complete({ messages: user('x'), timeoutMs: 5000 })).text).toBe(
      'llama says x',
    );
  });

  it('passes temperature and max_tokens as Ollama options', async () => {
    await client({ temperature: 0.5, max_tokens: 7 }).complete({
      messages: user('x'),
      timeoutMs: 5000,
    });
    expect(fake.server.requests[0]!.body).toMatchObject({
      stream: false,
      options: { temperature: 0.5, num_predict: 7 },
    });
  });

  it('sends a key named by api_key_env, and fails without a request when it is missing', async () => {
    await client({ api_key_env: 'OLLAMA_KEY_FOR_TEST' }, { OLLAMA_KEY_FOR_TEST: 'k-1' }).complete({
      messages: user('x'),
      timeoutMs: 5000,
    });
    expect(fake.server.requests[0]!.authorization).toBe('Bearer k-1');
    const error = await failure(
      client({ api_key_env: 'OLLAMA_KEY_FOR_TEST' }).complete({
        messages: user('x'),
        timeoutMs: 5000,
      }),
    );
    expect(error).toMatchObject({ kind: 'config', retryable: false });
    expect(fake.server.requests).toHaveLength(1);
  });

  it.each([
    [400, 'bad_request', false],
    [404, 'not_found', false],
    [500, 'server', true],
  ] as const)('classifies HTTP %i as %s', async (status, kind, retryable) => {
    fake.server.configure({ failWith: status });
    const error = await failure(client().complete({ messages: user('x'), timeoutMs: 5000 }));
    expect(error).toMatchObject({ kind, retryable, status });
  });

  it('reports a 429 with its Retry-After', async () => {
    fake.server.configure({ rateLimitRate: 1, retryAfterSeconds: 3 });
    expect(
      await failure(client().complete({ messages: user('x'), timeoutMs: 5000 })),
    ).toMatchObject({
      kind: 'rate_limited',
      retryAfterMs: 3000,
    });
  });

  it('times out a slow answer, and stops at once when the caller gives up', async () => {
    fake.server.configure({ latencyMs: 1000 });
    expect(await failure(client().complete({ messages: user('x'), timeoutMs: 50 }))).toMatchObject({
      kind: 'timeout',
      retryable: true,
    });
    const controller = new AbortController();
    const pending = client().complete({
      messages: user('x'),
      timeoutMs: 10_000,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 20);
    expect(await failure(pending)).toMatchObject({ kind: 'aborted' });
  });

  it('keeps connections alive across calls', async () => {
    const c = client();
    for (let round = 0; round < 4; round += 1) {
      await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          c.complete({ messages: user(`keep-alive ${round}.${i}`), timeoutMs: 5000 }),
        ),
      );
    }
    // Only this test's requests: one an earlier test gave up on may still arrive late.
    const ours = fake.server.requests.filter((request) => request.prompt.startsWith('keep-alive '));
    expect(ours).toHaveLength(24);
    expect(new Set(ours.map((request) => request.connection)).size).toBeLessThanOrEqual(6);
  });

  it('sends chat messages as they are, and the prompt sampling settings over the model config', async () => {
    const messages = [
      { role: 'system', content: 'You label spam.' },
      { role: 'user', content: 'Lunch at noon?' },
    ] as const;
    await client({ temperature: 1, max_tokens: 50 }).complete({
      messages,
      sampling: { max_tokens: 3 },
      timeoutMs: 5000,
    });
    expect(fake.server.requests[0]!.body).toMatchObject({
      messages,
      options: { temperature: 1, num_predict: 3 },
    });
  });
});
