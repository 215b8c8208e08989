import type { JobKey, Page, Progress } from '@evalq/api/types';
import { formatJobKey } from '@evalq/core';
import type { ApiClient } from './api-client.js';
import { pause, ProgressDisplay } from './progress-display.js';

export interface WatchOptions {
  intervalMs?: number;
  /** Live bars when true; otherwise a line per change (logs, CI, pipes). */
  interactive?: boolean;
  /** How a job is named on its bar or line; model/prompt/dataset ids by default. */
  label?: (job: JobKey) => string;
  /** Stops watching when aborted, as Ctrl-C does. */
  signal?: AbortSignal;
}

export interface WatchResult {
  /** Last progress of every watched job still there. */
  jobs: Progress[];
  /** Jobs that disappeared while watched (cancelled, or their dataset deleted). */
  gone: JobKey[];
  /** False when the watch was stopped (Ctrl-C) before every job was done. */
  finished: boolean;
}

/**
 * Follows jobs until all are done: polls GET /v1/jobs per dataset with If-None-Match,
 * so an unchanged state costs the API one small query and sends no body. Ctrl-C stops
 * watching; the jobs keep running.
 */
export async function watchJobs(
  client: ApiClient,
  keys: JobKey[],
  options: WatchOptions = {},
): Promise<WatchResult> {
  const intervalMs = options.intervalMs ?? 500;
  const nameOf = (key: JobKey) => `job ${(options.label ?? formatJobKey)(key)}`;
  // Bars line up when their names have one width.
  const display = new ProgressDisplay(
    options.interactive ?? Boolean(process.stderr.isTTY),
    Math.max(0, ...keys.map((key) => nameOf(key).length)),
  );
  const wanted = new Map(keys.map((key) => [formatJobKey(key), key]));
  const latest = new Map<string, Progress>();
  const gone: JobKey[] = [];
  const etags = new Map<number, string>();

  let stopped = false;
  const onInterrupt = () => {
    stopped = true;
  };
  process.once('SIGINT', onInterrupt);

  try {
    for (;;) {
      for (const datasetId of new Set(keys.map((key) => key.dataset_id))) {
        const etag = etags.get(datasetId);
        const response = await client.send('GET', '/v1/jobs', {
          query: { dataset_id: datasetId, limit: 5000 },
          headers: etag ? { 'if-none-match': etag } : {},
        });
        if (response.status === 304) continue;
        etags.set(datasetId, response.headers.get('etag') ?? '');
        const page = (await response.json()) as Page<Progress>;
        const present = new Set<string>();
        for (const job of page.items) {
          const label = formatJobKey(job);
          if (!wanted.has(label)) continue;
          present.add(label);
          latest.set(label, job);
          display.show(label, { ...job, name: nameOf(job) });
        }
        for (const [label, key] of wanted) {
          if (key.dataset_id === datasetId && !present.has(label)) {
            wanted.delete(label);
            latest.delete(label);
            gone.push(key);
            display.log(`${nameOf(key)} is gone (cancelled?)`);
          }
        }
      }
      const finished = [...wanted.keys()].every((label) => latest.get(label)?.status === 'done');
      if (finished || stopped || options.signal?.aborted) {
        return { jobs: [...latest.values()], gone, finished };
      }
      await pause(intervalMs, options.signal);
    }
  } finally {
    process.removeListener('SIGINT', onInterrupt);
    display.stop();
  }
}
