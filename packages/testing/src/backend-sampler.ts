import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { databaseUrl } from './test-database.js';

export interface BackendSamples {
  /** How many samples were taken. */
  count: number;
  /** The most server processes seen at once. */
  max: number;
  mean: number;
}

export interface BackendSampler {
  /** Stops sampling; resolves with what was seen. */
  stop(): Promise<BackendSamples>;
}

export interface BackendSamplerOptions {
  /** The database whose backends are counted. */
  database: string;
  /**
   * Connections that do not go through the pooler (the test's own, a LISTEN), by
   * application_name: LIKE patterns (`evalq-worker-listen %`).
   */
  ignoreApplicationNames: string[];
  intervalMs?: number;
  /** The PostgreSQL server (any database on it); the tests' server by default. */
  serverUrl?: string;
}

/**
 * Counts, every `intervalMs`, the server processes PostgreSQL runs for one database
 * (pg_stat_activity), on a connection of its own to another database, so it never
 * counts itself. Behind a pooler that is the pooler's server connections: what the
 * pool size must bound.
 */
export async function sampleBackends(options: BackendSamplerOptions): Promise<BackendSampler> {
  const url = new URL(options.serverUrl ?? databaseUrl('postgres'));
  url.pathname = '/postgres';
  const client = new pg.Client({
    connectionString: url.toString(),
    application_name: 'evalq-backend-sampler',
  });
  await client.connect();
  const samples: number[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const { rows } = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = $1 AND backend_type = 'client backend'
            AND NOT (coalesce(application_name, '') LIKE ANY ($2::text[]))`,
        [options.database, options.ignoreApplicationNames],
      );
      samples.push(rows[0]!.n);
      await sleep(options.intervalMs ?? 50);
    }
  })();
  // A failed sample ends the loop; stop() reports it.
  loop.catch(() => undefined);
  let result: Promise<BackendSamples> | undefined;
  return {
    stop() {
      result ??= (async () => {
        stopped = true;
        try {
          await loop;
        } finally {
          await client.end();
        }
        const max = Math.max(0, ...samples);
        const mean = samples.reduce((sum, n) => sum + n, 0) / Math.max(1, samples.length);
        return { count: samples.length, max, mean };
      })();
      return result;
    },
  };
}
