import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

// Tests import the workspace packages from source, so a test never runs against a stale dist/.
// Child processes (workers, the API) run from dist/, which the global setup rebuilds.
const packages = [
  'core',
  'statistics',
  'grading',
  'db',
  'queue',
  'providers',
  'local-postgres',
  'testing',
];
const apps = ['worker', 'api', 'cli'];

export default defineConfig({
  resolve: {
    alias: [
      ...packages.map((name) => ({
        find: `@evalq/${name}`,
        replacement: here(`./packages/${name}/src/index.ts`),
      })),
      ...apps.map((name) => ({
        find: `@evalq/${name}`,
        replacement: here(`./apps/${name}/src/index.ts`),
      })),
    ],
  },
  test: {
    include: [
      'packages/*/test/**/*.test.ts',
      'apps/*/test/**/*.test.ts',
      'deploy/test/**/*.test.ts',
    ],
    globalSetup: [here('./packages/testing/src/global-setup.ts')],
    reporters: ['default', here('./packages/testing/src/ci-skip-reporter.ts')],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    allowOnly: false,
    sequence: { hooks: 'stack' },
  },
});
