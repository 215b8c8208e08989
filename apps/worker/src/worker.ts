import type { WorkerConfig } from './config.js';
import { errorSummary } from './error-summary.js';
import { runStopSteps } from './lifecycle-steps.js';
import type { WorkerMetrics } from './metrics.js';
import { createWorkerParts, type WorkerPartsOptions } from './worker-parts.js';

export type StartWorkerOptions = WorkerPartsOptions;

export interface RunningWorker {
  readonly workerId: string;
  readonly metrics: WorkerMetrics;
  /** The port /metrics, /healthz and /readyz are served on, when METRICS_PORT is set. */
  readonly metricsPort: number | undefined;
  /**
   * Stops: no more claims, calls in flight finish within the shutdown grace (then are
   * abandoned), results are stored, every claim still held goes back to pending, and
   * connections close. Idempotent: every call returns the same promise, which never rejects.
   */
  stop(): Promise<void>;
  /** Settles when the worker has stopped. */
  readonly stopped: Promise<void>;
}

/**
 * Starts a worker in this process: builds its parts (worker-parts.ts) and runs their
 * start steps. Nothing here needs PostgreSQL or Redis to be up: every operation
 * retries, so a worker started before its database waits for it.
 */
export async function startWorker(
  config: WorkerConfig,
  options: StartWorkerOptions,
): Promise<RunningWorker> {
  const parts = createWorkerParts(config, options);
  const { log, dispatcher, held } = parts;
  try {
    for (const step of parts.startSteps) await step.run();
  } catch (error) {
    await runStopSteps(parts.stopSteps, log);
    throw error;
  }
  log.info(
    {
      concurrency: config.concurrency,
      claimBatchSize: config.claimBatchSize,
      leaseSeconds: config.leaseSeconds,
      queuePrefix: config.queuePrefix,
      // Where wake-ups and shared limits go: BullMQ/Redis, or PostgreSQL (queue-less).
      queue: config.redisUrl === undefined ? 'postgres' : 'redis',
      metricsPort: parts.metricsServer?.port,
    },
    'worker ready',
  );

  let stopping: Promise<void> | undefined;
  async function stop(): Promise<void> {
    const began = Date.now();
    log.info(
      { inFlight: dispatcher.calling, held: held.size, graceMs: config.shutdownGraceMs },
      'worker stopping: no more claims; letting calls in flight finish',
    );
    const { facts, failed } = await runStopSteps(parts.stopSteps, log);
    log.info(
      { ...facts, ...(failed.length > 0 && { failedSteps: failed }), tookMs: Date.now() - began },
      'worker stopped',
    );
  }
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((resolve) => {
    resolveStopped = resolve;
  });

  return {
    workerId: config.workerId,
    metrics: parts.metrics,
    metricsPort: parts.metricsServer?.port,
    stopped,
    stop() {
      stopping ??= stop()
        .catch((error: unknown) => log.error({ err: errorSummary(error) }, 'error while stopping'))
        .finally(resolveStopped);
      return stopping;
    },
  };
}
