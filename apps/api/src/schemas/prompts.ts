import { z } from 'zod';
import { idParam, idSchema, storableText, timestamp } from './common.js';

export const promptParams = z.object({ prompt_id: idParam });

export const newPromptBody = z.strictObject({
  text: storableText({ max: 100_000 }).describe(
    'the template; {{content}} is replaced by the row content (without it, the content is appended after a blank line)',
  ),
  model_id: idSchema.nullish().describe('bind the prompt to this model only'),
});

export const promptListQuery = z.object({
  model_id: idParam.optional().describe('only prompts bound to this model'),
});

export const prompt = z.object({
  prompt_id: idSchema,
  model_id: idSchema.nullable(),
  text: z.string(),
  created_at: timestamp,
});
