import { z } from 'zod';
import { cursorParam, idParam, idSchema, limitParam, timestamp } from './common.js';

const filters = {
  dataset_id: idParam.optional(),
  model_id: idParam.optional(),
  prompt_id: idParam.optional(),
  status: z.enum(['success', 'failed']).optional(),
};

export const predictionListQuery = z.object({
  ...filters,
  cursor: cursorParam,
  limit: limitParam(100, 1000),
});

export const exportFormat = z.enum(['csv', 'jsonl']);

export const predictionExportQuery = z.object({
  ...filters,
  format: exportFormat
    .default('csv')
    .describe('csv (with a header row) or jsonl (one JSON object per line)'),
});

export const prediction = z.object({
  prediction_id: idSchema,
  dataset_id: idSchema,
  model_id: idSchema,
  prompt_id: idSchema,
  row_id: idSchema,
  content: z.string().nullable(),
  expected_prediction: z.string().nullable(),
  prediction: z.string().describe("the model's output; empty when the call failed"),
  correct: z
    .boolean()
    .nullable()
    .describe('equal to expected_prediction after trimming, ignoring case; null when failed'),
  status: z.enum(['success', 'failed']),
  error: z.string().nullable(),
  prediction_time: z.number().describe('seconds the call took'),
  attempts: z.number().int(),
  prompt_tokens: z.number().int().nullable(),
  completion_tokens: z.number().int().nullable(),
  formatted_prompt: z.string().nullable().describe('the exact text sent to the model'),
  created_at: timestamp,
});

export const leaderboardEntry = z.object({
  model_id: idSchema,
  prompt_id: idSchema,
  model_name: z.string(),
  prompt_text: z.string(),
  status: z.enum(['pending', 'running', 'done']),
  total: z.number().int(),
  n: z.number().int().describe('rows processed (succeeded + failed)'),
  succeeded: z.number().int(),
  failed: z.number().int(),
  correct: z.number().int(),
  accuracy: z.number().nullable().describe('correct / succeeded'),
  latency_p50_s: z.number().nullable().describe('median seconds per successful call'),
  latency_p95_s: z.number().nullable(),
  prompt_tokens: z.number().nullable().describe('summed where the provider reported them'),
  completion_tokens: z.number().nullable(),
});

export const leaderboard = z.object({
  dataset_id: idSchema,
  entries: z.array(leaderboardEntry).describe('best accuracy first'),
});
