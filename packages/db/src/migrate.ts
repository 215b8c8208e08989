import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { sqlState, SQLSTATE } from './postgres-errors.js';
import { MigrationError } from './migration-error.js';
import { appliedChecksumMatches } from './reworded-migrations.js';

/** migrations/ at the repository root, from both src/ and dist/ of this package. */
export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(
  new URL('../../../migrations/', import.meta.url),
);

/** Any constant works; it only has to be the same for every evalq migrator. */
const MIGRATION_LOCK_KEY = 0x65_76_61_6c; // "eval"

const FILE_NAME = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export interface MigrateOptions {
  databaseUrl: string;
  migrationsDir?: string;
  /** Progress lines for a person ("applied 0003_documented_triggers"). */
  log?: (message: string) => void;
}

export interface MigrateResult {
  databaseCreated: boolean;
  applied: string[];
  alreadyApplied: number;
}

interface MigrationFile {
  id: number;
  name: string;
  sql: string;
  checksum: string;
}

/**
 * Brings a database up to date with migrations/: creates the database when missing,
 * then applies every pending file in order, each in its own transaction together with
 * its record in `evalq_migrations`. Safe to run from several processes at once and
 * through a pooler in transaction mode: each transaction takes a transaction-level
 * advisory lock and re-reads what is applied, so no lock outlives its transaction.
 * Idempotent (a second run applies nothing). A file edited after it was applied is
 * refused: migrations are append-only.
 */
export async function migrate(options: MigrateOptions): Promise<MigrateResult> {
  const log = options.log ?? (() => undefined);
  const files = await readMigrationFiles(options.migrationsDir ?? DEFAULT_MIGRATIONS_DIR);
  const databaseCreated = await ensureDatabase(options.databaseUrl, log);

  const client = new pg.Client({
    connectionString: options.databaseUrl,
    application_name: 'evalq-migrate',
    connectionTimeoutMillis: 10_000,
  });
  await connect(client, options.databaseUrl);
  try {
    const applied = await inLockedTransaction(client, async () => {
      await client.query(`
        CREATE TABLE IF NOT EXISTS evalq_migrations (
          id         integer PRIMARY KEY,
          name       text NOT NULL,
          checksum   text NOT NULL,
          applied_at timestamptz NOT NULL DEFAULT now()
        )`);
      return (
        await client.query<AppliedMigration>(
          'SELECT id, name, checksum FROM evalq_migrations ORDER BY id',
        )
      ).rows;
    });
    checkAppliedMatchFiles(applied, files);

    const done = new Set(applied.map((row) => row.id));
    const newlyApplied: string[] = [];
    for (const file of files) {
      if (done.has(file.id)) continue;
      if (await applyOne(client, file, files)) {
        newlyApplied.push(file.name);
        log(`applied ${file.name}`);
      }
    }
    return { databaseCreated, applied: newlyApplied, alreadyApplied: done.size };
  } finally {
    await client.end().catch(() => undefined);
  }
}

interface AppliedMigration {
  id: number;
  name: string;
  checksum: string;
}

/**
 * Runs `work` in a transaction that holds the migration lock until it ends. No statement
 * cap: a migration may rewrite a large table, whatever the role's statement_timeout.
 */
