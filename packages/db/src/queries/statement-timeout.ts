import { sql, type Kysely } from 'kysely';
import type { Database } from '../database.js';

/**
 * Raises statement_timeout for the rest of the current transaction only. For the few
 * statements whose cost grows with a dataset's size (seeding a launched job, deleting
 * a dataset), which the pool's default cap would cut off on large datasets.
 */
export async function extendStatementTimeout(
  trx: Kysely<Database>,
  timeout: string,
): Promise<void> {
  await sql`SELECT set_config('statement_timeout', ${timeout}, true)`.execute(trx);
}
