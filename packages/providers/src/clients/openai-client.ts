import type { Environment } from '../api-key.js';
import { callWithDeadline } from '../call-deadline.js';
import { sharedKeepAliveFetch, type FetchFunction } from '../keep-alive-fetch.js';
import type { Completion, CompletionRequest, ModelClient } from '../model-client.js';
import type { ModelConfig } from '../model-config.js';
import { ProviderError } from '../provider-error.js';
import { classifyOpenAIError } from './openai-errors.js';
import { chatCompletionBody, openAISdkFor } from './openai-sdk.js';

export interface OpenAIClientOptions {
  model: string;
  config: ModelConfig;
  env: Environment;
  /** The HTTP client; a keep-alive fetch over node:http by default. */
  fetch?: FetchFunction;
}

/**
 * OpenAI's chat completions through the official SDK (the request's messages as chat
 * messages; the prompt's sampling settings over the model's config), or any OpenAI-compatible server
 * (vLLM, llama.cpp, LM Studio, a proxy) through `config.base_url`. The SDK's own retries
 * are off: the worker retries, with limits shared by every worker. Connections are kept
 * alive (see keep-alive-fetch.ts).
 */
export function createOpenAIClient(options: OpenAIClientOptions): ModelClient {
  const { model, config, env } = options;
  const sdk = openAISdkFor(config, env, options.fetch ?? sharedKeepAliveFetch());

  return {
    kind: 'openai',
    model,
    async complete(request: CompletionRequest): Promise<Completion> {
      const openai = sdk();
      const body = chatCompletionBody(model, config, request);
      const completion = await callWithDeadline(
        request.timeoutMs,
        request.signal,
        (signal) =>
          openai.chat.completions.create(body, {
            signal,
            timeout: request.timeoutMs,
            maxRetries: 0,
          }),
        classifyOpenAIError,
      );
      const choice = completion.choices?.[0];
      if (choice === undefined) {
        throw new ProviderError('invalid_response', 'the response has no choices');
      }
      const text = choice.message?.content ?? '';
      return {
        text,
        ...(completion.usage?.prompt_tokens === undefined
          ? {}
          : { promptTokens: completion.usage.prompt_tokens }),
        ...(completion.usage?.completion_tokens === undefined
          ? {}
          : { completionTokens: completion.usage.completion_tokens }),
      };
    },
  };
}
