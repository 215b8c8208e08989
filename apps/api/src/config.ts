import { SECOND, type ApiEnv } from '@evalq/core';

/** Everything the API server needs to know besides its connections. Frozen at start-up. */
export interface ApiConfig {
  /** When set, /v1 and /metrics require `Authorization: Bearer <token>`. */
  apiToken: string | undefined;
  /** Largest JSON request body (every write route but the rows import). */
  bodyLimitBytes: number;
  /** Largest rows upload (CSV, NDJSON, JSON array); it is streamed, never held in memory. */
  importLimitBytes: number;
  /** Cap on one import transaction, which lasts as long as the upload. */
  importStatementTimeout: string;
  /** How often the shared progress poller reads PostgreSQL while SSE clients listen. */
  eventsPollIntervalMs: number;
  /** How long one read of a job's progress serves every poller of that job (0: no sharing). */
  progressCacheMs: number;
  /** Comment lines that keep idle SSE connections open through proxies. */
  eventsHeartbeatMs: number;
  /** On close, how long requests in flight (an upload, an export) may take to finish before their connections are cut. */
  shutdownGraceMs: number;
  /** How long a launch waits for Redis before it answers anyway (workers reconcile from PostgreSQL). */
  enqueueTimeoutMs: number;
}

export const API_DEFAULTS: Readonly<ApiConfig> = Object.freeze({
  apiToken: undefined,
  bodyLimitBytes: 1024 * 1024,
  importLimitBytes: 4 * 1024 * 1024 * 1024,
  importStatementTimeout: '1h',
  eventsPollIntervalMs: 1 * SECOND,
  eventsHeartbeatMs: 15 * SECOND,
  progressCacheMs: 50,
  enqueueTimeoutMs: 2 * SECOND,
  shutdownGraceMs: 10 * SECOND,
});

/** The API's settings from its parsed environment (README.md, "Configuration"); the rest are defaults. */
export function apiConfigFromEnv(env: ApiEnv): ApiConfig {
  return Object.freeze({ ...API_DEFAULTS, apiToken: env.API_TOKEN });
}

/** Defaults with the given settings on top (settings left undefined keep their default). */
export function resolveApiConfig(overrides: Partial<ApiConfig> = {}): Readonly<ApiConfig> {
  const given = Object.fromEntries(
    Object.entries(overrides).filter(([, value]) => value !== undefined),
  );
  return Object.freeze({ ...API_DEFAULTS, ...given });
}
