import type { FinishedRow } from '@evalq/db';

/**
 * Where the dispatcher (row-dispatcher.ts) hands each finished call: the finish buffer
 * (finish-buffer.ts) today. A step between the call and the store (grading, say)
 * implements this too and passes its rows on to the next sink; the factory
 * (worker-parts.ts) chains them.
 */
export interface ResultSink {
  add(row: FinishedRow): void;
  /** Passes on what is waiting now rather than after its batching delay (the worker went idle). */
  flushNow(): void;
  /** True while results pile up faster than they are stored: the claim loop holds back. */
  readonly backlogged: boolean;
}
