import { z } from 'zod';
import { cursorParam, idSchema, limitParam } from './common.js';

/** Columns of a grid at most: more would not fit a screen, and each costs an index lookup per row. */
export const MAX_GRID_CANDIDATES = 20;

const CANDIDATE = /^[1-9][0-9]{0,9}\/[1-9][0-9]{0,9}$/;

export const gridQuery = z.object({
  candidates: z
    .string()
    .max(500)
    .transform((text, ctx) => {
      const parts = text.split(',').filter((part) => part !== '');
      const bad = parts.find((part) => !CANDIDATE.test(part));
      if (bad !== undefined || parts.length === 0) {
        ctx.addIssue({
          code: 'custom',
          message: `must be <model_id>/<prompt_id> pairs separated by commas, e.g. 3/7,4/7${bad === undefined ? '' : ` (not ${JSON.stringify(bad.slice(0, 40))})`}`,
        });
        return z.NEVER;
      }
      if (parts.length > MAX_GRID_CANDIDATES) {
        ctx.addIssue({
          code: 'custom',
          message: `at most ${MAX_GRID_CANDIDATES} candidates (got ${parts.length})`,
        });
        return z.NEVER;
      }
      return parts.map((part) => {
        const [model, prompt] = part.split('/');
        return { model_id: Number(model), prompt_id: Number(prompt) };
      });
    })
    .optional()
    .describe(
      `the columns: <model_id>/<prompt_id>, comma-separated, at most ${MAX_GRID_CANDIDATES}; by default the dataset's first ${MAX_GRID_CANDIDATES} jobs by model, then prompt`,
    ),
  cursor: cursorParam,
  limit: limitParam(50, 200),
});

const gridCell = z
  .object({
    prediction_id: idSchema.describe('GET /v1/predictions/{prediction_id} has its grading'),
    status: z.enum(['success', 'failed']),
    prediction: z.string().describe('the output, cut to 1,000 characters'),
    prediction_truncated: z.boolean(),
    passed: z.boolean().nullable().describe('null: the call failed, or it is ungraded'),
    score: z.number().nullable(),
    error: z.string().nullable().describe('why the call failed, cut to 1,000 characters'),
  })
  .nullable()
  .describe('null: no prediction for this row yet');

export const predictionGrid = z.object({
  dataset_id: idSchema,
  candidates: z
    .array(z.object({ model_id: idSchema, prompt_id: idSchema }))
    .describe('the columns, in the order of each row’s cells'),
  items: z.array(
    z.object({
      row_id: idSchema,
      content: z.string().describe('cut to 1,000 characters'),
      content_truncated: z.boolean(),
      expected_prediction: z.string(),
      cells: z.array(gridCell).describe('one per candidate, in the order of candidates'),
    }),
  ),
  next_cursor: z
    .string()
    .nullable()
    .describe('pass as `cursor` for the next page; null at the end'),
});
