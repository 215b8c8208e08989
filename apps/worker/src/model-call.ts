import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay, coerceError, type Logger } from '@evalq/core';
import {
  ProviderError,
  type Completion,
  type CompletionRequest,
  type ProviderErrorKind,
} from '@evalq/providers';
import type { ModelContext } from './job-catalog.js';
import { acquireOne, DEFAULT_PAUSE_MS, type CallLimits, type Grant } from './limits/call-limits.js';
import type { WorkerMetrics } from './metrics.js';

export interface ModelCallDeps {
  limits: CallLimits;
  metrics: WorkerMetrics;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  /** Aborted when the worker stops waiting for calls (end of the shutdown grace). */
  signal: AbortSignal;
}

export type ModelCallResult =
  | { kind: 'completed'; completion: Completion; seconds: number; calls: number }
  /** Given up for good: not retryable, or the retries are spent. `error` as stored. */
  | { kind: 'failed'; error: string; errorKind: ProviderErrorKind; seconds: number; calls: number }
  /** Given up without a result (shutdown). */
  | { kind: 'abandoned' };

/**
 * Calls a model the way every call is made, candidate or judge: under the model's
 * timeout and shared limits (a permit per call; `firstPermit` when the claim took one),
 * retrying retryable errors with exponential backoff and jitter (never sooner than a
 * Retry-After), pausing the model for every worker on a 429, and counting every call
 * in the metrics under the model's id.
 */
export async function callModel(
  model: ModelContext,
  request: Omit<CompletionRequest, 'timeoutMs' | 'signal'>,
  deps: ModelCallDeps,
  /** The call's logger, built only when something is logged (most calls log nothing). */
  log: () => Logger,
  firstPermit?: Grant,
): Promise<ModelCallResult> {
  const modelLabel = String(model.modelId);
  if (!model.client) {
    if (firstPermit) deps.limits.release(model.modelId, firstPermit.permits);
    deps.metrics.errors.inc({ model_id: modelLabel, kind: 'config' });
    return {
      kind: 'failed',
      error: `config: ${model.problem ?? 'the model cannot be called'}`,
      errorKind: 'config',
      seconds: 0,
      calls: 0,
    };
  }

  for (let call = 1; ; call += 1) {
    let permit: Grant;
    // A first permit granting nothing (rows handed over by a provider batch) asks for one.
    if (call === 1 && firstPermit && firstPermit.granted > 0) {
      permit = firstPermit;
    } else {
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
        ...request,
        timeoutMs: model.settings.timeoutMs,
        signal: deps.signal,
      });
      deps.limits.release(model.modelId, permit.permits);
      const seconds = (performance.now() - started) / 1000;
      deps.metrics.calls.inc({ model_id: modelLabel, outcome: 'success' });
      deps.metrics.callDuration.observe({ model_id: modelLabel }, seconds);
      return { kind: 'completed', completion, seconds, calls: call };
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
      log().warn(
        {
          model_id: model.modelId,
          kind: error.kind,
          status: error.status,
          attempts: call,
          err: error.message,
        },
        error.retryable ? 'call failed: retries exhausted' : 'call failed: not retryable',
      );
      return {
        kind: 'failed',
        error: error.describe(),
        errorKind: error.kind,
        seconds,
        calls: call,
      };
    }

    deps.metrics.retries.inc({ model_id: modelLabel, kind: error.kind });
    const delay = backoffDelay(call, {
      baseMs: deps.retryBaseDelayMs,
      maxMs: deps.retryMaxDelayMs,
      retryAfterMs: error.retryAfterMs,
    });
    log().debug(
      { model_id: model.modelId, kind: error.kind, call, delayMs: Math.round(delay) },
      'call failed, retrying',
    );
    try {
      await sleep(delay, undefined, { signal: deps.signal });
    } catch {
      return { kind: 'abandoned' };
    }
  }
}
