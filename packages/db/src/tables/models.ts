import type { ColumnType, Generated, Selectable } from 'kysely';

export interface ModelsTable {
  model_id: Generated<number>;
  /** The provider's model name, e.g. `gpt-4o-mini` or `llama3.2`. */
  name: string;
  /** openai, ollama, mock, … */
  source: string;
  description: string | null;
  /** The client to use when known; else chosen by `source` (docs/providers.md). */
  library: Generated<string>;
  /** Per-model settings (docs/providers.md). Never holds a secret, only `api_key_env`, a variable name. */
  config: ColumnType<Record<string, unknown>, string | undefined, string>;
  created_at: Generated<Date>;
}

export type Model = Selectable<ModelsTable>;
