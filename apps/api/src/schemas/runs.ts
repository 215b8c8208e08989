import { z } from 'zod';
import { cursorParam, idParam, idSchema, limitParam, storableText, timestamp } from './common.js';
import { comparison } from './comparison.js';
import { budgetField, launchBody, progress } from './jobs.js';
import { leaderboardEntry } from './predictions.js';

export const runParams = z.object({ id: z.uuid('must be a run id (a UUID)') });

export const runStatus = z.enum(['pending', 'running', 'completed', 'paused', 'canceled']);

/**
 * A run's launch: POST /v1/jobs's body (assertions and threshold validated by the same
 * grading schema, docs/grading.md) and what a run adds. The budget is the run's, over
 * all its jobs together (docs/cost.md).
 */
export const newRunBody = launchBody.extend({
  name: storableText({ max: 200, trim: true }).nullish().describe('what the run is for'),
  budget: budgetField
    .optional()
    .describe("the run's budget, over all its jobs together (docs/cost.md)"),
});

export const runPatchBody = z
  .strictObject({
    budget: budgetField.describe("replaces the run's budget; a higher one resumes its jobs"),
  })
  .describe("change a run's budget");

export const runCost = z
  .object({
    spent_usd: z.number().min(0).describe("what its jobs' calls cost, judge calls included"),
    spent_tokens: z.number().int().min(0),
    cost_usd: z.number().min(0).nullable().describe('spent_usd, or null when no model is priced'),
    cost_per_pass_usd: z.number().min(0).nullable().describe('cost_usd / passed predictions'),
    budget: z.object({
      max_cost_usd: z.number().min(0).nullable(),
      max_tokens: z.number().int().min(0).nullable(),
    }),
    cache: z.boolean().describe('launched with the response cache'),
    cached: z.number().int().min(0).describe('predictions answered from the cache'),
    cache_hit_rate: z
      .number()
      .min(0)
      .max(1)
      .nullable()
      .describe('cached / predictions of its jobs that use the cache; null when none does'),
  })
  .describe("The run's spend against its budget, and its cache use (docs/cost.md)");

export const runListQuery = z.object({
  dataset_id: idParam.optional(),
  cursor: cursorParam,
  limit: limitParam(50, 500),
});

const count = z.number().int().min(0);

export const runProgress = z
  .object({
    total: count.describe("rows of all the run's jobs"),
    done: count.describe('rows processed, failed ones included'),
    failed: count,
    percent: z.number().min(0).max(100),
  })
  .describe("Aggregated over the run's jobs");

const runFields = {
  id: z.uuid(),
  name: z.string().nullable(),
  dataset_id: idSchema,
  model_ids: z.array(idSchema),
  prompt_ids: z.array(idSchema),
  status: runStatus.describe(
    'canceled, paused (a job is: see its paused_reason), completed (every job done), running, or pending (none started)',
  ),
  progress: runProgress,
  assertions: z.array(z.unknown()).nullable(),
  threshold: z.number().nullable(),
  created_at: timestamp,
  started_at: timestamp.nullable(),
  completed_at: timestamp.nullable(),
  canceled_at: timestamp.nullable(),
};

export const runListItem = z.object(runFields);

const candidate = z.object({ model_id: idSchema, prompt_id: idSchema });

const summaryEntry = leaderboardEntry.extend({
  prompt_label: z.string().describe('name@version, or "prompt <id>" for an unnamed prompt'),
});

const summaryComparison = comparison.omit({ dataset_id: true }).extend({
  shared: z.enum(['prompt', 'model']).describe('what the two candidates have in common'),
});

export const runSummary = z
  .object({
    leaderboard: z
      .array(summaryEntry)
      .describe(
        "the run's candidates as the dataset's leaderboard shows them, best pass rate first; " +
          "round_table_winner among the run's candidates",
      ),
    comparisons: z
      .array(summaryComparison)
      .describe(
        'GET /v1/compare of every two candidates that share a prompt (models compared) or a model (prompts compared)',
      ),
    cost: runCost.describe("the run's spend and cache hit rate when it completed"),
    winners: z
      .array(z.object({ prompt_id: idSchema, model_id: idSchema.nullable() }))
      .describe(
        "each prompt's round-table winner: the best pass rate, significantly better than the runner-up (McNemar p < 0.05); null when none is",
      ),
  })
  .describe('The results of a completed run (docs/grading.md)');

export const run = runListItem.extend({
  cost: runCost,
  jobs: z
    .array(
      candidate.extend({
        job: progress.nullable().describe('null when the job was cancelled by itself'),
      }),
    )
    .describe('every model × prompt of the run, with its job'),
  summary: runSummary.nullable().describe('when the run is completed'),
});

export const canceledRun = run.extend({
  canceled_jobs: z.array(
    z.object({ model_id: idSchema, prompt_id: idSchema, dataset_id: idSchema }),
  ),
  kept_jobs: z
    .array(z.object({ model_id: idSchema, prompt_id: idSchema, dataset_id: idSchema }))
    .describe('unfinished jobs another run still uses'),
});

export const shareBody = z.strictObject({
  expires_in_s: z
    .number()
    .int()
    .min(60, 'must be at least 60 seconds')
    .max(30 * 24 * 3600, 'must be at most 30 days (2592000 seconds)')
    .default(7 * 24 * 3600)
    .describe('seconds until the link expires (default 7 days, at most 30 days)'),
});

export const shareResult = z.object({
  url: z.string().describe('/share/<token>: the read-only page; /data after it gives its JSON'),
  expires_at: timestamp,
});

export const revokeResult = z.object({ id: z.uuid(), revoked: count });
