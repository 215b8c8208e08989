import { sql, type Kysely } from 'kysely';
import { NotFoundError } from '@evalq/core';
import type { Database } from '../database.js';

export interface ShareLink {
  run_id: string;
  expires_at: Date;
  revoked_at: Date | null;
}

/** Stores a link by its token's hash (the token itself is never stored). */
export async function createShareLink(
  db: Kysely<Database>,
  runId: string,
  tokenHash: Buffer,
  expiresInSeconds: number,
): Promise<{ expires_at: Date }> {
  const result = await sql<{ expires_at: Date }>`
    INSERT INTO run_share_links (token_hash, run_id, expires_at)
    SELECT ${tokenHash}, r.id, now() + make_interval(secs => ${expiresInSeconds})
      FROM runs r WHERE r.id = ${runId}
    RETURNING expires_at`.execute(db);
  const created = result.rows[0];
  if (!created) throw new NotFoundError(`run ${runId}`);
  return created;
}

/** Revokes every link of a run that is not revoked yet; returns how many. */
export async function revokeShareLinks(db: Kysely<Database>, runId: string): Promise<number> {
  const run = await db.selectFrom('runs').select('id').where('id', '=', runId).executeTakeFirst();
  if (!run) throw new NotFoundError(`run ${runId}`);
  const result = await db
    .updateTable('run_share_links')
    .set({ revoked_at: sql`now()` })
    .where('run_id', '=', runId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** The link a token hash opens, with whether it is still usable (by PostgreSQL's clock). */
export async function findShareLink(
  db: Kysely<Database>,
  tokenHash: Buffer,
): Promise<(ShareLink & { usable: boolean }) | undefined> {
  const result = await sql<ShareLink & { usable: boolean }>`
    SELECT run_id, expires_at, revoked_at, (revoked_at IS NULL AND expires_at > now()) AS usable
      FROM run_share_links WHERE token_hash = ${tokenHash}`.execute(db);
  return result.rows[0];
}
