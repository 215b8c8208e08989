import { setTimeout as sleep } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import type { Logger } from '@evalq/core';
import {
  finishRows,
  isDataError,
  type Database,
  type FinishedRow,
  type FinishResult,
} from '@evalq/db';
import { dbBackoffMs } from './db-backoff.js';
import { errorSummary } from './error-summary.js';
import type { WorkerMetrics } from './metrics.js';
import type { ResultSink } from './result-sink.js';
import { NO_VERDICT } from './row-grading.js';

export interface FinishBufferOptions {
  db: Kysely<Database>;
  workerId: string;
  /** Results per statement. */
  batchSize: number;
  /** The longest a result waits for its batch to fill. */
  flushMs: number;
  metrics: WorkerMetrics;
  log: Logger;
  /**
   * Called once per batch when it has been written, or with undefined when it was given
   * up on at shutdown. The factory (worker-parts.ts) wires it to the held claims.
   */
  onSettled: (rows: readonly FinishedRow[], result: FinishResult | undefined) => void;
}

/** Results waiting beyond this many batches hold the claim loop back (the database is slow). */
const BACKLOG_BATCHES = 4;

/**
 * Collects finished calls and stores them in batches: a batch goes when it is full,
 * or `flushMs` after the previous write started (at once after a quiet spell), one batch at a time (results arriving meanwhile
 * make the next batch larger). Each batch is one `finishRows` statement, retried with
 * backoff on any database error until it succeeds; replaying a batch is harmless.
 */
export class FinishBuffer implements ResultSink {
  readonly #options: FinishBufferOptions;
  #queue: FinishedRow[] = [];
  #inFlight = 0;
  #timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  /** When the last write started (performance.now()); -Infinity before the first. */
  #lastWriteAt = Number.NEGATIVE_INFINITY;
  #running: Promise<void> | undefined;
  /** At shutdown: give up on a failing batch after this time (epoch ms). */
  #giveUpAt = Number.POSITIVE_INFINITY;

  constructor(options: FinishBufferOptions) {
    this.#options = options;
  }

  /** Results not yet stored. */
  get pending(): number {
    return this.#queue.length + this.#inFlight;
  }

  get backlogged(): boolean {
    return this.pending > BACKLOG_BATCHES * this.#options.batchSize;
  }

  add(row: FinishedRow): void {
    this.#queue.push(row);
    this.#schedule();
  }

  /** Writes what is queued without waiting for the batch to fill (the worker went idle). */
  flushNow(): void {
    if (this.#queue.length > 0) this.#flush();
  }

  /** Stores everything queued, trying until `deadline` (epoch ms) when the database fails. */
  async drain(deadline: number): Promise<void> {
    this.#giveUpAt = deadline;
    while (this.#queue.length > 0 || this.#running) {
      this.#flush();
      await this.#running;
    }
  }

  #schedule(): void {
    if (this.#running || this.#queue.length === 0) return; // a running write picks them up
    if (this.#queue.length >= this.#options.batchSize || this.#options.flushMs === 0) {
      this.#flush();
      return;
    }
    if (this.#timer) return;
    // At most one write per flushMs: the first result after a quiet spell (a job's
    // first answers) is written at once, with whatever else this turn of the event loop
    // brings; results arriving steadily wait for the next step.
    const wait = this.#lastWriteAt + this.#options.flushMs - performance.now();
    this.#timer = wait <= 0 ? setImmediate(this.#flushSoon) : setTimeout(this.#flushSoon, wait);
  }

  readonly #flushSoon = (): void => this.#flush();

  #flush(): void {
    if (this.#timer && 'refresh' in this.#timer) clearTimeout(this.#timer);
    else if (this.#timer) clearImmediate(this.#timer);
    this.#timer = undefined;
    if (this.#running || this.#queue.length === 0) return;
    this.#lastWriteAt = performance.now();
    this.#running = this.#writeAll().finally(() => {
      this.#running = undefined;
      this.#schedule();
    });
  }

  /**
   * Writes one batch, then the next at once only while full ones wait: what is left
   * goes by the schedule (#schedule), so that results arriving steadily are stored a
   * step's worth at a time, not in a back-to-back stream of small statements (each one
   * a transaction and a turn of the job's counting row).
   */
  async #writeAll(): Promise<void> {
    do {
      const batch = this.#queue.splice(0, this.#options.batchSize);
      this.#inFlight = batch.length;
      try {
        await this.#write(batch);
      } finally {
        this.#inFlight = 0;
      }
    } while (this.#queue.length >= this.#options.batchSize);
  }

  async #write(batch: FinishedRow[]): Promise<void> {
    const { db, workerId, metrics, log } = this.#options;
    for (let failures = 0; ;) {
      try {
        const result = await finishRows(db, workerId, batch);
        if (failures > 0)
          log.info({ rows: batch.length, failures }, 'results stored after retrying');
        this.#options.onSettled(batch, result);
        return;
      } catch (error) {
        if (isDataError(error)) {
          // Not a passing outage: some row cannot be stored as it is. Retrying the batch
          // would fail for ever and hold every other result back.
          await this.#isolate(batch, error);
          return;
        }
        failures += 1;
        metrics.dbErrors.inc({ operation: 'finish' });
        const delay = dbBackoffMs(failures);
        if (Date.now() + delay > this.#giveUpAt) {
          log.error(
            { err: errorSummary(error), rows: batch.length },
            'could not store results before shutdown: their rows stay claimed and return to pending after the lease',
          );
          this.#options.onSettled(batch, undefined);
          return;
        }
        log.warn(
          { err: errorSummary(error), rows: batch.length, failures, retryInMs: Math.round(delay) },
          'storing results failed, retrying',
        );
        await sleep(delay);
      }
    }
  }

  /**
   * A batch the database refuses for its data: store its rows one by one, and a row that
   * still cannot be stored as a `failed` prediction that says why.
   */
  async #isolate(batch: FinishedRow[], error: unknown): Promise<void> {
    const { log, metrics } = this.#options;
    metrics.dbErrors.inc({ operation: 'finish' });
    if (batch.length > 1) {
      log.warn(
        { err: errorSummary(error), rows: batch.length },
        'a result cannot be stored: storing the batch row by row',
      );
      for (const row of batch) await this.#write([row]);
      return;
    }
    const row = batch[0]!;
    if (row.status === 'failed' && row.prediction === '' && row.error?.startsWith('storage: ')) {
      log.error(
        {
          err: errorSummary(error),
          row_id: row.row_id,
          model_id: row.model_id,
          prompt_id: row.prompt_id,
        },
        'could not store even a failed prediction for this row; it returns to pending after the lease',
      );
      this.#options.onSettled(batch, { finished: [], inserted: 0 });
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    log.warn(
      { err: errorSummary(error), row_id: row.row_id },
      'storing the answer as a failed prediction instead',
    );
    await this.#write([
      {
        ...row,
        prediction: '',
        status: 'failed',
        error: `storage: the answer could not be stored (${message})`,
        prompt_tokens: null,
        completion_tokens: null,
        // A failed call has no verdict (the database refuses one).
        ...NO_VERDICT,
      },
    ]);
  }
}
