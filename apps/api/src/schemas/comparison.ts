import { z } from 'zod';
import { cursorParam, idParam, idSchema, limitParam } from './common.js';

const candidateParam = z
  .string()
  .regex(/^[1-9][0-9]{0,9}\/[1-9][0-9]{0,9}$/, 'must be <model_id>/<prompt_id>, e.g. 3/7')
  .transform((text) => {
    const [model, prompt] = text.split('/');
    return { model_id: Number(model), prompt_id: Number(prompt) };
  })
  .describe('a candidate: <model_id>/<prompt_id>');

export const compareQuery = z.object({ dataset_id: idParam, a: candidateParam, b: candidateParam });

export const compareRowsQuery = compareQuery.extend({
  only: z
    .enum(['a', 'b'])
    .optional()
    .describe('only the rows A passes alone (a) or B alone (b); both kinds by default'),
  cursor: cursorParam,
  limit: limitParam(50, 500),
});

const pairedSide = z.object({
  prediction_id: idSchema,
  prediction: z.string().describe("the candidate's output"),
  passed: z.boolean(),
  score: z.number().nullable(),
});

export const disagreeingRow = z
  .object({
    row_id: idSchema,
    content: z.string(),
    expected_prediction: z.string(),
    a: pairedSide,
    b: pairedSide,
  })
  .describe('a row where exactly one of the two candidates passed');

const count = z.number().int().min(0);

export const comparison = z
  .object({
    dataset_id: idSchema,
    a: z.object({ model_id: idSchema, prompt_id: idSchema }),
    b: z.object({ model_id: idSchema, prompt_id: idSchema }),
    n_paired: count.describe('rows where both have a graded successful prediction'),
    a_pass: count,
    b_pass: count,
    both: count,
    a_only: count.describe('rows only A passes'),
    b_only: count.describe('rows only B passes'),
    neither: count,
    mcnemar_p: z.number().describe('exact two-sided McNemar test on a_only vs b_only'),
    score_diff: z.number().nullable().describe("mean of A's score − B's score over the pairs"),
    score_diff_ci95: z
      .tuple([z.number(), z.number()])
      .nullable()
      .describe('paired bootstrap, 2,000 resamples, fixed seed'),
    winner: z.enum(['a', 'b']).nullable().describe('the better candidate when mcnemar_p < 0.05'),
    verdict: z.string().describe('the comparison in words'),
  })
  .describe('two candidates on the same rows');

export const classificationQuery = z.object({ model_id: idParam, prompt_id: idParam });

const rate = z.number().nullable();

export const classification = z
  .object({
    dataset_id: idSchema,
    model_id: idSchema,
    prompt_id: idSchema,
    labels: z.array(z.string()).describe('distinct expected labels (trimmed, lower-cased), sorted'),
    n: count.describe('successful predictions counted'),
    accuracy: rate,
    per_label: z.array(
      z.object({
        label: z.string(),
        support: count,
        predicted: count,
        true_positives: count,
        precision: rate,
        recall: rate,
        f1: rate,
      }),
    ),
    macro_precision: rate,
    macro_recall: rate,
    macro_f1: rate,
    confusion: z
      .array(z.array(count))
      .describe('rows: expected labels; columns: predicted labels, then "outside the label set"'),
    outside_label_set: z.object({
      count,
      top: z.array(z.object({ predicted: z.string(), count })),
    }),
  })
  .describe("a classification job's per-label metrics and confusion matrix");
