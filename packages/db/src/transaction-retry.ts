import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay } from '@evalq/core';
import { isTransactionRetryable } from './postgres-errors.js';

/** The longest pause between two runs of a transaction. */
const MAX_DELAY_MS = 1_000;

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
      if (attempt >= attempts || !isTransactionRetryable(error)) throw error;
      await sleep(backoffDelay(attempt, { baseMs: baseDelayMs, maxMs: MAX_DELAY_MS }));
    }
  }
}
