import { z } from 'zod';
import { TemplateSyntaxError } from '@evalq/providers';
import { compileRubric } from './judge-prompt.js';
import { compileJsonSchema } from './json-schema.js';
import { normalizeLabel } from './normalize-label.js';
import { compileSafeRegex } from './safe-regex.js';

/**
 * The assertions a job grades its predictions with (docs/grading.md), as JSON. Parsing
 * fills in the defaults (weight 1, not false), so a stored list says exactly what is
 * applied; everything that can be checked without the rows is checked here: an unknown
 * type or field, a pattern that does not compile, a schema that is not a JSON Schema,
 * a negative weight. Whether a judge model exists is the caller's check (it needs the
 * database): see `judgeModelIds`.
 */

const MAX_TEXT = 100_000;

const common = {
  weight: z
    .number({ error: 'must be a number, 0 or more' })
    .min(0, 'must be 0 or more (0 records the assertion without counting it)')
    .default(1)
    .describe('share in the prediction score (default 1); 0 records without counting'),
  not: z.boolean().default(false).describe('invert: pass when the check fails'),
};

const textValue = z
  .string({ error: 'must be a string' })
  .max(MAX_TEXT)
  .optional()
  .describe("compared text; default: the row's expected_prediction");

const textAssertion = <T extends string>(type: T, description: string) =>
  z.strictObject({ type: z.literal(type), value: textValue, ...common }).describe(description);

export const equalsAssertion = textAssertion(
  'equals',
  'output = value after trimming whitespace, ignoring case',
);
export const containsAssertion = textAssertion(
  'contains',
  'output contains value (case-sensitive)',
);
export const icontainsAssertion = textAssertion(
  'icontains',
  'output contains value, ignoring case',
);
export const startsWithAssertion = textAssertion(
  'starts-with',
  'output starts with value (case-sensitive)',
);

export const regexAssertion = z
  .strictObject({
    type: z.literal('regex'),
    value: z
      .string({ error: 'must be a string: the pattern' })
      .max(10_000)
      .optional()
      .describe("RE2 pattern; default: the row's expected_prediction"),
    flags: z
      .string()
      .max(3, 'use any of i, m and s, each at most once')
      .regex(/^(?!.*(.).*\1)[ims]*$/, 'use any of i, m and s, each at most once')
      .optional()
      .describe('i: ignore case, m: ^ and $ match at line ends, s: . matches newlines'),
    ...common,
  })
  .superRefine((assertion, ctx) => {
    // Bad flags are reported on `flags` alone.
    if (assertion.value === undefined || !/^[ims]*$/.test(assertion.flags ?? '')) return;
    try {
      compileSafeRegex(assertion.value, assertion.flags);
    } catch (error) {
      ctx.addIssue({
        code: 'custom',
        path: ['value'],
        message: `does not compile: ${(error as Error).message}`,
      });
    }
  })
  .describe('output matches the pattern (linear-time engine: no output can stall it)');

export const isJsonAssertion = z
  .strictObject({
    type: z.literal('is-json'),
    schema: z
      .record(z.string(), z.unknown(), { error: 'must be a JSON Schema object' })
      .optional()
      .describe('a JSON Schema (draft-07) the parsed value must satisfy'),
    ...common,
  })
  .superRefine((assertion, ctx) => {
    if (assertion.schema === undefined) return;
    try {
      compileJsonSchema(assertion.schema);
    } catch (error) {
      ctx.addIssue({ code: 'custom', path: ['schema'], message: (error as Error).message });
    }
  })
  .describe('output (or its one fenced code block) parses as JSON, and satisfies schema if given');

export const numberAssertion = z
  .strictObject({
    type: z.literal('number'),
    value: z
      .union([z.number(), z.string().max(1_000)], { error: 'must be a number' })
      .optional()
      .describe("the expected number; default: the row's expected_prediction"),
    tolerance: z
      .number({ error: 'must be a number, 0 or more' })
      .min(0, 'must be 0 or more')
      .default(0)
      .describe('largest accepted distance from value'),
    ...common,
  })
  .describe('the first number in the output is within tolerance of value');

export const similarAssertion = z
  .strictObject({
    type: z.literal('similar'),
    value: textValue,
    threshold: z
      .number({ error: 'must be a number from 0 to 1' })
      .min(0, 'must be from 0 to 1')
      .max(1, 'must be from 0 to 1')
      .default(0.8)
      .describe('least similarity that passes (default 0.8)'),
    ...common,
  })
  .describe('1 − Levenshtein distance ÷ longer length ≥ threshold; the score is the similarity');

