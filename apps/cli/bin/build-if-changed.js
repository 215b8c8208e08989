import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root. */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** What `tsc -b` compiles from: each workspace's src/ and its configuration files. */
const WORKSPACE_GROUPS = ['packages', 'apps', 'bench'];
const CONFIG_FILES = ['tsconfig.json', 'package.json'];

/**
 * Runs `tsc -b` when a source file is newer than the last build (or nothing was built);
 * otherwise does nothing. Comparing modification times takes a few milliseconds, where
 * even an up-to-date `tsc -b` takes seconds to start.
 */
export function buildIfChanged(root = ROOT) {
  // Touched after each build, with the time the build started.
  const stamp = join(root, 'node_modules', '.cache', 'evalq', 'build-stamp');
  const built = modifiedAt(stamp);
  const cli = join(root, 'apps', 'cli', 'dist', 'main.js');
  const newest = newestSource(root);
  if (built !== undefined && existsSync(cli) && newest <= built) return;
  // A file saved while tsc runs is newer than this, so the next command builds again
  // (and one dated in the future does not make every command build).
  // Rounded up: a Date keeps whole milliseconds, and a source's mtimeMs may carry a
  // fraction (1733137000122.9999) that would leave it "newer" than its own build.
  const stampedAt = new Date(Math.ceil(Math.max(Date.now(), newest)));
  process.stderr.write('evalq: building (sources changed since the last build)…\n');
  const result = spawnSync(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-b'],
    {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  if (result.status !== 0) {
    process.stderr.write('evalq: the build failed (see above)\n');
    process.exit(result.status ?? 1);
  }
  mkdirSync(dirname(stamp), { recursive: true });
  writeFileSync(stamp, '');
  utimesSync(stamp, stampedAt, stampedAt);
}

function modifiedAt(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

function newestSource(root) {
  let newest = 0;
  const consider = (path) => {
    try {
      newest = Math.max(newest, statSync(path).mtimeMs);
    } catch {
      // absent
    }
  };
  for (const file of ['tsconfig.json', 'tsconfig.base.json']) consider(join(root, file));
  for (const group of WORKSPACE_GROUPS) {
    const groupDir = join(root, group);
    const workspaces = group === 'bench' ? [groupDir] : subdirectories(groupDir);
    for (const workspace of workspaces) {
      for (const file of CONFIG_FILES) consider(join(workspace, file));
      newest = Math.max(newest, newestIn(join(workspace, 'src')));
    }
  }
  return newest;
}

function newestIn(dir) {
  let newest = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestIn(path));
    else newest = Math.max(newest, statSync(path).mtimeMs);
  }
  // A deleted file shows only in its directory's time.
  return Math.max(newest, statSync(dir).mtimeMs);
}

function subdirectories(dir) {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => join(dir, entry.name));
  } catch {
    return [];
  }
}
