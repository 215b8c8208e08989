import { setTimeout as sleep } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import type { Logger } from '@evalq/core';
import { claimRows, type Database } from '@evalq/db';
import { dbBackoffMs } from './db-backoff.js';
import type { JobCatalog } from './job-catalog.js';
import type { JobEntry, JobRotation } from './job-rotation.js';
import { askAgainInMs, hasSharedLimits, type CallLimits } from './limits/call-limits.js';
import type { WorkerMetrics } from './metrics.js';
import type { RowDispatcher } from './row-dispatcher.js';
import type { RowWork } from './row-call.js';
import type { WakeSignal } from './wake-signal.js';
import { errorSummary } from './error-summary.js';
import { withCacheHits } from './cached-claim-size.js';

export interface ClaimLoopOptions {
  db: Kysely<Database>;
  workerId: string;
  batchSize: number;
  rotation: JobRotation;
  catalog: JobCatalog;
  limits: CallLimits;
  dispatcher: RowDispatcher;
  wake: WakeSignal;
  metrics: WorkerMetrics;
  log: Logger;
  /** Asks discovery for a reconcile: the rotation has nothing claimable. */
  requestReconcile: (reason: string) => void;
}

/** Longest sleep with nothing to do; a wake-up (new job, freed slot, stop) ends it sooner. */
const IDLE_WAIT_MS = 1_000;

/** How many of a job's latest claims tell how often the cache answers it. */
const RECENT_CLAIMS = 4;

/**
 * The claim loop: while this worker has room, it takes the next job of the rotation
 * (round robin), takes permits for its model from the shared limits, claims that many
 * rows in one statement, and hands them to the dispatcher. A short claim marks the job
 * exhausted until the next reconcile; a refused permit parks the model until it can be
 * granted. Database errors back off and retry; nothing is held across a model call.
 */
export class ClaimLoop {
  readonly #o: ClaimLoopOptions;
  readonly #stop = new AbortController();
  readonly #jobLogs = new WeakMap<JobEntry, Logger>();
  /** Each job's latest claims, newest first: how much of them the response cache answered. */
  readonly #recentClaims = new WeakMap<JobEntry, (readonly RowWork[])[]>();
  #done: Promise<void> | undefined;
  #dbFailures = 0;

  constructor(options: ClaimLoopOptions) {
    this.#o = options;
  }

  start(): void {
    this.#done ??= this.#run();
  }

  /** Stops claiming; resolves when the claim in progress (if any) has returned. */
  async stop(): Promise<void> {
    this.#stop.abort();
    this.#o.wake.notify();
    await this.#done;
  }

