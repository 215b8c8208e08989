import type { Model, Prompt } from '@evalq/api/types';
import type { ApiClient } from './api-client.js';

/** `name@version`, or `prompt <id>` for an unnamed prompt (as the API's run summary names them). */
export const promptLabel = (prompt: Prompt) =>
  prompt.name === null ? `prompt ${prompt.prompt_id}` : `${prompt.name}@${prompt.version}`;

/** Names of a run's models and prompts, read once, for bars and tables. */
export interface CandidateNames {
  model(id: number): string;
  prompt(id: number): string;
  candidate(key: { model_id: number; prompt_id: number }): string;
}

export async function candidateNames(
  client: ApiClient,
  modelIds: readonly number[],
  promptIds: readonly number[],
): Promise<CandidateNames> {
  const models = new Map(
    await Promise.all(
      modelIds.map(async (id) => [id, (await client.get<Model>(`/v1/models/${id}`)).name] as const),
    ),
  );
  const prompts = new Map(
    await Promise.all(
      promptIds.map(
        async (id) => [id, promptLabel(await client.get<Prompt>(`/v1/prompts/${id}`))] as const,
      ),
    ),
  );
  const model = (id: number) => models.get(id) ?? `model ${id}`;
  const prompt = (id: number) => prompts.get(id) ?? `prompt ${id}`;
  return { model, prompt, candidate: (key) => `${model(key.model_id)} × ${prompt(key.prompt_id)}` };
}
