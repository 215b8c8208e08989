import { coerceError, createLogger, NO_REDIS, type ApiEnv, type Logger } from '@evalq/core';
import { migrate, redactUrl } from '@evalq/db';
import type { z } from 'zod';
import { say } from '../output.js';
import { openLocalDatabase, type LocalDatabase } from '../local/local-database.js';
import type { serveEnv } from './serve-env.js';

export interface ServeOptions {
  workers: number;
}

interface Part {
  name: string;
  stop(): Promise<void>;
}

/**
 * `evalq serve`: the API (with its dashboard) and `workers` workers in this one process,
 * on the database DATABASE_URL names or an embedded one (docs/local-mode.md). SIGTERM or
 * SIGINT stops everything in order: the API stops accepting and the workers hand their
 * claims back, then the embedded PostgreSQL stops. A second signal exits at once.
 */
export async function runServe(
  env: z.output<typeof serveEnv>,
  processEnv: NodeJS.ProcessEnv,
  options: ServeOptions,
): Promise<void> {
  const logger = createLogger({ level: env.LOG_LEVEL, name: 'serve' });
  // Stopped in reverse order of start.
  const parts: Part[] = [];
  let startup: Promise<Started | undefined> = Promise.resolve(undefined);
  let stopping: Promise<void> | undefined;
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
  const stopAll = () => {
    stopping ??= (async () => {
      // A signal during start-up: the part being started finishes starting (none starts
      // after it), so that it is stopped with the others instead of outliving them.
      await startup.catch(() => undefined);
      const [database, ...rest] = parts;
      // The API and the workers stop together; the database last, once its clients are gone.
      await Promise.all(rest.map((part) => stopPart(part, logger)));
      if (database) await stopPart(database, logger);
    })().finally(resolveStopped);
    return stopping;
  };
  const onUnhandled = (reason: unknown) => {
    logger.fatal({ err: coerceError(reason) }, 'unhandled promise rejection: stopping');
    process.exitCode = 1;
    void stopAll();
  };
  process.on('unhandledRejection', onUnhandled);
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: exiting now');
      logger.flush();
      process.exit(1);
    }
    logger.info({ signal }, 'stopping (send it again to exit at once)');
    void stopAll();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    // Before anything starts: an exposed API without a token is refused outright.
    const { assertSafeExposure } = await import('@evalq/api');
    assertSafeExposure(env.HOST, env.API_TOKEN);
    startup = startAll(env, processEnv, options, parts, () => stopping !== undefined);
    const started = await startup;
    if (started) {
      const { database, redisUrl } = started;
      say(
        `evalq serve: API and dashboard on http://${hostForUrl(env.HOST)}:${env.PORT}/ with ${options.workers} ` +
          `worker${options.workers === 1 ? '' : 's'}; ${database.description}; ` +
          `${redisUrl === NO_REDIS ? 'queue-less (no Redis)' : `Redis at ${redactUrl(redisUrl)}`}. Ctrl-C stops it.`,
      );
    }
    await stopped;
    logger.info('stopped');
  } catch (error) {
    await stopAll();
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('unhandledRejection', onUnhandled);
  }
}

interface Started {
  database: LocalDatabase;
  redisUrl: string;
}

/**
 * Starts the database, then the API, then the workers, each added to `parts` as soon as
 * it runs. Returns undefined, having started nothing more, once a stop is requested.
 */
async function startAll(
  env: z.output<typeof serveEnv>,
  processEnv: NodeJS.ProcessEnv,
  options: ServeOptions,
  parts: Part[],
  stopRequested: () => boolean,
): Promise<Started | undefined> {
  const database = await openLocalDatabase(env);
  parts.push({ name: 'PostgreSQL', stop: () => database.close() });
  if (stopRequested()) return undefined;
  await migrate({ databaseUrl: database.url });
  // Unset: queue-less, wake-ups and limits through PostgreSQL (docs/local-mode.md).
  const redisUrl = env.REDIS_URL ?? NO_REDIS;
  const [{ startApi }, { parseWorkerConfig, startWorker }] = await Promise.all([
    import('@evalq/api'),
    import('@evalq/worker'),
  ]);
  if (stopRequested()) return undefined;
  const shared = { ...processEnv, DATABASE_URL: database.url, REDIS_URL: redisUrl };
  const apiSettings: ApiEnv = { ...env, DATABASE_URL: database.url, REDIS_URL: redisUrl };
  const api = await startApi(apiSettings, createLogger({ level: env.LOG_LEVEL, name: 'api' }));
  parts.push({ name: 'the API', stop: () => api.close() });
  for (let i = 1; i <= options.workers; i += 1) {
    if (stopRequested()) return undefined;
    const config = parseWorkerConfig(shared);
    const worker = await startWorker(config, {
      env: processEnv,
      logger: createLogger({
        level: config.logLevel,
        name: 'worker',
        bindings: { workerId: config.workerId },
      }),
    });
    parts.push({ name: `worker ${i}`, stop: () => worker.stop() });
  }
  return stopRequested() ? undefined : { database, redisUrl };
}

async function stopPart(part: Part, logger: Logger): Promise<void> {
  try {
    await part.stop();
  } catch (error) {
    logger.warn({ err: coerceError(error), part: part.name }, 'error while stopping');
  }
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
