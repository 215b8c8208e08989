import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { coerceError, ConfigError, createLogger, throttled, type Logger } from '@evalq/core';
import { createDb, createPool, releaseClaims, type HeldClaim } from '@evalq/db';
import type { Environment } from '@evalq/providers';
import { createRedisConnection } from '@evalq/queue';
import { ClaimLoop } from './claim-loop.js';
import type { WorkerConfig } from './config.js';
import { dbBackoffMs } from './db-backoff.js';
import { JobDiscovery } from './discovery.js';
import { FinishBuffer } from './finish-buffer.js';
import { JobCatalog } from './job-catalog.js';
import { JobRotation } from './job-rotation.js';
import { LeaseKeeper } from './lease-keeper.js';
import { REDIS_WARNING_INTERVAL_MS } from './redis-warnings.js';
import { SharedLimits } from './limits/shared-limits.js';
import { startMetricsServer, type MetricsServer } from './metrics-server.js';
import { createWorkerMetrics, type WorkerMetrics } from './metrics.js';
import { RowDispatcher } from './row-dispatcher.js';
import { WakeSignal } from './wake-signal.js';
import { errorSummary } from './error-summary.js';

export interface StartWorkerOptions {
  /** Where API keys are read at call time (process.env for a real worker). */
  env: Environment;
  logger?: Logger;
}

export interface RunningWorker {
  readonly workerId: string;
  readonly metrics: WorkerMetrics;
  /** The port /metrics, /healthz and /readyz are served on, when METRICS_PORT is set. */
  readonly metricsPort: number | undefined;
  /**
   * Stops: no more claims, calls in flight finish within the shutdown grace (then are
   * abandoned), results are stored, every claim still held goes back to pending, and
   * connections close. Idempotent: every call returns the same promise.
   */
  stop(): Promise<void>;
  /** Settles when the worker has stopped. */
  readonly stopped: Promise<void>;
}

/** After the grace: how long storing results and handing claims back may still take. */
const FINAL_WRITE_BUDGET_MS = 10_000;

/**
 * Starts a worker in this process. Nothing here needs PostgreSQL or Redis to be up:
 * every operation retries, so a worker started before its database waits for it.
 */
