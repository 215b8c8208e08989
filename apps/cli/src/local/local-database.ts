import { relative, resolve } from 'node:path';
import { redactUrl } from '@evalq/db';
import type { LocalPostgres } from '@evalq/local-postgres';

/** The database demo and serve use: the one DATABASE_URL names, or an embedded one. */
export interface LocalDatabase {
  url: string;
  /** For a person: where it is. */
  description: string;
  /** Set when this process started an embedded server (which `close` stops). */
  embedded: LocalPostgres | undefined;
  /** Stops the embedded server, if any. Safe to call twice. */
  close(): Promise<void>;
}

/** The database evalq uses on the embedded server. */
const DATABASE_NAME = 'evalq';

/**
 * With DATABASE_URL set, that server, untouched here (migrate creates the database).
 * Unset, a PostgreSQL server of this process's own, its data in EVALQ_HOME
 * (docs/local-mode.md): nothing else is contacted, not even the default URL.
 */
export async function openLocalDatabase(env: {
  DATABASE_URL?: string | undefined;
  EVALQ_HOME: string;
}): Promise<LocalDatabase> {
  if (env.DATABASE_URL !== undefined) {
    return {
      url: env.DATABASE_URL,
      description: redactUrl(env.DATABASE_URL),
      embedded: undefined,
      close: () => Promise.resolve(),
    };
  }
  // Loaded only here: a command given DATABASE_URL never loads the embedded server's code.
  const { startLocalPostgres } = await import('@evalq/local-postgres');
  const home = resolve(env.EVALQ_HOME);
  const server = await startLocalPostgres({ home });
  const shown = relative(process.cwd(), home) || '.';
  return {
    url: server.url(DATABASE_NAME),
    description: `embedded PostgreSQL in ${shown.startsWith('..') ? home : shown} (127.0.0.1:${server.port}${server.created ? ', created now' : ''})`,
    embedded: server,
    close: () => server.stop(),
  };
}
