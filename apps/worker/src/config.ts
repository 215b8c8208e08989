import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import {
  databaseTargets,
  envInteger,
  parseEnv,
  redisUrlOrNone,
  SECOND,
  workerEnv,
  type WorkerEnv,
} from '@evalq/core';

/**
 * The worker's environment: the common variables (`workerEnv`) plus tuning variables, each with a
 * default that fits a local machine. Parsed once, at the entry point.
 */
export const workerConfigEnv = workerEnv.extend({
  /** Written to predictionstatus.claimed_by and every log line; default host-pid-random. */
  WORKER_ID: z
    .string()
    .regex(/^[A-Za-z0-9_.:@-]{1,100}$/, 'must be 1–100 letters, digits or _ . : @ -')
    .optional(),
  /** Rows taken per claim statement; default min(WORKER_CONCURRENCY, 100). */
  CLAIM_BATCH_SIZE: envInteger(1, 10_000).optional(),
  /** Results stored per finish statement. */
  FINISH_BATCH_SIZE: envInteger(1, 10_000).default(250),
  /**
   * The longest a finished result waits for its batch to fill. Each batch costs a
   * round trip and a transaction on both sides; 100 ms cut PostgreSQL's and the
   * worker's CPU per prediction by a quarter against 10 ms (docs/performance.md).
   */
  FINISH_FLUSH_MS: envInteger(0, 10_000).default(100),
  /** How often the worker re-reads the runnable jobs from PostgreSQL. */
  RECONCILE_INTERVAL_MS: envInteger(100, 3_600_000).default(5_000),
  /** First retry delay of a failed provider call; doubles per retry, with jitter. */
  RETRY_BASE_DELAY_MS: envInteger(1, 600_000).default(500),
  /** Cap of the retry delay (a longer Retry-After still wins). */
  RETRY_MAX_DELAY_MS: envInteger(1, 3_600_000).default(30_000),
  /** Stored predictions regraded per statement (assertions without judges). */
  REGRADE_BATCH_SIZE: envInteger(1, 100_000).default(5_000),
  /** How often a worker looks for regrades to do when it found none. */
  REGRADE_IDLE_MS: envInteger(10, 3_600_000).default(1_000),
  /** PostgreSQL connections this worker may open. */
  DATABASE_POOL_SIZE: envInteger(2, 200).default(10),
  /** How often provider batches are polled and new ones assembled (docs/batch.md). */
  BATCH_POLL_MS: envInteger(50, 3_600_000).default(30_000),
  /** Ollama server for models with source/library ollama and no config.base_url. */
  OLLAMA_HOST: z.string().min(1).optional(),
});

export type WorkerConfigEnv = z.output<typeof workerConfigEnv>;

/** Everything the worker runs with, resolved and frozen. Durations in ms. */
export interface WorkerConfig {
  databaseUrl: string;
  /** DATABASE_URL is a pooler in transaction mode (DATABASE_DIRECT_URL is set). */
  databasePooled: boolean;
  /** For LISTEN (session state): DATABASE_DIRECT_URL, else DATABASE_URL. */
  databaseDirectUrl: string;
  /** Undefined in queue-less mode (REDIS_URL=none): wake-ups and limits through PostgreSQL. */
  redisUrl: string | undefined;
  queuePrefix: string;
  logLevel: WorkerEnv['LOG_LEVEL'];
  workerId: string;
  /** Provider calls in flight at once in this process. */
  concurrency: number;
  /** Rows claimed per statement. */
  claimBatchSize: number;
  /** Claimed rows allowed to wait for a free call slot (models without shared limits only). */
  prefetch: number;
  leaseSeconds: number;
  /** How often held claims are re-stamped: a third of the lease. */
  heartbeatIntervalMs: number;
  /** How often expired claims are handed back: a quarter of the lease, at most 30 s. */
  reclaimIntervalMs: number;
  shutdownGraceMs: number;
  metricsPort: number | undefined;
  finishBatchSize: number;
  finishFlushMs: number;
  reconcileIntervalMs: number;
  regradeBatchSize: number;
  regradeIdleMs: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  poolSize: number;
  batchPollMs: number;
  ollamaHost: string | undefined;
}

/** Parses the worker's environment; a bad variable stops start-up with a ConfigError naming it. */
export function parseWorkerConfig(env: Record<string, string | undefined>): Readonly<WorkerConfig> {
  const e = parseEnv(workerConfigEnv, env);
  const claimBatchSize = e.CLAIM_BATCH_SIZE ?? Math.min(e.WORKER_CONCURRENCY, 100);
  const database = databaseTargets(e);
  return Object.freeze({
    databaseUrl: database.url,
    databasePooled: database.pooled,
    databaseDirectUrl: database.sessionUrl,
    redisUrl: redisUrlOrNone(e.REDIS_URL),
    queuePrefix: e.QUEUE_PREFIX,
    logLevel: e.LOG_LEVEL,
    workerId: e.WORKER_ID ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
    concurrency: e.WORKER_CONCURRENCY,
    claimBatchSize,
    prefetch: claimBatchSize,
    leaseSeconds: e.LEASE_SECONDS,
    heartbeatIntervalMs: Math.floor((e.LEASE_SECONDS * SECOND) / 3),
    reclaimIntervalMs: Math.min(Math.floor((e.LEASE_SECONDS * SECOND) / 4), 30 * SECOND),
    shutdownGraceMs: e.SHUTDOWN_GRACE_SECONDS * SECOND,
    metricsPort: e.METRICS_PORT,
    finishBatchSize: e.FINISH_BATCH_SIZE,
    finishFlushMs: e.FINISH_FLUSH_MS,
    reconcileIntervalMs: e.RECONCILE_INTERVAL_MS,
    regradeBatchSize: e.REGRADE_BATCH_SIZE,
    regradeIdleMs: e.REGRADE_IDLE_MS,
    retryBaseDelayMs: e.RETRY_BASE_DELAY_MS,
    retryMaxDelayMs: e.RETRY_MAX_DELAY_MS,
    poolSize: e.DATABASE_POOL_SIZE,
    batchPollMs: e.BATCH_POLL_MS,
    ollamaHost: e.OLLAMA_HOST,
  });
}
