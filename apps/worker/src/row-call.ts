import type { Logger } from '@evalq/core';
import type { FinishedRow, HeldClaim } from '@evalq/db';
import type { JudgeCall } from '@evalq/grading';
import { renderPrompt } from '@evalq/providers';
import type { JobContext } from './job-catalog.js';
import type { Grant } from './limits/call-limits.js';
import { callModel, type ModelCallDeps } from './model-call.js';
import { gradeOutput, NO_VERDICT } from './row-grading.js';

/** One claimed row on its way to a result. */
export interface RowWork {
  claim: HeldClaim;
  datasetId: number;
  content: string;
  /** The row's gold label, for grading. */
  expected: string;
  context: JobContext;
  /** The permit taken with the claim for the first call (see CallLimits.tryAcquire). */
  firstPermit: Grant;
  log: Logger;
}

export type RowOutcome =
  | { kind: 'finished'; row: FinishedRow }
  /** Given up without a result (shutdown): the claim goes back to pending. */
  | { kind: 'abandoned' };

export interface RowCallDeps extends ModelCallDeps {
  /** Calls judge models for llm-judge assertions (judge-call.ts). */
  judge: JudgeCall;
}

/**
 * Runs one row: renders the prompt, calls the model (model-call.ts: timeout, shared
 * limits, retries), then grades a successful output with the job's assertions right
 * away, so the prediction and its verdict are stored together. Ends with a result to
 * store: `success` with its verdict, or `failed` with an empty prediction and the error.
 * No database connection is used here.
 */
export async function callRow(work: RowWork, deps: RowCallDeps): Promise<RowOutcome> {
  const { model, template, grading } = work.context;
  const prompt = renderPrompt(template, work.content);
  const outcome = await callModel(
    model,
    { prompt, content: work.content },
    deps,
    work.log.child({ row_id: work.claim.row_id }),
    work.firstPermit,
  );
  if (outcome.kind === 'abandoned') return outcome;
  const row = {
    ...work.claim,
    dataset_id: work.datasetId,
    formatted_prompt: prompt,
    attempts: outcome.calls,
    prediction_time: outcome.seconds,
  };
  if (outcome.kind === 'failed') {
    return {
      kind: 'finished',
      row: {
        ...row,
        ...NO_VERDICT,
        grading_version: grading.version,
        prediction: '',
        status: 'failed',
        // PostgreSQL text cannot hold NUL; an error page may send one.
        error: withoutNul(outcome.error),
        prompt_tokens: null,
        completion_tokens: null,
      },
    };
  }
  const output = withoutNul(outcome.completion.text);
  const verdict = await gradeOutput(
    grading,
    { output, expected: work.expected, content: work.content, latency_s: outcome.seconds },
    deps.judge,
  );
  return {
    kind: 'finished',
    row: {
      ...row,
      ...verdict,
      prediction: output,
      status: 'success',
      error: null,
      prompt_tokens: outcome.completion.promptTokens ?? null,
      completion_tokens: outcome.completion.completionTokens ?? null,
    },
  };
}

function withoutNul(text: string): string {
  return text.includes('\u0000') ? text.replaceAll('\u0000', '') : text;
}
