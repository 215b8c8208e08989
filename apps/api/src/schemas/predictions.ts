import { z } from 'zod';
import { cursorParam, idParam, idSchema, limitParam, timestamp } from './common.js';
import { assertionResult, interval } from './grading.js';

const filters = {
  dataset_id: idParam.optional(),
  model_id: idParam.optional(),
  prompt_id: idParam.optional(),
  status: z.enum(['success', 'failed']).optional(),
  passed: z
    .enum(['true', 'false', 'null'], { error: 'must be true, false or null' })
    .transform((v) => (v === 'null' ? null : v === 'true'))
    .optional()
    .describe('the verdict: true (passed), false (wrong answers) or null (ungraded successes)'),
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
  passed: z
    .boolean()
    .nullable()
    .describe("the verdict of the job's assertions; null when the call failed or it is ungraded"),
  correct: z.boolean().nullable().describe('alias of passed'),
  score: z.number().nullable().describe('weighted mean of the assertion scores, 0 to 1'),
  grading: z.array(assertionResult).nullable().describe("each assertion's result"),
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
  status: z.enum(['pending', 'running', 'paused', 'done']),
  outcome: z
    .enum(['succeeded', 'partly_failed', 'failed'])
    .nullable()
    .describe('when done: failed when every row failed (never shown as a success)'),
  total: z.number().int(),
  processed: z.number().int().describe('rows processed (succeeded + failed)'),
  succeeded: z.number().int(),
  n: z.number().int().describe('graded successful predictions: what pass_rate is measured on'),
  passed: z.number().int(),
  pass_rate: z.number().nullable().describe('passed / n; null when nothing is graded'),
  pass_rate_ci95: interval.describe('Wilson score interval of pass_rate (z = 1.96)'),
  mean_score: z.number().nullable().describe('mean prediction score over the n graded'),
  failed: z.number().int(),
  ungraded: z.number().int(),
  regrading: z.boolean(),
  accuracy: z.number().nullable().describe('alias of pass_rate'),
  correct: z.number().int().describe('alias of passed'),
  round_table_winner: z
    .boolean()
    .describe(
      "best pass rate on its prompt, and beats the prompt's runner-up with McNemar p < 0.05",
    ),
  latency_p50_s: z.number().nullable().describe('median seconds per successful call'),
  latency_p95_s: z.number().nullable(),
  prompt_tokens: z.number().nullable().describe('summed where the provider reported them'),
  completion_tokens: z.number().nullable(),
  cost_usd: z
    .number()
    .nullable()
    .describe("what the candidate's calls and judge calls cost (docs/cost.md); null when unpriced"),
  cost_per_pass_usd: z.number().nullable().describe('cost_usd / passed'),
  spent_tokens: z.number().int().describe('tokens its calls used (cache hits: none)'),
  cached: z.number().int().describe('predictions answered from the response cache'),
});

export const leaderboard = z.object({
  dataset_id: idSchema,
  entries: z.array(leaderboardEntry).describe('best pass rate first'),
});
