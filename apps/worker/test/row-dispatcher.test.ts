import { describe, expect, it } from 'vitest';
import { createLogger } from '@evalq/core';
import { createWorkerMetrics, type CallLimits } from '@evalq/worker';
import { HeldClaims } from '../src/held-claims.js';
import type { RowWork } from '../src/row-call.js';
import { RowDispatcher } from '../src/row-dispatcher.js';
import { WakeSignal } from '../src/wake-signal.js';

// The dispatcher's step before the call slots (cache-look-ahead.ts uses it): rows being
// prepared count against the room for claims, wait for their preparation before any
// call, and are given up, permits released, when the worker stops meanwhile.

const log = createLogger({ name: 'test', level: 'silent' });

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const works = (n: number): RowWork[] =>
  Array.from(
    { length: n },
    (_, i) =>
      ({
        claim: { row_id: i + 1, model_id: 7, prompt_id: 1, claim_attempt: 1 },
        datasetId: 1,
        row: { content: `row ${i + 1}`, expected: 'x', input: {} },
        firstPermit: { granted: 1, waitMs: 0, permits: [`permit-${i + 1}`] },
        log,
      }) as unknown as RowWork,
  );

function dispatcher(beforeQueue: (works: readonly RowWork[]) => Promise<void> | undefined) {
  const called: number[] = [];
  const released: string[] = [];
  const limits = {
    release: (_model: number, permits: readonly string[]) => void released.push(...permits),
  } as unknown as CallLimits;
  const metrics = createWorkerMetrics();
  const d = new RowDispatcher({
    concurrency: 2,
    prefetch: 2,
    // Calls that never end: the test looks at which rows started.
    callRow: (work) => (called.push(work.claim.row_id), new Promise(() => undefined)),
    beforeQueue,
    results: { add: () => undefined, flushNow: () => undefined, backlogged: false },
    held: new HeldClaims(metrics, log),
    limits,
    metrics,
    wake: new WakeSignal(),
    log,
  });
  return { d, called, released };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('RowDispatcher, rows prepared before their call', () => {
  it('counts them against the room and calls none before the preparation ends', async () => {
    const preparing = deferred();
    const { d, called } = dispatcher(() => preparing.promise);
    d.accept(works(3));
    await settle();
    expect(d.room(false)).toBe(1); // concurrency 2 + prefetch 2, minus 3 being prepared
    expect(called).toEqual([]);
    preparing.resolve();
    await settle();
    expect(called).toEqual([1, 2]); // two call slots; the third row waits in the queue
    expect(d.queued).toBe(1);
    expect(d.room(false)).toBe(1);
  });

  it('gives up rows still being prepared when it stops, releasing their permits', async () => {
    const preparing = deferred();
    const { d, called, released } = dispatcher(() => preparing.promise);
    d.accept(works(2));
    expect(d.stopAccepting()).toBe(2);
    preparing.resolve();
    await settle();
    expect(called).toEqual([]);
    expect(released.sort()).toEqual(['permit-1', 'permit-2']);
  });

  it('calls the rows when their preparation fails, and at once when there is none', async () => {
    const preparing = deferred();
    const { d, called } = dispatcher((batch) =>
      batch[0]!.claim.row_id === 1 ? preparing.promise : undefined,
    );
    d.accept(works(1));
    preparing.reject(new Error('lookup statement failed'));
    await settle();
    expect(called).toEqual([1]);
    d.accept(works(3).slice(1, 2));
    expect(called).toEqual([1, 2]);
  });
});
