import type { Generated, Selectable } from 'kysely';

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
}

export type Prediction = Selectable<PredictionsTable>;
