import { coerceError } from '@evalq/core';
import type { PromptForWorker } from '@evalq/db';
import {
  compilePrompt,
  samplingSettingsSchema,
  type RenderedPrompt,
  type RowVariables,
  type SamplingSettings,
  usesInputVariables,
} from '@evalq/providers';

/** A prompt as the worker runs it: compiled once, rendered per row. */
export interface PromptContext {
  readonly promptId: number;
  /** The template as stored (prompts.text); the mock model keys its answers on it. */
  readonly template: string;
  /** The prompt's model_defaults: over the model config's temperature and max_tokens. */
  readonly sampling: SamplingSettings;
  /** Whether rendering needs each row's input (the claim fetches it then). */
  readonly usesInput: boolean;
  /** Undefined when the prompt cannot be rendered at all; its rows fail with the reason. */
  readonly problem: string | undefined;
  /** Throws (MissingVariableError) for a row without a variable the prompt uses. */
  render(row: RowVariables): RenderedPrompt;
}

/**
 * Compiles a stored prompt. A prompt that does not parse, or whose model_defaults are
 * not valid (both are checked when a prompt is created; plain SQL could still write
 * them), is kept with its problem so its rows are stored as failed, saying why.
 */
export function buildPromptContext(prompt: PromptForWorker): PromptContext {
  const base = { promptId: prompt.prompt_id, template: prompt.text };
  const sampling = samplingSettingsSchema.safeParse(prompt.model_defaults ?? {});
  try {
    if (!sampling.success) {
      throw new Error(`its model_defaults are not valid: ${sampling.error.message}`);
    }
    const compiled = compilePrompt(prompt);
    return {
      ...base,
      sampling: sampling.data,
      usesInput: usesInputVariables(compiled.variables),
      problem: undefined,
      render: (row) => compiled.render(row),
    };
  } catch (error) {
    const problem = `prompt ${prompt.prompt_id} cannot be rendered: ${coerceError(error).message}`;
    return {
      ...base,
      sampling: {},
      usesInput: false,
      problem,
      render: () => {
        throw new Error(problem);
      },
    };
  }
}
