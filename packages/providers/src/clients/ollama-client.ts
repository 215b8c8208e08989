import { Ollama } from 'ollama';
import { readApiKey, type Environment } from '../api-key.js';
import { callWithDeadline } from '../call-deadline.js';
import { errorFromStatus } from '../classify-error.js';
import { sharedKeepAliveFetch, type FetchFunction } from '../keep-alive-fetch.js';
import type { Completion, CompletionRequest, ModelClient } from '../model-client.js';
import type { ModelConfig } from '../model-config.js';
import { ProviderError } from '../provider-error.js';

export const DEFAULT_OLLAMA_HOST = 'http://127.0.0.1:11434';

export interface OllamaClientOptions {
  model: string;
  config: ModelConfig;
  env: Environment;
  /** The server when `config.base_url` is not set; the worker passes OLLAMA_HOST. */
  defaultHost?: string;
  /** The HTTP client; a keep-alive fetch over node:http by default. */
  fetch?: FetchFunction;
}

/**
 * Ollama's chat endpoint through the official SDK (the request's messages as chat
 * messages; the prompt's sampling settings over the model's config). The SDK takes no per-request
 * signal, so each call gets a light client whose fetch carries the call's signal; the
 * same fetch turns an HTTP error into a ProviderError with the status and Retry-After
 * (the SDK's own error keeps neither the headers nor quiet logs).
 */
export function createOllamaClient(options: OllamaClientOptions): ModelClient {
  const { model, config, env } = options;
  const host = config.base_url ?? options.defaultHost ?? DEFAULT_OLLAMA_HOST;
  const fetch = options.fetch ?? sharedKeepAliveFetch();

  return {
    kind: 'ollama',
    model,
    async complete(request: CompletionRequest): Promise<Completion> {
      const apiKey = readApiKey(env, config.api_key_env);
      const modelOptions: { temperature?: number; num_predict?: number } = {};
      const temperature = request.sampling?.temperature ?? config.temperature;
      const maxTokens = request.sampling?.max_tokens ?? config.max_tokens;
      if (temperature !== undefined) modelOptions.temperature = temperature;
      if (maxTokens !== undefined) modelOptions.num_predict = maxTokens;
      const response = await callWithDeadline(
        request.timeoutMs,
        request.signal,
        (signal) => {
          const ollama = new Ollama({
            host,
            fetch: (input, init) => fetchOrThrow(fetch, input, { ...init, signal }),
            ...(apiKey === undefined ? {} : { headers: { Authorization: `Bearer ${apiKey}` } }),
          });
          return ollama.chat({
            model,
            messages: request.messages.map(({ role, content }) => ({ role, content })),
            stream: false,
            ...(Object.keys(modelOptions).length === 0 ? {} : { options: modelOptions }),
          });
        },
        () => undefined,
      );
      if (typeof response?.message?.content !== 'string') {
        throw new ProviderError('invalid_response', 'the response has no message content');
      }
      return {
        text: response.message.content,
        ...(typeof response.prompt_eval_count === 'number'
          ? { promptTokens: response.prompt_eval_count }
          : {}),
        ...(typeof response.eval_count === 'number'
          ? { completionTokens: response.eval_count }
          : {}),
      };
    },
  };
}

async function fetchOrThrow(
  fetch: FetchFunction,
  input: string | URL | Request,
  init: RequestInit,
): Promise<Response> {
  const response = await fetch(input, init);
  if (response.ok) return response;
  const body = await response.text().catch(() => '');
  let message = body.trim();
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    if (typeof parsed.error === 'string') message = parsed.error;
  } catch {
    // not JSON: keep the text
  }
  throw errorFromStatus(response.status, message.slice(0, 500) || response.statusText, (name) =>
    response.headers.get(name),
  );
}
