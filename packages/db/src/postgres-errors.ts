/**
 * The PostgreSQL error codes (SQLSTATE) evalq branches on, by name, and the questions
 * asked of them. node-postgres puts the SQLSTATE in `error.code`; Node's own network
 * errors use the same field for errnos (ECONNREFUSED), which `sqlState` tells apart.
 */
export const SQLSTATE = {
  /** Class 22, data exception: a value PostgreSQL cannot store as given. */
  dataExceptionClass: '22',
  /** Class 23, integrity constraint violation. */
  integrityViolationClass: '23',
  foreignKeyViolation: '23503',
  uniqueViolation: '23505',
  /** Class 08, connection exception. */
  connectionExceptionClass: '08',
  serializationFailure: '40001',
  deadlockDetected: '40P01',
  tooManyConnections: '53300',
  /** statement_timeout (or a cancel request) ended the statement. */
  queryCanceled: '57014',
  adminShutdown: '57P01',
  crashShutdown: '57P02',
  /** The server is starting up. */
  cannotConnectNow: '57P03',
  /** The database does not exist. */
  invalidCatalogName: '3D000',
  duplicateDatabase: '42P04',
} as const;

/** The SQLSTATE of an error the server sent; undefined for anything else. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** Class 22: the statement carried a value PostgreSQL cannot store. */
export function isDataException(error: unknown): boolean {
  return sqlState(error)?.startsWith(SQLSTATE.dataExceptionClass) ?? false;
}

/** Class 22 or 23: the data is refused, so running the statement again cannot help. */
export function isDataError(error: unknown): boolean {
  const state = sqlState(error);
  return (
    state !== undefined &&
    (state.startsWith(SQLSTATE.dataExceptionClass) ||
      state.startsWith(SQLSTATE.integrityViolationClass))
  );
}

/** PostgreSQL aborted the transaction to break a deadlock or keep it serializable: run it again. */
export function isTransactionRetryable(error: unknown): boolean {
  const state = sqlState(error);
  return state === SQLSTATE.deadlockDetected || state === SQLSTATE.serializationFailure;
}

/** The server dropped the connection, is shutting down or starting up, or is out of connections. */
export function isServerUnavailable(error: unknown): boolean {
  const state = sqlState(error);
  return (
    state !== undefined &&
    (state.startsWith(SQLSTATE.connectionExceptionClass) ||
      state === SQLSTATE.adminShutdown ||
      state === SQLSTATE.crashShutdown ||
      state === SQLSTATE.cannotConnectNow ||
      state === SQLSTATE.tooManyConnections)
  );
}
