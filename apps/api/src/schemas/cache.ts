import { z } from 'zod';
import { idParam, idSchema, timestamp } from './common.js';

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A duration such as `90s`, `30m`, `12h` or `7d`, in milliseconds. */
const duration = z
  .string()
  .regex(/^\d{1,9}[smhd]$/, 'must be a duration such as 90s, 30m, 12h or 7d')
  .transform((text) => Number(text.slice(0, -1)) * UNIT_MS[text.at(-1) as keyof typeof UNIT_MS]);

export const cacheFilterQuery = z.object({
  model_id: idParam.optional().describe('only the answers this model stored'),
  older_than: duration.optional().describe('only answers stored longer ago than this (e.g. 7d)'),
});

export const cacheStatsResult = z
  .object({
    entries: z.number().int().min(0),
    bytes: z.number().int().min(0).describe('size of the stored answers'),
    oldest: timestamp.nullable(),
    newest: timestamp.nullable(),
    by_model: z.array(z.object({ model_id: idSchema.nullable(), entries: z.number().int() })),
  })
  .describe('The response cache (docs/cost.md)');

export const cacheClearResult = z.object({ deleted: z.number().int().min(0) });