  #jobLog(entry: JobEntry): Logger {
    let log = this.#jobLogs.get(entry);
    if (!log) {
      log = this.#o.log.child(entry.key);
      this.#jobLogs.set(entry, log);
    }
    return log;
  }

  async #run(): Promise<void> {
    while (!this.#stop.signal.aborted) {
      try {
        await this.#step();
      } catch (error) {
        // A bug, not a database error (those are handled in #step): log and keep going.
        this.#o.log.error({ err: errorSummary(error) }, 'claim loop step failed');
        await this.#pause(1_000);
      }
    }
  }

  async #pause(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.#stop.signal }).catch(() => undefined);
  }

  async #step(): Promise<void> {
    const { rotation, catalog, limits, dispatcher, wake, metrics } = this.#o;
    // Claim in batches: wait until at least half a batch fits (the rows already queued
    // keep every call slot busy meanwhile), rather than one small claim per freed slot.
    const room = dispatcher.room(false);
    if (room < Math.max(1, Math.floor(this.#o.batchSize / 2))) {
      await wake.wait(IDLE_WAIT_MS);
      return;
    }
    const now = Date.now();
    const entry = rotation.next(now);
    if (!entry) {
      // Nothing more to claim for now: what has finished is stored at once.
      dispatcher.flushIfIdle();
      const unblockAt = rotation.nextUnblockAt();
      if (unblockAt === undefined) this.#o.requestReconcile('idle');
      await wake.wait(Math.min(IDLE_WAIT_MS, Math.max(1, (unblockAt ?? Infinity) - now)));
      return;
    }

    const log = this.#jobLog(entry);
    let context;
    try {
      context = await catalog.ensure(entry.key);
    } catch (error) {
      await this.#dbFailed('load job', error, log);
      return;
    }
    if (!context) {
      log.info('job skipped: its model or prompt no longer exists');
      rotation.remove(entry);
      return;
    }
    const { model } = context;
    // Rows of a batch-dispatch model go through provider batches (batch/batch-loop.ts).
    if (model.batch) {
      rotation.markExhausted(entry);
      return;
    }
    // A model with shared limits only claims what can start at once (its permits are
    // taken now). When its turn comes and every slot is taken, it keeps its turn: no
    // more rows are claimed ahead for other jobs until a slot frees, so a busy job
    // without limits cannot starve it.
    const limited = hasSharedLimits(model.limits);
    const wanted = limited
      ? Math.min(this.#o.batchSize, dispatcher.room(true))
      : withCacheHits(Math.min(this.#o.batchSize, room), context.cache ? this.#hitShare(entry) : 0);
    if (wanted <= 0) {
      rotation.rewind(entry);
      await wake.wait(IDLE_WAIT_MS);
      return;
    }

    const grant = await limits.tryAcquire(model.modelId, model.limits, wanted);
    if (grant.granted === 0) {
      rotation.blockModel(model.modelId, Date.now() + askAgainInMs(grant));
      return;
    }

    let rows;
    try {
      rows = await claimRows(
        this.#o.db,
        entry.key,
        grant.granted,
        this.#o.workerId,
        context.prompt.usesInput || context.grading.usesInput,
      );
      this.#dbFailures = 0;
    } catch (error) {
      limits.giveBack(model.modelId, model.limits, grant, 0);
      await this.#dbFailed('claim', error, log);
      return;
    }
    limits.giveBack(model.modelId, model.limits, grant, rows.length);
    if (rows.length < grant.granted) rotation.markExhausted(entry);
    if (rows.length === 0) return;

    metrics.rowsClaimed.inc(rows.length);
    log.debug({ rows: rows.length }, 'rows claimed');
    // The claim itself made the job running (a trigger on predictionstatus, 0006).
    if (entry.status !== 'running') rotation.setStatus(entry, 'running');
    const works: RowWork[] = rows.map((row, index) => {
      const permit = grant.permits[index];
      return {
        claim: {
          row_id: row.row_id,
          model_id: entry.key.model_id,
          prompt_id: entry.key.prompt_id,
          claim_attempt: row.claim_attempt,
        },
        datasetId: entry.key.dataset_id,
        row: { content: row.content, expected: row.expected_prediction, input: row.input ?? {} },
        context,
        firstPermit: { granted: 1, waitMs: 0, permits: permit === undefined ? [] : [permit] },
        log,
      };
    });
    if (context.cache) {
      const recent = this.#recentClaims.get(entry) ?? [];
      this.#recentClaims.set(entry, [works, ...recent.slice(0, RECENT_CLAIMS - 1)]);
    }
    dispatcher.accept(works);
  }

  /**
   * The share of the job's recent claimed rows that the response cache answered, over
   * those already looked up (a claim's lookups may still be on their way when the next
   * claim is made); 0 before any was.
   */
  #hitShare(entry: JobEntry): number {
    let looked = 0;
    let hits = 0;
    for (const works of this.#recentClaims.get(entry) ?? []) {
      for (const work of works) {
        if (!work.ahead?.lookup) continue;
        looked += 1;
        if (work.ahead.lookup.hit) hits += 1;
      }
    }
    return looked === 0 ? 0 : hits / looked;
  }

  async #dbFailed(operation: string, error: unknown, log: Logger): Promise<void> {
    this.#dbFailures += 1;
    this.#o.metrics.dbErrors.inc({ operation });
    const delay = dbBackoffMs(this.#dbFailures);
    log.warn(
      { err: errorSummary(error), failures: this.#dbFailures, retryInMs: Math.round(delay) },
      `${operation} failed, retrying`,
    );
    await this.#pause(delay);
  }
}
