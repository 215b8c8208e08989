import type { Run } from '@evalq/api/types';
import type { ApiClient } from './api-client.js';
import type { CandidateNames } from './candidate-names.js';
import { pause, ProgressDisplay } from './progress-display.js';

const FINAL = new Set(['completed', 'canceled']);

export interface RunWatchOptions {
  intervalMs?: number;
  interactive?: boolean;
  signal?: AbortSignal;
}

/**
 * Follows a whole run: one bar for the run and one per job, from GET /v1/runs/:id
 * (revalidated with its ETag, so an unchanged run costs no body), until the run is
 * completed or canceled. Ctrl-C stops watching; the run keeps going. Returns the run
 * as last read.
 */
export async function watchRun(
  client: ApiClient,
  run: Run,
  names: CandidateNames,
  options: RunWatchOptions = {},
): Promise<{ run: Run; finished: boolean }> {
  const runName = `run ${run.name ?? run.id.slice(0, 8)}`;
  const display = new ProgressDisplay(
    options.interactive ?? Boolean(process.stderr.isTTY),
    Math.max(runName.length, ...run.jobs.map((job) => names.candidate(job).length)),
  );
  let latest = run;
  let etag = '';
  let stopped = false;
  const onInterrupt = () => {
    stopped = true;
  };
  process.once('SIGINT', onInterrupt);
  try {
    for (;;) {
      const response = await client.send('GET', `/v1/runs/${run.id}`, {
        headers: etag ? { 'if-none-match': etag } : {},
      });
      if (response.status !== 304) {
        etag = response.headers.get('etag') ?? '';
        latest = (await response.json()) as Run;
        display.show('run', {
          ...latest.progress,
          name: runName,
          status: latest.status,
          accuracy: null,
          rate_per_s: null,
          eta_s: null,
        });
        for (const { job, ...key } of latest.jobs) {
          if (job)
            display.show(`${key.model_id}/${key.prompt_id}`, {
              ...job,
              name: names.candidate(key),
            });
        }
      }
      const finished = FINAL.has(latest.status);
      if (finished || stopped || options.signal?.aborted) return { run: latest, finished };
      await pause(options.intervalMs ?? 500, options.signal);
    }
  } finally {
    process.removeListener('SIGINT', onInterrupt);
    display.stop();
  }
}
