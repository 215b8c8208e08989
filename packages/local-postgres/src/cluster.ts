import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmod,
  chown,
  lstat,
  mkdir,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import type { PostgresBinaries } from './binaries.js';
import { LocalPostgresError } from './local-postgres-error.js';
import type { ServerAccount } from './server-account.js';

/** The superuser of the embedded server. */
export const SUPERUSER = 'postgres';

export interface Cluster {
  dataDir: string;
  password: string;
  /** True when this call ran initdb. */
  created: boolean;
}

/**
 * The data directory under `home`, created by initdb on first use and kept after.
 * Its name carries the server's major version: PostgreSQL refuses a data directory of
 * another major version, so newer binaries start a new one instead of failing. initdb
 * writes into a temporary directory that is renamed when complete, so an interrupted
 * first run leaves nothing half-made behind (it is removed on the next run).
 */
export async function ensureCluster(
  home: string,
  binaries: PostgresBinaries,
  account: ServerAccount | undefined,
): Promise<Cluster> {
  const major = await majorVersion(binaries);
  const dataDir = join(home, `postgres-${major}`);
  const passwordFile = join(home, 'postgres-password');
  if (await exists(join(dataDir, 'PG_VERSION'))) {
    await repairCopiedDataDirectory(dataDir, passwordFile, account);
    return { dataDir, password: await readPassword(passwordFile), created: false };
  }
  for (const name of await readdir(home)) {
    if (name.startsWith(`postgres-${major}.init-`)) {
      await rm(join(home, name), { recursive: true, force: true });
    }
  }
  const password = randomBytes(18).toString('hex');
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  const staging = `${dataDir}.init-${randomBytes(4).toString('hex')}`;
  await mkdir(staging, { mode: 0o700 });
  if (account) {
    await chown(passwordFile, account.uid, account.gid);
    await chown(staging, account.uid, account.gid);
  }
  await runInitdb(binaries, staging, passwordFile, account);
  await rename(staging, dataDir);
  return { dataDir, password, created: true };
}

function runInitdb(
  binaries: PostgresBinaries,
  dataDir: string,
  passwordFile: string,
  account: ServerAccount | undefined,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      binaries.initdb,
      [
        `--pgdata=${dataDir}`,
        `--username=${SUPERUSER}`,
        `--pwfile=${passwordFile}`,
        // A password is needed even on 127.0.0.1: any local user can reach the port.
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C',
      ],
      {
        ...(account ? { uid: account.uid, gid: account.gid } : {}),
        env: serverEnvironment(),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', (error) =>
      reject(
        new LocalPostgresError(
          'LOCAL_POSTGRES_INIT_FAILED',
          `cannot run initdb: ${error.message}`,
          {
            cause: error,
          },
        ),
      ),
    );
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new LocalPostgresError(
            'LOCAL_POSTGRES_INIT_FAILED',
            `initdb failed (${signal ?? `exit code ${code}`}):\n${output.trim()}`,
          ),
        );
    });
  });
}

/**
 * What the server programs see of the environment: nothing of evalq's (API keys stay
 * out of them), messages in English so readiness can be read from the log.
 */
export function serverEnvironment(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    LC_ALL: 'C',
    ...(process.env.TZ ? { TZ: process.env.TZ } : {}),
  };
}

async function majorVersion(binaries: PostgresBinaries): Promise<string> {
  const manifest = JSON.parse(
    await readFile(join(binaries.nativeDir, '..', 'package.json'), 'utf8'),
  ) as { version: string };
  return manifest.version.split('.')[0] ?? 'unknown';
}

async function readPassword(file: string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (error) {
    throw new LocalPostgresError(
      'LOCAL_POSTGRES_START_FAILED',
      `the embedded PostgreSQL's password file ${file} is missing (${(error as Error).message}): ` +
        'restore it, or remove the data directory beside it to start from an empty database.',
      { cause: error },
    );
  }
}

/**
 * The directories initdb makes (src/bin/initdb/initdb.c, `subdirs`). Several are empty
 * while the server is stopped, and a copy through git or some archivers drops empty
 * directories; the server then fails on the first one it opens.
 */
const DATA_SUBDIRECTORIES = [
  'global',
  'pg_wal/archive_status',
  'pg_wal/summaries',
  'pg_commit_ts',
  'pg_dynshmem',
  'pg_notify',
  'pg_serial',
  'pg_snapshots',
  'pg_subtrans',
  'pg_twophase',
  'pg_multixact/members',
  'pg_multixact/offsets',
  'base',
  'pg_replslot',
  'pg_tblspc',
  'pg_stat',
  'pg_stat_tmp',
  'pg_xact',
  'pg_logical/snapshots',
  'pg_logical/mappings',
];

/**
 * A data directory copied by root (a backup restored, a checkout copied with `cp -r` or
 * through git) belongs to root, lost its private mode and perhaps its empty directories,
 * and PostgreSQL refuses to start on it. evalq puts these right first: the missing
 * directories, the owner when run as root (the server runs as `account`), the mode.
 */
async function repairCopiedDataDirectory(
  dataDir: string,
  passwordFile: string,
  account: ServerAccount | undefined,
): Promise<void> {
  for (const name of DATA_SUBDIRECTORIES) {
    await mkdir(join(dataDir, name), { recursive: true, mode: 0o700 });
  }
  if (account) {
    const entries = await readdir(dataDir, { recursive: true });
    for (const path of [dataDir, passwordFile, ...entries.map((entry) => join(dataDir, entry))]) {
      if ((await lstat(path)).uid !== account.uid) await chown(path, account.uid, account.gid);
    }
  }
  const found = await stat(dataDir);
  if ((found.mode & 0o077) !== 0) await chmod(dataDir, 0o700);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
