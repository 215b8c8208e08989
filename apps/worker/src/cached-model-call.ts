import type { Logger } from '@evalq/core';
import type { CachedAnswer } from '@evalq/db';
import { cacheKey, type CompletionRequest } from '@evalq/providers';
import type { ModelContext } from './job-catalog.js';
import type { Grant } from './limits/call-limits.js';
import { callModel, type ModelCallDeps, type ModelCallResult } from './model-call.js';
import type { ResponseCache } from './response-cache.js';
import { withoutNul } from './row-results.js';

/** A call's result, and whether it came from the response cache. */
export type CachedCallResult = ModelCallResult & { cached?: true };

/** A request's key in the response cache, and what the cache held for it then. */
export interface CacheLookup {
  key: Buffer;
  /** Undefined: a miss. */
  hit: CachedAnswer | undefined;
}

type CallRequest = Omit<CompletionRequest, 'timeoutMs' | 'signal'>;

/** Whether this model's calls go through the cache for a job launched with it. */
export function usesCache(model: ModelContext, jobUsesCache: boolean): boolean {
  return jobUsesCache && model.identity !== undefined && model.client !== undefined;
}

/** Looks a request up in the cache; the lookups of one turn of the event loop share a statement. */
export async function lookUpRequest(
  model: ModelContext,
  request: CallRequest,
  cache: ResponseCache,
): Promise<CacheLookup> {
  const key = cacheKey(model.identity!, request.messages, request.sampling);
  return { key, hit: await cache.lookup(key) };
}

/**
 * A candidate call through the response cache (docs/cost.md), for jobs launched with
 * it: a stored answer to the same request is reused without calling the model (its
 * permit is given back at once); otherwise the model is called, and a successful answer
 * is stored for later requests. Failed calls are never stored. Without the cache this
 * is callModel. `looked` is the row's lookup when it was made ahead, before the row
 * waited for a call slot (cache-look-ahead.ts).
 */
export async function callModelWithCache(
  model: ModelContext,
  request: CallRequest,
  deps: ModelCallDeps & { cache?: ResponseCache | undefined },
  /** The call's logger, built only when something is logged. */
  log: () => Logger,
  firstPermit: Grant,
  useCache: boolean,
  looked?: CacheLookup,
): Promise<CachedCallResult> {
  const cache = usesCache(model, useCache) ? deps.cache : undefined;
  if (!cache) return callModel(model, request, deps, log, firstPermit);
  const { key, hit } = looked ?? (await lookUpRequest(model, request, cache));
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
