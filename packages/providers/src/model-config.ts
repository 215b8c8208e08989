import { z } from 'zod';
import { SECOND } from '@evalq/core';

/**
 * `models.config` (docs/providers.md): per-model settings, all optional. Unknown keys are
 * rejected, so a typo (`max_retry`) is an error rather than a silently ignored setting.
 * No key holds a secret: `api_key_env` is the NAME of the environment variable that
 * holds the key, read by the worker at call time.
 */
export const modelConfigSchema = z.strictObject({
  base_url: z
    .string()
    .regex(/^https?:\/\/\S+$/, 'must be an http(s) URL, e.g. http://127.0.0.1:8000/v1')
    .optional(),
  api_key_env: z
    .string()
    .regex(
      /^[A-Za-z_][A-Za-z0-9_]{0,127}$/,
      'must be the NAME of an environment variable holding the key (e.g. OPENAI_API_KEY), never the key itself',
    )
    .optional(),
  temperature: z.number().min(0).max(2).optional(),
  max_tokens: z.number().int().min(1).max(1_000_000).optional(),
  timeout_ms: z
    .number()
    .int()
    .min(1)
    .max(30 * 60 * SECOND)
    .optional(),
  max_retries: z.number().int().min(0).max(20).optional(),
  max_concurrency: z.number().int().min(1).max(100_000).optional(),
  requests_per_minute: z.number().int().min(1).max(10_000_000).optional(),
  /** USD per million prompt tokens (docs/cost.md). Without both prices a call's cost is unknown. */
  price_in_per_mtok: z
    .number()
    .min(0, 'must be a non-negative number of USD per million prompt tokens')
    .max(1_000_000)
    .optional(),
  /** USD per million completion tokens. */
  price_out_per_mtok: z
    .number()
    .min(0, 'must be a non-negative number of USD per million completion tokens')
    .max(1_000_000)
    .optional(),
  /** `batch`: through the provider's Batch API (docs/batch.md); openai models only. */
  dispatch: z.enum(['online', 'batch']).optional(),
  /** Requests per batch file; the provider's limit is the most. */
  batch_max_requests: z.number().int().min(1).max(50_000).optional(),
  /** A batch request's price as a fraction of the online price (docs/batch.md). */
  batch_price_factor: z.number().min(0).max(1).optional(),
  /** Bytes per batch file; the provider's limit is the most. */
  batch_max_bytes: z
    .number()
    .int()
    .min(1024)
    .max(200 * 1024 * 1024)
    .optional(),
});

export type ModelConfig = z.output<typeof modelConfigSchema>;

/** What a model gets for a setting its config leaves out. */
export const MODEL_CONFIG_DEFAULTS = Object.freeze({
  timeout_ms: 60 * SECOND,
  max_retries: 3,
  // OpenAI's limits per batch input file.
  batch_max_requests: 50_000,
  batch_max_bytes: 200 * 1024 * 1024,
  // OpenAI's Batch API costs half the online price.
  batch_price_factor: 0.5,
});
