import type { JobKey } from '@evalq/core';

/** Told that a job may have rows to claim; `source` names where the news came from (logs). */
export type JobHint = (key: JobKey, source: string) => void;

/**
 * A source of wake-ups for discovery (discovery.ts): news that a job was launched or
 * got rows back, delivered as hints. Hints only make a worker react sooner; the
 * PostgreSQL reconcile finds every job without them, so a source may lose some. The
 * factory (worker-parts.ts) chooses the sources: the BullMQ queue (queue-wakeups.ts),
 * PostgreSQL's announcements (notify-wakeups.ts), or both (both-wakeups.ts).
 */
export interface JobWakeups {
  /**
   * Starts delivering hints. Called once. Settles when the source listens (a launch
   * from then on is heard) or its first attempt failed (it keeps trying); never rejects.
   */
  start(hint: JobHint): Promise<void>;
  /** Stops delivering and closes connections, within a bound of its own; never rejects. */
  close(): Promise<void>;
}
