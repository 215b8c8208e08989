import { probeDatabaseServer, redactUrl } from '@evalq/db';
import { probeRedis } from '@evalq/queue';

/**
 * Checks that the PostgreSQL and Redis named by DATABASE_URL and REDIS_URL answer before
 * the demo starts anything; one left undefined is not contacted at all. Returns what a
 * person should read when they do not: which one, why, and how to start it.
 */
export async function checkServices(
  databaseUrl: string | undefined,
  redisUrl: string | undefined,
): Promise<string[]> {
  const ok = { ok: true } as const;
  const [database, redis] = await Promise.all([
    databaseUrl === undefined ? ok : probeDatabaseServer(databaseUrl),
    redisUrl === undefined ? ok : probeRedis(redisUrl),
  ]);
  const problems: string[] = [];
  if (!database.ok && databaseUrl !== undefined) {
    const where = redactUrl(databaseUrl);
    problems.push(
      database.answered
        ? `PostgreSQL at ${where} refused the connection (${database.reason}): fix DATABASE_URL.`
        : [
            `PostgreSQL does not answer at ${where} (${database.reason}).`,
            'Start it, point DATABASE_URL at a running server, or unset it to use an embedded one:',
            '  pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start    # Debian/Ubuntu, as root',
            '  docker run -d --name evalq-postgres -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres:15',
          ].join('\n'),
    );
  }
  if (!redis.ok && redisUrl !== undefined) {
    const where = redactUrl(redisUrl);
    problems.push(
      redis.answered
        ? `Redis at ${where} refused the connection (${redis.reason}): fix REDIS_URL.`
        : [
            `Redis does not answer at ${where} (${redis.reason}).`,
            'Start it, or point REDIS_URL at a running server:',
            '  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no',
            '  docker run -d --name evalq-redis -p 6379:6379 redis:7',
          ].join('\n'),
    );
  }
  return problems;
}
