import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { throttled, withTimeout, type Logger } from '@evalq/core';
import { errorSummary } from '../error-summary.js';
import { REDIS_WARNING_INTERVAL_MS } from '../redis-warnings.js';
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

/**
 * The Lua scripts sit in apps/worker/lua, outside src/ (the runtime image keeps only
 * dist/ and such asset folders); this path resolves from both src/ and dist/.
 */
const LUA_DIR = new URL('../../lua/', import.meta.url);
const readScript = (name: string): string => readFileSync(new URL(name, LUA_DIR), 'utf8');

/** How long to wait for a limited model while Redis is unreachable. */
const REDIS_DOWN_WAIT_MS = 1_000;
/** A limits call slower than this counts as Redis being unreachable. */
const COMMAND_TIMEOUT_MS = 2_000;

interface LimitCommands {
  evalqAcquire(
    inflight: string,
    rate: string,
    pause: string,
    seq: string,
    wanted: number,
    maxInFlight: number,
    intervalMs: number,
    burstMs: number,
    permitTtlMs: number,
  ): Promise<(number | string)[]>;
  evalqRefund(rate: string, unused: number, intervalMs: number, rateMark: string): Promise<number>;
  evalqPause(pause: string, pauseMs: number): Promise<number>;
}

/**
 * The shared limits kept in Redis (docs/architecture.md, "Redis keys"), by the Lua
 * scripts in apps/worker/lua. The state lives under `<prefix>:limits:model:<id>:*` and
 * is re-created on use, so deleting it loses nothing but a moment of accuracy. When
 * Redis is unreachable, models without limits keep running (pauses are then local to
 * this worker) and models with limits wait.
 */
export class RedisCallLimits implements CallLimits {
  readonly #redis: Redis & LimitCommands;
  readonly #prefix: string;
  readonly #log: Logger;
  readonly #events: CallLimitsEvents;
  /** Pauses seen by this worker, kept locally too so they hold while Redis is down. */
  readonly #localPause = new Map<number, number>();

  constructor(redis: Redis, prefix: string, log: Logger, events: CallLimitsEvents = {}) {
    redis.defineCommand('evalqAcquire', { numberOfKeys: 4, lua: readScript('acquire.lua') });
    redis.defineCommand('evalqRefund', { numberOfKeys: 1, lua: readScript('refund.lua') });
    redis.defineCommand('evalqPause', { numberOfKeys: 1, lua: readScript('pause.lua') });
    this.#redis = redis as Redis & LimitCommands;
    this.#prefix = prefix;
    this.#log = log;
    this.#events = events;
  }

  #key(modelId: number, part: string): string {
    return `${this.#prefix}:limits:model:${modelId}:${part}`;
  }

  async tryAcquire(modelId: number, limits: ModelLimits, wanted: number): Promise<Grant> {
    const localPause = (this.#localPause.get(modelId) ?? 0) - Date.now();
    if (localPause > 0) {
      this.#events.onWait?.(modelId, 'paused');
      return { granted: 0, waitMs: localPause, permits: [] };
    }
    const limited = hasSharedLimits(limits);
    const intervalMs = startIntervalMs(limits);
    try {
      const reply = await this.#withRedis(() =>
        this.#redis.evalqAcquire(
          this.#key(modelId, 'inflight'),
          this.#key(modelId, 'rate'),
          this.#key(modelId, 'pause'),
          this.#key(modelId, 'seq'),
          wanted,
          limits.maxConcurrency ?? 0,
          intervalMs,
          burstFor(intervalMs),
          limits.permitTtlMs,
        ),
      );
      const granted = Number(reply[0]);
      const waitMs = Number(reply[1]);
      if (granted > 0) {
        const rateMark = String(reply[1]);
        return {
          granted,
          waitMs: 0,
          permits: reply.slice(2).map(String),
          ...(rateMark ? { rateMark } : {}),
        };
      }
      const reason = reply[2] === 'rate' || reply[2] === 'concurrency' ? reply[2] : 'paused';
      this.#events.onWait?.(modelId, reason);
      if (reason === 'concurrency') {
        return { granted: 0, waitMs: fullPollMs(), permits: [] };
      }
      return { granted: 0, waitMs: Math.max(1, waitMs), permits: [] };
    } catch (error) {
      this.#warnRedisDown(error);
      if (!limited) return { granted: wanted, waitMs: 0, permits: [] };
      this.#events.onWait?.(modelId, 'redis_down');
      return { granted: 0, waitMs: REDIS_DOWN_WAIT_MS, permits: [] };
    }
  }

  release(modelId: number, permits: readonly string[]): void {
    if (permits.length === 0) return;
    this.#withRedis(() => this.#redis.zrem(this.#key(modelId, 'inflight'), ...permits)).catch(
      (error: unknown) => this.#warnRedisDown(error),
    );
  }

  /** Gives back the concurrency permits and rate slots of permits granted but not used. */
  giveBack(modelId: number, limits: ModelLimits, grant: Grant, used: number): void {
    const unused = grant.granted - used;
    if (unused <= 0) return;
    this.release(modelId, grant.permits.slice(used));
    // A grant carries a mark only under a rate limit.
    const rateMark = grant.rateMark;
    if (rateMark) {
      this.#withRedis(() =>
        this.#redis.evalqRefund(
          this.#key(modelId, 'rate'),
          unused,
          startIntervalMs(limits),
          rateMark,
        ),
      ).catch((error: unknown) => this.#warnRedisDown(error));
    }
  }

  async pause(modelId: number, pauseMs: number): Promise<void> {
    const until = Date.now() + pauseMs;
    if ((this.#localPause.get(modelId) ?? 0) < until) this.#localPause.set(modelId, until);
    try {
      await this.#withRedis(() =>
        this.#redis.evalqPause(this.#key(modelId, 'pause'), Math.max(1, Math.round(pauseMs))),
      );
    } catch (error) {
      this.#warnRedisDown(error);
    }
  }

  async #withRedis<T>(command: () => Promise<T>): Promise<T> {
    if (this.#redis.status !== 'ready')
      throw new Error(`redis connection is ${this.#redis.status}`);
    return withTimeout(
      command(),
      COMMAND_TIMEOUT_MS,
      () => new Error(`redis did not answer within ${COMMAND_TIMEOUT_MS} ms`),
    );
  }

  readonly #warnRedisDown = throttled(REDIS_WARNING_INTERVAL_MS, (error: unknown) =>
    this.#log.warn(
      { err: errorSummary(error) },
      'shared limits unavailable (Redis unreachable): models without limits keep running, models with limits wait',
    ),
  );
}
