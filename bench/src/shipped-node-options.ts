import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const PACKAGE_JSON = fileURLToPath(new URL('../../package.json', import.meta.url));

/**
 * The Node flags a service ships with: those of its `npm run api|worker` script (the
 * container image and docker-compose.yml set the same, a test sees to it), so the
 * benchmark measures the processes as they are deployed.
 */
export function shippedNodeOptions(service: 'api' | 'worker'): string {
  const scripts = (
    JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { scripts: Record<string, string> }
  ).scripts;
  // The script runs the bin (which builds only when sources changed) or dist/main.js.
  const flags = new RegExp(
    `node ((?:--\\S+ ?)*)apps/cli/(?:bin/evalq|dist/main)\\.js ${service}$`,
  ).exec(scripts[service] ?? '');
  if (!flags)
    throw new Error(
      `package.json's "${service}" script does not run apps/cli/bin/evalq.js ${service}`,
    );
  return flags[1]!.trim();
}
