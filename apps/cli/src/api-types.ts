/** The API's response shapes the CLI reads (the API's zod schemas are the source of truth). */

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface Dataset {
  dataset_id: number;
  name: string;
  description: string | null;
  row_count: number;
  created_at: string;
}

export interface Model {
  model_id: number;
  name: string;
  source: string;
  library: string;
  description: string | null;
  config: Record<string, unknown>;
}

export interface Prompt {
  prompt_id: number;
  model_id: number | null;
  text: string;
}

export interface JobKey {
  model_id: number;
  prompt_id: number;
  dataset_id: number;
}

export interface Progress extends JobKey {
  status: 'pending' | 'running' | 'done';
  total: number;
  done: number;
  succeeded: number;
  failed: number;
  in_progress: number;
  pending: number;
  percent: number;
  accuracy: number | null;
  started_at: string | null;
  updated_at: string;
  finished_at: string | null;
  rate_per_s: number | null;
  eta_s: number | null;
}

export interface LaunchResult {
  jobs: Progress[];
  created: JobKey[];
  enqueued: boolean;
}

export interface Prediction extends JobKey {
  prediction_id: number;
  row_id: number;
  content: string | null;
  expected_prediction: string | null;
  prediction: string;
  correct: boolean | null;
  status: 'success' | 'failed';
  error: string | null;
  prediction_time: number;
}

export interface LeaderboardEntry {
  model_id: number;
  prompt_id: number;
  model_name: string;
  prompt_text: string;
  status: string;
  n: number;
  succeeded: number;
  failed: number;
  accuracy: number | null;
  latency_p50_s: number | null;
  latency_p95_s: number | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
}

export const jobLabel = (key: JobKey) => `${key.model_id}/${key.prompt_id}/${key.dataset_id}`;
