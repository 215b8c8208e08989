import { parseEnv } from '@evalq/core';
import { ApiClient } from './api-client.js';
import { clientEnv } from './client-env.js';

/** The API client for a command, from the environment (EVALQ_API_URL, API_TOKEN). */
export function clientFromEnv(env: Record<string, string | undefined> = process.env): ApiClient {
  const parsed = parseEnv(clientEnv, env);
  return new ApiClient(parsed.EVALQ_API_URL, parsed.API_TOKEN);
}
