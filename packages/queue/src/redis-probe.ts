import { Redis } from 'ioredis';

/** What a probe found: Redis answered PING, or why it could not be used. */
export type RedisProbe =
  | { ok: true }
  | {
      ok: false;
      /** True when Redis answered but refused (authentication, a bad database number). */
      answered: boolean;
      reason: string;
    };

/** Whether Redis answers PING at `url`: one attempt, no retries, bounded by `timeoutMs`. */
export async function probeRedis(url: string, timeoutMs = 3000): Promise<RedisProbe> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    connectionName: 'evalq-probe',
    // After a refused connection ioredis would otherwise keep the process alive this long.
    disconnectTimeout: 100,
  });
  // A refused connection rejects connect() with only "Connection is closed."; the
  // socket's own error (ECONNREFUSED, ETIMEDOUT, …) arrives as an 'error' event.
  let socketError: (Error & { code?: string }) | undefined;
  redis.on('error', (error: Error) => {
    socketError ??= error;
  });
  try {
    await redis.connect();
    await redis.ping();
    return { ok: true };
  } catch (error) {
    const { code, message, name } = error as { code?: string; message?: string; name?: string };
    const answered = name === 'ReplyError';
    if (answered) return { ok: false, answered, reason: String(message) };
    const cause = socketError ?? { code, message };
    const reason = cause.code ?? cause.message ?? String(error);
    return {
      ok: false,
      answered,
      reason: /timed? ?out/i.test(reason) ? `no answer within ${timeoutMs / 1000} s` : reason,
    };
  } finally {
    redis.disconnect();
  }
}
