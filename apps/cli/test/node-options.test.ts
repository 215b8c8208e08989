import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const read = (path: string) =>
  readFileSync(fileURLToPath(new URL(`../../../${path}`, import.meta.url)), 'utf8');

const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
const flagsOf = (script: string | undefined) =>
  /node ((?:--\S+ ?)*)apps\/cli\/(?:bin\/evalq|dist\/main)\.js/.exec(script ?? '')?.[1]?.trim();

// The heap flags bound the processes' memory (docs/performance.md, T7); a container
// must not run with other flags than `npm run api|worker` and the benchmark.
describe('Node flags of the API and the worker', () => {
  it('are the same in the container image as under npm run worker', () => {
    const image = /^ENV NODE_OPTIONS="([^"]*)"$/m.exec(read('Dockerfile'))?.[1];
    expect(image).toMatch(/--max-old-space-size=\d+/);
    expect(flagsOf(scripts.worker)).toBe(image);
  });

  it("are the same in docker-compose.yml's api service as under npm run api", () => {
    const compose = read('docker-compose.yml');
    const api = compose.slice(compose.indexOf('\n  api:'), compose.indexOf('\n  worker:'));
    const options = /NODE_OPTIONS: '([^']*)'/.exec(api)?.[1];
    expect(options).toMatch(/--max-semi-space-size=\d+/);
    expect(flagsOf(scripts.api)).toBe(options);
  });
});
