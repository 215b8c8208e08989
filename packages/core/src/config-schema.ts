import { z } from 'zod';

/**
 * The environment variables (docs/operations.md) and their defaults, in one place. Each process
 * composes the pieces it needs and parses them once with `parseEnv` at its entry point.
 */

/** An environment variable holding a whole number within [min, max]. */
export const envInteger = (min: number, max: number = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .regex(/^\d+$/, `must be a whole number between ${min} and ${max}`)
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

export const port = envInteger(1, 65535);

const postgresUrl = z
  .string()
  .regex(
    /^postgres(ql)?:\/\//,
    'must be a postgres:// URL, e.g. postgres://postgres@127.0.0.1:5432/evalq',
  );

/** A redis:// URL, or `none` for queue-less mode (docs/local-mode.md). */
const redisUrlOrNoneSetting = z
  .string()
  .regex(
    /^(rediss?:\/\/|none$)/,
    'must be a redis:// URL (e.g. redis://127.0.0.1:6379), or none for queue-less mode',
  );

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/evalq';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** REDIS_URL's value for queue-less mode: no Redis, PostgreSQL does its part (docs/local-mode.md). */
export const NO_REDIS = 'none';

/** The Redis URL to use, or undefined in queue-less mode (`none`, or unset where allowed). */
export function redisUrlOrNone(value: string | undefined): string | undefined {
  return value === undefined || value === NO_REDIS ? undefined : value;
}

export const databaseEnv = z.object({
  DATABASE_URL: postgresUrl.default(DEFAULT_DATABASE_URL),
  /**
   * PostgreSQL itself, for what needs a session of its own (migrate, LISTEN), when
   * DATABASE_URL goes through a transaction pooler such as PgBouncer
   * (docs/operations.md, "PgBouncer").
   */
  DATABASE_DIRECT_URL: postgresUrl.optional(),
});

export const commonEnv = databaseEnv.extend({
  REDIS_URL: redisUrlOrNoneSetting.default(DEFAULT_REDIS_URL),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1–64 letters, digits, "_", "." or "-"')
    .default('evalq'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export const apiEnv = commonEnv.extend({
  PORT: port.default(3000),
  /** Loopback by default; another address also needs API_TOKEN (apps/api/src/exposure.ts). */
  HOST: z.string().min(1).default('127.0.0.1'),
  API_TOKEN: z.string().min(8, 'must be at least 8 characters').optional(),
});

/**
 * What `evalq demo` and `evalq serve` read besides the rest: unset DATABASE_URL and
 * REDIS_URL mean "nothing but Node" (docs/local-mode.md), so they have no default here.
 */
export const localModeEnv = z.object({
  DATABASE_URL: postgresUrl.optional(),
  REDIS_URL: redisUrlOrNoneSetting.optional(),
  /** Where the embedded PostgreSQL keeps its data, relative to the current directory. */
  EVALQ_HOME: z.string().min(1).default('.evalq'),
});

export const workerEnv = commonEnv.extend({
  WORKER_CONCURRENCY: envInteger(1, 10_000).default(32),
  LEASE_SECONDS: envInteger(2, 7 * 24 * 3600).default(300),
  SHUTDOWN_GRACE_SECONDS: envInteger(0, 24 * 3600).default(30),
  METRICS_PORT: port.optional(),
});

export type DatabaseEnv = z.output<typeof databaseEnv>;
export type CommonEnv = z.output<typeof commonEnv>;
export type ApiEnv = z.output<typeof apiEnv>;
export type WorkerEnv = z.output<typeof workerEnv>;
export type LocalModeEnv = z.output<typeof localModeEnv>;
