/** What one successful prediction is graded on. */
export interface GradingSubject {
  /** The model's output. */
  output: string;
  /** The row's expected_prediction (the default `value` of most assertions). */
  expected: string;
  /** The row's content. */
  content: string;
  /** The row's variables (its `input` object), for judge rubrics. */
  variables?: Readonly<Record<string, unknown>>;
  /** prediction_time: seconds the call took. */
  latency_s: number;
}

/** One check's own finding, before `not` is applied. */
export interface CheckOutcome {
  pass: boolean;
  /** In [0, 1]; 1 or 0 unless the check says otherwise (similar, llm-judge). */
  score: number;
  reason?: string;
}

/** Quotes a text for a reason, shortened so a grading stays small whatever the output. */
export function quote(text: string, max = 60): string {
  const shown = text.length > max ? `${text.slice(0, max - 1)}…` : text;
  return JSON.stringify(shown);
}

export const outcome = (pass: boolean, reason?: string): CheckOutcome => ({
  pass,
  score: pass ? 1 : 0,
  ...(reason === undefined ? {} : { reason }),
});
