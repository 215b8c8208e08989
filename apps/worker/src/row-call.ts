import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay, coerceError, type Logger } from '@evalq/core';
import type { FinishedRow, HeldClaim } from '@evalq/db';
import { ProviderError, type RenderedPrompt, type RowVariables } from '@evalq/providers';
import type { JobContext } from './job-catalog.js';
import { acquireOne, DEFAULT_PAUSE_MS, type CallLimits, type Grant } from './limits/call-limits.js';
import type { WorkerMetrics } from './metrics.js';

/** One claimed row on its way to a result. */
export interface RowWork {
  claim: HeldClaim;
  datasetId: number;
  /** What the prompt's templates can use (label and input only when they use them). */
  row: RowVariables;
  context: JobContext;
  /** The permit taken with the claim for the first call (see CallLimits.tryAcquire). */
  firstPermit: Grant;
  log: Logger;
}

export type RowOutcome =
  | { kind: 'finished'; row: FinishedRow }
  /** Given up without a result (shutdown): the claim goes back to pending. */
  | { kind: 'abandoned' };

export interface RowCallDeps {
  limits: CallLimits;
  metrics: WorkerMetrics;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  /** Aborted when the worker stops waiting for calls (end of the shutdown grace). */
  signal: AbortSignal;
}

/**
 * Runs one row: renders the prompt (text, or chat messages) for the row, calls the model under its timeout and shared
 * limits, retries retryable errors with exponential backoff and jitter (never sooner
 * than a Retry-After), pauses the model for every worker on a 429, and ends with a
 * result to store: `success`, or `failed` with an empty prediction and the error once
 * retrying cannot help or `max_retries` is spent. No database connection is used here.
 */
export async function callRow(work: RowWork, deps: RowCallDeps): Promise<RowOutcome> {
  const { model, prompt } = work.context;
  let rendered: RenderedPrompt | undefined;
  let renderProblem: string | undefined;
  try {
    rendered = prompt.render(work.row);
  } catch (error) {
    // A row without a variable the prompt uses (the launch checks every row; rows
    // imported since, or plain SQL, can still lack one), or a prompt that cannot render.
    renderProblem = coerceError(error).message;
  }
  const modelLabel = String(model.modelId);
  const result = (
    fields: Pick<FinishedRow, 'prediction' | 'prediction_time' | 'status' | 'error' | 'attempts'> &
      Partial<Pick<FinishedRow, 'prompt_tokens' | 'completion_tokens'>>,
  ): RowOutcome => ({
    kind: 'finished',
    row: {
      ...work.claim,
      dataset_id: work.datasetId,
      formatted_prompt: rendered?.formatted ?? prompt.template,
      prompt_tokens: null,
      completion_tokens: null,
      ...fields,
      // PostgreSQL text cannot hold NUL; a model (or an error page) may send one.
      prediction: withoutNul(fields.prediction),
      error: fields.error === null ? null : withoutNul(fields.error),
    },
  });

  if (!model.client || !rendered) {
    deps.limits.release(model.modelId, work.firstPermit.permits);
    deps.metrics.errors.inc({ model_id: modelLabel, kind: 'config' });
    return result({
      prediction: '',
      prediction_time: 0,
      status: 'failed',
      error: `config: ${model.problem ?? renderProblem ?? 'the model cannot be called'}`,
      attempts: 0,
    });
  }
  const { messages } = rendered;

  let permit: Grant = work.firstPermit;
  for (let call = 1; ; call += 1) {
    if (call > 1) {
      try {
        permit = await acquireOne(deps.limits, model.modelId, model.limits, deps.signal);
      } catch {
        return { kind: 'abandoned' };
      }
    }
    const started = performance.now();
    let error: ProviderError;
    try {
      const completion = await model.client.complete({
        messages,
        content: work.row.content,
        template: prompt.template,
        sampling: prompt.sampling,
        timeoutMs: model.settings.timeoutMs,
        signal: deps.signal,
      });
      deps.limits.release(model.modelId, permit.permits);
      const seconds = (performance.now() - started) / 1000;
      deps.metrics.calls.inc({ model_id: modelLabel, outcome: 'success' });
      deps.metrics.callDuration.observe({ model_id: modelLabel }, seconds);
      return result({
        prediction: completion.text,
        prediction_time: seconds,
        status: 'success',
        error: null,
        attempts: call,
        prompt_tokens: completion.promptTokens ?? null,
        completion_tokens: completion.completionTokens ?? null,
      });
    } catch (thrown) {
      error =
        thrown instanceof ProviderError
          ? thrown
          : new ProviderError('invalid_response', coerceError(thrown).message, { cause: thrown });
    }
    // A 429 pauses the model for every worker before this call's permit is given back,
    // so no other call can slip in between.
    if (error.kind === 'rate_limited') {
      await deps.limits.pause(model.modelId, error.retryAfterMs ?? DEFAULT_PAUSE_MS);
    }
    deps.limits.release(model.modelId, permit.permits);

    if (error.kind === 'aborted') return { kind: 'abandoned' };
    const seconds = (performance.now() - started) / 1000;
    deps.metrics.calls.inc({ model_id: modelLabel, outcome: 'error' });
    deps.metrics.callDuration.observe({ model_id: modelLabel }, seconds);
    deps.metrics.errors.inc({ model_id: modelLabel, kind: error.kind });

    if (!error.retryable || call > model.settings.maxRetries) {
      work.log.warn(
        {
          row_id: work.claim.row_id,
          kind: error.kind,
          status: error.status,
          attempts: call,
          err: error.message,
        },
        error.retryable ? 'row failed: retries exhausted' : 'row failed: not retryable',
      );
      return result({
        prediction: '',
        prediction_time: seconds,
        status: 'failed',
        error: error.describe(),
        attempts: call,
      });
    }

    deps.metrics.retries.inc({ model_id: modelLabel, kind: error.kind });
    const delay = backoffDelay(call, {
      baseMs: deps.retryBaseDelayMs,
      maxMs: deps.retryMaxDelayMs,
      retryAfterMs: error.retryAfterMs,
    });
    work.log.debug(
      { row_id: work.claim.row_id, kind: error.kind, call, delayMs: Math.round(delay) },
      'call failed, retrying',
    );
    try {
      await sleep(delay, undefined, { signal: deps.signal });
    } catch {
      return { kind: 'abandoned' };
    }
  }
}

function withoutNul(text: string): string {
  return text.includes('\u0000') ? text.replaceAll('\u0000', '') : text;
}
