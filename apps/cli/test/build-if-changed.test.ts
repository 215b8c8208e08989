import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The `evalq` bin builds only when a source changed. Run against a checkout of its own
// whose "tsc" only records that it ran, so the real build is never disturbed.

const BUILD = fileURLToPath(new URL('../bin/build.js', import.meta.url));
const FAKE_TSC = `
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
appendFileSync('builds.log', process.argv.slice(2).join(' ') + '\\n');
mkdirSync('apps/cli/dist', { recursive: true });
writeFileSync('apps/cli/dist/main.js', '');
`;

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'evalq-build-'));
  await mkdir(join(root, 'node_modules/typescript/bin'), { recursive: true });
  await writeFile(join(root, 'node_modules/typescript/bin/tsc'), FAKE_TSC);
  await writeFile(join(root, 'package.json'), '{ "type": "module" }');
  await mkdir(join(root, 'packages/core/src'), { recursive: true });
  await writeFile(join(root, 'packages/core/src/index.ts'), 'export {};\n');
  await writeFile(join(root, 'tsconfig.json'), '{}');
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function build(): { building: boolean; builds: Promise<number> } {
  const run = spawnSync(process.execPath, [BUILD, root], { encoding: 'utf8' });
  expect(run.status).toBe(0);
  return {
    building: run.stderr.includes('building'),
    builds: readFile(join(root, 'builds.log'), 'utf8').then(
      (log) => log.trim().split('\n').length,
      () => 0,
    ),
  };
}

/** Sets a file's times a minute ahead, as a save after the last build would. */
async function touchLater(path: string): Promise<void> {
  const later = new Date(Date.now() + 60_000);
  await utimes(path, later, later);
}

describe('build only when sources changed', () => {
  it('builds the first time, then not again until a source changes', async () => {
    const first = build();
    expect(first.building).toBe(true);
    expect(await first.builds).toBe(1);

    const unchanged = build();
    expect(unchanged.building).toBe(false);
    expect(await unchanged.builds).toBe(1);

    await touchLater(join(root, 'packages/core/src/index.ts'));
    expect(await build().builds).toBe(2);
    expect(await build().builds).toBe(2);
  });

  it('builds again when a configuration file changes or the output is gone', async () => {
    const before = await build().builds;
    await touchLater(join(root, 'tsconfig.json'));
    expect(await build().builds).toBe(before + 1);
    await unlink(join(root, 'apps/cli/dist/main.js'));
    expect(await build().builds).toBe(before + 2);
  });
});
