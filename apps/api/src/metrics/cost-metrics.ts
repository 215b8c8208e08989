import type { Kysely } from 'kysely';
import { Gauge, type Registry } from 'prom-client';
import { pausedJobCounts, spendByModel, type Database } from '@evalq/db';

/**
 * Spend by model, response-cache hits and paused jobs (docs/cost.md), read from the job
 * counters on each scrape.
 */
export function createCostMetrics(db: Kysely<Database>, registry: Registry): () => Promise<void> {
  const registers = [registry];
  const spend = new Gauge({
    name: 'evalq_spend_usd',
    help: 'USD spent by the stored predictions of priced models (candidate and judge calls), by model',
    labelNames: ['model_id'] as const,
    registers,
  });
  const tokens = new Gauge({
    name: 'evalq_spend_tokens',
    help: 'Tokens used by the stored predictions (cache hits used none), by model',
    labelNames: ['model_id'] as const,
    registers,
  });
  const cacheHits = new Gauge({
    name: 'evalq_cache_hits',
    help: 'Predictions answered from the response cache, by model',
    labelNames: ['model_id'] as const,
    registers,
  });
  const cacheHitRatio = new Gauge({
    name: 'evalq_cache_hit_ratio',
    help: 'Share of the predictions of cache-enabled jobs answered from the response cache',
    registers,
  });
  const paused = new Gauge({
    name: 'evalq_jobs_paused',
    help: 'Paused jobs by reason (budget, provider)',
    labelNames: ['reason'] as const,
    registers,
  });

  return async () => {
    const [models, pausedJobs] = await Promise.all([spendByModel(db), pausedJobCounts(db)]);
    spend.reset();
    tokens.reset();
    cacheHits.reset();
    let hits = 0;
    let lookups = 0;
    for (const model of models) {
      const labels = { model_id: String(model.model_id) };
      if (model.spent_usd !== null) spend.set(labels, model.spent_usd);
      tokens.set(labels, model.spent_tokens);
      cacheHits.set(labels, model.cached_hits);
      hits += model.cached_hits;
      lookups += model.cache_lookups;
    }
    cacheHitRatio.set(lookups > 0 ? hits / lookups : 0);
    paused.reset();
    for (const reason of ['budget', 'provider']) {
      paused.set({ reason }, pausedJobs.find((p) => p.reason === reason)?.jobs ?? 0);
    }
  };
}
