import { QueueEvents, Worker as BullWorker } from 'bullmq';
import type { Kysely } from 'kysely';
import { throttled, type JobKey, type Logger } from '@evalq/core';
import { listRunnableJobs, type Database } from '@evalq/db';
import { JOB_QUEUE_NAME, parseQueueJobId, type RunJobData } from '@evalq/queue';
import type { JobCatalog } from './job-catalog.js';
import type { JobRotation } from './job-rotation.js';
import type { WorkerMetrics } from './metrics.js';
import { REDIS_WARNING_INTERVAL_MS } from './redis-warnings.js';
import type { WakeSignal } from './wake-signal.js';
import { errorSummary } from './error-summary.js';

export interface JobDiscoveryOptions {
  db: Kysely<Database>;
  redisUrl: string;
  queuePrefix: string;
  workerId: string;
  reconcileIntervalMs: number;
  rotation: JobRotation;
  catalog: JobCatalog;
  wake: WakeSignal;
  metrics: WorkerMetrics;
  log: Logger;
}

/** How long closing the BullMQ consumer may take before it is left behind. */
const CLOSE_TIMEOUT_MS = 5_000;

/**
 * How a worker learns of jobs (docs/architecture.md, "Discovery"):
 *  - the BullMQ queue: it consumes `run-job` messages, and follows the queue's events so
 *    that every worker wakes when a job is enqueued, not only the one that took it;
 *  - PostgreSQL: a reconcile of the jobs not yet `done`, every RECONCILE_INTERVAL_MS and
 *    whenever the worker runs out of work. It finds jobs inserted by plain SQL and jobs
 *    whose message was lost with Redis, and drops jobs that finished or were cancelled.
 * Redis is only ever a hint here: everything works, slower, without it.
 */
export class JobDiscovery {
  readonly #o: JobDiscoveryOptions;
  #consumer: BullWorker<RunJobData> | undefined;
  #events: QueueEvents | undefined;
  #timer: NodeJS.Timeout | undefined;
  #reconciling: Promise<void> | undefined;
  #lastReconcile = 0;
  #closed = false;

  constructor(options: JobDiscoveryOptions) {
    this.#o = options;
  }

  start(): void {
    const { redisUrl, queuePrefix, workerId } = this.#o;
    const connection = (role: string) => ({
      url: redisUrl,
      maxRetriesPerRequest: null,
      connectionName: `evalq-worker-${role}-${workerId}`.slice(0, 120),
    });
    this.#consumer = new BullWorker<RunJobData>(
      JOB_QUEUE_NAME,
      (job) => {
        this.hint(job.data, 'queue message');
        return Promise.resolve();
      },
      { connection: connection('queue'), prefix: queuePrefix, concurrency: 1, autorun: true },
    );
    this.#consumer.on('error', (error) => this.#redisTrouble(error));
    this.#events = new QueueEvents(JOB_QUEUE_NAME, {
      connection: connection('events'),
      prefix: queuePrefix,
    });
    const onEvent = ({ jobId }: { jobId: string }): void => {
      const key = parseQueueJobId(jobId);
      if (key) this.hint(key, 'queue event');
    };
    this.#events.on('added', onEvent);
    this.#events.on('waiting', onEvent);
    this.#events.on('error', (error) => this.#redisTrouble(error));
    this.reconcileNow('start');
  }

  /** A job may have rows to claim: add (or revive) it and wake the claim loop. */
  hint(key: JobKey, source: string): void {
    if (!isJobKey(key)) return;
    const { entry, added } = this.#o.rotation.add(key);
    if (added) this.#o.log.info({ ...entry.key, source }, 'job discovered');
    this.#o.wake.notify();
  }

  /** Runs a reconcile now (or joins the one running). */
  reconcileNow(reason: string): void {
    if (this.#closed || this.#reconciling) return;
    clearTimeout(this.#timer);
    this.#reconciling = this.#reconcile(reason).finally(() => {
      this.#reconciling = undefined;
      this.#lastReconcile = Date.now();
      if (!this.#closed)
        this.#timer = setTimeout(() => this.reconcileNow('interval'), this.#o.reconcileIntervalMs);
    });
  }

  /**
   * A reconcile, unless one ran within the last fifth of the reconcile interval (the
   * claim loop asks whenever it runs out of work: an idle worker re-reads PostgreSQL
   * once a second with the default interval of 5 s).
   */
  requestReconcile(reason: string): void {
    if (Date.now() - this.#lastReconcile >= this.#o.reconcileIntervalMs / 5)
      this.reconcileNow(reason);
  }

  async #reconcile(reason: string): Promise<void> {
    const { db, rotation, catalog, log } = this.#o;
    try {
      const startedAt = Date.now();
      const jobs = await listRunnableJobs(db);
      await catalog.refresh(jobs);
      const { added, removed } = rotation.reconcile(jobs, startedAt);
      for (const entry of added) log.info({ ...entry.key, source: 'reconcile' }, 'job discovered');
      if (removed.length > 0) {
        log.info(
          { jobs: removed.map((entry) => entry.id) },
          'jobs left the rotation (done or cancelled)',
        );
      }
      log.debug({ reason, runnable: jobs.length }, 'reconciled with PostgreSQL');
      this.#o.wake.notify();
    } catch (error) {
      this.#o.metrics.dbErrors.inc({ operation: 'reconcile' });
      log.warn(
        { err: errorSummary(error), reason },
        'reconcile failed; retrying at the next interval',
      );
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    const closing: Promise<unknown>[] = [];
    if (this.#consumer) closing.push(this.#consumer.close());
    if (this.#events) closing.push(this.#events.close());
    if (this.#reconciling) closing.push(this.#reconciling);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled(closing),
      new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          this.#o.log.warn('the queue connections did not close in time; leaving them');
          resolve();
        }, CLOSE_TIMEOUT_MS);
      }),
    ]);
    clearTimeout(timer);
  }

  readonly #redisTrouble = throttled(REDIS_WARNING_INTERVAL_MS, (error: Error) =>
    this.#o.log.warn(
      { err: errorSummary(error) },
      'queue unavailable; jobs are still found by the PostgreSQL reconcile',
    ),
  );
}

function isJobKey(value: unknown): value is JobKey {
  const key = value as Partial<JobKey> | undefined;
  return (
    Number.isInteger(key?.model_id) &&
    Number.isInteger(key?.prompt_id) &&
    Number.isInteger(key?.dataset_id)
  );
}
