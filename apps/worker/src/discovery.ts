import type { Kysely } from 'kysely';
import type { JobKey, Logger } from '@evalq/core';
import { listRunnableJobs, type Database } from '@evalq/db';
import { errorSummary } from './error-summary.js';
import type { JobCatalog } from './job-catalog.js';
import type { JobRotation } from './job-rotation.js';
import type { JobWakeups } from './job-wakeups.js';
import type { WorkerMetrics } from './metrics.js';
import type { WakeSignal } from './wake-signal.js';

export interface JobDiscoveryOptions {
  db: Kysely<Database>;
  /** Where news of launched jobs comes from (the queue today); see job-wakeups.ts. */
  wakeups: JobWakeups;
  reconcileIntervalMs: number;
  rotation: JobRotation;
  catalog: JobCatalog;
  wake: WakeSignal;
  metrics: WorkerMetrics;
  log: Logger;
}

/** The longest start-up waits for the wake-ups to listen (PostgreSQL or Redis may be down). */
const LISTEN_WAIT_MS = 2_000;

/**
 * How a worker learns of jobs (docs/worker.md, "Discovery"):
 *  - its wake-ups (job-wakeups.ts): hints that a job was launched or got rows back;
 *  - PostgreSQL: a reconcile of the jobs not yet `done`, every RECONCILE_INTERVAL_MS and
 *    whenever the worker runs out of work. It finds jobs inserted by plain SQL and jobs
 *    whose hint was lost, and drops jobs that finished or were cancelled.
 * The hints only make the worker react sooner: everything works, slower, without them.
 */
export class JobDiscovery {
  readonly #o: JobDiscoveryOptions;
  #timer: NodeJS.Timeout | undefined;
  #reconciling: Promise<void> | undefined;
  #lastReconcile = 0;
  #closing: Promise<void> | undefined;

  constructor(options: JobDiscoveryOptions) {
    this.#o = options;
  }

  /**
   * Starts the wake-ups and the first reconcile; settles once the wake-ups listen (so a
   * launch right after start-up is heard at once), or after a bound when they cannot.
   */
  async start(): Promise<void> {
    if (this.#closing) return;
    const listening = this.#o.wakeups.start((key, source) => this.hint(key, source));
    this.reconcileNow('start');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      listening,
      new Promise((resolve) => (timer = setTimeout(resolve, LISTEN_WAIT_MS))),
    ]);
    clearTimeout(timer);
  }

  /** A job may have rows to claim: add (or revive) it and wake the claim loop. */
  hint(key: JobKey, source: string): void {
    if (this.#closing || !isJobKey(key)) return;
    this.#o.catalog.markStale(key.model_id);
    const { entry, added } = this.#o.rotation.add(key);
    if (added) this.#o.log.info({ ...entry.key, source }, 'job discovered');
    this.#o.wake.notify();
  }

  /** Runs a reconcile now (or joins the one running). */
  reconcileNow(reason: string): void {
    if (this.#closing || this.#reconciling) return;
    clearTimeout(this.#timer);
    this.#reconciling = this.#reconcile(reason).finally(() => {
      this.#reconciling = undefined;
      this.#lastReconcile = Date.now();
      if (!this.#closing)
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

  /** Stops finding jobs and starts closing the wake-ups' connections (see `close`). */
  beginClose(): void {
    void this.close();
  }

  /** Stops finding jobs; settles once the wake-ups are closed and no reconcile runs. Idempotent. */
  close(): Promise<void> {
    if (!this.#closing) {
      clearTimeout(this.#timer);
      this.#closing = Promise.allSettled([this.#o.wakeups.close(), this.#reconciling]).then(
        () => undefined,
      );
    }
    return this.#closing;
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
}

function isJobKey(value: unknown): value is JobKey {
  const key = value as Partial<JobKey> | undefined;
  return (
    Number.isInteger(key?.model_id) &&
    Number.isInteger(key?.prompt_id) &&
    Number.isInteger(key?.dataset_id)
  );
}
