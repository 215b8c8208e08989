import { createJobQueue, createRedisConnection } from '@evalq/queue';
import {
  coerceError,
  databaseTargets,
  redisUrlOrNone,
  type ApiEnv,
  type Logger,
} from '@evalq/core';
import { createPool } from '@evalq/db';
import { apiConfigFromEnv, type ApiConfig } from './config.js';
import { assertSafeExposure } from './exposure.js';
import { createApiServer, type ApiServer } from './server.js';

export interface RunningApi {
  server: ApiServer;
  /** Where it listens, e.g. http://127.0.0.1:3000. */
  url: string;
  /** Stops accepting, ends open streams, closes Redis and the pool. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Starts the API from its parsed environment: the pool, Redis, the queue, the server,
 * listening on HOST:PORT. What `npm run api` and `evalq api` run.
 */
export async function startApi(
  env: ApiEnv,
  logger: Logger,
  overrides: Partial<ApiConfig> = {},
): Promise<RunningApi> {
  assertSafeExposure(env.HOST, env.API_TOKEN);
  const database = databaseTargets(env);
  const pool = createPool({
    connectionString: database.url,
    pooled: database.pooled,
    applicationName: 'evalq-api',
    max: 20,
    onIdleClientError: (error) => logger.warn({ err: error }, 'PostgreSQL connection lost'),
  });
  // Queue-less mode (REDIS_URL=none): no Redis at all; PostgreSQL announces launches
  // to the workers itself (docs/local-mode.md).
  const redisUrl = redisUrlOrNone(env.REDIS_URL);
  const redis =
    redisUrl === undefined
      ? undefined
      : createRedisConnection({
          url: redisUrl,
          connectionName: 'evalq-api',
          // Requests must not hang on a dead Redis: fail fast; launches fall back to PostgreSQL.
          maxRetriesPerRequest: 1,
          onError: (error) => logger.warn({ err: error }, 'Redis connection error'),
        });
  const queue = redis && createJobQueue(redis, env.QUEUE_PREFIX);
  queue?.on('error', (error) => logger.warn({ err: coerceError(error) }, 'queue error'));

  let server: ApiServer | undefined;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      const steps = [
        () => server?.close(),
        () => queue?.close(),
        () => redis?.quit(),
        () => pool.end(),
      ];
      for (const step of steps) {
        try {
          await step();
        } catch (error) {
          logger.warn({ err: coerceError(error) }, 'error while stopping the API');
        }
      }
    })();
    return closing;
  };

  try {
    server = await createApiServer({
      pool,
      redis,
      queue,
      logger,
      config: { ...apiConfigFromEnv(env), ...overrides },
    });
    const address = await server.listen({ port: env.PORT, host: env.HOST });
    return { server, url: address, close };
  } catch (error) {
    await close();
    throw error;
  }
}
