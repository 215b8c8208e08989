import type { z } from 'zod';
import type { JobRecord, RunRecord } from '@evalq/db';
import { jobSpend } from '../job-spend.js';
import type { runCost } from '../schemas/runs.js';

/**
 * A run's spend (docs/cost.md): the sum of its jobs' spends, against its budget, and
 * how often its jobs were answered from the response cache.
 */
export function presentRunCost(
  run: Pick<RunRecord, 'max_cost_usd' | 'max_tokens' | 'cache'>,
  jobs: readonly JobRecord[],
): z.input<typeof runCost> {
  let priced = false;
  let usd = 0;
  let tokens = 0;
  let passed = 0;
  let cached = 0;
  let lookups = 0;
  for (const job of jobs) {
    if (job.spent_usd !== null) {
      priced = true;
      usd += job.spent_usd;
    }
    tokens += job.spent_tokens;
    passed += job.correct;
    cached += job.cached_hits;
    if (job.cache) lookups += job.done;
  }
  return {
    ...jobSpend({ spent_usd: priced ? usd : null, spent_tokens: tokens }, passed),
    budget: { max_cost_usd: run.max_cost_usd, max_tokens: run.max_tokens },
    cache: run.cache,
    cached,
    cache_hit_rate: lookups > 0 ? Math.min(cached / lookups, 1) : null,
  };
}
