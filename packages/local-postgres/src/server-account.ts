import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LocalPostgresError } from './local-postgres-error.js';

/** The unprivileged account the server runs as when evalq runs as root. */
export interface ServerAccount {
  name: string;
  uid: number;
  gid: number;
}

/**
 * PostgreSQL refuses to run as root. Run as root, evalq runs the server as `nobody`, an
 * account every Unix system has, instead of adding a system user: the data directory
 * then belongs to it. Not root: undefined, the server runs as the current user.
 */
export function serverAccount(): ServerAccount | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const entry = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((line) => line.split(':'))
    .find((fields) => fields[0] === 'nobody');
  const uid = Number(entry?.[2]);
  const gid = Number(entry?.[3]);
  if (!entry || !Number.isInteger(uid) || !Number.isInteger(gid) || uid === 0) {
    throw new LocalPostgresError(
      'LOCAL_POSTGRES_UNSUPPORTED',
      'evalq runs as root and this system has no `nobody` account to run the embedded ' +
        'PostgreSQL as (PostgreSQL refuses root): run evalq as a normal user, or set DATABASE_URL.',
    );
  }
  return { name: 'nobody', uid, gid };
}

/**
 * The first directory on the way to `path` that `account` may not enter (it lacks the
 * search bit for it), e.g. /root, which only root may enter; undefined when none.
 */
export function blockingDirectory(path: string, account: ServerAccount): string | undefined {
  for (let dir = resolve(path); ; dir = dirname(dir)) {
    const stat = statSync(dir);
    const bits = stat.uid === account.uid ? 0o100 : stat.gid === account.gid ? 0o010 : 0o001;
    if ((stat.mode & bits) === 0) return dir;
    if (dir === dirname(dir)) return undefined;
  }
}
