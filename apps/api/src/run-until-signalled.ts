import { coerceError, type ApiEnv, type Logger } from '@evalq/core';
import { startApi, type RunningApi } from './start-api.js';

/**
 * Runs the API until SIGINT or SIGTERM, then stops it in order (stop accepting, end
 * SSE streams, close Redis and PostgreSQL) and lets the process exit. A second
 * signal exits at once.
 */
export async function runApiUntilSignalled(env: ApiEnv, logger: Logger): Promise<RunningApi> {
  const api = await startApi(env, logger);
  logger.info({ url: api.url, auth: env.API_TOKEN ? 'bearer' : 'none' }, 'API listening');
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'stopping the API');
    api.close().then(
      () => logger.info('API stopped'),
      (error: unknown) => {
        logger.error({ err: coerceError(error) }, 'API did not stop cleanly');
        process.exitCode = 1;
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return api;
}
