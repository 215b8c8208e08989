import type { Readable } from 'node:stream';

export interface JobKey {
  model_id: number;
  prompt_id: number;
  dataset_id: number;
}

/**
 * The few API calls the benchmark makes, over plain fetch: it drives evalq the way an
 * operator's script would.
 */
export class EvalqApi {
  constructor(readonly url: string) {}

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
    return ((await this.post('/v1/models', body)) as { model_id: number }).model_id;
  }

  async createPrompt(text: string): Promise<number> {
    return ((await this.post('/v1/prompts', { text })) as { prompt_id: number }).prompt_id;
  }

  async createDataset(name: string): Promise<number> {
    return ((await this.post('/v1/datasets', { name })) as { dataset_id: number }).dataset_id;
  }

  /** Streams a CSV upload; resolves with the rows the API stored. */
  async importCsv(datasetId: number, csv: Readable): Promise<number> {
    const response = await fetch(`${this.url}/v1/datasets/${datasetId}/rows`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: csv,
      duplex: 'half',
    });
    return ((await this.json(response, 'import')) as { imported: number }).imported;
  }

  async launch(datasetId: number, modelIds: number[], promptIds: number[]): Promise<JobKey[]> {
    const body = { dataset_id: datasetId, model_ids: modelIds, prompt_ids: promptIds };
    return ((await this.post('/v1/jobs', body)) as { jobs: JobKey[] }).jobs;
  }

  jobPath(key: JobKey): string {
    return `/v1/jobs/${key.model_id}/${key.prompt_id}/${key.dataset_id}`;
  }

  private async post(path: string, body: unknown): Promise<unknown> {
    const response = await fetch(`${this.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return this.json(response, `POST ${path}`);
  }

  private async json(response: Response, what: string): Promise<unknown> {
    const text = await response.text();
    if (!response.ok) throw new Error(`${what}: HTTP ${response.status}: ${text.slice(0, 500)}`);
    return JSON.parse(text) as unknown;
  }
}
