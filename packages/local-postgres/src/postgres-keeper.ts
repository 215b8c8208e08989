/**
 * The process between evalq and the PostgreSQL server (`node postgres-keeper.js <config>`),
 * so that the server never outlives evalq:
 *  - evalq holds the other end of this process's stdin. When evalq ends, however it ends
 *    (SIGKILL included), the system closes that pipe; on its end the keeper stops the
 *    server: a smart shutdown first (clients that are still finishing, such as workers
 *    handing claims back, may finish), fast after SMART_MS, immediate after FAST_MS.
 *  - SIGTERM (evalq's own stop, once its clients are gone) asks for a fast shutdown.
 * It writes `ready` on stdout once the server accepts connections, and the server's log
 * to the log file. It runs in its own process group, so a Ctrl-C in the terminal
 * reaches evalq, which stops its clients first, and not the server.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { serverEnvironment } from './cluster.js';

export interface KeeperConfig {
  postgres: string;
  dataDir: string;
  port: number;
  maxConnections: number;
  logFile: string;
  uid?: number;
  gid?: number;
}

/** After the parent is gone: smart shutdown for this long, then fast. */
const SMART_MS = 6_000;
/** After this long in all, an immediate shutdown (what is left is crash-recovered). */
const FAST_MS = 11_000;

const READY = 'database system is ready to accept connections';

const config = JSON.parse(process.argv[2] ?? '{}') as KeeperConfig;
const log = createWriteStream(config.logFile, { flags: 'a' });
const server = spawn(
  config.postgres,
  [
    '-D',
    config.dataDir,
    '-p',
    String(config.port),
    '-c',
    'listen_addresses=127.0.0.1',
    // No Unix socket: nothing to clean up in /tmp, and TCP is what evalq connects to.
    '-c',
    'unix_socket_directories=',
    '-c',
    `max_connections=${config.maxConnections}`,
    '-c',
    'lc_messages=C',
  ],
  {
    ...(config.uid === undefined ? {} : { uid: config.uid, gid: config.gid }),
    env: serverEnvironment(),
    stdio: ['ignore', 'ignore', 'pipe'],
  },
);

let stopping = false;
const timers: NodeJS.Timeout[] = [];

function stop(mode: 'smart' | 'fast'): void {
  if (stopping) {
    if (mode === 'fast') server.kill('SIGINT');
    return;
  }
  stopping = true;
  server.kill(mode === 'smart' ? 'SIGTERM' : 'SIGINT');
  if (mode === 'smart') timers.push(setTimeout(() => server.kill('SIGINT'), SMART_MS));
  timers.push(setTimeout(() => server.kill('SIGQUIT'), FAST_MS));
}

createInterface({ input: server.stderr }).on('line', (line) => {
  log.write(`${line}\n`);
  if (line.includes(READY)) process.stdout.write('ready\n');
});
server.once('error', (error) => {
  log.write(`evalq: cannot start ${config.postgres}: ${error.message}\n`);
  process.exitCode = 1;
});
server.once('close', (code, signal) => {
  for (const timer of timers) clearTimeout(timer);
  log.end(() => process.exit(stopping ? 0 : 1));
  if (!stopping) process.stdout.write(`exited ${signal ?? code}\n`);
});

// Written to after evalq may be gone: a broken pipe must not end the keeper.
process.stdout.on('error', () => undefined);
process.stdin.once('end', () => stop('smart'));
process.stdin.once('error', () => stop('smart'));
process.stdin.resume();
process.once('SIGTERM', () => stop('fast'));
process.once('SIGINT', () => stop('fast'));
