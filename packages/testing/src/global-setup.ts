import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { prepareTemplateDatabase } from './test-database.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Vitest global setup: builds dist/ (tests start workers and the API as real child
 * processes from it) and the migrated template database each test file clones.
 */
export default async function setup(): Promise<void> {
  execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-b'], {
    cwd: root,
    stdio: 'inherit',
  });
  await prepareTemplateDatabase();
}
