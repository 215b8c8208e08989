import { createLogger, EvalqError } from '@evalq/core';
import { parseWorkerConfig } from './config.js';
import { startWorker } from './worker.js';
import { errorSummary } from './error-summary.js';

/**
 * Runs a worker as this process (`npm run worker`, `evalq worker`, the container):
 * reads the environment once, starts, and on SIGTERM or SIGINT stops gracefully and
 * exits 0. A second signal exits at once with 1 (the lease brings unfinished rows back).
 */
export async function runWorkerProcess(env: NodeJS.ProcessEnv = process.env): Promise<never> {
  let config;
  try {
    config = parseWorkerConfig(env);
  } catch (error) {
    if (error instanceof EvalqError) {
      process.stderr.write(`evalq worker: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const log = createLogger({
    name: 'worker',
    level: config.logLevel,
    bindings: { workerId: config.workerId },
  });
  // The log destination is asynchronous: exit once its last lines are written.
  const exit = (code: number): void => log.flush(() => process.exit(code));

  let worker;
  try {
    worker = await startWorker(config, { env, logger: log });
  } catch (error) {
    log.fatal({ err: errorSummary(error) }, 'the worker could not start');
    exit(1);
    return await new Promise<never>(() => undefined);
  }
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals === 1) {
      log.info({ signal }, 'shutdown requested (send it again to exit at once)');
      void worker.stop();
      return;
    }
    log.warn(
      { signal },
      'second signal: exiting now; unfinished claims return to pending after the lease',
    );
    log.flush();
    process.exit(1);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  let failed = false;
  process.on('unhandledRejection', (reason) => {
    log.fatal({ err: errorSummary(reason) }, 'unhandled promise rejection: stopping');
    failed = true;
    void worker.stop();
  });

  await worker.stopped;
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  exit(failed ? 1 : 0);
  return await new Promise<never>(() => undefined);
}
