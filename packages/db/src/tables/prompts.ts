import type { Generated, Selectable } from 'kysely';

export interface PromptsTable {
  prompt_id: Generated<number>;
  /** When set, the prompt may only be used with this model. */
  model_id: number | null;
  /** The template; `{{content}}` is replaced by the row's content. */
  text: string;
  created_at: Generated<Date>;
}

export type Prompt = Selectable<PromptsTable>;