export const latencyAssertion = z
  .strictObject({
    type: z.literal('latency'),
    value: z
      .number({ error: 'needs value: the most seconds the call may take' })
      .min(0, 'must be 0 or more')
      .describe('seconds'),
    ...common,
  })
  .describe("the call's prediction_time ≤ value seconds");

const labelList = z.array(z.string().trim().min(1, 'must not be empty').max(200)).max(100);

export const llmJudgeAssertion = z
  .strictObject({
    type: z.literal('llm-judge'),
    model_id: z
      .number({ error: 'needs model_id: the id of a registered model that acts as the judge' })
      .int('must be a model id')
      .min(1, 'must be a model id')
      .max(2_147_483_647, 'must be a model id'),
    rubric: z
      .string({ error: 'needs rubric: the instructions for the judge' })
      .min(1, 'must not be empty')
      .max(MAX_TEXT)
      .describe('template over {{output}}, {{expected}}, {{content}} and the row variables'),
    labels: labelList.min(2, 'give at least two labels').optional(),
    pass_labels: labelList.min(1, 'give at least one passing label').optional(),
    value: textValue.describe("what {{expected}} is; default: the row's expected_prediction"),
    ...common,
  })
  .superRefine((assertion, ctx) => {
    try {
      compileRubric(assertion.rubric);
    } catch (error) {
      if (!(error instanceof TemplateSyntaxError)) throw error;
      ctx.addIssue({ code: 'custom', path: ['rubric'], message: error.message });
    }
    const { labels, pass_labels: passLabels } = assertion;
    if ((labels === undefined) !== (passLabels === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [labels === undefined ? 'labels' : 'pass_labels'],
        message: 'give labels and pass_labels together, or neither (the judge then answers JSON)',
      });
      return;
    }
    if (!labels || !passLabels) return;
    const known = new Set(labels.map(normalizeLabel));
    if (known.size !== labels.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['labels'],
        message: 'labels must differ (ignoring case)',
      });
    }
    passLabels.forEach((label, i) => {
      if (!known.has(normalizeLabel(label))) {
        ctx.addIssue({
          code: 'custom',
          path: ['pass_labels', i],
          message: `"${label}" is not one of labels`,
        });
      }
    });
  })
  .describe('a judge model approves the output');

export const ASSERTION_TYPES = [
  'equals',
  'contains',
  'icontains',
  'starts-with',
  'regex',
  'is-json',
  'number',
  'similar',
  'latency',
  'llm-judge',
] as const;

export const assertionSchema = z.discriminatedUnion(
  'type',
  [
    equalsAssertion,
    containsAssertion,
    icontainsAssertion,
    startsWithAssertion,
    regexAssertion,
    isJsonAssertion,
    numberAssertion,
    similarAssertion,
    latencyAssertion,
    llmJudgeAssertion,
  ],
  {
    error: (issue): string | undefined =>
      issue.code === 'invalid_union'
        ? `unknown assertion type; use one of ${ASSERTION_TYPES.join(', ')}`
        : undefined,
  },
);

export type Assertion = z.output<typeof assertionSchema>;
export type AssertionInput = z.input<typeof assertionSchema>;
export type AssertionType = Assertion['type'];

export const assertionListSchema = z
  .array(assertionSchema)
  .min(1, 'give at least one assertion (leave the field out for the default, equals)')
  .max(50, 'at most 50 assertions')
  .superRefine((list, ctx) => {
    if (list.length > 0 && list.every((a) => a.weight === 0)) {
      ctx.addIssue({
        code: 'custom',
        message: 'at least one assertion needs a weight above 0, or nothing would be graded',
      });
    }
  })
  .describe('how each prediction is graded (docs/grading.md)');

/** A job's pass threshold on the weighted score; null: every counted assertion must pass. */
export const thresholdSchema = z
  .number({ error: 'must be a number from 0 to 1' })
  .min(0, 'must be from 0 to 1')
  .max(1, 'must be from 0 to 1')
  .describe('a prediction passes when its weighted score ≥ threshold');

/** With no assertions given anywhere, a job has this one. */
export const DEFAULT_ASSERTIONS: readonly Assertion[] = Object.freeze([
  assertionSchema.parse({ type: 'equals' }),
]);

/** The judge model ids a list refers to, with the path of each reference. */
export function judgeModelIds(
  assertions: readonly Assertion[],
): { model_id: number; index: number }[] {
  return assertions.flatMap((assertion, index) =>
    assertion.type === 'llm-judge' ? [{ model_id: assertion.model_id, index }] : [],
  );
}
