import type { Dataset, Model, Page, Prompt } from '@evalq/api/types';
import { ValidationError } from '@evalq/core';
import type { ApiClient } from './api-client.js';

const ID = /^\d+$/;

/**
 * Turns what an operator types into ids: a number is an id; anything else is a name,
 * looked up through the API. A dataset or model name must be unique (or the message
 * lists the ids to choose from); a prompt is `name` (its latest version),
 * `name@<label>` or `name@<version number>`.
 */
export class NameResolver {
  constructor(private readonly client: ApiClient) {}

  async dataset(reference: string): Promise<number> {
    return this.byName<Dataset>('dataset', '/v1/datasets', reference, (d) => d.dataset_id);
  }

  async model(reference: string): Promise<number> {
    return this.byName<Model>('model', '/v1/models', reference, (m) => m.model_id);
  }

  async models(references: readonly string[]): Promise<number[]> {
    return Promise.all(references.map((reference) => this.model(reference)));
  }

  async prompt(reference: string): Promise<number> {
    const value = reference.trim();
    if (ID.test(value)) return Number(value);
    const at = value.lastIndexOf('@');
    const name = at < 0 ? value : value.slice(0, at);
    const which = at < 0 ? undefined : value.slice(at + 1);
    const query: Record<string, string> = { name };
    if (which !== undefined) query[ID.test(which) ? 'version' : 'label'] = which;
    const prompt = await this.client.get<Prompt>('/v1/prompts/resolve', query);
    return prompt.prompt_id;
  }

  async prompts(references: readonly string[]): Promise<number[]> {
    return Promise.all(references.map((reference) => this.prompt(reference)));
  }

  /** A candidate (model × prompt) as parse-options.ts's `candidate` reads it. */
  async candidate(reference: {
    model: string;
    prompt: string;
  }): Promise<{ model_id: number; prompt_id: number }> {
    const [model_id, prompt_id] = await Promise.all([
      this.model(reference.model),
      this.prompt(reference.prompt),
    ]);
    return { model_id, prompt_id };
  }

  private async byName<T>(
    what: string,
    path: string,
    reference: string,
    idOf: (item: T) => number,
  ): Promise<number> {
    const value = reference.trim();
    if (ID.test(value)) return Number(value);
    const page = await this.client.get<Page<T>>(path, { name: value, limit: 10 });
    const ids = page.items.map(idOf);
    if (ids.length === 1) return ids[0]!;
    throw new ValidationError(
      ids.length === 0
        ? `no ${what} is named "${value}": give its id or its exact name (evalq ${what}s list)`
        : `${ids.length} ${what}s are named "${value}" (ids ${ids.join(', ')}): give the id`,
    );
  }
}

/** The usual --dataset, --model and --prompt filters (ids or names) as ids. */
export async function resolveFilter(
  client: ApiClient,
  options: { dataset?: string; model?: string; prompt?: string },
): Promise<{ dataset_id?: number; model_id?: number; prompt_id?: number }> {
  const names = new NameResolver(client);
  const [dataset_id, model_id, prompt_id] = await Promise.all([
    options.dataset === undefined ? undefined : names.dataset(options.dataset),
    options.model === undefined ? undefined : names.model(options.model),
    options.prompt === undefined ? undefined : names.prompt(options.prompt),
  ]);
  return { dataset_id, model_id, prompt_id };
}
