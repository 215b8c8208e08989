import { Counter, type Registry } from 'prom-client';

/** What this worker's calls cost, and how its response-cache lookups went (docs/cost.md). */
export interface CostMetrics {
  spend: Counter<'model_id'>;
  cacheLookups: Counter<'result'>;
}

export function createCostMetrics(registry: Registry): CostMetrics {
  const registers = [registry];
  return {
    spend: new Counter({
      name: 'evalq_worker_spend_usd_total',
      help: 'USD spent on provider calls (candidate and judge) of priced models, by model.',
      labelNames: ['model_id'],
      registers,
    }),
    cacheLookups: new Counter({
      name: 'evalq_worker_cache_lookups_total',
      help: 'Response-cache lookups by result (hit, miss); the hit rate is hit / (hit + miss).',
      labelNames: ['result'],
      registers,
    }),
  };
}
