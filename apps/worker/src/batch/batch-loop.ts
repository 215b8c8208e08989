import { setTimeout as sleep } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import type { Logger } from '@evalq/core';
import {
  assignBatch,
  jobsAwaitingBatches,
  leaseDueBatch,
  renewBatchLease,
  type Database,
} from '@evalq/db';
import { errorSummary } from '../error-summary.js';
import type { JobCatalog } from '../job-catalog.js';
import { advanceBatch, type BatchStepDeps } from './batch-steps.js';

export interface BatchLoopOptions extends BatchStepDeps {
  db: Kysely<Database>;
  catalog: JobCatalog;
  /** How long a step may hold a batch before another worker takes it over (renewed while it runs). */
  leaseSeconds: number;
  pollMs: number;
  log: Logger;
}

/** The probe batch of a budgeted job whose cost per request is unknown, without max_concurrency. */
const PROBE_ROWS = 100;

/**
 * The batch path (docs/batch.md), beside the claim loop: every `pollMs` it puts the
 * pending rows of batch-dispatch jobs into new provider batches, then takes every batch
 * whose next step is due (any worker's: they are leased in PostgreSQL) as far as it goes.
 */
export class BatchLoop {
  readonly #o: BatchLoopOptions;
  readonly #stop = new AbortController();
  #done: Promise<void> | undefined;

  constructor(options: BatchLoopOptions) {
    this.#o = options;
  }

  start(): void {
    this.#done ??= this.#run();
  }

  /** Stops after the step in progress (a batch left mid-way is resumed by any worker). */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#done;
  }

  async #run(): Promise<void> {
    while (!this.#stop.signal.aborted) {
      try {
        await this.#assign();
        await this.#advanceDue();
      } catch (error) {
        this.#o.log.warn({ err: errorSummary(error) }, 'batch loop step failed; retrying');
      }
      await sleep(this.#o.pollMs, undefined, { signal: this.#stop.signal }).catch(() => undefined);
    }
  }

  /** New batches for the pending rows of batch-dispatch jobs, each within the file limits. */
  async #assign(): Promise<void> {
    const { db, catalog, log } = this.#o;
    for (const job of await jobsAwaitingBatches(db)) {
      const context = await catalog.ensure(job);
      if (!context?.model.batch) continue;
      while (!this.#stop.signal.aborted) {
        const { batchMaxRequests, maxConcurrency } = context.model.settings;
        const size = { wanted: batchMaxRequests, probe: maxConcurrency ?? PROBE_ROWS };
        const batch = await assignBatch(db, job, size, {
          workerId: this.#o.workerId,
          seconds: this.#o.leaseSeconds,
        });
        if (!batch) break;
        log.info(
          { ...job, batch_key: batch.batch_key, rows: batch.request_count },
          'rows assigned to a provider batch',
        );
        await this.#advance(batch);
      }
    }
  }

  async #advanceDue(): Promise<void> {
    const { db, workerId, leaseSeconds } = this.#o;
    while (!this.#stop.signal.aborted) {
      const batch = await leaseDueBatch(db, workerId, leaseSeconds);
      if (!batch) return;
      await this.#advance(batch);
    }
  }

  /** Runs the steps of a batch this worker leased, renewing the lease meanwhile. */
  async #advance(batch: Parameters<typeof advanceBatch>[0]): Promise<void> {
    const { db, workerId, leaseSeconds, log } = this.#o;
    const renew = setInterval(
      () => {
        renewBatchLease(db, batch.batch_key, workerId, leaseSeconds).catch((error: unknown) =>
          log.warn({ err: errorSummary(error) }, 'could not renew a provider batch lease'),
        );
      },
      Math.max(100, (leaseSeconds * 1000) / 3),
    );
    try {
      await advanceBatch(batch, this.#o);
    } finally {
      clearInterval(renew);
    }
  }
}
