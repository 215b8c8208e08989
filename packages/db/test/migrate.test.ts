import { readdirSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_MIGRATIONS_DIR, migrate, MigrationError } from '@evalq/db';
import { databaseUrl, TEST_SERVER_URL } from '@evalq/testing';

// These tests migrate databases of their own from nothing (not the template), because
// creating the database and applying every file is what is under test.

// Every migration of the repository, in order, so adding one does not break these tests.
const MIGRATIONS = readdirSync(DEFAULT_MIGRATIONS_DIR)
  .filter((file) => file.endsWith('.sql'))
  .sort()
  .map((file) => file.replace(/\.sql$/, ''));

const created: string[] = [];
const tempDirs: string[] = [];

function freshDatabaseName(): string {
  const name = `evalq_t_${Math.floor(Date.now() / 1000)}_m${randomBytes(3).toString('hex')}`;
  created.push(name);
  return name;
}

async function copyOfMigrations(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'evalq-migrations-'));
  tempDirs.push(dir);
  await cp(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
  return dir;
}

async function query<R extends pg.QueryResultRow>(
  name: string,
  sql: string,
  params: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: databaseUrl(name) });
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

afterAll(async () => {
  const admin = new pg.Client({ connectionString: TEST_SERVER_URL });
  await admin.connect();
  for (const name of created) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true });
});

