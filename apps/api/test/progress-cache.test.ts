import { describe, expect, it } from 'vitest';
import type { JobRecord } from '@evalq/db';
import { ProgressCache } from '../src/progress-cache.js';

// The single-job progress micro-cache (apps/api/src/progress-cache.ts) on a clock the
// test moves, with reads of PostgreSQL stood in for by promises the test answers: what a
// poller is served, and how many reads reach the database, at each age of an entry.

const key = { model_id: 1, prompt_id: 2, dataset_id: 3 };
const TTL = 50;

/** A job row told apart by its done count. */
const row = (done: number) => ({ done }) as unknown as JobRecord;
const doneOf = async (read: Promise<JobRecord | undefined>) => (await read)?.done;

/** Database reads the test answers one by one. */
function reads() {
  const pending: ((row: JobRecord) => void)[] = [];
  return {
    load: () => new Promise<JobRecord | undefined>((resolve) => pending.push(resolve)),
    started: () => pending.length,
    answer: (index: number, done: number) => pending[index]!(row(done)),
  };
}

/** A cache on a clock at 0 holding a first read of the job (done = `done`), answered. */
async function cacheHolding(done: number) {
  const clock = { now: 0 };
  const cache = new ProgressCache(TTL, () => clock.now);
  const db = reads();
  const first = cache.read(key, db.load);
  db.answer(0, done);
  expect(await doneOf(first)).toBe(done);
  return { cache, db, clock };
}

describe('the progress cache', () => {
  it('serves one read for a window, the last row while a newer read runs, and waits only after twenty windows', async () => {
    const { cache, db, clock } = await cacheHolding(1);
    clock.now = 40;
    expect(await doneOf(cache.read(key, db.load))).toBe(1);
    expect(db.started()).toBe(1);

    // Second window: the last row at once, one newer read started.
    clock.now = 60;
    expect(await doneOf(cache.read(key, db.load))).toBe(1);
    expect(db.started()).toBe(2);
    // PostgreSQL is slow to answer it: pollers past the second window still get the
    // last row at once, and start no read of their own.
    clock.now = 300;
    expect(await doneOf(cache.read(key, db.load))).toBe(1);
    expect(await doneOf(cache.read(key, db.load))).toBe(1);
    expect(db.started()).toBe(2);

    // Twenty windows old: pollers wait for that same read, not a new one.
    clock.now = 20 * TTL;
    const waiting = cache.read(key, db.load);
    expect(db.started()).toBe(2);
    db.answer(1, 2);
    expect(await doneOf(waiting)).toBe(2);
    // Its answer is the entry now, aged from when it was asked (at 60).
    clock.now = 60 + TTL - 1;
    expect(await doneOf(cache.read(key, db.load))).toBe(2);
    expect(db.started()).toBe(2);
  });

  it('reads afresh when nobody polled during the second window, and after an invalidation', async () => {
    const { cache, db, clock } = await cacheHolding(1);
    clock.now = 2 * TTL;
    const fresh = cache.read(key, db.load);
    expect(db.started()).toBe(2);
    db.answer(1, 2);
    expect(await doneOf(fresh)).toBe(2);

    cache.invalidate(key);
    const afterChange = cache.read(key, db.load);
    expect(db.started()).toBe(3);
    db.answer(2, 3);
    expect(await doneOf(afterChange)).toBe(3);
  });
});
