import type { ColumnType, Generated, Selectable } from 'kysely';

export type PredictionOutcome = 'success' | 'failed';

export interface PredictionsTable {
  prediction_id: Generated<number>;
  row_id: number | null;
  model_id: number | null;
  prompt_id: number | null;
  dataset_id: number | null;
  /** The model's output; empty when the call failed. */
  prediction: string;
  /** Seconds the call took. */
  prediction_time: number;
  status: PredictionOutcome;
  /** The exact text sent to the model. */
  formatted_prompt: string | null;
  /** Why the call failed, when it did. */
  error: string | null;
  attempts: Generated<number>;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  created_at: Generated<Date>;
  /** The verdict (docs/grading.md); null when failed or ungraded. */
  passed: boolean | null;
  score: number | null;
  /** Each assertion's result. */
  grading: ColumnType<unknown, string | null | undefined, string | null>;
  /** The job's grading_version this verdict was made under. */
  grading_version: Generated<number>;
  /** The candidate call's cost in USD (docs/cost.md); null when its model has no price. */
  cost_usd: number | null;
  /** The judge calls that graded it. */
  judge_cost_usd: number | null;
  judge_tokens: number | null;
  /** Answered from the response cache: no call was made. */
  cached: Generated<boolean>;
  /** The provider error's kind of a failed call. */
  error_kind: string | null;
}

export type Prediction = Selectable<PredictionsTable>;
