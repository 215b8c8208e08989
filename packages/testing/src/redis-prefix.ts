import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A QUEUE_PREFIX no other test file uses, so files share one Redis without meeting. */
export function uniqueQueuePrefix(label = 'test'): string {
  return `evalq-${label}-${randomBytes(4).toString('hex')}`;
}

/** Deletes every key under a prefix (what "flush this installation's Redis" means). */
export async function deleteKeysWithPrefix(
  prefix: string,
  redisUrl = TEST_REDIS_URL,
): Promise<number> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 3 });
  await redis.connect();
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}
