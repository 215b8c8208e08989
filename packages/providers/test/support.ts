import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import {
  createModelClient,
  ProviderError,
  type ChatMessage,
  type ModelClient,
} from '@evalq/providers';
import type { FakeModelServer } from '@evalq/testing';

/**
 * A fake model server for one test file, back to a quiet, answering state (and its
 * records cleared) before each test, and a client of a model served by it.
 */
export function useFakeModelServer(
  start: () => Promise<FakeModelServer>,
  model: { name: string; source: string },
) {
  const bed = {
    server: undefined as unknown as FakeModelServer,
    client: (config: Record<string, unknown> = {}, env: Record<string, string> = {}): ModelClient =>
      createModelClient(
        { ...model, library: 'unknown', config: { base_url: bed.server.url, ...config } },
        { env },
      ),
  };
  beforeAll(async () => {
    bed.server = await start();
  });
  afterAll(async () => {
    await bed.server?.close();
  });
  beforeEach(() => {
    bed.server.configure({
      latencyMs: 0,
      errorRate: 0,
      rateLimitRate: 0,
      failWith: undefined,
      retryAfterMs: undefined,
      retryAfterSeconds: undefined,
    });
    bed.server.reset();
  });
  return bed;
}

/** The ProviderError a call rejects with (fails the test if it resolves or throws anything else). */
export async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

/** One user message: what a text prompt sends. */
export function user(content: string): ChatMessage[] {
  return [{ role: 'user', content }];
}
