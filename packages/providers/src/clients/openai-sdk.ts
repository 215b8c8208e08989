import OpenAI from 'openai';
import { readApiKey, type Environment } from '../api-key.js';
import type { FetchFunction } from '../keep-alive-fetch.js';
import type { CompletionRequest } from '../model-client.js';
import type { ModelConfig } from '../model-config.js';

/** The SDK refuses to start without a key; a keyless compatible server gets a placeholder. */
const KEYLESS = 'no-key';

/**
 * The official SDK for a model's config, rebuilt only when the key changes. Its own
 * retries are off (the worker retries, with limits shared by every worker), and it never
 * reads OPENAI_BASE_URL/ORG/PROJECT from the environment behind the config's back.
 */
export function openAISdkFor(
  config: ModelConfig,
  env: Environment,
  fetch: FetchFunction,
): () => OpenAI {
  // api.openai.com needs a key; a self-hosted compatible server usually does not.
  const fallbackVariable = config.base_url === undefined ? 'OPENAI_API_KEY' : undefined;
  let sdk: OpenAI | undefined;
  let sdkKey: string | undefined;
  return () => {
    const apiKey = readApiKey(env, config.api_key_env, fallbackVariable) ?? KEYLESS;
    if (sdk === undefined || sdkKey !== apiKey) {
      sdk = new OpenAI({
        apiKey,
        ...(config.base_url === undefined ? {} : { baseURL: config.base_url }),
        maxRetries: 0,
        timeout: config.timeout_ms ?? 60_000,
        fetch,
        organization: null,
        project: null,
        logLevel: 'off',
      });
      sdkKey = apiKey;
    }
    return sdk;
  };
}

/** The chat completion request body for a request: the same online and in a batch file. */
export function chatCompletionBody(
  model: string,
  config: ModelConfig,
  request: Pick<CompletionRequest, 'messages' | 'sampling'>,
): OpenAI.Chat.ChatCompletionCreateParamsNonStreaming {
  const body: OpenAI.Chat.ChatCompletionCreateParamsNonStreaming = {
    model,
    messages: request.messages.map(({ role, content }) => ({ role, content })),
  };
  const temperature = request.sampling?.temperature ?? config.temperature;
  const maxTokens = request.sampling?.max_tokens ?? config.max_tokens;
  if (temperature !== undefined) body.temperature = temperature;
  if (maxTokens !== undefined) {
    // OpenAI's current models take max_completion_tokens; compatible servers widely
    // understand only the older max_tokens.
    if (config.base_url === undefined) body.max_completion_tokens = maxTokens;
    else body.max_tokens = maxTokens;
  }
  return body;
}
