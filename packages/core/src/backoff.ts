/**
 * Exponential backoff with jitter: the n-th retry (n >= 1) waits between half and all
 * of min(max, base * 2^(n-1)), so workers that failed together do not retry together.
 * A provider's Retry-After is a floor: the wait is never shorter than what it asked.
 */
export function backoffDelay(
  retry: number,
  options: { baseMs: number; maxMs: number; retryAfterMs?: number | undefined },
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, retry - 1));
  const jittered = ceiling / 2 + random() * (ceiling / 2);
  return Math.max(jittered, options.retryAfterMs ?? 0);
}
