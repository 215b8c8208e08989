import { lookUpRequest, usesCache } from './cached-model-call.js';
import type { ResponseCache } from './response-cache.js';
import { renderRow, rowRequest, type RowWork } from './row-call.js';

/**
 * Looks the rows of a claim up in the response cache before they wait for a call slot
 * (docs/cost.md). Looked up inside the call, a row held its slot for the lookup's round
 * trip, on a busy database most of the time it spent in the slot: the provider's
 * allowed concurrency sat unused behind lookups. Ahead of the slot, a claim's lookups
 * share one statement and overlap the calls of the rows before them; a hit then passes
 * through a slot without waiting on anything. Rows of jobs without the cache, and rows
 * whose prompt cannot render, are left for the call to handle; a claim without rows of
 * a cached job gets undefined (nothing to wait for). Never rejects: a failed lookup is
 * a miss (response-cache.ts).
 */
export function lookAhead(
  works: readonly RowWork[],
  cache: ResponseCache,
): Promise<void> | undefined {
  const cached = works.filter((work) => usesCache(work.context.model, work.context.cache));
  if (cached.length === 0) return undefined;
  return Promise.all(
    cached.map(async (work) => {
      const render = renderRow(work);
      const lookup = render.rendered
        ? await lookUpRequest(work.context.model, rowRequest(work, render.rendered), cache)
        : undefined;
      work.ahead = { render, lookup };
    }),
  ).then(() => undefined);
}
