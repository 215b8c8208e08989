import type { Kysely } from 'kysely';
import { coerceError, formatJobKey, type JobKey, type Logger } from '@evalq/core';
import { jobsActiveSince, type Database } from '@evalq/db';
import { toProgress, type Progress } from '../progress.js';

export type FeedEvent =
  | { type: 'progress'; job: Progress }
  /** The job is gone (cancelled, or its dataset deleted). */
  | { type: 'removed'; job: JobKey };

export type FeedListener = (event: FeedEvent) => void;

/** How far back a poll looks for finished jobs, so the step to `done` is never missed. */
const RECENT_WINDOW_SECONDS = 120;

function leftWindow(progress: Progress): boolean {
  const lastChange = Math.max(
    Date.parse(progress.updated_at),
    progress.finished_at ? Date.parse(progress.finished_at) : 0,
  );
  // A margin for clock skew between this host and PostgreSQL's.
  return lastChange < Date.now() - (RECENT_WINDOW_SECONDS - 15) * 1000;
}

/**
 * One poller for every SSE client: while anyone listens, it reads the unfinished and
 * recently changed jobs once per interval (one query, whatever the number of clients),
 * and tells listeners only about jobs whose progress changed. It stops when the last
 * listener leaves.
 */
export class ProgressFeed {
  private readonly listeners = new Set<FeedListener>();
  /** Last progress sent per job, as JSON (what "changed" is measured against). */
  private readonly known = new Map<string, { json: string; progress: Progress }>();
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  get listenerCount(): number {
    return this.listeners.size;
  }

  /** Current progress of the jobs the feed knows, for a client that just connected. */
  snapshot(): Progress[] {
    return [...this.known.values()].map((entry) => entry.progress);
  }

  subscribe(listener: FeedListener): () => void {
    if (this.closed) return () => undefined;
    this.listeners.add(listener);
    if (this.listeners.size === 1) this.schedule(0);
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  /** Stops polling for good; waits for a poll in flight. Safe to call twice. */
  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    this.stop();
    await this.polling;
  }

  private stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    // A listener arriving later gets a fresh snapshot from the first poll.
    this.known.clear();
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.polling = this.poll().finally(() => {
        this.polling = undefined;
        if (!this.closed && this.listeners.size > 0) this.schedule(this.intervalMs);
      });
    }, delayMs);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    let jobs;
    try {
      jobs = await jobsActiveSince(this.db, RECENT_WINDOW_SECONDS);
    } catch (error) {
      this.logger.warn({ err: coerceError(error) }, 'progress feed: could not read jobs; retrying');
      return;
    }
    if (this.listeners.size === 0) return;
    const seen = new Set<string>();
    for (const job of jobs) {
      const key = formatJobKey(job);
      seen.add(key);
      const progress = toProgress(job);
      const json = JSON.stringify(progress);
      if (this.known.get(key)?.json === json) continue;
      this.known.set(key, { json, progress });
      this.emit({ type: 'progress', job: progress });
    }
    for (const [key, entry] of this.known) {
      if (seen.has(key)) continue;
      this.known.delete(key);
      // A done job leaves the window quietly once its last change is old enough; any
      // other job that vanished was deleted (cancelled, or its dataset deleted).
      if (entry.progress.status !== 'done' || !leftWindow(entry.progress)) {
        const { model_id, prompt_id, dataset_id } = entry.progress;
        this.emit({ type: 'removed', job: { model_id, prompt_id, dataset_id } });
      }
    }
  }

  private emit(event: FeedEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.logger.warn({ err: coerceError(error) }, 'progress feed: a listener failed');
      }
    }
  }
}
