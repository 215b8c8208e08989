import { ValidationError } from '@evalq/core';
import type { Environment } from './api-key.js';
import type { RequestIdentity } from './cache-key.js';
import { resolveClientKind } from './client-kind.js';
import { createMockClient } from './clients/mock-client.js';
import { createOllamaClient, DEFAULT_OLLAMA_HOST } from './clients/ollama-client.js';
import { createOpenAIClient } from './clients/openai-client.js';
import type { BatchClient } from './batch-client.js';
import { createOpenAIBatchClient } from './clients/openai-batch-client.js';
import type { ModelClient } from './model-client.js';
import { MODEL_CONFIG_DEFAULTS, modelConfigSchema, type ModelConfig } from './model-config.js';

/** A row of `models`, as far as choosing and configuring its client goes. */
export interface ModelDefinition {
  name: string;
  source: string;
  library: string;
  config: unknown;
}

export interface ModelClientOptions {
  /** Where API keys are read, at call time (the worker passes process.env). */
  env: Environment;
  /** Ollama's server when a model sets no base_url (the worker passes OLLAMA_HOST). */
  ollamaHost?: string;
}

/** Validates `models.config`; the error names each bad key (`config.max_retries: …`). */
export function parseModelConfig(config: unknown): ModelConfig {
  const parsed = modelConfigSchema.safeParse(config ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const path = ['config', ...issue.path.map(String)].join('.');
    const unknownKeys =
      issue.code === 'unrecognized_keys' ? ` (unknown: ${issue.keys.join(', ')})` : '';
    return { path, message: `${issue.message}${unknownKeys}` };
  });
  throw new ValidationError(
    `invalid model config: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
    problems,
  );
}

/** The client for a model (docs/providers.md): chosen by `library`, else `source`; config validated. */
export function createModelClient(
  model: ModelDefinition,
  options: ModelClientOptions,
): ModelClient {
  const config = parseModelConfig(model.config);
  const kind = resolveClientKind(model);
  switch (kind) {
    case 'openai':
      return createOpenAIClient({ model: model.name, config, env: options.env });
    case 'ollama':
      return createOllamaClient({
        model: model.name,
        config,
        env: options.env,
        ...(options.ollamaHost === undefined ? {} : { defaultHost: options.ollamaHost }),
      });
    case 'mock':
      return createMockClient({ model: model.name });
  }
}

/**
 * The model's Batch API client when its config asks for batch dispatch (docs/batch.md),
 * else undefined. Only the openai client has one (checkModelDefinition refuses others).
 */
export function createBatchClient(
  model: ModelDefinition,
  options: ModelClientOptions,
): BatchClient | undefined {
  const config = parseModelConfig(model.config);
  if (config.dispatch !== 'batch' || resolveClientKind(model) !== 'openai') return undefined;
  return createOpenAIBatchClient({ model: model.name, config, env: options.env });
}

/** The settings a call runs with: the model's config over MODEL_CONFIG_DEFAULTS. */
export interface CallSettings {
  timeoutMs: number;
  maxRetries: number;
  maxConcurrency: number | undefined;
  requestsPerMinute: number | undefined;
  batchMaxRequests: number;
  batchMaxBytes: number;
  /** A batch request's price ÷ the online price. */
  batchPriceFactor: number;
}

export function callSettings(config: ModelConfig): CallSettings {
  return {
    timeoutMs: config.timeout_ms ?? MODEL_CONFIG_DEFAULTS.timeout_ms,
    maxRetries: config.max_retries ?? MODEL_CONFIG_DEFAULTS.max_retries,
    maxConcurrency: config.max_concurrency,
    requestsPerMinute: config.requests_per_minute,
    batchMaxRequests: config.batch_max_requests ?? MODEL_CONFIG_DEFAULTS.batch_max_requests,
    batchMaxBytes: config.batch_max_bytes ?? MODEL_CONFIG_DEFAULTS.batch_max_bytes,
    batchPriceFactor: config.batch_price_factor ?? MODEL_CONFIG_DEFAULTS.batch_price_factor,
  };
}

/** Where OpenAI's SDK sends a request when the config names no base_url. */
const OPENAI_BASE_URL = 'https://api.openai.com/v1';

/** Who answers a model's requests and how they sample: the response cache's key besides the messages. */
export function requestIdentity(
  model: ModelDefinition,
  options: ModelClientOptions,
): RequestIdentity {
  const config = parseModelConfig(model.config);
  const kind = resolveClientKind(model);
  const baseUrl =
    kind === 'mock'
      ? ''
      : (config.base_url ??
        (kind === 'openai' ? OPENAI_BASE_URL : (options.ollamaHost ?? DEFAULT_OLLAMA_HOST)));
  return {
    kind,
    baseUrl,
    model: model.name,
    temperature: config.temperature,
    maxTokens: config.max_tokens,
  };
}
