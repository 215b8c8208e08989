import { createHash } from 'node:crypto';
import { cp, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { PostgresBinaries } from './binaries.js';
import { LocalPostgresError } from './local-postgres-error.js';
import { blockingDirectory, type ServerAccount } from './server-account.js';

/**
 * Run as root, the server runs as `nobody`, which must reach both its binaries and its
 * data. When a directory on the way is closed to it (a checkout under /root, mode 700),
 * the files it needs live here instead: a copy of the binaries, and its data directory
 * under a name derived from EVALQ_HOME's path (so each EVALQ_HOME keeps its own data).
 */
export const ROOT_FALLBACK_DIR = '/var/lib/evalq';

export interface ServerPlaces {
  binaries: PostgresBinaries;
  /** Where the data directory, its password and the log go. */
  home: string;
}

export async function serverPlaces(
  binaries: PostgresBinaries,
  home: string,
  account: ServerAccount | undefined,
): Promise<ServerPlaces> {
  if (!account) return { binaries, home };
  const places = { binaries, home };
  if (blockingDirectory(binaries.nativeDir, account) !== undefined) {
    places.binaries = await copyBinaries(binaries);
  }
  if (blockingDirectory(home, account) !== undefined) {
    const name = createHash('sha256').update(home).digest('hex').slice(0, 16);
    places.home = join(ROOT_FALLBACK_DIR, 'homes', name);
    await mkdir(places.home, { recursive: true, mode: 0o755 });
    // For a person looking in EVALQ_HOME for the data.
    await writeFile(
      join(home, 'postgres-location'),
      `The embedded PostgreSQL's data is in ${places.home}: evalq runs as root, and the ` +
        `server, which runs as ${account.name}, cannot enter ${blockingDirectory(home, account)}.\n`,
    );
  }
  for (const [what, path] of [
    ['the PostgreSQL binaries', places.binaries.nativeDir],
    ['its data directory', places.home],
  ] as const) {
    const blocked = blockingDirectory(path, account);
    if (blocked !== undefined) {
      throw new LocalPostgresError(
        'LOCAL_POSTGRES_UNREACHABLE_PATH',
        `evalq runs as root, so the embedded PostgreSQL runs as ${account.name}, which cannot ` +
          `enter ${blocked} to reach ${what}. Run evalq as a normal user, or set DATABASE_URL ` +
          'to a PostgreSQL server.',
      );
    }
  }
  return places;
}

/** A copy of the binary package (native/ and its manifest) under ROOT_FALLBACK_DIR, made once. */
async function copyBinaries(binaries: PostgresBinaries): Promise<PostgresBinaries> {
  const packageDir = dirname(binaries.nativeDir);
  const manifest = JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
  };
  const target = join(
    ROOT_FALLBACK_DIR,
    'binaries',
    `${manifest.name.replace(/[@/]/g, '_')}-${manifest.version}`,
  );
  const complete = join(target, '.complete');
  const done = await stat(complete).then(
    () => true,
    () => false,
  );
  if (!done) {
    await mkdir(target, { recursive: true, mode: 0o755 });
    await cp(packageDir, target, { recursive: true, verbatimSymlinks: true, force: true });
    await writeFile(complete, '');
  }
  const nativeDir = join(target, 'native');
  return {
    nativeDir,
    initdb: join(nativeDir, 'bin', 'initdb'),
    postgres: join(nativeDir, 'bin', 'postgres'),
  };
}
