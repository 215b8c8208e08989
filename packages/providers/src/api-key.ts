import { ProviderError } from './provider-error.js';

/** The environment the worker was started with; read at call time, so a rotated key is picked up. */
export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * The API key for one call: the value of the variable named by `api_key_env`, or of
 * `fallbackVariable` when the config names none. A named variable that is unset is a
 * configuration error (not retried): the message names the variable, never a value.
 */
export function readApiKey(
  env: Environment,
  apiKeyEnv: string | undefined,
  fallbackVariable?: string,
): string | undefined {
  const variable = apiKeyEnv ?? fallbackVariable;
  if (variable === undefined) return undefined;
  const value = env[variable];
  if (value !== undefined && value.trim() !== '') return value.trim();
  if (apiKeyEnv !== undefined) {
    throw new ProviderError(
      'config',
      `the environment variable ${apiKeyEnv} (named by the model's config.api_key_env) is not set in the worker's environment`,
    );
  }
  throw new ProviderError(
    'config',
    `no API key: set ${variable} in the worker's environment, or name the variable holding the key in the model's config.api_key_env`,
  );
}