export async function startWorker(
  config: WorkerConfig,
  options: StartWorkerOptions,
): Promise<RunningWorker> {
  const log =
    options.logger ??
    createLogger({
      name: 'worker',
      level: config.logLevel,
      bindings: { workerId: config.workerId },
    });
  const metrics = createWorkerMetrics();

  const pool = createPool({
    connectionString: config.databaseUrl,
    applicationName: `evalq-worker ${config.workerId}`.slice(0, 63),
    max: config.poolSize,
    onIdleClientError: (error) =>
      log.warn(
        { err: errorSummary(error) },
        'an idle PostgreSQL connection was closed; it will be replaced',
      ),
  });
  const db = createDb(pool);
  const redis = createRedisConnection({
    url: config.redisUrl,
    connectionName: `evalq-worker-limits-${config.workerId}`.slice(0, 120),
    maxRetriesPerRequest: 1,
    onError: throttled(REDIS_WARNING_INTERVAL_MS, (error: Error) =>
      log.warn({ err: errorSummary(error) }, 'redis connection error (reconnecting)'),
    ),
  });

  const wake = new WakeSignal();
  const hardStop = new AbortController();
  // Every call in flight listens to it.
  setMaxListeners(0, hardStop.signal);
  const limits = new SharedLimits(redis, config.queuePrefix, log, {
    onWait: (modelId, reason) => metrics.rateLimitWaits.inc({ model_id: String(modelId), reason }),
  });
  const rotation = new JobRotation();
  const catalog = new JobCatalog(db, { env: options.env, ollamaHost: config.ollamaHost }, log);
  const dispatcher = new RowDispatcher({
    concurrency: config.concurrency,
    prefetch: config.prefetch,
    finishBatchSize: config.finishBatchSize,
    limits,
    metrics,
    wake,
    log,
    callDeps: {
      limits,
      metrics,
      retryBaseDelayMs: config.retryBaseDelayMs,
      retryMaxDelayMs: config.retryMaxDelayMs,
      signal: hardStop.signal,
    },
  });
  const finish = new FinishBuffer({
    db,
    workerId: config.workerId,
    batchSize: config.finishBatchSize,
    flushMs: config.finishFlushMs,
    metrics,
    log,
    onSettled: (rows, result) => dispatcher.settle(rows, result),
  });
  dispatcher.connect(finish);
  const discovery = new JobDiscovery({
    db,
    redisUrl: config.redisUrl,
    queuePrefix: config.queuePrefix,
    workerId: config.workerId,
    reconcileIntervalMs: config.reconcileIntervalMs,
    rotation,
    catalog,
    wake,
    metrics,
    log,
  });
  const leases = new LeaseKeeper({
    db,
    workerId: config.workerId,
    leaseSeconds: config.leaseSeconds,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    reclaimIntervalMs: config.reclaimIntervalMs,
    heldClaims: () => dispatcher.heldClaims(),
    onReclaimed: (jobs) => {
      for (const job of jobs) discovery.hint(job, 'reclaim');
    },
    metrics,
    log,
  });
  const claims = new ClaimLoop({
    db,
    workerId: config.workerId,
    batchSize: config.claimBatchSize,
    rotation,
    catalog,
    limits,
    dispatcher,
    wake,
    metrics,
    log,
    requestReconcile: (reason) => discovery.requestReconcile(reason),
  });

  let metricsServer: MetricsServer | undefined;
  if (config.metricsPort !== undefined) {
    try {
      metricsServer = await startMetricsServer({
        port: config.metricsPort,
        registry: metrics.registry,
        log,
        readiness: [
          { name: 'postgres', check: async () => void (await pool.query('SELECT 1')) },
          {
            name: 'redis',
            check: async () => {
              if (redis.status !== 'ready') throw new Error(`connection is ${redis.status}`);
              await redis.ping();
            },
          },
        ],
      });
    } catch (error) {
      redis.disconnect();
      await db.destroy();
      throw new ConfigError(
        `METRICS_PORT: cannot serve metrics on port ${config.metricsPort} (${coerceError(error).message}); choose a free port or unset it`,
        { cause: error },
      );
    }
  }

  discovery.start();
  leases.start();
  claims.start();
  log.info(
    {
      concurrency: config.concurrency,
      claimBatchSize: config.claimBatchSize,
      leaseSeconds: config.leaseSeconds,
      queuePrefix: config.queuePrefix,
      metricsPort: metricsServer?.port,
    },
    'worker ready',
  );

  let resolveStopped!: () => void;
  const stopped = new Promise<void>((resolve) => {
    resolveStopped = resolve;
  });
  let stopping: Promise<void> | undefined;

  async function shutdown(): Promise<void> {
    const began = Date.now();
    log.info(
      { inFlight: dispatcher.calling, held: dispatcher.held, graceMs: config.shutdownGraceMs },
      'worker stopping: no more claims; letting calls in flight finish',
    );
    const closingQueue = discovery.close();
    await claims.stop();
    const notStarted = dispatcher.stopAccepting();

    const grace = setTimeout(() => {
      log.warn(
        { inFlight: dispatcher.calling },
        'shutdown grace over: abandoning calls still in flight',
      );
      hardStop.abort();
    }, config.shutdownGraceMs);
    await dispatcher.drain();
    clearTimeout(grace);

    const deadline = Date.now() + FINAL_WRITE_BUDGET_MS;
    await finish.drain(deadline);
    await leases.stop();
    const released = await releaseWithRetry(dispatcher.heldClaims(), deadline);
    metrics.rowsReleased.inc(released);

    await closingQueue;
    await metricsServer?.close();
    redis.disconnect();
    await db.destroy();
    log.info(
      { releasedToPending: released, notStarted, tookMs: Date.now() - began },
      'worker stopped',
    );
  }

  async function releaseWithRetry(held: HeldClaim[], deadline: number): Promise<number> {
    if (held.length === 0) return 0;
    for (let failures = 0; ;) {
      try {
        return await releaseClaims(db, config.workerId, held);
      } catch (error) {
        failures += 1;
        const delay = dbBackoffMs(failures);
        if (Date.now() + delay > deadline) {
          log.error(
            { err: errorSummary(error), rows: held.length },
            'could not hand claims back: they return to pending after the lease',
          );
          return 0;
        }
        await sleep(delay);
      }
    }
  }

  return {
    workerId: config.workerId,
    metrics,
    metricsPort: metricsServer?.port,
    stopped,
    stop() {
      stopping ??= shutdown()
        .catch((error: unknown) => log.error({ err: errorSummary(error) }, 'error while stopping'))
        .finally(resolveStopped);
      return stopping;
    },
  };
}
