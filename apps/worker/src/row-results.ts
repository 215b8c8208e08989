import type { FinishedRow, HeldClaim } from '@evalq/db';
import type { JudgeCall } from '@evalq/grading';
import type { Completion, ProviderErrorKind, RowVariables } from '@evalq/providers';
import type { ModelContext } from './job-catalog.js';
import type { JobGrading } from './job-grading.js';
import { gradeOutput, NO_VERDICT } from './row-grading.js';

// A row's outcome turned into the FinishedRow that is stored, the same way whether the
// row was called online or went through a provider batch.

/** What a stored row holds however it ended: its claim, its prompt, and its calls. */
export type RowBasics = HeldClaim &
  Pick<FinishedRow, 'dataset_id' | 'formatted_prompt' | 'attempts' | 'prediction_time'>;

/** Why a row failed, as stored: the error text and its provider error kind. */
export interface RowFailure {
  error: string;
  errorKind: ProviderErrorKind;
}

/** A successful answer and what it cost (decided by the caller: online or batch price, cache hit). */
export interface RowAnswer {
  completion: Completion;
  cost: number | null;
  /** Answered from the response cache (no call made). */
  cached: boolean;
}

/** PostgreSQL text cannot hold NUL; a model's answer or an error page may send one. */
export function withoutNul(text: string): string {
  return text.includes('\u0000') ? text.replaceAll('\u0000', '') : text;
}

/**
 * Why a row whose prompt cannot be rendered fails without a call. The request itself is
 * wrong ('bad_request', which does not pause the job), unless the model cannot be called
 * at all: then that is the reason, a configuration error like any call to it.
 */
export function renderFailure(model: Pick<ModelContext, 'problem'>, problem: string): RowFailure {
  return {
    error: `config: ${model.problem ?? problem}`,
    errorKind: model.problem === undefined ? 'bad_request' : 'config',
  };
}

/** A failed row: no prediction, no verdict (the database refuses one), the error and its kind. */
export function failedRow(
  basics: RowBasics,
  failure: RowFailure,
  gradingVersion: number,
): FinishedRow {
  return {
    ...basics,
    ...NO_VERDICT,
    grading_version: gradingVersion,
    prediction: '',
    status: 'failed',
    error: withoutNul(failure.error),
    error_kind: failure.errorKind,
    prompt_tokens: null,
    completion_tokens: null,
  };
}

/**
 * A successful row, graded at once with the job's assertions so the prediction and its
 * verdict are stored together. The call's latency for grading is the row's
 * prediction_time.
 */
export async function gradedRow(
  basics: RowBasics,
  answer: RowAnswer,
  row: RowVariables,
  grading: JobGrading,
  judge: JudgeCall,
): Promise<FinishedRow> {
  const output = withoutNul(answer.completion.text);
  const verdict = await gradeOutput(
    grading,
    {
      output,
      expected: row.expected,
      content: row.content,
      variables: row.input,
      latency_s: basics.prediction_time,
    },
    judge,
  );
  return {
    ...basics,
    ...verdict,
    prediction: output,
    status: 'success',
    error: null,
    prompt_tokens: answer.completion.promptTokens ?? null,
    completion_tokens: answer.completion.completionTokens ?? null,
    cost_usd: answer.cost,
    cached: answer.cached,
  };
}
