import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { freePort } from '@evalq/core';
import { databaseUrl } from './test-database.js';

/** The PgBouncer configuration deploy/kubernetes/ ships; tests and the benchmark run it. */
export const SHIPPED_PGBOUNCER_INI = fileURLToPath(
  new URL('../../../deploy/kubernetes/components/pgbouncer/pgbouncer.ini', import.meta.url),
);

export interface PgBouncerOptions {
  /** Server connections per database: default_pool_size and max_db_connections. */
  poolSize: number;
  /** The PostgreSQL server behind it (any database on it); the tests' server by default. */
  serverUrl?: string;
}

export interface PgBouncerStats {
  transactions: number;
  /** Time server connections spent in transactions, µs. */
  transactionTimeUs: number;
  /** Time clients spent waiting for a server connection, µs. */
  waitTimeUs: number;
}

export interface PgBouncer {
  readonly port: number;
  readonly pid: number;
  /** A postgres:// URL of `database` through PgBouncer. */
  url(database: string): string;
  /** What PgBouncer printed (its log), for a failing test's message. */
  readonly log: string[];
  /** Its totals for one database so far (SHOW STATS on its admin console). */
  stats(database: string): Promise<PgBouncerStats>;
  /** Stops it at once (SIGTERM: clients are disconnected) and removes its files. */
  stop(): Promise<void>;
}

/**
 * Starts a real PgBouncer (Debian's package) on a free port in front of the server, with
 * the shipped configuration (transaction pooling and its timeouts) except for the listen
 * address, trust authentication, the pool size and a [databases] entry that routes every
 * database name to the server. Its files live in a temporary directory.
 */
export async function startPgBouncer(options: PgBouncerOptions): Promise<PgBouncer> {
  const server = new URL(options.serverUrl ?? databaseUrl('postgres'));
  const dir = await mkdtemp(join(tmpdir(), 'evalq-pgbouncer-'));
  // PgBouncer refuses to run as root; as root it is started as nobody, who must read these.
  await chmod(dir, 0o755);
  const shipped = await readFile(SHIPPED_PGBOUNCER_INI, 'utf8');
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    const ini = join(dir, 'pgbouncer.ini');
    await writeFile(ini, testConfig(shipped, server, port, options.poolSize, dir), { mode: 0o644 });
    await writeFile(join(dir, 'userlist.txt'), `"${server.username || 'postgres'}" ""\n`, {
      mode: 0o644,
    });
    try {
      return await launch(ini, port, server, dir);
    } catch (error) {
      // Another process took the port between freePort() and PgBouncer's bind.
      if (attempt >= 3 || !/Address already in use/.test((error as Error).message)) {
        await rm(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }
}

/** The shipped file with the test's settings in place of the deployment's. */
function testConfig(shipped: string, server: URL, port: number, poolSize: number, dir: string) {
  const settings: Record<string, string> = {
    listen_addr: '127.0.0.1',
    listen_port: String(port),
    unix_socket_dir: '',
    auth_type: 'trust',
    auth_file: join(dir, 'userlist.txt'),
    stats_users: server.username || 'postgres',
    default_pool_size: String(poolSize),
    max_db_connections: String(poolSize),
  };
  const kept = shipped
    .split('\n')
    .filter((line) => !line.startsWith('%include'))
    .filter((line) => {
      const name = /^(\w+)\s*=/.exec(line)?.[1];
      return name === undefined || !(name in settings);
    });
  const header = kept.indexOf('[pgbouncer]');
  if (header < 0) throw new Error(`${SHIPPED_PGBOUNCER_INI} has no [pgbouncer] section`);
  const password = server.password ? ` password=${decodeURIComponent(server.password)}` : '';
  const route = `* = host=${server.hostname} port=${server.port || 5432}${password}`;
  return [
    '[databases]',
    route,
    '',
    ...kept.slice(0, header + 1),
    ...Object.entries(settings).map(([name, value]) => `${name} = ${value}`),
    ...kept.slice(header + 1),
  ].join('\n');
}

function pgbouncerBinary(): string {
  // Debian installs it in /usr/sbin, which is not on every user's PATH.
  return existsSync('/usr/sbin/pgbouncer') ? '/usr/sbin/pgbouncer' : 'pgbouncer';
}

async function launch(ini: string, port: number, server: URL, dir: string): Promise<PgBouncer> {
  const asRoot = process.getuid?.() === 0;
  const child: ChildProcess = spawn(pgbouncerBinary(), [...(asRoot ? ['-u', 'nobody'] : []), ini], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => fail(new Error('PgBouncer did not listen within 15 s')), 15_000);
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${error.message}\n${log.join('\n')}`));
    };
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        log.push(line);
        if (!settled && line.includes(`listening on 127.0.0.1:${port}`)) {
          settled = true;
          clearTimeout(timer);
          resolve();
        }
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', (error: NodeJS.ErrnoException) =>
      fail(
        error.code === 'ENOENT'
          ? new Error('pgbouncer is not installed: apt-get install pgbouncer (.ci/run installs it)')
          : error,
      ),
    );
    void exited.then(() => fail(new Error('PgBouncer exited at start')));
  });

  const url = (database: string): string => {
    const address = new URL(`postgres://127.0.0.1:${port}/${encodeURIComponent(database)}`);
    address.username = server.username || 'postgres';
    return address.toString();
  };
  let stopping: Promise<void> | undefined;
  return {
    port,
    pid: child.pid ?? -1,
    log,
    url,
    async stats(database: string) {
      const admin = new pg.Client({ connectionString: url('pgbouncer') });
      await admin.connect();
      try {
        const { rows } = await admin.query<Record<string, string>>('SHOW STATS');
        const row = rows.find((r) => r.database === database);
        return {
          transactions: Number(row?.total_xact_count ?? 0),
          transactionTimeUs: Number(row?.total_xact_time ?? 0),
          waitTimeUs: Number(row?.total_wait_time ?? 0),
        };
      } finally {
        await admin.end();
      }
    },
    stop() {
      stopping ??= (async () => {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
        await rm(dir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}
