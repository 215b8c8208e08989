import { setTimeout as sleep } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import { formatJobKey, type Logger } from '@evalq/core';
import {
  heartbeatClaims,
  reclaimExpiredClaims,
  releaseClaims,
  type Database,
  type HeldClaim,
  type ReclaimedJob,
} from '@evalq/db';
import { dbBackoffMs } from './db-backoff.js';
import { errorSummary } from './error-summary.js';
import type { WorkerMetrics } from './metrics.js';

export interface LeaseKeeperOptions {
  db: Kysely<Database>;
  workerId: string;
  leaseSeconds: number;
  heartbeatIntervalMs: number;
  reclaimIntervalMs: number;
  /** The claims this worker holds now. */
  heldClaims: () => HeldClaim[];
  /** Jobs that got rows back from an expired claim (any worker's). */
  onReclaimed: (jobs: readonly ReclaimedJob[]) => void;
  metrics: WorkerMetrics;
  log: Logger;
}

/** Claims per heartbeat statement. */
const HEARTBEAT_CHUNK = 1_000;
/** Rows per reclaim statement; a full one is followed by another at once. */
const RECLAIM_LIMIT = 1_000;

/**
 * The lease, both sides of it: a heartbeat every third of the lease re-stamps the
 * claims this worker holds (so a long call never loses its row), and a reclaim hands
 * back to `pending` the rows of any worker whose heartbeat is older than the lease (it
 * died, froze or lost its database connection). Each runs on its own timer, never
 * overlapping itself; failures are logged and the next tick tries again. At shutdown,
 * `handBack` returns this worker's own claims to `pending` at once.
 */
export class LeaseKeeper {
  readonly #o: LeaseKeeperOptions;
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #reclaimTimer: NodeJS.Timeout | undefined;
  #heartbeatRun: Promise<void> | undefined;
  #reclaimRun: Promise<void> | undefined;
  #stopped = false;

  constructor(options: LeaseKeeperOptions) {
    this.#o = options;
  }

  start(): void {
    this.#scheduleHeartbeat();
    // Workers started together should not all reclaim at the same moment.
    this.#scheduleReclaim(Math.random() * this.#o.reclaimIntervalMs);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#heartbeatTimer);
    clearTimeout(this.#reclaimTimer);
    await Promise.allSettled([this.#heartbeatRun, this.#reclaimRun]);
  }

  /**
   * Hands every claim still held back to `pending` (shutdown), retrying until
   * `deadline` (epoch ms); after that the lease brings them back. Returns how many.
   */
  async handBack(deadline: number): Promise<number> {
    const held = this.#o.heldClaims();
    if (held.length === 0) return 0;
    for (let failures = 0; ;) {
      try {
        const released = await releaseClaims(this.#o.db, this.#o.workerId, held);
        this.#o.metrics.rowsReleased.inc(released);
        return released;
      } catch (error) {
        failures += 1;
        const delay = dbBackoffMs(failures);
        if (Date.now() + delay > deadline) {
          this.#o.log.error(
            { err: errorSummary(error), rows: held.length },
            'could not hand claims back: they return to pending after the lease',
          );
          return 0;
        }
        await sleep(delay);
      }
    }
  }

  #scheduleHeartbeat(): void {
    if (this.#stopped) return;
    this.#heartbeatTimer = setTimeout(() => {
      this.#heartbeatRun = this.#heartbeat().finally(() => this.#scheduleHeartbeat());
    }, this.#o.heartbeatIntervalMs);
  }

  #scheduleReclaim(delayMs = this.#o.reclaimIntervalMs): void {
    if (this.#stopped) return;
    this.#reclaimTimer = setTimeout(() => {
      this.#reclaimRun = this.#reclaim().finally(() => this.#scheduleReclaim());
    }, delayMs);
  }

  async #heartbeat(): Promise<void> {
    const claims = this.#o.heldClaims();
    if (claims.length === 0) return;
    let refreshed = 0;
    try {
      for (let start = 0; start < claims.length; start += HEARTBEAT_CHUNK) {
        refreshed += await heartbeatClaims(
          this.#o.db,
          this.#o.workerId,
          claims.slice(start, start + HEARTBEAT_CHUNK),
        );
      }
      this.#o.log.debug({ held: claims.length, refreshed }, 'heartbeat');
    } catch (error) {
      this.#o.metrics.dbErrors.inc({ operation: 'heartbeat' });
      this.#o.log.warn(
        { err: errorSummary(error), held: claims.length },
        'heartbeat failed; retrying at the next beat (claims older than the lease may be reclaimed)',
      );
    }
  }

  async #reclaim(): Promise<void> {
    try {
      for (;;) {
        const jobs = await reclaimExpiredClaims(this.#o.db, this.#o.leaseSeconds, RECLAIM_LIMIT);
        if (jobs.length === 0) return;
        const rows = jobs.reduce((sum, job) => sum + job.rows, 0);
        this.#o.metrics.rowsReclaimed.inc(rows);
        this.#o.log.info(
          { rows, jobs: jobs.map((job) => `${formatJobKey(job)}:${job.rows}`) },
          'reclaimed expired claims: rows back to pending',
        );
        this.#o.onReclaimed(jobs);
        if (rows < RECLAIM_LIMIT || this.#stopped) return;
      }
    } catch (error) {
      this.#o.metrics.dbErrors.inc({ operation: 'reclaim' });
      this.#o.log.warn(
        { err: errorSummary(error) },
        'reclaim failed; retrying at the next interval',
      );
    }
  }
}
