import { z } from 'zod';

export const CHAT_ROLES = ['system', 'user', 'assistant'] as const;
export type ChatRole = (typeof CHAT_ROLES)[number];

/** One message of a chat prompt; `content` is a template until rendered. */
export interface ChatMessage {
  role: ChatRole;
  content: string;
}

export const PROMPT_TYPES = ['text', 'chat'] as const;
export type PromptType = (typeof PROMPT_TYPES)[number];

/** A prompt as stored: a text template, or chat messages whose contents are templates. */
export interface PromptTemplate {
  type: PromptType;
  /** The template of a text prompt; for a chat prompt, its messages joined (chatText). */
  text: string;
  /** Chat prompts only. */
  messages: readonly ChatMessage[] | null;
}

/**
 * A chat prompt's messages as one readable text (`prompts.text` of a chat prompt, which
 * stays NOT NULL): each message as `role: content`, separated by blank lines.
 */
export function chatText(messages: readonly ChatMessage[]): string {
  return messages.map((message) => `${message.role}: ${message.content}`).join('\n\n');
}

/**
 * A prompt's sampling settings (`prompts.model_defaults`): they override the same keys
 * of the model's config for calls made with this prompt.
 */
export const samplingSettingsSchema = z.strictObject({
  temperature: z.number().min(0).max(2).optional(),
  max_tokens: z.number().int().min(1).max(1_000_000).optional(),
});

export type SamplingSettings = z.output<typeof samplingSettingsSchema>;