describe('npm run migrate', () => {
  it('creates a missing database, applies every file, and a second run changes nothing', async () => {
    const name = freshDatabaseName();
    const first = await migrate({ databaseUrl: databaseUrl(name) });
    expect(first.databaseCreated).toBe(true);
    expect(first.applied).toEqual(MIGRATIONS);
    expect(first.applied.slice(0, 4)).toEqual([
      '0001_documented_tables',
      '0002_evalq_columns_and_keys',
      '0003_documented_triggers',
      '0004_job_status_log',
    ]);

    const schemaBefore = await query(name, SCHEMA_FINGERPRINT);
    const second = await migrate({ databaseUrl: databaseUrl(name) });
    expect(second).toEqual({
      databaseCreated: false,
      applied: [],
      alreadyApplied: first.applied.length,
    });
    expect(await query(name, SCHEMA_FINGERPRINT)).toEqual(schemaBefore);
  });

  it('is safe when several processes migrate the same new database at once', async () => {
    const name = freshDatabaseName();
    const results = await Promise.all(
      Array.from({ length: 6 }, () => migrate({ databaseUrl: databaseUrl(name) })),
    );
    // Every file applied exactly once, by whichever migrator got there first.
    const appliedCounts = new Map<string, number>();
    for (const result of results) {
      for (const file of result.applied)
        appliedCounts.set(file, (appliedCounts.get(file) ?? 0) + 1);
    }
    expect([...appliedCounts.values()].every((n) => n === 1)).toBe(true);
    expect(appliedCounts.size).toBe(MIGRATIONS.length);
    expect(results.filter((r) => r.databaseCreated).length).toBeLessThanOrEqual(1);
    const recorded = await query<{ n: number }>(
      name,
      'SELECT count(*)::int AS n FROM evalq_migrations',
    );
    expect(recorded[0]?.n).toBe(MIGRATIONS.length);
  });

  it('refuses a migration file edited after it was applied, naming it', async () => {
    const dir = await copyOfMigrations();
    const name = freshDatabaseName();
    await migrate({ databaseUrl: databaseUrl(name), migrationsDir: dir });
    const file = join(dir, '0002_evalq_columns_and_keys.sql');
    await writeFile(file, `${await readFile(file, 'utf8')}\n-- an innocent-looking edit\n`);

    const error = await migrate({ databaseUrl: databaseUrl(name), migrationsDir: dir }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as MigrationError).code).toBe('MIGRATION_EDITED');
    expect((error as Error).message).toMatch(/0002_evalq_columns_and_keys\.sql was edited/);
  });

  it('accepts a database migrated before the comments of 0001–0003 were reworded, and nothing else', async () => {
    const name = freshDatabaseName();
    await migrate({ databaseUrl: databaseUrl(name) });
    // The checksums an earlier evalq stored for these files (their statements are unchanged).
    const earlier: Record<string, string> = {
      '0001_documented_tables': '335153e118a5c38aa159e3719bb01626b1ada3b035b163339739dc3a5af65d2a',
      '0002_evalq_columns_and_keys':
        'a81e246d542049363efc1899476b9eb11a1b8adf4992d42996d0fd24d27ced6f',
      '0003_documented_triggers':
        'f87cde54806143e436a86aa540d69c0c0ef5eeb05a7c9edbf9a646bd2d769d8e',
    };
    for (const [file, checksum] of Object.entries(earlier)) {
      await query(name, 'UPDATE evalq_migrations SET checksum = $1 WHERE name = $2', [
        checksum,
        file,
      ]);
    }
    const result = await migrate({ databaseUrl: databaseUrl(name) });
    expect(result.applied).toEqual([]);

    await query(name, "UPDATE evalq_migrations SET checksum = repeat('0', 64) WHERE name = $1", [
      '0003_documented_triggers',
    ]);
    const error = await migrate({ databaseUrl: databaseUrl(name) }).catch((e: unknown) => e);
    expect((error as MigrationError).code).toBe('MIGRATION_EDITED');
  });

  it('applies a new file on top, and leaves nothing of a file that fails', async () => {
    const dir = await copyOfMigrations();
    const name = freshDatabaseName();
    await migrate({ databaseUrl: databaseUrl(name), migrationsDir: dir });

    await writeFile(
      join(dir, '9001_add_tags.sql'),
      'ALTER TABLE datasets ADD COLUMN tags text[];\n',
    );
    await writeFile(
      join(dir, '9002_broken.sql'),
      'CREATE TABLE half_done (id int);\n\nSELECT no_such_column FROM half_done;\n',
    );
    const error = await migrate({ databaseUrl: databaseUrl(name), migrationsDir: dir }).catch(
      (e: unknown) => e,
    );
    expect((error as MigrationError).code).toBe('MIGRATION_FAILED');
    expect((error as Error).message).toMatch(/9002_broken\.sql failed at line 3: .*no_such_column/);

    const applied = await query<{ name: string }>(
      name,
      'SELECT name FROM evalq_migrations ORDER BY id',
    );
    expect(applied.map((r) => r.name).slice(-1)).toEqual(['9001_add_tags']);
    const halfDone = await query(
      name,
      `SELECT 1 FROM information_schema.tables WHERE table_name = 'half_done'`,
    );
    expect(halfDone).toEqual([]);
  });

  it('rejects a misnamed migration file before touching the database', async () => {
    const dir = await copyOfMigrations();
    await writeFile(join(dir, '0005-add-tags.sql'), 'SELECT 1;');
    const name = freshDatabaseName();
    const error = await migrate({ databaseUrl: databaseUrl(name), migrationsDir: dir }).catch(
      (e: unknown) => e,
    );
    expect((error as MigrationError).code).toBe('MIGRATION_BAD_NAME');
    expect((error as Error).message).toMatch(/0005-add-tags\.sql/);
    const admin = new pg.Client({ connectionString: TEST_SERVER_URL });
    await admin.connect();
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    await admin.end();
    expect(exists.rowCount).toBe(0);
  });

  it('says plainly when PostgreSQL cannot be reached', async () => {
    const error = await migrate({ databaseUrl: 'postgres://postgres@127.0.0.1:1/evalq' }).catch(
      (e: unknown) => e,
    );
    expect((error as MigrationError).code).toBe('DATABASE_UNREACHABLE');
    expect((error as Error).message).toMatch(
      /cannot connect to PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:1\/evalq/,
    );
  });
});

const SCHEMA_FINGERPRINT = `
  SELECT table_name, column_name, data_type, is_nullable, column_default
  FROM information_schema.columns WHERE table_schema = 'public'
  UNION ALL
  SELECT tablename, indexname, indexdef, '', '' FROM pg_indexes WHERE schemaname = 'public'
  UNION ALL
  SELECT event_object_table, trigger_name, action_timing || ' ' || event_manipulation, action_orientation, action_statement
  FROM information_schema.triggers
  ORDER BY 1, 2, 3`;
