import pg from 'pg';
import { sqlState, SQLSTATE } from './postgres-errors.js';

/** What a probe found: the server answered, or why it could not be used. */
export type ServerProbe =
  | { ok: true }
  | {
      ok: false;
      /** True when something answered but refused (a wrong password, a bad URL). */
      answered: boolean;
      reason: string;
    };

/**
 * Whether PostgreSQL answers at `databaseUrl`, before anything is started against it.
 * Only connects (no statement). A database that does not exist yet counts as reachable:
 * migrate creates it.
 */
export async function probeDatabaseServer(
  databaseUrl: string,
  timeoutMs = 3000,
): Promise<ServerProbe> {
  const client = new pg.Client({
    connectionString: databaseUrl,
    application_name: 'evalq-probe',
    connectionTimeoutMillis: timeoutMs,
  });
  // A connection lost after connect() would otherwise be an unhandled 'error' event.
  client.on('error', () => undefined);
  const started = Date.now();
  try {
    await client.connect();
    return { ok: true };
  } catch (error) {
    const { code, message } = error as { code?: string; message?: string };
    // A SQLSTATE means the server itself answered (a missing database is still an answer).
    const state = sqlState(error);
    if (state === SQLSTATE.invalidCatalogName) return { ok: true };
    if (state !== undefined) return { ok: false, answered: true, reason: message ?? state };
    // pg reports its own connect timeout as a terminated connection.
    const timedOut = code === undefined && Date.now() - started >= timeoutMs;
    return {
      ok: false,
      answered: false,
      reason: timedOut
        ? `no answer within ${timeoutMs / 1000} s`
        : (code ?? message ?? String(error)),
    };
  } finally {
    await client.end().catch(() => undefined);
  }
}
