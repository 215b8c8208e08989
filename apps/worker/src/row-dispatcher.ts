import { setMaxListeners } from 'node:events';
import type { Logger } from '@evalq/core';
import { errorSummary } from './error-summary.js';
import type { HeldClaims } from './held-claims.js';
import type { CallLimits } from './limits/call-limits.js';
import type { WorkerMetrics } from './metrics.js';
import type { ResultSink } from './result-sink.js';
import type { RowOutcome, RowWork } from './row-call.js';
import type { WakeSignal } from './wake-signal.js';

/** Runs one row's call; aborted when `signal` aborts (the end of the shutdown grace). */
export type CallRow = (work: RowWork, signal: AbortSignal) => Promise<RowOutcome>;

export interface RowDispatcherOptions {
  concurrency: number;
  prefetch: number;
  callRow: CallRow;
  /**
   * Work done on a claim's rows before they queue for a call slot (cache-look-ahead.ts);
   * the rows count against the room for claims meanwhile. Undefined: nothing to wait
   * for. Must not reject.
   */
  beforeQueue?: (works: readonly RowWork[]) => Promise<void> | undefined;
  /** Where finished calls go (the finish buffer, or a step before it). */
  results: ResultSink;
  held: HeldClaims;
  limits: CallLimits;
  metrics: WorkerMetrics;
  wake: WakeSignal;
  log: Logger;
}

/**
 * Runs the calls of the rows this worker claimed: at most `concurrency` at once;
 * claimed rows beyond that wait in a queue (only rows of models without shared limits
 * are claimed ahead, so a limited model's calls start the moment their permits are
 * granted). Each finished call goes to the result sink; the claim stays held (see
 * held-claims.ts) until its result is stored.
 */
export class RowDispatcher {
  readonly #o: RowDispatcherOptions;
  readonly #queue: RowWork[] = [];
  #queueHead = 0;
  #calling = 0;
  /** Rows accepted whose beforeQueue step has not ended. */
  #preparing = 0;
  readonly #tasks = new Set<Promise<void>>();
  #accepting = true;
  /** Aborted when the shutdown grace is over: every call in flight listens to it. */
  readonly #abandon = new AbortController();

  constructor(options: RowDispatcherOptions) {
    this.#o = options;
    setMaxListeners(0, this.#abandon.signal);
  }

  get calling(): number {
    return this.#calling;
  }

  get queued(): number {
    return this.#queue.length - this.#queueHead;
  }

  /**
   * Stores the results waiting in the sink now, when no call is running or waiting: the
   * claim loop asks when it has nothing more to claim (the end of a job, or a lull),
   * rather than after the sink's batching delay. Asked only then, not each time the
   * last call ends: rows that finish at once (cache hits) would otherwise be stored a
   * claim at a time, while the next claim is already on its way.
   */
  flushIfIdle(): void {
    if (this.#calling === 0 && this.queued === 0 && this.#preparing === 0)
      this.#o.results.flushNow();
  }

  /** How many rows a claim may take now, for a model with or without shared limits. */
  room(limited: boolean): number {
    if (!this.#accepting || this.#o.results.backlogged) return 0;
    const busy = this.queued + this.#calling + this.#preparing;
    const limit = limited ? this.#o.concurrency : this.#o.concurrency + this.#o.prefetch;
    return Math.max(0, limit - busy);
  }

  accept(works: readonly RowWork[]): void {
    this.#o.held.add(works);
    const preparing = this.#o.beforeQueue?.(works);
    if (!preparing) {
      this.#enqueue(works);
      return;
    }
    this.#preparing += works.length;
    const task = preparing
      .catch((error: unknown) =>
        this.#o.log.error({ err: errorSummary(error) }, 'preparing claimed rows failed'),
      )
      .finally(() => {
        this.#preparing -= works.length;
        this.#tasks.delete(task);
        this.#enqueue(works);
      });
    this.#tasks.add(task);
  }

  #enqueue(works: readonly RowWork[]): void {
    if (!this.#accepting) {
      // Stopped meanwhile: given up like the rows stopAccepting found queued.
      for (const work of works) this.#giveUp(work);
      return;
    }
    for (const work of works) this.#queue.push(work);
    this.#pump();
  }

  /**
   * Stops starting calls; rows still queued are given up (their claims stay held until
   * the shutdown hands them back). Returns how many were given up.
   */
  stopAccepting(): number {
    this.#accepting = false;
    let notStarted = 0;
    while (this.#queueHead < this.#queue.length) {
      this.#giveUp(this.#queue[this.#queueHead]!);
      this.#queueHead += 1;
      notStarted += 1;
    }
    this.#compact();
    // Rows still being prepared are given up when that ends (#enqueue).
    return notStarted + this.#preparing;
  }

  /** A row that will not be called: its permit goes back; its claim stays held for the hand-back. */
  #giveUp(work: RowWork): void {
    this.#o.limits.release(work.claim.model_id, work.firstPermit.permits);
  }

  /**
   * Settles when every running call has ended. Calls still running after `graceMs` are
   * aborted (they end without a result; their claims are handed back).
   */
  async finishCalls(graceMs: number): Promise<void> {
    if (this.#tasks.size === 0) return;
    const grace = setTimeout(() => {
      this.#o.log.warn(
        { inFlight: this.#calling },
        'shutdown grace over: abandoning calls still in flight',
      );
      this.#abandon.abort();
    }, graceMs);
    try {
      while (this.#tasks.size > 0) await Promise.allSettled([...this.#tasks]);
    } finally {
      clearTimeout(grace);
    }
  }

  #pump(): void {
    while (this.#accepting && this.#calling < this.#o.concurrency && this.queued > 0) {
      const work = this.#queue[this.#queueHead]!;
      this.#queueHead += 1;
      this.#start(work);
    }
    this.#compact();
  }

  #compact(): void {
    if (this.#queueHead > 1024 || this.#queueHead === this.#queue.length) {
      this.#queue.splice(0, this.#queueHead);
      this.#queueHead = 0;
    }
  }

  #start(work: RowWork): void {
    const { metrics, log, results } = this.#o;
    this.#calling += 1;
    metrics.inFlight.inc();
    const task = this.#o
      .callRow(work, this.#abandon.signal)
      .then(
        (outcome) => {
          if (outcome.kind === 'finished') results.add(outcome.row);
        },
        (error: unknown) => {
          // callRow turns provider failures into results; anything else is a bug. The
          // row is no longer heartbeated, so the lease hands it to another claim.
          this.#o.held.drop(work.claim);
          log.error(
            { err: errorSummary(error), row_id: work.claim.row_id },
            'unexpected error while calling the model: the row returns to pending after the lease',
          );
        },
      )
      .finally(() => {
        this.#calling -= 1;
        metrics.inFlight.dec();
        this.#tasks.delete(task);
        this.#pump();
        this.#o.wake.notify();
      });
    this.#tasks.add(task);
  }
}
