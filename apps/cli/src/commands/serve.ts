import { InvalidArgumentError, type Command } from 'commander';
import { parseEnv } from '@evalq/core';
import { serveEnv } from '../serve/serve-env.js';

function workerCount(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 0 || n > 64) {
    throw new InvalidArgumentError('expected a whole number from 0 to 64');
  }
  return n;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description(
      'the API, the dashboard and --workers workers in one process (npm start); with ' +
        'DATABASE_URL unset, an embedded PostgreSQL keeps its data in EVALQ_HOME (default .evalq)',
    )
    .option('--workers <n>', 'workers to run in this process', workerCount, 2)
    .action(async (options: { workers: number }) => {
      const env = parseEnv(serveEnv, process.env);
      // Loaded here, not at start-up: the client commands should not pay for the servers.
      const { runServe } = await import('../serve/run-serve.js');
      await runServe(env, process.env, { workers: options.workers });
    });
}
