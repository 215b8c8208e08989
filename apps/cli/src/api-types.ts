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
  default_assertions: Record<string, unknown>[] | null;
  default_threshold: number | null;
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
  passed: number;
  ungraded: number;
  pass_rate: number | null;
  accuracy: number | null;
  regrading: boolean;
  regrade_remaining: number;
  assertions: Record<string, unknown>[];
  threshold: number | null;
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
  passed: boolean | null;
  score: number | null;
  grading: AssertionResult[] | null;
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
  total: number;
  processed: number;
  succeeded: number;
  /** Graded successful predictions. */
  n: number;
  passed: number;
  pass_rate: number | null;
  pass_rate_ci95: [number, number] | null;
  mean_score: number | null;
  failed: number;
  ungraded: number;
  regrading: boolean;
  round_table_winner: boolean;
  accuracy: number | null;
  latency_p50_s: number | null;
  latency_p95_s: number | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
}

export interface AssertionResult {
  type: string;
  pass: boolean | null;
  score: number | null;
  weight: number;
  reason?: string;
  error?: string;
}

export interface Comparison {
  n_paired: number;
  a_pass: number;
  b_pass: number;
  both: number;
  a_only: number;
  b_only: number;
  neither: number;
  mcnemar_p: number;
  score_diff: number | null;
  score_diff_ci95: [number, number] | null;
  winner: 'a' | 'b' | null;
  verdict: string;
}

export interface ClassificationReport {
  labels: string[];
  n: number;
  accuracy: number | null;
  per_label: {
    label: string;
    support: number;
    predicted: number;
    precision: number | null;
    recall: number | null;
    f1: number | null;
  }[];
  macro_precision: number | null;
  macro_recall: number | null;
  macro_f1: number | null;
  confusion: number[][];
  outside_label_set: { count: number; top: { predicted: string; count: number }[] };
}

export const jobLabel = (key: JobKey) => `${key.model_id}/${key.prompt_id}/${key.dataset_id}`;
