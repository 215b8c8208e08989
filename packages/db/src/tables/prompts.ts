import type { ColumnType, Generated, Selectable } from 'kysely';

export type PromptType = 'text' | 'chat';

/** A chat message as stored in `prompts.messages`; `content` is a template. */
export interface StoredChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** `prompts.model_defaults`: override the model config's keys of the same name. */
export interface PromptModelDefaults {
  temperature?: number;
  max_tokens?: number;
}

export interface PromptsTable {
  prompt_id: Generated<number>;
  /** When set, the prompt may only be used with this model. */
  model_id: number | null;
  /** The template (for a chat prompt, its messages joined readably). */
  text: string;
  created_at: Generated<Date>;
  /** Versions of one name are numbered 1, 2, …; null for an unnamed prompt. */
  name: string | null;
  version: number | null;
  type: Generated<PromptType>;
  /** Chat prompts only. */
  messages: ColumnType<StoredChatMessage[] | null, string | null, never>;
  /** Held by one version of a name at a time (e.g. `production`). */
  labels: Generated<string[]>;
  commit_message: string | null;
  model_defaults: ColumnType<PromptModelDefaults, string | undefined, never>;
}

export type Prompt = Selectable<PromptsTable>;

/** `prompt_names`: the last version number given to each name (and the name's lock). */
export interface PromptNamesTable {
  name: string;
  last_version: number;
}
