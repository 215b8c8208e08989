import { formatJobKey } from '@evalq/core';
import type { Progress } from '@evalq/api/types';
import { batchPhaseText } from './batch-phase.js';
import { count, duration, formatTable, percent, statusText, usd } from './table.js';

/** Jobs and their progress as a table, the way `evalq status` shows them. */
export function formatJobs(jobs: Progress[]): string {
  return formatTable(
    [
      'JOB',
      'STATUS',
      'DONE',
      'TOTAL',
      '%',
      'FAILED',
      'RUNNING',
      'ACCURACY',
      'COST',
      'RATE/S',
      'ETA',
    ],
    jobs.map((job) => [
      formatJobKey(job),
      statusText(job),
      count(job.done),
      count(job.total),
      job.percent,
      count(job.failed),
      count(job.in_progress),
      percent(job.accuracy),
      usd(job.cost_usd),
      job.rate_per_s === null ? '' : job.rate_per_s.toFixed(1),
      job.status === 'done' ? '' : batchPhaseText(job.batch) || duration(job.eta_s),
    ]),
  );
}
