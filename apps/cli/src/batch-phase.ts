import type { Progress } from '@evalq/api/types';
import { count } from './table.js';

/**
 * What a batch job is doing, in words, while its bar cannot move (docs/batch.md): its
 * rows are at the provider, answered hours later. Empty for other jobs and finished ones.
 */
export function batchPhaseText(batch: Progress['batch'] | undefined): string {
  if (!batch || batch.phase === 'done') return '';
  switch (batch.phase) {
    case 'uploading':
      return `batch: uploading (${count(batch.open_batches)} open)`;
    case 'waiting':
      return (
        `batch: waiting on provider ${count(batch.provider_completed)}/${count(batch.provider_total)}` +
        (batch.provider_failed > 0 ? ` (${count(batch.provider_failed)} failed)` : '') +
        `, ${count(batch.open_batches)} open`
      );
    case 'ingesting':
      return 'batch: ingesting results';
  }
}
