import pg from 'pg';
import { throttled, withTimeout, type Logger } from '@evalq/core';
import { JOB_ANNOUNCEMENTS_CHANNEL, parseJobAnnouncement } from '@evalq/db';
import { dbBackoffMs } from './db-backoff.js';
import { errorSummary } from './error-summary.js';
import type { JobHint, JobWakeups } from './job-wakeups.js';

export interface NotifyWakeupsOptions {
  /** A direct connection (LISTEN is session state: not through a transaction pooler). */
  databaseUrl: string;
  workerId: string;
  log: Logger;
}

const CLOSE_TIMEOUT_MS = 5_000;
/** While PostgreSQL is unreachable, a warning at most this often. */
const WARNING_INTERVAL_MS = 10_000;

/**
 * Wake-ups from PostgreSQL (queue-less mode, docs/local-mode.md, and next to the queue's
 * when the worker connects to PostgreSQL directly): one connection LISTENs on
 * the channel PostgreSQL announces runnable jobs on, at commit, whoever made them
 * (migrations/0011_queueless_wakeups_and_call_limits.sql). A job is heard of within a
 * round trip of its launch's commit, before the API has answered. While the connection is down it reconnects with backoff;
 * announcements made meanwhile are lost, and the reconcile finds their jobs.
 */
export class NotifyWakeups implements JobWakeups {
  readonly #o: NotifyWakeupsOptions;
  #client: pg.Client | undefined;
  #hint: JobHint | undefined;
  #failures = 0;
  #retry: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #warn = throttled(WARNING_INTERVAL_MS, (error: unknown) =>
    this.#o.log.warn(
      { err: errorSummary(error) },
      'cannot listen for job announcements; jobs are still found by the reconcile',
    ),
  );

  constructor(options: NotifyWakeupsOptions) {
    this.#o = options;
  }

  start(hint: JobHint): Promise<void> {
    this.#hint = hint;
    return this.#connect();
  }

  /** Resolves once listening, or when this attempt failed (a retry is scheduled). */
  async #connect(): Promise<void> {
    if (this.#closed) return;
    const client = new pg.Client({
      connectionString: this.#o.databaseUrl,
      application_name: `evalq-worker-listen ${this.#o.workerId}`.slice(0, 63),
      connectionTimeoutMillis: 10_000,
      // The connection only waits; a dead peer must still be noticed.
      keepAlive: true,
    });
    client.on('notification', (message) => {
      const key = parseJobAnnouncement(message.payload);
      if (key) this.#hint?.(key, 'announcement');
    });
    client.on('error', (error) => this.#lost(client, error));
    client.on('end', () => this.#lost(client, new Error('connection ended')));
    this.#client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${JOB_ANNOUNCEMENTS_CHANNEL}`);
      this.#o.log.info(
        { channel: JOB_ANNOUNCEMENTS_CHANNEL, again: this.#failures > 0 },
        'listening for job announcements',
      );
      this.#failures = 0;
    } catch (error) {
      this.#lost(client, error);
    }
  }

  #lost(client: pg.Client, error: unknown): void {
    if (this.#client !== client) return;
    this.#client = undefined;
    client.end().catch(() => undefined);
    if (this.#closed) return;
    this.#warn(error);
    this.#failures += 1;
    this.#retry = setTimeout(() => void this.#connect(), dbBackoffMs(this.#failures));
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    const client = this.#client;
    this.#client = undefined;
    if (!client) return;
    await withTimeout(client.end(), CLOSE_TIMEOUT_MS, () => new Error('timeout')).catch(
      () => undefined,
    );
  }
}
