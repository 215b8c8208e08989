import { Readable } from 'node:stream';
import type { JobKey } from '@evalq/core';
import { ApiClient } from '@evalq/cli/api-client';

/**
 * The few API calls the benchmark makes, through the CLI's API client: it drives
 * evalq the way an operator's script would.
 */
export class EvalqApi {
  readonly #client: ApiClient;

  constructor(readonly url: string) {
    this.#client = new ApiClient(url, undefined);
  }

  async createModel(
    name: string,
    baseUrl: string,
    config: Record<string, unknown> = {},
  ): Promise<number> {
    const body = {
      name,
      source: 'openai',
      config: { base_url: baseUrl, max_retries: 0, ...config },
    };
    return (await this.#client.post<{ model_id: number }>('/v1/models', body)).model_id;
  }

  async createPrompt(text: string): Promise<number> {
    return (await this.#client.post<{ prompt_id: number }>('/v1/prompts', { text })).prompt_id;
  }

  async createDataset(name: string): Promise<number> {
    return (await this.#client.post<{ dataset_id: number }>('/v1/datasets', { name })).dataset_id;
  }

  /** Streams a CSV upload; resolves with the rows the API stored. */
  async importCsv(datasetId: number, csv: Readable): Promise<number> {
    const result = await this.#client.json<{ imported: number }>(
      'POST',
      `/v1/datasets/${datasetId}/rows`,
      { body: Readable.toWeb(csv) as ReadableStream<Uint8Array>, contentType: 'text/csv' },
    );
    return result.imported;
  }

  async launch(
    datasetId: number,
    modelIds: number[],
    promptIds: number[],
    assertions?: object[],
    extra: { budget?: object; cache?: boolean } = {},
  ): Promise<JobKey[]> {
    const body = {
      dataset_id: datasetId,
      model_ids: modelIds,
      prompt_ids: promptIds,
      assertions,
      ...extra,
    };
    return (await this.#client.post<{ jobs: JobKey[] }>('/v1/jobs', body)).jobs;
  }

  /** Asks for a regrade; resolves with how many predictions it has to regrade. */
  async regrade(key: JobKey, assertions: object[]): Promise<number> {
    const job = await this.#client.post<{ regrade_remaining: number }>(
      `${this.jobPath(key)}/regrade`,
      { assertions },
    );
    return job.regrade_remaining;
  }

  /** Cancels a job: deletes it, its status rows and its predictions. */
  async cancel(key: JobKey): Promise<void> {
    await this.#client.json('DELETE', this.jobPath(key));
  }

  async progress(key: JobKey): Promise<{ regrading: boolean; regrade_remaining: number }> {
    return this.#client.get(this.jobPath(key));
  }

  /** GET /v1/compare of two candidates (model/prompt) on a dataset. */
  async compare(datasetId: number, a: string, b: string): Promise<{ n_paired: number }> {
    return this.#client.get('/v1/compare', { dataset_id: datasetId, a, b });
  }

  jobPath(key: JobKey): string {
    return `/v1/jobs/${key.model_id}/${key.prompt_id}/${key.dataset_id}`;
  }
}
