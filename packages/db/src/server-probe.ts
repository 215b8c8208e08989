import pg from 'pg';

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
    // A SQLSTATE means the server itself answered; 3D000 is "database does not exist".
    const sqlState = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
    if (sqlState && code === '3D000') return { ok: true };
    if (sqlState) return { ok: false, answered: true, reason: message ?? code };
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
