import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimRows, reclaimExpiredClaims, type Database } from '@evalq/db';
import { createTestDatabase, type TestDatabase } from '@evalq/testing';

// in_progress_time is a `timestamp` without time zone (documented), stamped by the
// documented trigger in the session's zone. evalq's pools run in UTC, but a
// connection pooler (PgBouncer) may drop that setting and leave sessions in the
// server's zone. The lease must still mean LEASE_SECONDS there: a claim stamped
// in Tokyo (UTC+9) or in New York (UTC−5) is reclaimed after the lease, not never
// (stamps in the "future") and not at once (stamps hours "old").

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.drop();
});

function sessionsIn(timeZone: string): Kysely<Database> {
  const pool = new pg.Pool({ connectionString: t.url, max: 2, options: `-c timezone=${timeZone}` });
  // pool.end() resolves before its backends have closed; one still closing when afterAll
  // drops the database reports "terminating connection" (57P01) on the ended pool.
  pool.on('error', () => undefined);
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

async function newJob(): Promise<{ model_id: number; prompt_id: number; dataset_id: number }> {
  const [ids] = await t.query<{ model_id: number; prompt_id: number; dataset_id: number }>(`
    WITH d AS (INSERT INTO datasets (name) VALUES ('tz') RETURNING dataset_id),
         r AS (INSERT INTO rows (dataset_id, content, expected_prediction)
               SELECT dataset_id, 'x', 'y' FROM d, generate_series(1, 3) RETURNING 1),
         m AS (INSERT INTO models (name, source) VALUES ('m', 'mock') RETURNING model_id),
         p AS (INSERT INTO prompts (text) VALUES ('{{content}}') RETURNING prompt_id)
    SELECT m.model_id, p.prompt_id, d.dataset_id FROM m, p, d`);
  await t.query(
    `INSERT INTO modelpromptstatus (model_id, prompt_id, dataset_id, status) VALUES ($1, $2, $3, 'pending')`,
    [ids!.model_id, ids!.prompt_id, ids!.dataset_id],
  );
  return ids!;
}

describe.each(['Asia/Tokyo', 'America/New_York'])('sessions in %s', (timeZone) => {
  it('reclaim waits for the lease, then hands the rows back', async () => {
    const db = sessionsIn(timeZone);
    try {
      const job = await newJob();
      expect(await claimRows(db, job, 3, 'worker-a')).toHaveLength(3);

      // Just claimed: well inside a 2-second lease.
      expect(await reclaimExpiredClaims(db, 2, 100)).toEqual([]);

      await new Promise((resolve) => setTimeout(resolve, 2_500));
      expect(await reclaimExpiredClaims(db, 2, 100)).toEqual([{ ...job, rows: 3 }]);
    } finally {
      await db.destroy();
    }
  });
});
