import { createHash } from 'node:crypto';
import type { ClientKind } from './client-kind.js';
import type { ChatMessage, SamplingSettings } from './prompt/chat-message.js';

/** What, besides the messages, decides a model's answer: who answers and how it samples. */
export interface RequestIdentity {
  kind: ClientKind;
  /** The server the request goes to ('' for the built-in mock). */
  baseUrl: string;
  model: string;
  temperature: number | undefined;
  maxTokens: number | undefined;
}

/**
 * The response cache's key (docs/cost.md): SHA-256 over the provider kind, base URL,
 * model name, the output-affecting parameters (temperature, max_tokens, the prompt's
 * sampling settings over the model's) and the rendered messages, as one JSON array, so
 * no two different requests can write the same bytes. Timeouts, retries, limits,
 * prices and the key variable do not change an answer and are left out.
 */
export function cacheKey(
  identity: RequestIdentity,
  messages: readonly ChatMessage[],
  sampling: SamplingSettings | undefined,
): Buffer {
  const canonical = JSON.stringify([
    'evalq-response-cache/1',
    identity.kind,
    identity.baseUrl.replace(/\/+$/, ''),
    identity.model,
    sampling?.temperature ?? identity.temperature ?? null,
    sampling?.max_tokens ?? identity.maxTokens ?? null,
    messages.map((message) => [message.role, message.content]),
  ]);
  return createHash('sha256').update(canonical).digest();
}
