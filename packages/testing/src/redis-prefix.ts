import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { beforeEach } from 'vitest';
import { DEFAULT_TEST_REDIS_URL, redisUnavailable, runKeyPrefix } from './test-services.js';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? DEFAULT_TEST_REDIS_URL;

/**
 * A QUEUE_PREFIX no other test file uses, so files share one Redis without meeting. It
 * starts with this run's prefix, so the run's teardown finds whatever a file left.
 */
export function uniqueQueuePrefix(label = 'test'): string {
  return `${runKeyPrefix()}${label}-${randomBytes(4).toString('hex')}`;
}

/**
 * Declares that the tests of this file need Redis. Where none answers, each is skipped
 * with the reason (the global setup prints it too; under CI=true it fails the run instead).
 */
export function requireRedis(): void {
  const reason = redisUnavailable();
  if (reason === undefined) return;
  beforeEach((context) => {
    context.skip(`needs Redis: ${reason}`);
  });
}

/** Deletes every key under a prefix (what "flush this installation's Redis" means). */
export function deleteKeysWithPrefix(prefix: string, redisUrl = TEST_REDIS_URL): Promise<number> {
  return deleteKeysMatching(`${prefix}:*`, redisUrl);
}

/** Deletes every key this test run made (under any of its files' prefixes). */
export function deleteRunKeys(redisUrl = TEST_REDIS_URL): Promise<number> {
  return deleteKeysMatching(`${runKeyPrefix()}*`, redisUrl);
}

async function deleteKeysMatching(pattern: string, redisUrl: string): Promise<number> {
  // Nothing was written where Redis was not there (the file's tests were skipped).
  if (redisUnavailable() !== undefined && redisUrl === TEST_REDIS_URL) return 0;
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 3 });
  await redis.connect();
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}
