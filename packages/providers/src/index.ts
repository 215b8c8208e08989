export * from './client-kind.js';
export * from './model-config.js';
export * from './model-client.js';
export * from './provider-error.js';
export * from './classify-error.js';
export * from './api-key.js';
export * from './create-model-client.js';
export { createOpenAIClient, type OpenAIClientOptions } from './clients/openai-client.js';
export {
  createOllamaClient,
  DEFAULT_OLLAMA_HOST,
  type OllamaClientOptions,
} from './clients/ollama-client.js';
export { createMockClient, mockAnswer } from './clients/mock-client.js';
export {
  createKeepAliveFetch,
  sharedKeepAliveFetch,
  type FetchFunction,
} from './keep-alive-fetch.js';
export * from './prompt/chat-message.js';
export * from './prompt/compile-prompt.js';
export * from './template/parse-template.js';
export * from './template/row-variables.js';
export * from './template/template-error.js';
export * from './call-cost.js';
export * from './cache-key.js';
export { warmUpModelClients } from './warm-up.js';
export * from './batch-client.js';
export {
  createOpenAIBatchClient,
  type OpenAIBatchClientOptions,
} from './clients/openai-batch-client.js';
