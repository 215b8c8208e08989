import type { DatabaseEnv } from './config-schema.js';

/**
 * Where a process's PostgreSQL connections go. Every statement evalq runs is a single
 * statement or a transaction, so `url` may go through a pooler in transaction mode
 * (PgBouncer); only what needs a session of its own (a LISTEN, creating the database)
 * uses `sessionUrl`.
 */
export interface DatabaseTargets {
  /** DATABASE_URL: the pool's connections. */
  url: string;
  /** DATABASE_DIRECT_URL when set, else DATABASE_URL. */
  sessionUrl: string;
  /**
   * DATABASE_DIRECT_URL is set, which says DATABASE_URL is a transaction pooler: its
   * connections carry only the startup parameters a pooler accepts (createPool).
   */
  pooled: boolean;
}

/** The one place that reads DATABASE_URL and DATABASE_DIRECT_URL together. */
export function databaseTargets(env: DatabaseEnv): DatabaseTargets {
  return Object.freeze({
    url: env.DATABASE_URL,
    sessionUrl: env.DATABASE_DIRECT_URL ?? env.DATABASE_URL,
    pooled: env.DATABASE_DIRECT_URL !== undefined,
  });
}
