import { z } from 'zod';
import { modelConfigSchema } from '@evalq/providers';
import { idParam, idSchema, storableText, timestamp } from './common.js';

export const modelParams = z.object({ model_id: idParam });

/** Well-known shapes of provider keys, and long random-looking tokens. */
const KEY_PREFIX = /^(sk|pk|rk)[-_]|^(ghp_|gho_|github_pat_|xox[abprs]-|AKIA|AIza|hf_|gsk_|r8_)/;

/**
 * An environment variable NAME is words joined by underscores; a key is a long run of
 * mixed letters and digits. Better to refuse a real name that looks odd than to store
 * a secret.
 */
export function looksLikeSecret(value: string): boolean {
  if (KEY_PREFIX.test(value)) return true;
  const digits = value.replace(/\D/g, '').length;
  return value.length >= 24 && !value.includes('_') && digits >= 4;
}

const SECRET_QUERY_PARAM = /key|token|secret|password|signature|sig$/i;

/** The config checks beyond its schema: nothing in it may be a credential. */
function rejectSecrets(config: z.output<typeof modelConfigSchema>, ctx: z.RefinementCtx): void {
  // A value the name pattern already refused needs no second message.
  const name = config.api_key_env;
  if (name !== undefined && /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && looksLikeSecret(name)) {
    ctx.addIssue({
      code: 'custom',
      path: ['api_key_env'],
      message:
        'looks like an API key, not the name of an environment variable: keep the key in the ' +
        "workers' environment and put the variable's NAME here (e.g. OPENAI_API_KEY)",
    });
  }
  if (config.base_url !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(config.base_url);
    } catch {
      ctx.addIssue({ code: 'custom', path: ['base_url'], message: 'is not a valid URL' });
    }
    if (url && (url.username || url.password)) {
      ctx.addIssue({
        code: 'custom',
        path: ['base_url'],
        message: 'must not carry credentials (user:password@); use api_key_env',
      });
    }
    if (url && [...url.searchParams.keys()].some((name) => SECRET_QUERY_PARAM.test(name))) {
      ctx.addIssue({
        code: 'custom',
        path: ['base_url'],
        message: 'must not carry a key or token in its query string; use api_key_env',
      });
    }
  }
}

const configInput = modelConfigSchema
  .superRefine(rejectSecrets)
  .describe(
    'per-model settings (docs/providers.md); unknown keys are rejected, and no value may be a secret',
  );

const name = storableText({ max: 200, trim: true }).describe("the provider's model name");
const source = storableText({ max: 100, trim: true }).describe('openai, ollama, mock, …');
const library = storableText({ max: 100, trim: true }).describe(
  'the client to use when it names one (openai, ollama, mock); else chosen by source',
);
const description = storableText({ min: 0, max: 10_000 }).nullable();

export const newModelBody = z.strictObject({
  name,
  source,
  library: library.optional(),
  description: description.optional(),
  config: configInput.optional(),
});

export const modelChangesBody = z
  .strictObject({
    name: name.optional(),
    source: source.optional(),
    library: library.optional(),
    description: description.optional(),
    config: configInput.optional().describe('replaces the whole config'),
  })
  .refine((changes) => Object.keys(changes).length > 0, 'name at least one field to change');

/** What the API returns for a model: config holds names and settings, never a secret. */
export const model = z.object({
  model_id: idSchema,
  name: z.string(),
  source: z.string(),
  library: z.string(),
  description: z.string().nullable(),
  // Not strict: anything unknown that reached the column by plain SQL is dropped, not echoed.
  config: z.object(modelConfigSchema.shape),
  created_at: timestamp,
});
