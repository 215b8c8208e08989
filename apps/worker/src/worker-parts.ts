import {
  coerceError,
  ConfigError,
  createLogger,
  SECOND,
  throttled,
  type Logger,
} from '@evalq/core';
import { createDb, createPool } from '@evalq/db';
import { warmUpModelClients, type Environment } from '@evalq/providers';
import { createRedisConnection } from '@evalq/queue';
import { BothWakeups } from './both-wakeups.js';
import { BatchLoop } from './batch/batch-loop.js';
import { createBatchMetrics } from './batch/batch-metrics.js';
import { lookAhead } from './cache-look-ahead.js';
import { ClaimLoop } from './claim-loop.js';
import type { WorkerConfig } from './config.js';
import { JobDiscovery } from './discovery.js';
import { errorSummary } from './error-summary.js';
import { FinishBuffer } from './finish-buffer.js';
import { HeldClaims } from './held-claims.js';
import { JobCatalog } from './job-catalog.js';
import { JobRotation } from './job-rotation.js';
import type { JobWakeups } from './job-wakeups.js';
import { LeaseKeeper } from './lease-keeper.js';
import type { StartStep, StopStep } from './lifecycle-steps.js';
import type { CallLimits, CallLimitsEvents } from './limits/call-limits.js';
import { PostgresCallLimits } from './limits/postgres-call-limits.js';
import { RedisCallLimits } from './limits/redis-call-limits.js';
import { MetricsServer, type ReadinessCheck } from './metrics-server.js';
import { createWorkerMetrics, type WorkerMetrics } from './metrics.js';
import { NotifyWakeups } from './notify-wakeups.js';
import { QueueWakeups } from './queue-wakeups.js';
import { REDIS_WARNING_INTERVAL_MS } from './redis-warnings.js';
import { createJudgeCall } from './judge-call.js';
import type { ModelCallDeps } from './model-call.js';
import { RegradeLoop } from './regrade-loop.js';
import { ResponseCache } from './response-cache.js';
import { callRow, type RowCallDeps } from './row-call.js';
import { RowDispatcher } from './row-dispatcher.js';
import { WakeSignal } from './wake-signal.js';

export interface WorkerPartsOptions {
  /** Where API keys are read at call time (process.env for a real worker). */
  env: Environment;
  logger?: Logger;
}

/** A built worker: what startWorker reports on, and the steps that start and stop it. */
export interface WorkerParts {
  readonly log: Logger;
  readonly metrics: WorkerMetrics;
  readonly dispatcher: RowDispatcher;
  readonly held: HeldClaims;
  readonly metricsServer: MetricsServer | undefined;
  /** Run in order by startWorker; the first failure stops the worker and is thrown. */
  readonly startSteps: readonly StartStep[];
  /** Run in order by stop(), each to its end or time limit (lifecycle-steps.ts). */
  readonly stopSteps: readonly StopStep[];
}

/** After the grace: how long storing results and handing claims back may still take. */
const FINAL_WRITE_BUDGET_MS = 10 * SECOND;
/** After the grace: a moment for the calls it aborted to end. */
const ABORTED_CALLS_MS = 5 * SECOND;

/**
 * The longest stop() takes after SIGTERM: the grace, the aborted calls ending, the final
 * writes. A supervisor must wait longer before SIGKILL (terminationGracePeriodSeconds
 * in deploy/kubernetes/base/worker.yaml).
 */
export function longestStopMs(shutdownGraceMs: number): number {
  return shutdownGraceMs + ABORTED_CALLS_MS + FINAL_WRITE_BUDGET_MS;
}

/**
 * The one place the worker's parts are built and wired (docs/worker.md, "Parts"). A
 * part gets what it uses as constructor arguments and callbacks, never another part's
 * internals. To add a part: build it here, and give it a line in `startSteps` (if it
 * runs on its own) and in `stopSteps` (where, in the order, it must stop). Nothing here
 * connects yet: start-up needs neither PostgreSQL nor Redis to be up.
 */
