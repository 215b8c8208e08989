/** SQLSTATEs after which the whole transaction may simply be run again. */
const RETRYABLE = new Set([
  '40P01', // deadlock_detected: PostgreSQL aborted us to break a lock cycle
  '40001', // serialization_failure
]);

export interface RetryOptions {
  attempts?: number;
  /** First pause; doubled (with jitter) after each failure. */
  baseDelayMs?: number;
}

/**
 * Runs a transaction and runs it again when PostgreSQL aborted it to break a deadlock.
 * `work` must be the whole transaction (BEGIN to COMMIT), so a retry starts clean.
 */
export async function retryOnDeadlock<T>(
  work: () => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const attempts = options.attempts ?? 5;
  const baseDelayMs = options.baseDelayMs ?? 20;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= attempts || !isRetryable(error)) throw error;
      const delay = baseDelayMs * 2 ** (attempt - 1);
      await new Promise((resolve) => setTimeout(resolve, delay / 2 + Math.random() * delay));
    }
  }
}

function isRetryable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && RETRYABLE.has(code);
}
