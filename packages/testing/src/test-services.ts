import { randomBytes } from 'node:crypto';

/** Where the tests look for PostgreSQL and Redis unless TEST_DATABASE_URL / TEST_REDIS_URL say. */
export const DEFAULT_TEST_SERVER_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
export const DEFAULT_TEST_REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * Set by the global setup for every test file: why Redis cannot be used (unset when it
 * answers), and this run's id, which prefixes every Redis key the run makes.
 */
export const REDIS_DOWN_VARIABLE = 'EVALQ_TEST_REDIS_DOWN';
export const RUN_ID_VARIABLE = 'EVALQ_TEST_RUN';

export function newRunId(): string {
  return randomBytes(3).toString('hex');
}

/** Why the Redis-path tests are skipped in this run, or undefined when Redis answers. */
export function redisUnavailable(): string | undefined {
  return process.env[REDIS_DOWN_VARIABLE] || undefined;
}

/** The key prefix shared by every Redis key of this run (`evalq-t<run>-`). */
export function runKeyPrefix(): string {
  return `evalq-t${process.env[RUN_ID_VARIABLE] ?? 'norun'}-`;
}
