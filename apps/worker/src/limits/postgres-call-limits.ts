import type { Kysely } from 'kysely';
import { throttled, type Logger } from '@evalq/core';
import {
  acquireCallPermits,
  pauseModelCalls,
  refundCallSlots,
  releaseCallPermits,
  type Database,
} from '@evalq/db';
import { dbBackoffMs } from '../db-backoff.js';
import { errorSummary } from '../error-summary.js';
import {
  burstFor,
  fullPollMs,
  hasSharedLimits,
  startIntervalMs,
  type CallLimits,
  type CallLimitsEvents,
  type Grant,
  type ModelLimits,
} from './call-limits.js';

/** While PostgreSQL is unreachable, a warning at most this often. */
const WARNING_INTERVAL_MS = 10_000;

/**
 * The shared limits kept in PostgreSQL, for queue-less mode (docs/local-mode.md): the
 * rules of the Redis scripts, in the functions of
 * migrations/0011_queueless_wakeups_and_call_limits.sql, one autocommit statement per
 * operation. Permits are rows with an expiry, so those of a worker killed holding them
 * expire by themselves. While PostgreSQL is unreachable nothing can be claimed anyway;
 * models with limits wait, and pauses are kept locally too.
 */
export class PostgresCallLimits implements CallLimits {
  readonly #db: Kysely<Database>;
  readonly #events: CallLimitsEvents;
  readonly #localPause = new Map<number, number>();
  #failures = 0;
  readonly #warn: (error: unknown) => void;

  constructor(db: Kysely<Database>, log: Logger, events: CallLimitsEvents = {}) {
    this.#db = db;
    this.#events = events;
    this.#warn = throttled(WARNING_INTERVAL_MS, (error: unknown) =>
      log.warn({ err: errorSummary(error) }, 'shared limits unavailable (PostgreSQL unreachable)'),
    );
  }

  async tryAcquire(modelId: number, limits: ModelLimits, wanted: number): Promise<Grant> {
    const localPause = (this.#localPause.get(modelId) ?? 0) - Date.now();
    if (localPause > 0) {
      this.#events.onWait?.(modelId, 'paused');
      return { granted: 0, waitMs: localPause, permits: [] };
    }
    const intervalMs = startIntervalMs(limits);
    try {
      const reply = await acquireCallPermits(this.#db, {
        modelId,
        wanted,
        maxInFlight: limits.maxConcurrency ?? 0,
        intervalMs,
        burstMs: burstFor(intervalMs),
        permitTtlMs: limits.permitTtlMs,
      });
      this.#failures = 0;
      if (reply.granted > 0) {
        return {
          granted: reply.granted,
          waitMs: 0,
          permits: reply.permitIds,
          ...(reply.rateMark ? { rateMark: reply.rateMark } : {}),
        };
      }
      const reason = reply.reason ?? 'paused';
      this.#events.onWait?.(modelId, reason);
      if (reason === 'concurrency') return { granted: 0, waitMs: fullPollMs(), permits: [] };
      return { granted: 0, waitMs: Math.max(1, reply.waitMs), permits: [] };
    } catch (error) {
      this.#warn(error);
      this.#failures += 1;
      if (!hasSharedLimits(limits)) return { granted: wanted, waitMs: 0, permits: [] };
      this.#events.onWait?.(modelId, 'database_down');
      return { granted: 0, waitMs: dbBackoffMs(this.#failures), permits: [] };
    }
  }

  release(_modelId: number, permits: readonly string[]): void {
    if (permits.length === 0) return;
    // Best effort: a permit that is not deleted expires.
    releaseCallPermits(this.#db, permits).catch((error: unknown) => this.#warn(error));
  }

  giveBack(modelId: number, limits: ModelLimits, grant: Grant, used: number): void {
    const unused = grant.granted - used;
    if (unused <= 0) return;
    this.release(modelId, grant.permits.slice(used));
    // A grant carries a mark only under a rate limit.
    if (grant.rateMark) {
      refundCallSlots(this.#db, modelId, unused, startIntervalMs(limits), grant.rateMark).catch(
        (error: unknown) => this.#warn(error),
      );
    }
  }

  async pause(modelId: number, pauseMs: number): Promise<void> {
    const until = Date.now() + pauseMs;
    if ((this.#localPause.get(modelId) ?? 0) < until) this.#localPause.set(modelId, until);
    await pauseModelCalls(this.#db, modelId, pauseMs).catch((error: unknown) => this.#warn(error));
  }
}
