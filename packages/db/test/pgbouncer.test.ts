import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, DEFAULT_MIGRATIONS_DIR, migrate } from '@evalq/db';
import {
  createTestDatabase,
  startPgBouncer,
  TEST_SERVER_URL,
  type PgBouncer,
  type TestDatabase,
} from '@evalq/testing';

// evalq's own connections through a real PgBouncer in transaction pooling mode, with the
// configuration deploy/kubernetes/ ships (no startup parameter ignored).

let pgbouncer: PgBouncer;
let t: TestDatabase;
const created: string[] = [];

beforeAll(async () => {
  t = await createTestDatabase();
  pgbouncer = await startPgBouncer({ poolSize: 2 });
});
afterAll(async () => {
  await pgbouncer?.stop();
  const admin = new pg.Client({ connectionString: TEST_SERVER_URL });
  await admin.connect();
  for (const name of created) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
  await t?.drop();
});

describe('a pool behind PgBouncer', () => {
  it('connects with the startup parameters PgBouncer accepts, and its sessions run in UTC', async () => {
    // A database whose sessions would otherwise run 9 hours ahead of UTC.
    await t.query(`ALTER DATABASE ${pg.escapeIdentifier(t.name)} SET timezone = 'Asia/Tokyo'`);
    const pool = createPool({
      connectionString: pgbouncer.url(t.name),
      applicationName: 'evalq-test-pooled',
      pooled: true,
    });
    try {
      const sessions = await Promise.all(
        Array.from({ length: 6 }, () =>
          pool.query<{ zone: string; local: Date }>(
            `SELECT current_setting('TimeZone') AS zone, LOCALTIMESTAMP AS local`,
          ),
        ),
      );
      for (const { rows } of sessions) {
        expect(rows[0]!.zone).toBe('UTC');
        // `timestamp` values are read as UTC: right only if the session wrote them in UTC.
        expect(Math.abs(rows[0]!.local.getTime() - Date.now())).toBeLessThan(15 * 60_000);
      }
    } finally {
      await pool.end();
    }
  });

  it('is refused, naming the parameter, when it is not told it is pooled', async () => {
    const pool = createPool({
      connectionString: pgbouncer.url(t.name),
      applicationName: 'evalq-test-direct',
    });
    try {
      await expect(pool.query('SELECT 1')).rejects.toThrow(/unsupported startup parameter/);
    } finally {
      await pool.end();
    }
  });
});

describe('migrate through PgBouncer', () => {
  it('applies every file exactly once to an empty database, from six migrators at once', async () => {
    // Created beforehand: creating it is for PostgreSQL itself (DATABASE_DIRECT_URL), as
    // PgBouncer backs off for a while from a database it could not log in to.
    const name = `evalq_t_${Math.floor(Date.now() / 1000)}_b${randomBytes(3).toString('hex')}`;
    created.push(name);
    await t.query(`CREATE DATABASE ${name}`);
    const results = await Promise.all(
      Array.from({ length: 6 }, () => migrate({ databaseUrl: pgbouncer.url(name) })),
    );
    const files = readdirSync(DEFAULT_MIGRATIONS_DIR).filter((file) => file.endsWith('.sql'));
    const applied = results.flatMap((result) => result.applied).sort();
    expect(applied).toEqual(files.map((file) => file.replace(/\.sql$/, '')).sort());

    const again = await migrate({ databaseUrl: pgbouncer.url(name) });
    expect(again).toEqual({ databaseCreated: false, applied: [], alreadyApplied: files.length });
  });
});
