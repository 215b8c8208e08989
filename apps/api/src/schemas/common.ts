import { z } from 'zod';

const MAX_INT4 = 2_147_483_647;

/** An id in a JSON body: a positive integer that fits PostgreSQL's integer. */
export const idSchema = z.number().int().min(1).max(MAX_INT4);

/** An id in a path or query string, where everything arrives as text. */
export const idParam = z.coerce
  .number({ error: 'must be a positive whole number' })
  .int('must be a positive whole number')
  .min(1, 'must be a positive whole number')
  .max(MAX_INT4, `must be at most ${MAX_INT4}`);

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Text PostgreSQL can store exactly as sent: no NUL characters (text columns cannot
 * hold them) and no unpaired surrogates (they cannot be encoded as UTF-8).
 */
export function storableText(options: { min?: number; max: number; trim?: boolean }) {
  const base = options.trim ? z.string().trim() : z.string();
  return base
    .min(options.min ?? 1, options.min === 0 ? undefined : 'must not be empty')
    .max(options.max, `must be at most ${options.max} characters`)
    .refine((value) => !value.includes('\u0000'), 'must not contain NUL (\\u0000) characters')
    .refine(
      (value) => !LONE_SURROGATE.test(value),
      'must be valid Unicode (no unpaired surrogates)',
    );
}

export const timestamp = z.iso.datetime({ offset: true }).describe('ISO 8601 timestamp (UTC)');

export const limitParam = (defaultLimit: number, max: number) =>
  z.coerce
    .number({ error: `must be a whole number from 1 to ${max}` })
    .int(`must be a whole number from 1 to ${max}`)
    .min(1, `must be a whole number from 1 to ${max}`)
    .max(max, `must be a whole number from 1 to ${max}`)
    .default(defaultLimit)
    .describe(`page size (default ${defaultLimit}, at most ${max})`);

export const cursorParam = z
  .string()
  .max(500)
  .optional()
  .describe('`next_cursor` of the previous page; omit for the first page');

/** A page of a list: follow `next_cursor` until it is null. */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    next_cursor: z
      .string()
      .nullable()
      .describe('pass as `cursor` for the next page; null at the end'),
  });
}

export const errorResponse = z
  .object({
    error: z.object({
      code: z.string().describe('stable, for programs: VALIDATION_FAILED, NOT_FOUND, CONFLICT, …'),
      message: z.string().describe('for a person: what is wrong and how to fix it'),
      details: z.unknown().describe('structured specifics, e.g. the fields at fault'),
    }),
  })
  .describe('Every error (docs/api.md, "Errors")');

type ErrorStatus = 400 | 401 | 404 | 409 | 410 | 413 | 415 | 503;

/** The error responses a route can give, for its schema (and so for the OpenAPI document). */
export function errors<C extends ErrorStatus>(...codes: C[]): Record<C, typeof errorResponse> {
  return Object.fromEntries(codes.map((code) => [code, errorResponse])) as Record<
    C,
    typeof errorResponse
  >;
}
