/**
 * Backoff for PostgreSQL operations that failed (connection killed, server restarting):
 * 100 ms doubling to 5 s, with jitter. The operation is retried, never given up while
 * the worker runs; correctness never depends on it succeeding (the lease does).
 */
export function dbBackoffMs(failures: number): number {
  const ceiling = Math.min(5_000, 100 * 2 ** Math.max(0, failures - 1));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}
