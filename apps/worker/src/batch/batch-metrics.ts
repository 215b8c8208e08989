import { Counter, type Registry } from 'prom-client';

/** What the batch path counts, beside the worker's own metrics (metrics.ts). */
export interface BatchMetrics {
  /** Provider batches by what happened to them: created, completed, failed, expired, cancelled. */
  batches: Counter<'model_id' | 'event'>;
  /** Batch lines by outcome: stored (a prediction), or sent online (error line, or its batch failed). */
  lines: Counter<'model_id' | 'outcome'>;
}

export function createBatchMetrics(registry: Registry): BatchMetrics {
  const registers = [registry];
  return {
    batches: new Counter({
      name: 'evalq_worker_provider_batches_total',
      help: 'Provider batches this worker created or saw end, by event (docs/batch.md).',
      labelNames: ['model_id', 'event'],
      registers,
    }),
    lines: new Counter({
      name: 'evalq_worker_batch_lines_total',
      help: 'Rows of provider batches this worker stored as predictions or sent to online calls.',
      labelNames: ['model_id', 'outcome'],
      registers,
    }),
  };
}
