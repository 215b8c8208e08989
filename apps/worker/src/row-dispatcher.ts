import type { Logger } from '@evalq/core';
import type { FinishedRow, FinishResult, HeldClaim } from '@evalq/db';
import type { FinishBuffer } from './finish-buffer.js';
import type { SharedLimits } from './limits/shared-limits.js';
import type { WorkerMetrics } from './metrics.js';
import { callRow, type RowCallDeps, type RowWork } from './row-call.js';
import type { WakeSignal } from './wake-signal.js';
import { errorSummary } from './error-summary.js';

type RowState = 'queued' | 'calling' | 'finishing' | 'abandoned';

interface HeldRow {
  work: RowWork;
  state: RowState;
}

export interface RowDispatcherOptions {
  concurrency: number;
  prefetch: number;
  finishBatchSize: number;
  limits: SharedLimits;
  metrics: WorkerMetrics;
  callDeps: RowCallDeps;
  wake: WakeSignal;
  log: Logger;
}

export function claimKey(claim: {
  row_id: number;
  model_id: number;
  prompt_id: number;
  claim_attempt?: number;
}): string {
  return `${claim.row_id}:${claim.model_id}:${claim.prompt_id}:${claim.claim_attempt ?? ''}`;
}

/**
 * Every row this worker holds, from its claim until its result is stored: at most
 * `concurrency` calls run at once; claimed rows beyond that wait in a queue (only rows
 * of models without shared limits are claimed ahead, so a limited model's calls start
 * the moment their permits are granted). Holds the list the heartbeat re-stamps and
 * the shutdown hands back.
 */
export class RowDispatcher {
  readonly #options: RowDispatcherOptions;
  readonly #held = new Map<string, HeldRow>();
  readonly #queue: HeldRow[] = [];
  #queueHead = 0;
  #calling = 0;
  readonly #tasks = new Set<Promise<void>>();
  #accepting = true;
  #finish: FinishBuffer | undefined;

  constructor(options: RowDispatcherOptions) {
    this.#options = options;
  }

  /** The finish buffer results go to (set once, after both exist). */
  connect(finish: FinishBuffer): void {
    this.#finish = finish;
  }

  get calling(): number {
    return this.#calling;
  }

  get queued(): number {
    return this.#queue.length - this.#queueHead;
  }

  get held(): number {
    return this.#held.size;
  }

  /** How many rows a claim may take now, for a model with or without shared limits. */
  room(limited: boolean): number {
    if (!this.#accepting) return 0;
    // Results waiting to be stored hold the claim loop back when the database is slow.
    if ((this.#finish?.pending ?? 0) > 4 * this.#options.finishBatchSize) return 0;
    const busy = this.queued + this.#calling;
    const limit = limited
      ? this.#options.concurrency
      : this.#options.concurrency + this.#options.prefetch;
    return Math.max(0, limit - busy);
  }

  accept(works: readonly RowWork[]): void {
    for (const work of works) {
      const row: HeldRow = { work, state: 'queued' };
      this.#held.set(claimKey(work.claim), row);
      this.#queue.push(row);
    }
    this.#pump();
  }

  /** The claims to heartbeat: every row held, whatever its state. */
  heldClaims(): HeldClaim[] {
    return [...this.#held.values()].map((row) => row.work.claim);
  }

  /** Called by the finish buffer once a batch is written (result) or given up on (undefined). */
  settle(rows: readonly FinishedRow[], result: FinishResult | undefined): void {
    const { metrics, log } = this.#options;
    if (result === undefined) {
      // Not stored: the claims stay held, so the shutdown hands them back.
      for (const row of rows) {
        const held = this.#held.get(claimKey(row));
        if (held) held.state = 'abandoned';
      }
      return;
    }
    const finished = new Set(result.finished.map((f) => claimKey(f)));
    const lostByJob = new Map<Logger, number[]>();
    let lost = 0;
    for (const row of rows) {
      const key = claimKey(row);
      const held = this.#held.get(key);
      this.#held.delete(key);
      const { row_id, model_id, prompt_id } = row;
      if (finished.has(claimKey({ row_id, model_id, prompt_id }))) {
        metrics.rowsFinished.inc({ status: row.status });
      } else {
        lost += 1;
        const jobLog = held?.work.log ?? log;
        const ids = lostByJob.get(jobLog) ?? [];
        ids.push(row_id);
        lostByJob.set(jobLog, ids);
      }
    }
    for (const [jobLog, rowIds] of lostByJob) {
      jobLog.warn(
        { rows: rowIds.length, row_ids: rowIds.slice(0, 20) },
        "result discarded: the claim is no longer this worker's (it expired and the row was claimed again, or the job was cancelled)",
      );
    }
    if (lost > 0) metrics.rowsLost.inc(lost);
    this.#options.wake.notify();
  }

  /** Stops starting calls; rows still queued are abandoned (they stay held until released). */
  stopAccepting(): number {
    this.#accepting = false;
    let abandoned = 0;
    while (this.#queueHead < this.#queue.length) {
      const row = this.#queue[this.#queueHead]!;
      this.#queueHead += 1;
      row.state = 'abandoned';
      this.#options.limits.release(row.work.claim.model_id, row.work.firstPermit.permits);
      abandoned += 1;
    }
    this.#compact();
    return abandoned;
  }

  /** Settles when every running call has ended (with a result or abandoned). */
  async drain(): Promise<void> {
    while (this.#tasks.size > 0) await Promise.allSettled([...this.#tasks]);
  }

  #pump(): void {
    while (this.#accepting && this.#calling < this.#options.concurrency && this.queued > 0) {
      const row = this.#queue[this.#queueHead]!;
      this.#queueHead += 1;
      this.#start(row);
    }
    this.#compact();
  }

  #compact(): void {
    if (this.#queueHead > 1024 || this.#queueHead === this.#queue.length) {
      this.#queue.splice(0, this.#queueHead);
      this.#queueHead = 0;
    }
  }

  #start(row: HeldRow): void {
    const { metrics, log } = this.#options;
    row.state = 'calling';
    this.#calling += 1;
    metrics.inFlight.inc();
    const task = callRow(row.work, this.#options.callDeps)
      .then(
        (outcome) => {
          if (outcome.kind === 'finished') {
            row.state = 'finishing';
            this.#finish?.add(outcome.row);
          } else {
            row.state = 'abandoned';
          }
        },
        (error: unknown) => {
          // callRow turns provider failures into results; anything else is a bug. The
          // row is no longer heartbeated, so the lease hands it to another claim.
          this.#held.delete(claimKey(row.work.claim));
          log.error(
            { err: errorSummary(error), row_id: row.work.claim.row_id },
            'unexpected error while calling the model: the row returns to pending after the lease',
          );
        },
      )
      .finally(() => {
        this.#calling -= 1;
        metrics.inFlight.dec();
        this.#tasks.delete(task);
        this.#pump();
        // Nothing left to wait for: store the last results now rather than after the
        // flush interval (the end of a job, or a lull).
        if (this.#calling === 0 && this.queued === 0) this.#finish?.flushNow();
        this.#options.wake.notify();
      });
    this.#tasks.add(task);
  }
}
