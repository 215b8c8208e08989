import { coerceError, type Logger } from '@evalq/core';
import type { FinishedRow, HeldClaim } from '@evalq/db';
import type { JudgeCall } from '@evalq/grading';
import { callCost, type RenderedPrompt, type RowVariables } from '@evalq/providers';
import type { JobContext } from './job-catalog.js';
import type { Grant } from './limits/call-limits.js';
import {
  callModelWithCache,
  type CacheLookup,
  type CachedCallResult,
} from './cached-model-call.js';
import type { ModelCallDeps, ModelCallResult } from './model-call.js';
import type { ResponseCache } from './response-cache.js';
import { failedRow, gradedRow, renderFailure } from './row-results.js';

/** One claimed row on its way to a result. */
export interface RowWork {
  claim: HeldClaim;
  datasetId: number;
  /**
   * What the prompt's templates and the judge rubrics can use: content and the gold
   * label always (grading compares with it), input only when a template uses it.
   */
  row: RowVariables;
  context: JobContext;
  /** The permit taken with the claim for the first call (see CallLimits.tryAcquire). */
  firstPermit: Grant;
  /** Requests already made for the row elsewhere (its line in a provider batch), counted in attempts. */
  earlierCalls?: number;
  /** Its prompt rendered and its cache lookup made ahead of its call (cache-look-ahead.ts). */
  ahead?: { render: RowRender; lookup: CacheLookup | undefined };
  log: Logger;
}

/** A row's prompt rendered, or why it cannot be. */
export type RowRender =
  { rendered: RenderedPrompt; problem?: undefined } | { rendered?: undefined; problem: string };

/** The request a row's prompt makes (what the model is sent, and what the cache keys). */
export function rowRequest(work: RowWork, rendered: RenderedPrompt) {
  const { prompt } = work.context;
  return {
    messages: rendered.messages,
    content: work.row.content,
    template: prompt.template,
    sampling: prompt.sampling,
  };
}

/**
 * Renders the row's prompt (text, or chat messages). A row without a variable the prompt
 * uses (the launch checks every row; rows imported since, or plain SQL, can still lack
 * one) or a prompt that cannot render gives the problem instead: the row fails.
 */
export function renderRow(work: RowWork): RowRender {
  try {
    return { rendered: work.context.prompt.render(work.row) };
  } catch (error) {
    return { problem: coerceError(error).message };
  }
}

export type RowOutcome =
  | { kind: 'finished'; row: FinishedRow }
  /** Given up without a result (shutdown): the claim goes back to pending. */
  | { kind: 'abandoned' };

export interface RowCallDeps extends ModelCallDeps {
  /** Calls judge models for llm-judge assertions (judge-call.ts), logging to `log`. */
  judge: (log: Logger) => JudgeCall;
  /** The response cache, for jobs launched with it (response-cache.ts). */
  cache?: ResponseCache | undefined;
}

/**
 * Runs one row: renders the prompt (text, or chat messages) for the row, calls the
 * model (model-call.ts: timeout, shared limits, retries), then grades a successful
 * output with the job's assertions right away, so the prediction and its verdict are
 * stored together. Ends with a result to store: `success` with its verdict, or
 * `failed` with an empty prediction and the error. No database connection is used here.
 */
export async function callRow(work: RowWork, deps: RowCallDeps): Promise<RowOutcome> {
  const { model, prompt, grading } = work.context;
  const render = work.ahead?.render ?? renderRow(work);
  const outcome: CachedCallResult = render.rendered
    ? await callModelWithCache(
        model,
        rowRequest(work, render.rendered),
        deps,
        () => work.log.child({ row_id: work.claim.row_id }),
        work.firstPermit,
        work.context.cache,
        work.ahead?.lookup,
      )
    : unrenderable(work, deps, render.problem);
  if (outcome.kind === 'abandoned') return outcome;
  const basics = {
    ...work.claim,
    dataset_id: work.datasetId,
    formatted_prompt: render.rendered?.formatted ?? prompt.template,
    attempts: outcome.calls + (work.earlierCalls ?? 0),
    prediction_time: outcome.seconds,
  };
  if (outcome.kind === 'failed') {
    return { kind: 'finished', row: failedRow(basics, outcome, grading.version) };
  }
  const { completion } = outcome;
  // A cache hit made no call: it costs nothing (still null for a model without a price).
  const cost = outcome.cached
    ? model.prices
      ? 0
      : null
    : callCost(model.prices, completion.promptTokens, completion.completionTokens);
  if (cost) deps.metrics.cost.spend.inc({ model_id: String(model.modelId) }, cost);
  const judge = grading.compiled?.needsJudge ? deps.judge(work.log) : NO_JUDGE;
  const answer = { completion, cost, cached: outcome.cached === true };
  return { kind: 'finished', row: await gradedRow(basics, answer, work.row, grading, judge) };
}

/** For assertions without a judge (gradeOutput never calls it). */
const NO_JUDGE: JudgeCall = () => Promise.reject(new Error('these assertions have no judge'));

/** A row whose prompt cannot be rendered fails without a call, like a model that cannot be called. */
function unrenderable(work: RowWork, deps: RowCallDeps, problem: string): ModelCallResult {
  const { model } = work.context;
  deps.limits.release(model.modelId, work.firstPermit.permits);
  deps.metrics.errors.inc({ model_id: String(model.modelId), kind: 'config' });
  return { kind: 'failed', ...renderFailure(model, problem), seconds: 0, calls: 0 };
}
