import { z } from 'zod';
import { idParam, idSchema, timestamp } from './common.js';
import { assertionsField, thresholdField } from './grading.js';

export const jobStatus = z.enum(['pending', 'running', 'paused', 'done']);

const usd = z.number().min(0);

/** A budget (docs/cost.md): a limit left out (or null) is no limit. */
export const budgetField = z
  .strictObject({
    max_cost_usd: z
      .number('must be a number of USD')
      .min(0, 'must be a non-negative number of USD')
      .nullish()
      .describe('stop claiming rows once this much is spent'),
    max_tokens: z
      .number('must be a number of tokens')
      .int('must be a whole number of tokens')
      .min(0, 'must be a non-negative number of tokens')
      .nullish()
      .describe('prompt + completion tokens, candidate and judge calls'),
  })
  .describe('pauses the work (paused_reason budget) once the spend reaches it (docs/cost.md)');

export const jobParams = z.object({ model_id: idParam, prompt_id: idParam, dataset_id: idParam });

export const launchBody = z.strictObject({
  dataset_id: idSchema,
  model_ids: z.array(idSchema).min(1, 'name at least one model').max(100),
  prompt_ids: z.array(idSchema).min(1, 'name at least one prompt').max(100),
  assertions: assertionsField
    .optional()
    .describe("default: the dataset's default_assertions, else [{type: equals}]"),
  threshold: thresholdField
    .optional()
    .describe('pass when the weighted score ≥ threshold; default: every counted assertion passes'),
  budget: budgetField
    .optional()
    .describe("each job's own budget (docs/cost.md); set on existing jobs too"),
  cache: z
    .boolean()
    .optional()
    .describe('reuse and store answers in the response cache (docs/cost.md); default false'),
});

export const jobPatchBody = z
  .strictObject({
    budget: budgetField.describe('replaces the job budget; a higher one resumes it'),
  })
  .describe("change a job's budget");

export const regradeBody = z
  .strictObject({
    assertions: assertionsField.optional().describe("default: the job's current assertions"),
    threshold: thresholdField
      .optional()
      .describe("default: the job's current threshold, or none when new assertions are given"),
  })
  .describe('regrade with new (or the current) assertions');

export const jobListQuery = z.object({
  dataset_id: idParam.optional(),
  model_id: idParam.optional(),
  prompt_id: idParam.optional(),
  status: jobStatus.optional(),
});

const count = z.number().int().min(0);

/** A batch job's phase (docs/batch.md), instead of a bar that stays at 0 for hours. */
export const batchPhase = z.object({
  phase: z
    .enum(['uploading', 'waiting', 'ingesting', 'done'])
    .describe(
      'uploading: a batch is being prepared or sent; waiting: on the provider; ingesting: its output is being stored; done: every batch finished',
    ),
  batches: count.describe("the job's provider batches, cancelled ones aside"),
  open_batches: count.describe('batches not finished yet'),
  provider_total: count.describe('requests in the batches waiting on the provider'),
  provider_completed: count.describe('of those, answered so far (as the provider last said)'),
  provider_failed: count.describe('of those, failed so far'),
});

/** The progress object (docs/api.md), field for field. Read in O(1) from the job's counters. */
export const progress = z
  .object({
    model_id: idSchema,
    prompt_id: idSchema,
    dataset_id: idSchema,
    status: jobStatus,
    total: count.describe('rows the job covers'),
    done: count.describe('rows processed: succeeded + failed'),
    succeeded: count,
    failed: count,
    in_progress: count.describe('rows a worker is calling the model for right now'),
    pending: count.describe('rows waiting to be claimed'),
    percent: z.number().min(0).max(100).describe('done / total × 100'),
    passed: count.describe('successful predictions that passed their assertions'),
    ungraded: count.describe(
      'successful predictions without a verdict (a judge failed or answered unreadably)',
    ),
    pass_rate: z
      .number()
      .min(0)
      .max(1)
      .nullable()
      .describe('passed / graded successful predictions; null before any is graded'),
    accuracy: z.number().min(0).max(1).nullable().describe('alias of pass_rate'),
    regrading: z.boolean().describe('a regrade is under way'),
    regrade_remaining: count.describe('successful predictions the regrade still has to grade'),
    assertions: z.array(z.record(z.string(), z.unknown())).describe('how predictions are graded'),
    threshold: z.number().nullable(),
    started_at: timestamp.nullable(),
    updated_at: timestamp,
    finished_at: timestamp.nullable(),
    rate_per_s: z
      .number()
      .min(0)
      .nullable()
      .describe(
        'rows per second between started_at and the latest prediction (finished_at when done)',
      ),
    eta_s: z
      .number()
      .min(0)
      .nullable()
      .describe('seconds until done at rate_per_s; 0 when done; null while no rate is known'),
    outcome: z
      .enum(['succeeded', 'partly_failed', 'failed'])
      .nullable()
      .describe(
        'when done: failed when every row failed, partly_failed when some did; null until done',
      ),
    spent_usd: usd.describe('what its calls cost, judge calls included (0 when unpriced)'),
    spent_tokens: count.describe('prompt + completion tokens of its calls (cache hits: none)'),
    cost_usd: usd.nullable().describe('spent_usd, or null when its models have no price'),
    cost_per_pass_usd: usd
      .nullable()
      .describe('cost_usd / passed; null without a price or before a prediction passed'),
    budget: z
      .object({ max_cost_usd: usd.nullable(), max_tokens: count.nullable() })
      .describe("the job's own budget (a run's budget is on the run)"),
    paused_reason: z
      .enum(['budget', 'provider'])
      .nullable()
      .describe('why it is paused: a budget is reached, or its model cannot be called'),
    paused_message: z.string().nullable().describe("what paused it (the provider's message)"),
    cache: z.boolean().describe('reads and writes the response cache'),
    cached: count.describe('predictions answered from the response cache'),
    cache_hit_rate: z
      .number()
      .min(0)
      .max(1)
      .nullable()
      .describe('cached / done, with the cache on; null without it'),
    batch: batchPhase
      .nullable()
      .describe(
        'for a model run through provider batches (docs/batch.md): what its batches are doing; null otherwise',
      ),
  })
  .describe('Progress of one job (model × prompt × dataset)');

export const jobKey = z.object({ model_id: idSchema, prompt_id: idSchema, dataset_id: idSchema });

export const launchResult = z.object({
  jobs: z.array(progress).describe('every requested model × prompt job, new or existing'),
  created: z.array(jobKey).describe('the jobs this request created (the others existed already)'),
  enqueued: z
    .boolean()
    .describe('false when Redis could not be reached: workers find the jobs in PostgreSQL instead'),
});

export const cancelResult = jobKey.extend({
  cancelled: z.literal(true),
  predictions_deleted: count,
});

export const resumeResult = z.object({
  resumed: z
    .boolean()
    .describe('false when the job was not paused, or a budget still holds it (raise the budget)'),
  job: progress,
});

export const retryResult = z.object({
  reset: count.describe('failed rows sent back to pending'),
  job: progress,
});
