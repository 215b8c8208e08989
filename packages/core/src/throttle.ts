/**
 * Wraps `action` so that it runs at most once per `intervalMs`; calls in between are
 * dropped. For warnings about an outage that every failed command would otherwise
 * repeat (Redis unreachable: one line per 10 s rather than thousands).
 */
export function throttled<A extends unknown[]>(
  intervalMs: number,
  action: (...args: A) => void,
): (...args: A) => void {
  let last = Number.NEGATIVE_INFINITY;
  return (...args) => {
    const now = Date.now();
    if (now - last < intervalMs) return;
    last = now;
    action(...args);
  };
}
