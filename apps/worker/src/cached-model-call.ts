import type { Logger } from '@evalq/core';
import { cacheKey, type CompletionRequest } from '@evalq/providers';
import type { ModelContext } from './job-catalog.js';
import type { Grant } from './limits/call-limits.js';
import { callModel, type ModelCallDeps, type ModelCallResult } from './model-call.js';
import type { ResponseCache } from './response-cache.js';
import { withoutNul } from './row-results.js';

/** A call's result, and whether it came from the response cache. */
export type CachedCallResult = ModelCallResult & { cached?: true };

/**
 * A candidate call through the response cache (docs/cost.md), for jobs launched with
 * it: a stored answer to the same request is reused without calling the model (its
 * permit is given back at once); otherwise the model is called, and a successful answer
 * is stored for later requests. Failed calls are never stored. Without the cache this
 * is callModel.
 */
export async function callModelWithCache(
  model: ModelContext,
  request: Omit<CompletionRequest, 'timeoutMs' | 'signal'>,
  deps: ModelCallDeps & { cache?: ResponseCache | undefined },
  /** The call's logger, built only when something is logged. */
  log: () => Logger,
  firstPermit: Grant,
  useCache: boolean,
): Promise<CachedCallResult> {
  const cache = useCache && model.identity && model.client ? deps.cache : undefined;
  if (!cache || !model.identity) return callModel(model, request, deps, log, firstPermit);
  const key = cacheKey(model.identity, request.messages, request.sampling);
  const hit = await cache.lookup(key);
  if (hit) {
    deps.limits.release(model.modelId, firstPermit.permits);
    deps.metrics.cost.cacheLookups.inc({ result: 'hit' });
    const completion = {
      text: hit.prediction,
      ...(hit.prompt_tokens === null ? {} : { promptTokens: hit.prompt_tokens }),
      ...(hit.completion_tokens === null ? {} : { completionTokens: hit.completion_tokens }),
    };
    return { kind: 'completed', completion, seconds: 0, calls: 0, cached: true };
  }
  deps.metrics.cost.cacheLookups.inc({ result: 'miss' });
  const result = await callModel(model, request, deps, log, firstPermit);
  if (result.kind === 'completed') {
    cache.store({
      cache_key: key,
      model_id: model.modelId,
      // Stored as the prediction is (NUL dropped), so a hit reads back what a call stored.
      prediction: withoutNul(result.completion.text),
      prompt_tokens: result.completion.promptTokens ?? null,
      completion_tokens: result.completion.completionTokens ?? null,
    });
  }
  return result;
}
