import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Per-model limits shared by every worker (docs/worker.md, "Limits shared by all workers"): at most
 * `max_concurrency` calls in flight and at most `requests_per_minute` call starts per
 * minute across all workers together, and a pause of the model for everyone when its
 * provider answers 429. `CallLimits` is what the worker's parts use; the factory
 * (worker-parts.ts) chooses the implementation (redis-call-limits.ts today).
 */
export interface CallLimits {
  /** Takes up to `wanted` permits for a model without waiting. */
  tryAcquire(modelId: number, limits: ModelLimits, wanted: number): Promise<Grant>;
  /** Ends calls' concurrency permits. Best effort: a permit that is not removed expires. */
  release(modelId: number, permits: readonly string[]): void;
  /** Gives back permits granted but not used (`used` of `grant.granted` were). */
  giveBack(modelId: number, limits: ModelLimits, grant: Grant, used: number): void;
  /** Pauses a model for every worker (a 429); a shorter pause never cuts a longer one short. */
  pause(modelId: number, pauseMs: number): Promise<void>;
}

/** A model's limits, from its config. */
export interface ModelLimits {
  maxConcurrency: number | undefined;
  requestsPerMinute: number | undefined;
  /** How long a concurrency permit lives when its worker dies holding it. */
  permitTtlMs: number;
}

export interface Grant {
  /** Calls that may start now (0: none). */
  granted: number;
  /** When granted is 0: how long to wait before asking again. */
  waitMs: number;
  /** Concurrency permits to release when each call ends (empty without a concurrency limit). */
  permits: string[];
  /**
   * Where this grant left the model's start schedule (with a rate limit): unused starts
   * are given back only while the schedule is still there, i.e. no start was granted
   * after them (apps/worker/lua/refund.lua).
   */
  rateMark?: string;
}

/** Why a grant was refused (the label of evalq_worker_rate_limit_waits_total). */
export type WaitReason = 'paused' | 'rate' | 'concurrency' | 'redis_down' | 'database_down';

/** What an implementation reports, for the metrics. */
export interface CallLimitsEvents {
  /** A grant was refused: the model waits (rate, concurrency, pause or Redis down). */
  onWait?: (modelId: number, reason: WaitReason) => void;
}

/** Below this spacing, starts may run up to this far ahead of schedule (tiny bursts, fewer round trips). */
const BURST_MS = 100;
/** How long to wait before asking again when every concurrency permit is taken. */
const FULL_POLL_MS = 20;

/** How far ahead of schedule starts spaced `intervalMs` apart may run. */
export function burstFor(intervalMs: number): number {
  return intervalMs > 0 && intervalMs < BURST_MS ? BURST_MS : 0;
}

/** When to ask again after every concurrency permit was taken (with jitter). */
export function fullPollMs(): number {
  return FULL_POLL_MS + Math.random() * FULL_POLL_MS;
}

/**
 * When to ask again after a refused grant: its wait, plus a little random time. Every
 * worker refused the same start is told the same instant; without it they would ask
 * again in the same order each time, and the first (in one process: the first timer
 * set) would take every start of a rate-limited model while the others only ever wait.
 */
export function askAgainInMs(grant: Grant): number {
  return grant.waitMs + Math.random() * Math.min(25, grant.waitMs * 0.05);
}

/** ms between call starts for a requests-per-minute limit (0: none). */
export function startIntervalMs(limits: ModelLimits): number {
  return limits.requestsPerMinute ? 60_000 / limits.requestsPerMinute : 0;
}

/** A 429 without Retry-After pauses the model this long. */
export const DEFAULT_PAUSE_MS = 1_000;

export function hasSharedLimits(limits: ModelLimits): boolean {
  return limits.maxConcurrency !== undefined || limits.requestsPerMinute !== undefined;
}

/** Waits until one permit is granted (for a retry); throws if `signal` aborts first. */
export async function acquireOne(
  callLimits: CallLimits,
  modelId: number,
  limits: ModelLimits,
  signal: AbortSignal,
): Promise<Grant> {
  for (;;) {
    const grant = await callLimits.tryAcquire(modelId, limits, 1);
    if (grant.granted > 0) return grant;
    await sleep(askAgainInMs(grant), undefined, { signal });
  }
}
