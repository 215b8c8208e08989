import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { createDb, createPool, migrate, sqlState, SQLSTATE, type Database } from '@evalq/db';
import { DEFAULT_TEST_SERVER_URL } from './test-services.js';

/**
 * The server tests run against. Override with TEST_DATABASE_URL (any database on it
 * works); where none answers, the global setup starts an embedded one and sets it.
 */
export const TEST_SERVER_URL = testServerUrl();

/** TEST_SERVER_URL as the environment says now (the global setup may change it). */
function testServerUrl(): string {
  return process.env.TEST_DATABASE_URL ?? DEFAULT_TEST_SERVER_URL;
}

const TEST_DB_PREFIX = 'evalq_t_';
/** Templates are per test run: `evalq_tpl_<epoch>_<random>`, dropped by the run's teardown. */
const TEMPLATE_PREFIX = 'evalq_tpl_';
/** Test and template databases older than this were left by a run that was killed. */
const STALE_AFTER_SECONDS = 6 * 3600;
/** Names this run's template for every test file (set by the global setup). */
export const TEMPLATE_VARIABLE = 'EVALQ_TEST_TEMPLATE';

/** A database name on the test server, as a postgres:// URL. */
export function databaseUrl(name: string): string {
  const url = new URL(testServerUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * A new name for this run's template. Each run builds and drops its own, so runs of
 * other checkouts sharing the server (with other migrations, or tearing down at another
 * time) never clone, lock or drop one another's.
 */
export function newTemplateName(): string {
  return `${TEMPLATE_PREFIX}${Math.floor(Date.now() / 1000)}_${randomBytes(4).toString('hex')}`;
}

/** Builds the template with `migrate` (the same code `npm run migrate` runs). */
export async function prepareTemplateDatabase(name: string): Promise<void> {
  await dropStaleTestDatabases();
  await migrate({ databaseUrl: databaseUrl(name) });
}

/** Drops this run's template (the teardown of the global setup). */
export async function dropTemplateDatabase(name: string): Promise<void> {
  await withAdmin((admin) =>
    admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`),
  );
}

function templateDatabaseName(): string {
  const name = process.env[TEMPLATE_VARIABLE];
  if (!name) {
    throw new Error(
      `${TEMPLATE_VARIABLE} is not set: run the tests through vitest (its global setup builds the template)`,
    );
  }
  return name;
}

export interface TestDatabase {
  name: string;
  url: string;
  pool: pg.Pool;
  db: Kysely<Database>;
  /** Runs one statement on a fresh pool connection; returns its rows. */
  query<R extends pg.QueryResultRow = Record<string, unknown>>(
    sql: string,
    params?: unknown[],
  ): Promise<R[]>;
  /** Ends the pool and drops the database (kept when KEEP_TEST_DATABASES=1, for inspection). */
  drop(): Promise<void>;
}

/**
 * A fresh, fully migrated database for one test file, cloned from the template so
 * files run in parallel without sharing state.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const template = templateDatabaseName();
  const name = `${TEST_DB_PREFIX}${Math.floor(Date.now() / 1000)}_${randomBytes(4).toString('hex')}`;
  await withAdmin(async (admin) => {
    // A clone fails while anything is connected to the template (e.g. a concurrent
    // run still migrating it): wait for it rather than fail the file.
    for (let attempt = 0; ; attempt += 1) {
      try {
        await admin.query(
          `CREATE DATABASE ${pg.escapeIdentifier(name)} TEMPLATE ${pg.escapeIdentifier(template)}`,
        );
        return;
      } catch (error) {
        const busy = /being accessed by other users/.test((error as Error).message);
        const missing = sqlState(error) === SQLSTATE.invalidCatalogName;
        if (missing) {
          throw new Error(
            `template database ${template} is missing: run the tests through vitest (its global setup builds it)`,
          );
        }
        if (!busy || attempt >= 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 + attempt * 20));
      }
    }
  });
  const url = databaseUrl(name);
  const pool = createPool({ connectionString: url, applicationName: 'evalq-test', max: 10 });
  const db = createDb(pool);
  let dropped = false;
  return {
    name,
    url,
    pool,
    db,
    async query<R extends pg.QueryResultRow>(sql: string, params?: unknown[]) {
      const result = await pool.query<R>(sql, params);
      return result.rows;
    },
    async drop() {
      if (dropped) return;
      dropped = true;
      await db.destroy(); // ends the pool
      if (process.env.KEEP_TEST_DATABASES === '1') return;
      await withAdmin((admin) =>
        admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`),
      );
    },
  };
}

async function dropStaleTestDatabases(): Promise<void> {
  await withAdmin(async (admin) => {
    const { rows } = await admin.query<{ datname: string; prefix: string }>(
      `SELECT datname, p.prefix FROM pg_database
         JOIN unnest($1::text[]) AS p(prefix) ON starts_with(datname, p.prefix)`,
      [[TEST_DB_PREFIX, TEMPLATE_PREFIX]],
    );
    const now = Date.now() / 1000;
    for (const { datname, prefix } of rows) {
      const created = Number(datname.slice(prefix.length).split('_')[0]);
      if (Number.isFinite(created) && now - created > STALE_AFTER_SECONDS) {
        await admin
          .query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(datname)} WITH (FORCE)`)
          .catch(() => undefined);
      }
    }
  });
}

async function withAdmin<T>(work: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({
    connectionString: testServerUrl(),
    application_name: 'evalq-test-admin',
  });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}
