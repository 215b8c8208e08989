import { z } from 'zod';
import { cursorParam, idParam, idSchema, limitParam, storableText, timestamp } from './common.js';
import { launchBody, progress } from './jobs.js';

export const runParams = z.object({ id: z.uuid('must be a run id (a UUID)') });

export const runStatus = z.enum(['pending', 'running', 'completed', 'paused', 'canceled']);

/**
 * An assertion as a launch accepts it until grading checks each type: an object with a
 * `type`. Stored with the run as given (docs/prompts-and-runs.md).
 */
const assertion = z.looseObject({
  type: z.string().min(1, 'name the assertion type').max(100),
  weight: z.number().min(0, 'must not be negative').optional(),
});

const notYet = (what: string) => (value: unknown, ctx: z.RefinementCtx) => {
  if (value !== undefined && value !== false) {
    ctx.addIssue({
      code: 'custom',
      message: `${what} is not available yet: launch without it (docs/prompts-and-runs.md)`,
    });
  }
};

export const newRunBody = launchBody.extend({
  name: storableText({ max: 200, trim: true }).nullish().describe('what the run is for'),
  assertions: z
    .array(assertion)
    .max(50, 'at most 50 assertions')
    .optional()
    .describe("the jobs' assertions (grading); stored with the run"),
  threshold: z.number().min(0).max(1).nullish().describe('pass mark for the weighted score'),
  budget: z.unknown().optional().superRefine(notYet('a budget')).describe('not available yet'),
  cache: z
    .boolean()
    .optional()
    .superRefine(notYet('the response cache'))
    .describe('not available yet (false is accepted)'),
});

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
    'canceled, paused (a job is), completed (every job done), running, or pending (none started)',
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

const leaderboardRow = candidate.extend({
  model_name: z.string().nullable(),
  prompt_label: z.string().describe('name@version, or "prompt <id>" for an unnamed prompt'),
  n: count.describe('rows processed'),
  succeeded: count,
  failed: count,
  accuracy: z.number().nullable(),
  latency_p50_s: z.number().nullable(),
  latency_p95_s: z.number().nullable(),
  prompt_tokens: z.number().nullable(),
  completion_tokens: z.number().nullable(),
  round_table_winner: z.boolean().describe('the best model of its prompt'),
});

const comparison = z.object({
  a: candidate,
  b: candidate,
  shared: z.enum(['prompt', 'model']).describe('what the two candidates have in common'),
  a_accuracy: z.number().nullable(),
  b_accuracy: z.number().nullable(),
  difference: z.number().nullable().describe('a_accuracy − b_accuracy'),
  winner: z.enum(['a', 'b']).nullable().describe('the higher accuracy; null on a tie or no data'),
});

export const runSummary = z
  .object({
    basis: z
      .literal('accuracy')
      .describe('what candidates are ranked by: accuracy (correct / succeeded)'),
    leaderboard: z.array(leaderboardRow).describe('best accuracy first'),
    comparisons: z
      .array(comparison)
      .describe('every two candidates that share a prompt (models compared) or a model'),
    winners: z
      .array(z.object({ prompt_id: idSchema, model_id: idSchema.nullable() }))
      .describe("each prompt's best model (null when tied or nothing succeeded)"),
  })
  .describe('The results of a completed run');

export const run = runListItem.extend({
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
