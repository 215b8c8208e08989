import type { AssertionType } from './assertion-schema.js';

/** One assertion's finding on one prediction, as stored in predictions.grading. */
export interface AssertionResult {
  type: AssertionType;
  /** After `not`. Null when the assertion could not be decided (`error` says why). */
  pass: boolean | null;
  /** In [0, 1], after `not`; null with `pass`. */
  score: number | null;
  weight: number;
  /** Present (true) when the assertion is inverted. */
  not?: true;
  reason?: string;
  error?: string;
  /** llm-judge: the judge model and what its call cost. */
  model_id?: number;
  prompt_tokens?: number | null;
  completion_tokens?: number | null;
  /** The judge call's cost in USD (docs/cost.md); null when the judge model has no price. */
  cost_usd?: number | null;
}

/** A prediction's grade: the three columns stored with it. */
export interface Verdict {
  /** Null: ungraded (an assertion that counts could not be decided). */
  passed: boolean | null;
  score: number | null;
  grading: AssertionResult[];
}

/**
 * THE pass rule (docs/grading.md), the one place it is decided. The score is the
 * weighted mean of the scores of the assertions that count (weight > 0). A prediction
 * passes when its job has a threshold and score ≥ threshold, else when every counted
 * assertion passes. When a counted assertion could not be decided (a judge that failed
 * or answered unreadably) the prediction is ungraded: passed and score are null.
 */
export function decideVerdict(results: AssertionResult[], threshold: number | null): Verdict {
  let weights = 0;
  let weighted = 0;
  let allPass = true;
  for (const result of results) {
    if (result.weight <= 0) continue;
    if (result.pass === null || result.score === null) {
      return { passed: null, score: null, grading: results };
    }
    weights += result.weight;
    weighted += result.weight * result.score;
    allPass &&= result.pass;
  }
  if (weights === 0) return { passed: null, score: null, grading: results };
  const score = weighted / weights;
  return { passed: threshold === null ? allPass : score >= threshold, score, grading: results };
}
