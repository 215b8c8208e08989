import { backoffDelay } from '@evalq/core';

/**
 * Backoff for PostgreSQL operations that failed (connection killed, server restarting):
 * 100 ms doubling to 5 s, with jitter. The operation is retried, never given up while
 * the worker runs; correctness never depends on it succeeding (the lease does).
 */
export function dbBackoffMs(failures: number): number {
  return backoffDelay(failures, { baseMs: 100, maxMs: 5_000 });
}
