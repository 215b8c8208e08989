import { z } from 'zod';
import { assertionListSchema, thresholdSchema } from '@evalq/grading';

/** How predictions are graded (docs/grading.md); validated field by field before anything is stored. */
export const assertionsField = assertionListSchema;

export const thresholdField = thresholdSchema.nullable();

/**
 * One assertion's result on one prediction, as stored in its `grading`. Loose: a
 * grading written around the API (plain SQL) is shown as stored, never refused.
 */
export const assertionResult = z
  .looseObject({
    type: z.string().optional(),
    pass: z.boolean().nullable().optional().describe('null: undecided (see error)'),
    score: z.number().nullable().optional(),
    weight: z.number().optional(),
    not: z.literal(true).optional(),
    reason: z.string().optional(),
    error: z
      .string()
      .optional()
      .describe('why it could not be decided (the prediction is ungraded)'),
    model_id: z.number().int().optional().describe('llm-judge: the judge model'),
    prompt_tokens: z.number().int().nullable().optional(),
    completion_tokens: z.number().int().nullable().optional(),
  })
  .describe("an assertion's result");

/** The verdict a candidate's pass rate is read with: a Wilson 95% interval. */
export const interval = z
  .tuple([z.number(), z.number()])
  .nullable()
  .describe('[low, high], 95%; null when nothing is graded');
