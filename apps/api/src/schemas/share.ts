import { z } from 'zod';
import { idSchema, timestamp } from './common.js';
import { runProgress, runStatus, runSummary } from './runs.js';

export const shareParams = z.object({ token: z.string().max(200) });

const jobProgress = z.object({
  status: z.string(),
  total: z.number().int(),
  done: z.number().int(),
  failed: z.number().int(),
  percent: z.number(),
  accuracy: z.number().nullable(),
});

/**
 * What a share link shows: the run's progress and results, with models by name only —
 * never their config, key variable names or base URLs.
 */
export const sharedRun = z.object({
  run: z.object({
    name: z.string().nullable(),
    status: runStatus,
    progress: runProgress,
    created_at: timestamp,
    started_at: timestamp.nullable(),
    completed_at: timestamp.nullable(),
    canceled_at: timestamp.nullable(),
  }),
  dataset: z.object({ name: z.string(), row_count: z.number().int() }),
  candidates: z.array(
    z.object({
      model_id: idSchema,
      prompt_id: idSchema,
      model_name: z.string().nullable(),
      prompt_label: z.string(),
      prompt_text: z.string().nullable(),
      job: jobProgress.nullable(),
    }),
  ),
  summary: runSummary.nullable(),
  expires_at: timestamp,
});
