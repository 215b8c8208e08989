import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import pg from 'pg';
import {
  createDb,
  createPool,
  DEFAULT_MIGRATIONS_DIR,
  migrate,
  sqlState,
  SQLSTATE,
  type Database,
} from '@evalq/db';

/** The server tests run against. Override with TEST_DATABASE_URL (any database on it works). */
export const TEST_SERVER_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const TEST_DB_PREFIX = 'evalq_t_';
const STALE_AFTER_SECONDS = 6 * 3600;

/** A database name on the test server, as a postgres:// URL. */
export function databaseUrl(name: string): string {
  const url = new URL(TEST_SERVER_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * The template every test database is cloned from. Its name carries a hash of
 * migrations/, so editing or adding a migration builds a new template.
 */
export function templateDatabaseName(migrationsDir = DEFAULT_MIGRATIONS_DIR): string {
  const hash = createHash('sha256');
  for (const name of readdirSync(migrationsDir).sort()) {
    hash.update(name).update(readFileSync(join(migrationsDir, name)));
  }
  return `evalq_template_${hash.digest('hex').slice(0, 16)}`;
}

/** Builds the template with `migrate` (the same code `npm run migrate` runs) when missing. */
export async function prepareTemplateDatabase(): Promise<string> {
  const name = templateDatabaseName();
  await migrate({ databaseUrl: databaseUrl(name) });
  await dropStaleTestDatabases();
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
    const { rows } = await admin.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE datname LIKE $1',
      [`${TEST_DB_PREFIX}%`],
    );
    const now = Date.now() / 1000;
    for (const { datname } of rows) {
      const created = Number(datname.slice(TEST_DB_PREFIX.length).split('_')[0]);
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
    connectionString: TEST_SERVER_URL,
    application_name: 'evalq-test-admin',
  });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}
