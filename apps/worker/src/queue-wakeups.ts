import { QueueEvents, Worker as BullWorker } from 'bullmq';
import { throttled, withTimeout, type Logger } from '@evalq/core';
import { JOB_QUEUE_NAME, parseQueueJobId, type RunJobData } from '@evalq/queue';
import { errorSummary } from './error-summary.js';
import type { JobHint, JobWakeups } from './job-wakeups.js';
import { REDIS_WARNING_INTERVAL_MS } from './redis-warnings.js';

export interface QueueWakeupsOptions {
  redisUrl: string;
  queuePrefix: string;
  workerId: string;
  log: Logger;
}

/** How long closing the BullMQ connections may take before they are left behind. */
const CLOSE_TIMEOUT_MS = 5_000;
/** How long start-up waits for the connections (Redis may be down: hints are optional). */
const READY_TIMEOUT_MS = 2_000;

/**
 * Wake-ups from the BullMQ queue: it consumes `run-job` messages, and follows the
 * queue's events so that every worker wakes when a job is enqueued, not only the one
 * that took its message. Redis is only ever a hint here: while it is down, a warning
 * every 10 s and jobs are found by the reconcile.
 */
export class QueueWakeups implements JobWakeups {
  readonly #o: QueueWakeupsOptions;
  #consumer: BullWorker<RunJobData> | undefined;
  #events: QueueEvents | undefined;
  #closing: Promise<void> | undefined;
  readonly #redisTrouble = throttled(REDIS_WARNING_INTERVAL_MS, (error: Error) =>
    this.#o.log.warn(
      { err: errorSummary(error) },
      'queue unavailable; jobs are still found by the PostgreSQL reconcile',
    ),
  );

  constructor(options: QueueWakeupsOptions) {
    this.#o = options;
  }

  start(hint: JobHint): Promise<void> {
    if (this.#closing) return Promise.resolve();
    const { redisUrl, queuePrefix, workerId } = this.#o;
    const connection = (role: string) => ({
      url: redisUrl,
      maxRetriesPerRequest: null,
      connectionName: `evalq-worker-${role}-${workerId}`.slice(0, 120),
    });
    this.#consumer = new BullWorker<RunJobData>(
      JOB_QUEUE_NAME,
      (job) => {
        hint(job.data, 'queue message');
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
      if (key) hint(key, 'queue event');
    };
    this.#events.on('added', onEvent);
    this.#events.on('waiting', onEvent);
    this.#events.on('error', (error) => this.#redisTrouble(error));
    // Connected (the events are read from then on); Redis being down must not hold start-up.
    return withTimeout(
      Promise.all([this.#consumer.waitUntilReady(), this.#events.waitUntilReady()]),
      READY_TIMEOUT_MS,
      () => new Error('timeout'),
    ).then(
      () => undefined,
      () => undefined,
    );
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const closing: Promise<unknown>[] = [];
    if (this.#consumer) closing.push(this.#consumer.close());
    if (this.#events) closing.push(this.#events.close());
    await withTimeout(
      Promise.allSettled(closing),
      CLOSE_TIMEOUT_MS,
      () => new Error('timeout'),
    ).catch(() => this.#o.log.warn('the queue connections did not close in time; leaving them'));
  }
}
