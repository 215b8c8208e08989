import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import type { Database } from './database.js';

export interface PoolOptions {
  connectionString: string;
  /** Shown in pg_stat_activity, so an operator can tell the API from worker 7. */
  applicationName: string;
  /** Most connections this process opens. */
  max?: number;
  /** How long to wait for a connection (new or from the pool) before failing. */
  connectionTimeoutMs?: number;
  /** Server-side cap on any one statement. */
  statementTimeoutMs?: number;
  /** Server-side cap on a transaction left idle, e.g. by a process that stalled mid-way. */
  idleInTransactionTimeoutMs?: number;
  /** Called when an idle pooled client dies (server restart, pg_terminate_backend). */
  onIdleClientError?: (error: Error) => void;
  /**
   * The URL is a pooler in transaction mode (PgBouncer), which refuses every startup
   * parameter it does not track. Connections then carry only TimeZone and one
   * application_name for all of evalq (so the pooler never has to switch it between
   * clients); the statement and idle-transaction caps are the role's or the pooler's
   * (docs/operations.md, "PgBouncer").
   */
  pooled?: boolean;
}

export const POOL_DEFAULTS = Object.freeze({
  max: 10,
  connectionTimeoutMs: 10_000,
  statementTimeoutMs: 60_000,
  idleInTransactionTimeoutMs: 60_000,
});

/** What pg_stat_activity shows for pooled connections, which every evalq process shares. */
const POOLED_APPLICATION_NAME = 'evalq';

const TIMESTAMP_WITHOUT_TIME_ZONE = 1114;
const INT8 = 20;

/**
 * Every session runs in UTC, and `timestamp` (without time zone) columns are read as
 * UTC. `in_progress_time` is such a column (documented), and both the heartbeat
 * trigger and the reclaim compare it with the session clock, so every session must
 * agree on the zone.
 */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === TIMESTAMP_WITHOUT_TIME_ZONE && format !== 'binary') {
      return (value: string) => new Date(`${value.replace(' ', 'T')}Z`);
    }
    // count(*) and sums arrive as int8; every count evalq reads fits a JS number.
    if (oid === INT8 && format !== 'binary') return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format) as (value: string) => unknown;
  }) as typeof pg.types.getTypeParser,
};

type StartupParameters = Record<string, string>;
const ClientWithStartup = pg.Client as unknown as new (
  config?: pg.ClientConfig,
) => pg.Client & { getStartupConf(): StartupParameters };

/**
 * A client whose sessions run in UTC. node-postgres has no setting for the TimeZone
 * startup parameter, so it is added to the parameters it sends. A startup parameter,
 * not `SET` or `options`: PgBouncer refuses `options`, and a `SET` would stay behind on
 * a server connection that other clients share; TimeZone it tracks per client and
 * applies to whichever server connection serves that client's transaction.
 */
class UtcClient extends ClientWithStartup {
  override getStartupConf(): StartupParameters {
    return { ...super.getStartupConf(), TimeZone: 'UTC' };
  }
}

/** A node-postgres pool with timeouts set on both sides. The caller owns it and ends it. */
export function createPool(options: PoolOptions): pg.Pool {
  const settings = { ...POOL_DEFAULTS, ...stripUndefined(options) };
  const sessionCaps = {
    statement_timeout: settings.statementTimeoutMs,
    idle_in_transaction_session_timeout: settings.idleInTransactionTimeoutMs,
  };
  const pool = new pg.Pool({
    connectionString: settings.connectionString,
    application_name: settings.pooled ? POOLED_APPLICATION_NAME : settings.applicationName,
    max: settings.max,
    connectionTimeoutMillis: settings.connectionTimeoutMs,
    ...(settings.pooled ? {} : sessionCaps),
    Client: UtcClient,
    types,
  });
  // Without a listener, an idle client's error (e.g. the server restarted) would crash
  // the process. The pool drops that client; the next query opens a new connection.
  pool.on('error', (error) => options.onIdleClientError?.(error));
  // A client that is checked out (between a query and its release) has no pool listener:
  // if its server connection dies then (pg_terminate_backend, a restart), the client's
  // 'error' event would crash the process. The failing query reports the error itself,
  // and the pool drops the broken client when it is released.
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  return pool;
}

/** A Kysely handle over an existing pool. Destroying it ends the pool. */
export function createDb(pool: pg.Pool): Kysely<Database> {
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