export function createWorkerParts(config: WorkerConfig, options: WorkerPartsOptions): WorkerParts {
  const log =
    options.logger ??
    createLogger({
      name: 'worker',
      level: config.logLevel,
      bindings: { workerId: config.workerId },
    });
  const metrics = createWorkerMetrics();
  const wake = new WakeSignal();

  const pool = createPool({
    connectionString: config.databaseUrl,
    pooled: config.databasePooled,
    applicationName: `evalq-worker ${config.workerId}`.slice(0, 63),
    max: config.poolSize,
    onIdleClientError: (error) =>
      log.warn(
        { err: errorSummary(error) },
        'an idle PostgreSQL connection was closed; it will be replaced',
      ),
  });
  const db = createDb(pool);

  // Shared limits and wake-ups: through Redis (BullMQ), or through PostgreSQL in
  // queue-less mode (REDIS_URL=none, docs/local-mode.md).
  const onWait: CallLimitsEvents['onWait'] = (modelId, reason) =>
    metrics.rateLimitWaits.inc({ model_id: String(modelId), reason });
  const redis =
    config.redisUrl === undefined
      ? undefined
      : createRedisConnection({
          url: config.redisUrl,
          connectionName: `evalq-worker-limits-${config.workerId}`.slice(0, 120),
          maxRetriesPerRequest: 1,
          onError: throttled(REDIS_WARNING_INTERVAL_MS, (error: Error) =>
            log.warn({ err: errorSummary(error) }, 'redis connection error (reconnecting)'),
          ),
        });
  const limits: CallLimits = redis
    ? new RedisCallLimits(redis, config.queuePrefix, log, { onWait })
    : new PostgresCallLimits(db, log, { onWait });
  // Queue-less: PostgreSQL's announcements. With Redis: the queue's events, and the
  // announcements too when the worker reaches PostgreSQL directly (heard at the launch's
  // commit, before the API answers); behind a transaction pooler a LISTEN connection per
  // worker would cost the fleet its connection budget, so the queue alone wakes it.
  const notifyWakeups = () =>
    new NotifyWakeups({ databaseUrl: config.databaseDirectUrl, workerId: config.workerId, log });
  const sourceWakeups: JobWakeups =
    config.redisUrl === undefined
      ? notifyWakeups()
      : new BothWakeups([
          new QueueWakeups({
            redisUrl: config.redisUrl,
            queuePrefix: config.queuePrefix,
            workerId: config.workerId,
            log,
          }),
          ...(config.databasePooled ? [] : [notifyWakeups()]),
        ]);
  // A hint (a launch, a regrade request) also wakes the regrade loop.
  const regradeWake = new WakeSignal();
  const wakeups: JobWakeups = {
    start: (hint) =>
      sourceWakeups.start((key, source) => {
        regradeWake.notify();
        hint(key, source);
      }),
    close: () => sourceWakeups.close(),
  };

  const rotation = new JobRotation();
  const catalog = new JobCatalog(db, { env: options.env, ollamaHost: config.ollamaHost }, log);
  const held = new HeldClaims(metrics, log);
  const finish = new FinishBuffer({
    db,
    workerId: config.workerId,
    batchSize: config.finishBatchSize,
    flushMs: config.finishFlushMs,
    metrics,
    log,
    onSettled: (rows, result) => {
      held.settle(rows, result);
      // Stored results make room for claims (see RowDispatcher.room).
      wake.notify();
    },
  });
  // Every model call, candidate or judge, is made with these (model-call.ts).
  const callDeps = (signal: AbortSignal): ModelCallDeps => ({
    limits,
    metrics,
    retryBaseDelayMs: config.retryBaseDelayMs,
    retryMaxDelayMs: config.retryMaxDelayMs,
    signal,
  });
  const judgeModel = (modelId: number) => catalog.model(modelId);
  const responseCache = new ResponseCache(db, log);
  // The dispatcher passes the same signal to every call: its dependencies are built once.
  const rowDeps = new WeakMap<AbortSignal, RowCallDeps>();
  const rowDepsFor = (signal: AbortSignal): RowCallDeps => {
    let deps = rowDeps.get(signal);
    if (!deps) {
      const modelDeps = callDeps(signal);
      deps = {
        ...modelDeps,
        judge: (log) => createJudgeCall(judgeModel, modelDeps, log),
        cache: responseCache,
      };
      rowDeps.set(signal, deps);
    }
    return deps;
  };
  const dispatcher = new RowDispatcher({
    concurrency: config.concurrency,
    prefetch: config.prefetch,
    callRow: (work, signal) => callRow(work, rowDepsFor(signal)),
    beforeQueue: (works) => lookAhead(works, responseCache),
    results: finish,
    held,
    limits,
    metrics,
    wake,
    log,
  });
  const discovery = new JobDiscovery({
    db,
    wakeups,
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
    heldClaims: () => held.list(),
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

  // Rows of batch-dispatch models go through provider batches (docs/batch.md); the rows a
  // batch hands back (error lines, an expired batch) are called online by the dispatcher.
  const stopBatches = new AbortController();
  const batches = new BatchLoop({
    db,
    workerId: config.workerId,
    catalog,
    judge: createJudgeCall(judgeModel, callDeps(stopBatches.signal), log),
    callOnline: (works) => dispatcher.accept(works),
    pollSeconds: config.batchPollMs / 1000,
    metrics: createBatchMetrics(metrics.registry),
    spend: (modelId, usd) => metrics.cost.spend.inc({ model_id: String(modelId) }, usd),
    pollMs: config.batchPollMs,
    leaseSeconds: config.leaseSeconds,
    log: log.child({ part: 'batches' }),
  });

  const stopRegrading = new AbortController();
  const regrades = new RegradeLoop({
    db,
    batchSize: config.regradeBatchSize,
    judgeBatchSize: config.concurrency,
    leaseSeconds: config.leaseSeconds,
    idleMs: config.regradeIdleMs,
    wake: regradeWake,
    judge: createJudgeCall(judgeModel, callDeps(stopRegrading.signal), log),
    signal: stopRegrading.signal,
    metrics,
    log,
  });

  const readiness: ReadinessCheck[] = [
    { name: 'postgres', check: async () => void (await pool.query('SELECT 1')) },
  ];
  if (redis) {
    readiness.push({
      name: 'redis',
      check: async () => {
        if (redis.status !== 'ready') throw new Error(`connection is ${redis.status}`);
        await redis.ping();
      },
    });
  }
  const metricsServer =
    config.metricsPort === undefined
      ? undefined
      : new MetricsServer({ port: config.metricsPort, registry: metrics.registry, readiness, log });

  const startSteps: StartStep[] = [
    {
      name: 'metrics server',
      run: async () => {
        try {
          await metricsServer?.listen();
        } catch (error) {
          throw new ConfigError(
            `METRICS_PORT: cannot serve metrics on port ${config.metricsPort} (${coerceError(error).message}); choose a free port or unset it`,
            { cause: error },
          );
        }
      },
    },
    // Before the first job, not during it (the first calls would wait for it).
    {
      name: 'model clients: warm up',
      run: () =>
        warmUpModelClients().catch((error: unknown) =>
          log.warn({ err: errorSummary(error) }, 'warming up the model clients failed'),
        ),
    },
    { name: 'discovery', run: () => discovery.start() },
    { name: 'lease keeper', run: () => leases.start() },
    { name: 'claim loop', run: () => claims.start() },
    { name: 'regrade loop', run: () => regrades.start() },
    { name: 'batch loop', run: () => batches.start() },
  ];

  // Set when the results start being stored: that and handing claims back share it.
  let finalWritesDeadline = Number.POSITIVE_INFINITY;
  const stopSteps: StopStep[] = [
    // Closing the queue connections may take a while: it runs during the next steps.
    { name: 'discovery: stop finding jobs', run: () => discovery.beginClose() },
    { name: 'claim loop', run: () => claims.stop() },
    {
      name: 'batch loop: finish the step in progress',
      run: async () => {
        // Judge calls grading an ingest go on through the grace, as calls in flight do.
        const grace = setTimeout(() => stopBatches.abort(), config.shutdownGraceMs);
        try {
          await batches.stop();
        } finally {
          clearTimeout(grace);
        }
      },
      timeoutMs: config.shutdownGraceMs + 5 * SECOND,
    },
    {
      name: 'regrade loop: finish the batch in progress',
      run: () => {
        stopRegrading.abort();
        return regrades.stop();
      },
      timeoutMs: config.shutdownGraceMs + 5 * SECOND,
    },
    {
      name: 'dispatcher: start no more calls',
      run: () => ({ notStarted: dispatcher.stopAccepting() }),
    },
    {
      name: 'dispatcher: let calls in flight finish',
      run: () => dispatcher.finishCalls(config.shutdownGraceMs),
      timeoutMs: config.shutdownGraceMs + ABORTED_CALLS_MS,
    },
    {
      name: 'finish buffer: store results',
      run: () => {
        finalWritesDeadline = Date.now() + FINAL_WRITE_BUDGET_MS;
        return finish.drain(finalWritesDeadline);
      },
      timeoutMs: FINAL_WRITE_BUDGET_MS + 5 * SECOND,
    },
    { name: 'response cache: store answers', run: () => responseCache.close() },
    { name: 'lease keeper: stop', run: () => leases.stop() },
    {
      name: 'lease keeper: hand claims back',
      run: async () => ({ releasedToPending: await leases.handBack(finalWritesDeadline) }),
      timeoutMs: FINAL_WRITE_BUDGET_MS + 5 * SECOND,
    },
    { name: 'discovery: close', run: () => discovery.close() },
    { name: 'metrics server', run: () => metricsServer?.close() },
    { name: 'redis', run: () => redis?.disconnect() },
    { name: 'postgres pool', run: () => db.destroy() },
  ];

  return { log, metrics, dispatcher, held, metricsServer, startSteps, stopSteps };
}