async function inLockedTransaction<T>(client: pg.Client, work: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    await client.query(`SELECT set_config('statement_timeout', '0', true)`);
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    const result = await work();
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

async function readMigrationFiles(dir: string): Promise<MigrationFile[]> {
  const names = (await readdir(dir)).filter((name) => !name.startsWith('.')).sort();
  const files: MigrationFile[] = [];
  for (const fileName of names) {
    const match = FILE_NAME.exec(fileName);
    if (!match) {
      throw new MigrationError(
        'MIGRATION_BAD_NAME',
        `${join(dir, fileName)}: migration files are named NNNN_lower_snake_case.sql (e.g. 0005_add_job_tags.sql)`,
      );
    }
    const id = Number(match[1]);
    if (files.some((file) => file.id === id)) {
      throw new MigrationError(
        'MIGRATION_BAD_NAME',
        `${dir}: two migration files are numbered ${match[1]}`,
      );
    }
    // Line endings are normalised so a checkout with CRLF does not look like an edit.
    const sql = (await readFile(join(dir, fileName), 'utf8')).replace(/\r\n/g, '\n');
    const checksum = createHash('sha256').update(sql).digest('hex');
    files.push({ id, name: fileName.replace(/\.sql$/, ''), sql, checksum });
  }
  return files;
}

function checkAppliedMatchFiles(applied: AppliedMigration[], files: MigrationFile[]): void {
  for (const row of applied) {
    const file = files.find((candidate) => candidate.id === row.id);
    if (!file) {
      throw new MigrationError(
        'MIGRATION_UNKNOWN',
        `The database has migration ${row.name} applied, but migrations/ has no file numbered ${row.id}: ` +
          'this database was migrated by a newer evalq. Run that version, or restore the file.',
      );
    }
    if (!appliedChecksumMatches(file.name, file.checksum, row.checksum)) {
      throw new MigrationError(
        'MIGRATION_EDITED',
        `migrations/${file.name}.sql was edited after it was applied to this database ` +
          `(checksum ${file.checksum.slice(0, 12)}…, applied ${row.checksum.slice(0, 12)}…). ` +
          'Applied migrations are append-only: undo the edit and put the change in a new, higher-numbered file.',
      );
    }
  }
}

/**
 * Applies one file with its record, unless another migrator applied it since this one
 * read the list (checked under the lock). Returns whether this call applied it.
 */
async function applyOne(
  client: pg.Client,
  file: MigrationFile,
  files: MigrationFile[],
): Promise<boolean> {
  try {
    return await inLockedTransaction(client, async () => {
      const existing = await client.query<AppliedMigration>(
        'SELECT id, name, checksum FROM evalq_migrations WHERE id = $1',
        [file.id],
      );
      if (existing.rows.length > 0) {
        checkAppliedMatchFiles(existing.rows, files);
        return false;
      }
      await client.query(file.sql);
      await client.query('INSERT INTO evalq_migrations (id, name, checksum) VALUES ($1, $2, $3)', [
        file.id,
        file.name,
        file.checksum,
      ]);
      return true;
    });
  } catch (error) {
    if (error instanceof MigrationError) throw error;
    throw new MigrationError(
      'MIGRATION_FAILED',
      `migrations/${file.name}.sql failed${describePosition(error, file.sql)}: ${(error as Error).message}. ` +
        'Nothing of it was applied.',
      { cause: error },
    );
  }
}

function describePosition(error: unknown, sql: string): string {
  const position = Number((error as { position?: string }).position);
  if (!Number.isFinite(position) || position <= 0) return '';
  const line = sql.slice(0, position).split('\n').length;
  return ` at line ${line}`;
}

/**
 * Creates the database named in the URL when it does not exist yet. A database that
 * accepts a connection exists: then no maintenance database is needed (a pooler may
 * route only the evalq database).
 */
async function ensureDatabase(
  databaseUrl: string,
  log: (message: string) => void,
): Promise<boolean> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!name) {
    throw new MigrationError(
      'DATABASE_UNREACHABLE',
      `DATABASE_URL names no database: ${redactUrl(databaseUrl)}`,
    );
  }
  if (await connects(databaseUrl)) return false;
  url.pathname = '/postgres';
  const admin = new pg.Client({
    connectionString: url.toString(),
    application_name: 'evalq-migrate',
    connectionTimeoutMillis: 10_000,
  });
  await connect(admin, databaseUrl);
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount) return false;
    try {
      await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      log(`created database ${name}`);
      return true;
    } catch (error) {
      // Another migrator created it between our check and our CREATE: that is fine.
      const state = sqlState(error);
      if (state === SQLSTATE.duplicateDatabase || state === SQLSTATE.uniqueViolation) return false;
      throw new MigrationError(
        'MIGRATION_FAILED',
        `could not create database ${name}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  } finally {
    await admin.end().catch(() => undefined);
  }
}

async function connects(databaseUrl: string): Promise<boolean> {
  const client = new pg.Client({
    connectionString: databaseUrl,
    application_name: 'evalq-migrate',
    connectionTimeoutMillis: 10_000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function connect(client: pg.Client, databaseUrl: string): Promise<void> {
  try {
    await client.connect();
  } catch (error) {
    throw new MigrationError(
      'DATABASE_UNREACHABLE',
      `cannot connect to PostgreSQL at ${redactUrl(databaseUrl)}: ${(error as Error).message}. ` +
        'Is it running? Locally: pg_ctlcluster <version> main start; with containers: docker compose up -d postgres.',
      { cause: error },
    );
  }
}

/** A connection URL with its password blanked, safe for messages and logs. */
export function redactUrl(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '(unparseable URL)';
  }
}
