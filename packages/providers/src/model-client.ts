import type { ClientKind } from './client-kind.js';
import type { ChatMessage, SamplingSettings } from './prompt/chat-message.js';

export interface CompletionRequest {
  /** The rendered messages (a text prompt is one user message): exactly what is sent. */
  messages: readonly ChatMessage[];
  /** The row's content before templating. Only the mock model looks at it. */
  content?: string;
  /** The prompt's template (prompts.text). Only the mock model looks at it. */
  template?: string;
  /** The prompt's model_defaults: override the model config's temperature and max_tokens. */
  sampling?: SamplingSettings;
  /** Give up after this long; the call fails with kind `timeout`. */
  timeoutMs: number;
  /** Aborted when the caller gives up (shutdown); the call fails with kind `aborted`. */
  signal?: AbortSignal;
}

export interface Completion {
  text: string;
  /** Token counts, when the provider reports them. */
  promptTokens?: number;
  completionTokens?: number;
}

/**
 * One model, ready to be called. `complete` either returns the model's answer or
 * throws a ProviderError whose `kind` says what went wrong and whether a retry can
 * help. Clients never retry by themselves: the worker owns retries and limits.
 */
export interface ModelClient {
  readonly kind: ClientKind;
  /** The provider's model name (`models.name`). */
  readonly model: string;
  complete(request: CompletionRequest): Promise<Completion>;
}
