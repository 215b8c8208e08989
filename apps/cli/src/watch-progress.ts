import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { ApiClient } from './api-client.js';
import { formatJobKey } from '@evalq/core';
import type { JobKey, Page, Progress } from '@evalq/api/types';
import { say } from './output.js';
import { count, duration, percent } from './table.js';

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

/** Seconds between progress lines per job when output is not a terminal. */
const LINE_INTERVAL_MS = 2000;

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
  const interactive = options.interactive ?? Boolean(process.stderr.isTTY);
  const nameOf = options.label ?? formatJobKey;
  // Bars line up when their names have one width.
  const nameWidth = Math.max(0, ...keys.map((key) => nameOf(key).length));
  const wanted = new Map(keys.map((key) => [formatJobKey(key), key]));
  const latest = new Map<string, Progress>();
  const gone: JobKey[] = [];
  const etags = new Map<number, string>();
  const lastLine = new Map<string, { at: number; done: number; status: string }>();

  const bars = interactive
    ? new MultiBar(
        {
          format:
            ' {job} {bar} {percentage}% | {value}/{total} | failed {failed} | acc {accuracy} | {rate}/s | ETA {eta_text}',
          hideCursor: true,
          clearOnComplete: false,
          stopOnComplete: false,
          autopadding: true,
        },
        Presets.shades_classic,
      )
    : undefined;
  const barOf = new Map<string, SingleBar>();

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
          show(job);
        }
        for (const [label, key] of wanted) {
          if (key.dataset_id === datasetId && !present.has(label)) {
            wanted.delete(label);
            latest.delete(label);
            gone.push(key);
            bars?.log(`job ${nameOf(key)} is gone (cancelled?)\n`);
            if (!bars) say(`job ${nameOf(key)} is gone (cancelled?)`);
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
    bars?.stop();
  }

  function show(job: Progress): void {
    const label = formatJobKey(job);
    if (bars) {
      const payload = {
        job: nameOf(job).padEnd(nameWidth),
        failed: count(job.failed),
        accuracy: percent(job.accuracy) || '-',
        rate: job.rate_per_s === null ? '-' : job.rate_per_s.toFixed(1),
        eta_text: job.status === 'done' ? 'done' : duration(job.eta_s) || '-',
      };
      let bar = barOf.get(label);
      if (!bar) {
        bar = bars.create(Math.max(job.total, 1), job.done, payload);
        barOf.set(label, bar);
      }
      bar.setTotal(Math.max(job.total, 1));
      bar.update(job.done, payload);
      return;
    }
    const previous = lastLine.get(label);
    const now = Date.now();
    const changed = !previous || previous.done !== job.done || previous.status !== job.status;
    const due =
      !previous || now - previous.at >= LINE_INTERVAL_MS || job.status !== previous.status;
    if (!changed || !due) return;
    lastLine.set(label, { at: now, done: job.done, status: job.status });
    say(
      `job ${nameOf(job)}: ${job.status} ${count(job.done)}/${count(job.total)} (${job.percent}%)` +
        `, failed ${count(job.failed)}` +
        (job.accuracy === null ? '' : `, accuracy ${percent(job.accuracy)}`) +
        (job.status !== 'done' && job.eta_s !== null ? `, ETA ${duration(job.eta_s)}` : ''),
    );
  }
}

/** Waits `ms`, or less when `signal` aborts. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
