import type { Queue } from 'bullmq';
import type { Kysely } from 'kysely';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { formatJobKey } from '@evalq/core';
import { jobStatusTotals, listJobs, rowsInProgress, type Database } from '@evalq/db';
import type { RunJobData } from '@evalq/queue';
import { createCostMetrics } from './cost-metrics.js';

/** Unfinished jobs exported one series each; beyond this many, only the totals. */
const MAX_JOB_SERIES = 500;

/** BullMQ states worth watching: a growing `wait` means no worker is consuming. */
const QUEUE_STATES = ['wait', 'active', 'delayed', 'failed'] as const;

/** /metrics must answer even when Redis does not; its queue gauges are then left out. */
const QUEUE_READ_TIMEOUT_MS = 1_000;

export interface ApiMetrics {
  /** Records one answered request. */
  observeRequest(method: string, route: string, statusCode: number, seconds: number): void;
  /** Reads the current counters (a few cheap queries) and renders the Prometheus text. */
  render(): Promise<string>;
  readonly contentType: string;
}

/**
 * The API's /metrics: jobs and rows by status, per-job progress of unfinished jobs,
 * prediction outcomes, HTTP latency, and the process's own metrics. Everything is read
 * from the job counters (O(jobs)) and the in-progress partial index, never by
 * counting rows or predictions. A registry per server, so servers in one process
 * (tests) do not share series.
 */
export function createApiMetrics(
  db: Kysely<Database>,
  queue: Queue<RunJobData> | undefined,
): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'evalq_api_' });

  const jobs = new Gauge({
    name: 'evalq_jobs',
    help: 'Jobs (model × prompt × dataset) by status',
    labelNames: ['status'] as const,
    registers: [registry],
  });
  const rows = new Gauge({
    name: 'evalq_rows',
    help: 'Rows of all jobs by processing status',
    labelNames: ['status'] as const,
    registers: [registry],
  });
  const predictions = new Gauge({
    name: 'evalq_predictions',
    help: 'Stored predictions by outcome',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const jobProgress = new Gauge({
    name: 'evalq_job_progress_ratio',
    help: 'Share of rows processed, per unfinished job',
    labelNames: ['job', 'model_id', 'prompt_id', 'dataset_id'] as const,
    registers: [registry],
  });
  const queueMessages = new Gauge({
    name: 'evalq_queue_messages',
    help: 'BullMQ messages of the job queue by state (wait, active, delayed, failed)',
    labelNames: ['state'] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'evalq_api_http_request_duration_seconds',
    help: 'API request latency',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [registry],
  });

  const readCostMetrics = createCostMetrics(db, registry);

  return {
    contentType: registry.contentType,
    observeRequest(method, route, statusCode, seconds) {
      httpDuration.observe({ method, route, status_code: String(statusCode) }, seconds);
    },
    async render() {
      const [totals, inProgress, unfinished, queueCounts] = await Promise.all([
        jobStatusTotals(db),
        rowsInProgress(db),
        listJobs(db, { status: 'running' }, { limit: MAX_JOB_SERIES }),
        readQueueCounts(queue),
      ]);
      queueMessages.reset();
      if (queueCounts) {
        for (const state of QUEUE_STATES) queueMessages.set({ state }, queueCounts[state] ?? 0);
      }
      await readCostMetrics();
      jobs.reset();
      for (const status of ['pending', 'running', 'paused', 'done'] as const) {
        jobs.set({ status }, totals.find((t) => t.status === status)?.jobs ?? 0);
      }
      const allRows = totals.reduce((sum, t) => sum + t.rows, 0);
      const done = totals.reduce((sum, t) => sum + t.done, 0);
      const failed = totals.reduce((sum, t) => sum + t.failed, 0);
      rows.set({ status: 'done' }, done);
      rows.set({ status: 'in_progress' }, inProgress);
      rows.set({ status: 'pending' }, Math.max(allRows - done - inProgress, 0));
      predictions.set({ outcome: 'success' }, done - failed);
      predictions.set({ outcome: 'failed' }, failed);
      jobProgress.reset();
      for (const job of unfinished) {
        jobProgress.set(
          {
            job: formatJobKey(job),
            model_id: String(job.model_id),
            prompt_id: String(job.prompt_id),
            dataset_id: String(job.dataset_id),
          },
          job.total > 0 ? job.done / job.total : 0,
        );
      }
      return registry.metrics();
    },
  };
}

async function readQueueCounts(
  queue: Queue<RunJobData> | undefined,
): Promise<Record<string, number> | undefined> {
  if (queue === undefined) return undefined;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), QUEUE_READ_TIMEOUT_MS);
  });
  try {
    return await Promise.race([queue.getJobCounts(...QUEUE_STATES), timeout]);
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}
