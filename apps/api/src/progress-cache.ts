import { formatJobKey, type JobKey } from '@evalq/core';
import type { JobRecord } from '@evalq/db';

type Row = JobRecord | undefined;

interface Entry {
  /** The latest read, in flight or done; every request inside the window shares it. */
  record: Promise<Row>;
  /** When that read was started (performance.now()). */
  readAt: number;
  /** Set once `record` has settled successfully: what a stale entry serves. */
  settled: boolean;
  /** A newer read under way for a stale entry; it replaces the entry when it answers. */
  refreshing: Promise<Row> | undefined;
}

/** Entries beyond this are dropped oldest first (a scan of many jobs must not grow it). */
const MAX_ENTRIES = 10_000;
/** How many windows old a row may be served while its refresh is still under way. */
const STALE_WINDOWS_WHILE_REFRESHING = 20;

/**
 * A micro-cache of single-job progress reads. Within `ttlMs` of a read, every poller
 * of the same job gets that read's row instead of a query of its own; for another
 * `ttlMs` after that, a poller still gets it at once while one newer read runs in the
 * background (stale-while-revalidate), so a steady stream of pollers never waits for
 * PostgreSQL. A row served is thus at most 2 × `ttlMs` old, or fresh; when PostgreSQL
 * is busier than that (a refresh still unanswered after the second window), pollers
 * keep getting the last row rather than each starting a read and waiting on it, up to
 * 20 windows (1 s at the default 50 ms), then they wait for that refresh. Dashboards poll
 * a running job many times a second; the counters they read advance in steps of the
 * workers' flush interval (FINISH_FLUSH_MS, 100 ms) anyway, so a 50 ms window changes
 * nothing a reader can see, and spares PostgreSQL a round trip per poll. The API's own
 * writes to a job (launch, cancel, retry, dataset delete) drop its entry at once.
 */
export class ProgressCache {
  readonly #entries = new Map<string, Entry>();

  constructor(
    private readonly ttlMs: number,
    /** The clock (milliseconds, monotonic); the tests set it. */
    private readonly now: () => number = () => performance.now(),
  ) {}

  read(key: JobKey, load: () => Promise<Row>): Promise<Row> {
    if (this.ttlMs <= 0) return load();
    const id = formatJobKey(key);
    const now = this.now();
    const entry = this.#entries.get(id);
    const age = entry === undefined ? Infinity : now - entry.readAt;
    if (entry && age < this.ttlMs) return entry.record;
    if (entry && entry.settled) {
      if (entry.refreshing) {
        return age < STALE_WINDOWS_WHILE_REFRESHING * this.ttlMs ? entry.record : entry.refreshing;
      }
      if (age < 2 * this.ttlMs) {
        this.#refresh(id, entry, load);
        return entry.record;
      }
    }
    return this.#store(id, load(), now).record;
  }

  invalidate(key: JobKey): void {
    this.#entries.delete(formatJobKey(key));
  }

  /** Every entry (a dataset and all its jobs were deleted). */
  clear(): void {
    this.#entries.clear();
  }

  #refresh(id: string, stale: Entry, load: () => Promise<Row>): void {
    const now = this.now();
    stale.refreshing = load();
    stale.refreshing.then(
      (row) => {
        // Dropped (invalidated) or replaced meanwhile: this read is no longer wanted.
        if (this.#entries.get(id) !== stale) return;
        const fresh = this.#store(id, Promise.resolve(row), now);
        fresh.settled = true;
      },
      () => {
        if (this.#entries.get(id) === stale) this.#entries.delete(id);
      },
    );
  }

  #store(id: string, record: Promise<Row>, readAt: number): Entry {
    const entry: Entry = { record, readAt, settled: false, refreshing: undefined };
    this.#entries.delete(id);
    this.#entries.set(id, entry);
    record.then(
      () => {
        entry.settled = true;
      },
      // A failed read is not kept: the next poller asks PostgreSQL again.
      () => {
        if (this.#entries.get(id) === entry) this.#entries.delete(id);
      },
    );
    if (this.#entries.size > MAX_ENTRIES) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }
    return entry;
  }
}
