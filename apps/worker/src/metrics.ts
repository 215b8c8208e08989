import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { createCostMetrics, type CostMetrics } from './cost-metrics.js';

/** The worker's Prometheus metrics, in a registry of its own (one per worker instance). */
export interface WorkerMetrics {
  registry: Registry;
  calls: Counter<'model_id' | 'outcome'>;
  callDuration: Histogram<'model_id'>;
  errors: Counter<'model_id' | 'kind'>;
  retries: Counter<'model_id' | 'kind'>;
  rateLimitWaits: Counter<'model_id' | 'reason'>;
  inFlight: Gauge;
  rowsClaimed: Counter;
  rowsFinished: Counter<'status'>;
  rowsLost: Counter;
  rowsReclaimed: Counter;
  rowsReleased: Counter;
  dbErrors: Counter<'operation'>;
  predictionsRegraded: Counter;
  /** Spend and response-cache lookups (cost-metrics.ts). */
  cost: CostMetrics;
}

export function createWorkerMetrics(): WorkerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'evalq_worker_' });
  const registers = [registry];
  return {
    registry,
    calls: new Counter({
      name: 'evalq_worker_provider_calls_total',
      help: 'Provider calls made, by model and outcome (success, error).',
      labelNames: ['model_id', 'outcome'],
      registers,
    }),
    callDuration: new Histogram({
      name: 'evalq_worker_provider_call_duration_seconds',
      help: 'Duration of provider calls, successful or not.',
      labelNames: ['model_id'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    }),
    errors: new Counter({
      name: 'evalq_worker_provider_errors_total',
      help: 'Failed provider calls by error class (bad_request, auth, config, rate_limited, timeout, server, network, …).',
      labelNames: ['model_id', 'kind'],
      registers,
    }),
    retries: new Counter({
      name: 'evalq_worker_provider_retries_total',
      help: 'Provider calls retried after a retryable error.',
      labelNames: ['model_id', 'kind'],
      registers,
    }),
    rateLimitWaits: new Counter({
      name: 'evalq_worker_rate_limit_waits_total',
      help: 'Times a model had to wait for its shared limits (rate, concurrency, 429 pause, Redis down).',
      labelNames: ['model_id', 'reason'],
      registers,
    }),
    inFlight: new Gauge({
      name: 'evalq_worker_calls_in_flight',
      help: 'Provider calls running now in this worker (including their retries).',
      registers,
    }),
    rowsClaimed: new Counter({
      name: 'evalq_worker_rows_claimed_total',
      help: 'Rows claimed by this worker.',
      registers,
    }),
    rowsFinished: new Counter({
      name: 'evalq_worker_rows_finished_total',
      help: 'Rows whose prediction this worker stored, by prediction status.',
      labelNames: ['status'],
      registers,
    }),
    rowsLost: new Counter({
      name: 'evalq_worker_rows_lost_total',
      help: 'Results discarded because the claim had expired and moved on (fencing token mismatch).',
      registers,
    }),
    rowsReclaimed: new Counter({
      name: 'evalq_worker_rows_reclaimed_total',
      help: 'Expired claims (of any worker) this worker handed back to pending.',
      registers,
    }),
    rowsReleased: new Counter({
      name: 'evalq_worker_rows_released_total',
      help: 'Claims this worker handed back to pending unprocessed (shutdown).',
      registers,
    }),
    dbErrors: new Counter({
      name: 'evalq_worker_db_errors_total',
      help: 'PostgreSQL operations that failed and were retried, by operation.',
      labelNames: ['operation'],
      registers,
    }),
    predictionsRegraded: new Counter({
      name: 'evalq_worker_predictions_regraded_total',
      help: 'Stored predictions this worker gave a new verdict (regrades).',
      registers,
    }),
    cost: createCostMetrics(registry),
  };
}
