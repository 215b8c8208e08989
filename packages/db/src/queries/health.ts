import { sql, type Kysely } from 'kysely';
import type { Database } from '../database.js';

/** For readiness probes: PostgreSQL answers a query. */
export async function pingDatabase(db: Kysely<Database>): Promise<void> {
  await sql`SELECT 1`.execute(db);
}
