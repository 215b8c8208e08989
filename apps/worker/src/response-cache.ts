import type { Kysely } from 'kysely';
import type { Logger } from '@evalq/core';
import {
  lookupCachedAnswers,
  storeCachedAnswers,
  type AnswerToCache,
  type CachedAnswer,
  type Database,
} from '@evalq/db';
import { errorSummary } from './error-summary.js';

/** Answers waiting to be written beyond this many are written at once. */
const STORE_BATCH = 200;
/** The longest an answer waits to be written with others. */
const STORE_FLUSH_MS = 100;

/**
 * The worker's side of the response cache shared by every worker (docs/cost.md). The
 * rows of one claim look their keys up together: lookups asked for in the same turn of
 * the event loop go in one statement. Answers to store are written in batches. The
 * cache is an optimisation, never the record: a failed lookup is a miss, a failed
 * write loses only the chance of a later hit (the predictions are stored apart).
 */
export class ResponseCache {
  readonly #db: Kysely<Database>;
  readonly #log: Logger;
  #lookups = new Map<
    string,
    { key: Buffer; waiters: ((hit: CachedAnswer | undefined) => void)[] }
  >();
  #lookupScheduled = false;
  #toStore: AnswerToCache[] = [];
  #storeTimer: NodeJS.Timeout | undefined;
  #storing: Promise<void> = Promise.resolve();

  constructor(db: Kysely<Database>, log: Logger) {
    this.#db = db;
    this.#log = log;
  }

  /** The stored answer for this request key, or undefined (a miss). */
  lookup(key: Buffer): Promise<CachedAnswer | undefined> {
    return new Promise((resolve) => {
      const id = key.toString('hex');
      const entry = this.#lookups.get(id);
      if (entry) entry.waiters.push(resolve);
      else this.#lookups.set(id, { key, waiters: [resolve] });
      if (!this.#lookupScheduled) {
        this.#lookupScheduled = true;
        setImmediate(() => void this.#runLookups());
      }
    });
  }

  async #runLookups(): Promise<void> {
    const batch = this.#lookups;
    this.#lookups = new Map();
    this.#lookupScheduled = false;
    let found: CachedAnswer[] = [];
    try {
      found = await lookupCachedAnswers(
        this.#db,
        [...batch.values()].map((entry) => entry.key),
      );
    } catch (error) {
      this.#log.warn(
        { err: errorSummary(error), keys: batch.size },
        'cache lookup failed: calling the model',
      );
    }
    const byId = new Map(found.map((answer) => [answer.cache_key.toString('hex'), answer]));
    for (const [id, entry] of batch) {
      for (const resolve of entry.waiters) resolve(byId.get(id));
    }
  }

  /** Remembers a successful answer for later requests with the same key. */
  store(answer: AnswerToCache): void {
    this.#toStore.push(answer);
    if (this.#toStore.length >= STORE_BATCH) this.#flush();
    else this.#storeTimer ??= setTimeout(() => this.#flush(), STORE_FLUSH_MS);
  }

  #flush(): void {
    clearTimeout(this.#storeTimer);
    this.#storeTimer = undefined;
    const batch = this.#toStore;
    this.#toStore = [];
    if (batch.length === 0) return;
    this.#storing = this.#storing.then(() =>
      storeCachedAnswers(this.#db, batch).catch((error: unknown) =>
        this.#log.warn(
          { err: errorSummary(error), answers: batch.length },
          'storing answers in the cache failed',
        ),
      ),
    );
  }

  /** Writes what is waiting (at shutdown, before the pool closes). */
  async close(): Promise<void> {
    this.#flush();
    await this.#storing;
  }
}
