import { z } from 'zod';
import { idParam, idSchema, storableText, timestamp } from './common.js';
import { assertionsField, thresholdField } from './grading.js';

export const datasetParams = z.object({ dataset_id: idParam });

export const newDatasetBody = z.strictObject({
  name: storableText({ max: 200, trim: true }),
  description: storableText({ min: 0, max: 10_000 }).nullish(),
});

export const datasetChangesBody = z
  .strictObject({
    name: storableText({ max: 200, trim: true }).optional(),
    description: storableText({ min: 0, max: 10_000 }).nullish(),
    default_assertions: assertionsField
      .nullable()
      .optional()
      .describe('assertions of jobs launched without their own; null: back to equals'),
    default_threshold: thresholdField.optional(),
  })
  .refine((body) => Object.keys(body).length > 0, 'give at least one field to change');

export const dataset = z.object({
  dataset_id: idSchema,
  name: z.string(),
  description: z.string().nullable(),
  row_count: z.number().int().describe('rows in the dataset'),
  default_assertions: z
    .array(z.record(z.string(), z.unknown()))
    .nullable()
    .describe('null: jobs get [{type: equals}] unless launched with assertions'),
  default_threshold: z.number().nullable(),
  created_at: timestamp,
});

export const deletedDataset = z.object({
  dataset_id: idSchema,
  rows: z.number().int(),
  jobs: z.number().int(),
  predictions: z.number().int(),
});

export const datasetRow = z.object({
  row_id: idSchema,
  dataset_id: idSchema,
  content: z.string(),
  expected_prediction: z.string(),
  input: z.record(z.string(), z.unknown()).describe("the row's variables for templates"),
});

/** For the OpenAPI document: what an upload holds (CSV and NDJSON carry the same fields). */
export const rowsUpload = z
  .array(
    z.object({
      content: z
        .string()
        .min(1)
        .optional()
        .describe('the text templates get as {{content}}; without it, the JSON text of input'),
      expected_prediction: z.string().min(1).describe('the gold label ({{expected}})'),
      input: z
        .record(z.string(), z.unknown())
        .optional()
        .describe('variables for templates: {{key}}, {{key.nested}}'),
    }),
  )
  .describe(
    'JSON: an array of rows. NDJSON: one row object per line. CSV: a header row, then one record per row; content and expected_prediction columns as named, every other column an input key (a dotted header such as meta.lang makes a nested key).',
  );

export const importResult = z.object({
  dataset_id: idSchema,
  imported: z.number().int().describe('rows stored by this upload'),
  row_count: z.number().int().describe('rows in the dataset now'),
});
