import { z } from 'zod';
import {
  CHAT_ROLES,
  compilePrompt,
  PROMPT_TYPES,
  samplingSettingsSchema,
  TemplateSyntaxError,
} from '@evalq/providers';
import { idParam, idSchema, storableText, timestamp } from './common.js';

export const promptParams = z.object({ prompt_id: idParam });

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const nameRule = 'letters, digits, ".", "_" and "-", starting with a letter or digit';

export const promptName = z
  .string()
  .max(128, 'must be at most 128 characters')
  .regex(NAME, `must be ${nameRule}`)
  .describe(`a prompt's name (${nameRule}); its versions are numbered 1, 2, …`);

export const labelName = z
  .string()
  .max(64, 'must be at most 64 characters')
  .regex(NAME, `must be ${nameRule}`)
  .describe('a label such as production or staging');

const labelList = z.array(labelName).max(20, 'at most 20 labels');

export const chatMessage = z.strictObject({
  role: z.enum(CHAT_ROLES),
  content: storableText({ max: 100_000 }).describe('a template, like a text prompt'),
});

export const newPromptBody = z
  .strictObject({
    text: storableText({ max: 100_000 })
      .optional()
      .describe(
        'a text prompt: the template. {{content}}, {{expected}} and {{<input key>}} (dotted paths reach nested keys) are replaced per row; without any placeholder the content is appended after a blank line',
      ),
    messages: z
      .array(chatMessage)
      .min(1, 'give at least one message')
      .max(100, 'at most 100 messages')
      .optional()
      .describe('a chat prompt: its messages, each content a template'),
    type: z
      .enum(PROMPT_TYPES)
      .optional()
      .describe('text or chat; follows from giving text or messages'),
    name: promptName.optional().describe('a new version of this name (version = latest + 1)'),
    labels: labelList
      .optional()
      .describe('labels this version takes over from the version of the name that holds them'),
    commit_message: storableText({ min: 0, max: 10_000 })
      .nullish()
      .describe('what changed in this version'),
    model_defaults: samplingSettingsSchema
      .optional()
      .describe("temperature and max_tokens that override the model's config for this prompt"),
    model_id: idSchema.nullish().describe('bind the prompt to this model only'),
  })
  .superRefine((body, ctx) => {
    if ((body.text === undefined) === (body.messages === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: body.text === undefined ? ['text'] : ['messages'],
        message: 'give either text (a text prompt) or messages (a chat prompt)',
      });
      return;
    }
    const type = body.messages === undefined ? 'text' : 'chat';
    if (body.type !== undefined && body.type !== type) {
      ctx.addIssue({
        code: 'custom',
        path: ['type'],
        message: `a ${body.type} prompt takes ${body.type === 'chat' ? 'messages' : 'text'}`,
      });
    }
    if (body.labels !== undefined && body.labels.length > 0 && body.name === undefined) {
      ctx.addIssue({ code: 'custom', path: ['labels'], message: 'only a named prompt has labels' });
    }
    try {
      compilePrompt({ type, text: body.text ?? '', messages: body.messages ?? null });
    } catch (error) {
      if (!(error instanceof TemplateSyntaxError)) throw error;
      ctx.addIssue({
        code: 'custom',
        path: error.part.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p)),
        message: error.details[0]?.message ?? error.message,
      });
    }
  });

export const promptListQuery = z.object({
  model_id: idParam.optional().describe('only prompts bound to this model'),
  name: promptName.optional().describe('only the versions of this name'),
});

export const resolveQuery = z
  .object({
    name: promptName,
    label: labelName.optional().describe('the version holding this label'),
    version: idParam.optional().describe('this version number'),
  })
  .refine((q) => q.label === undefined || q.version === undefined, {
    message: 'give label or version, not both',
    path: ['version'],
  });

export const labelsBody = z
  .strictObject({
    add: labelList.optional().describe('labels to move onto this version'),
    remove: labelList.optional().describe('labels to take off this version'),
  })
  .refine((b) => (b.add?.length ?? 0) + (b.remove?.length ?? 0) > 0, {
    message: 'give labels to add or remove',
    path: ['add'],
  });

export const prompt = z.object({
  prompt_id: idSchema,
  name: z.string().nullable(),
  version: z.number().int().nullable(),
  type: z.enum(PROMPT_TYPES),
  text: z.string().describe("the template; a chat prompt's messages joined readably"),
  messages: z.array(chatMessage).nullable().describe('chat prompts only'),
  labels: z.array(z.string()),
  commit_message: z.string().nullable(),
  model_defaults: samplingSettingsSchema,
  variables: z
    .array(z.string())
    .nullable()
    .describe(
      'the variables its templates use (empty: the content is appended); null for an older template that does not parse',
    ),
  model_id: idSchema.nullable(),
  created_at: timestamp,
});
