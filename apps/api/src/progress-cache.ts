import { formatJobKey, type JobKey } from '@evalq/core';
import type { JobRecord } from '@evalq/db';

interface Entry {
  /** The read in flight or done; every request inside the window shares it. */
  record: Promise<JobRecord | undefined>;
  expiresAt: number;
}

/** Entries beyond this are dropped oldest first (a scan of many jobs must not grow it). */
const MAX_ENTRIES = 10_000;

/**
 * A micro-cache of single-job progress reads: within `ttlMs` of a read, every poller
 * of the same job gets that read's row instead of a query of its own. Dashboards poll
 * a running job many times a second; the counters they read advance in steps of the
 * workers' flush interval (FINISH_FLUSH_MS, 100 ms) anyway, so a window well below it
 * changes nothing a reader can see, and spares PostgreSQL a round trip per poll.
 * The API's own writes to a job (cancel, retry, launch) drop its entry at once.
 */
export class ProgressCache {
  readonly #entries = new Map<string, Entry>();

  constructor(private readonly ttlMs: number) {}

  read(key: JobKey, load: () => Promise<JobRecord | undefined>): Promise<JobRecord | undefined> {
    if (this.ttlMs <= 0) return load();
    const id = formatJobKey(key);
    const now = performance.now();
    const cached = this.#entries.get(id);
    if (cached && cached.expiresAt > now) return cached.record;

    const record = load();
    this.#entries.delete(id);
    this.#entries.set(id, { record, expiresAt: now + this.ttlMs });
    // A failed read is not kept: the next poller asks PostgreSQL again.
    record.catch(() => {
      if (this.#entries.get(id)?.record === record) this.#entries.delete(id);
    });
    if (this.#entries.size > MAX_ENTRIES) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }
    return record;
  }

  invalidate(key: JobKey): void {
    this.#entries.delete(formatJobKey(key));
  }

  /** Every entry (a dataset and all its jobs were deleted). */
  clear(): void {
    this.#entries.clear();
  }
}
