import { z } from 'zod';
import { apiEnv, commonEnv, localModeEnv } from '@evalq/core';

/**
 * What `evalq demo` reads from the environment: where PostgreSQL and Redis are (unset:
 * the embedded PostgreSQL in EVALQ_HOME, docs/local-mode.md), and whether real models
 * are at hand.
 */
export const demoEnv = commonEnv.extend(localModeEnv.shape).extend({
  API_TOKEN: z.string().min(1).optional(),
  /** Where `npm start` will serve, for the share link printed at the end. */
  PORT: apiEnv.shape.PORT,
  /** The workers' grace on stop; shorter than a worker's own default, so Ctrl-C is quick. */
  SHUTDOWN_GRACE_SECONDS: z
    .string()
    .regex(/^\d+$/, 'must be a whole number of seconds')
    .transform(Number)
    .pipe(z.number().int().max(3600))
    .default(5),
  OPENAI_API_KEY: z.string().min(1).optional(),
  OPENAI_BASE_URL: z
    .string()
    .regex(/^https?:\/\/\S+$/, 'must be an http(s) URL, e.g. http://127.0.0.1:8000/v1')
    .optional(),
  OLLAMA_HOST: z.string().min(1).optional(),
  EVALQ_DEMO_OPENAI_MODEL: z.string().min(1).default('gpt-4o-mini'),
  EVALQ_DEMO_OLLAMA_MODEL: z.string().min(1).default('llama3.2'),
});

export type DemoEnv = z.output<typeof demoEnv>;

/** Ollama's own default when OLLAMA_HOST is unset. */
export const DEFAULT_OLLAMA_HOST = 'http://127.0.0.1:11434';

/** OLLAMA_HOST as a URL: Ollama also accepts `host:port` without a scheme. */
export function ollamaUrl(env: DemoEnv): string {
  const host = env.OLLAMA_HOST ?? DEFAULT_OLLAMA_HOST;
  return /^https?:\/\//.test(host) ? host.replace(/\/+$/, '') : `http://${host}`;
}
