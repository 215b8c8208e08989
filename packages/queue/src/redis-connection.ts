import { Redis, type RedisOptions } from 'ioredis';

export interface RedisConnectionOptions {
  url: string;
  /** Shown in CLIENT LIST, so an operator can tell the API from a worker. */
  connectionName: string;
  /**
   * BullMQ workers and blocking readers need `null` (retry forever, never fail a
   * command because the connection is down). Request/response users such as the API
   * want a bound, so a dead Redis turns into an error instead of a hang.
   */
  maxRetriesPerRequest: number | null;
  onError?: (error: Error) => void;
}

/** An ioredis client with evalq's settings; reconnects with capped backoff for ever. */
export function createRedisConnection(options: RedisConnectionOptions): Redis {
  const settings: RedisOptions = {
    connectionName: options.connectionName,
    maxRetriesPerRequest: options.maxRetriesPerRequest,
    enableReadyCheck: true,
    retryStrategy: (attempt) => Math.min(100 * 2 ** Math.min(attempt, 6), 5_000),
    lazyConnect: false,
  };
  const redis = new Redis(options.url, settings);
  // ioredis emits 'error' on every failed reconnect; without a listener Node would
  // print each one as an unhandled error event.
  redis.on('error', (error: Error) => options.onError?.(error));
  return redis;
}
